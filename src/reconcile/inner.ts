// The resource inside a bundle, planned per replica: what its executor (pacemaker-remoted in the
// container) told, the failures counted in berth's ledger, and the role the replica should have →
// the operations to run, in order, with their reasons. Pure: observations, ledger, roles and
// `now` in; steps, ledger updates and notes out. Running the steps is src/controller/apply.ts
// (through the node's executors, src/inner/).
//
// Terms: a replica's *instance* is the inner resource running in it; its *state* is what the
// executor last reported (probe, operation or recurring monitor): stopped, started, promoted,
// failed, or unknown before the first probe. *Steps* are executor operations for one replica,
// run one after the other; a failed step ends its chain and is a failure the next pass handles
// with the op's on-fail.
import type { InnerOp, InnerSpec, OnFail } from '../model/inner';
import { monitorFor, opParams } from '../model/inner';
import type { FailureRecord } from './observed';

/** A replica whose container runs an executor, as the pass asks the node's executors about it. */
export interface InnerWant {
  replica: string;
  bundle: string;
  index: number;
  /** the container's id: a new container is a new executor */
  container: string;
  target: { host: string; port: number };
  resource: { id: string; class: string; provider?: string; type: string };
  /** the probe (a one-shot monitor) run once connected: its timeout and parameters */
  probe: { timeoutMs: number; params: Record<string, string> };
}

export type InnerState = 'unknown' | 'stopped' | 'started' | 'promoted' | 'failed';

/** One failed operation, as the executor reported it. */
export interface InnerFailure {
  /** increases with each failure of one connection (`incarnation`) */
  seq: number;
  /** `OP_INTERVALMS` */
  op: string;
  name: string;
  intervalMs: number;
  /** OCF exit code */
  rc: number;
  /** the executor's op status: done, timed out, error, not installed, ... */
  status: string;
  exitReason?: string;
  /** ms since the epoch */
  at: number;
  execMs?: number;
  /** "monitor (30s) returned 'not running' (7) after 20 ms" */
  message: string;
}

/** What the node's executors know of one replica's instance. */
export interface InnerObserved {
  container: string;
  link: 'connecting' | 'up' | 'down';
  /** why the executor cannot be used (wrong key, unreachable), when it cannot */
  linkProblem?: { code: string; message: string };
  /** which connection: failures are counted once per (incarnation, seq) */
  incarnation: string;
  state: InnerState;
  /** the failure behind state 'failed' */
  failed?: InnerFailure;
  /** an operation under way */
  busy?: string;
  /** the recurring monitor running (its op key) */
  monitor?: string;
  /** the failures of this connection, oldest first (the last few) */
  failures: InnerFailure[];
  /** the promotion score the agent set (crm_attribute --promotion): null when it removed it;
   * absent when not heard on this connection (the node's record of it then counts) */
  promotion?: number | null;
  /** the last operation that succeeded */
  lastOk?: { op: string; at: number; execMs?: number };
}

/** An executor operation with everything the executor needs. */
export interface WireOp {
  name: string;
  intervalMs: number;
  timeoutMs: number;
  params: Record<string, string>;
}

export type InnerStep =
  | { kind: 'start' | 'stop' | 'promote' | 'demote'; op: WireOp }
  /** ask the agent what runs (a one-shot monitor): after `resource cleanup` of a failure */
  | { kind: 'probe'; op: WireOp }
  /** run this recurring monitor (and no other) */
  | { kind: 'monitor'; op: WireOp }
  /** fence the guest: recover the replica's container (restart it) */
  | { kind: 'fence' };

export interface InnerChain {
  bundle: string;
  index: number;
  replica: string;
  container: string;
  steps: InnerStep[];
  /** run before the replica's container actions (a stop before its container stops) */
  before: boolean;
  reason: string;
}

/** The role a replica's instance should have: decided for the whole cluster (promotion). */
export type InnerGoal = 'Stopped' | 'Started' | 'Promoted' | 'Unpromoted';

/** Pacemaker's INFINITY, as a fail count (start-failure-is-fatal). */
export const FAILCOUNT_INFINITY = 1_000_000;

/** The ledger key of a node attribute an instance's agent set (the promotion score), per
 * container: kept on the node like Pacemaker's transient attributes, so that a controller that
 * starts again, or a command that only looks, knows the scores the agents set earlier. */
export const attributeLedgerKey = (container: string, name: string) => `attr:${container}:${name}`;
export function parseAttributeLedgerKey(key: string): { container: string; name: string } | undefined {
  const m = /^attr:([^:]+):(.+)$/.exec(key);
  return m ? { container: m[1], name: m[2] } : undefined;
}

/** The ledger key of one op's failures of a replica's instance, per container. */
export const innerLedgerKey = (container: string, op: string) => `inner:${container}:${op}`;
export function parseInnerLedgerKey(key: string): { container: string; op: string } | undefined {
  const m = /^inner:([^:]+):(.+)$/.exec(key);
  return m ? { container: m[1], op: m[2] } : undefined;
}

export interface InnerReplicaInput {
  bundle: string;
  index: number;
  replica: string;
  container: string;
  spec: InnerSpec;
  goal: InnerGoal;
  /** the instance's parameters for an op (CRM_meta_* included) */
  params: (op: InnerOp) => Record<string, string>;
  observed?: InnerObserved;
  /** this node's ledger (all keys; the replica's are picked by container) */
  ledger: Record<string, FailureRecord>;
  now: number;
}

export interface InnerReplicaPlan {
  chain?: InnerChain;
  ledger: { key: string; record: FailureRecord | null }[];
  waiting?: string;
  reports: string[];
  problem?: { code: string; message: string };
  /** the instance after this pass, as far as the plan knows (status, promotion) */
  failcount: number;
  recheckAt?: number;
}

const wire = (op: InnerOp, params: (op: InnerOp) => Record<string, string>): WireOp => ({ name: op.name, intervalMs: op.intervalMs, timeoutMs: op.timeoutMs, params: params(op) });

const every = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);
export const opLabel = (name: string, intervalMs: number) => (intervalMs > 0 ? `${name} (${every(intervalMs)})` : name);

/** The op of a key as the spec defines it (on-fail, role): recurring monitors by key, the rest by name. */
function opOfKey(spec: InnerSpec, key: string, name: string): InnerOp | undefined {
  const m = spec.monitors.find((o) => o.key === key);
  if (m) return m;
  if (name === 'start') return spec.start;
  if (name === 'stop') return spec.stop;
  if (name === 'promote') return spec.promote;
  if (name === 'demote') return spec.demote;
  return undefined;
}

/** The failures of one replica's instance: the ledger's records, plus what the executor reported
 * since, each failure counted once; expired ones (failure-timeout) forgotten. */
export function innerFailures(i: Pick<InnerReplicaInput, 'container' | 'spec' | 'observed' | 'ledger' | 'now'>): { records: Map<string, FailureRecord>; updates: { key: string; record: FailureRecord | null }[]; total: number; recheckAt?: number; expired: string[] } {
  const records = new Map<string, FailureRecord>();
  const updates: { key: string; record: FailureRecord | null }[] = [];
  const prefix = `inner:${i.container}:`;
  for (const [key, rec] of Object.entries(i.ledger)) if (key.startsWith(prefix)) records.set(key.slice(prefix.length), rec);
  const o = i.observed;
  if (o && o.container === i.container) {
    for (const f of o.failures) {
      const op = opOfKey(i.spec, f.op, f.name);
      const rec = records.get(f.op);
      const seen = rec?.seen ? /^(.*):(\d+)$/.exec(rec.seen) : null;
      if (seen && seen[1] === o.incarnation && Number(seen[2]) >= f.seq) continue;
      // A failed start counts as migration-threshold failures (start-failure-is-fatal).
      const add = f.name === 'start' && i.spec.startFailureIsFatal ? FAILCOUNT_INFINITY : 1;
      const count = Math.min(FAILCOUNT_INFINITY, (rec?.count ?? 0) + add);
      const next: FailureRecord = {
        baseline: 0, extra: count, count, lastFailureAt: f.at, seen: `${o.incarnation}:${f.seq}`,
        resource: i.spec.id, op: f.op, onFail: op?.onFail ?? 'restart', last: f.message,
      };
      records.set(f.op, next);
      updates.push({ key: innerLedgerKey(i.container, f.op), record: next });
    }
  }
  let total = 0;
  let recheckAt: number | undefined;
  const expired: string[] = [];
  for (const [op, rec] of records) {
    if (i.spec.failureTimeoutMs > 0 && rec.lastFailureAt !== undefined && rec.count > 0) {
      const until = rec.lastFailureAt + i.spec.failureTimeoutMs;
      if (i.now >= until) {
        // Forgotten, but the last failure seen stays known so that it is not counted again.
        const cleared: FailureRecord = { ...rec, count: 0, extra: 0 };
        records.set(op, cleared);
        const u = updates.find((x) => x.key === innerLedgerKey(i.container, op));
        if (u) u.record = cleared;
        else updates.push({ key: innerLedgerKey(i.container, op), record: cleared });
        expired.push(op);
        continue;
      }
      recheckAt = Math.min(recheckAt ?? Infinity, until);
    }
    if (rec.onFail !== 'ignore') total += rec.count;
  }
  return { records, updates, total, ...(recheckAt !== undefined ? { recheckAt } : {}), expired };
}

/**
 * What to do with one replica's instance this pass. The container runs and is ready (the caller
 * checks); the instance is only worked on through a connected, idle executor.
 */
export function planInnerReplica(i: InnerReplicaInput): InnerReplicaPlan {
  const { spec } = i;
  const o = i.observed && i.observed.container === i.container ? i.observed : undefined;
  const f = innerFailures({ ...i, observed: o });
  const out: InnerReplicaPlan = { ledger: f.updates, reports: [], failcount: f.total, ...(f.recheckAt !== undefined ? { recheckAt: f.recheckAt } : {}) };
  for (const op of f.expired) out.reports.push(`${spec.id} on ${i.replica}: the failures of ${op} expired (failure-timeout=${every(spec.failureTimeoutMs)})`);
  if (!o) {
    out.waiting = `${spec.id} on ${i.replica}: connecting to its executor`;
    return out;
  }
  if (o.link !== 'up') {
    if (o.linkProblem) out.problem = { code: o.linkProblem.code, message: `${spec.id} on ${i.replica}: ${o.linkProblem.message}` };
    out.waiting = `${spec.id} on ${i.replica}: ${o.link === 'connecting' ? 'connecting to its executor' : `its executor cannot be reached${o.linkProblem ? ` (${o.linkProblem.message})` : ''}`}`;
    return out;
  }
  if (o.busy) {
    out.waiting = `${spec.id} on ${i.replica}: ${o.busy} under way`;
    return out;
  }
  if (o.state === 'unknown') {
    out.waiting = `${spec.id} on ${i.replica}: probing`;
    return out;
  }

  // What the failures recorded ask for, until they are cleaned up or expire.
  let goal: InnerGoal = i.goal;
  for (const rec of f.records.values()) {
    if (rec.count <= 0) continue;
    if (rec.onFail === 'block') {
      out.reports.push(`${spec.id} on ${i.replica} is blocked after ${rec.last ?? `${rec.op} failed`} (on-fail=block): nothing is done until 'berth resource cleanup ${spec.id}'`);
      return out;
    }
    if (rec.onFail === 'stop' && goal !== 'Stopped') {
      goal = 'Stopped';
      out.reports.push(`${spec.id} on ${i.replica} stays stopped after ${rec.last ?? `${rec.op} failed`} (on-fail=stop) until 'berth resource cleanup ${spec.id}'`);
    }
  }
  // migration-threshold unset is INFINITY, which a fatal start failure reaches (Pacemaker's scores).
  if (goal !== 'Stopped' && f.total >= Math.min(spec.migrationThreshold, FAILCOUNT_INFINITY)) {
    goal = 'Stopped';
    out.reports.push(`${spec.id} on ${i.replica} stays stopped: ${f.total >= FAILCOUNT_INFINITY ? 'its start failed (start-failure-is-fatal)' : `${f.total} failure${f.total === 1 ? '' : 's'}`} (migration-threshold=${spec.migrationThreshold === Infinity ? 'INFINITY' : spec.migrationThreshold}${spec.failureTimeoutMs > 0 ? `, failure-timeout=${every(spec.failureTimeoutMs)}` : ''})`);
  }
  if (goal !== 'Stopped' && spec.targetRole === 'Stopped') goal = 'Stopped';

  const steps: InnerStep[] = [];
  const step = (kind: 'start' | 'stop' | 'promote' | 'demote', op: InnerOp) => steps.push({ kind, op: wire(op, i.params) });
  const monitor = (role: 'Started' | 'Promoted' | 'Unpromoted') => {
    const m = monitorFor(spec, role);
    if (m) steps.push({ kind: 'monitor', op: wire(m, i.params) });
  };
  const running = (g: InnerGoal) => (g === 'Promoted' ? 'Promoted' : spec.promotedMax > 0 ? 'Unpromoted' : 'Started');
  let reason = '';
  let state = o.state;
  // The failure was cleaned up (resource cleanup) since: what runs is asked again, as Pacemaker
  // probes a resource whose history was cleaned.
  if (state === 'failed' && o.failed && cleanedUp(f.records.get(o.failed.op), o)) {
    const probe = spec.monitors[0] ?? spec.start;
    out.chain = { bundle: i.bundle, index: i.index, replica: i.replica, container: i.container, steps: [{ kind: 'probe', op: { name: 'monitor', intervalMs: 0, timeoutMs: probe.timeoutMs, params: i.params({ ...probe, name: 'monitor', intervalMs: 0, key: 'monitor_0' }) } }], before: false, reason: 'its failures were cleaned up: probed again' };
    return out;
  }
  if (state === 'failed') {
    const failed = o.failed;
    const op = failed ? opOfKey(spec, failed.op, failed.name) : undefined;
    const onFail: OnFail = op?.onFail ?? 'restart';
    const what = failed?.message ?? 'an operation failed';
    if (onFail === 'ignore') {
      // Pretend it did not fail: the instance is taken as running in the role it had.
      state = failed?.name === 'promote' || failed?.rc === 9 ? 'promoted' : failed?.name === 'start' ? 'stopped' : 'started';
      out.reports.push(`${spec.id} on ${i.replica}: ${what} (on-fail=ignore)`);
    } else if (onFail === 'block') {
      out.reports.push(`${spec.id} on ${i.replica} is blocked: ${what} (on-fail=block)`);
      return out;
    } else if (onFail === 'fence') {
      out.chain = { bundle: i.bundle, index: i.index, replica: i.replica, container: i.container, steps: [{ kind: 'fence' }], before: false, reason: `${what}; its guest is fenced by recovering the container (on-fail=fence)` };
      return out;
    } else if (onFail === 'demote' && (failed?.rc === 9 || failed?.name === 'promote' || op?.role === 'Promoted')) {
      step('demote', spec.demote);
      monitor('Unpromoted');
      out.chain = { bundle: i.bundle, index: i.index, replica: i.replica, container: i.container, steps, before: false, reason: `${what}; demoted (on-fail=demote)` };
      return out;
    } else {
      // restart, stop (and standby/demote where they do not apply): stop it in its container
      // first; a promoted instance is demoted before.
      if (failed?.rc === 9) step('demote', spec.demote);
      step('stop', spec.stop);
      state = 'stopped';
      reason = `${what}; ${goal === 'Stopped' ? 'stopped' : 'recovered in its container'}${onFail === 'stop' ? ' (on-fail=stop)' : ''}`;
    }
  }

  if (goal === 'Stopped') {
    if (state === 'promoted') step('demote', spec.demote);
    if (state === 'promoted' || state === 'started') step('stop', spec.stop);
    reason ||= i.goal === 'Stopped' ? 'its role is Stopped' : 'kept stopped (see the reports)';
  } else {
    const want = running(goal);
    if (state === 'stopped') {
      step('start', spec.start);
      if (want === 'Promoted') step('promote', spec.promote);
      monitor(want);
      reason ||= want === 'Promoted' ? 'not running; chosen to be promoted' : 'not running in its container';
    } else if (state === 'started' && want === 'Promoted') {
      step('promote', spec.promote);
      monitor('Promoted');
      reason ||= 'chosen to be promoted';
    } else if (state === 'promoted' && want !== 'Promoted') {
      step('demote', spec.demote);
      monitor(want);
      reason ||= 'no longer among the promoted';
    } else {
      // Running in the right role: its monitor must be the one for that role.
      const m = monitorFor(spec, want);
      if (m && o.monitor !== m.key) {
        monitor(want);
        reason ||= `its ${opLabel(m.name, m.intervalMs)} is not running`;
      }
    }
  }
  if (steps.length) out.chain = { bundle: i.bundle, index: i.index, replica: i.replica, container: i.container, steps, before: false, reason };
  return out;
}

/** Whether `resource cleanup` cleared the failure behind the observed failed state. */
function cleanedUp(rec: FailureRecord | undefined, o: InnerObserved): boolean {
  const m = rec?.cleaned ? /^(.*):(\d+)$/.exec(rec.cleaned) : null;
  return !!m && !!o.failed && m[1] === o.incarnation && Number(m[2]) >= o.failed.seq;
}

/** The steps that stop an instance before its container is stopped, removed or replaced. */
export function stopBeforeContainer(i: { bundle: string; index: number; replica: string; container: string; spec: InnerSpec; observed?: InnerObserved; params: (op: InnerOp) => Record<string, string>; why: string }): InnerChain | undefined {
  const o = i.observed;
  if (!o || o.container !== i.container || o.link !== 'up' || (o.state !== 'started' && o.state !== 'promoted' && o.state !== 'failed')) return undefined;
  const steps: InnerStep[] = [];
  if (o.state === 'promoted' || o.failed?.rc === 9) steps.push({ kind: 'demote', op: wire(i.spec.demote, i.params) });
  steps.push({ kind: 'stop', op: wire(i.spec.stop, i.params) });
  return { bundle: i.bundle, index: i.index, replica: i.replica, container: i.container, steps, before: true, reason: `before its container ${i.why}` };
}

/** A bundle that holds a resource, as the node's plan needs it. */
export interface InnerBundle {
  spec: InnerSpec;
  replicas: number;
  replicasPerHost: number;
}

/** What the plan of one node does with the resources inside its replicas. */
export interface InnerNodePlan {
  chains: InnerChain[];
  ledger: { key: string; replica: string; record: FailureRecord | null }[];
  waiting: { bundle: string; replica: string; message: string }[];
  reports: { bundle: string; replica: string; message: string }[];
  problems: { bundle: string; replica: string; code: string; message: string }[];
  /** fail counts of the instances, by replica (status) */
  failcounts: Record<string, number>;
  recheckAt?: number;
}

/**
 * The node's inner plan, after its container plan: an instance whose container is stopped,
 * removed or replaced is stopped first; one whose container runs, is ready and is left alone is
 * planned with `planInnerReplica`. `goals` gives each replica's role (promotion is decided for the
 * whole cluster); a replica without one is Started.
 */
export function planInnerOfNode(o: {
  node: string;
  bundles: ReadonlyMap<string, InnerBundle>;
  containers: readonly { id: string; bundle: string; replica?: number; state: string; health?: string }[];
  /** containers the container plan stops, removes or replaces, and how */
  touched: ReadonlyMap<string, string>;
  /** the replicas placed on this node and managed */
  placed: ReadonlySet<string>;
  observed: Record<string, InnerObserved> | undefined;
  ledger: Record<string, FailureRecord>;
  goals: ReadonlyMap<string, InnerGoal>;
  now: number;
}): InnerNodePlan {
  const out: InnerNodePlan = { chains: [], ledger: [], waiting: [], reports: [], problems: [], failcounts: {} };
  for (const c of o.containers) {
    if (c.replica === undefined) continue;
    const b = o.bundles.get(c.bundle);
    if (!b) continue;
    const replica = `${c.bundle}-${c.replica}`;
    const params = (op: InnerOp) => opParams(b.spec, op, { index: c.replica!, replica, replicas: b.replicas, replicasPerHost: b.replicasPerHost, host: o.node });
    const obs = o.observed?.[replica];
    const touched = o.touched.get(c.id);
    if (touched !== undefined) {
      const chain = stopBeforeContainer({ bundle: c.bundle, index: c.replica, replica, container: c.id, spec: b.spec, ...(obs ? { observed: obs } : {}), params, why: touched });
      if (chain) out.chains.push(chain);
      continue;
    }
    if (c.state !== 'running' || c.health === 'unhealthy' || c.health === 'starting' || !o.placed.has(replica)) continue;
    const r = planInnerReplica({ bundle: c.bundle, index: c.replica, replica, container: c.id, spec: b.spec, goal: o.goals.get(replica) ?? 'Started', params, ...(obs ? { observed: obs } : {}), ledger: o.ledger, now: o.now });
    out.failcounts[replica] = r.failcount;
    for (const u of r.ledger) out.ledger.push({ ...u, replica });
    if (r.chain) out.chains.push(r.chain);
    if (r.waiting) out.waiting.push({ bundle: c.bundle, replica, message: r.waiting });
    for (const m of r.reports) out.reports.push({ bundle: c.bundle, replica, message: m });
    if (r.problem) out.problems.push({ bundle: c.bundle, replica, ...r.problem });
    if (r.recheckAt !== undefined) out.recheckAt = Math.min(out.recheckAt ?? Infinity, r.recheckAt);
  }
  return out;
}
