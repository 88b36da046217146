// The planner: desired state + observed state + now + policy → a Plan, pure. A Plan is data, in
// named buckets (create, start, stop, remove, replace, add-address, remove-address, write-file),
// each action with its reason; applying it is a separate, mechanical step (src/controller/apply.ts).
// An empty plan means the node has converged.
//
// The steps, per bundle (see planBundle): bundles gone from the CIB are removed; unmanaged ones
// are only reported; stopped ones are stopped; for the others, replicas no longer placed here are
// removed (highest index first), missing ones created, stopped ones started, failed ones counted
// and held at migration-threshold, and changed ones replaced one at a time (rolling). A container
// stuck in removal (see removeStuck) does not hold its replica back: the replica runs as
// `<name>.next` meanwhile, the removal is retried with a back-off, and the name comes back after.
// Last, the node's addresses of this cluster that nothing holds or needs are swept (sweepAddresses).
import { Problem, problem, warning } from '../errors/registry';
import { HostAddressSpec, interfaceFor, isBerthLabelled } from '../runtime/address-rules';
import { parseIPv4 } from '../validate/bundle-rules';
import { ADDRESS_LABEL, BundleSettings, DesiredReplica, DesiredState, replicaName } from './desired';
import { clearedRecord, failureState, parseReplicaLedgerKey, replicaLedgerKey, sameRecord, settingsById, withRepairedFailure } from './failures';
import type { ContainerRun, FailureRecord, HostAddress, ObservedContainer, ObservedState } from './observed';
import { BERTH_LABELS, NEXT_SUFFIX } from '../runtime/labels';
import { SpecChange, formatSpecChanges, parseSpecRecord, specChanges } from '../model/spec-record';
import type { OrderAction } from '../model/order';
import type { OrderAfter } from '../scheduler/order';
import type { InnerChain } from './inner';

export interface PlanPolicy {
  /** replicas of one bundle replaced per pass while a spec changes (1: strictly one at a time) */
  maxReplacementsPerBundle: number;
  /** a container that exited less than this ago is left to the engine's restart policy (which
   * also stops every container while the engine itself shuts down); berth starts it after */
  exitGraceMs: number;
  /** a container stuck in removal: the wait after its first failed removal before the next one,
   * doubled after each, up to `removeRetryMaxMs` */
  removeRetryMs: number;
  removeRetryMaxMs: number;
}

export const DEFAULT_POLICY: PlanPolicy = { maxReplacementsPerBundle: 1, exitGraceMs: 2000, removeRetryMs: 10_000, removeRetryMaxMs: 600_000 };

interface ActionBase {
  bundle: string;
  index: number;
  /** the replica's name `<bundle>-<index>` */
  replica: string;
  reason: string;
}

export interface CreateAction extends ActionBase {
  kind: 'create';
  desired: DesiredReplica;
}
export interface StartAction extends ActionBase {
  kind: 'start';
  containerId: string;
}
export interface StopAction extends ActionBase {
  kind: 'stop';
  containerId: string;
  /** a stop an order constraint asks for (src/scheduler/order.ts orderCascade): first stops
   * (`restart` false) or (re)starts (`restart` true: the replica starts again once first is up) */
  order?: { constraint: string; restart: boolean; because: OrderAfter[] };
}
export interface RemoveAction extends ActionBase {
  kind: 'remove';
  containerId: string;
  containerName: string;
  /** a container stuck in removal (isStuck): removed without a graceful stop first */
  stuck?: true;
}
export interface ReplaceAction extends ActionBase {
  kind: 'replace';
  /** the fields the new spec changes, when the old container's spec record tells (`reason` says
   * them in words); absent: replaced for another reason, or the old spec is not known */
  changes?: SpecChange[];
  containerId: string;
  containerName: string;
  /** the old container runs now: the new one is created before it is stopped */
  running: boolean;
  desired: DesiredReplica;
  /** a recovery: the old container's failure record, kept for the new one */
  carry?: FailureRecord;
  /** the name the new container is made with (replaceName): the replica's name or `<name>.next`,
   * whichever no other container holds. The old container's own name: the old one goes before
   * the new one is made. */
  as: string;
  /** the new container takes the replica's name once the old one (which holds it) is gone */
  takeName: boolean;
}
/** The replica's container made by a replace (`<name>.next`) takes the replica's name again, once
 * the container it replaced is gone. */
export interface RenameAction extends ActionBase {
  kind: 'rename';
  containerId: string;
  containerName: string;
  to: string;
}
export interface AddressAction extends ActionBase {
  kind: 'add-address' | 'remove-address';
  address: HostAddressSpec;
  /** a remove-address of an address of this cluster that nothing on the node holds or needs (left
   * by a create that never finished): the pass starts the replica elsewhere only once it is gone */
  sweep?: true;
}
export interface WriteFileAction {
  kind: 'write-file';
  bundle: string;
  path: string;
  content: string;
  reason: string;
}

/** Operations of the resource inside one replica, run by its executor (src/reconcile/inner.ts). */
export interface InnerAction extends ActionBase {
  kind: 'inner';
  chain: InnerChain;
}

export type Action = CreateAction | StartAction | StopAction | RemoveAction | RenameAction | ReplaceAction | AddressAction | WriteFileAction | InnerAction;

export interface LedgerUpdate {
  containerId: string;
  replica: string;
  /** null: forget the container (it is gone) */
  record: FailureRecord | null;
}

export interface Note {
  bundle: string;
  replica?: string;
  /** for reports that are a known condition (REPLICA_UNPLACEABLE, ...) */
  code?: string;
  message: string;
  /** a start or stop held by an order constraint: which, and what it waits for */
  order?: { constraint: string; action: OrderAction; after: OrderAfter[] };
}

/** A berth container on the node's engine that is not this cluster's: listed, never touched. */
export interface ForeignContainer {
  code: 'CONTAINER_FOREIGN';
  id: string;
  name: string;
  /** the cluster it belongs to; undefined: none (made before clusters had ids, or by hand) */
  cluster?: string;
  bundle: string;
  message: string;
}

export interface Plan {
  node: string;
  create: CreateAction[];
  start: StartAction[];
  stop: StopAction[];
  /** highest indexes first */
  remove: RemoveAction[];
  /** after the remove of the container that held the name, in the same replica's chain */
  rename: RenameAction[];
  replace: ReplaceAction[];
  addAddress: AddressAction[];
  removeAddress: AddressAction[];
  writeFile: WriteFileAction[];
  /** operations of the resources inside replicas (a stop before its container's actions) */
  inner: InnerAction[];
  /** berth's failure ledger: not an engine write */
  ledger: LedgerUpdate[];
  /** changes held back this pass (rolling update waits for readiness) */
  waiting: Note[];
  /** what is observed and left alone: unmanaged bundles, unplaceable replicas, failures */
  reports: Note[];
  /** what prevents a replica from running: an address held by something else, ... */
  problems: Problem[];
  /** replicas that cannot run because of one of `problems` (they are not waited for) */
  blocked: { replica: string; code: string; message: string }[];
  /** berth containers of other clusters (or none) on this node: left alone */
  foreign: ForeignContainer[];
  /** ms since the epoch: the plan would differ then without any event (a failure-timeout ends) */
  recheckAt?: number;
}

export const emptyPlan = (node: string): Plan => ({
  node, create: [], start: [], stop: [], remove: [], rename: [], replace: [], addAddress: [], removeAddress: [], writeFile: [], inner: [], ledger: [], waiting: [], reports: [], problems: [], blocked: [], foreign: [],
});

/** The changes a plan makes to the node (ledger updates are berth's own bookkeeping). */
export function planChanges(p: Plan): Action[] {
  const before = p.inner.filter((a) => a.chain.before);
  const after = before.length ? p.inner.filter((a) => !a.chain.before) : p.inner;
  return [...p.writeFile, ...before, ...p.stop, ...p.remove, ...p.rename, ...p.replace, ...p.addAddress, ...p.create, ...p.start, ...p.removeAddress, ...after];
}

const formatDuration = (ms: number) => (ms % 60_000 === 0 && ms >= 60_000 ? `${ms / 60_000}min` : `${Math.round(ms / 1000)}s`);

/** `ip/prefix@iface` (berth.address) back to an address; the interface may be empty. */
export function parseAddressLabel(v: string | undefined): { ip: string; prefix: number; interface?: string } | undefined {
  const m = v ? /^(\d+\.\d+\.\d+\.\d+)\/(\d+)@(.*)$/.exec(v) : null;
  return m ? { ip: m[1], prefix: Number(m[2]), ...(m[3] ? { interface: m[3] } : {}) } : undefined;
}

/** Ready for the next step of a rolling update: running, and healthy if it has a health check. */
export const isReady = (c: ObservedContainer) => c.state === 'running' && (c.health === 'none' || c.health === 'healthy');

/**
 * A container whose removal the engine began and could not finish: Docker lists it `removing`
 * (its flag can stay set for good) or `dead`, and refuses to start it. Such a container does not
 * run (Docker names a running container `running` before it looks at the removal flag; an inspect
 * that says it runs overrides the listing), so it holds no replica: the replica may run beside it.
 */
export const isStuck = (c: ObservedContainer, run?: Pick<ContainerRun, 'running'>): boolean => (c.state === 'removing' || c.state === 'dead') && run?.running !== true;

interface Ctx {
  desired: DesiredState;
  observed: ObservedState;
  now: number;
  policy: PlanPolicy;
  addressesByIp: Map<string, HostAddress>;
  /** ips some replica runs with after this plan: never removed */
  keep: Set<string>;
  /** ips claimed by berth containers of this node (label berth.address) */
  claimed: Set<string>;
  /** ips claimed by containers of other clusters on this node, with the claimant */
  claimedByOthers: Map<string, ObservedContainer>;
  /** the names of every container the node's engine listed (one engine: a name is held once) */
  names: Set<string>;
  /** the desired replicas and the unplaced ones, by bundle (a CIB has thousands of bundles) */
  replicasByBundle: Map<string, DesiredReplica[]>;
  unplacedByBundle: Map<string, Map<number, string>>;
}

type AddressCheck =
  | { ok: true; spec: HostAddressSpec; present: boolean }
  | { ok: false; problem: Problem };

function checkAddress(ctx: Ctx, d: DesiredReplica): AddressCheck | undefined {
  const a = d.address;
  if (!a) return undefined;
  const iface = a.interface ?? interfaceFor(a.ip, ctx.observed.addresses);
  const path = `/cib/configuration/resources/bundle[@id='${d.bundle}']/network/@ip-range-start`;
  if (!iface) {
    return { ok: false, problem: problem('OPTION_REQUIRED', { path, value: a.ip, allowed: 'host-interface=IF', message: `no interface of this host has a subnet holding ${a.ip} (replica ${d.name}): set host-interface` }) };
  }
  const spec: HostAddressSpec = { ip: a.ip, prefix: a.prefix, interface: iface };
  const held = ctx.addressesByIp.get(a.ip);
  if (!held) return { ok: true, spec, present: false };
  const other = ctx.claimedByOthers.get(a.ip);
  if (other && !ctx.claimed.has(a.ip)) {
    return { ok: false, problem: problem('ADDRESS_IN_USE', { path, value: a.ip, allowed: 'an address no other cluster holds on this host', message: `${a.ip} (replica ${d.name}) is held by container ${other.name} of ${other.cluster ? `cluster ${other.cluster}` : 'no cluster'}: change ip-range-start, or remove that container` }) };
  }
  const ours = isBerthLabelled(held) || (held.label === held.interface && ctx.claimed.has(a.ip));
  if (!ours) {
    return { ok: false, problem: problem('ADDRESS_IN_USE', { path, value: a.ip, allowed: 'an address no one else holds on this host', message: `${a.ip} (replica ${d.name}) is already on ${held.interface} (label ${held.label}) and berth did not add it: remove it (ip addr del ${held.ip}/${held.prefix} dev ${held.interface}) or change ip-range-start` }) };
  }
  return { ok: true, spec, present: held.interface === iface && held.prefix === a.prefix };
}

/** The address a container was created with (its label), if it is on the host and berth's. */
function addressOf(ctx: Ctx, c: ObservedContainer): HostAddressSpec | undefined {
  const a = parseAddressLabel(c.labels[ADDRESS_LABEL]);
  if (!a) return undefined;
  const held = ctx.addressesByIp.get(a.ip);
  if (!held || !(isBerthLabelled(held) || held.label === held.interface)) return undefined;
  return { ip: held.ip, prefix: held.prefix, interface: held.interface };
}

/** The items by key, each list in the items' order. */
export function groupBy<T>(items: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const x of items) {
    const k = key(x);
    const g = out.get(k);
    if (g) g.push(x);
    else out.set(k, [x]);
  }
  return out;
}

const ref = (bundle: string, index: number) => ({ bundle, index, replica: replicaName(bundle, index) });

function removeContainer(ctx: Ctx, plan: Plan, c: ObservedContainer, reason: string): void {
  if (isStuck(c, ctx.observed.runs[c.id])) return removeStuck(ctx, plan, c, reason);
  const index = c.replica ?? -1;
  plan.remove.push({ kind: 'remove', ...ref(c.bundle, index), containerId: c.id, containerName: c.name, reason });
  const a = addressOf(ctx, c);
  if (a) plan.removeAddress.push({ kind: 'remove-address', ...ref(c.bundle, index), address: a, reason: `its replica's container is removed` });
  if (ctx.observed.ledger[c.id]) plan.ledger.push({ containerId: c.id, replica: replicaName(c.bundle, index), record: null });
}

/** When the next removal of a container stuck in removal is due: never tried: now; else after
 * removeRetryMs, doubled with each attempt, at most removeRetryMaxMs. */
export function removalDueAt(rec: FailureRecord | undefined, policy: PlanPolicy): number {
  const r = rec?.removal;
  if (!r || r.attempts <= 0) return -Infinity;
  return r.lastAt + Math.min(policy.removeRetryMs * 2 ** Math.min(r.attempts - 1, 30), policy.removeRetryMaxMs);
}

/** The ledger record of a stuck container with one more removal planned now. */
function withRemovalAttempt(ctx: Ctx, c: ObservedContainer): FailureRecord {
  const prev = ctx.observed.ledger[c.id];
  return { ...(prev ?? { baseline: 0, extra: 0, count: 0 }), removal: { attempts: (prev?.removal?.attempts ?? 0) + 1, lastAt: ctx.now } };
}

/** What the operator is told about a container stuck in removal, and what to do about it. */
function stuckProblem(ctx: Ctx, c: ObservedContainer, stillHere: string, next?: number): Problem {
  const run = ctx.observed.runs[c.id];
  return notRemovableProblem({
    replica: replicaName(c.bundle, c.replica ?? -1), id: c.id, name: c.name, state: c.state,
    error: run?.error, rootfs: run?.rootfs, attempts: ctx.observed.ledger[c.id]?.removal?.attempts ?? 0, stillHere, next,
  });
}

/** CONTAINER_NOT_REMOVABLE: a container the engine cannot remove (`state`: the engine's), what
 * becomes of its replica (`stillHere`), when berth tries again, and how to release it. */
export function notRemovableProblem(x: { replica: string; id: string; name: string; state: string; error?: string; rootfs?: string; attempts: number; stillHere: string; next?: number }): Problem {
  const short = x.id.slice(0, 12);
  const state = x.state === 'removing' ? 'stuck in removal' : x.state === 'dead' ? 'dead' : 'not removable';
  const holder = x.rootfs ? `grep ${x.rootfs.split('/').slice(-2, -1)[0] || x.rootfs} /proc/*/mountinfo` : `grep ${short} /proc/*/mountinfo`;
  return warning('CONTAINER_NOT_REMOVABLE', {
    path: x.replica, value: short, allowed: 'a container the engine can remove',
    message: `container ${x.name} (${short}) is ${state} and does not run: ${x.error ? `the engine says: ${x.error}` : 'the engine has not removed it'}; ${x.stillHere}; `
      + `${x.attempts ? `${x.attempts} removal${x.attempts === 1 ? '' : 's'} failed, ` : ''}berth retries${x.next !== undefined && Number.isFinite(x.next) ? ` at ${new Date(x.next).toISOString()}` : ''}. `
      + `A second mount of its filesystem usually holds it (a bind mount of its layer directory, a mount an engine restart left): find it with \`${holder}\`, unmount it or end the process whose namespace holds it; berth removes it at its next try (or now: \`docker rm -f ${short}\`)`,
  });
}

/**
 * A container stuck in removal: it does not run, so it is no copy of its replica, but the engine
 * cannot remove it (Docker: "driver overlay2 failed to remove root filesystem ... device or resource
 * busy" while a mount elsewhere holds its root filesystem). The removal is retried with a back-off
 * (the ledger keeps the attempts) rather than every pass, and the operator is told each pass.
 * `rename`: the replica's container that waits for its name, renamed in the same chain once the
 * removal works.
 */
function removeStuck(ctx: Ctx, plan: Plan, c: ObservedContainer, reason: string, rename?: ObservedContainer): void {
  const index = c.replica ?? -1;
  const due = removalDueAt(ctx.observed.ledger[c.id], ctx.policy);
  const stillHere = rename ? `replica ${replicaName(c.bundle, index)} runs as ${rename.name} meanwhile` : reason;
  // It runs nothing: its address goes now, unless a replica keeps it (its `.next`, say).
  const a = addressOf(ctx, c);
  if (a) plan.removeAddress.push({ kind: 'remove-address', ...ref(c.bundle, index), address: a, reason: `its container does not run (${c.state})` });
  if (due > ctx.now) {
    plan.recheckAt = Math.min(plan.recheckAt ?? Infinity, due);
    plan.problems.push(stuckProblem(ctx, c, stillHere, due));
    return;
  }
  plan.remove.push({ kind: 'remove', ...ref(c.bundle, index), containerId: c.id, containerName: c.name, stuck: true, reason: `${reason}; it is stuck in removal (${c.state}): tried again` });
  plan.ledger.push({ containerId: c.id, replica: replicaName(c.bundle, index), record: withRemovalAttempt(ctx, c) });
  if (rename) plan.rename.push({ kind: 'rename', ...ref(c.bundle, index), containerId: rename.id, containerName: rename.name, to: replicaName(c.bundle, index), reason: `the container it replaced (${c.id.slice(0, 12)}) is removed` });
  if (ctx.observed.ledger[c.id]?.removal) plan.problems.push(stuckProblem(ctx, c, stillHere));
}

/**
 * The name a replace makes the new container with. The engine holds a name once, and a container
 * stuck in removal keeps its name until it is gone, so the new one takes whichever of the
 * replica's two names (`<name>`, `<name>.next`) no other container holds: the replica's own when
 * free; else `<name>.next`, which takes the replica's name once the old container (if it held it)
 * is removed. When another container holds the one the old container does not (a stuck one), the
 * old container goes first and the new one takes its name; undefined: that cannot be either (the
 * old one is stuck too, or holds neither).
 */
export function replaceName(names: ReadonlySet<string>, d: Pick<DesiredReplica, 'name'>, c: Pick<ObservedContainer, 'name'>, oldStuck: boolean): { as: string; takeName: boolean } | undefined {
  const next = d.name + NEXT_SUFFIX;
  if (!names.has(d.name)) return { as: d.name, takeName: false };
  if (!names.has(next)) return { as: next, takeName: c.name === d.name };
  if (!oldStuck && (c.name === d.name || c.name === next)) return { as: c.name, takeName: false };
  return undefined;
}

function stopContainer(ctx: Ctx, plan: Plan, c: ObservedContainer, reason: string, record?: FailureRecord): void {
  const index = c.replica ?? -1;
  if (c.state === 'running' || c.state === 'restarting' || c.state === 'paused') {
    plan.stop.push({ kind: 'stop', ...ref(c.bundle, index), containerId: c.id, reason });
    const rec = { ...(record ?? ctx.observed.ledger[c.id] ?? { baseline: 0, extra: 0, count: 0 }), stoppedByBerth: true };
    if (!sameRecord(ctx.observed.ledger[c.id], rec)) plan.ledger.push({ containerId: c.id, replica: replicaName(c.bundle, index), record: rec });
  }
  const a = addressOf(ctx, c);
  if (a) plan.removeAddress.push({ kind: 'remove-address', ...ref(c.bundle, index), address: a, reason: 'its replica is stopped' });
}

/**
 * A stop decided over the whole cluster rather than by the node's own plan: an order's cascade (a
 * then replica stops or restarts because of first). Only the container stops — its address stays,
 * as Pacemaker stops only the container; the replica, still placed, is started by a later pass —
 * and the ledger says berth stopped it, so the exit is no failure. False: no running container, or
 * the plan stops or removes it already.
 */
export function stopForOrder(plan: Plan, observed: ObservedState, replica: string, reason: string, order: NonNullable<StopAction['order']>): boolean {
  const c = observed.containers.find((x) => x.replica !== undefined && replicaName(x.bundle, x.replica) === replica && (x.state === 'running' || x.state === 'restarting' || x.state === 'paused'));
  if (!c || plan.stop.some((a) => a.containerId === c.id) || plan.remove.some((a) => a.containerId === c.id)) return false;
  plan.stop.push({ kind: 'stop', ...ref(c.bundle, c.replica!), containerId: c.id, reason, order });
  const planned = plan.ledger.find((l) => l.containerId === c.id)?.record;
  const rec = { ...(planned ?? observed.ledger[c.id] ?? { baseline: 0, extra: 0, count: 0 }), stoppedByBerth: true };
  plan.ledger = plan.ledger.filter((l) => l.containerId !== c.id);
  plan.ledger.push({ containerId: c.id, replica, record: rec });
  return true;
}

/**
 * The container that is the replica, of the containers labelled with it: one not stuck in removal
 * (isStuck) before one that is, then the one named after it, then its replace's `<name>.next`,
 * then the newest; the others are extras. Status and `apply --wait` ask the same.
 */
export function replicaContainer(name: string, group: readonly ObservedContainer[], runs: ObservedState['runs'] = {}): { primary?: ObservedContainer; extras: ObservedContainer[] } {
  if (group.length === 0) return { extras: [] };
  const rank = (c: ObservedContainer) => (isStuck(c, runs[c.id]) ? 4 : 0) + (c.name === name ? 0 : c.name === name + NEXT_SUFFIX ? 1 : 2);
  const sorted = [...group].sort((a, b) => rank(a) - rank(b) || b.created - a.created);
  return { primary: sorted[0], extras: sorted.slice(1) };
}

function planBundle(ctx: Ctx, plan: Plan, s: BundleSettings | undefined, bundleId: string, containers: ObservedContainer[]): void {
  const byIndex = new Map<number, ObservedContainer[]>();
  for (const c of containers) {
    if (c.replica === undefined) {
      plan.reports.push({ bundle: bundleId, message: `container ${c.name} has berth.bundle=${bundleId} but no valid berth.replica label: left alone` });
      continue;
    }
    const g = byIndex.get(c.replica);
    if (g) g.push(c);
    else byIndex.set(c.replica, [c]);
  }

  // The bundle is gone from the CIB: its containers and addresses go too.
  if (!s) {
    for (const group of byIndex.values()) for (const c of group) removeContainer(ctx, plan, c, `bundle ${bundleId} is no longer in the CIB`);
    return;
  }

  if (s.role === 'Stopped') {
    for (const [index, group] of byIndex) {
      if (index >= s.replicas) {
        for (const c of group) removeContainer(ctx, plan, c, `scale in: replicas=${s.replicas}`);
        continue;
      }
      const { primary, extras } = replicaContainer(replicaName(s.id, index), group, ctx.observed.runs);
      for (const x of extras) removeContainer(ctx, plan, x, `a second container for replica ${replicaName(s.id, index)} (left by an interrupted change)`);
      if (primary) stopContainer(ctx, plan, primary, s.stoppedBy ?? 'target-role=Stopped');
    }
    return;
  }

  const desired = new Map((ctx.replicasByBundle.get(s.id) ?? []).map((r) => [r.index, r]));
  const unplaced = ctx.unplacedByBundle.get(s.id) ?? new Map<number, string>();

  // Replicas that no longer run here: scale in (or no room), highest index first (sorted later).
  // One whose failures here reached migration-threshold leaves its count behind (a replica record):
  // it stays off this node until failure-timeout, as Pacemaker's fail-count does.
  for (const [index, group] of byIndex) {
    if (desired.has(index)) continue;
    let why = index >= s.replicas ? `scale in: replicas=${s.replicas}` : `not placed on this node: ${unplaced.get(index) ?? 'placed elsewhere'}`;
    for (const c of group) {
      const f = failureState(ctx.observed.runs[c.id], ctx.observed.ledger[c.id], s.failureTimeoutMs, ctx.now);
      if (index < s.replicas && !f.expired && f.count >= s.migrationThreshold) {
        why = `${f.count} failures reached migration-threshold=${s.migrationThreshold} on this node: ${unplaced.has(index) ? `not placed anywhere (${unplaced.get(index)})` : 'placed elsewhere'}`;
        const key = replicaLedgerKey(s.id, index);
        plan.ledger.push({ containerId: key, replica: replicaName(s.id, index), record: { baseline: 0, extra: 0, count: f.count, ...(f.lastFailureAt !== undefined ? { lastFailureAt: f.lastFailureAt } : {}) } });
      }
      removeContainer(ctx, plan, c, why);
    }
  }

  // What this bundle's replicas start from here on: the actions past these (one bundle at a time).
  const madeBefore = plan.create.length + plan.start.length + plan.replace.length;
  const candidates: { d: DesiredReplica; c: ObservedContainer; why: string; changes?: SpecChange[]; address?: AddressCheck; carry?: FailureRecord; stuck?: boolean }[] = [];
  let unreadyNew: ObservedContainer | undefined;

  for (const d of desired.values()) {
    const { primary: c, extras } = replicaContainer(d.name, byIndex.get(d.index) ?? [], ctx.observed.runs);
    // The replica runs as `<name>.next` while a container stuck in removal holds its name: it
    // takes the name once that one is removed (or at once, when nothing holds it any more).
    const waitsForName = c && c.name === d.name + NEXT_SUFFIX && !isStuck(c, ctx.observed.runs[c.id]) && c.specHash === d.specHash ? c : undefined;
    for (const x of extras) {
      if (isStuck(x, ctx.observed.runs[x.id])) removeStuck(ctx, plan, x, `a container of replica ${d.name} that a replace left`, waitsForName && x.name === d.name ? waitsForName : undefined);
      else removeContainer(ctx, plan, x, `a second container for replica ${d.name} (left by an interrupted change)`);
    }
    if (waitsForName && !extras.some((x) => x.name === d.name)) {
      plan.rename.push({ kind: 'rename', ...ref(d.bundle, d.index), containerId: waitsForName.id, containerName: waitsForName.name, to: d.name, reason: 'the container it replaced is gone' });
    }
    const addr = checkAddress(ctx, d);
    if (addr && !addr.ok) {
      plan.problems.push(addr.problem);
      plan.blocked.push({ replica: d.name, code: addr.problem.code, message: addr.problem.message });
      // A replica without its address cannot run; one that already runs is left as it is.
      if (c) ctx.keep.add(d.address!.ip);
      continue;
    }
    const ensureAddress = (reason: string) => {
      if (!addr || !addr.ok) return;
      ctx.keep.add(addr.spec.ip);
      if (!addr.present) plan.addAddress.push({ kind: 'add-address', ...ref(d.bundle, d.index), address: addr.spec, reason });
    };

    if (!c) {
      ensureAddress('before its container starts');
      plan.create.push({ kind: 'create', ...ref(d.bundle, d.index), desired: d, reason: 'no container for this replica' });
      continue;
    }
    if (isStuck(c, ctx.observed.runs[c.id])) {
      // It runs nowhere and cannot be started: the replica gets a new container (before the
      // replacements of replicas that run), and the old one is removed when the engine can.
      const to = replaceName(ctx.names, d, c, true)?.as;
      if (!to) {
        // Another container stuck in removal holds the replica's other name: the replica waits
        // for one of them to go; this one's removal is retried as any stuck container's.
        removeStuck(ctx, plan, c, `replica ${d.name} waits for it or ${d.name}${NEXT_SUFFIX} to go: both names are held`);
        plan.waiting.push({ bundle: s.id, replica: d.name, message: `no name is free for a new container: ${c.name} and ${c.name === d.name ? d.name + NEXT_SUFFIX : d.name} are stuck in removal` });
        continue;
      }
      const due = removalDueAt(ctx.observed.ledger[c.id], ctx.policy);
      if (ctx.observed.ledger[c.id]?.removal || ctx.observed.runs[c.id]?.error) plan.problems.push(stuckProblem(ctx, c, `replica ${d.name} gets a new container (${to})`, due > ctx.now ? due : undefined));
      candidates.push({ d, c, why: `container ${c.name} is ${c.state === 'removing' ? 'stuck in removal' : 'dead'}: it cannot run again`, address: addr, stuck: true });
      continue;
    }
    if (c.state === 'removing' || c.state === 'dead') {
      // Not stuck: an inspect says it runs. Its removal is under way; the next pass sees the end.
      plan.waiting.push({ bundle: s.id, replica: d.name, message: `container ${c.name} is being removed` });
      continue;
    }
    if (c.specHash !== d.specHash || (c.name !== d.name && !waitsForName)) {
      const change = c.name !== d.name && !waitsForName ? { why: `the container is named ${c.name}` } : describeChange(c, d);
      candidates.push({ d, c, ...change, address: addr });
      continue;
    }
    const run = ctx.observed.runs[c.id];
    const prev = ctx.observed.ledger[c.id];
    const f = failureState(run, prev, s.failureTimeoutMs, ctx.now);
    let record = f.record;
    let count = f.count;
    if (f.expired) {
      record = clearedRecord(run, f.record);
      count = 0;
      plan.reports.push({ bundle: s.id, replica: d.name, message: `${f.count} failure${f.count === 1 ? '' : 's'} expired (failure-timeout=${formatDuration(s.failureTimeoutMs)})` });
    }
    const banned = count >= s.migrationThreshold;
    const running = c.state === 'running' || c.state === 'restarting';

    if (banned) {
      const until = s.failureTimeoutMs > 0 && f.lastFailureAt !== undefined ? `, until ${new Date(f.lastFailureAt + s.failureTimeoutMs).toISOString()} (failure-timeout)` : ' (no failure-timeout: until its failures are cleared)';
      const why = `${count} failures reached migration-threshold=${s.migrationThreshold}: stopped on this node${until}`;
      if (s.failureTimeoutMs > 0 && f.lastFailureAt !== undefined) plan.recheckAt = Math.min(plan.recheckAt ?? Infinity, f.lastFailureAt + s.failureTimeoutMs);
      if (running || c.state === 'paused') stopContainer(ctx, plan, c, why, record);
      else {
        const a = addressOf(ctx, c);
        if (a) plan.removeAddress.push({ kind: 'remove-address', ...ref(d.bundle, d.index), address: a, reason: 'its replica is stopped' });
        if (!sameRecord(prev, record)) plan.ledger.push({ containerId: c.id, replica: d.name, record });
      }
      plan.reports.push({ bundle: s.id, replica: d.name, message: why });
      continue;
    }

    // Already on the new spec and not ready yet: the rolling update waits for it.
    if (!isReady(c)) unreadyNew ??= c;

    if (running) {
      ensureAddress('the replica runs without its address (removed outside berth?)');
      if (!sameRecord(prev, record)) plan.ledger.push({ containerId: c.id, replica: d.name, record });
      if (count > 0 && !f.expired) plan.reports.push({ bundle: s.id, replica: d.name, message: `${count} failure${count === 1 ? '' : 's'}${Number.isFinite(s.migrationThreshold) ? ` of migration-threshold=${s.migrationThreshold}` : ''}` });
      continue;
    }
    if (c.state === 'paused') {
      ensureAddress('the replica runs without its address (removed outside berth?)');
      plan.reports.push({ bundle: s.id, replica: d.name, message: `container ${c.name} is paused (outside berth): left paused` });
      continue;
    }
    // created or exited: start it. An exit berth did not ask for is a failure, counted.
    if (c.state === 'exited' && !d.executor && !record.stoppedByBerth && run?.finishedAt !== undefined && ctx.now - run.finishedAt < ctx.policy.exitGraceMs) {
      plan.waiting.push({ bundle: s.id, replica: d.name, message: `exited ${ctx.now - run.finishedAt} ms ago: the engine's restart policy goes first` });
      plan.recheckAt = Math.min(plan.recheckAt ?? Infinity, run.finishedAt + ctx.policy.exitGraceMs);
      continue;
    }
    let reason = c.state === 'created' ? 'the container was created but never started' : 'the container is stopped';
    if (c.state === 'exited' && !record.stoppedByBerth) {
      const at = run?.finishedAt ?? ctx.now;
      record = withRepairedFailure(record, at);
      reason = `the container exited${run ? ` (exit code ${run.exitCode}${run.oomKilled ? ', out of memory' : ''})` : ''} outside berth: failure ${record.count}${Number.isFinite(s.migrationThreshold) ? ` of migration-threshold=${s.migrationThreshold}` : ''}`;
      if (record.count >= s.migrationThreshold) {
        // berth keeps it stopped from now on: starting it after failure-timeout is no failure.
        plan.ledger.push({ containerId: c.id, replica: d.name, record: { ...record, stoppedByBerth: true } });
        const a = addressOf(ctx, c);
        if (a) plan.removeAddress.push({ kind: 'remove-address', ...ref(d.bundle, d.index), address: a, reason: 'its replica is stopped' });
        if (s.failureTimeoutMs > 0) plan.recheckAt = Math.min(plan.recheckAt ?? Infinity, at + s.failureTimeoutMs);
        plan.reports.push({ bundle: s.id, replica: d.name, message: `${record.count} failures reached migration-threshold=${s.migrationThreshold}: stopped on this node` });
        continue;
      }
    } else if (record.stoppedByBerth) {
      record = { ...record, stoppedByBerth: false };
      if (f.expired) reason = 'its failures expired (failure-timeout): started again';
    }
    if (d.executor && c.state === 'exited' && !record.stoppedByBerth) {
      // A replica that runs a resource: its guest is recovered with a new container (its
      // failures carried over to it), as Pacemaker recovers a bundle replica.
      candidates.push({ d, c, why: `${reason}; its guest is recovered with a new container`, address: addr, carry: record });
      continue;
    }
    if (!sameRecord(prev, record)) plan.ledger.push({ containerId: c.id, replica: d.name, record });
    ensureAddress('before its container starts');
    plan.start.push({ kind: 'start', ...ref(d.bundle, d.index), containerId: c.id, reason });
  }

  // Rolling update: one replica at a time, and only when the replicas already on the new spec are
  // ready; a replica whose container is not running anyway is no loss and goes first.
  if (candidates.length) {
    candidates.sort((a, b) => Number(isReady(a.c)) - Number(isReady(b.c)) || a.d.index - b.d.index);
    let budget = ctx.policy.maxReplacementsPerBundle;
    for (const cand of candidates) {
      const { d, c, why } = cand;
      if (cand.address && cand.address.ok) ctx.keep.add(cand.address.spec.ip);
      const blocker = unreadyNew && isReady(c) ? unreadyNew : undefined;
      // A recovery replaces a container that does not run: no rolling-update budget. (A stuck
      // container is replaced within it, first: it does not run either, so it is no loss.)
      const recovery = !!cand.carry;
      if (!recovery && (budget <= 0 || blocker)) {
        plan.waiting.push({ bundle: s.id, replica: d.name, message: blocker ? `rolling update: replaced after ${blocker.name} is ${blocker.state === 'running' ? 'healthy' : 'running'} (${why})` : `rolling update: one replica at a time (${why})` });
        continue;
      }
      const name = replaceName(ctx.names, d, c, !!cand.stuck);
      if (!name) {
        // (A stuck one never comes here: it waits above.) Containers stuck in removal hold both names.
        plan.waiting.push({ bundle: s.id, replica: d.name, message: `replaced once ${d.name} or ${d.name}${NEXT_SUFFIX} is removed: no name is free for its new container (${why})` });
        continue;
      }
      if (!recovery) budget--;
      if (cand.address && cand.address.ok && !cand.address.present) {
        plan.addAddress.push({ kind: 'add-address', ...ref(d.bundle, d.index), address: cand.address.spec, reason: 'before its new container starts' });
      }
      const old = addressOf(ctx, c);
      if (old && old.ip !== d.address?.ip) plan.removeAddress.push({ kind: 'remove-address', ...ref(d.bundle, d.index), address: old, reason: 'the replica has a new address' });
      plan.replace.push({ kind: 'replace', ...ref(d.bundle, d.index), containerId: c.id, containerName: c.name, running: c.state === 'running' || c.state === 'restarting', desired: d, ...name, reason: why, ...(cand.changes ? { changes: cand.changes } : {}), ...(cand.carry ? { carry: cand.carry } : {}) });
      // The old container's record goes with it; one stuck in removal keeps its attempts.
      if (cand.stuck) plan.ledger.push({ containerId: c.id, replica: d.name, record: withRemovalAttempt(ctx, c) });
      else if (ctx.observed.ledger[c.id]) plan.ledger.push({ containerId: c.id, replica: d.name, record: null });
    }
  }

  // The add-host file, for the containers that mount it (none are made while none can run).
  const mounted = containers.length > 0 || plan.create.length + plan.start.length + plan.replace.length > madeBefore;
  if (s.hostsFile && mounted && ctx.observed.files[s.hostsFile.path] !== s.hostsFile.content) {
    plan.writeFile.push({ kind: 'write-file', bundle: s.id, path: s.hostsFile.path, content: s.hostsFile.content, reason: ctx.observed.files[s.hostsFile.path] == null ? 'add-host: the replicas\' hosts file is missing' : 'add-host: the replicas changed' });
  }

  for (const [index, reason] of unplaced) {
    plan.reports.push({ bundle: s.id, replica: replicaName(s.id, index), code: 'REPLICA_UNPLACEABLE', message: `not placed: ${reason}` });
  }
}

/** Why an observed container differs from its desired spec: the fields, when the container's spec
 * record (label berth.spec) tells its old spec; else the image or the hash. */
function describeChange(c: ObservedContainer, d: DesiredReplica): { why: string; changes?: SpecChange[] } {
  const before = parseSpecRecord(c.labels[BERTH_LABELS.spec]);
  const after = parseSpecRecord(d.spec.Labels?.[BERTH_LABELS.spec]);
  const changes = before && after ? specChanges(before, after) : [];
  if (changes.length) return { why: formatSpecChanges(changes), changes };
  if (c.image !== d.spec.Image) return { why: `image ${c.image} → ${d.spec.Image}` };
  if (!c.specHash) return { why: 'the container has no spec hash' };
  return { why: `spec changed (hash ${c.specHash} → ${d.specHash})` };
}

function toReports(scratch: Plan, into: Plan, bundle: string, why: string): void {
  const would = (a: Action) => (a.kind === 'add-address' || a.kind === 'remove-address' ? `${a.kind} ${a.address.ip}/${a.address.prefix}` : a.kind) + ` (${a.reason})`;
  for (const a of planChanges(scratch)) into.reports.push({ bundle, ...('replica' in a ? { replica: a.replica } : {}), message: `${why}: would ${would(a)}` });
  for (const n of [...scratch.waiting, ...scratch.reports]) into.reports.push({ ...n, message: `${why}: ${n.message}` });
  for (const p of scratch.problems) into.reports.push({ bundle, message: `${why}: ${p.message}` });
  if (!planChanges(scratch).length && !scratch.problems.length) into.reports.push({ bundle, message: `${why}: observed only` });
}

/**
 * Addresses of this cluster that nothing holds: berth's label on them, in the range of one of the
 * CIB's bundles (ip-range-start + index < replicas) on the interface berth would put it on, no
 * container on the node claims it (this cluster's or another's) and no replica placed here needs
 * it. A controller that died between adding an address and creating its container leaves one,
 * and so does a create or start that failed past its chain's undo. Another cluster's addresses
 * are never in this cluster's ranges (two clusters cannot both run an address on one host); an
 * address without berth's label is never berth's to remove.
 */
function sweepAddresses(ctx: Ctx, plan: Plan, settings: ReadonlyMap<string, BundleSettings>): void {
  const candidates = ctx.observed.addresses.filter((a) => isBerthLabelled(a) && !ctx.claimed.has(a.ip) && !ctx.claimedByOthers.has(a.ip) && !ctx.keep.has(a.ip));
  if (!candidates.length) return;
  const needed = new Set(ctx.desired.replicas.map((r) => r.address?.ip));
  for (const a of candidates) {
    if (needed.has(a.ip)) continue;
    const n = parseIPv4(a.ip);
    if (n === undefined) continue;
    for (const s of settings.values()) {
      const r = s.addressRange;
      if (!r || n < r.start || n >= r.start + s.replicas) continue;
      if (a.interface !== (r.interface ?? interfaceFor(a.ip, ctx.observed.addresses))) continue;
      const action: AddressAction = { kind: 'remove-address', ...ref(s.id, n - r.start), address: { ip: a.ip, prefix: a.prefix, interface: a.interface }, reason: 'nothing on this node holds it or needs it: left by a create that did not finish', sweep: true };
      const unmanaged = ctx.desired.maintenance ? 'cluster maintenance-mode' : !s.managed ? s.unmanagedReason ?? 'unmanaged' : s.problems.length ? 'its desired state cannot be built' : undefined;
      if (unmanaged) plan.reports.push({ bundle: s.id, replica: action.replica, message: `${unmanaged}: would remove-address ${a.ip}/${a.prefix} (${action.reason})` });
      else plan.removeAddress.push(action);
      break;
    }
  }
}

/** The plan that takes the observed node to the desired state. */
export function computePlan(desired: DesiredState, observed: ObservedState, now: number, policy: PlanPolicy = DEFAULT_POLICY): Plan {
  const plan = emptyPlan(desired.node);
  const mine = observed.containers.filter((c) => c.node === desired.node && c.cluster === desired.cluster);
  const claimedByOthers = new Map<string, ObservedContainer>();
  for (const c of observed.foreign) {
    const ip = parseAddressLabel(c.labels[ADDRESS_LABEL])?.ip;
    if (ip) claimedByOthers.set(ip, c);
    plan.foreign.push({
      code: 'CONTAINER_FOREIGN', id: c.id, name: c.name, ...(c.cluster ? { cluster: c.cluster } : {}), bundle: c.bundle,
      message: `container ${c.name} (bundle ${c.bundle || '?'}) belongs to ${c.cluster ? `cluster ${c.cluster}` : 'no cluster'}, not to this one (${desired.cluster}): left alone`,
    });
  }
  const ctx: Ctx = {
    desired,
    observed,
    now,
    policy,
    addressesByIp: new Map(observed.addresses.map((a) => [a.ip, a])),
    keep: new Set(),
    claimed: new Set(mine.map((c) => parseAddressLabel(c.labels[ADDRESS_LABEL])?.ip).filter((ip): ip is string => !!ip)),
    claimedByOthers,
    names: new Set([...mine, ...observed.foreign].map((c) => c.name)),
    replicasByBundle: groupBy(desired.replicas, (r) => r.bundle),
    unplacedByBundle: new Map(),
  };
  for (const u of desired.unplaced) (ctx.unplacedByBundle.get(u.bundle) ?? ctx.unplacedByBundle.set(u.bundle, new Map()).get(u.bundle)!).set(u.index, u.reason);
  const byBundle = groupBy(mine, (c) => c.bundle);
  const settings = settingsById(desired.bundles);
  const ids = [...desired.bundles.map((b) => b.id), ...[...byBundle.keys()].filter((id) => !settings.has(id)).sort()];
  for (const id of ids) {
    const s = settings.get(id);
    const containers = byBundle.get(id) ?? [];
    // A bundle with nothing on this node, nothing to place here, nothing unplaced to report and
    // nothing to say about itself plans nothing here: skipped, else each node's plan walked every
    // bundle of the cluster (nodes x bundles: at 100 nodes a third of a pass's planning).
    if (s && !containers.length && !s.problems.length && s.managed && !desired.maintenance && !ctx.replicasByBundle.has(id) && !ctx.unplacedByBundle.has(id)) continue;
    if (s && s.problems.length) {
      plan.problems.push(...s.problems);
      plan.reports.push({ bundle: id, message: `left as it is: its desired state cannot be built (${s.problems.length} problem${s.problems.length === 1 ? '' : 's'})` });
      for (const c of containers) { const a = parseAddressLabel(c.labels[ADDRESS_LABEL]); if (a) ctx.keep.add(a.ip); }
      continue;
    }
    const unmanaged = desired.maintenance ? 'cluster maintenance-mode' : s && !s.managed ? s.unmanagedReason ?? 'unmanaged' : undefined;
    if (unmanaged) {
      const scratch = emptyPlan(desired.node);
      planBundle(ctx, scratch, s, id, containers);
      toReports(scratch, plan, id, unmanaged);
      for (const c of containers) { const a = parseAddressLabel(c.labels[ADDRESS_LABEL]); if (a) ctx.keep.add(a.ip); }
      continue;
    }
    planBundle(ctx, plan, s, id, containers);
  }
  // Replicas kept off this node by their failures: forgotten when failure-timeout has passed (the
  // plan changes then: recheckAt), or when their bundle or replica is gone.
  for (const [key, rec] of Object.entries(observed.ledger)) {
    const r = parseReplicaLedgerKey(key);
    if (!r) continue;
    const s = settings.get(r.bundle);
    const name = replicaName(r.bundle, r.index);
    const f = s ? failureState(undefined, rec, s.failureTimeoutMs, now) : undefined;
    if (!s || !f || r.index >= s.replicas || f.expired || f.count < s.migrationThreshold) {
      plan.ledger.push({ containerId: key, replica: name, record: null });
      if (s && f?.expired) plan.reports.push({ bundle: r.bundle, replica: name, message: `${f.count} failure${f.count === 1 ? '' : 's'} on this node expired (failure-timeout=${formatDuration(s.failureTimeoutMs)}): it may run here again` });
      continue;
    }
    if (s.failureTimeoutMs > 0 && f.lastFailureAt !== undefined) plan.recheckAt = Math.min(plan.recheckAt ?? Infinity, f.lastFailureAt + s.failureTimeoutMs);
  }
  sweepAddresses(ctx, plan, settings);
  // An address some replica keeps (a replace at the same address, another bundle) stays.
  const removing = new Set<string>();
  plan.removeAddress = plan.removeAddress.filter((a) => !ctx.keep.has(a.address.ip) && !removing.has(a.address.ip) && !!removing.add(a.address.ip));
  const byReplica = (a: ActionBase, b: ActionBase) => (a.bundle < b.bundle ? -1 : a.bundle > b.bundle ? 1 : a.index - b.index);
  for (const bucket of [plan.create, plan.start, plan.stop, plan.rename, plan.replace, plan.addAddress]) bucket.sort(byReplica);
  plan.remove.sort((a, b) => (a.bundle < b.bundle ? -1 : a.bundle > b.bundle ? 1 : b.index - a.index));
  plan.removeAddress.sort((a, b) => (a.bundle < b.bundle ? -1 : a.bundle > b.bundle ? 1 : b.index - a.index));
  return plan;
}
