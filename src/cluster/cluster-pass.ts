// One pass over the whole cluster, the shell around the pure pieces: read the CIB → observe every
// node that can be reached → place every replica (src/scheduler) → per node: desired state, plan
// (src/reconcile) → hold what could make a second copy of a replica → apply per node. Nodes are
// reached through one interface (engine, addresses, files), whether local or through an agent.
//
// The safety rule lives here: a replica is created or started on a node only when no container of
// it exists on any other node, and no node that might hold it is unknown or unreachable. A move is
// therefore two passes: the old copy is removed first, the new one created after.
import { readFileSync } from 'node:fs';
import type { Cib } from '../cib/cib';
import type { Problem } from '../errors/registry';
import { BundleSettings, DesiredBundles, DesiredState, desiredStateOf, readDesiredBundles, replicaName } from '../reconcile/desired';
import { DEFAULT_STATE_DIR } from '../controller/node-files';
import type { ContainerRun, ObservedState } from '../reconcile/observed';
import { DEFAULT_POLICY, Note, Plan, PlanPolicy, computePlan, planChanges } from '../reconcile/plan';
import { nodeStates, readNodes } from '../scheduler/nodes';
import { RunningReplica, UnplacedReplica, placeReplicas, readPlacementConfig } from '../scheduler/placement';
import { ApplyDeps, ApplyReport, applyPlan } from '../controller/apply';
import { ObserveDeps, observe } from '../controller/observe';
import { CibSource, readValidCib } from '../controller/pass';
import type { Liveness } from './liveness';

/** A node as the pass sees it: its liveness and, when it can be reached, its engine interface. */
export interface NodeHandle {
  name: string;
  liveness: Liveness;
  deps?: ObserveDeps & ApplyDeps;
}

export interface ClusterPassDeps {
  cib: CibSource;
  /** the handles of the CIB's nodes (names in CIB order), with their liveness now */
  nodes: (names: readonly string[]) => NodeHandle[];
  now: () => number;
  /** replica names seen on each node in this term: what an unreachable node may still run */
  memory: Map<string, Set<string>>;
  policy?: PlanPolicy;
  stopTimeoutSeconds?: number;
  log?: (line: string) => void;
  readFile?: (path: string) => string;
  lookupEnv?: (name: string) => string | undefined;
  /** a node that does not answer the observation within this counts as unreachable (default 1000 ms) */
  observeTimeoutMs?: number;
  /**
   * Applies still under way, by node (owned by the caller). With it, a pass waits at most
   * `applyWaitMs` for the nodes' applies (a graceful stop can take the stop timeout, an order to
   * a node that just became unreachable its request timeout); the rest go on in the background and
   * their node is left out of later passes (what it runs is held) until they end.
   */
  inflight?: Map<string, Promise<void>>;
  applyWaitMs?: number;
}

export interface ClusterPassOptions {
  apply: boolean;
  lastGood?: Cib;
  /** inspect results by node, then container id (see observe) */
  cache?: Map<string, Map<string, ContainerRun>>;
}

export interface NodePass {
  node: string;
  desired: DesiredState;
  observed: ObservedState;
  plan: Plan;
  applied?: ApplyReport;
}

export interface ClusterPassResult {
  cibProblems: Problem[];
  cib?: Cib;
  usedLastGood: boolean;
  /** replica → node */
  placements?: Map<string, string>;
  unplaced: UnplacedReplica[];
  nodes: NodePass[];
  /** nodes that could not be observed, with why, and the replicas each may still run (memory) */
  unreachable: { node: string; message: string; replicas?: string[] }[];
  /** creates and starts withheld so that no replica runs twice */
  held: Note[];
  /** the bundles' settings (for the status, also when no node could be observed) */
  bundles?: { settings: BundleSettings[]; maintenance: boolean };
  problems: Problem[];
}

const emptyResult = (cibProblems: Problem[]): ClusterPassResult => ({ cibProblems, usedLastGood: false, unplaced: [], nodes: [], unreachable: [], held: [], problems: [] });

export async function runClusterPass(deps: ClusterPassDeps, opts: ClusterPassOptions): Promise<ClusterPassResult> {
  const read = await readValidCib(deps.cib);
  const cib = read.cib ?? opts.lastGood;
  const result = emptyResult(read.problems);
  result.usedLastGood = !read.cib && !!cib;
  if (!cib) return result;
  result.cib = cib;
  const now = deps.now();
  const log = deps.log ?? (() => {});
  const ctxFor = (stateDir: string) => ({
    stateDir,
    readFile: deps.readFile ?? ((p: string) => readFileSync(p, 'utf8')),
    lookupEnv: deps.lookupEnv ?? ((n: string) => process.env[n]),
  });

  // The bundles are read once per pass for every node with the same state dir (the files berth
  // keeps are named after it): for observing, then for each node's desired state.
  const bundlesRead = new Map<string, DesiredBundles>();
  const bundlesFor = (stateDir: string) => bundlesRead.get(stateDir) ?? bundlesRead.set(stateDir, readDesiredBundles(cib, ctxFor(stateDir))).get(stateDir)!;

  // 1. Observe every node that may run something and can be reached.
  const shells = new Map<string, DesiredState>();
  const cibNodes = readNodes(cib);
  const handles = deps.nodes(cibNodes.map((n) => n.name));
  const observed = new Map<string, { handle: NodeHandle & { deps: ObserveDeps & ApplyDeps }; state: ObservedState }>();
  await Promise.all(handles.map(async (n) => {
    if (n.liveness === 'lost') {
      deps.memory.delete(n.name);
      return;
    }
    if (!n.deps) {
      result.unreachable.push({ node: n.name, message: n.liveness === 'unknown' ? 'not heard from yet' : 'no address for its agent' });
      return;
    }
    if (deps.inflight?.has(n.name)) {
      result.unreachable.push({ node: n.name, message: 'still carrying out the orders of an earlier pass' });
      return;
    }
    // A silent node is not waited for: what it may run is held (memory) until it is heard or lost.
    if (n.liveness === 'suspect') {
      result.unreachable.push({ node: n.name, message: 'no heartbeat for a while (suspect)' });
      return;
    }
    try {
      // Observing needs the bundles' settings only (the hosts files berth keeps), the same for
      // every node with the same state dir: read once, not once per node.
      const stateDir = n.deps.files.stateDir;
      const settings = shells.get(stateDir) ?? shells.set(stateDir, desiredStateOf(bundlesFor(stateDir), n.name, { placements: new Map() })).get(stateDir)!;
      const shell = { ...settings, node: n.name };
      const nodeCache = opts.cache && (opts.cache.get(n.name) ?? opts.cache.set(n.name, new Map()).get(n.name));
      const state = await withDeadline(observe(n.deps, shell, { inspect: 'suspects', now, ...(nodeCache ? { cache: nodeCache } : {}) }), deps.observeTimeoutMs ?? 1000, `no answer within ${deps.observeTimeoutMs ?? 1000} ms`);
      observed.set(n.name, { handle: n as NodeHandle & { deps: ObserveDeps & ApplyDeps }, state });
      deps.memory.set(n.name, new Set(state.containers.filter((c) => c.replica !== undefined).map((c) => replicaName(c.bundle, c.replica!))));
    } catch (e) {
      result.unreachable.push({ node: n.name, message: (e as Error).message });
    }
  }));
  result.unreachable.sort((a, b) => (a.node < b.node ? -1 : 1));

  // 2. Where each replica has a container now; what unreachable nodes may hold.
  const where = new Map<string, Set<string>>();
  const mark = (replica: string, node: string) => (where.get(replica) ?? where.set(replica, new Set()).get(replica)!).add(node);
  const current: RunningReplica[] = [];
  for (const [node, o] of observed) {
    for (const c of o.state.containers) {
      if (c.replica === undefined) continue;
      mark(replicaName(c.bundle, c.replica), node);
      current.push({ bundle: c.bundle, index: c.replica, node, failed: c.state !== 'running' && c.state !== 'restarting' });
    }
  }
  const blind: string[] = [];
  for (const u of result.unreachable) {
    const seen = deps.memory.get(u.node);
    if (seen) {
      for (const r of seen) mark(r, u.node);
      u.replicas = [...seen].sort();
    } else blind.push(u.node);
  }

  const read1 = bundlesRead.values().next().value ?? bundlesFor(DEFAULT_STATE_DIR);
  result.bundles = { settings: read1.parts.map((p) => p.settings), maintenance: read1.maintenance };

  // 3. Placement over the nodes that can take replicas now.
  const config = readPlacementConfig(cib);
  const online = (name: string) => observed.has(name);
  const placed = placeReplicas({ bundles: config.bundles, nodes: nodeStates(cibNodes, online), current, constraints: config.constraints, symmetric: config.symmetric, now });
  result.placements = placed.placements;
  result.unplaced = placed.unplaced;
  result.problems.push(...config.problems);

  // 4. Per node: desired state and plan, then hold what could run twice.
  const unplacedNotes = placed.unplaced.map((u) => ({ bundle: u.bundle, index: u.index, reason: u.reason }));
  for (const [node, o] of observed) {
    const desired = desiredStateOf(bundlesFor(o.handle.deps.files.stateDir), node, { placements: placed.placements, unplaced: unplacedNotes });
    const plan = computePlan(desired, o.state, now, deps.policy ?? DEFAULT_POLICY);
    hold(plan, node, where, blind, result.held);
    // What this pass may create is remembered before it is ordered: if the node stops answering
    // mid-way, its replicas are not started anywhere else.
    const seen = deps.memory.get(node) ?? deps.memory.set(node, new Set()).get(node)!;
    for (const a of [...plan.create, ...plan.replace]) seen.add(a.replica);
    result.nodes.push({ node, desired, observed: o.state, plan });
  }
  result.nodes.sort((a, b) => (a.node < b.node ? -1 : 1));
  // In a fixed order, whichever node answered first: the controller logs what is held only when
  // it changes.
  result.held.sort((a, b) => (a.message < b.message ? -1 : a.message > b.message ? 1 : 0));

  // 5. Apply, every node at once.
  if (opts.apply) {
    const applies = result.nodes.filter((np) => planChanges(np.plan).length > 0 || np.plan.ledger.length > 0).map((np) => {
      const o = observed.get(np.node)!;
      const p = applyPlan(np.plan, { ...o.handle.deps, log: (line) => log(`${np.node}: ${line}`) }, {
        ledger: o.state.ledger,
        ...(deps.stopTimeoutSeconds !== undefined ? { stopTimeoutSeconds: deps.stopTimeoutSeconds } : {}),
      }).then((report) => { np.applied = report; }, (e: Error) => { log(`${np.node}: apply failed: ${e.message}`); })
        .finally(() => deps.inflight?.delete(np.node));
      deps.inflight?.set(np.node, p);
      return p;
    });
    const all = Promise.all(applies).then(() => {});
    if (deps.inflight) await Promise.race([all, new Promise<void>((r) => setTimeout(r, deps.applyWaitMs ?? 1500).unref())]);
    else await all;
  }
  return result;
}

function withDeadline<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(message)), ms); })]).finally(() => clearTimeout(timer));
}

/** Drops the creates and starts (and their addresses) of replicas that have, or may have, a copy
 * on another node; they wait for a later pass. */
function hold(plan: Plan, node: string, where: Map<string, Set<string>>, blind: readonly string[], held: Note[]): void {
  const reasonFor = (replica: string): string | undefined => {
    const others = [...(where.get(replica) ?? [])].filter((n) => n !== node);
    if (others.length) return `a copy exists on ${others.sort().join(', ')}; it starts here once that is gone`;
    if (blind.length) return `node${blind.length === 1 ? '' : 's'} ${blind.join(', ')} may run it and cannot be observed; it starts once ${blind.length === 1 ? 'that node is' : 'they are'} observed or lost`;
    return undefined;
  };
  const withheld = new Set<string>();
  const keep = <A extends { replica: string; bundle: string }>(actions: A[]): A[] => actions.filter((a) => {
    const why = reasonFor(a.replica);
    if (why === undefined) return true;
    if (!withheld.has(a.replica)) {
      withheld.add(a.replica);
      const note = { bundle: a.bundle, replica: a.replica, message: `${a.replica} held on ${node}: ${why}` };
      held.push(note);
      plan.waiting.push(note);
    }
    return false;
  });
  plan.create = keep(plan.create);
  plan.start = keep(plan.start);
  plan.addAddress = plan.addAddress.filter((a) => !withheld.has(a.replica));
}
