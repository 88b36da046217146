// resource ban / move-with-constraint / clear (and the checks of resource move), as pcs 0.11.5
// does them through crm_resource (Pacemaker 2.1.5): the location constraints `cli-ban-RSC-on-NODE`
// (-INFINITY) and `cli-prefer-RSC` (INFINITY), role Started or Promoted, and with a lifetime a rule
// whose date_expression `lt` ends at now + lifetime. Pure: `now` is an argument, the words are
// pcs's words after the command name. Recorded behaviour: test/fixtures/resource-move/.
//
// crm_resource writes with a CIB "modify": an existing constraint of the same id is merged with the
// new one. A merge of a plain constraint with one with a lifetime (or back) gives a constraint
// the schema refuses, so pcs fails there; berth refuses it up front and says how to go on.
import { Cib, section } from '../cib/cib';
import { XmlElement, child, el, elements, isElement } from '../cib/xml';
import { BerthError, Problem, problem, usage, warning } from '../errors/registry';
import { parseRuleDate } from '../scheduler/placement';
import { knownNodes } from './constraint';
import type { EditCommand, EditFlags, EditResult } from './edit';
import { RESOURCE_TAGS, findResource } from './resource';

// ---- the words: pcs's _parse_resource_move_ban ----

export interface MoveBanRequest {
  resource: string;
  node?: string;
  /** as given, with pcs's `P` put before a leading digit; empty means none */
  lifetime?: string;
}

export function parseMoveBanWords(args: string[], verb: 'ban' | 'move'): MoveBanRequest {
  if (!args.length) throw usage(`must specify a resource to ${verb}`);
  if (args.length > 3) throw usage(`too many arguments: ${verb} <resource id> [node] [lifetime=<lifetime>]`);
  const [resource, ...rest] = args;
  let node: string | undefined;
  let lifetime: string | undefined;
  for (const a of rest) {
    if (a.startsWith('lifetime=')) {
      if (lifetime) throw usage('lifetime= is given twice');
      // pcs keeps the text up to a second '=' and puts P before a number (`1D` is `P1D`)
      lifetime = a.split('=')[1];
      if (lifetime && /^\d/.test(lifetime)) lifetime = 'P' + lifetime;
    } else if (node === undefined) node = a;
    else throw usage(`unexpected argument '${a}': ${verb} <resource id> [node] [lifetime=<lifetime>]`);
  }
  return { resource, ...(node !== undefined ? { node } : {}), ...(lifetime ? { lifetime } : {}) };
}

// ---- lifetimes: crm_time_parse_duration and crm_time_add ----

export interface Duration { years: number; months: number; days: number; seconds: number }

/**
 * An ISO 8601 duration as Pacemaker 2.1.5 reads it: `P` then numbers with Y, M (months before T,
 * minutes after), W, D, H, S; `P1H` is an hour too. Fractions are refused, as Pacemaker does;
 * berth also refuses negative numbers (Pacemaker takes `P-1D`: a ban that has already ended).
 */
export function parseDuration(text: string): Duration | undefined {
  if (!text.startsWith('P')) return undefined;
  const d: Duration = { years: 0, months: 0, days: 0, seconds: 0 };
  let time = false;
  const re = /(\d+)([YMWDHS])|(T)/gy;
  re.lastIndex = 1;
  while (re.lastIndex < text.length) {
    const m = re.exec(text);
    if (!m) return undefined;
    if (m[3]) { time = true; continue; }
    const n = Number(m[1]);
    switch (m[2]) {
      case 'Y': d.years += n; break;
      case 'M': if (time) d.seconds += n * 60; else d.months += n; break;
      case 'W': d.days += 7 * n; break;
      case 'D': d.days += n; break;
      case 'H': d.seconds += 3600 * n; break;
      case 'S': d.seconds += n; break;
    }
  }
  return d;
}

/** now + duration, months and years on the calendar (the day kept within the month), in UTC. */
export function addDuration(now: number, d: Duration): number {
  const t = new Date(Math.floor(now / 1000) * 1000);
  if (d.years || d.months) {
    const month = t.getUTCMonth() + d.months + 12 * d.years;
    const day = t.getUTCDate();
    t.setUTCDate(1);
    t.setUTCFullYear(t.getUTCFullYear() + Math.floor(month / 12), month % 12, 1);
    const last = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 0)).getUTCDate();
    t.setUTCDate(Math.min(day, last));
  }
  return t.getTime() + d.days * 86_400_000 + d.seconds * 1000;
}

/** Pacemaker's crm_time_as_string(date | time | timezone) for a UTC time: `2026-12-06 06:21:26Z`. */
export function formatCrmTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

function lifetimeEnd(lifetime: string | undefined, now: number): string | undefined {
  if (!lifetime) return undefined;
  const d = parseDuration(lifetime);
  if (!d) {
    throw new BerthError([problem('OPTION_INVALID_VALUE', {
      path: 'lifetime', value: lifetime, allowed: 'an ISO 8601 duration: PnYnMnWnDTnHnMnS, e.g. PT1H, P1D, P2W',
      message: `Invalid duration specified: ${lifetime}; use an ISO 8601 duration such as PT1H, P1D or P2W (https://en.wikipedia.org/wiki/ISO_8601#Durations)`,
    })]);
  }
  return formatCrmTime(addDuration(now, d));
}

// ---- what the resource is: pcs's _validate_move_ban_clear_analyzer ----

interface Analysis {
  el: XmlElement;
  isBundle: boolean;
  isClone: boolean;
  inClone: boolean;
  isPromotable: boolean;
  inPromotable: boolean;
  promotableId?: string;
  /** the bundle, when this is the resource inside one */
  bundle?: string;
}

const isCloneTag = (e: XmlElement) => e.tag === 'clone' || e.tag === 'master';
const promotable = (e: XmlElement) =>
  e.tag === 'master' || elements(e, 'meta_attributes').some((m) => elements(m, 'nvpair').some((p) => p.attrs.name === 'promotable' && /^(true|on|yes|y|1)$/i.test(p.attrs.value ?? '')));

function parentClone(cib: Cib, e: XmlElement): XmlElement | undefined {
  let at = findResource(cib, e.attrs.id);
  while (at && RESOURCE_TAGS.has(at.parent.tag)) {
    if (isCloneTag(at.parent)) return at.parent;
    at = findResource(cib, at.parent.attrs.id);
  }
  return undefined;
}

function analyse(cib: Cib, id: string): Analysis {
  const found = findResource(cib, id);
  if (!found) throw new BerthError([problem('ID_NOT_FOUND', { path: 'resource', value: id, message: `bundle/clone/group/resource '${id}' does not exist` })]);
  const e = found.el;
  if (e.tag === 'bundle') return { el: e, isBundle: true, isClone: false, inClone: false, isPromotable: false, inPromotable: false };
  if (isCloneTag(e)) return { el: e, isBundle: false, isClone: true, inClone: false, isPromotable: promotable(e), inPromotable: false, ...(promotable(e) ? { promotableId: id } : {}) };
  const pc = parentClone(cib, e);
  return {
    el: e, isBundle: false, isClone: false, inClone: !!pc,
    isPromotable: false, inPromotable: !!pc && promotable(pc),
    ...(pc && promotable(pc) ? { promotableId: pc.attrs.id } : {}),
    ...(found.parent.tag === 'bundle' ? { bundle: found.parent.attrs.id } : {}),
  };
}

const wrongKind = (value: string, message: string, allowed?: string) =>
  problem('ID_WRONG_KIND', { path: 'resource', value, message, ...(allowed ? { allowed } : {}) });

function promotedOnlyProblem(a: Analysis, id: string): Problem {
  return wrongKind(id, `when specifying --promoted you must use the promotable clone id${a.promotableId ? ` (${a.promotableId})` : ''}`, 'the id of a promotable clone');
}

/** pcs's validate_move. */
function moveProblems(a: Analysis, id: string, promoted: boolean): Problem[] {
  if (a.isBundle) return [wrongKind(id, 'cannot move bundle resources', 'a primitive, group or promotable clone; keep a bundle off a node with `resource ban`')];
  if ((a.isClone || a.inClone) && !(a.isPromotable || a.inPromotable)) return [wrongKind(id, 'cannot move cloned resources')];
  if (!promoted && a.inPromotable) return [wrongKind(id, `to move promotable clone resources you must use the promotable clone id (${a.promotableId})`, 'the id of the promotable clone')];
  if (promoted && !a.isPromotable) return [promotedOnlyProblem(a, id)];
  return [];
}

/** pcs's validate_ban and validate_unmove_unban. */
const banProblems = (a: Analysis, id: string, promoted: boolean): Problem[] => (promoted && !a.isPromotable ? [promotedOnlyProblem(a, id)] : []);

function nodeProblems(cib: Cib, node: string | undefined): Problem[] {
  if (node === undefined || knownNodes(cib).has(node)) return [];
  return [problem('ID_NOT_FOUND', { path: 'node', value: node, allowed: [...knownNodes(cib)].join(', ') || 'a node of the CIB (berth node add)', message: `Node '${node}' does not appear to exist in configuration` })];
}

/** Without a node pcs asks the live cluster where the resource runs; berth does not. */
const nodeNeeded = (verb: string, id: string) =>
  new BerthError([problem('USAGE', {
    path: 'node', value: id,
    message: `a NODE is needed: berth does not look up where '${id}' runs (pcs asks the live cluster, and with -f it refuses too: "You must specify a node when moving/banning a stopped resource"); use 'resource ${verb} ${id} NODE'`,
  })]);

/** A constraint berth's placement does not read: where it changes nothing berth runs, say so. */
function effectWarnings(a: Analysis, id: string, what: string): Problem[] {
  if (a.isBundle) return [];
  const message = a.bundle
    ? `'${id}' is the resource inside bundle '${a.bundle}': as in Pacemaker, a ${what} of it does not change where the bundle's containers run; use the bundle id '${a.bundle}'`
    : `'${id}' is a ${a.el.tag}, not a bundle: berth runs only bundles, so this ${what} changes nothing berth runs`;
  return [warning('NOT_HONOURED', { path: 'resource', value: id, message })];
}

// ---- the constraints crm_resource writes ----

/** crm_xml_set_id: characters an XML id cannot hold become '.'. */
const xmlId = (s: string) => s.replace(/[^a-zA-Z0-9_.-]/g, '.');
const banId = (rsc: string, node: string) => xmlId(`cli-ban-${rsc}-on-${node}`);
const preferId = (rsc: string) => xmlId(`cli-prefer-${rsc}`);

function cliConstraint(kind: 'ban' | 'prefer', rsc: string, node: string, promoted: boolean, end: string | undefined): XmlElement {
  const id = kind === 'ban' ? banId(rsc, node) : preferId(rsc);
  const score = kind === 'ban' ? '-INFINITY' : 'INFINITY';
  const loc = el('rsc_location', { id, rsc, role: promoted ? 'Promoted' : 'Started' });
  if (end === undefined) {
    loc.attrs.node = node;
    loc.attrs.score = score;
    return loc;
  }
  const ids = kind === 'ban'
    ? { rule: `${id}-rule`, expr: `${id}-expr`, date: `${id}-lifetime` }
    : { rule: xmlId(`cli-prefer-rule-${rsc}`), expr: xmlId(`cli-prefer-expr-${rsc}`), date: xmlId(`cli-prefer-lifetime-end-${rsc}`) };
  loc.children.push(el('rule', { id: ids.rule, score, 'boolean-op': 'and' }, [
    el('expression', { id: ids.expr, attribute: '#uname', operation: 'eq', value: node, type: 'string' }),
    el('date_expression', { id: ids.date, operation: 'lt', end }),
  ]));
  return loc;
}

/** The CIB "modify" crm_resource does: create, or merge attributes and children by tag and id. */
function upsert(cib: Cib, wanted: XmlElement): void {
  const constraints = section(cib, 'constraints');
  const existing = elements(constraints).find((c) => c.attrs.id === wanted.attrs.id);
  if (!existing) {
    constraints.children.push(wanted);
    return;
  }
  const id = wanted.attrs.id;
  if (existing.tag !== 'rsc_location') throw new BerthError([problem('ID_DUPLICATE', { path: 'id', value: id, message: `'${id}' already exists and is not a location constraint` })]);
  const hasRule = (e: XmlElement) => !!child(e, 'rule');
  if (hasRule(existing) !== hasRule(wanted)) {
    throw new BerthError([problem('CONSTRAINT_INVALID', {
      path: `rsc_location[@id='${id}']`, value: id,
      allowed: hasRule(existing) ? 'a lifetime= again (the constraint has one)' : 'no lifetime= (the constraint has none)',
      message: `constraint '${id}' already exists ${hasRule(existing) ? 'with' : 'without'} a lifetime; crm_resource would merge the two into a constraint the schema refuses. Remove it first ('resource clear ${wanted.attrs.rsc}'), then run this again`,
    })]);
  }
  merge(existing, wanted);
}

function merge(into: XmlElement, from: XmlElement): void {
  for (const [k, v] of Object.entries(from.attrs)) into.attrs[k] = v;
  for (const c of from.children) {
    if (!isElement(c)) continue;
    const same = elements(into, c.tag).find((e) => e.attrs.id === c.attrs.id);
    if (same) merge(same, c);
    else into.children.push(c);
  }
}

// ---- removal: crm_resource --clear ----

interface Removal { ids: string[] }

function removeConstraint(cib: Cib, pick: (c: XmlElement) => boolean, log: Removal): void {
  const constraints = section(cib, 'constraints');
  for (const c of [...constraints.children]) {
    if (!isElement(c) || c.tag !== 'rsc_location' || !pick(c)) continue;
    constraints.children.splice(constraints.children.indexOf(c), 1);
    log.ids.push(c.attrs.id);
  }
}

const ruleOnNode = (c: XmlElement, node: string) =>
  elements(c, 'rule').some((r) => elements(r, 'expression').some((x) => x.attrs.attribute === '#uname' && x.attrs.value === node));

/** cli_resource_clear for one node: the prefer by rule, then the ban and the prefer by node=. */
function clearOnNode(cib: Cib, rsc: string, node: string, clearBans: boolean, log: Removal): void {
  const prefer = preferId(rsc);
  const rule = xmlId(`cli-prefer-rule-${rsc}`);
  removeConstraint(cib, (c) => c.attrs.id === prefer && elements(c, 'rule').some((r) => r.attrs.id === rule && elements(r, 'expression').some((x) => x.attrs.attribute === '#uname' && x.attrs.value === node)), log);
  if (clearBans) removeConstraint(cib, (c) => c.attrs.id === banId(rsc, node), log);
  removeConstraint(cib, (c) => c.attrs.id === prefer && c.attrs.node === node, log);
}

/** cli_resource_clear_all_expired: cli- constraints of the resource whose lifetime ended before now. */
function clearExpired(cib: Cib, rsc: string, node: string | undefined, promoted: boolean, now: number, log: Removal): void {
  removeConstraint(cib, (c) => {
    const id = c.attrs.id ?? '';
    const dateId = id.startsWith('cli-ban-') ? `${id}-lifetime` : id.startsWith('cli-prefer-') ? `cli-prefer-lifetime-end-${c.attrs.rsc}` : undefined;
    if (!dateId || c.attrs.rsc !== rsc || (promoted && c.attrs.role !== 'Promoted')) return false;
    if (node !== undefined && c.attrs.node !== node && !ruleOnNode(c, node)) return false;
    const date = elements(c, 'rule').flatMap((r) => elements(r, 'date_expression')).find((d) => d.attrs.id === dateId);
    const end = date?.attrs.end !== undefined ? parseRuleDate(date.attrs.end) : undefined;
    // crm_time_compare works in whole seconds
    return end !== undefined && Math.floor(now / 1000) * 1000 > end;
  }, log);
}

// ---- the commands ----

const promotedOf = (flags: EditFlags): boolean => flags.promoted === true;

/** `resource ban RSC [NODE] [lifetime=L] [--promoted]` */
export const resourceBanAt = (now: number): EditCommand => ({ cib, args, flags }) => {
  const req = parseMoveBanWords(args, 'ban');
  const promoted = promotedOf(flags);
  const a = analyse(cib, req.resource);
  const problems = [...banProblems(a, req.resource, promoted), ...nodeProblems(cib, req.node)];
  if (problems.length) throw new BerthError(problems);
  if (req.node === undefined) throw nodeNeeded('ban', req.resource);
  const end = lifetimeEnd(req.lifetime, now);
  upsert(cib, cliConstraint('ban', req.resource, req.node, promoted, end));
  const id = banId(req.resource, req.node);
  const notes = [
    ...(end ? [`Migration will take effect until: ${end}`] : []),
    `Warning: Creating location constraint '${id}' with a score of -INFINITY for resource ${req.resource} on ${req.node}.\n\tThis will prevent ${req.resource} from ${promoted ? 'being promoted' : 'running'} on ${req.node} until the constraint is removed\n\tThis will be the case even if ${req.node} is the last node in the cluster`,
  ];
  return { warnings: effectWarnings(a, req.resource, 'ban'), notes };
};

/** `resource move-with-constraint RSC [NODE] [lifetime=L] [--promoted]` (pcs 0.10's `move`). */
export const resourceMoveWithConstraintAt = (now: number): EditCommand => ({ cib, args, flags }) => {
  const req = parseMoveBanWords(args, 'move');
  const promoted = promotedOf(flags);
  const a = analyse(cib, req.resource);
  const problems = [...moveProblems(a, req.resource, promoted), ...nodeProblems(cib, req.node)];
  if (problems.length) throw new BerthError(problems);
  if (req.node === undefined) throw nodeNeeded('move-with-constraint', req.resource);
  const end = lifetimeEnd(req.lifetime, now);
  // cli_resource_move: earlier prefers go (on every node), and a ban on the destination
  const log: Removal = { ids: [] };
  for (const n of knownNodes(cib)) clearOnNode(cib, req.resource, n, false, log);
  clearOnNode(cib, req.resource, req.node, true, log);
  upsert(cib, cliConstraint('prefer', req.resource, req.node, promoted, end));
  const notes = end ? [`Migration will take effect until: ${end}`] : [`Warning: A move constraint has been created and the resource '${req.resource}' may or may not move depending on other configuration`];
  return { warnings: effectWarnings(a, req.resource, 'move'), notes };
};

/** `resource move RSC [NODE] [--promoted]`: pcs 0.11's move waits for the cluster and removes its
 * constraint again, so it needs a live cluster running the resource. berth runs only bundles, and
 * pcs refuses to move a bundle: berth checks as pcs does, then refuses what is left. */
export const resourceMoveChecks = (cib: Cib, args: string[], promoted: boolean): void => {
  if (!args.length) throw usage('must specify a resource to move');
  if (args.length > 2) throw usage('too many arguments: move <resource id> [destination node]');
  if (args[1]?.startsWith('lifetime=')) throw usage("Option 'lifetime' has been removed from 'resource move' in pcs 0.11: use 'resource move-with-constraint RSC NODE lifetime=...'");
  const a = analyse(cib, args[0]);
  const problems = [...moveProblems(a, args[0], promoted), ...nodeProblems(cib, args[1])];
  if (problems.length) throw new BerthError(problems);
  throw new BerthError([wrongKind(args[0], `'${args[0]}' is a ${a.el.tag}, not a bundle: berth runs only bundles, so there is nothing it could wait for to move; 'resource move-with-constraint' writes the constraint alone`, 'a resource berth runs')]);
};

/** `resource clear RSC [NODE] [--promoted] [--expired]` */
export const resourceClearAt = (now: number): EditCommand => ({ cib, args, flags }) => {
  if (!args.length) throw usage('must specify a resource to clear');
  if (args.length > 2) throw usage('too many arguments: clear <resource id> [node]');
  const [rsc, node] = args;
  const promoted = promotedOf(flags);
  const a = analyse(cib, rsc);
  const problems = banProblems(a, rsc, promoted);
  // crm_resource --clear looks the node up among the cluster's nodes
  if (node !== undefined && !knownNodes(cib).has(node)) problems.push(problem('ID_NOT_FOUND', { path: 'node', value: node, message: `Node '${node}' not found` }));
  if (problems.length) throw new BerthError(problems);
  const log: Removal = { ids: [] };
  if (flags.expired === true) clearExpired(cib, rsc, node, promoted, now, log);
  else for (const n of node !== undefined ? [node] : knownNodes(cib)) clearOnNode(cib, rsc, n, true, log);
  const result: EditResult = { warnings: [], notes: log.ids.map((id) => `Removing constraint: ${id}`) };
  if (!log.ids.length) result.changed = false;
  return result;
};
