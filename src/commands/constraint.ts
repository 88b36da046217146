// Location, colocation and order constraints as pcs 0.11.5 creates, deletes and shows them
// (pcs/constraint.py, pcs/utils.py, pcs/rule.py, pcs/common/reports/constraints/), plus the
// reference check `berth cib validate` runs.
//
// pcs writes these with cibadmin, so Pacemaker's schema (constraints-3.x.rng, score.rng) is the
// last judge of what pcs accepts: where pcs writes something the schema then refuses, berth
// refuses it up front with the reason. Where pcs commits some of a multi-part command before a
// later part fails, berth changes nothing (all or nothing).
//
// Terms: a "plain" constraint names its resources in attributes (rsc, with-rsc, first, then); a
// "set" constraint holds <resource_set>s of <resource_ref>s instead.
import { Cib, sanitizeId, section } from '../cib/cib';
import { XmlElement, canonical, cloneTree, elements, isElement, walk } from '../cib/xml';
import { BerthError, Problem, applyForce, failIfErrors, problem, usage, warning } from '../errors/registry';
import { splitOption } from './pcs-words';
import { validateId } from '../validate/ids';
import { invalidScore, schemaScore } from '../validate/score';
import { colocationProblems } from '../validate/colocation-rules';
import { orderProblems } from '../validate/order-rules';
import { EditCommand, EditFlags, EditResult, ReadCommand } from './edit';

// ---- values ----

export const SCORE_INFINITY = 'INFINITY';

/** pcs's is_score: INFINITY or digits, with one optional sign. */
export function isScore(v: string): boolean {
  if (!v) return false;
  const unsigned = v[0] === '+' || v[0] === '-' ? v.slice(1) : v;
  return unsigned === SCORE_INFINITY || /^[0-9]+$/.test(unsigned);
}

/** pcs's const.PCMK_ROLES, in its order. */
const PCMK_ROLES = ['Stopped', 'Started', 'Promoted', 'Master', 'Unpromoted', 'Slave'];
const LEGACY_ROLES: Record<string, string> = { Master: 'Promoted', Slave: 'Unpromoted' };
const PCMK_ACTIONS = ['start', 'stop', 'promote', 'demote'];
const DEFAULT_ROLE = 'Started';
const DEFAULT_ACTION = 'start';

/** Python's str.capitalize. */
const capitalize = (s: string) => (s ? s[0].toUpperCase() + s.slice(1).toLowerCase() : s);
const formatList = (items: Iterable<string>) => [...items].sort().map((i) => `'${i}'`).join(', ');
const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Promoted/Unpromoted are CIB values from schema 3.7 on; older CIBs take Master/Slave. */
function newRolesSupported(cib: Cib): boolean {
  const m = /^pacemaker-(\d+)\.(\d+)/.exec(cib.attrs['validate-with'] ?? '');
  if (!m) return true;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 3 || (major === 3 && minor >= 7);
}

const rolePrimary = (role: string) => LEGACY_ROLES[role] ?? role;
function roleForCib(role: string, newRoles: boolean): string {
  if (newRoles) return rolePrimary(role);
  if (role === 'Promoted') return 'Master';
  if (role === 'Unpromoted') return 'Slave';
  return role;
}

/** pcs's colocation role argument: case-insensitive, legacy names deprecated. */
function parseRole(role: string, newRoles: boolean, warnings: Problem[]): string {
  const cleaned = capitalize(role);
  if (!PCMK_ROLES.includes(cleaned)) {
    throw new BerthError([problem('OPTION_INVALID_VALUE', { path: 'role', value: role, allowed: PCMK_ROLES.join(', '), message: `invalid role value '${role}', allowed values are: ${formatList(PCMK_ROLES)}` })]);
  }
  if (LEGACY_ROLES[cleaned]) {
    warnings.push(warning('OPTION_DEPRECATED', { path: 'role', value: role, allowed: LEGACY_ROLES[cleaned], message: `Role value '${role}' is deprecated and should not be used, use '${LEGACY_ROLES[cleaned]}' instead` }));
  }
  return roleForCib(cleaned, newRoles);
}

/** pcs's split_option(allow_empty_value=False). */
function splitNonEmptyOption(arg: string): [string, string] {
  const [k, v] = splitOption(arg);
  if (v === '') throw usage(`value of '${k}' option is empty`);
  return [k, v];
}

// ---- the CIB as pcs's utils sees it ----

/** Parents of every element, for walking up. */
function parentMap(cib: Cib): Map<XmlElement, XmlElement> {
  const parents = new Map<XmlElement, XmlElement>();
  walk(cib, (e, p) => { if (p) parents.set(e, p); });
  return parents;
}

/** First element (document order) with one of the tags and the id, like dom_get_clone & co. */
function findTagged(cib: Cib, tags: string[], id: string): XmlElement | undefined {
  let found: XmlElement | undefined;
  walk(cib, (e) => {
    if (found) return false;
    if (tags.includes(e.tag) && e.attrs.id === id) found = e;
  });
  return found;
}

function ancestorWith(parents: Map<XmlElement, XmlElement>, e: XmlElement, tags: string[]): XmlElement | undefined {
  for (let p = parents.get(e); p; p = parents.get(p)) if (tags.includes(p.tag)) return p;
  return undefined;
}

/**
 * pcs's does_id_exist: any element below a non-status section of the CIB with that id. Wider than
 * IdProvider (it counts resource_ref, acl ids, ...), and that is what pcs uses for constraints.
 */
function idsInUse(cib: Cib, skip?: XmlElement): Set<string> {
  const ids = new Set<string>();
  for (const s of elements(cib)) {
    if (s.tag === 'status') continue;
    walk(s, (e) => {
      if (e === skip) return false;
      if (e !== s && e.attrs.id !== undefined) ids.add(e.attrs.id);
    });
  }
  return ids;
}

/** pcs's find_unique_id: `<id>-1`, `-2`, ... until unused. */
function uniqueId(inUse: Set<string>, proposed: string): string {
  let candidate = proposed;
  for (let i = 1; inUse.has(candidate); i++) candidate = `${proposed}-${i}`;
  return candidate;
}

/** A user-given constraint id: valid and unused (pcs: validate_xml_id + does_id_exist). */
function userIdProblems(id: string, inUse: Set<string>): Problem[] {
  const invalid = validateId(id, 'constraint id');
  if (invalid.length) return [invalid[0]];
  if (inUse.has(id)) return [problem('ID_DUPLICATE', { path: 'id', value: id, message: `id '${id}' is already in use, please specify another one` })];
  return [];
}

/**
 * pcs's validate_constraint_resource: clones, bundles and promotables are always fine; a primitive
 * or group must exist and, unless forced, must not sit inside a clone or bundle.
 */
function constraintResourceProblems(cib: Cib, parents: Map<XmlElement, XmlElement>, id: string, path: string, force: boolean): Problem[] {
  if (findTagged(cib, ['clone', 'master', 'bundle'], id)) return [];
  const resource = findTagged(cib, ['primitive'], id) ?? findTagged(cib, ['group'], id);
  if (!resource) {
    return [problem('ID_NOT_FOUND', { path, value: id, message: `Resource '${id}' does not exist` })];
  }
  const outer = ancestorWith(parents, resource, ['clone', 'master']) ?? (resource.tag === 'primitive' ? ancestorWith(parents, resource, ['bundle']) : undefined);
  if (!outer || force) return [];
  const kind = outer.tag === 'bundle' ? 'bundle' : 'clone';
  return [problem('CONSTRAINT_INVALID', {
    path,
    value: id,
    allowed: outer.attrs.id,
    forceable: true,
    message: `${id} is a ${kind} resource, you should use the ${kind} id: ${outer.attrs.id} when adding constraints`,
  })];
}

// ---- what Pacemaker's schema allows on plain constraints (constraints-3.x.rng) ----

type AttrType = 'id' | 'idref' | 'text' | 'score' | 'boolean' | 'role' | 'action' | 'kind' | 'discovery';
const CONSTRAINT_ATTRS: Record<string, Record<string, AttrType>> = {
  rsc_location: { id: 'id', rsc: 'idref', 'rsc-pattern': 'text', role: 'role', score: 'score', node: 'text', 'resource-discovery': 'discovery' },
  rsc_colocation: { id: 'id', score: 'score', influence: 'text', rsc: 'idref', 'with-rsc': 'idref', 'node-attribute': 'text', 'rsc-role': 'role', 'with-rsc-role': 'role' },
  rsc_order: { id: 'id', symmetrical: 'boolean', 'require-all': 'boolean', score: 'score', kind: 'kind', first: 'idref', then: 'idref', 'first-action': 'action', 'then-action': 'action' },
};
const KINDS = ['Optional', 'Mandatory', 'Serialize'];
const DISCOVERY = ['always', 'never', 'exclusive'];
const XSD_BOOLEAN = ['true', 'false', '1', '0'];
const schemaRoles = (newRoles: boolean) => (newRoles ? ['Stopped', 'Started', 'Master', 'Slave', 'Promoted', 'Unpromoted'] : ['Stopped', 'Started', 'Master', 'Slave']);

const LABEL: Record<string, string> = { rsc_location: 'location', rsc_colocation: 'colocation', rsc_order: 'order' };

/**
 * The attributes pcs put on a new constraint, checked as Pacemaker's schema will check them (pcs
 * leaves this to cibadmin, which refuses the whole update).
 */
function schemaProblems(c: XmlElement, inUse: Set<string>, newRoles: boolean): Problem[] {
  const spec = CONSTRAINT_ATTRS[c.tag];
  const label = LABEL[c.tag];
  const out: Problem[] = [];
  const unknown = Object.keys(c.attrs).filter((a) => !(a in spec));
  if (unknown.length) {
    out.push(problem('OPTION_UNKNOWN', {
      path: label,
      value: unknown.join(','),
      allowed: Object.keys(spec).sort().join(', '),
      message: `invalid ${label} constraint option${unknown.length > 1 ? 's:' : ''} ${formatList(unknown)}, allowed options are: ${formatList(Object.keys(spec))}`,
    }));
  }
  const bad = (name: string, allowed: string[] | string) =>
    problem('OPTION_INVALID_VALUE', {
      path: name,
      value: c.attrs[name],
      allowed: Array.isArray(allowed) ? allowed.join(', ') : allowed,
      message: `'${c.attrs[name]}' is not a valid ${name} value, use ${Array.isArray(allowed) ? formatList(allowed) : allowed}`,
    });
  for (const [name, value] of Object.entries(c.attrs)) {
    switch (spec[name]) {
      case 'id': {
        const p = validateId(value, 'constraint id');
        if (p.length) out.push({ ...p[0], message: `${p[0].message}; give the constraint a valid id with id=` });
        break;
      }
      case 'idref':
        if (!inUse.has(value)) out.push(problem('ID_NOT_FOUND', { path: name, value, message: `'${value}' in ${name} does not exist` }));
        break;
      case 'score':
        if (!schemaScore(value)) out.push(invalidScore(value));
        break;
      case 'boolean':
        if (!XSD_BOOLEAN.includes(value)) out.push(bad(name, XSD_BOOLEAN));
        break;
      case 'role':
        if (!schemaRoles(newRoles).includes(value)) out.push(bad(name, schemaRoles(newRoles)));
        break;
      case 'action':
        if (!PCMK_ACTIONS.includes(value)) out.push(bad(name, PCMK_ACTIONS));
        break;
      case 'kind':
        if (!KINDS.includes(value)) out.push(bad(name, KINDS));
        break;
      case 'discovery':
        if (!DISCOVERY.includes(value)) out.push(bad(name, DISCOVERY));
        break;
      default:
        break;
    }
  }
  if (c.tag === 'rsc_order' && 'score' in c.attrs && 'kind' in c.attrs) {
    out.push(problem('OPTION_CONFLICT', { path: 'order', value: 'kind,score', message: "Only one of order constraint options 'kind' and 'score' can be used" }));
  }
  return out;
}

// ---- constraint text (pcs/common/reports/constraints) ----

/** pcs's export_attributes: the attributes, role values in their primary names. */
function exportAttributes(e: XmlElement): Record<string, string> {
  const out = { ...e.attrs };
  for (const r of ['role', 'rsc-role', 'with-rsc-role']) if (r in out) out[r] = rolePrimary(capitalize(out[r]));
  return out;
}

const isTrue = (v: string) => ['true', 'on', 'yes', 'y', '1'].includes(v.toLowerCase());

export function colocationPlain(o: Record<string, string>, withId: boolean): string {
  const rest = Object.keys(o).filter((k) => !['rsc', 'with-rsc', 'id', 'score'].includes(k)).sort(byCodePoint).map((k) => `(${k}:${o[k]})`);
  if (withId) rest.push(`(id:${o.id ?? ''})`);
  return [o.rsc ?? '', 'with', o['with-rsc'] ?? '', `(score:${o.score ?? ''})`, ...rest].join(' ');
}

export function orderPlain(o: Record<string, string>, withId: boolean): string {
  const sym = 'symmetrical' in o && !isTrue(o.symmetrical) ? '(non-symmetrical)' : '';
  const kind = o.kind ?? '';
  const score = o.score ?? '';
  const scoreText = kind !== '' ? `(kind:${kind})` : score === '' ? '(kind:Mandatory)' : `(score:${score})`;
  const done = ['first', 'then', 'first-action', 'then-action', 'id', 'score', 'kind', 'symmetrical'];
  const others = Object.keys(o).filter((k) => !done.includes(k)).map((k) => `${k}=${o[k]}`).join(' ');
  return [o['first-action'] ?? '', o.first ?? '', 'then', o['then-action'] ?? '', o.then ?? '', scoreText, sym, others ? `(Options: ${others})` : '', withId ? `(id:${o.id ?? ''})` : '']
    .filter((p) => p)
    .join(' ');
}

const plainOptions = (o: Record<string, string>) => Object.keys(o).filter((k) => k !== 'id').sort(byCodePoint).map((k) => `${k}=${o[k]}`);

export function ticketPlain(o: Record<string, string>, withId: boolean): string {
  const role = o['rsc-role'] ?? '';
  const rest: Record<string, string> = {};
  for (const k of Object.keys(o)) if (k !== 'rsc-role' && k !== 'rsc') rest[k] = o[k];
  return (role ? `${role} ` : '') + [o.rsc ?? '', ...plainOptions(rest), ...(withId ? [`(id:${rest.id ?? ''})`] : [])].join(' ');
}

function descendants(e: XmlElement, tag: string): XmlElement[] {
  const out: XmlElement[] = [];
  walk(e, (x) => { if (x !== e && x.tag === tag) out.push(x); });
  return out;
}

function withSets(c: XmlElement, withId: boolean): string {
  const parts: string[] = [];
  for (const set of descendants(c, 'resource_set')) {
    const o = exportAttributes(set);
    parts.push('set', ...descendants(set, 'resource_ref').map((r) => r.attrs.id ?? ''), ...plainOptions(o));
    if (withId) parts.push(`(id:${o.id ?? ''})`);
  }
  const o = exportAttributes(c);
  const opts = plainOptions(o);
  if (opts.length) parts.push('setoptions', ...opts);
  if (withId) parts.push(`(id:${o.id ?? ''})`);
  return parts.join(' ');
}

// ---- location text (pcs/constraint.py location_lines, pcs/rule.py ExportDetailed) ----

function attributeList(e: XmlElement, full: boolean): string[] {
  const out = Object.keys(e.attrs)
    .filter((k) => k !== 'id')
    .sort(byCodePoint)
    .map((k) => `${k}=${k === 'role' ? rolePrimary(capitalize(e.attrs[k])) : e.attrs[k]}`);
  if (full) out.push(`(id:${e.attrs.id ?? ''})`);
  return out;
}

function ruleLines(rule: XmlElement, full: boolean): string[] {
  const lines = [`Rule: ${attributeList(rule, full).join(' ')}`];
  const nest = (more: string[]) => { for (const l of more) lines.push(`  ${l}`); };
  for (const c of elements(rule)) {
    if (c.tag === 'expression') nest([expressionLine(c, full)]);
    else if (c.tag === 'date_expression') nest(dateExpressionLines(c, full));
    else if (c.tag === 'rule') nest(ruleLines(c, full));
  }
  return lines;
}

function expressionLine(e: XmlElement, full: boolean): string {
  const a = e.attrs;
  const parts = 'value' in a ? [a.attribute ?? '', a.operation ?? '', ...('type' in a ? [a.type] : []), a.value] : [a.operation ?? '', a.attribute ?? ''];
  if (full) parts.push(`(id:${a.id ?? ''})`);
  return `Expression: ${parts.join(' ')}`;
}

function dateExpressionLines(e: XmlElement, full: boolean): string[] {
  const a = e.attrs;
  const id = full ? [`(id:${a.id ?? ''})`] : [];
  if (a.operation === 'date_spec') {
    const spec = descendants(e, 'date_spec')[0];
    return [['Expression:', ...id].join(' '), `  Date Spec: ${spec ? attributeList(spec, full).join(' ') : ''}`];
  }
  if (a.operation === 'in_range') {
    const duration = descendants(e, 'duration')[0];
    const parts = ['date', 'in_range', ...('start' in a ? [a.start, 'to'] : []), ...('end' in a ? [a.end] : []), ...(duration ? ['duration'] : []), ...id];
    const lines = [`Expression: ${parts.join(' ')}`];
    if (duration) lines.push(`  Duration: ${attributeList(duration, full).join(' ')}`);
    return lines;
  }
  return [`Expression: ${['date', a.operation ?? '', ...('start' in a ? [a.start] : []), ...('end' in a ? [a.end] : []), ...id].join(' ')}`];
}

/** pcs parses scores with int(); berth also takes +INFINITY (on which pcs crashes) as positive. */
function scoreIsPositive(score: string): boolean {
  if (score === 'INFINITY' || score === '+INFINITY') return true;
  if (score === '-INFINITY') return false;
  const t = score.trim();
  return /^[+-]?\d+(_\d+)*$/.test(t) ? Number(t.replace(/_/g, '')) >= 0 : true;
}

interface LocationEntry { id: string; node: string; score: string; role: string; discovery: string }
interface LocationRule { constraint: XmlElement; rule: XmlElement }
interface LocationTarget { type: 'resource' | 'regexp'; value: string; label: string; on: LocationEntry[]; off: LocationEntry[]; rules: LocationRule[] }

export function locationLines(constraints: XmlElement, full: boolean): string[] {
  const targets = new Map<string, LocationTarget>();
  for (const loc of descendants(constraints, 'rsc_location')) {
    const pattern = 'rsc-pattern' in loc.attrs;
    const value = pattern ? loc.attrs['rsc-pattern'] : loc.attrs.rsc ?? '';
    const key = `${pattern ? 'regexp' : 'resource'}\u0000${value}`;
    let t = targets.get(key);
    if (!t) {
      t = { type: pattern ? 'regexp' : 'resource', value, label: pattern ? `Resource pattern: ${value}` : `Resource: ${value}`, on: [], off: [], rules: [] };
      targets.set(key, t);
    }
    const score = loc.attrs.score || '0';
    const entry = { id: loc.attrs.id ?? '', node: loc.attrs.node ?? '', score, role: rolePrimary(capitalize(loc.attrs.role ?? '')), discovery: loc.attrs['resource-discovery'] ?? '' };
    (scoreIsPositive(score) ? t.on : t.off).push(entry);
    for (const rule of elements(loc, 'rule')) t.rules.push({ constraint: loc, rule });
  }
  const sorted = [...targets.values()].sort((a, b) => (a.type === b.type ? byCodePoint(a.value, b.value) : a.type === 'regexp' ? -1 : 1));
  const lines = ['Location Constraints:'];
  for (const t of sorted) {
    const own: string[] = [`  ${t.label}`];
    for (const [entries, label] of [[t.on, '    Enabled on:'], [t.off, '    Disabled on:']] as const) {
      const nodeLines = entries
        .filter((e) => e.node)
        .map((e) => ['      Node: ' + e.node, `(score:${e.score})`, ...(e.role ? [`(role:${e.role})`] : []), ...(e.discovery ? [`(resource-discovery=${e.discovery})`] : []), ...(full ? [`(id:${e.id})`] : [])].join(' '));
      if (nodeLines.length) own.push(label, ...nodeLines);
    }
    own.push(...locationRuleLines(t.rules, full));
    if (own.length > 2) lines.push(...own);
  }
  return lines;
}

/** Rules grouped by their constraint, constraints in id order; none is ever shown as expired. */
function locationRuleLines(rules: LocationRule[], full: boolean): string[] {
  const byConstraint = new Map<string, LocationRule[]>();
  for (const r of rules) {
    const id = r.constraint.attrs.id ?? '';
    byConstraint.set(id, [...(byConstraint.get(id) ?? []), r]);
  }
  const out: string[] = [];
  for (const id of [...byConstraint.keys()].sort(byCodePoint)) {
    const group = byConstraint.get(id)!;
    const rd = group[0].constraint.attrs['resource-discovery'];
    out.push(`    Constraint: ${id}${rd ? ` (resource-discovery=${rd})` : ''}`);
    for (const { rule } of group) for (const l of ruleLines(rule, full)) out.push(`      ${l}`);
  }
  return out;
}

function sectionLines(constraints: XmlElement, tag: string, caption: string, isPlain: (e: XmlElement) => boolean, plain: (o: Record<string, string>, full: boolean) => string, full: boolean): string[] {
  const all = descendants(constraints, tag);
  const lines = [caption, ...all.filter(isPlain).map((e) => `  ${plain(exportAttributes(e), full)}`)];
  const sets = all.filter((e) => !isPlain(e));
  if (sets.length) lines.push('  Resource Sets:', ...sets.map((e) => `    ${withSets(e, full)}`));
  return lines;
}

/** The text of `pcs constraint config [--full]`. */
export function constraintConfigText(cib: Cib, full: boolean): string {
  const constraints = section(cib, 'constraints');
  const lines = [
    ...locationLines(constraints, full),
    ...sectionLines(constraints, 'rsc_order', 'Ordering Constraints:', (e) => 'first' in e.attrs, orderPlain, full),
    ...sectionLines(constraints, 'rsc_colocation', 'Colocation Constraints:', (e) => 'rsc' in e.attrs, colocationPlain, full),
    ...sectionLines(constraints, 'rsc_ticket', 'Ticket Constraints:', (e) => 'rsc' in e.attrs, ticketPlain, full),
  ];
  return lines.join('\n') + '\n';
}

// ---- constraint data (--json): pcs's CibConstraintsDto shape (pcs >= 0.11.6) ----

/** A rule (or expression) as plain data: its tag, its attributes, its children. */
export interface RuleJson { id: string; type: string; options: Record<string, string>; expressions: RuleJson[] }
export function ruleJson(e: XmlElement): RuleJson {
  const { id, ...options } = e.attrs;
  return { id: id ?? '', type: e.tag, options, expressions: elements(e).map(ruleJson) };
}

const opt = (v: string | undefined) => (v === undefined ? null : v);
const optBool = (v: string | undefined) => (v === undefined ? null : isTrue(v));
const optInt = (v: string | undefined) => (v === undefined || !/^[+-]?\d+$/.test(v) ? null : Number(v));
const optRole = (v: string | undefined) => (v === undefined ? null : rolePrimary(capitalize(v)));

export interface ResourceSetJson {
  set_id: string; sequential: boolean | null; require_all: boolean | null; ordering: string | null; action: string | null;
  role: string | null; score: string | null; kind: string | null; resources_ids: string[];
}
export interface ConstraintsJson {
  location: unknown[]; location_set: unknown[]; colocation: unknown[]; colocation_set: unknown[];
  order: unknown[]; order_set: unknown[]; ticket: unknown[]; ticket_set: unknown[];
}

function setJson(s: XmlElement): ResourceSetJson {
  const a = s.attrs;
  return {
    set_id: a.id ?? '', sequential: optBool(a.sequential), require_all: optBool(a['require-all']), ordering: opt(a.ordering),
    action: opt(a.action), role: optRole(a.role), score: opt(a.score), kind: opt(a.kind),
    resources_ids: elements(s, 'resource_ref').map((r) => r.attrs.id ?? ''),
  };
}

const lifetime = (c: XmlElement): RuleJson[] => elements(c, 'lifetime').flatMap((l) => elements(l, 'rule').map(ruleJson));

export function constraintsJson(cib: Cib): ConstraintsJson {
  const out: ConstraintsJson = { location: [], location_set: [], colocation: [], colocation_set: [], order: [], order_set: [], ticket: [], ticket_set: [] };
  for (const c of elements(section(cib, 'constraints'))) {
    const a = c.attrs;
    const sets = elements(c, 'resource_set').map(setJson);
    if (c.tag === 'rsc_location') {
      const attributes = { constraint_id: a.id ?? '', score: opt(a.score), node: opt(a.node), rules: elements(c, 'rule').map(ruleJson), lifetime: lifetime(c), resource_discovery: opt(a['resource-discovery']) };
      if (sets.length) out.location_set.push({ resource_sets: sets, attributes });
      else out.location.push({ resource_id: opt(a.rsc), resource_pattern: opt(a['rsc-pattern']), role: optRole(a.role), attributes });
    } else if (c.tag === 'rsc_colocation') {
      const attributes = { constraint_id: a.id ?? '', score: opt(a.score), influence: opt(a.influence), lifetime: lifetime(c) };
      if (sets.length) out.colocation_set.push({ resource_sets: sets, attributes });
      else out.colocation.push({
        resource_id: a.rsc ?? '', with_resource_id: a['with-rsc'] ?? '', node_attribute: opt(a['node-attribute']), resource_role: optRole(a['rsc-role']),
        with_resource_role: optRole(a['with-rsc-role']), resource_instance: optInt(a['rsc-instance']), with_resource_instance: optInt(a['with-rsc-instance']), attributes,
      });
    } else if (c.tag === 'rsc_order') {
      const attributes = { constraint_id: a.id ?? '', symmetrical: optBool(a.symmetrical), require_all: optBool(a['require-all']), score: opt(a.score), kind: opt(a.kind) };
      if (sets.length) out.order_set.push({ resource_sets: sets, attributes });
      else out.order.push({
        first_resource_id: a.first ?? '', then_resource_id: a.then ?? '', first_action: opt(a['first-action']), then_action: opt(a['then-action']),
        first_resource_instance: optInt(a['first-instance']), then_resource_instance: optInt(a['then-instance']), attributes,
      });
    } else if (c.tag === 'rsc_ticket') {
      const attributes = { constraint_id: a.id ?? '', ticket: a.ticket ?? '', loss_policy: opt(a['loss-policy']) };
      if (sets.length) out.ticket_set.push({ resource_sets: sets, attributes });
      else out.ticket.push({ resource_id: a.rsc ?? '', role: optRole(a['rsc-role']), attributes });
    }
  }
  return out;
}

/** `constraint config [--full] [--all] [--json]` */
export const constraintConfig: ReadCommand = ({ cib, args, flags }) => {
  if (args.length) throw usage('constraint config takes no arguments');
  return flags.json ? JSON.stringify(constraintsJson(cib), null, 2) + '\n' : constraintConfigText(cib, flags.full === true);
};

// ---- building constraints ----

/** Apply a change to a copy of <constraints>; put it in place only when it succeeded. */
function changeConstraints(cib: Cib, change: (work: XmlElement) => Problem[]): EditResult {
  const constraints = section(cib, 'constraints');
  const before = canonical(constraints);
  const work = cloneTree(constraints);
  const warnings = change(work);
  failIfErrors(warnings);
  constraints.attrs = work.attrs;
  constraints.children = work.children;
  return { warnings, changed: canonical(constraints) !== before };
}

/** pcs's <constraint>_find_duplicates: plain constraints of the tag with the same key. */
function duplicates(constraints: XmlElement, c: XmlElement, key: (e: XmlElement) => string): XmlElement[] {
  const k = key(c);
  return descendants(constraints, c.tag).filter((o) => o !== c && !descendants(o, 'resource_set').length && key(o) === k);
}

function duplicateProblem(dups: XmlElement[], plain: (o: Record<string, string>, withId: boolean) => string): Problem {
  return problem('CONSTRAINT_DUPLICATE', {
    path: dups[0].tag,
    value: dups.map((d) => d.attrs.id ?? '').join(','),
    forceable: true,
    message: `duplicate constraint already exists\n${dups.map((d) => `  ${plain({ ...d.attrs }, true)}`).join('\n')}`,
  });
}

// ---- location ----

const LOCATION_USAGE = 'constraint location RESOURCE prefers|avoids NODE[=SCORE]... | location add ID RESOURCE NODE SCORE [resource-discovery=OPTION] | location delete|remove ID';

/** pcs's parse_typed_arg for location resources: `resource%ID`, `%ID`, `regexp%PATTERN` or `ID`. */
function typedResource(arg: string): { type: 'resource' | 'regexp'; value: string } {
  const i = arg.indexOf('%');
  if (i < 0) return { type: 'resource', value: arg };
  const type = arg.slice(0, i);
  const value = arg.slice(i + 1);
  if (!type) return { type: 'resource', value };
  if (type !== 'resource' && type !== 'regexp') throw usage(`'${type}' is not an allowed type for '${arg}', use regexp, resource`);
  return { type, value };
}

/** Node names pcs knows: cluster nodes (berth: the CIB's <nodes>), remote and guest nodes. */
export function knownNodes(cib: Cib): Set<string> {
  const names = new Set<string>();
  walk(cib, (e, p) => {
    if (e.tag === 'status') return false;
    if (e.tag === 'node' && p?.tag === 'nodes' && e.attrs.uname) names.add(e.attrs.uname);
    if (e.tag === 'primitive' && e.attrs.class === 'ocf' && e.attrs.provider === 'pacemaker' && e.attrs.type === 'remote' && e.attrs.id) names.add(e.attrs.id);
    if (e.tag === 'nvpair' && e.attrs.name === 'remote-node' && p?.tag === 'meta_attributes' && e.attrs.value) names.add(e.attrs.value);
  });
  return names;
}

/** pcs checks node names only against a live cluster: not with -f, not with --force. */
function nodeProblems(cib: Cib, flags: EditFlags, nodes: string[]): Problem[] {
  if (flags.file || flags.force) return [];
  const known = knownNodes(cib);
  return nodes.filter((n) => !known.has(n)).map((n) => problem('ID_NOT_FOUND', { path: 'node', value: n, forceable: true, message: `Node '${n}' does not appear to exist in configuration` }));
}

interface LocationPlacement { id: string; type: 'resource' | 'regexp'; value: string; node: string; score: string; options: [string, string][] }

/**
 * pcs's location_add: a location with the same id, or for the same resource and node, is
 * replaced; the new one goes last.
 */
function placeLocation(cib: Cib, work: XmlElement, p: LocationPlacement, newRoles: boolean): Problem[] {
  const replaced = (e: XmlElement) =>
    e.attrs.id === p.id || ((e.attrs.node ?? '') === p.node && (p.type === 'resource' ? (e.attrs.rsc ?? '') === p.value : (e.attrs['rsc-pattern'] ?? '') === p.value));
  const drop = new Set(descendants(work, 'rsc_location').filter(replaced));
  const prune = (e: XmlElement) => { e.children = e.children.filter((c) => !(isElement(c) && drop.has(c))); for (const c of elements(e)) prune(c); };
  prune(work);
  const c: XmlElement = { tag: 'rsc_location', attrs: { id: p.id, [p.type === 'resource' ? 'rsc' : 'rsc-pattern']: p.value, node: p.node, score: p.score }, children: [] };
  for (const [k, v] of p.options) c.attrs[k] = v;
  const inUse = new Set([...idsInUse(cib, section(cib, 'constraints')), ...idsInUse(wrap(work))]);
  const out = schemaProblems(c, inUse, newRoles);
  if (inUse.has(p.id)) out.push(problem('ID_DUPLICATE', { path: 'id', value: p.id, message: `id '${p.id}' is already in use by another element, the location constraint cannot get it` }));
  work.children.push(c);
  return out;
}

/** A detached <constraints> seen as a section of a CIB, for idsInUse. */
const wrap = (constraints: XmlElement): Cib => ({ tag: 'cib', attrs: {}, children: [{ tag: 'configuration', attrs: {}, children: [constraints] }] });

function locationPrefers(cib: Cib, args: string[], flags: EditFlags): EditResult {
  const [rsc, mode, ...nodeConfs] = args;
  const target = typedResource(rsc);
  if (mode !== 'prefers' && mode !== 'avoids') throw usage(LOCATION_USAGE);
  const prefer = mode === 'prefers';
  const problems: Problem[] = [];
  const placements: LocationPlacement[] = [];
  for (const conf of nodeConfs) {
    const eq = conf.indexOf('=');
    const node = eq < 0 ? conf : conf.slice(0, eq);
    let score = prefer ? SCORE_INFINITY : `-${SCORE_INFINITY}`;
    if (eq >= 0) {
      score = conf.slice(eq + 1);
      if (!isScore(score)) { problems.push(invalidScore(score, `${node}`)); continue; }
      if (!prefer) {
        // pcs negates by text, so '+5' would become '-+5', which the schema refuses
        if (score[0] === '+') {
          problems.push(problem('SCORE_INVALID', { path: node, value: score, allowed: 'a score without a + sign', message: `invalid score '${score}' for avoids: its negation '-${score}' is not a valid score, write it without '+'` }));
          continue;
        }
        score = score[0] === '-' ? score.slice(1) : `-${score}`;
      }
    }
    placements.push({ id: sanitizeId(`location-${target.value}-${node}-${score}`), type: target.type, value: target.value, node, score, options: [] });
  }
  problems.push(...nodeProblems(cib, flags, nodeConfs.map((c) => c.split('=')[0])));
  if (target.type === 'resource') problems.push(...constraintResourceProblems(cib, parentMap(cib), target.value, 'rsc', flags.force));
  const checked = applyForce(problems, flags.force);
  failIfErrors(checked);
  const newRoles = newRolesSupported(cib);
  return changeConstraints(cib, (work) => [...checked, ...placements.flatMap((p) => placeLocation(cib, work, p, newRoles))]);
}

function locationAdd(cib: Cib, args: string[], flags: EditFlags): EditResult {
  if (args.length < 4) throw usage(LOCATION_USAGE);
  const [id, rsc, node, score, ...rest] = args;
  const target = typedResource(rsc);
  const options: [string, string][] = [];
  const problems: Problem[] = [];
  for (const arg of rest) {
    const eq = arg.indexOf('=');
    if (eq < 0) throw usage(`bad option '${arg}'`);
    const name = arg.slice(0, eq);
    options.push([name, arg.slice(eq + 1)]);
    if (name !== 'resource-discovery') problems.push(problem('OPTION_UNKNOWN', { path: 'location', value: name, allowed: 'resource-discovery', forceable: true, message: `bad option '${name}'` }));
  }
  problems.push(...nodeProblems(cib, flags, [node]));
  if (!isScore(score)) problems.push(invalidScore(score));
  const invalidId = validateId(id, 'constraint id');
  if (invalidId.length) problems.push(invalidId[0]);
  if (target.type === 'resource') problems.push(...constraintResourceProblems(cib, parentMap(cib), target.value, 'rsc', flags.force));
  const checked = applyForce(problems, flags.force);
  failIfErrors(checked);
  const newRoles = newRolesSupported(cib);
  return changeConstraints(cib, (work) => [...checked, ...placeLocation(cib, work, { id, type: target.type, value: target.value, node, score, options }, newRoles)]);
}

function locationRemove(cib: Cib, args: string[]): EditResult {
  if (args.length !== 1) throw usage(LOCATION_USAGE);
  const [id] = args;
  return changeConstraints(cib, (work) => {
    const drop = new Set(descendants(work, 'rsc_location').filter((e) => e.attrs.id === id));
    if (!drop.size) return [problem('ID_NOT_FOUND', { path: 'id', value: id, message: `resource location id: ${id} not found.` })];
    const prune = (e: XmlElement) => { e.children = e.children.filter((c) => !(isElement(c) && drop.has(c))); for (const c of elements(e)) prune(c); };
    prune(work);
    return [];
  });
}

/**
 * `constraint location RESOURCE prefers|avoids NODE[=SCORE]...`, `location add ID RESOURCE NODE
 * SCORE [OPTION=VALUE]...`, `location delete|remove ID`.
 */
export const constraintLocation: EditCommand = ({ cib, args, flags }) => {
  if (!args.length) throw usage(LOCATION_USAGE);
  const [sub, ...rest] = args;
  if (sub === 'add') return locationAdd(cib, rest, flags);
  if (sub === 'remove' || sub === 'delete') return locationRemove(cib, rest);
  if (sub === 'show' || sub === 'config') throw usage("to list constraints use 'constraint config'");
  if (rest.length < 2) throw usage(LOCATION_USAGE);
  if (rest[0] === 'rule') throw usage('location constraints with rules are not supported by berth');
  return locationPrefers(cib, args, flags);
};

// ---- colocation ----

const COLOCATION_USAGE = 'constraint colocation add [ROLE] SOURCE with [ROLE] TARGET [SCORE] [OPTION=VALUE]...';

/** pcs's is_score_or_opt */
const isScoreOrOption = (v: string) => isScore(v) || v.includes('=');

/** `constraint colocation add [ROLE] SOURCE with [ROLE] TARGET [SCORE] [OPTION=VALUE]...` */
export const constraintColocation: EditCommand = ({ cib, args, flags }) => {
  const argv = [...args];
  if (argv.length < 3) throw usage(COLOCATION_USAGE);
  const newRoles = newRolesSupported(cib);
  const warnings: Problem[] = [];
  let role1 = '';
  let role2 = '';
  let rsc1: string;
  if (argv[2] === 'with') {
    role1 = parseRole(argv.shift()!, newRoles, warnings);
    rsc1 = argv.shift()!;
  } else if (argv[1] === 'with') {
    rsc1 = argv.shift()!;
  } else {
    throw usage(COLOCATION_USAGE);
  }
  argv.shift(); // 'with'
  if (argv.includes('with')) throw usage("Multiple 'with's cannot be specified. Use 'constraint colocation set' to create a constraint for more than two resources.");
  if (!argv.length) throw usage(COLOCATION_USAGE);
  let rsc2: string;
  if (argv.length === 1 || isScoreOrOption(argv[1])) {
    rsc2 = argv.shift()!;
  } else {
    role2 = parseRole(argv.shift()!, newRoles, warnings);
    rsc2 = argv.shift()!;
  }
  let score = SCORE_INFINITY;
  if (argv.length && !argv[0].includes('=')) score = argv.shift()!;
  const pairs = argv.map(splitNonEmptyOption);

  const parents = parentMap(cib);
  const inUse = idsInUse(cib);
  const problems: Problem[] = [
    ...constraintResourceProblems(cib, parents, rsc1, 'rsc', flags.force),
    ...constraintResourceProblems(cib, parents, rsc2, 'with-rsc', flags.force),
  ];
  const givenIds = pairs.filter(([k]) => k === 'id');
  for (const [, id] of givenIds) problems.push(...userIdProblems(id, inUse));
  if (role1 && !role2) role2 = DEFAULT_ROLE;
  if (role2 && !role1) role1 = DEFAULT_ROLE;
  const c: XmlElement = { tag: 'rsc_colocation', attrs: { rsc: rsc1, 'with-rsc': rsc2, score }, children: [] };
  if (role1) c.attrs['rsc-role'] = role1;
  if (role2) c.attrs['with-rsc-role'] = role2;
  for (const [k, v] of pairs) c.attrs[k] = v;
  if (!givenIds.length) c.attrs.id = uniqueId(inUse, `colocation-${rsc1}-${rsc2}-${score}`);
  failIfErrors(problems);
  problems.push(...schemaProblems(c, inUse, newRoles));
  failIfErrors(problems);

  const role = (v: string | undefined) => roleForCib(capitalize(v ?? '') || DEFAULT_ROLE, newRoles);
  const key = (e: XmlElement) => [e.attrs.rsc ?? '', e.attrs['with-rsc'] ?? '', role(e.attrs['rsc-role']), role(e.attrs['with-rsc-role'])].join('\u0000');
  const constraints = section(cib, 'constraints');
  const dups = duplicates(constraints, c, key);
  if (dups.length) problems.push(duplicateProblem(dups, colocationPlain));
  const checked = applyForce([...warnings, ...problems], flags.force);
  failIfErrors(checked);
  constraints.children.push(c);
  // What placement cannot honour (a role other than Started on a bundle, a loop) is refused here
  // as `cib validate` and the pass would refuse it, not written and then ignored.
  const refused = colocationProblems(cib).filter((p) => p.path?.startsWith(`/cib/configuration/constraints/rsc_colocation[@id='${c.attrs.id}']`));
  if (refused.length) {
    constraints.children.pop();
    failIfErrors(refused);
  }
  return { warnings: checked, changed: true };
};

// ---- order ----

const ORDER_USAGE = 'constraint order [ACTION] FIRST then [ACTION] THEN [OPTION=VALUE]... [symmetrical|nonsymmetrical]';

/** `constraint order [ACTION] FIRST then [ACTION] THEN [OPTION=VALUE]...` */
export const constraintOrder: EditCommand = ({ cib, args, flags }) => {
  const argv = [...args];
  if (!argv.length) throw usage(ORDER_USAGE);
  if (['set', 'remove', 'delete', 'show', 'config'].includes(argv[0])) throw usage(`'constraint order ${argv[0]}' is not supported by berth; ${ORDER_USAGE}`);
  if (argv.length < 3) throw usage(ORDER_USAGE);
  let firstAction = DEFAULT_ACTION;
  let thenAction = DEFAULT_ACTION;
  if (PCMK_ACTIONS.includes(argv[0])) firstAction = argv.shift()!;
  const first = argv.shift()!;
  if (argv.shift() !== 'then') throw usage(ORDER_USAGE);
  if (!argv.length) throw usage(ORDER_USAGE);
  if (PCMK_ACTIONS.includes(argv[0])) thenAction = argv.shift()!;
  if (!argv.length) throw usage(ORDER_USAGE);
  const then = argv.shift()!;
  if (argv.includes('then')) throw usage("Multiple 'then's cannot be specified. Use 'constraint order set' to create a constraint for more than two resources.");
  // pcs appends the actions after the user's options, so they override first-action=/then-action=
  const words = [...argv, `first-action=${firstAction}`, `then-action=${thenAction}`];

  const parents = parentMap(cib);
  const inUse = idsInUse(cib);
  const problems: Problem[] = [
    ...constraintResourceProblems(cib, parents, first, 'first', flags.force),
    ...constraintResourceProblems(cib, parents, then, 'then', flags.force),
  ];
  const p1 = findTagged(cib, ['primitive'], first);
  const p2 = findTagged(cib, ['primitive'], then);
  const g1 = p1 && ancestorWith(parents, p1, ['group']);
  if (g1 && p2 && g1 === ancestorWith(parents, p2, ['group'])) {
    problems.push(problem('CONSTRAINT_INVALID', { path: 'then', value: `${first},${then}`, allowed: g1.attrs.id, message: 'Cannot create an order constraint for resources in the same group' }));
  }
  const options: [string, string][] = [];
  let idGiven = false;
  let symmetrical: string | undefined;
  for (const w of words) {
    if (w === 'symmetrical') { symmetrical = 'true'; continue; }
    if (w === 'nonsymmetrical') { symmetrical = 'false'; continue; }
    const [name, value] = splitNonEmptyOption(w);
    if (name === 'id') {
      problems.push(...userIdProblems(value, inUse));
      idGiven = true;
      options.push([name, value]);
    } else if (name === 'symmetrical') {
      if (['true', 'false'].includes(value.toLowerCase())) symmetrical = value.toLowerCase();
      else problems.push(problem('OPTION_INVALID_VALUE', { path: 'symmetrical', value, allowed: 'true, false', message: `invalid symmetrical value '${value}', allowed values are: true, false` }));
    } else {
      options.push([name, value]);
    }
  }
  if (symmetrical) options.push(['symmetrical', symmetrical]);
  const suffix = options.find(([k]) => k === 'score' || k === 'kind')?.[1] ?? 'mandatory';
  if (!idGiven) options.push(['id', uniqueId(inUse, `order-${first}-${then}-${suffix}`)]);
  const c: XmlElement = { tag: 'rsc_order', attrs: { first, then }, children: [] };
  for (const [k, v] of options) c.attrs[k] = v;
  failIfErrors(problems);
  problems.push(...schemaProblems(c, inUse, newRolesSupported(cib)));
  failIfErrors(problems);

  const key = (e: XmlElement) => [e.attrs.first ?? '', e.attrs.then ?? '', (e.attrs['first-action'] ?? '').toLowerCase() || DEFAULT_ACTION, (e.attrs['then-action'] ?? '').toLowerCase() || DEFAULT_ACTION].join('\u0000');
  const constraints = section(cib, 'constraints');
  const dups = duplicates(constraints, c, key);
  if (dups.length) problems.push(duplicateProblem(dups, orderPlain));
  const checked = applyForce(problems, flags.force);
  failIfErrors(checked);
  constraints.children.push(c);
  // What the pass cannot honour (promote/demote on a bundle, a loop of orders) is refused here as
  // `cib validate` and the pass would refuse it, not written and then ignored.
  const refused = orderProblems(cib).filter((p) => p.path?.startsWith(`/cib/configuration/constraints/rsc_order[@id='${c.attrs.id}']`));
  if (refused.length) {
    constraints.children.pop();
    failIfErrors(refused);
  }
  return { warnings: checked, changed: true };
};

// ---- delete ----

/**
 * `constraint delete|remove ID...`: a constraint with the id, else a location rule with the id
 * (its constraint goes too when that was its last rule). All ids must be found.
 */
export const constraintDelete: EditCommand = ({ cib, args }) => {
  if (!args.length) throw usage('constraint delete needs at least one constraint id');
  return changeConstraints(cib, (work) => {
    const missing: Problem[] = [];
    for (const id of args) {
      const before = work.children.length;
      work.children = work.children.filter((c) => !(isElement(c) && c.attrs.id === id));
      if (work.children.length !== before) continue;
      let found = false;
      const parents = new Map<XmlElement, XmlElement>();
      walk(work, (e, p) => { if (p) parents.set(e, p); });
      for (const rule of descendants(work, 'rule')) {
        if (rule.attrs.id !== id) continue;
        found = true;
        const parent = parents.get(rule)!;
        parent.children = parent.children.filter((c) => c !== rule);
        const grand = parents.get(parent);
        if (grand && !descendants(parent, 'rule').length) grand.children = grand.children.filter((c) => c !== parent);
      }
      if (!found) missing.push(problem('ID_NOT_FOUND', { path: 'id', value: id, message: `Unable to find constraint - '${id}'` }));
    }
    return missing;
  });
};
