// The CIB: loading from XML or JSON text, the JSON form, sections, versions and the id index.
//
// Terms: "section" is a child of <configuration> (crm_config, nodes, resources, constraints, ...);
// "version" is the triple (admin_epoch, epoch, num_updates), compared in that order.
import { BerthError, Problem, problem } from '../errors/registry';
import { ID_FIRST_CHAR_NOT, ID_REST_CHARS_NOT } from '../validate/id-rule';
import { ParseOptions, XML_LIMITS, XmlElement, XmlNode, attrsOf, child, el, isElement, limitProblem, parseXml, serializeXml, walk } from './xml';

// The schema check (and the wording tables it uses) is loaded when first needed: only JSON input,
// `cib validate` and the checks of a whole CIB use it, never an edit of an XML file's start-up.
const schemaProblems = (data: unknown): Problem[] => (require('./schema') as typeof import('./schema')).schemaProblems(data);

export type Cib = XmlElement;

export const EMPTY_CIB_XML = `<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config/>
    <nodes/>
    <resources/>
    <constraints/>
  </configuration>
  <status/>
</cib>
`;

export function emptyCib(): Cib {
  return parseXml(EMPTY_CIB_XML, 'empty CIB');
}

/**
 * XML or JSON text to a CIB tree; the format is recognised by the first non-blank character.
 * `opts` go to parseXml (a JSON text has no use for them).
 */
export function parseCib(text: string, source = 'input', opts: ParseOptions = {}): Cib {
  const root = isJsonText(text) ? fromJsonText(text, source) : parseXml(text, source, opts);
  if (root.tag !== 'cib') {
    throw new BerthError([problem('CIB_NOT_A_CIB', { path: source, value: root.tag, allowed: 'cib', message: `${source}: the root element is <${root.tag}>, a CIB has <cib>` })]);
  }
  return root;
}

const isJsonText = (text: string) => text.trimStart()[0] === '{';

/**
 * The tree of a CIB text with every problem the JSON Schema finds, for checks that report all
 * problems at once (src/validate/cib-check.ts): a JSON text that breaks the schema still gives the
 * tree of what can be read (malformed nodes and attribute values left out, the schema reports
 * them). Throws only when there is no tree: bad syntax, a limit passed, a root that is no element.
 */
export function readCib(text: string, source = 'input', opts: ParseOptions = {}): { cib: Cib; schema: Problem[] } {
  if (!isJsonText(text)) {
    const cib = parseXml(text, source, opts);
    return { cib, schema: schemaProblems(toJson(cib)) };
  }
  const data = parseJsonText(text, source);
  const schema = schemaProblems(data);
  if (!schema.length) return { cib: fromJson(data as JsonElement), schema };
  const cib = readableTree(data);
  if (!cib) throw new BerthError(schema);
  return { cib, schema };
}

// ---- JSON form: the same tree, {tag, attrs, children}, {comment}, {text} ----

export interface JsonElement {
  tag: string;
  attrs?: Record<string, string>;
  children?: JsonNode[];
}
export type JsonNode = JsonElement | { comment: string } | { text: string };

export function toJson(n: XmlElement): JsonElement {
  const out: JsonElement = { tag: n.tag, attrs: n.attrs };
  if (n.children.length) out.children = n.children.map((c) => (isElement(c) ? toJson(c) : c));
  return out;
}

export function toJsonText(cib: Cib): string {
  return JSON.stringify(toJson(cib), null, 2) + '\n';
}

function parseJsonText(text: string, source: string): unknown {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new BerthError([problem('JSON_MALFORMED', { path: source, message: `${source} is not valid JSON: ${(e as Error).message}` })]);
  }
  checkJsonLimits(data, source);
  return data;
}

function fromJsonText(text: string, source: string): XmlElement {
  const data = parseJsonText(text, source);
  // ajv is loaded on the first check (schema.ts): only JSON input and `cib validate` need it.
  const problems = schemaProblems(data);
  if (!problems.length) return fromJson(data as JsonElement);
  // The JSON form is exactly as permissive as the XML form: a value an option rule refuses
  // (replicas="0") is read here as XML reads it, and left to the checks that judge a CIB (`cib
  // validate`, an edit's, a pass's). Only a JSON form that is no tree — a node that is no element,
  // comment or text, a name that is no XML name, a value that is not text — is refused, as
  // malformed XML is.
  const lost = { dropped: false };
  const tree = readableTree(data, lost);
  if (!tree || lost.dropped || problems.some(breaksTree)) throw new BerthError(problems);
  return tree;
}

/** A problem of the tree's shape (SCHEMA_VIOLATION, CIB_NOT_A_CIB), not of a value an option rule
 * judges; text in a version attribute is a value too (XML reads any text there; one that is not
 * text is dropped by readableTree, which says so). */
const breaksTree = (p: Problem) => p.code === 'CIB_NOT_A_CIB' || (p.code === 'SCHEMA_VIOLATION' && !/^\/cib\/@(admin_epoch|epoch|num_updates)$/.test(p.path ?? ''));

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** What can be read of a JSON form that breaks the schema: elements, comments and texts; text
 * attribute values. `lost.dropped` says whether anything else was left out: only a tree that lost
 * nothing is ever written (fromJsonText). */
function readableTree(n: unknown, lost: { dropped: boolean } = { dropped: false }): XmlElement | undefined {
  if (!isObject(n) || typeof n.tag !== 'string') return undefined;
  const attrs = attrsOf();
  if (isObject(n.attrs)) for (const [k, v] of Object.entries(n.attrs)) if (typeof v === 'string') attrs[k] = v; else lost.dropped = true;
  else if (n.attrs !== undefined) lost.dropped = true;
  if (n.children !== undefined && !Array.isArray(n.children)) lost.dropped = true;
  const children: XmlNode[] = [];
  for (const c of Array.isArray(n.children) ? n.children : []) {
    const e = readableTree(c, lost);
    if (e) children.push(e);
    else if (isObject(c) && typeof c.comment === 'string') children.push({ comment: c.comment });
    else if (isObject(c) && typeof c.text === 'string') children.push({ text: c.text });
    else {
      lost.dropped = true;
      children.push({ text: '' }); // keeps the positions the schema's problems name
    }
  }
  return { tag: n.tag, attrs, children };
}

/**
 * The limits of parseXml, for the JSON form, checked without recursion before anything recurses
 * over it (the schema validator descends once per level). Every object and array counts for the
 * depth (an element and its children array are two), whatever keys it has.
 */
function checkJsonLimits(data: unknown, source: string): void {
  const maxDepth = 2 * XML_LIMITS.depth;
  const stack: [unknown, number][] = [[data, 1]];
  let elements = 0;
  while (stack.length) {
    const [n, depth] = stack.pop()!;
    if (n === null || typeof n !== 'object') continue;
    if (depth > maxDepth) throw limitProblem('depth', Math.ceil(depth / 2), XML_LIMITS.depth, source, source);
    if (Array.isArray(n)) {
      for (const c of n) stack.push([c, depth + 1]);
      continue;
    }
    const o = n as Record<string, unknown>;
    if ('tag' in o && ++elements > XML_LIMITS.elements) throw limitProblem('elements', elements, XML_LIMITS.elements, source, source);
    const attrs = o.attrs;
    if (attrs !== null && typeof attrs === 'object' && !Array.isArray(attrs)) {
      const count = Object.keys(attrs).length;
      if (count > XML_LIMITS.attributes) throw limitProblem('attributes', count, XML_LIMITS.attributes, source, source);
    }
    for (const k of Object.keys(o)) stack.push([o[k], depth + 1]);
  }
}

export function fromJson(n: JsonElement): XmlElement {
  return {
    tag: n.tag,
    attrs: attrsOf(n.attrs),
    children: (n.children ?? []).map((c): XmlNode => ('tag' in c ? fromJson(c) : { ...c })),
  };
}

export function formatCib(cib: Cib, format: 'xml' | 'json'): string {
  return format === 'json' ? toJsonText(cib) : serializeXml(cib);
}

// ---- sections ----

export function configuration(cib: Cib): XmlElement {
  let c = child(cib, 'configuration');
  if (!c) {
    c = el('configuration');
    cib.children.unshift(c);
  }
  return c;
}

/** A configuration section, created in Pacemaker's order when missing. */
export function section(cib: Cib, name: 'crm_config' | 'nodes' | 'resources' | 'constraints' | 'rsc_defaults' | 'op_defaults'): XmlElement {
  const conf = configuration(cib);
  let s = child(conf, name);
  if (!s) {
    s = el(name);
    const order = ['crm_config', 'nodes', 'resources', 'constraints', 'fencing-topology', 'op_defaults', 'rsc_defaults', 'acls', 'tags', 'alerts'];
    const rank = order.indexOf(name);
    let at = conf.children.length;
    for (let i = 0; i < conf.children.length; i++) {
      const c = conf.children[i];
      if (isElement(c) && order.indexOf(c.tag) > rank) { at = i; break; }
    }
    conf.children.splice(at, 0, s);
  }
  return s;
}

// ---- versions ----

export interface CibVersion {
  adminEpoch: number;
  epoch: number;
  numUpdates: number;
}

const num = (s: string | undefined) => (s !== undefined && /^\d+$/.test(s) ? Number(s) : 0);

export function versionOf(cib: Cib): CibVersion {
  return { adminEpoch: num(cib.attrs.admin_epoch), epoch: num(cib.attrs.epoch), numUpdates: num(cib.attrs.num_updates) };
}

export function compareVersions(a: CibVersion, b: CibVersion): number {
  return a.adminEpoch - b.adminEpoch || a.epoch - b.epoch || a.numUpdates - b.numUpdates;
}

export const formatVersion = (v: CibVersion) => `${v.adminEpoch}.${v.epoch}.${v.numUpdates}`;

/** A configuration change: epoch + 1, num_updates = 0 (as Pacemaker does). */
export function bumpEpoch(cib: Cib): void {
  const v = versionOf(cib);
  cib.attrs.epoch = String(v.epoch + 1);
  cib.attrs.num_updates = '0';
  if (cib.attrs.admin_epoch === undefined) cib.attrs.admin_epoch = '0';
}

// ---- ids ----

// pcs (lib/pacemaker/values.py): ids are ASCII NCNames (the rule is src/validate/id-rule.ts).
export { ID_FIRST_CHAR_NOT, ID_REST_CHARS_NOT } from '../validate/id-rule';

const NOT_ID_TAGS = new Set(['acl_target', 'role', 'obj_ref', 'resource_ref']);

/**
 * Every configuration element that carries an id, as pcs's get_configuration_elements_by_id
 * sees them: not under <status> (it keeps ids of deleted resources), not acl_target/role/obj_ref/
 * resource_ref, plus the implicit ids named by a primitive's remote-node meta attribute.
 */
export function idIndex(cib: Cib): Map<string, XmlElement> {
  const ids = new Map<string, XmlElement>();
  walk(cib, (e, parent) => {
    if (parent === cib && e.tag === 'status') return false;
    const id = e.attrs.id;
    if (id !== undefined && !NOT_ID_TAGS.has(e.tag) && !ids.has(id)) ids.set(id, e);
    if (e.tag === 'primitive') {
      for (const m of e.children) {
        if (!isElement(m) || m.tag !== 'meta_attributes') continue;
        for (const nv of m.children) if (isElement(nv) && nv.tag === 'nvpair' && nv.attrs.name === 'remote-node' && nv.attrs.value !== undefined && !ids.has(nv.attrs.value)) ids.set(nv.attrs.value, e);
      }
    }
  });
  return ids;
}

/** pcs's sanitize_id: drop an invalid first character and every invalid later one. */
export function sanitizeId(base: string, replacement = ''): string {
  if (!base) return base;
  return (ID_FIRST_CHAR_NOT.test(base[0]) ? '' : base[0]) + base.slice(1).replace(new RegExp(ID_REST_CHARS_NOT.source, 'g'), replacement);
}
