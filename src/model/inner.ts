// The resource inside a bundle, as berth runs it: the primitive's agent, parameters and
// operations, with Pacemaker's defaults filled in, and how each replica's executor
// (pacemaker-remoted on the control-port) is reached. Pure: the CIB elements in, data out.
//
// Terms: the *inner resource* is the bundle's primitive; each replica runs one instance of it,
// on the replica's *guest node* (named like the replica, B-i), through the executor in the
// container. An *op key* is Pacemaker's `OP_INTERVALMS` (monitor_30000, start_0): fail counts are
// kept per op key, as Pacemaker's `fail-count-RSC#OP_INTERVALMS`.
import { XmlElement, child, elements } from '../cib/xml';
import { isInteger } from '../validate/options';
import { parseDurationMs, parseThreshold } from './durations';
import { isFalse, setValues } from './properties';
import { CRM_FEATURE_SET } from '../remote/messages';

/** What to do when an operation fails (Pacemaker's `on-fail`). */
export type OnFail = 'ignore' | 'block' | 'stop' | 'restart' | 'standby' | 'fence' | 'demote';
export const ON_FAIL_VALUES: readonly OnFail[] = ['ignore', 'block', 'stop', 'restart', 'standby', 'fence', 'demote'];

export type InnerRole = 'Promoted' | 'Unpromoted';

export interface InnerOp {
  name: string;
  intervalMs: number;
  timeoutMs: number;
  /** a monitor for one role only (role="Promoted"/"Unpromoted"; Master/Slave are old names) */
  role?: InnerRole;
  onFail: OnFail;
  /** `OP_INTERVALMS`: what fail counts are kept by */
  key: string;
}

/** Pacemaker's executor port when control-port is not set (include/crm/lrmd.h). */
export const DEFAULT_REMOTE_PORT = 3121;
/** Where the image finds the key and the executor, as Pacemaker mounts and runs them. */
export const REMOTE_KEY_PATH = '/etc/pacemaker/authkey';
export const REMOTE_COMMAND = '/usr/sbin/pacemaker-remoted';
/** Pacemaker's default operation timeout. */
export const DEFAULT_OP_TIMEOUT_MS = 20_000;

export interface InnerSpec {
  id: string;
  agent: { class: string; provider?: string; type: string };
  /** class:provider:type, as status shows it */
  agentName: string;
  /** the primitive's instance attributes (rule-less sets, the first naming a value wins) */
  params: Record<string, string>;
  start: InnerOp;
  stop: InnerOp;
  promote: InnerOp;
  demote: InnerOp;
  /** the recurring monitors, each with its role when it has one */
  monitors: InnerOp[];
  /** the executor's port in each replica (control-port, default 3121) */
  controlPort: number;
  /** replicas that run the resource promoted (0: not promotable) */
  promotedMax: number;
  promotedNodeMax: number;
  /** failures on a replica after which the resource stays stopped there (Infinity: never) */
  migrationThreshold: number;
  /** failures older than this are forgotten (ms; 0: never) */
  failureTimeoutMs: number;
  /** start-failure-is-fatal (default true): a failed start counts as migration-threshold failures */
  startFailureIsFatal: boolean;
  /** the primitive's own target-role: Stopped stops the resource (the containers stay) */
  targetRole?: 'Stopped' | 'Started' | 'Promoted' | 'Unpromoted';
}

const roleOf = (v: string | undefined): InnerRole | undefined =>
  v === undefined ? undefined : /^(promoted|master)$/i.test(v) ? 'Promoted' : /^(unpromoted|slave)$/i.test(v) ? 'Unpromoted' : undefined;

const onFailOf = (v: string | undefined): OnFail | undefined => {
  const x = v?.trim().toLowerCase();
  return (ON_FAIL_VALUES as readonly string[]).includes(x ?? '') ? (x as OnFail) : undefined;
};

export interface InnerContext {
  /** rsc_defaults */
  rscDefaults?: XmlElement;
  /** op_defaults */
  opDefaults?: XmlElement;
  /** the stonith-enabled property (default true): a failed stop then fences (recovers the container) */
  stonithEnabled: boolean;
  /** start-failure-is-fatal (default true) */
  startFailureIsFatal: boolean;
}

/**
 * The bundle's primitive as berth runs it. Meta attributes come from the primitive, then the
 * bundle (its children inherit them, as in Pacemaker), then rsc_defaults.
 */
export function readInner(bundle: XmlElement, primitive: XmlElement, ctx: InnerContext): InnerSpec {
  const pMeta = setValues(primitive, 'meta_attributes');
  const bMeta = setValues(bundle, 'meta_attributes');
  const dMeta = setValues(ctx.rscDefaults, 'meta_attributes');
  const meta = (name: string): string | undefined => pMeta[name] ?? bMeta[name] ?? dMeta[name];
  const opDefaults = setValues(ctx.opDefaults, 'meta_attributes');
  const defaultTimeout = parseDurationMs(opDefaults.timeout) ?? DEFAULT_OP_TIMEOUT_MS;
  const container = elements(bundle).find((e) => e.tag === 'docker' || e.tag === 'podman' || e.tag === 'rkt');
  const c = container?.attrs ?? {};
  const network = child(bundle, 'network');
  const port = network?.attrs['control-port'];
  const pm = c['promoted-max'] ?? c.masters;

  const defined = (child(primitive, 'operations') ? elements(child(primitive, 'operations')!, 'op') : [])
    .filter((o) => !isFalse(o.attrs.enabled));
  const opOf = (name: string, o: XmlElement | undefined): InnerOp => {
    const intervalMs = parseDurationMs(o?.attrs.interval ?? '0') ?? 0;
    const role = roleOf(o?.attrs.role);
    const fallback: OnFail = name === 'stop' ? (ctx.stonithEnabled ? 'fence' : 'block') : 'restart';
    return {
      name,
      intervalMs,
      timeoutMs: parseDurationMs(o?.attrs.timeout) ?? defaultTimeout,
      ...(role ? { role } : {}),
      onFail: onFailOf(o?.attrs['on-fail']) ?? onFailOf(opDefaults['on-fail']) ?? fallback,
      key: `${name}_${intervalMs}`,
    };
  };
  const oneShot = (name: string) => opOf(name, defined.find((o) => o.attrs.name === name && (parseDurationMs(o.attrs.interval ?? '0') ?? 0) === 0));
  const monitors = defined
    .filter((o) => o.attrs.name === 'monitor' && (parseDurationMs(o.attrs.interval ?? '0') ?? 0) > 0)
    .map((o) => opOf('monitor', o));

  const a = { class: primitive.attrs.class ?? '', ...(primitive.attrs.provider ? { provider: primitive.attrs.provider } : {}), type: primitive.attrs.type ?? '' };
  const target = meta('target-role')?.trim();
  const targetRole = target === undefined ? undefined : /^stopped$/i.test(target) ? 'Stopped' : /^(promoted|master)$/i.test(target) ? 'Promoted' : /^(unpromoted|slave)$/i.test(target) ? 'Unpromoted' : 'Started';
  const sfif = meta('start-failure-is-fatal');
  return {
    id: primitive.attrs.id,
    agent: a,
    agentName: `${a.class}${a.provider ? `:${a.provider}` : ''}:${a.type}`,
    params: setValues(primitive, 'instance_attributes'),
    start: oneShot('start'),
    stop: oneShot('stop'),
    promote: oneShot('promote'),
    demote: oneShot('demote'),
    monitors,
    controlPort: port !== undefined && isInteger(port, 1, 65535) ? Number(port) : DEFAULT_REMOTE_PORT,
    promotedMax: pm !== undefined && isInteger(pm, 0) ? Number(pm) : 0,
    // Per guest node, which holds one instance (Pacemaker has no such attribute on a bundle's
    // container; the clone's default, 1, is what its agents are told).
    promotedNodeMax: 1,
    migrationThreshold: parseThreshold(meta('migration-threshold')) ?? Infinity,
    failureTimeoutMs: parseDurationMs(meta('failure-timeout')) ?? 0,
    startFailureIsFatal: sfif !== undefined ? !isFalse(sfif) : ctx.startFailureIsFatal,
    ...(targetRole ? { targetRole } : {}),
  };
}

/** The monitor that watches an instance in a role: the role's own, else one without a role. */
export function monitorFor(spec: InnerSpec, role: 'Started' | InnerRole): InnerOp | undefined {
  const own = spec.monitors.find((m) => m.role === (role === 'Started' ? undefined : role));
  if (own) return own;
  if (role === 'Unpromoted') return spec.monitors.find((m) => m.role === undefined);
  return role === 'Started' ? spec.monitors.find((m) => m.role === undefined) : undefined;
}

/**
 * The parameters of one operation, as Pacemaker's controller passes them to the executor: the
 * instance attributes, then CRM_meta_* (the op's name, interval and timeout, the guest node it
 * runs on, and the implicit clone's numbers).
 */
export function opParams(spec: InnerSpec, op: InnerOp, o: { index: number; replica: string; replicas: number; replicasPerHost: number; host: string }): Record<string, string> {
  const out: Record<string, string> = { ...spec.params };
  // The feature set Pacemaker 2.1.5's controller sends with every action: agents read it to choose
  // between crm_attribute -p and crm_master.
  out.crm_feature_set = CRM_FEATURE_SET;
  out.CRM_meta_name = op.name;
  out.CRM_meta_interval = String(op.intervalMs);
  out.CRM_meta_timeout = String(op.timeoutMs);
  if (op.role) out.CRM_meta_role = op.role;
  out.CRM_meta_on_node = o.replica;
  out.CRM_meta_on_node_uuid = o.replica;
  out.CRM_meta_physical_host = o.host;
  out.CRM_meta_clone = String(o.index);
  out.CRM_meta_clone_max = String(o.replicas);
  out.CRM_meta_clone_node_max = String(o.replicasPerHost);
  out.CRM_meta_globally_unique = o.replicasPerHost > 1 ? 'true' : 'false';
  out.CRM_meta_notify = 'false';
  if (spec.promotedMax > 0) {
    out.CRM_meta_promoted_max = String(spec.promotedMax);
    out.CRM_meta_promoted_node_max = String(spec.promotedNodeMax);
    // The names older agents read (Pacemaker 2.1 still passes both).
    out.CRM_meta_master_max = String(spec.promotedMax);
    out.CRM_meta_master_node_max = String(spec.promotedNodeMax);
  }
  return out;
}

/** The promotion score's attribute, as agents set it (crm_attribute --promotion): master-RSC. */
export const promotionAttribute = (rsc: string) => `master-${rsc}`;
