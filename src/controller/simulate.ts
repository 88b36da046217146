// `berth cluster simulate`, the counterpart of crm_simulate: from a CIB (configuration + <status>)
// and changes given on the command line (nodes up, down or failed; failed operations; the clock),
// where every replica would run and the actions that take the cluster there. It places with the
// pass's own placement step (placeModel) and counts failures with the pass's own failureBans, so
// the answer is the controller's. Pure: the CIB and the changes in, the simulation out.
import type { Cib } from '../cib/cib';
import { BerthError, Problem, problem } from '../errors/registry';
import { readModel, ClusterModel } from '../model/model';
import { readClusterStatus } from '../model/status';
import { nodeStates, NodeState } from '../scheduler/nodes';
import { AllocationScores, ReplicaBan, RunningReplica, UnplacedReplica, placeModel, placeModelWithScores, replicaName } from '../scheduler/placement';
import { failureBans } from '../reconcile/failures';
import { OrderCandidate, OrderReplica, orderCascade, orderWaits } from '../scheduler/order';

export interface OperationFailure {
  /** as given: `web-docker-0_monitor_30000@node1=7` */
  spec: string;
  bundle: string;
  index: number;
  operation: string;
  node: string;
  rc: number;
}

export interface SimulationChanges {
  up: string[];
  down: string[];
  /** lost without a clean stop: fenced, as Pacemaker does before it moves their resources */
  fail: string[];
  opFail: OperationFailure[];
  /** the clock for rules and failure-timeout (ms since the epoch) */
  now: number;
}

/** What an action waits for (an order constraint): "start web-0 after db-0 is started". */
export interface ActionWait { constraint: string; message: string }

export type TransitionAction = (
  | { action: 'start'; replica: string; node: string; reason?: string }
  | { action: 'stop'; replica: string; node: string; reason: string }
  | { action: 'move'; replica: string; from: string; to: string; reason: string }
  | { action: 'recover'; replica: string; node: string; reason: string }
  /** stopped and started again where it runs: an order's first (re)starts */
  | { action: 'restart'; replica: string; node: string; reason: string }
) & { bundle: string; waits?: ActionWait[] };

export interface SimulatedNode {
  name: string;
  before: NodeState;
  after: NodeState;
  /** fenced by --node-fail */
  fenced?: boolean;
}

export interface Simulation {
  nodes: SimulatedNode[];
  /** replica → where it runs before the transition (failed: its last operation failed) */
  before: { replica: string; bundle: string; node: string; failed: boolean }[];
  /** what the changes did, in words, in the order given */
  modifications: string[];
  actions: TransitionAction[];
  /** replica → node after the transition (placed, less what an order stops: its first cannot run) */
  after: Map<string, string>;
  unplaced: UnplacedReplica[];
  bans: ReplicaBan[];
  scores?: AllocationScores;
  /** the configuration's own warnings (parts not acted on) */
  problems: Problem[];
  /** how the input was read, when it matters (a CIB without node states) */
  notes: string[];
  model: ClusterModel;
}

const OP_FAIL = /^(.+)_(start|monitor|stop|promote|demote)_(\d+)@([^=]+)=(\d+)$/;

/** `RSC_OP_INTERVAL@NODE=RC` as crm_simulate takes it; RSC is a replica (`web-0`) or its container resource (`web-docker-0`). */
export function parseOperationFailure(spec: string, model: ClusterModel): OperationFailure | Problem {
  const bad = (message: string) => problem('USAGE', { path: '--op-fail', value: spec, allowed: 'REPLICA_OPERATION_INTERVAL@NODE=RC, e.g. web-0_monitor_30000@node1=7 or web-docker-0_start_0@node1=1', message });
  const m = OP_FAIL.exec(spec);
  if (!m) return bad(`'${spec}' is not an operation failure: use RESOURCE_OPERATION_INTERVAL@NODE=RC, e.g. web-0_monitor_30000@node1=7`);
  const [, rsc, operation, , node, rcText] = m;
  if (operation !== 'start' && operation !== 'monitor') return bad(`'${operation}' failures are not simulated: berth's replicas have start and monitor operations (a stop that fails is a kill)`);
  const r = /^(.+?)-(?:(?:docker|podman|rkt)-)?(\d+)$/.exec(rsc);
  const bundle = r && model.bundles.find((b) => b.settings.id === r[1]);
  if (!r || !bundle) return bad(`'${rsc}' is not a replica of a bundle in the CIB (${model.bundles.map((b) => `${b.settings.id}-0`).slice(0, 5).join(', ') || 'no bundles'})`);
  if (!model.nodes.some((n) => n.name === node)) return bad(`'${node}' is not a node of the CIB`);
  const rc = Number(rcText);
  if (rc === 0) return bad(`rc 0 is a success, not a failure`);
  return { spec, bundle: r[1], index: Number(r[2]), operation, node, rc };
}

/** `model`: the CIB's, when the caller has read it already (to parse --op-fail). */
export function simulate(cib: Cib, changes: SimulationChanges, opts: { scores?: boolean; model?: ClusterModel } = {}): Simulation {
  const model = opts.model ?? readModel(cib);
  const problems: Problem[] = [...model.problems];
  const status = readClusterStatus(cib, new Set(model.bundles.map((b) => b.settings.id)));
  const names = new Set(model.nodes.map((n) => n.name));
  for (const name of [...changes.up, ...changes.down, ...changes.fail]) {
    if (!names.has(name)) throw new BerthError([problem('USAGE', { value: name, allowed: [...names].join(', ') || 'the CIB has no nodes', message: `'${name}' is not a node of the CIB` })]);
  }
  // Before: members as the status says; a CIB without node states (berth's live CIB holds none)
  // has every node up.
  const noStatus = status.nodes.length === 0;
  const notes: string[] = [];
  if (noStatus && model.nodes.length) notes.push('The CIB holds no node states (berth keeps them out of the live CIB): every node is taken as online and nothing as running; --node-down takes one out.');
  const onlineBefore = new Set(noStatus ? model.nodes.map((n) => n.name) : status.nodes.filter((n) => n.online).map((n) => n.name));
  const onlineAfter = new Set(onlineBefore);
  const modifications: string[] = [];
  for (const n of changes.up) { onlineAfter.add(n); modifications.push(`Bringing node ${n} online`); }
  for (const n of changes.down) { onlineAfter.delete(n); modifications.push(`Taking node ${n} offline`); }
  for (const n of changes.fail) { onlineAfter.delete(n); modifications.push(`Failing node ${n} (fenced: its replicas are gone)`); }

  // What runs: the status's replicas on nodes that stay up (a failed or downed node's are gone).
  // A node that is cleanly down runs nothing, whatever its history says (Pacemaker ignores it too).
  const before = status.replicas.filter((r) => onlineBefore.has(r.node)).map((r) => ({ replica: replicaName(r.bundle, r.index), bundle: r.bundle, node: r.node, failed: r.failed }));
  const failedOps = new Set<string>();
  for (const f of changes.opFail) {
    modifications.push(`Injecting ${f.operation} failure of ${replicaName(f.bundle, f.index)} on ${f.node} (rc=${f.rc})`);
    failedOps.add(`${replicaName(f.bundle, f.index)}@${f.node}`);
  }
  const current: RunningReplica[] = before
    .filter((r) => onlineAfter.has(r.node))
    .map((r) => ({ bundle: r.bundle, index: Number(r.replica.slice(r.bundle.length + 1)), node: r.node, failed: r.failed || failedOps.has(`${r.replica}@${r.node}`) }));

  // Failures counted as the controller counts them: one per failed operation, in the failure
  // ledger's form, through the same failureBans (migration-threshold, failure-timeout).
  const bans: ReplicaBan[] = [];
  const settings = model.bundles.map((b) => b.settings);
  for (const node of new Set(changes.opFail.map((f) => f.node))) {
    const ledger: Record<string, { baseline: number; extra: number; count: number; lastFailureAt: number }> = {};
    for (const f of changes.opFail.filter((x) => x.node === node)) {
      const key = `replica:${f.bundle}:${f.index}`;
      const n = (ledger[key]?.count ?? 0) + 1;
      ledger[key] = { baseline: 0, extra: n, count: n, lastFailureAt: changes.now };
    }
    for (const b of failureBans(settings, node, { containers: [], runs: {}, ledger }, changes.now)) {
      const replica = replicaName(b.bundle, b.index);
      bans.push({ replica, node, reason: `${replica} failed ${b.count} time${b.count === 1 ? '' : 's'} on ${node} (migration-threshold=${b.threshold})` });
    }
  }

  const nodesAfter = nodeStates(model.nodes, onlineAfter);
  const state = { nodes: nodesAfter, current, bans, now: changes.now };
  const placed = opts.scores ? placeModelWithScores(model, state) : placeModel(model, state);
  const nodesBefore = nodeStates(model.nodes, onlineBefore);

  // The transition: each replica from where it runs to where it is placed.
  const actions: TransitionAction[] = [];
  const unplacedBy = new Map(placed.unplaced.map((u) => [replicaName(u.bundle, u.index), u]));
  const gone = new Set([...changes.down, ...changes.fail]);
  const seen = new Set<string>();
  const lostFrom = new Map<string, string>();
  for (const r of before) {
    // On a node that goes down or fails, a replica is gone with it (as Pacemaker takes it): where
    // it is placed now, it starts.
    if (gone.has(r.node)) { lostFrom.set(r.replica, r.node); continue; }
    seen.add(r.replica);
    const to = placed.placements.get(r.replica);
    const failedHere = r.failed || failedOps.has(`${r.replica}@${r.node}`);
    if (to === undefined) {
      const why = unplacedBy.get(r.replica)?.reason ?? 'not placed';
      actions.push({ action: 'stop', bundle: r.bundle, replica: r.replica, node: r.node, reason: why });
    } else if (to !== r.node) {
      const why = bans.some((b) => b.replica === r.replica && b.node === r.node) ? bans.find((b) => b.replica === r.replica && b.node === r.node)!.reason : failedHere ? 'recovering elsewhere' : 'a better place';
      actions.push({ action: 'move', bundle: r.bundle, replica: r.replica, from: r.node, to, reason: why });
    } else if (failedHere) {
      actions.push({ action: 'recover', bundle: r.bundle, replica: r.replica, node: r.node, reason: 'its last operation failed' });
    }
  }
  const bundleOf = new Map<string, string>();
  for (const b of model.bundles) for (let i = 0; i < b.settings.replicas; i++) bundleOf.set(replicaName(b.settings.id, i), b.settings.id);
  for (const [replica, node] of placed.placements) {
    if (seen.has(replica)) continue;
    const bundle = bundleOf.get(replica)!;
    const lost = lostFrom.get(replica);
    actions.push({ action: 'start', bundle, replica, node, ...(lost ? { reason: `it ran on ${lost}, which is ${changes.fail.includes(lost) ? 'fenced' : 'down'}` } : {}) });
  }
  const after = new Map(placed.placements);
  addOrders(model, actions, before, after);
  const order = { stop: 0, move: 1, recover: 2, restart: 3, start: 4 } as const;
  actions.sort((a, b) => order[a.action] - order[b.action] || byReplica(a.replica, b.replica));

  const stateOf = (list: ReturnType<typeof nodeStates>) => new Map(list.map((n) => [n.name, n.state]));
  const b4 = stateOf(nodesBefore);
  const af = stateOf(nodesAfter);
  return {
    nodes: model.nodes.map((n) => ({ name: n.name, before: b4.get(n.name)!, after: af.get(n.name)!, ...(changes.fail.includes(n.name) ? { fenced: true } : {}) })),
    before,
    modifications,
    actions,
    after,
    unplaced: placed.unplaced,
    bans,
    ...('scores' in placed ? { scores: (placed as { scores: AllocationScores }).scores } : {}),
    problems,
    notes,
    model,
  };
}

/**
 * Order constraints, decided by the pass's own rules (src/scheduler/order.ts): first the cascade
 * (a then replica that runs restarts when first (re)starts, stops when first cannot run: it leaves
 * `after`), then the waits — a start (or a move's start) after what it waits for is started, a
 * stop (or a move's stop) after what waits on it is stopped. Everything else goes at once.
 */
function addOrders(model: ClusterModel, actions: TransitionAction[], before: Simulation['before'], after: Map<string, string>): void {
  if (!model.orders.length) return;
  const view = () => orderView(model, actions, before, after);
  const cascade = orderCascade(model.orders, view().replicas);
  for (const k of cascade) {
    if (actions.some((a) => a.replica === k.replica)) continue;
    actions.push({ action: k.action, bundle: k.bundle, replica: k.replica, node: k.node, reason: k.why });
    if (k.action === 'stop') after.delete(k.replica);
  }
  const { replicas, candidates } = view();
  const inPlace = new Set(actions.filter((a) => a.action === 'recover').map((a) => a.replica));
  const byReplica = new Map(actions.map((a) => [a.replica, a]));
  for (const w of orderWaits(model.orders, replicas, candidates, cascade, inPlace)) {
    const a = byReplica.get(w.replica);
    if (a) (a.waits ??= []).push({ constraint: w.constraint, message: w.message });
  }
}

/** What each replica of the transition is doing, as the order decisions see it, and its starts and stops. */
function orderView(model: ClusterModel, actions: readonly TransitionAction[], before: Simulation['before'], placements: ReadonlyMap<string, string>): { replicas: OrderReplica[]; candidates: OrderCandidate[] } {
  const starting = new Set<string>();
  const stopping = new Set<string>();
  const candidates: OrderCandidate[] = [];
  for (const a of actions) {
    if (a.action === 'start' || a.action === 'recover' || a.action === 'move' || a.action === 'restart') {
      starting.add(a.replica);
      candidates.push({ bundle: a.bundle, replica: a.replica, node: a.action === 'move' ? a.to : a.node, action: 'start' });
    }
    if (a.action === 'stop' || a.action === 'move' || a.action === 'recover' || a.action === 'restart') {
      stopping.add(a.replica);
      candidates.push({ bundle: a.bundle, replica: a.replica, node: a.action === 'move' ? a.from : a.node, action: 'stop' });
    }
  }
  const running = new Map(before.map((r) => [r.replica, r]));
  const replicas: OrderReplica[] = [];
  for (const b of model.bundles) {
    const names = new Set<string>();
    for (let i = 0; i < b.settings.replicas; i++) names.add(replicaName(b.settings.id, i));
    for (const r of before) if (r.bundle === b.settings.id) names.add(r.replica);
    for (const r of names) {
      const on = running.get(r);
      const placedOn = placements.get(r);
      const up = !!on && !on.failed && !stopping.has(r);
      replicas.push({ bundle: b.settings.id, replica: r, ...(placedOn !== undefined ? { placedOn } : {}), ...(on ? { runningOn: on.node, exists: true } : {}), up, starting: !up && placedOn !== undefined, stopping: !!on && stopping.has(r) });
    }
  }
  return { replicas, candidates };
}

/** web-2 before web-10. */
function byReplica(a: string, b: string): number {
  const ma = /^(.*)-(\d+)$/.exec(a);
  const mb = /^(.*)-(\d+)$/.exec(b);
  if (ma && mb && ma[1] === mb[1]) return Number(ma[2]) - Number(mb[2]);
  return a < b ? -1 : a > b ? 1 : 0;
}
