// JSON Schema validation of the JSON form (schemas/cib.schema.json) with ajv, all errors at once,
// in document order. ajv says which part of the schema failed (instancePath, keyword, params);
// each failure becomes the problem the command line reports for the same fact: an attribute's
// value is judged and worded by its rule in src/validate/attribute-facts.ts (the validators of
// `resource bundle create` and friends), unknown or missing attributes by pcs's names/required
// validators. Only what is no option (the tree's own shape) keeps SCHEMA_VIOLATION, in plain
// words. Locations are CIB paths (/cib/.../bundle[@id='b']/@replicas), never JSON pointers.
import { Problem, problem } from '../errors/registry';
import { attributeProblems, factsOf } from '../validate/attribute-facts';
import { namesIn, runAll } from '../validate/options';

type Validate = ((data: unknown) => boolean) & { errors?: AjvError[] | null };
interface AjvError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
}

let compiled: Validate | undefined;

function validator(): Validate {
  if (compiled) return compiled;
  // ajv (25 ms to load) and the schema are loaded on the first check, not at start-up: only JSON
  // input and `cib validate` need them. Deferred here, not in src/cli/lazy.ts: the pure core
  // imports nothing above it.
  const Ajv = (require('ajv') as typeof import('ajv')).default;
  const schema = require('../../schemas/cib.schema.json') as typeof import('../../schemas/cib.schema.json');
  const ajv = new Ajv({ allErrors: true, strict: false });
  compiled = ajv.compile(schema) as Validate;
  return compiled;
}

/** The schema's raw verdict: ajv's errors (for tests that hold the schema and the rules together). */
export function schemaErrors(data: unknown): AjvError[] {
  const v = validator();
  return v(data) ? [] : [...(v.errors ?? [])];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const unescape = (p: string) => p.replace(/~1/g, '/').replace(/~0/g, '~');

/** A node of the tree reached by a JSON pointer: its CIB path and, to order problems, its position. */
interface Located {
  node: unknown;
  path: string;
  /** children indexes from the root */
  position: number[];
  /** the rest of the pointer below the node: [] (the node), ['attrs'], ['attrs', name], ['tag'], ... */
  rest: string[];
}

/** An element's step as the rules write it (src/validate/cib-paths.ts); another node's XPath position. */
const step = (el: unknown, index = 0) => {
  if (!isObj(el) || typeof el.tag !== 'string') return `node()[${index + 1}]`;
  const id = isObj(el.attrs) && typeof el.attrs.id === 'string' ? `[@id='${el.attrs.id}']` : '';
  return el.tag + id;
};

function locate(data: unknown, pointer: string): Located {
  const parts = pointer.split('/').slice(1).map(unescape);
  let node = data;
  let path = '/' + step(data);
  const position: number[] = [];
  let i = 0;
  while (i + 1 < parts.length && parts[i] === 'children' && isObj(node) && Array.isArray(node.children)) {
    const index = Number(parts[i + 1]);
    node = node.children[index];
    path += '/' + step(node, index);
    position.push(index);
    i += 2;
  }
  return { node, path, position, rest: parts.slice(i) };
}

interface Found {
  problem: Problem;
  position: number[];
  /** the attribute's place among the element's attributes (0: the element itself) */
  attribute: number;
}

export function schemaProblems(data: unknown): Problem[] {
  const errors = schemaErrors(data);
  if (!errors.length) return [];
  const found: Found[] = [];
  const seen = new Set<string>();
  const add = (at: Located, attribute: number, ps: Problem[]) => {
    for (const p of ps) {
      const key = `${p.code}|${p.path}|${p.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      found.push({ problem: p, position: at.position, attribute });
    }
  };
  for (const e of errors) {
    // if/then and allOf wrap the inner error; a oneOf branch's errors are summed up by oneOf, and
    // a propertyNames error by its own
    if (e.keyword === 'if' || e.keyword === 'allOf' || e.schemaPath.includes('/oneOf/') || e.schemaPath.includes('/propertyNames/')) continue;
    const at = locate(data, e.instancePath);
    add(at, attributeIndex(at), wordError(e, at));
  }
  found.sort((a, b) => comparePositions(a.position, b.position) || a.attribute - b.attribute);
  return found.map((f) => f.problem);
}

function comparePositions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function attributeIndex(at: Located): number {
  if (at.rest[0] !== 'attrs' || at.rest.length < 2 || !isObj(at.node) || !isObj(at.node.attrs)) return 0;
  return Object.keys(at.node.attrs).indexOf(at.rest[1]) + 1;
}

/** String-valued attributes of an element (what a rule can judge; the others are reported as such). */
function stringAttrs(el: Obj): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObj(el.attrs)) for (const [k, v] of Object.entries(el.attrs)) if (typeof v === 'string') out[k] = v;
  return out;
}

const located = (path: string, ps: Problem[]) => ps.map((p): Problem => {
  // a file has no --force: what the command line lets --force pass is plainly an error here
  const { forceable: _forceable, ...rest } = p;
  return { ...rest, path };
});

const shape = (path: string, message: string, value?: unknown, allowed?: string) =>
  problem('SCHEMA_VIOLATION', { path, message, allowed, value: value === undefined ? undefined : typeof value === 'string' ? value : JSON.stringify(value) });

const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);

function wordError(e: AjvError, at: Located): Problem[] {
  const el = isObj(at.node) ? at.node : undefined;
  const tag = el && typeof el.tag === 'string' ? el.tag : undefined;
  const [first, name] = at.rest;
  const facts = tag !== undefined ? factsOf(tag) : undefined;
  if (first === 'attrs' && el && tag !== undefined) {
    if (name !== undefined && at.rest.length === 2) return attributeValue(e, at, el, tag, name);
    if (e.keyword === 'additionalProperties' && facts?.names && isObj(el.attrs)) {
      const names = Object.fromEntries(Object.keys(el.attrs).map((k) => [k, '']));
      return located(at.path, namesIn(facts.names, facts.type, false)(names));
    }
    if ((e.keyword === 'required' || e.keyword === 'oneOf') && facts) {
      const ps = located(at.path, runAll(facts.whole, stringAttrs(el)));
      if (ps.length) return ps;
    }
    if (e.keyword === 'propertyNames') {
      const bad = String(e.params.propertyName ?? '');
      return [shape(`${at.path}/@${bad}`, `'${bad}' is not a valid attribute name of <${tag}>, use a letter or '_' then letters, digits, '_', '.', ':' or '-'`, bad, 'an XML name')];
    }
    if (e.keyword === 'type') return [shape(at.path, `the attributes of <${tag}> are ${kind(el.attrs)}, use an object of names to text values`, el.attrs, 'an object')];
  }
  if (e.keyword === 'required' && e.params.missingProperty === 'attrs' && facts) {
    return located(at.path, runAll(facts.whole, {}));
  }
  if (first === 'tag' && el) {
    if (e.keyword === 'const' && at.position.length === 0) {
      return [problem('CIB_NOT_A_CIB', { path: '/', value: String(el.tag), allowed: 'cib', message: `the root element is <${String(el.tag)}>, a CIB has <cib>` })];
    }
    if (e.keyword === 'type') return [shape(at.path, `an element's tag is ${kind(el.tag)}, use the element's name`, el.tag, 'a string')];
    return [shape(at.path, `'${String(el.tag)}' is not a valid element name, use a letter or '_' then letters, digits, '_', '.', ':' or '-'`, el.tag, 'an XML name')];
  }
  if (first === 'comment' && el) {
    if (e.keyword === 'not') return [shape(at.path, "a comment cannot contain '--'", el.comment, "text without '--'")];
    return [shape(at.path, `a comment is ${kind(el.comment)}, use text`, el.comment, 'a string')];
  }
  if (first === 'text' && el) return [shape(at.path, `a text node is ${kind(el.text)}, use text`, el.text, 'a string')];
  if (first === 'children' && el) return [shape(`${at.path}/children`, `the children of <${tag ?? '?'}> are ${kind(el.children)}, use an array`, el.children, 'an array')];
  if (at.rest.length === 0) return [nodeShape(at)];
  return [shape(at.path, `the JSON form breaks the schema here (${e.keyword})`)];
}

/** A node that is neither an element, a comment nor text (or an element with keys of its own). */
function nodeShape(at: Located): Problem {
  const n = at.node;
  const keys = (o: Obj) => Object.keys(o).map((k) => `'${k}'`).join(', ') || 'no keys';
  if (isObj(n) && 'tag' in n) {
    const extra = Object.keys(n).filter((k) => !['tag', 'attrs', 'children'].includes(k));
    return shape(at.path, `an element has ${keys(Object.fromEntries(extra.map((k) => [k, 0])))}, the JSON form of an element has only tag, attrs and children`, extra.join(','), 'tag, attrs, children');
  }
  return shape(at.path, `a node is ${isObj(n) ? `an object with ${keys(n)}` : kind(n)}, use an element {tag, attrs, children}, a comment {comment} or text {text}`, n, 'an element, a comment or text');
}

function attributeValue(e: AjvError, at: Located, el: Obj, tag: string, name: string): Problem[] {
  const value = (el.attrs as Obj)[name];
  const path = `${at.path}/@${name}`;
  const facts = factsOf(tag);
  // an unknown attribute is one fact, reported by the names check of its element
  if (facts?.names && !facts.names.includes(name)) return [];
  if (typeof value !== 'string') return [shape(path, `attribute '${name}' of <${tag}> is ${kind(value)}, attribute values are text`, value, 'a string')];
  const ps = located(path, attributeProblems(tag, name, value));
  if (ps.length) return ps;
  // the schema refuses a value no rule knows of: say so plainly (a test keeps this from happening)
  return [shape(path, `'${value}' is not a valid ${name} value of <${tag}> (${e.keyword})`, value)];
}
