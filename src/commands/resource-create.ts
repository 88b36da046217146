// `resource create RID AGENT [OPT=V...] [op NAME OPT=V...]... [meta OPT=V...] [bundle ID]`, as
// pcs 0.11.5 does it: the CLI part (pcs/resource.py resource_create, cli/resource/parse_args.py)
// parses into a request; the library part (lib/commands/resource.py create / create_into_bundle,
// lib/cib/resource/primitive.py, operations.py, bundle.py) checks it in pcs's stages and builds the
// primitive. Each stage fails with all of its problems; forceable ones become warnings with --force.
//
// berth creates plain primitives and primitives inside bundles; clones, promotable clones, groups
// (--group) and fence agents (stonith:) are refused. Where berth does more than pcs: an empty op
// interval is an error (pcs crashes), on-fail=demote on a CIB older than schema 3.4 is an error
// (pcs would upgrade the CIB), and adding a resource must not break a berth bundle rule
// (bundle-rules.ts). Agents and their metadata: ../cib/agent.ts.
import { Cib, section } from '../cib/cib';
import {
  AgentCatalog, AgentMetadata, AgentName, OperationSpec, agentFailureProblem, defaultOperationInterval, defaultOperations,
  fullAgentName, guessAgentName, isProblem, loadAgentMetadata, parseAgentName, roleForCib, voidMetadata,
} from '../cib/agent';
import { systemCatalog } from '../runtime/agents';
import { appendNewNvset, arrangeFirstNvset, subelementId } from '../cib/nvset';
import { XmlElement, child, el, elements, walk } from '../cib/xml';
import { BerthError, Problem, applyForce, hasErrors, problem, usage, warning } from '../errors/registry';
import { groupByKeywords, prepareOptions } from './pcs-words';
import { bundleRules } from '../validate/bundle-rules';
import { IdProvider, idExists, validateId } from '../validate/ids';
import { Options, formatList, mutuallyExclusive } from '../validate/options';
import { findBundle } from './bundle';
import { EditCommand, EditFlags, EditResult } from './edit';

export interface ResourceCreateRequest {
  id: string;
  /** as typed: CLASS:PROVIDER:TYPE, CLASS:TYPE or a bare TYPE to look up */
  agent: string;
  instance: Options;
  meta: Options;
  /** each with `name` first, as pcs's build_operations makes them */
  ops: Options[];
  bundle?: string;
  disabled: boolean;
  force: boolean;
  /** false with --no-default-ops: only monitor operations come from the agent */
  defaultOps: boolean;
}

// ---- the words (pcs's resource_create and parse_create) ----

const KEYWORDS = ['op', 'meta', 'clone', 'promotable', 'bundle'];
/** pcs's flags berth refuses: [EditFlags name, the flag as typed] */
const UNSUPPORTED_FLAGS = [['group', 'group'], ['before', 'before'], ['after', 'after'], ['agentValidation', 'agent-validation']] as const;

const onlyPrimitives = (what: string) =>
  usage(`berth creates plain primitives and primitives in bundles only (resource create RID AGENT ... [bundle BUNDLE_ID]); ${what} is not supported`);

/** pcs's build_operations: `op monitor interval=10 start timeout=20` to one map per operation. */
export function buildOperations(groups: string[][]): Options[] {
  const ops: string[][] = [];
  for (const g of groups) {
    if (!g.length) throw usage("When using 'op' you must specify an operation name and at least one option");
    if (g[0].includes('=')) throw usage("When using 'op' you must specify an operation name after 'op'");
    for (const arg of g) {
      if (!arg.includes('=')) ops.push([`name=${arg}`]);
      else ops[ops.length - 1].push(arg);
    }
  }
  if (ops.some((o) => o.length < 2)) throw usage("When using 'op' you must specify an operation name and at least one option");
  return ops.map(prepareOptions);
}

export function parseResourceCreateArgs(args: string[], flags: EditFlags): ResourceCreateRequest {
  if (args.length < 2) {
    throw usage('resource create needs a resource id and an agent: resource create RID CLASS[:PROVIDER]:TYPE [OPT=V...] [op NAME OPT=V...]... [meta OPT=V...] [bundle BUNDLE_ID] [--disabled] [--no-default-ops]');
  }
  const [id, agent] = args;
  const groups = groupByKeywords(args.slice(2), KEYWORDS, { implicitFirst: 'options', repeated: ['op'] });
  const meta = prepareOptions((groups.meta as string[] | undefined) ?? []);
  const instance = prepareOptions((groups.options as string[] | undefined) ?? []);
  const ops = buildOperations((groups.op as string[][] | undefined) ?? []);
  for (const k of ['clone', 'promotable']) if (k in groups) throw onlyPrimitives(`'${k}'`);
  for (const [f, name] of UNSUPPORTED_FLAGS) if (flags[f]) throw onlyPrimitives(`--${name}`);
  let bundle: string | undefined;
  if ('bundle' in groups) {
    const ids = groups.bundle as string[];
    if (ids.length !== 1) throw usage('you have to specify exactly one bundle');
    bundle = ids[0];
  }
  return {
    id,
    agent,
    instance,
    meta,
    ops,
    bundle,
    disabled: flags.disabled === true,
    force: flags.force,
    defaultOps: flags.noDefaultOps !== true,
  };
}

// ---- the library command ----

/** Stops at a failed stage with everything reported so far (warnings of earlier stages too). */
class Stage {
  readonly reported: Problem[] = [];
  constructor(private readonly force: boolean) {}
  add(list: Problem[]): void {
    this.reported.push(...applyForce(list, this.force));
    if (hasErrors(this.reported)) throw new BerthError(this.reported);
  }
  /** Run a lookup that throws BerthError; its problems join those reported so far. */
  run<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof BerthError) throw new BerthError([...this.reported, ...e.problems]);
      throw e;
    }
  }
}

export function createResource(cib: Cib, req: ResourceCreateRequest, catalog: AgentCatalog): EditResult {
  const stage = new Stage(req.force);
  const notes: string[] = [];
  const agent = resolveAgent(catalog, req, stage, notes);
  stage.add(specialCases(cib, agent.name, req));

  // primitive.create: the id, then operations, then instance attributes
  const ids = new IdProvider(cib);
  if (ids.has(req.id)) stage.add([idExists(req.id)]);
  stage.add(validateId(req.id, 'resource name').slice(0, 1));
  ids.book(req.id);
  const newRoles = newRoleNamesSupported(cib);
  const operations = prepareOperations(req.ops, defaultOperations(agent, !req.defaultOps), agent.actions.map((a) => a.name), newRoles, stage);
  stage.add(schemaVersionProblems(cib, operations));
  stage.add(validateInstanceAttributes(agent, req.instance, cib));

  const primitive = el('primitive', { id: req.id, class: agent.name.standard, type: agent.name.type });
  if (agent.name.provider) primitive.attrs.provider = agent.name.provider;
  if (Object.keys(req.instance).length) appendNewNvset('instance_attributes', primitive, req.instance, ids);
  if (Object.keys(req.meta).length) appendNewNvset('meta_attributes', primitive, req.meta, ids);
  primitive.children.push(operationsElement(primitive, operations, ids, stage));
  if (req.disabled) arrangeFirstNvset('meta_attributes', primitive, { 'target-role': 'Stopped' }, ids);

  if (req.bundle === undefined) {
    section(cib, 'resources').children.push(primitive);
  } else {
    const bundleId = req.bundle;
    // pcs looks the bundle up after adding the primitive, so an id this command made is "not a bundle"
    if (!ids.lookup(bundleId) && ids.has(bundleId)) stage.add([problem('ID_WRONG_KIND', { path: 'bundle', value: bundleId, message: `'${bundleId}' is not a bundle` })]);
    const bundle = stage.run(() => findBundle(cib, bundleId));
    stage.add(accessibility(bundle, primitive));
    stage.add(alreadyContains(bundle));
    stage.add(newBundleRuleProblems(bundle, primitive));
    bundle.children.push(primitive);
  }
  return { warnings: stage.reported, notes };
}

export const resourceCreate: EditCommand = ({ cib, args, flags }) => createResource(cib, parseResourceCreateArgs(args, flags), systemCatalog());

// ---- stage 1: the agent (pcs's _get_agent_facade) ----

function resolveAgent(catalog: AgentCatalog, req: ResourceCreateRequest, stage: Stage, notes: string[]): AgentMetadata {
  let name: AgentName;
  if (req.agent.includes(':')) {
    const parsed = parseAgentName(req.agent);
    if (isProblem(parsed)) throw new BerthError([parsed]);
    name = parsed;
  } else {
    const guessed = guessAgentName(catalog, req.agent);
    if (isProblem(guessed)) throw new BerthError([guessed]);
    name = guessed.name;
    notes.push(guessed.note);
  }
  if (name.standard === 'stonith') {
    throw new BerthError([
      problem('AGENT_NAME_INVALID', {
        path: 'agent',
        value: fullAgentName(name),
        allowed: 'ocf, lsb, service agents',
        message: `'${fullAgentName(name)}' is a fence agent; berth does not create fence devices (pcs: 'pcs stonith create')`,
      }),
    ]);
  }
  const loaded = loadAgentMetadata(catalog, name);
  if ('kind' in loaded) {
    stage.add([agentFailureProblem(loaded)]);
    return voidMetadata(name);
  }
  return loaded;
}

// ---- stage 2: remote and guest nodes need their own commands (pcs's _check_special_cases) ----

interface PacemakerNode {
  name: string;
  addr: string;
}

const isRemoteAgent = (e: XmlElement) => e.attrs.class === 'ocf' && e.attrs.provider === 'pacemaker' && e.attrs.type === 'remote';

/** Remote and guest nodes the CIB defines (pcs's remote_node/guest_node find_node_list). */
function cibNodes(cib: Cib): PacemakerNode[] {
  const remote: PacemakerNode[] = [];
  const guest: PacemakerNode[] = [];
  walk(cib, (e) => {
    if (e.tag !== 'primitive') return;
    if (isRemoteAgent(e)) {
      const servers = elements(e, 'instance_attributes').flatMap((s) => elements(s, 'nvpair')).filter((p) => p.attrs.name === 'server' && p.attrs.value);
      if (servers.length) for (const s of servers) remote.push({ name: e.attrs.id, addr: s.attrs.value });
      else remote.push({ name: e.attrs.id, addr: e.attrs.id });
    }
    for (const set of elements(e, 'meta_attributes')) {
      const pairs = elements(set, 'nvpair');
      if (!pairs.some((p) => p.attrs.name === 'remote-node' && p.attrs.value)) continue;
      let host: string | undefined;
      let name: string | undefined;
      for (const p of pairs) {
        if (p.attrs.name === 'remote-addr') host = p.attrs.value;
        if (p.attrs.name === 'remote-node') {
          name = p.attrs.value;
          host ??= name;
        }
      }
      if (name) guest.push({ name, addr: host ?? name });
    }
  });
  return [...remote, ...guest];
}

function specialCases(cib: Cib, agent: AgentName, req: ResourceCreateRequest): Problem[] {
  const remote = agent.standard === 'ocf' && agent.provider === 'pacemaker' && agent.type === 'remote';
  const guest = 'remote-node' in req.meta;
  if (!remote && !guest) return [];
  const nodes = cibNodes(cib);
  const names = nodes.map((n) => n.name);
  const addrs = nodes.map((n) => n.addr);
  const out: Problem[] = [];
  if (remote) {
    out.push(problem('USAGE', { path: 'agent', value: fullAgentName(agent), forceable: true, message: "this command is not sufficient for creating a remote connection, use 'pcs cluster node add-remote'" }));
    const host = req.instance.server ?? req.id;
    if (addrs.includes(host)) out.push(idExists(host));
  }
  if (guest) {
    out.push(problem('USAGE', { path: 'meta.remote-node', value: req.meta['remote-node'], forceable: true, message: "this command is not sufficient for creating a guest node, use 'pcs cluster node add-guest'" }));
    const node = req.meta['remote-node'];
    const ids = new IdProvider(cib);
    if (ids.has(node) || names.includes(node) || (!('remote-addr' in req.meta) && addrs.includes(node))) out.push(idExists(node));
    if ('remote-addr' in req.meta && addrs.includes(req.meta['remote-addr'])) out.push(idExists(req.meta['remote-addr']));
  }
  return out;
}

// ---- stage 3: operations (pcs's operations.prepare) ----

const OPERATION_ATTRIBUTES = ['id', 'description', 'enabled', 'interval', 'interval-origin', 'name', 'on-fail', 'record-pending', 'role', 'start-delay', 'timeout', 'OCF_CHECK_LEVEL'];
const ROLES = ['Stopped', 'Started', 'Promoted', 'Master', 'Unpromoted', 'Slave'];
const DEPRECATED_ROLES: Record<string, string> = { Master: 'Promoted', Slave: 'Unpromoted' };
const ON_FAIL = ['block', 'demote', 'fence', 'ignore', 'restart', 'restart-container', 'standby', 'stop'];
const BOOLEANS = ['0', '1', 'true', 'false'];
/** op options stored as an nvpair of the op's instance_attributes, not as attributes */
const OP_NVPAIR_ATTRIBUTES = ['OCF_CHECK_LEVEL'];

// Python's str.capitalize: first character upper, the rest lower.
const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
const NORMALIZE: Record<string, (v: string) => string> = {
  role: capitalize,
  'on-fail': (v) => v.toLowerCase(),
  'record-pending': (v) => v.toLowerCase(),
  enabled: (v) => v.toLowerCase(),
};

/** pcs's timeout_to_seconds: `10`, `10s`, `5min`, `1h` to seconds; undefined when not a duration. */
export function timeoutToSeconds(t: string): number | undefined {
  // Python's int(): surrounding blanks, a sign and digit-separating underscores are allowed.
  const m = /^\s*([+-]?)(\d+(?:_\d+)*)\s*$/.exec(t);
  if (m) {
    const n = Number(m[2].replace(/_/g, ''));
    return m[1] === '-' && n !== 0 ? undefined : n;
  }
  const units: [string, number][] = [['s', 1], ['sec', 1], ['m', 60], ['min', 60], ['h', 3600], ['hr', 3600]];
  for (const [suffix, mult] of units) {
    if (t.endsWith(suffix) && /^\d+$/.test(t.slice(0, -suffix.length))) return Number(t.slice(0, -suffix.length)) * mult;
  }
  return undefined;
}

function invalidValue(op: Options, option: string, value: string, allowed: string[], label = option, forceable = false): Problem {
  const hint = allowed.length ? `, use ${formatList(allowed)}` : '';
  return problem('RESOURCE_OP_INVALID', { path: `op ${op.name}.${option}`, value, allowed: [...allowed].sort().join(', '), forceable, message: `'${value}' is not a valid ${label} value${hint}` });
}

function validateOperation(op: Options, allowedNames: string[]): Problem[] {
  const norm = (k: string) => (NORMALIZE[k] ? NORMALIZE[k](op[k]) : op[k]);
  const out: Problem[] = [];
  const unknown = Object.keys(op).filter((k) => !OPERATION_ATTRIBUTES.includes(k)).sort();
  if (unknown.length) {
    out.push(problem('OPTION_UNKNOWN', {
      path: `op ${op.name}`,
      value: unknown.join(','),
      allowed: [...OPERATION_ATTRIBUTES].sort().join(', '),
      message: `invalid resource operation option${unknown.length > 1 ? 's:' : ''} ${formatList(unknown)}, allowed options are: ${formatList(OPERATION_ATTRIBUTES)}`,
    }));
  }
  if (!allowedNames.includes(op.name)) out.push(invalidValue(op, 'name', op.name, allowedNames, 'operation name', true));
  if (op.role !== undefined && !ROLES.includes(norm('role'))) out.push(invalidValue(op, 'role', op.role, ROLES));
  if (op.role !== undefined && DEPRECATED_ROLES[norm('role')]) {
    out.push(warning('OPTION_DEPRECATED', { path: `op ${op.name}.role`, value: op.role, allowed: DEPRECATED_ROLES[norm('role')], message: `Value '${op.role}' of option role is deprecated and should not be used, use '${DEPRECATED_ROLES[norm('role')]}' value instead` }));
  }
  if (op['on-fail'] !== undefined && !ON_FAIL.includes(norm('on-fail'))) out.push(invalidValue(op, 'on-fail', op['on-fail'], ON_FAIL));
  for (const b of ['record-pending', 'enabled']) if (op[b] !== undefined && !BOOLEANS.includes(norm(b))) out.push(invalidValue(op, b, op[b], BOOLEANS));
  out.push(...mutuallyExclusive(['interval-origin', 'start-delay'], 'resource operation')(op).map((p) => ({ ...p, code: 'RESOURCE_OP_INVALID' as const, path: `op ${op.name}` })));
  if (op.id !== undefined) out.push(...validateId(op.id, 'operation id'));
  // pcs 0.11.5 crashes on this (KeyError 'interval'); berth says what is wrong.
  if (op.interval === '') out.push(problem('RESOURCE_OP_INVALID', { path: `op ${op.name}.interval`, value: '', allowed: 'a duration such as 10s, or leave interval out', message: `interval of operation '${op.name}' cannot be empty` }));
  return out;
}

/** pcs's validate_different_intervals: one name, one interval (10 and 10s are the same). */
function duplicateIntervals(ops: Options[]): Problem[] {
  const byName = new Map<string, Map<string, string[]>>();
  for (const op of ops) {
    const interval = op.interval ?? defaultOperationInterval(op.name);
    const seconds = String(timeoutToSeconds(interval) ?? 'not-a-duration');
    const m = byName.get(op.name) ?? new Map<string, string[]>();
    byName.set(op.name, m);
    m.set(seconds, [...(m.get(seconds) ?? []), interval]);
  }
  const lines: string[] = [];
  const values: string[] = [];
  for (const [name, m] of byName) {
    const groups = [...m.values()].sort(compareLists);
    for (const g of groups) {
      if (g.length < 2) continue;
      lines.push(`${name} with intervals ${g.join(', ')}`);
      values.push(`${name}:${g.join(',')}`);
    }
  }
  if (!lines.length) return [];
  return [problem('RESOURCE_OP_INVALID', { path: 'op', value: values.join(' '), allowed: 'one interval per operation name', message: `multiple specification of the same operation with the same interval:\n${lines.join('\n')}` })];
}

// Python's list ordering, for pcs's sorted(interval_map.values()).
function compareLists(a: string[], b: string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return a.length - b.length;
}

/** pcs's uniquify_operations_intervals: default operations of one name get distinct intervals. */
function uniquifyIntervals(ops: OperationSpec[]): { ops: OperationSpec[]; problems: Problem[] } {
  const used = new Map<string, Set<number>>();
  const problems: Problem[] = [];
  const out = ops.map((op) => {
    const seen = used.get(op.name) ?? new Set<number>();
    used.set(op.name, seen);
    let seconds = timeoutToSeconds(op.interval);
    if (seconds === undefined) return op;
    if (!seen.has(seconds)) {
      seen.add(seconds);
      return op;
    }
    while (seen.has(seconds)) seconds++;
    seen.add(seconds);
    const adapted = String(seconds);
    problems.push(warning('RESOURCE_OP_INVALID', { path: `op ${op.name}.interval`, value: op.interval, allowed: adapted, message: `changing a ${op.name} operation interval from ${op.interval} to ${adapted} to make the operation unique` }));
    return { ...op, interval: adapted };
  });
  return { ops: out, problems };
}

/** An operation ready to be written: attributes in pcs's order, OCF_CHECK_LEVEL among them. */
type PreparedOperation = Options;

function prepareOperations(userOps: Options[], defaults: OperationSpec[], allowedNames: string[], newRoles: boolean, stage: Stage): PreparedOperation[] {
  const problems = userOps.flatMap((op) => validateOperation(op, allowedNames));
  const normalized = userOps.map((op) => {
    const out: Options = {};
    for (const [k, v] of Object.entries(op)) out[k] = NORMALIZE[k] ? NORMALIZE[k](v) : v;
    if (out.role !== undefined) out.role = roleForCib(out.role, newRoles);
    return out;
  });
  problems.push(...duplicateIntervals(normalized));
  stage.add(problems);

  const userNames = new Set(normalized.map((o) => o.name));
  const remaining = uniquifyIntervals(defaults.filter((d) => !userNames.has(d.name)));
  stage.add(remaining.problems);

  const dropEmpty = (o: Options) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== ''));
  const fromUser = normalized.map((o) => dropEmpty(o.interval === undefined ? { ...o, interval: defaultOperationInterval(o.name) } : o));
  const fromAgent = remaining.ops.map((d) => {
    const o: Options = { name: d.name, interval: d.interval };
    if (d.timeout !== undefined) o.timeout = d.timeout;
    if (d.role !== undefined) o.role = roleForCib(d.role, newRoles);
    if (d.startDelay !== undefined) o['start-delay'] = d.startDelay;
    if (d.checkLevel !== undefined) o.OCF_CHECK_LEVEL = d.checkLevel;
    return dropEmpty(o);
  });
  return [...fromUser, ...fromAgent];
}

/** pcs's create_operations: <operations> with the ops sorted by name, ids `<rid>-<name>-interval-<interval>`. */
function operationsElement(primitive: XmlElement, ops: PreparedOperation[], ids: IdProvider, stage: Stage): XmlElement {
  const operations = el('operations');
  const sorted = ops.map((o, i) => [o, i] as const).sort(([a, i], [b, j]) => (a.name < b.name ? -1 : a.name > b.name ? 1 : i - j)).map(([o]) => o);
  for (const o of sorted) {
    const attrs: Options = {};
    for (const [k, v] of Object.entries(o)) if (!OP_NVPAIR_ATTRIBUTES.includes(k)) attrs[k] = v;
    if (attrs.id !== undefined) {
      stage.add(ids.book(attrs.id));
    } else {
      attrs.id = subelementId(primitive, `${o.name}-interval-${o.interval}`, ids);
    }
    const op = el('op', attrs);
    const nvpairs: Options = {};
    for (const k of OP_NVPAIR_ATTRIBUTES) if (o[k] !== undefined) nvpairs[k] = o[k];
    if (Object.keys(nvpairs).length) appendNewNvset('instance_attributes', op, nvpairs, ids);
    operations.children.push(op);
  }
  return operations;
}

/** pcs's are_new_role_names_supported: the CIB schema is pacemaker-3.7 or newer. */
function schemaVersion(cib: Cib): [number, number] | undefined {
  const m = /^pacemaker-(\d+)\.(\d+)/.exec(cib.attrs['validate-with'] ?? '');
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function newRoleNamesSupported(cib: Cib): boolean {
  const v = schemaVersion(cib);
  return !v || v[0] > 3 || (v[0] === 3 && v[1] >= 7);
}

/** on-fail=demote needs schema 3.4; pcs would upgrade the CIB, berth asks for it. */
function schemaVersionProblems(cib: Cib, ops: PreparedOperation[]): Problem[] {
  const v = schemaVersion(cib);
  if (!v || v[0] > 3 || (v[0] === 3 && v[1] >= 4) || !ops.some((o) => o['on-fail'] === 'demote')) return [];
  return [problem('OPTION_PREREQUISITE', { path: 'op.on-fail', value: 'demote', allowed: 'pacemaker-3.4 or newer', message: `on-fail=demote needs a CIB with schema pacemaker-3.4 or newer, this one is '${cib.attrs['validate-with']}'; upgrade it (cibadmin --upgrade) first` })];
}

// ---- stage 4: instance attributes (pcs's validate_resource_instance_attributes_create) ----

function validateInstanceAttributes(agent: AgentMetadata, attrs: Options, cib: Cib): Problem[] {
  const out: Problem[] = [];
  for (const [name, value] of Object.entries(attrs)) {
    if (value === '') out.push(problem('OPTION_INVALID_VALUE', { path: `resource.${name}`, value: '', allowed: 'a non-empty value', message: `${name} cannot be empty` }));
  }
  if (!agent.exists) return out;
  const allowed = agent.parameters.map((p) => p.name);
  const unknown = Object.keys(attrs).filter((k) => !allowed.includes(k)).sort();
  if (unknown.length) {
    const many = unknown.length > 1;
    const tail = allowed.length ? `allowed option${allowed.length > 1 ? 's are:' : ' is'} ${formatList(allowed)}` : 'there are no options allowed';
    out.push(problem('OPTION_UNKNOWN', { path: 'resource', value: unknown.join(','), allowed: [...allowed].sort().join(', '), forceable: true, message: `invalid resource option${many ? 's:' : ''} ${formatList(unknown)}, ${tail}` }));
  }
  out.push(...requiredParameters(agent, attrs));
  for (const p of agent.parameters) {
    if (!p.deprecated || !(p.name in attrs)) continue;
    out.push(warning('OPTION_DEPRECATED', { path: `resource.${p.name}`, value: p.name, allowed: p.deprecatedBy.join(', '), message: `resource option '${p.name}' is deprecated and should not be used, use ${formatList(p.deprecatedBy)} instead` }));
  }
  out.push(...uniqueParameters(agent, attrs, cib));
  return out;
}

/** pcs's get_validators_required_parameters, with deprecated alternatives of a required one. */
function requiredParameters(agent: AgentMetadata, attrs: Options): Problem[] {
  // For each parameter, the parameters it replaces (transitively).
  const replaces = new Map<string, Set<string>>();
  for (const p of agent.parameters) for (const n of p.deprecatedBy) replaces.set(n, new Set([...(replaces.get(n) ?? []), p.name]));
  const closure = (name: string) => {
    const out = new Set<string>();
    let next = [...(replaces.get(name) ?? [])];
    while (next.length) {
      const found: string[] = [];
      for (const n of next) if (!out.has(n)) { out.add(n); found.push(...(replaces.get(n) ?? [])); }
      next = found.filter((n) => !out.has(n));
    }
    return out;
  };
  const out: Problem[] = [];
  const missingAll: string[] = [];
  for (const p of agent.parameters) {
    if (!p.required || p.deprecated) continue;
    const olds = closure(p.name);
    if (!olds.size) {
      missingAll.push(p.name);
      continue;
    }
    const names = [p.name, ...olds];
    if (names.some((n) => n in attrs)) continue;
    const shown = names.map((n) => [olds.has(n), n] as const).sort(([da, a], [db, b]) => (da !== db ? Number(da) - Number(db) : a < b ? -1 : a > b ? 1 : 0)).map(([d, n]) => (d ? `'${n}' (deprecated)` : `'${n}'`));
    const list = shown.length === 1 ? shown[0] : `${shown.slice(0, -1).join(', ')} or ${shown[shown.length - 1]}`;
    out.push(problem('OPTION_REQUIRED', { path: 'resource', value: names.join(','), forceable: true, message: `resource option ${list} has to be specified` }));
  }
  const missing = missingAll.filter((n) => !(n in attrs)).sort();
  if (missing.length) {
    const many = missing.length > 1;
    out.push(problem('OPTION_REQUIRED', { path: 'resource', value: missing.join(','), forceable: true, message: `required resource option${many ? 's' : ''} ${formatList(missing)} ${many ? 'are' : 'is'} missing` }));
  }
  return out;
}

/** First non-empty value of an instance attribute, as pcs's nvpair.get_value reads it. */
function instanceValue(primitive: XmlElement, name: string): string {
  for (const set of elements(primitive, 'instance_attributes')) {
    for (const p of elements(set, 'nvpair')) if (p.attrs.name === name && p.attrs.value) return p.attrs.value;
  }
  return '';
}

/** pcs's _validate_unique_instance_attributes: unique groups must differ from other resources of the agent. */
function uniqueParameters(agent: AgentMetadata, attrs: Options, cib: Cib): Problem[] {
  const groups = new Map<string, string[]>();
  for (const p of agent.parameters) if (p.uniqueGroup) groups.set(p.uniqueGroup, [...(groups.get(p.uniqueGroup) ?? []), p.name]);
  if (!groups.size) return [];
  const conf = child(cib, 'configuration');
  const resources = conf && child(conf, 'resources');
  if (!resources) return [];
  const same: XmlElement[] = [];
  walk(resources, (e) => {
    if (e.tag === 'primitive' && e.attrs.class === agent.name.standard && e.attrs.type === agent.name.type && (!agent.name.provider || e.attrs.provider === agent.name.provider)) same.push(e);
  });
  const out: Problem[] = [];
  const agentName = fullAgentName(agent.name);
  for (const [group, names] of groups) {
    const values = names.map((n) => attrs[n] ?? '');
    if (!values.some((v) => v)) continue;
    const conflicts = same.filter((p) => names.every((n, i) => instanceValue(p, n) === values[i])).map((p) => p.attrs.id).sort();
    if (!conflicts.length) continue;
    const ids = formatList(conflicts);
    if (names.length === 1) {
      out.push(problem('OPTION_INVALID_VALUE', { path: `resource.${names[0]}`, value: values[0], forceable: true, message: `Value '${values[0]}' of option '${names[0]}' is not unique across '${agentName}' resources. Following resources are configured with the same value of the instance attribute: ${ids}` }));
    } else {
      const pairs = names.map((n, i) => [n, values[i]] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const q = (l: string[]) => l.map((s) => `'${s}'`).join(', ');
      out.push(problem('OPTION_INVALID_VALUE', {
        path: `resource.${group}`,
        value: pairs.map(([, v]) => v).join(','),
        forceable: true,
        message: `Value ${q(pairs.map(([, v]) => v))} of options ${q(pairs.map(([n]) => n))} (group '${group}') is not unique across '${agentName}' resources. Following resources are configured with the same values of the instance attributes: ${ids}`,
      }));
    }
  }
  return out;
}

// ---- stage 5: into the bundle (pcs's create_into_bundle and bundle.add_resource) ----

function isAccessible(bundle: XmlElement): boolean {
  const network = elements(bundle, 'network')[0];
  return !!network && !!(network.attrs['control-port'] || network.attrs['ip-range-start']);
}

function accessibility(bundle: XmlElement, primitive: XmlElement): Problem[] {
  if (isAccessible(bundle)) return [];
  return [
    problem('BUNDLE_NOT_ACCESSIBLE', {
      path: 'network',
      value: primitive.attrs.id,
      forceable: true,
      message: `Resource '${primitive.attrs.id}' will not be accessible by the cluster inside bundle '${bundle.attrs.id}', at least one of bundle options 'control-port' or 'ip-range-start' has to be specified`,
    }),
  ];
}

function alreadyContains(bundle: XmlElement): Problem[] {
  const inner = elements(bundle, 'primitive')[0];
  if (!inner) return [];
  const id = bundle.attrs.id;
  return [problem('BUNDLE_HAS_RESOURCE', { path: id, value: inner.attrs.id, message: `bundle '${id}' already contains resource '${inner.attrs.id}', a bundle may contain at most one resource` })];
}

/** berth's whole-bundle rules (bundle-rules.ts): errors the new resource brings in, not those already there. */
function newBundleRuleProblems(bundle: XmlElement, primitive: XmlElement): Problem[] {
  const errors = (b: XmlElement) => bundleRules(b).filter((p) => p.severity === 'error');
  const before = new Set(errors(bundle).map((p) => p.message));
  return errors({ ...bundle, children: [...bundle.children, primitive] }).filter((p) => !before.has(p.message));
}
