// Resource agents as pcs sees them (pcs/lib/resource_agent/, pcs/lib/cib/resource/agent.py):
// names (`ocf:heartbeat:apache`), metadata (parameters and actions) and the default operations a
// new primitive gets from them.
//
// Terms: "standard" is the agent class (ocf, lsb, service, ...); an "action" is what the agent's
// metadata offers (start, monitor depth=10, ...); an "operation" is an <op> in the CIB.
// Reading metadata sits behind `AgentCatalog`, so this module is pure; the catalog of the agents
// installed on this node (which runs them) is src/runtime/agents.ts.
import { Problem, problem } from '../errors/registry';
import { XmlElement, XmlNode, elements, isElement, parseXml } from './xml';

// ---- names ----

export interface AgentName {
  standard: string;
  provider?: string;
  type: string;
}

export const fullAgentName = (n: AgentName) => (n.provider ? `${n.standard}:${n.provider}:${n.type}` : `${n.standard}:${n.type}`);

/** Every standard valid in a CIB (pcs's split_resource_agent_name). */
export const AGENT_STANDARDS = ['heartbeat', 'lsb', 'nagios', 'ocf', 'service', 'stonith', 'systemd', 'upstart'];

export function invalidAgentName(name: string): Problem {
  return problem('AGENT_NAME_INVALID', {
    path: 'agent',
    value: name,
    allowed: 'standard:provider:type when standard is ocf, standard:type otherwise',
    message: `Invalid resource agent name '${name}'. Use standard:provider:type when standard is 'ocf' or standard:type otherwise.`,
  });
}

/** pcs's split_resource_agent_name: a full name to its parts, or AGENT_NAME_INVALID. */
export function parseAgentName(full: string): AgentName | Problem {
  // systemd/service units with an instance, e.g. systemd:lvm2-pvscan@252:2
  const unit = /^(systemd|service):([^:@]+@.*)$/.exec(full);
  if (unit) return { standard: unit[1], type: unit[2] };
  const m = /^([^:]+)(?::([^:]+))?:([^:]+)$/.exec(full);
  if (!m) return invalidAgentName(full);
  const [, standard, provider, type] = m;
  if (!AGENT_STANDARDS.includes(standard)) return invalidAgentName(full);
  if ((standard === 'ocf') !== (provider !== undefined)) return invalidAgentName(full);
  return provider === undefined ? { standard, type } : { standard, provider, type };
}

export const isProblem = (x: unknown): x is Problem => typeof x === 'object' && x !== null && 'code' in x && 'severity' in x;

// ---- metadata ----

export interface AgentParameter {
  name: string;
  /** content type: string, integer, boolean, select, ... */
  type: string;
  default?: string;
  enumValues?: string[];
  required: boolean;
  deprecated: boolean;
  /** parameters replacing this one (OCF 1.1 replaced-with, OCF 1.0 obsoletes) */
  deprecatedBy: string[];
  /** parameters in one group must not have the same values in two resources of this agent */
  uniqueGroup?: string;
  reloadable: boolean;
  shortdesc?: string;
}

export interface AgentAction {
  name: string;
  timeout?: string;
  interval?: string;
  /** Promoted / Unpromoted (OCF 1.0 Master / Slave are translated) */
  role?: string;
  startDelay?: string;
  depth?: string;
  automatic: boolean;
  onTarget: boolean;
}

export interface AgentMetadata {
  name: AgentName;
  /** false for the stand-in pcs uses when an agent is missing and --force was given */
  exists: boolean;
  ocfVersion: string;
  parameters: AgentParameter[];
  actions: AgentAction[];
}

export const SUPPORTED_OCF_VERSIONS = ['1.0', '1.1'];
/** pcs's prefix for the unique group of an OCF 1.0 parameter with unique="1" */
export const DEFAULT_UNIQUE_GROUP_PREFIX = '_pcs_unique_group_';

/** Why metadata could not be had; becomes AGENT_UNKNOWN, which --force may override. */
export type AgentFailure =
  | { kind: 'unavailable'; agent: string; reason: string }
  | { kind: 'ocf-version'; agent: string; version: string };

export function agentFailureProblem(f: AgentFailure): Problem {
  if (f.kind === 'ocf-version') {
    return problem('AGENT_UNKNOWN', {
      path: 'agent',
      value: f.agent,
      allowed: SUPPORTED_OCF_VERSIONS.join(', '),
      forceable: true,
      message: `Unable to process agent '${f.agent}' as it implements unsupported OCF version '${f.version}', supported versions are: ${SUPPORTED_OCF_VERSIONS.map((v) => `'${v}'`).join(', ')}`,
    });
  }
  return problem('AGENT_UNKNOWN', { path: 'agent', value: f.agent, forceable: true, message: `Agent '${f.agent}' is not installed or does not provide valid metadata: ${f.reason}` });
}

/** pcs's name_to_void_metadata: what a missing agent looks like after --force. */
export function voidMetadata(name: AgentName): AgentMetadata {
  return { name, exists: false, ocfVersion: '1.0', parameters: [], actions: [] };
}

const text = (e: XmlElement | undefined): string | undefined => {
  if (!e) return undefined;
  const t = e.children.filter((c): c is { text: string } => !isElement(c) && 'text' in c).map((c) => c.text).join('');
  return t.trim();
};

const firstChild = (e: XmlElement, tag: string) => elements(e, tag)[0];

/** All descendants with that tag, in document order (lxml's iter). */
function descendants(e: XmlElement, tag: string): XmlElement[] {
  const out: XmlElement[] = [];
  const visit = (n: XmlNode) => {
    if (!isElement(n)) return;
    if (n.tag === tag) out.push(n);
    n.children.forEach(visit);
  };
  e.children.forEach(visit);
  return out;
}

const ROOT_CHILDREN = new Set(['version', 'longdesc', 'shortdesc', 'parameters', 'actions', 'special', 'vendor-url', 'symlink']);
const ROLES = new Set(['Master', 'Slave', 'Promoted', 'Unpromoted']);
const BOOL01 = new Set(['0', '1']);

/** The parts of pcs's OCF RelaxNG schemas that pcs relies on; returns why the document fails. */
function structureProblem(root: XmlElement): string | undefined {
  if (root.tag !== 'resource-agent') return `the root element is <${root.tag}>, expected <resource-agent>`;
  if (root.attrs.name === undefined) return "element 'resource-agent' has no attribute 'name'";
  for (const c of elements(root)) if (!ROOT_CHILDREN.has(c.tag)) return `element '${c.tag}' is not allowed in 'resource-agent'`;
  for (const tag of ['version', 'parameters', 'actions', 'special', 'vendor-url']) {
    if (elements(root, tag).length > 1) return `element '${tag}' appears more than once in 'resource-agent'`;
  }
  const params = firstChild(root, 'parameters');
  for (const p of params ? elements(params) : []) {
    if (p.tag !== 'parameter') return `element '${p.tag}' is not allowed in 'parameters'`;
    if (p.attrs.name === undefined) return "element 'parameter' has no attribute 'name'";
    for (const a of ['unique', 'required', 'reloadable']) if (p.attrs[a] !== undefined && !BOOL01.has(p.attrs[a])) return `attribute '${a}' of parameter '${p.attrs.name}' is '${p.attrs[a]}', expected 0 or 1`;
  }
  const actions = firstChild(root, 'actions');
  for (const a of actions ? elements(actions) : []) {
    if (a.tag !== 'action') return `element '${a.tag}' is not allowed in 'actions'`;
    if (a.attrs.name === undefined) return "element 'action' has no attribute 'name'";
    if (a.attrs.role !== undefined && !ROLES.has(a.attrs.role)) return `role '${a.attrs.role}' of action '${a.attrs.name}' is not one of Master, Slave, Promoted, Unpromoted`;
    for (const b of ['automatic', 'on_target']) if (a.attrs[b] !== undefined && !BOOL01.has(a.attrs[b])) return `attribute '${b}' of action '${a.attrs.name}' is '${a.attrs[b]}', expected 0 or 1`;
  }
  return undefined;
}

/**
 * Agents print `<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">`; such an external-id-only DOCTYPE
 * declares nothing, so it is dropped. One with an internal subset is refused, as berth refuses
 * entity declarations everywhere.
 */
function dropPlainDoctype(xml: string): string | { error: string } {
  const m = /<!DOCTYPE[^>[]*(\[)?[^>]*>/.exec(xml);
  if (!m) return xml;
  if (m[1]) return { error: 'the metadata has a DOCTYPE with an internal subset, which berth refuses' };
  return xml.slice(0, m.index) + xml.slice(m.index + m[0].length);
}

const bool = (v: string | undefined) => v === '1';

/**
 * Raw metadata XML to pcs's cleaned metadata (parse_metadata, ocf_version_to_ocf_unified,
 * ocf_unified_to_pcs and the trace parameters the facade adds for heartbeat/pacemaker agents).
 */
export function parseAgentMetadata(name: AgentName, xml: string): AgentMetadata | AgentFailure {
  const agent = fullAgentName(name);
  const stripped = dropPlainDoctype(xml);
  if (typeof stripped !== 'string') return { kind: 'unavailable', agent, reason: stripped.error };
  let root: XmlElement;
  try {
    root = parseXml(stripped, `metadata of ${agent}`);
  } catch (e) {
    return { kind: 'unavailable', agent, reason: (e as Error).message };
  }
  const version = text(firstChild(root, 'version')) ?? '1.0';
  const bad = structureProblem(root);
  if (bad) return { kind: 'unavailable', agent, reason: bad };
  if (!SUPPORTED_OCF_VERSIONS.includes(version)) return { kind: 'ocf-version', agent, version };

  const paramsEl = firstChild(root, 'parameters');
  const rawParams = paramsEl ? descendants(paramsEl, 'parameter') : [];
  // OCF 1.0: `obsoletes="old"` on the new parameter means old is deprecated by it.
  const obsoletedBy = new Map<string, string[]>();
  if (version === '1.0') {
    for (const p of rawParams) if (p.attrs.obsoletes) obsoletedBy.set(p.attrs.obsoletes, [...(obsoletedBy.get(p.attrs.obsoletes) ?? []), p.attrs.name]);
  }
  const parameters: AgentParameter[] = rawParams.map((p) => {
    const content = firstChild(p, 'content');
    const type = content?.attrs.type ?? 'string';
    const param: AgentParameter = {
      name: p.attrs.name,
      type,
      required: bool(p.attrs.required),
      deprecated: false,
      deprecatedBy: [],
      reloadable: false,
    };
    if (content?.attrs.default !== undefined) param.default = content.attrs.default;
    if (type === 'select' && content) param.enumValues = elements(content, 'option').map((o) => o.attrs.value ?? '');
    const shortdesc = text(firstChild(p, 'shortdesc'));
    if (shortdesc !== undefined) param.shortdesc = shortdesc;
    if (version === '1.0') {
      param.deprecated = bool(p.attrs.deprecated);
      param.deprecatedBy = [...(obsoletedBy.get(p.attrs.name) ?? [])].sort();
      if (bool(p.attrs.unique)) param.uniqueGroup = `${DEFAULT_UNIQUE_GROUP_PREFIX}${p.attrs.name}`;
      // pcs 0.11.5 takes reloadable from unique for OCF 1.0 agents
      param.reloadable = bool(p.attrs.unique);
    } else {
      const dep = firstChild(p, 'deprecated');
      if (dep) {
        param.deprecated = true;
        param.deprecatedBy = elements(dep, 'replaced-with').map((r) => r.attrs.name ?? '');
      }
      if (p.attrs['unique-group'] !== undefined) param.uniqueGroup = p.attrs['unique-group'];
      param.reloadable = bool(p.attrs.reloadable);
    }
    return param;
  });
  if (name.standard === 'ocf' && (name.provider === 'heartbeat' || name.provider === 'pacemaker')) parameters.push(...traceParameters(parameters));

  const actionsEl = firstChild(root, 'actions');
  const actions: AgentAction[] = (actionsEl ? descendants(actionsEl, 'action') : []).map((a) => {
    const action: AgentAction = { name: a.attrs.name, automatic: bool(a.attrs.automatic), onTarget: bool(a.attrs.on_target) };
    if (a.attrs.timeout !== undefined) action.timeout = a.attrs.timeout;
    if (a.attrs.interval !== undefined) action.interval = a.attrs.interval;
    if (a.attrs.role !== undefined) action.role = primaryRole(a.attrs.role);
    if (a.attrs['start-delay'] !== undefined) action.startDelay = a.attrs['start-delay'];
    if (a.attrs.depth !== undefined) action.depth = a.attrs.depth;
    return action;
  });
  return { name, exists: true, ocfVersion: version, parameters, actions };
}

/** pcs's get_additional_trace_parameters: every heartbeat/pacemaker agent accepts these. */
function traceParameters(existing: AgentParameter[]): AgentParameter[] {
  const names = new Set(existing.map((p) => p.name.toLowerCase()));
  const out: AgentParameter[] = [];
  const base = { required: false, deprecated: false, deprecatedBy: [], reloadable: false };
  if (!names.has('trace_ra')) out.push({ ...base, name: 'trace_ra', type: 'integer', default: '0', shortdesc: 'Set to 1 to turn on resource agent tracing (expect large output)' });
  if (!names.has('trace_file')) out.push({ ...base, name: 'trace_file', type: 'string', default: '', shortdesc: 'Path to a file to store resource agent tracing log' });
  return out;
}

// ---- roles ----

/** pcs's role.get_value_primary: legacy role names to the new ones. */
export function primaryRole(role: string): string {
  if (role === 'Master') return 'Promoted';
  if (role === 'Slave') return 'Unpromoted';
  return role;
}

/** pcs's role.get_value_for_cib: new names unless the CIB schema predates them (pacemaker-3.7). */
export function roleForCib(role: string, newRoleNames: boolean): string {
  if (newRoleNames) return primaryRole(role);
  if (role === 'Promoted' || role === 'Master') return 'Master';
  if (role === 'Unpromoted' || role === 'Slave') return 'Slave';
  return role;
}

// ---- default operations ----

/** An operation as pcs builds it from an action: attributes in pcs's order, plus OCF_CHECK_LEVEL. */
export interface OperationSpec {
  name: string;
  interval: string;
  timeout?: string;
  role?: string;
  startDelay?: string;
  checkLevel?: string;
}

// Monitor is always needed, even with --no-default-ops or an agent not listing it.
const NECESSARY_OPERATIONS = ['monitor'];
// Actions never copied to the CIB: one-time actions and the deprecated alias of monitor.
const NOT_DEFAULT_OPERATIONS = new Set(['meta-data', 'status', 'validate-all']);

/** pcs's get_default_operation_interval. */
export const defaultOperationInterval = (name: string) => (name === 'monitor' ? '60s' : '0s');

/** pcs's get_default_operations: which actions become operations of a new resource. */
export function defaultOperations(metadata: AgentMetadata, necessaryOnly: boolean): OperationSpec[] {
  const isDefault = metadata.name.standard === 'stonith' ? (a: AgentAction) => a.name === 'monitor' : (a: AgentAction) => !NOT_DEFAULT_OPERATIONS.has(a.name);
  const chosen = metadata.actions.filter((a) => (necessaryOnly ? NECESSARY_OPERATIONS.includes(a.name) : isDefault(a)));
  const names = new Set(chosen.map((a) => a.name));
  for (const n of NECESSARY_OPERATIONS) if (!names.has(n)) chosen.push({ name: n, automatic: false, onTarget: false });
  return chosen.map((a) => {
    const op: OperationSpec = { name: a.name, interval: a.interval ? a.interval : defaultOperationInterval(a.name) };
    if (a.timeout) op.timeout = a.timeout;
    if (a.role) op.role = a.role;
    if (a.startDelay) op.startDelay = a.startDelay;
    if (a.depth !== undefined && a.depth !== '0') op.checkLevel = a.depth;
    return op;
  });
}

// ---- where metadata comes from ----

export interface AgentListing {
  standard: string;
  provider?: string;
  types: string[];
}

/** The agents installed on this node and their metadata; the one I/O seam of this module. */
export interface AgentCatalog {
  /** metadata XML as the agent prints it, or why there is none */
  metadataXml(name: AgentName): { xml: string } | { error: string };
  /** agents by standard[:provider], sorted as pcs lists them (for guessing a bare type) */
  list(): AgentListing[];
}

/** Metadata of an agent, or why there is none. */
export function loadAgentMetadata(catalog: AgentCatalog, name: AgentName): AgentMetadata | AgentFailure {
  const raw = catalog.metadataXml(name);
  if ('error' in raw) return { kind: 'unavailable', agent: fullAgentName(name), reason: raw.error };
  return parseAgentMetadata(name, raw.xml);
}

/** pcs's find_one_resource_agent_by_type: a bare type (`apache`) to the one agent of that type. */
export function guessAgentName(catalog: AgentCatalog, type: string): { name: AgentName; note: string } | Problem {
  const lower = type.toLowerCase();
  const found: AgentName[] = [];
  for (const l of catalog.list()) {
    for (const t of l.types) if (t.toLowerCase() === lower) found.push(l.provider ? { standard: l.standard, provider: l.provider, type: t } : { standard: l.standard, type: t });
  }
  if (found.length === 1) return { name: found[0], note: `Assumed agent name '${fullAgentName(found[0])}' (deduced from '${type}')` };
  if (found.length) {
    const names = found.map(fullAgentName).sort().map((n) => `'${n}'`);
    return problem('AGENT_NAME_INVALID', { path: 'agent', value: type, allowed: found.map(fullAgentName).sort().join(', '), message: `Multiple agents match '${type}', please specify full name: ${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}` });
  }
  return problem('AGENT_NAME_INVALID', { path: 'agent', value: type, message: `Unable to find agent '${type}', try specifying its full name` });
}
