// ONE pass, for one node or a hundred alike: read the CIB once into the model → observe every node
// that can be reached → place every replica (src/scheduler, pure) → per node: desired state and
// plan (src/reconcile, pure) → hold what could make a second copy of a replica → hold what waits
// for another bundle (order constraints, decided over every node) → apply per node.
// A single node is a cluster of one: the CLI hands in one local node handle, the cluster
// controller one handle per CIB node (through its agent); nothing below knows which.
//
// Level-triggered: a pass never looks at what woke it, it compares the whole desired state with
// the whole observed state. An invalid CIB is never applied: a caller with a last good CIB (the
// controllers) goes on with it and reports; others stop here.
//
// The safety rule lives here: a replica is created or started on a node only when no container of
// it exists on any other node, no other node's plan is sweeping its address (left there with no
// container), and no node that might hold it is unknown or unreachable. A move is therefore two
// passes: the old copy (or address) is removed first, the new one created after.
import type { EditCommand, EditFlags, EditResult } from '../commands/edit';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Cib } from '../cib/cib';
import { BerthError, Problem, hasErrors, problem } from '../errors/registry';
import { checkCibText } from '../validate/cib-check';
import { ClusterModel, readModel } from '../model/model';
import { DesiredState, desiredStateOf, replicaName, replicasByNode } from '../reconcile/desired';
import type { ContainerRun, ObservedState } from '../reconcile/observed';
import { DEFAULT_POLICY, Note, Plan, PlanPolicy, computePlan, isStuck, planChanges } from '../reconcile/plan';
import type { CibNode } from '../model/nodes';
import { nodeStates } from '../scheduler/nodes';
import { ReplicaBan, RunningReplica, UnplacedReplica, nextRuleDateChange, placeModel } from '../scheduler/placement';
import { failureBans } from '../reconcile/failures';
import { ApplyDeps, ApplyReport, applyPlan } from './apply';
import { ObserveDeps, Observation, observe } from './observe';
import { holdForOrder } from './order-hold';
import { innerWantsOf, planInnerResources } from './inner-step';
import { readClusterStatus } from '../model/status';
import { ConvergedPass, mayHold, observedKey, offlineKey, reusable, sameObserved } from './pass-reuse';

/** Where the desired CIB comes from: a file (--cib) or the live store; and whose it is. */
export interface CibSource {
  readonly where: string;
  read(): Promise<string>;
  /** the id of the cluster this CIB is for: every container berth makes carries it */
  clusterId(): Promise<string>;
  /** Calls back after each change; returns a stop function. */
  watch?(onChange: () => void): () => void;
  /** Runs a library edit on this CIB as the CLI would on it (the file under its lock, the store by
   * compare-and-swap): the status page's actions. */
  edit?(edit: EditCommand, args: string[], flags: EditFlags): Promise<EditResult>;
  close?(): Promise<void>;
}

/** A node as the membership layer sees it (src/cluster/liveness.ts; the local node is `alive`). */
export type Liveness = 'alive' | 'suspect' | 'lost' | 'unknown';

export type NodeDeps = ObserveDeps & ApplyDeps;

/** A node as the pass sees it: its liveness and, when it can be reached, its engine interface. */
export interface NodeHandle {
  name: string;
  liveness: Liveness;
  deps?: NodeDeps;
  /** why a node is lost or has no deps, in words (e.g. "not this node: berth runs it alone") */
  note?: string;
  /** a node this berth does not run (a single node's pass): when the CIB holds Pacemaker's status
   * section, whether it is up and what runs there are taken from that record, as crm_simulate
   * takes them, instead of counting it lost */
  elsewhere?: true;
  /** how many engine events of the node its caller has received (while it follows them): an
   * observation is given again, when the node proves nothing changed, only while none came since */
  events?: number;
}

export interface PassDeps {
  cib: CibSource;
  /** the handles of the nodes: the CIB's (names in CIB order) and any the caller adds */
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
  /** kept by a caller that passes again and again (the loop): while the CIB's text is the same, the
   * CIB is not parsed, checked and read into the model again, and each replica's spec is built and
   * hashed once */
  memo?: PassMemo;
}

export interface PassMemo {
  text?: string;
  cib?: Cib;
  problems?: Problem[];
  model?: ClusterModel;
  /** the last pass's answer when it was converged (pass-reuse.ts): reused while nothing changed */
  converged?: ConvergedPass;
  /** each node's last observation with its digest, and the node's engine events counted then */
  observations?: Map<string, { deps: NodeDeps; events: number; seen: Observation & { digest: string } }>;
}

export interface PassOptions {
  apply: boolean;
  /** the last CIB that was valid: used (and the problems reported) when the current one is not */
  lastGood?: Cib;
  /** inspect every container (status wants every failure count), or only those that need it */
  inspect?: 'all' | 'suspects';
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

export interface PassResult {
  /** problems of the CIB as read; errors among them mean it was not used */
  cibProblems: Problem[];
  /** the CIB used: the one read, or the last good one */
  cib?: Cib;
  model?: ClusterModel;
  /** the cluster's id (containers of other ids are foreign) */
  cluster?: string;
  usedLastGood: boolean;
  /** replica → node */
  placements?: Map<string, string>;
  unplaced: UnplacedReplica[];
  nodes: NodePass[];
  /** nodes that could not be observed, with why, and the replicas each may still run (memory) */
  unreachable: { node: string; message: string; replicas?: string[]; problem?: Problem }[];
  /** nodes that take no part: lost, or not run by this berth (a single node), with why */
  offline: { node: string; message: string }[];
  /** nodes this berth does not run whose state comes from the CIB's status section (Pacemaker's
   * record): online there, with the replicas it says run there */
  recorded: { node: string; replicas: string[] }[];
  /** creates and starts withheld so that no replica runs twice */
  held: Note[];
  /** the earliest time (ms) a plan would differ without any event (a failure-timeout ends) */
  recheckAt?: number;
  problems: Problem[];
  /** how long each step took, ms from the pass's start (a measurement only: nothing decides by it) */
  timings?: PassTimings;
  /** nodes whose last observation was given again (the node proved it unchanged: node-snapshot.ts) */
  unchanged?: number;
}

/** The end of each step of a pass, ms after it started (real time, whatever `now` says). */
export interface PassTimings {
  /** the CIB read (and, when it changed, checked and read into the model) */
  model: number;
  /** every node observed */
  observed: number;
  /** the kept answer checked (the hosts files read): given again, or not */
  kept?: number;
  placed?: number;
  /** every node's plan made (hosts files read), holds and orders decided */
  planned?: number;
  /** every node's orders sent (the first request of each apply under way) */
  ordersSent?: number;
  /** the pass ended (waited for the applies up to `applyWaitMs`) */
  ended: number;
}

export async function readValidCib(source: Pick<CibSource, 'read' | 'where'>): Promise<{ cib?: Cib; problems: Problem[] }> {
  const read = await readCibText(source);
  return 'problems' in read ? read : validCib(read.text, source.where);
}

async function readCibText(source: Pick<CibSource, 'read' | 'where'>): Promise<{ text: string } | { problems: Problem[] }> {
  try {
    return { text: await source.read() };
  } catch (e) {
    if (e instanceof BerthError) return { problems: e.problems };
    return { problems: [problem('FILE_NOT_FOUND', { path: source.where, message: `cannot read the CIB from ${source.where}: ${(e as Error).message}` })] };
  }
}

/** The CIB of a text when it is valid (the schema as `berth cib validate` checks it, and the rules). */
function validCib(text: string, where: string): { cib?: Cib; problems: Problem[] } {
  // The schema and the semantic rules, all problems at once, as `berth cib validate` checks them: both must pass.
  const { cib, problems } = checkCibText(text, where);
  return hasErrors(problems) || !cib ? { problems } : { cib, problems };
}

const emptyResult = (cibProblems: Problem[]): PassResult => ({ cibProblems, usedLastGood: false, unplaced: [], nodes: [], unreachable: [], offline: [], recorded: [], held: [], problems: [] });

export async function runPass(deps: PassDeps, opts: PassOptions): Promise<PassResult> {
  const started = performance.now();
  const timings: PassTimings = { model: 0, observed: 0, ended: 0 };
  const stamp = (step: Exclude<keyof PassTimings, 'ended'>) => { timings[step] = Math.round(performance.now() - started); };
  const result = await passSteps(deps, opts, stamp);
  timings.ended = Math.round(performance.now() - started);
  result.timings = timings;
  return result;
}

async function passSteps(deps: PassDeps, opts: PassOptions, step: (name: Exclude<keyof PassTimings, 'ended'>) => void): Promise<PassResult> {
  // 0. The CIB, checked and read once into the model: everything below takes the model.
  const memo = deps.memo;
  const text = await readCibText(deps.cib);
  const same = 'text' in text && memo?.model !== undefined && memo.text === text.text;
  const read: { cib?: Cib; problems: Problem[] } = same ? { cib: memo!.cib, problems: memo!.problems! } : 'text' in text ? validCib(text.text, deps.cib.where) : text;
  const cib = read.cib ?? opts.lastGood;
  const result = emptyResult(read.problems);
  result.usedLastGood = !read.cib && !!cib;
  if (!cib) return result;
  result.cib = cib;
  const now = deps.now();
  const log = deps.log ?? (() => {});
  const cluster = await deps.cib.clusterId();
  result.cluster = cluster;
  let model = same ? memo!.model! : undefined;
  if (!model) {
    model = readModel(cib, {
      readFile: deps.readFile ?? ((p: string) => readFileSync(p, 'utf8')),
      lookupEnv: deps.lookupEnv ?? ((n: string) => process.env[n]),
    });
    // Kept only for a valid text whose model depends on nothing else (no file named in options).
    if (memo) {
      const keep = read.cib !== undefined && 'text' in text && !model.readsFiles;
      memo.text = keep ? text.text : undefined;
      memo.cib = keep ? cib : undefined;
      memo.problems = keep ? read.problems : undefined;
      memo.model = keep ? model : undefined;
    }
  }
  result.model = model;
  result.problems.push(...model.problems);
  step('model');

  // 1. Observe every node that may run something and can be reached. A node this berth does not
  // run is, when the CIB carries Pacemaker's status section, as that section records it.
  const handles = deps.nodes(model.nodes.map((n) => n.name));
  const observed = new Map<string, { handle: NodeHandle & { deps: NodeDeps }; state: ObservedState }>();
  /** alive and heard, still carrying out an earlier pass's orders: not observed this pass */
  const busy = new Set<string>();
  /** nodes whose observation holds every hosts file of the cluster there (a snapshot) */
  const complete = new Set<string>();
  const status = readClusterStatus(cib, new Set(model.bundles.map((b) => b.settings.id)));
  const recordedOnline = new Set(status.nodes.filter((n) => n.online).map((n) => n.name));
  await Promise.all(handles.map(async (n) => {
    if (n.elsewhere && recordedOnline.has(n.name)) {
      result.recorded.push({ node: n.name, replicas: status.replicas.filter((r) => r.node === n.name).map((r) => replicaName(r.bundle, r.index)).sort() });
      return;
    }
    if (n.liveness === 'lost') {
      deps.memory.delete(n.name);
      result.offline.push({ node: n.name, message: n.note ?? 'lost' });
      return;
    }
    if (!n.deps) {
      result.unreachable.push({ node: n.name, message: n.note ?? (n.liveness === 'unknown' ? 'not heard from yet' : 'no address for its agent') });
      return;
    }
    if (deps.inflight?.has(n.name)) {
      busy.add(n.name);
      result.unreachable.push({ node: n.name, message: 'still carrying out the orders of an earlier pass' });
      return;
    }
    // A silent node is not waited for: what it may run is held (memory) until it is heard or lost.
    if (n.liveness === 'suspect') {
      result.unreachable.push({ node: n.name, message: 'no heartbeat for a while (suspect)' });
      return;
    }
    try {
      const nodeCache = opts.cache && (opts.cache.get(n.name) ?? opts.cache.set(n.name, new Map()).get(n.name));
      const timeout = deps.observeTimeoutMs ?? 1000;
      // The last observation may be given again only while no engine event of the node came since
      // (what an inspect said is not in the node's digest), by the same agent start.
      const last = memo?.observations?.get(n.name);
      const previous = last && n.events !== undefined && last.events === n.events && last.deps === n.deps ? last.seen : undefined;
      const seen = await withDeadline(observe(n.deps, { node: n.name, cluster }, { inspect: opts.inspect ?? 'suspects', now, innerWants: innerWantsOf(model!, n.name), ...(nodeCache ? { cache: nodeCache } : {}), ...(previous ? { previous } : {}), log: (line) => log(`${n.name}: ${line}`) }), timeout, `no answer within ${timeout} ms`);
      const state = seen.state;
      if (seen.hostsComplete) complete.add(n.name);
      if (seen.unchanged) result.unchanged = (result.unchanged ?? 0) + 1;
      if (memo && seen.digest !== undefined && n.events !== undefined) {
        (memo.observations ??= new Map()).set(n.name, { deps: n.deps, events: n.events, seen: { ...seen, digest: seen.digest, state: { ...state, files: { ...state.files } } } });
      } else memo?.observations?.delete(n.name);
      observed.set(n.name, { handle: n as NodeHandle & { deps: NodeDeps }, state });
      deps.memory.set(n.name, new Set(state.containers.filter((c) => c.replica !== undefined).map((c) => replicaName(c.bundle, c.replica!))));
    } catch (e) {
      const err = e as { name?: string; kind?: string; message?: string };
      const code = err?.name === 'EngineError' && err.kind === 'unreachable' ? 'ENGINE_UNREACHABLE' : 'ENGINE_FAILED';
      result.unreachable.push({ node: n.name, message: err?.message ?? String(e), problem: problem(code, { path: n.name, message: `node ${n.name} cannot be observed: ${err?.message ?? String(e)}` }) });
    }
  }));
  // In the nodes' order, whichever answered first: placement takes what runs where in this order
  // (a tie between nodes went to the one whose observation came back first).
  const answered = new Map(observed);
  observed.clear();
  for (const h of handles) { const o = answered.get(h.name); if (o) observed.set(h.name, o); }
  result.unreachable.sort((a, b) => (a.node < b.node ? -1 : 1));
  result.offline.sort((a, b) => (a.node < b.node ? -1 : 1));
  result.recorded.sort((a, b) => (a.node < b.node ? -1 : 1));
  step('observed');

  // 1b. Converged and nothing changed since: the last pass's placement and plans (pass-reuse.ts).
  const kept = memo?.converged;
  if (memo) memo.converged = undefined;
  const timeoutMs = deps.observeTimeoutMs ?? 1000;
  const offline = offlineKey(result);
  const others = result.unreachable.length + result.recorded.length + busy.size;
  if (mayHold(kept, { model, cib, cluster, offline, nodes: [...observed.keys()], at: now, others })) {
    await Promise.all(kept.nodes.map((np) => { const o = observed.get(np.node)!; return readHostsFiles(o.handle.deps, np.desired, o.state, timeoutMs, complete.has(np.node)); }));
    if (sameObserved(kept, new Map([...observed].map(([n, o]) => [n, observedKey(o.state, o.handle.deps.files)])))) {
      memo!.converged = kept;
      result.placements = kept.placements;
      result.unplaced = kept.unplaced;
      result.nodes = kept.nodes.map((np) => ({ node: np.node, desired: np.desired, observed: observed.get(np.node)!.state, plan: np.plan }));
      if (kept.recheckAt !== undefined) result.recheckAt = kept.recheckAt;
      step('kept');
      return result;
    }
    step('kept');
  }

  // 2. Where each replica has a container now; what unreachable nodes may hold.
  const where = new Map<string, Set<string>>();
  const mark = (replica: string, node: string) => (where.get(replica) ?? where.set(replica, new Set()).get(replica)!).add(node);
  const current: RunningReplica[] = [];
  for (const [node, o] of observed) {
    for (const c of o.state.containers) {
      // A container stuck in removal runs nothing and cannot be started: no copy of its replica.
      if (c.replica === undefined || isStuck(c, o.state.runs[c.id])) continue;
      mark(replicaName(c.bundle, c.replica), node);
      // A container created and not started yet (its start is still to come: the agent restarted
      // or the order timed out in between) has not failed: counted failed, it was not kept in
      // place and could swap nodes with a replica not placed yet.
      current.push({ bundle: c.bundle, index: c.replica, node, failed: c.state !== 'running' && c.state !== 'restarting' && c.state !== 'created' });
    }
  }
  // What the status section records where this berth cannot look (a node it does not run): there
  // the replica runs, so it is not started here too. On an observed node, for a replica with no
  // berth container anywhere yet (Pacemaker's own container runs it): placement keeps it where it
  // is, as Pacemaker would, but nothing waits for that record to go (it may be stale).
  const recorded = new Set(result.recorded.map((r) => r.node));
  for (const r of status.replicas) {
    const name = replicaName(r.bundle, r.index);
    if (recorded.has(r.node)) mark(name, r.node);
    else if (!observed.has(r.node) || where.has(name)) continue;
    current.push({ bundle: r.bundle, index: r.index, node: r.node, failed: r.failed });
  }
  const blind: string[] = [];
  for (const u of result.unreachable) {
    const seen = deps.memory.get(u.node);
    if (seen) {
      for (const r of seen) mark(r, u.node);
      u.replicas = [...seen].sort();
    } else blind.push(u.node);
  }
  // A busy node keeps its place, with what it was last seen running or ordered to create:
  // otherwise placement moves its replicas away (held) and back on the next pass, and a replica
  // placed away in a pass that observes the node is removed there and made again.
  // A replica's name is its bundle's id, '-', its index: split at the last '-' (a search of every
  // bundle for every replica remembered made this bundles x replicas: 1 s a pass at 10,000).
  const bundleIds = new Set(model.bundles.map((b) => b.settings.id));
  for (const node of busy) {
    for (const r of deps.memory.get(node) ?? []) {
      const dash = r.lastIndexOf('-');
      const bundle = r.slice(0, dash);
      const index = r.slice(dash + 1);
      if (dash > 0 && /^\d+$/.test(index) && bundleIds.has(bundle)) current.push({ bundle, index: Number(index), node, failed: false });
    }
  }

  // Failures at migration-threshold keep a replica off its node (Pacemaker's -INFINITY for it
  // there), until failure-timeout.
  const bans: ReplicaBan[] = [];
  const settings = model.bundles.map((b) => b.settings);
  for (const [node, o] of observed) {
    for (const b of failureBans(settings, node, o.state, now)) {
      const replica = replicaName(b.bundle, b.index);
      bans.push({ replica, node, reason: `${replica} failed ${b.count} time${b.count === 1 ? '' : 's'} on ${node} (migration-threshold=${b.threshold}), ${b.until !== undefined ? `kept off it until ${new Date(b.until).toISOString()} (failure-timeout)` : 'kept off it until its failures are cleared'}` });
      if (b.until !== undefined) result.recheckAt = Math.min(result.recheckAt ?? Infinity, b.until);
    }
  }

  // 3. Placement over the nodes that can take replicas now: the CIB's, and any node the caller
  // adds (a single node need not be in the CIB's <nodes>).
  const cibNodes: CibNode[] = [...model.nodes];
  for (const h of handles) if (!cibNodes.some((n) => n.name === h.name)) cibNodes.push({ id: h.name, name: h.name, type: 'member', standby: false, attributes: {} });
  const placed = placeModel(model, { nodes: nodeStates(cibNodes, (name) => observed.has(name) || recorded.has(name) || busy.has(name)), current, bans, now });
  result.placements = placed.placements;
  result.unplaced = placed.unplaced;
  // A rule with a date (a ban's lifetime ends) may place replicas elsewhere then: pass again.
  const ruleChange = nextRuleDateChange(model.constraints, now);
  if (ruleChange !== undefined) result.recheckAt = Math.min(result.recheckAt ?? Infinity, ruleChange);
  step('placed');

  // 4. Per node: desired state and plan, then hold what could run twice.
  const unplacedNotes = placed.unplaced.map((u) => ({ bundle: u.bundle, index: u.index, reason: u.reason }));
  const byNode = replicasByNode(model, placed.placements);
  const parts = [...observed].map(([node, o]) => ({
    node, o,
    desired: desiredStateOf(model, { node, stateDir: o.handle.deps.files.stateDir, cluster, ...(o.handle.deps.files.remoteKey ? { remoteKey: o.handle.deps.files.remoteKey } : {}) }, { placements: placed.placements, here: byNode.get(node) ?? [], unplaced: unplacedNotes }),
  }));
  // The hosts files of the bundles on each node (a container there, or replicas placed there),
  // every node at once; a file already right is not written again.
  await Promise.all(parts.map(({ node, o, desired }) => readHostsFiles(o.handle.deps, desired, o.state, timeoutMs, complete.has(node))));
  const plans = parts.map(({ node, o, desired }) => ({ node, o, desired, plan: computePlan(desired, o.state, now, deps.policy ?? DEFAULT_POLICY), observed: o.state }));
  // An address swept from a node (nothing holds it there) is a copy until it is gone: the replica
  // starts elsewhere in a later pass, never beside its own address.
  const sweeping = new Map<string, Set<string>>();
  for (const { node, plan } of plans) for (const a of plan.removeAddress) if (a.sweep) (sweeping.get(a.replica) ?? sweeping.set(a.replica, new Set()).get(a.replica)!).add(node);
  for (const { node, plan } of plans) hold(plan, node, where, sweeping, blind, result.held);
  // 4b. Order constraints, over every node at once: a start or stop that waits for another
  // bundle's is held until a later pass finds what it waits for done.
  const unseen = new Set(result.unreachable.flatMap((u) => u.replicas ?? []));
  holdForOrder(model.orders, plans, placed.placements, model.bundles.map((b) => ({ id: b.settings.id, replicas: b.settings.replicas })), { unseen, blind: blind.length > 0 });
  // 4c. The resources inside bundles: promotion over every node, then each node's operations.
  planInnerResources(model, plans, placed.placements, { now, blind: result.unreachable.length > 0 });
  for (const { node, o, desired, plan } of plans) {
    // What this pass may create is remembered before it is ordered: if the node stops answering
    // mid-way, its replicas are not started anywhere else.
    const seen = deps.memory.get(node) ?? deps.memory.set(node, new Set()).get(node)!;
    for (const a of [...plan.create, ...plan.replace]) seen.add(a.replica);
    if (plan.recheckAt !== undefined) result.recheckAt = Math.min(result.recheckAt ?? Infinity, plan.recheckAt);
    result.nodes.push({ node, desired, observed: o.state, plan });
  }
  result.nodes.sort((a, b) => (a.node < b.node ? -1 : 1));
  // In a fixed order, whichever node answered first: the controller logs what is held only when
  // it changes.
  result.held.sort((a, b) => (a.message < b.message ? -1 : a.message > b.message ? 1 : 0));
  // Planning reads the observed states and never writes them: their keys now are what was observed.
  if (memo && reusable(result, model, busy.size)) {
    memo.converged = { model, cib, cluster, offline, observed: new Map(parts.map(({ node, o }) => [node, observedKey(o.state, o.handle.deps.files)])), nodes: result.nodes, placements: placed.placements, unplaced: placed.unplaced, ...(result.recheckAt !== undefined ? { recheckAt: result.recheckAt } : {}) };
  }

  step('planned');

  // 5. Apply, every node at once.
  if (opts.apply) {
    const applies = result.nodes.filter((np) => planChanges(np.plan).length > 0 || np.plan.ledger.length > 0).map((np) => {
      const o = observed.get(np.node)!;
      const prefix = handles.length > 1 ? `${np.node}: ` : '';
      const p = applyPlan(np.plan, { ...o.handle.deps, log: (line) => log(prefix + line) }, {
        ledger: o.state.ledger,
        cluster,
        ...(deps.stopTimeoutSeconds !== undefined ? { stopTimeoutSeconds: deps.stopTimeoutSeconds } : {}),
      }).then((report) => { np.applied = report; }, (e: Error) => { log(`${prefix}apply failed: ${e.message}`); })
        .finally(() => deps.inflight?.delete(np.node));
      deps.inflight?.set(np.node, p);
      return p;
    });
    step('ordersSent');
    const all = Promise.all(applies).then(() => {});
    if (deps.inflight) await Promise.race([all, new Promise<void>((r) => setTimeout(r, deps.applyWaitMs ?? 1500).unref())]);
    else await all;
  }
  return result;
}

/** The hosts files of the bundles with a container on the node or replicas placed there; one that
 * cannot be read is taken as missing (and written). All in one request: one after the other, a
 * node with 100 bundles cost its agent 100 round trips in every pass. */
async function readHostsFiles(deps: NodeDeps, desired: DesiredState, observed: ObservedState, timeoutMs: number, complete: boolean): Promise<void> {
  const here = new Set([...observed.containers.map((c) => c.bundle), ...desired.replicas.map((r) => r.bundle)]);
  // Those read already in this pass (to check a kept answer, pass-reuse.ts) are not asked again.
  const paths = desired.bundles.flatMap((b) => (b.hostsFile && here.has(b.id) && !(b.hostsFile.path in observed.files) ? [b.hostsFile.path] : []));
  if (!paths.length) return;
  // The observation holds every hosts file there is (a snapshot): the others are missing.
  if (complete) {
    for (const p of paths) observed.files[p] = null;
    return;
  }
  try {
    const read = await withDeadline(deps.files.readMany(paths), timeoutMs, 'no answer');
    paths.forEach((p, i) => { observed.files[p] = read[i]; });
  } catch {
    // Unread: taken as missing.
  }
}

function withDeadline<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(message)), ms); })]).finally(() => clearTimeout(timer));
}

/** Drops the creates and starts (and their addresses) of replicas that have, or may have, a copy
 * on another node, or whose address is being swept from another node; they wait for a later pass. */
function hold(plan: Plan, node: string, where: Map<string, Set<string>>, sweeping: Map<string, Set<string>>, blind: readonly string[], held: Note[]): void {
  const reasonFor = (replica: string): string | undefined => {
    const others = [...(where.get(replica) ?? [])].filter((n) => n !== node);
    if (others.length) return `a copy exists on ${others.sort().join(', ')}; it starts here once that is gone`;
    const addressed = [...(sweeping.get(replica) ?? [])].filter((n) => n !== node);
    if (addressed.length) return `its address is still on ${addressed.sort().join(', ')} (nothing holds it there, it is being removed); it starts here once that is gone`;
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
