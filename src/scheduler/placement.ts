// Placement: which node runs which replica, for one node or a hundred alike. Pure: the bundles'
// demands, the location and colocation constraints (from the model), the nodes and their states,
// what runs where and the clock are all arguments. `placeReplicas` places as Pacemaker 2.1.5 does
// (see below) and is checked against crm_simulate; `placeReplicasWithScores` also gives the
// allocation scores behind each choice (crm_simulate --show-scores).
//
// Terms: a placement is replica → node; an unplaced replica is reported with why, never forced
// onto a node; a replica's name is `B-i`. In a colocation "D with P", D is the dependent, P the
// primary; a replica's *table* is its score on every node at the moment its node is chosen.
import { type BundlePlacement, replicaName } from '../model/bundle';
import type { LocationConstraint, LocationRule, RuleExpression } from '../model/constraints';
import type { Colocation } from '../model/colocation';
import { INFINITY, addScores, parseScore } from '../model/score';
import type { PlacementNode } from './nodes';
import type { PlacementStrategy, Utilization } from '../model/utilization';

export type { BundlePlacement } from '../model/bundle';
export type { AttributeOperation, LocationConstraint, LocationRule, RuleExpression } from '../model/constraints';
export type { Colocation } from '../model/colocation';
export { INFINITY, addScores, parseScore } from '../model/score';
export type { PlacementStrategy, Utilization } from '../model/utilization';

// Pacemaker 2.1.5's assignment of bundle containers (pcmk__bundle_allocate -> distribute_children
// -> allocate_instance -> pcmk__primitive_assign), on berth's data, as named steps:
//   1. scores    each bundle's score on each node: symmetric-cluster base 0, plus every
//                rsc_location that applies (±INFINITY saturates as Pacemaker's pcmk__add_scores)
//   2. order     bundles by priority, then as given (strategy other than default: then by their
//                score where they run and node by node, cmp_resources); a bundle colocated with others places them
//                first, when its first replica needs them. A bundle's replicas: running ones
//                first (those whose node can still take them before the others; then by the
//                colocated bundles' scores on their node), then by index; one running where its
//                own score is negative counts as not running and goes last
//   3. keep      each running replica stays on its node while that node is the best in its table
//                and holds fewer than `optimal` (replicas / usable nodes) of the bundle
//   4. place     every other replica goes to the best node of its table: highest score, then
//                (placement-strategy balanced) the most free capacity, then (not minimal)
//                fewest resources placed there (Pacemaker's count: a replica's container, then its
//                address and inner resource's connection once its bundle is placed), then the node
//                it runs on, then node name; never beyond replicas-per-host, never where the
//                bundle's score is negative (stickiness does not lift that), never (strategy
//                other than default) where the node lacks the free capacity the replica uses
//      A replica's table: its bundle's scores, stickiness where it runs, -INFINITY where it cannot
//      run; then each colocation with a primary (replicas with replicas: paired with the primary's
//      replica on its best node that has one; INFINITY keeps only that node — or nodes with the
//      same node-attribute value —, a finite score adds to it; no replica to pair with under
//      INFINITY: the replica stays stopped); then the dependents' scores × score/INFINITY, and
//      their own dependents', when the bundle has fewer replicas than nodes (or the score is
//      negative); then its address's scores (Pacemaker colocates each replica's IPaddr2 with its
//      container). Policy strictAntiColocation (default): -INFINITY keeps it off every node of
//      the primary, not only its pair's
//   5. relabel   (berth only) the node counts stay Pacemaker's, but running replicas keep their
//                node whenever it still has a slot, so no two replicas swap places for nothing
//   6. report    what could not go anywhere is unplaced, with the reason
// test/scheduler/crm-simulate.ts compares the outcome with the real crm_simulate.

export type { NodeState, PlacementNode } from './nodes';

export { replicaName } from '../model/bundle';

/** Where a replica runs now, as observed. */
export interface RunningReplica {
  bundle: string;
  index: number;
  node: string;
  /** its last operation failed: it is not kept in place ahead of the others */
  failed?: boolean;
}

export interface ClusterPlacementInput {
  bundles: readonly BundlePlacement[];
  nodes: readonly PlacementNode[];
  current?: readonly RunningReplica[];
  constraints?: readonly LocationConstraint[];
  /** rsc_colocation between bundles, as dependent/primary pairs (src/model/colocation.ts) */
  colocations?: readonly Colocation[];
  /** symmetric-cluster (default true); false: a bundle runs only where a constraint allows it */
  symmetric?: boolean;
  /** the clock for date expressions in location rules; without it they never pass */
  now?: Date | number;
  /**
   * Policy (default true): running replicas keep their node whenever Pacemaker's choice leaves a
   * slot there (step 5). false: Pacemaker's own choice of which replica takes which slot, for
   * comparison with crm_simulate.
   */
  keepRunning?: boolean;
  /**
   * Policy (default true): a -INFINITY colocation keeps every replica of the dependent off every
   * node that runs a replica of the primary. false: Pacemaker's own pairing, where each dependent
   * replica avoids only the one primary replica it is paired with, so two can end up together
   * (fixture colocation-minus-infinity-crowded).
   */
  strictAntiColocation?: boolean;
  /** replicas kept off a node (failures reached migration-threshold there), with why */
  bans?: readonly ReplicaBan[];
  /**
   * placement-strategy (default `default`): `utilization`, `balanced` and `minimal` keep a replica
   * off a node without the free capacity it uses (node `utilization` minus what is placed there);
   * `balanced` prefers the node with more free capacity, `minimal` the first node by name (it
   * fills few nodes), `utilization` and `default` the node with fewer resources placed.
   */
  strategy?: PlacementStrategy;
}

/** Pacemaker's -INFINITY for one replica on one node (its fail-count there reached migration-threshold). */
export interface ReplicaBan {
  replica: string;
  node: string;
  reason: string;
}

export type UnplacedCode = 'no-node' | 'banned' | 'capacity' | 'utilization' | 'unmanaged' | 'colocation';

export interface UnplacedReplica {
  replica: string;
  bundle: string;
  index: number;
  code: UnplacedCode;
  reason: string;
}

export interface ClusterPlacementResult {
  /** replica name (`B-i`) → node, in bundle order then index */
  placements: Map<string, string>;
  unplaced: UnplacedReplica[];
}

/** Places every replica of every runnable bundle on the nodes that may take it (described above). */
export function placeReplicas(input: ClusterPlacementInput): ClusterPlacementResult {
  return placeCluster(input, false);
}

/**
 * Placement with the allocation scores behind it, as `crm_simulate --show-scores` prints them:
 * each bundle's score on each node (its location constraints: Pacemaker's `pcmk__bundle_allocate:
 * B allocation score on N`) and, for each replica that was considered, the score of each node
 * when its node was chosen (location, stickiness, the address's share, colocations, -INFINITY
 * where it cannot run: Pacemaker's `pcmk__primitive_assign: B-docker-i allocation score on N`).
 * `formatAllocationScores` prints them.
 */
export function placeReplicasWithScores(input: ClusterPlacementInput): ClusterPlacementResult & { scores: AllocationScores } {
  const r = placeCluster(input, true);
  return { placements: r.placements, unplaced: r.unplaced, scores: r.scores! };
}

export interface AllocationScores {
  /** bundle → node → score; a node the bundle may not use (asymmetric cluster) is absent */
  bundles: Map<string, Map<string, number>>;
  /** replica (`B-i`) → node → score, in the order the replicas were placed */
  replicas: Map<string, Map<string, number>>;
}

const scoreText = (n: number) => (n >= INFINITY ? 'INFINITY' : n <= -INFINITY ? '-INFINITY' : String(n));

/** The scores as lines like crm_simulate's: `B allocation score on N: S`, bundles first, then replicas. */
export function formatAllocationScores(scores: AllocationScores): string {
  const lines: string[] = [];
  const out = (what: string, m: Map<string, number>) => { for (const [n, v] of [...m].sort(([a], [b]) => byName(a, b))) lines.push(`${what} allocation score on ${n}: ${scoreText(v)}`); };
  for (const [b, m] of scores.bundles) out(b, m);
  for (const [r, m] of scores.replicas) out(r, m);
  return lines.join('\n') + (lines.length ? '\n' : '');
}

interface Running {
  node: string;
  failed: boolean;
}

interface Instance {
  index: number;
  name: string;
  running?: Running;
  /** times Pacemaker appended the bundle's colocations to this instance (allocate_instance runs
   * append_parent_colocation on every attempt: a replica tried on its own node first and then
   * placed anew gets each colocation twice) */
  appended: number;
  /** set when a mandatory colocation found no replica to pair with: the replica is stopped */
  stoppedBy?: Colocation;
  /** its node scores were open (some node >= 0) before colocations closed them */
  closedBy?: Colocation[];
  /** at its last attempt, the nodes without the free capacity it uses (Pacemaker's
   * __limit_utilization__ location; allocate_instance restores the scores for the next attempt) */
  overCapacity?: Set<number>;
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Pacemaker's INFINITY_HACK: a node marked unusable while scores are merged. */
const INFINITY_HACK = -100 * INFINITY;

/** One bundle while the cluster is placed. */
interface BundleState {
  b: BundlePlacement;
  /** step 1: its score on each node (index as `nodes`); undefined: not allowed there */
  scores: (number | undefined)[];
  state: 'pending' | 'allocating' | 'done';
  /** Pacemaker's assignment: replicas per node (for colocated bundles to pair with) */
  hosts: Int32Array;
  /** index → node, after step 5 */
  where: Map<number, string>;
  /** any replica runs (Pacemaker's running_on of the bundle) */
  running: boolean;
  /** colocations with this bundle as dependent ("this with"), in Pacemaker's order */
  thisWith: Colocation[];
  /** colocations with this bundle as primary ("with this"), in Pacemaker's order */
  withThis: Colocation[];
  /** best score among available nodes per value of a node attribute (cached per attribute) */
  best: Map<string, Map<string, number>>;
  /** replicas assigned so far (Pacemaker's: no longer provisional) */
  assigned: Set<number>;
}

/** g_list_insert_sorted: before the first element not smaller, so equal ones end up in reverse order. */
function insertSorted<T>(list: readonly T[], item: T, cmp: (a: T, b: T) => number): T[] {
  let i = 0;
  while (i < list.length && cmp(item, list[i]) > 0) i++;
  return [...list.slice(0, i), item, ...list.slice(i)];
}

/** A colocation on a replica's "with this" list that is its address's (Pacemaker's ip-with-docker). */
const ADDRESS = 'address' as const;
type WithThis = Colocation | typeof ADDRESS;

/** cmp_primary_priority / cmp_dependent_priority: the other side's priority (higher first), then a
 * bundle before a primitive (the address), then the other side's id. */
function cmpColocations(priorityOf: (bundle: string) => number) {
  return {
    thisWith: (x: Colocation, y: Colocation) => priorityOf(y.primary) - priorityOf(x.primary) || byName(x.primary, y.primary),
    withThis: (x: Colocation, y: Colocation) => priorityOf(y.dependent) - priorityOf(x.dependent) || byName(x.dependent, y.dependent),
    /** with the address, whose priority is its bundle's */
    withThisOf: (owner: string) => (x: WithThis, y: WithThis): number => {
      const pri = (c: WithThis) => (c === ADDRESS ? priorityOf(owner) : priorityOf(c.dependent));
      if (pri(x) !== pri(y)) return pri(y) - pri(x);
      if (x === ADDRESS || y === ADDRESS) return x === y ? 0 : x === ADDRESS ? 1 : -1;
      return byName(x.dependent, y.dependent);
    },
  };
}

function placeCluster(input: ClusterPlacementInput, record: boolean): ClusterPlacementResult & { scores?: AllocationScores } {
  const nodes = [...input.nodes].sort((a, b) => byName(a.name, b.name));
  const N = nodes.length;
  const indexOf = new Map(nodes.map((n, i) => [n.name, i]));
  const available = nodes.map((n) => n.state === 'online');
  const attrs = nodes.map(nodeAttributes);
  const now = input.now === undefined ? undefined : typeof input.now === 'number' ? input.now : input.now.getTime();
  const symmetric = input.symmetric ?? true;
  const colocations = input.colocations ?? [];

  // A replica runs where it was observed, unless that node is down (its containers are gone, or
  // will be once it is fenced). The first report of a replica wins.
  const running = new Map<string, Running>();
  for (const c of input.current ?? []) {
    const name = replicaName(c.bundle, c.index);
    const i = indexOf.get(c.node);
    if (running.has(name) || i === undefined || nodes[i].state === 'offline') continue;
    running.set(name, { node: c.node, failed: !!c.failed });
  }

  // Pacemaker's num_resources per node: what it balances (a replica weighs its container, then,
  // once its bundle is placed, its address and the connection of a resource inside).
  const load = new Float64Array(N);
  const unplaced: UnplacedReplica[] = [];
  const bans = new Map<string, Map<string, string>>();
  for (const x of input.bans ?? []) (bans.get(x.replica) ?? bans.set(x.replica, new Map()).get(x.replica)!).set(x.node, x.reason);
  const strategy = input.strategy ?? 'default';
  // Free capacity per node (Pacemaker's node utilization, consumed as replicas are assigned).
  const remaining: Utilization[] = nodes.map((n) => ({ ...(n.utilization ?? {}) }));
  // unpack_resources sorts by priority (stable); other strategies sort again (cmp_resources).
  let order = input.bundles.map((b, i) => ({ b, i })).sort((x, y) => (y.b.priority ?? 0) - (x.b.priority ?? 0) || x.i - y.i).map((x) => x.b);
  const recorded: AllocationScores | undefined = record ? { bundles: new Map(), replicas: new Map() } : undefined;

  const states = new Map<string, BundleState>();
  const ctx: Cluster = { cmp: cmpColocations(() => 0), nodes, N, indexOf, available, attrs, load, states, running, bans, unplaced, keepRunning: input.keepRunning ?? true, strictAntiColocation: input.strictAntiColocation ?? true, recorded, allocate: (st) => allocateBundle(ctx, st), strategy, remaining };
  const runningBundles = new Set([...running.keys()].map((r) => r.slice(0, r.lastIndexOf('-'))));
  for (const b of input.bundles) {
    if (states.has(b.id)) continue;
    states.set(b.id, {
      b,
      scores: bundleScores(b.id, nodes, input.constraints ?? [], symmetric, now),
      state: 'pending',
      hosts: new Int32Array(N),
      where: new Map(),
      running: runningBundles.has(b.id),
      thisWith: [],
      withThis: [],
      best: new Map(),
      assigned: new Set(),
    });
  }
  // pcmk__add_this_with / pcmk__add_with_this, in CIB order: each list kept sorted by the other
  // side's priority, then its id (g_list_insert_sorted: equal ones in reverse order).
  const priorityOf = (id: string) => states.get(id)!.b.priority ?? 0;
  const cmp = cmpColocations(priorityOf);
  ctx.cmp = cmp;
  for (const c of colocations) {
    const d = states.get(c.dependent);
    const p = states.get(c.primary);
    if (!d || !p || c.score === 0) continue;
    d.thisWith = insertSorted(d.thisWith, c, cmp.thisWith);
    p.withThis = insertSorted(p.withThis, c, cmp.withThis);
  }
  if (strategy !== 'default') order = sortByScores(order, ctx);
  if (recorded) for (const st of states.values()) recorded.bundles.set(st.b.id, new Map(nodes.flatMap((n, i) => (st.scores[i] === undefined ? [] : [[n.name, st.scores[i]!] as const]))));

  for (const bundle of order) allocateBundle(ctx, states.get(bundle.id)!);

  const placements = new Map<string, string>();
  for (const b of input.bundles) {
    const st = states.get(b.id)!;
    for (const [index, node] of [...st.where].sort((x, y) => x[0] - y[0])) placements.set(replicaName(b.id, index), node);
  }
  const rank = new Map(input.bundles.map((b, i) => [b.id, i]));
  unplaced.sort((x, y) => (rank.get(x.bundle) ?? 0) - (rank.get(y.bundle) ?? 0) || x.index - y.index);
  return { placements, unplaced, ...(recorded ? { scores: recorded } : {}) };
}

/** What every step shares while the cluster is placed. */
interface Cluster {
  cmp: ReturnType<typeof cmpColocations>;
  nodes: readonly PlacementNode[];
  N: number;
  indexOf: ReadonlyMap<string, number>;
  available: readonly boolean[];
  attrs: readonly Record<string, string>[];
  load: Float64Array;
  states: Map<string, BundleState>;
  running: ReadonlyMap<string, Running>;
  bans: ReadonlyMap<string, ReadonlyMap<string, string>>;
  unplaced: UnplacedReplica[];
  keepRunning: boolean;
  strictAntiColocation: boolean;
  recorded?: AllocationScores;
  allocate: (st: BundleState) => void;
  strategy: PlacementStrategy;
  /** free capacity per node */
  remaining: Utilization[];
}

/** pcmk__bundle_allocate for one bundle (steps 2-6); a colocated bundle's primaries are placed
 * first, when its first replica needs them, as Pacemaker does. */
function allocateBundle(ctx: Cluster, st: BundleState): void {
  if (st.state !== 'pending') return;
  st.state = 'allocating';
  const bundle = st.b;
  if (bundle.replicas > 0) {
    const instances: Instance[] = Array.from({ length: bundle.replicas }, (_, index) => {
      const name = replicaName(bundle.id, index);
      const r = ctx.running.get(name);
      return r ? { index, name, running: r, appended: 0 } : { index, name, appended: 0 };
    });
    const units = bundle.resourcesPerReplica ?? 1;
    if (!bundle.runnable) {
      // Nothing is placed (every node -INFINITY); Pacemaker still places the primaries of its
      // colocations first.
      for (const c of st.thisWith) ctx.allocate(ctx.states.get(c.primary)!);
      if (ctx.recorded) for (const inst of instances) ctx.recorded.replicas.set(inst.name, new Map(ctx.nodes.map((n) => [n.name, -INFINITY] as const)));
    } else if (bundle.managed === false) {
      for (const c of st.thisWith) ctx.allocate(ctx.states.get(c.primary)!);
      for (const inst of instances) {
        const i = inst.running ? ctx.indexOf.get(inst.running.node) : undefined;
        if (inst.running && i !== undefined) { st.where.set(inst.index, inst.running.node); st.hosts[i]++; ctx.load[i] += units; consume(ctx.remaining[i], bundle.utilization); }
        else ctx.unplaced.push({ replica: inst.name, bundle: bundle.id, index: inst.index, code: 'unmanaged', reason: `bundle ${bundle.id} is not managed: a replica that does not run is not started` });
      }
    } else {
      assignInstances(ctx, st, instances);
    }
  }
  st.state = 'done';
}

/** Step 1: the bundle's score on each node (as `nodes`); undefined: not allowed there (asymmetric cluster). */
function bundleScores(bundle: string, nodes: readonly PlacementNode[], constraints: readonly LocationConstraint[], symmetric: boolean, now: number | undefined): (number | undefined)[] {
  const scores: (number | undefined)[] = nodes.map(() => (symmetric ? 0 : undefined));
  const at = new Map(nodes.map((n, i) => [n.name, i]));
  const add = (i: number | undefined, score: number) => {
    if (i === undefined) return;
    scores[i] = addScores(scores[i] ?? 0, score);
  };
  // resource-discovery=exclusive (apply_exclusive_discovery): every node no such constraint names
  // (or whose rules it does not match) is -INFINITY for the bundle.
  let exclusive: Set<number> | undefined;
  for (const c of constraints) {
    if (c.bundle !== bundle) continue;
    if (c.exclusive) exclusive ??= new Set();
    if ('node' in c) {
      const i = at.get(c.node);
      add(i, c.score);
      if (c.exclusive && i !== undefined) exclusive!.add(i);
      continue;
    }
    for (const rule of c.rules) {
      nodes.forEach((n, i) => {
        const attrs = nodeAttributes(n);
        if (!rulePasses(rule, attrs, now)) return;
        const score = typeof rule.score === 'number' ? rule.score : parseScore(attrs[rule.score.attribute]) ?? 0;
        add(i, score);
        if (c.exclusive) exclusive!.add(i);
      });
    }
  }
  if (exclusive) for (let i = 0; i < scores.length; i++) if (scores[i] !== undefined && !exclusive.has(i)) scores[i] = -INFINITY;
  return scores;
}

function nodeAttributes(n: PlacementNode): Record<string, string> {
  return { ...(n.attributes ?? {}), '#uname': n.name, '#id': n.id ?? n.name, '#kind': 'cluster' };
}

/** Pacemaker's pe_test_rule: and/or over the expressions; an empty rule passes. */
export function rulePasses(rule: LocationRule, attrs: Record<string, string>, now: number | undefined): boolean {
  if (!rule.expressions.length) return true;
  const test = (e: RuleExpression): boolean => {
    switch (e.kind) {
      case 'attribute': return attributePasses(e, attrs[e.attribute]);
      case 'date': return datePasses(e, now);
      case 'rule': return rulePasses(e.rule, attrs, now);
      case 'unsupported': return false;
    }
  };
  return rule.booleanOp === 'or' ? rule.expressions.some(test) : rule.expressions.every(test);
}

function attributePasses(e: Extract<RuleExpression, { kind: 'attribute' }>, actual: string | undefined): boolean {
  if (e.operation === 'defined') return actual !== undefined;
  if (e.operation === 'not_defined') return actual === undefined;
  if (actual === undefined || e.value === undefined) return e.operation === 'ne';
  const numeric = (s: string) => (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s.trim()) ? Number(s) : undefined);
  let type = e.type;
  if (!type) type = ['lt', 'gt', 'lte', 'gte'].includes(e.operation) && numeric(actual) !== undefined && numeric(e.value) !== undefined ? 'number' : 'string';
  let cmp: number;
  if (type === 'integer' || type === 'number') {
    const a = type === 'integer' ? parseInt(actual, 10) : numeric(actual);
    const b = type === 'integer' ? parseInt(e.value, 10) : numeric(e.value);
    if (a === undefined || b === undefined || Number.isNaN(a) || Number.isNaN(b)) return e.operation === 'ne';
    cmp = a - b;
  } else if (type === 'version') {
    const pa = actual.split('.').map((x) => parseInt(x, 10) || 0);
    const pb = e.value.split('.').map((x) => parseInt(x, 10) || 0);
    cmp = 0;
    for (let i = 0; i < Math.max(pa.length, pb.length) && !cmp; i++) cmp = (pa[i] ?? 0) - (pb[i] ?? 0);
  } else {
    // Pacemaker compares strings case-insensitively.
    cmp = byName(actual.toLowerCase(), e.value.toLowerCase());
  }
  switch (e.operation) {
    case 'eq': return cmp === 0;
    case 'ne': return cmp !== 0;
    case 'lt': return cmp < 0;
    case 'lte': return cmp <= 0;
    case 'gt': return cmp > 0;
    case 'gte': return cmp >= 0;
  }
}

/** Pacemaker's ISO 8601 forms: `2024-01-01`, `2024-01-01 12:00:00`, `...T12:00:00Z`, with an offset; no zone means UTC here. */
export function parseRuleDate(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?\s*(Z|[+-]\d{2}:?\d{2})?$/.exec(text.trim());
  if (!m) return undefined;
  const zone = m[7] === undefined || m[7] === 'Z' ? 'Z' : m[7].length === 5 ? `${m[7].slice(0, 3)}:${m[7].slice(3)}` : m[7];
  const t = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4] ?? '00'}:${m[5] ?? '00'}:${m[6] ?? '00'}${zone}`);
  return Number.isNaN(t) ? undefined : t;
}

function datePasses(e: Extract<RuleExpression, { kind: 'date' }>, now: number | undefined): boolean {
  if (now === undefined) return false;
  const start = e.start === undefined ? undefined : parseRuleDate(e.start);
  const end = e.end === undefined ? undefined : parseRuleDate(e.end);
  if ((e.start !== undefined && start === undefined) || (e.end !== undefined && end === undefined)) return false;
  switch (e.operation) {
    case 'gt': return start !== undefined && now > start;
    case 'lt': return end !== undefined && now < end;
    case 'in_range': return (start !== undefined || end !== undefined) && (start === undefined || now >= start) && (end === undefined || now <= end);
  }
}

/**
 * The first instant after `now` at which a date expression of the constraints turns (an `lt` at its
 * end, a `gt` just after its start, an `in_range` at its start and just after its end): placement
 * may differ from then on without any event, so the controller passes again then (`recheckAt`).
 */
export function nextRuleDateChange(constraints: readonly LocationConstraint[], now: number): number | undefined {
  let next: number | undefined;
  const consider = (t: number | undefined) => { if (t !== undefined && t > now && (next === undefined || t < next)) next = t; };
  const visit = (rule: LocationRule): void => {
    for (const e of rule.expressions) {
      if (e.kind === 'rule') visit(e.rule);
      if (e.kind !== 'date') continue;
      const start = e.start === undefined ? undefined : parseRuleDate(e.start);
      const end = e.end === undefined ? undefined : parseRuleDate(e.end);
      if (e.operation === 'lt') consider(end);
      else if (e.operation === 'gt') consider(start === undefined ? undefined : start + 1);
      else { consider(start); consider(end === undefined ? undefined : end + 1); }
    }
  };
  for (const c of constraints) if ('rules' in c) c.rules.forEach(visit);
  return next;
}

/** Steps 2-6 for one bundle (distribute_children, allocate_instance, pcmk__primitive_assign). */
function assignInstances(ctx: Cluster, st: BundleState, instances: Instance[]): void {
  const { nodes, N, available, load, strategy } = ctx;
  const bundle = st.b;
  const scores = st.scores;
  const perHost = Math.max(1, bundle.replicasPerHost);
  const stickiness = bundle.stickiness ?? 0;
  const units = bundle.resourcesPerReplica ?? 1;
  const at = (name: string) => ctx.indexOf.get(name) ?? -1;
  const banned = (inst: Instance, i: number) => ctx.bans.get(inst.name)?.has(nodes[i].name) ?? false;
  const runAt = (inst: Instance) => (inst.running ? at(inst.running.node) : -1);
  const usable: number[] = [];
  for (let i = 0; i < N; i++) if (available[i] && scores[i] !== undefined) usable.push(i);
  // Pacemaker counts usable nodes whatever their score when it computes the fair share.
  const optimal = Math.max(1, usable.length ? Math.floor(bundle.replicas / usable.length) : 0);
  const count = new Int32Array(N);

  // The instance's own score on a node: the bundle's, plus stickiness where it runs.
  const own = (inst: Instance, i: number): number | undefined => {
    const s = scores[i];
    if (s === undefined) return undefined;
    if (banned(inst, i)) return -INFINITY;
    return inst.running && runAt(inst) === i && stickiness >= 1 ? addScores(s, stickiness) : s;
  };

  // append_parent_colocation: every replica takes the bundle's colocations as its own — all of
  // them when the bundle has fewer replicas than usable nodes, else only the mandatory ones and
  // the negative ones (positive preferences of dependents do not move a bundle on every node).
  const all = bundle.replicas < usable.length;
  const thisWithOfBundle = st.thisWith.filter((c) => all || c.score < 0 || c.score >= INFINITY);
  // A dependent without influence moves a replica only while nothing of the bundle runs
  // (appended when the replica does not run; applied when the bundle does not).
  const withThisOfBundle = (inst: Instance) => st.withThis.filter((c) => (all || c.score < 0) && (c.influence || (!inst.running && !st.running)));
  // The replica's own lists: the bundle's, appended once per attempt, kept sorted; the address's
  // colocation is on its "with this" list from the start.
  const cmpWithThis = ctx.cmp.withThisOf(bundle.id);
  const thisWithOf = (inst: Instance): Colocation[] => {
    let list: Colocation[] = [];
    for (let k = 0; k < inst.appended; k++) for (const c of thisWithOfBundle) list = insertSorted(list, c, ctx.cmp.thisWith);
    return list;
  };
  const withThisOf = (inst: Instance): WithThis[] => {
    let list: WithThis[] = bundle.addressed ? [ADDRESS] : [];
    const mine = withThisOfBundle(inst);
    for (let k = 0; k < inst.appended; k++) for (const c of mine) list = insertSorted(list, c, cmpWithThis);
    return list;
  };
  const colocated = st.thisWith.length + st.withThis.length > 0;

  // Step 2 (pcmk__cmp_instance): a replica running where its own score is negative (or where
  // it is not allowed) counts as not running and goes last; then running ones, running where
  // they can stay, not failed; then, for running ones, the colocated bundles' scores on their
  // node (cmp_instance_by_colocation); then index (Array.prototype.sort is stable).
  const disallowed = (i: Instance) => (i.running && (own(i, runAt(i)) ?? -1) < 0 ? 1 : 0);
  const inactive = (i: Instance) => (i.running && !disallowed(i) ? 0 : 1);
  const stranded = (i: Instance) => (!inactive(i) && !available[runAt(i)] ? 1 : 0);
  const failed = (i: Instance) => (!inactive(i) && i.running!.failed ? 1 : 0);
  const colocScore = new Map<number, number>();
  const byColocation = (a: Instance, b: Instance): number => {
    if (!colocated || inactive(a) || inactive(b)) return 0;
    const score = (i: Instance) => colocScore.get(i.index) ?? colocScore.set(i.index, currentNodeScore(ctx, st, i, runAt(i))).get(i.index)!;
    return score(b) - score(a);
  };
  const sorted = [...instances].sort((a, b) => disallowed(a) - disallowed(b) || inactive(a) - inactive(b) || stranded(a) - stranded(b) || failed(a) - failed(b) || byColocation(a, b) || a.index - b.index);

  // The scores of the nodes for one replica now (can_run_instance, then pcmk__primitive_assign):
  // its own; -INFINITY where it cannot run (node not usable, the bundle's score negative —
  // stickiness does not lift that —, replicas-per-host reached); then the colocations with the
  // bundles it must run with (placing those first), the preferences of the bundles that run with
  // it, and its address's scores. A pass weighs replicas × nodes: no map per node.
  const buffer = new Float64Array(N);
  const table = (inst: Instance): Float64Array => {
    const t = buffer;
    const bans = ctx.bans.get(inst.name);
    const ri = runAt(inst);
    const sticky = inst.running !== undefined && stickiness >= 1;
    const thisWith = thisWithOfBundle.length ? thisWithOf(inst) : [];
    const theirs = st.withThis.length ? withThisOf(inst) : [];
    // Without colocations the address's scores are added in the same sweep (they cannot leave
    // no node where the container had one: both are the bundle's scores there).
    const quick = bundle.addressed && !thisWith.length && !theirs.length;
    let open = false;
    for (let i = 0; i < N; i++) {
      const s = scores[i];
      if (s === undefined) { t[i] = NaN; continue; }
      let w: number;
      if (!available[i] || s < 0 || count[i] >= perHost || (bans !== undefined && bans.has(nodes[i].name))) w = -INFINITY;
      else w = sticky && i === ri ? addScores(s, stickiness) : s;
      if (w >= 0) open = true;
      if (quick) w = addScores(!available[i] ? -INFINITY : sticky && i === ri ? addScores(s, stickiness) : s, w);
      t[i] = w;
    }
    if (quick && !open) for (let i = 0; i < N; i++) if (!Number.isNaN(t[i])) t[i] = -INFINITY;
    for (const c of thisWith) {
      const primary = ctx.states.get(c.primary)!;
      ctx.allocate(primary);
      if (inst.stoppedBy || primary.state !== 'done') continue;
      if (!applyThisWith(ctx, t, c, primary)) inst.stoppedBy = c;
    }
    // A replica stopped for want of a pair may run nowhere, not even where its bundle is not
    // allowed (pcmk__assign_resource to no node bans it from every node).
    if (inst.stoppedBy) t.fill(-INFINITY);
    if (!quick) {
      for (const c of theirs) {
        if (c === ADDRESS) mergeAddress(ctx, t, scores, sticky ? ri : -1, stickiness);
        else applyWithThis(ctx, t, c);
      }
      if (!theirs.length && bundle.addressed) mergeAddress(ctx, t, scores, sticky ? ri : -1, stickiness);
    }
    if (open && !anyAvailable(t, available)) inst.closedBy = [...thisWith, ...theirs.filter((c): c is Colocation => c !== ADDRESS)];
    else delete inst.closedBy;
    if (ctx.recorded) ctx.recorded.replicas.set(inst.name, new Map(nodes.flatMap((n, i) => (Number.isNaN(t[i]) ? [] : [[n.name, t[i]] as const]))));
    return t;
  };

  // assign_best_node: the best node (score, then fewest resources, then the node it runs on, then
  // name); the preferred node (its own, in step 3) when it scores as well; a positive best score
  // shared by the node it runs on: it stays. -1: nowhere (every node scores below 0).
  const choose = (inst: Instance, t: Float64Array, prefer: number): number => {
    const active = runAt(inst);
    // pcmk__ban_insufficient_capacity, after the table is shown: without a preferred node, the
    // node with the most free capacity is preferred when no node fits the replica and what must
    // run with it.
    const mostFree = ctx.strategy === 'default' ? -1 : limitUtilization(ctx, st, inst, t, thisWithOf(inst), st.withThis.length ? withThisOf(inst) : []);
    if (prefer < 0) prefer = mostFree;
    // compare_nodes: score; then (balanced) free capacity, (not minimal) fewer resources and the
    // node it runs on; then name.
    let best = -1;
    for (let i = 0; i < N; i++) {
      if (!available[i] || Number.isNaN(t[i])) continue;
      if (best < 0) { best = i; continue; }
      const d = t[i] - t[best];
      if (d > 0) { best = i; continue; }
      if (d < 0 || strategy === 'minimal') continue;
      const dc = strategy === 'balanced' ? compareCapacities(ctx.remaining[i], ctx.remaining[best]) : 0;
      if (dc !== 0) { if (dc < 0) best = i; continue; }
      const dl = load[i] - load[best];
      if (dl < 0 || (dl === 0 && i === active && best !== active)) best = i;
    }
    if (best < 0) return -1;
    let chosen = -1;
    if (prefer >= 0 && !Number.isNaN(t[prefer]) && t[prefer] >= t[best] && available[prefer] && t[prefer] >= 0) chosen = prefer;
    if (chosen < 0) {
      chosen = best;
      if (t[best] > 0 && active >= 0 && available[active] && t[active] === t[best]) chosen = active;
    }
    return t[chosen] < 0 ? -1 : chosen;
  };

  // Pacemaker's assignment; `st.where` gets the final one (step 5).
  const chosenFor = new Map<number, number>();
  const done = new Set<number>();
  const assign = (inst: Instance, i: number) => {
    chosenFor.set(inst.index, i);
    st.assigned.add(inst.index);
    count[i]++;
    load[i]++;
    st.hosts[i]++;
    consume(ctx.remaining[i], bundle.utilization);
  };

  // Step 3: keep running replicas in place, up to the fair share per node.
  for (const inst of sorted) {
    if (chosenFor.size >= bundle.replicas) break;
    const r = inst.running;
    const ri = runAt(inst);
    if (!r || r.failed || ri < 0 || !available[ri] || (scores[ri] !== undefined && count[ri] >= optimal)) continue;
    inst.appended++;
    const o = own(inst, ri);
    if (o === undefined || o < 0) continue;
    const t = table(inst);
    const c = inst.stoppedBy ? -1 : choose(inst, t, ri);
    // A replica that fits nowhere is not tried again (pcmk__finalize_assignment); one that fits
    // better elsewhere is, with the others.
    if (c < 0) done.add(inst.index);
    else if (c === ri) assign(inst, ri);
  }

  // Step 4: everything else to the best node.
  for (const inst of sorted) {
    if (chosenFor.has(inst.index) || done.has(inst.index)) continue;
    inst.appended++;
    const t = table(inst);
    const c = inst.stoppedBy ? -1 : choose(inst, t, -1);
    if (c >= 0) assign(inst, c);
  }
  // The addresses (and connections of a resource inside) are placed after every container,
  // replica by replica. The connection of a replica whose container has no node is still placed
  // (Pacemaker gives it the best node by the bundle's scores: a resource more there).
  const inner = units - 1 - (bundle.addressed ? 1 : 0) > 0;
  if (units > 1) {
    for (const inst of instances) {
      const i = chosenFor.get(inst.index);
      if (i !== undefined) { load[i] += units - 1; continue; }
      if (!inner) continue;
      let best = -1;
      for (let j = 0; j < N; j++) {
        const s = scores[j];
        if (!available[j] || s === undefined || s < 0) continue;
        if (best < 0) { best = j; continue; }
        const d = s - scores[best]!;
        if (d > 0) { best = j; continue; }
        if (d < 0 || strategy === 'minimal') continue;
        const dc = strategy === 'balanced' ? compareCapacities(ctx.remaining[j], ctx.remaining[best]) : 0;
        if (dc !== 0) { if (dc < 0) best = j; continue; }
        if (load[j] < load[best]) best = j;
      }
      if (best >= 0) load[best]++;
    }
  }

  // Step 5 (berth, not Pacemaker): Pacemaker's choice fixes how many replicas of the bundle each
  // node gets; which replica takes which of those slots is chosen so that every running replica
  // whose node keeps a slot stays. Without stickiness Pacemaker can swap two running replicas
  // between nodes for nothing (fixture swap-without-stickiness); berth moves none.
  const slots = new Int32Array(N);
  for (const i of chosenFor.values()) slots[i]++;
  const where = st.where;
  const take = (inst: Instance, i: number) => { where.set(inst.index, nodes[i].name); slots[i]--; };
  if (ctx.keepRunning) for (const inst of sorted) { const ri = runAt(inst); if (inst.running && !inst.running.failed && ri >= 0 && !banned(inst, ri) && slots[ri] > 0) take(inst, ri); }
  const rest: Instance[] = [];
  for (const inst of sorted) {
    if (!chosenFor.has(inst.index) || where.has(inst.index)) continue;
    if (slots[chosenFor.get(inst.index)!] > 0) take(inst, chosenFor.get(inst.index)!); else rest.push(inst);
  }
  for (const inst of rest) {
    let free = -1;
    for (let i = 0; i < N && free < 0; i++) if (slots[i] > 0 && !banned(inst, i)) free = i;
    if (free >= 0) take(inst, free);
  }

  // Step 6: the replicas without a place, and why.
  for (const inst of sorted) if (!where.has(inst.index)) ctx.unplaced.push(unplacedReplica(ctx, st, inst));
}

const anyAvailable = (t: Float64Array, available: readonly boolean[]): boolean => {
  for (let i = 0; i < t.length; i++) if (available[i] && t[i] >= 0) return true;
  return false;
};

/** A node attribute's value as Pacemaker compares it (case-insensitively; an absent one equals an absent one). */
const attrKey = (v: string | undefined) => (v === undefined ? '\u0000' : v.toLowerCase());

/**
 * pcmk__bundle_apply_coloc_score for one replica of the dependent (replicas with replicas): pair
 * with the primary's replica on the replica's best node that has one (node score, then — as the
 * placement strategy orders nodes — free capacity and fewest resources, then name), then pcmk__apply_coloc_to_weights — INFINITY: only nodes with that
 * replica's attribute value (its node by default) stay; finite: those nodes gain the score, undone
 * when it leaves no node. false: a mandatory colocation found no replica to pair with.
 */
function applyThisWith(ctx: Cluster, t: Float64Array, c: Colocation, primary: BundleState): boolean {
  const { N, available, load, attrs } = ctx;
  if (c.score <= -INFINITY && ctx.strictAntiColocation) {
    // berth's policy: never together with any replica of the primary (on its node, or on a node
    // with the same value of the colocation's node attribute).
    const attr = c.nodeAttribute;
    const taken = new Set<string>();
    for (let i = 0; i < N; i++) if (primary.hosts[i] > 0) taken.add(attr === undefined ? String(i) : attrKey(attrs[i][attr]));
    for (let i = 0; i < N; i++) if (!Number.isNaN(t[i]) && taken.has(attr === undefined ? String(i) : attrKey(attrs[i][attr]))) t[i] = -INFINITY;
    return true;
  }
  const weight = (i: number) => (available[i] ? t[i] : -INFINITY);
  let p = -1;
  for (let i = 0; i < N; i++) {
    if (Number.isNaN(t[i]) || primary.hosts[i] === 0) continue;
    if (p < 0 || weight(i) > weight(p)) { p = i; continue; }
    // equal weights: pcmk__sort_nodes' order for the placement strategy
    if (weight(i) < weight(p) || ctx.strategy === 'minimal') continue;
    const dc = ctx.strategy === 'balanced' ? compareCapacities(ctx.remaining[i], ctx.remaining[p]) : 0;
    if (dc < 0 || (dc === 0 && load[i] < load[p])) p = i;
  }
  if (p < 0) return c.score < INFINITY;
  const attr = c.nodeAttribute;
  const value = attr === undefined ? '' : attrKey(attrs[p][attr]);
  // A mandatory colocation is never undone: changed in place, no copy.
  const mandatory = c.score <= -INFINITY || c.score >= INFINITY;
  const work = mandatory ? t : t.slice();
  for (let i = 0; i < N; i++) {
    if (Number.isNaN(work[i])) continue;
    const match = attr === undefined ? i === p : attrKey(attrs[i][attr]) === value;
    if (match) { if (c.score < INFINITY) work[i] = addScores(c.score, work[i]); }
    else if (c.score >= INFINITY) work[i] = addScores(-c.score, work[i]);
  }
  if (!mandatory && anyAvailable(work, available)) t.set(work);
  return true;
}

/** apply_with_this: a bundle colocated with this one adds its own node scores, scaled by score/INFINITY. */
function applyWithThis(ctx: Cluster, t: Float64Array, c: Colocation): void {
  const r = addColocated(ctx, ctx.states.get(c.dependent)!, t, c.nodeAttribute, Math.fround(c.score / INFINITY), true, false, new Set());
  if (r !== t) t.set(r);
}

/** The address's scores (ip-with-docker, INFINITY): the bundle's location scores and, where the
 * replica runs, stickiness, on every usable node; -INFINITY elsewhere. Undone when it leaves no node. */
function mergeAddress(ctx: Cluster, t: Float64Array, scores: readonly (number | undefined)[], runningAt: number, stickiness: number): void {
  const ip = (i: number) => {
    const s = scores[i];
    return s === undefined || !ctx.available[i] ? -INFINITY : i === runningAt ? addScores(s, stickiness) : s;
  };
  // first whether any node is left, then in place: no copy per replica
  let left = false;
  for (let i = 0; i < t.length && !left; i++) if (ctx.available[i] && !Number.isNaN(t[i]) && addScores(ip(i), t[i]) >= 0) left = true;
  if (!left) return;
  for (let i = 0; i < t.length; i++) if (!Number.isNaN(t[i])) t[i] = addScores(ip(i), t[i]);
}

/** factor × score as Pacemaker computes it: in single precision, rounded half away from zero,
 * never 0 for a non-zero score. */
function scaled(factor: number, score: number): number {
  const wf = Math.fround(Math.fround(factor) * Math.fround(score));
  let w = Math.trunc(wf < 0 ? wf - 0.5 : wf + 0.5);
  if (w === 0 && score !== 0) w = factor > 0 ? 1 : factor < 0 ? -1 : 0;
  return w;
}

/** best_node_score_matching_attr, per attribute value: the bundle's best score among usable nodes. */
function bestByValue(ctx: Cluster, st: BundleState, attr: string | undefined): Map<string, number> {
  const key = attr ?? '';
  let m = st.best.get(key);
  if (m) return m;
  m = new Map();
  for (let i = 0; i < ctx.N; i++) {
    const s = st.scores[i];
    if (s === undefined || !ctx.available[i]) continue;
    const v = attr === undefined ? String(i) : attrKey(ctx.attrs[i][attr]);
    if (s > (m.get(v) ?? -INFINITY)) m.set(v, s);
  }
  st.best.set(key, m);
  return m;
}

/**
 * pcmk__add_colocated_node_scores: add `r`'s node scores (the best of each attribute value) × factor
 * to a copy of `t`, then those of the bundles colocated with `r`, recursively; `active`: undone
 * when no node is left; `nonnegative`: never turn a node negative. Returns `t` itself when
 * nothing changes.
 */
function addColocated(ctx: Cluster, r: BundleState, t: Float64Array, attr: string | undefined, factor: number, active: boolean, nonnegative: boolean, merging: Set<string>, follow: 'withThis' | 'thisWith' = 'withThis'): Float64Array {
  if (merging.has(r.b.id)) return t;
  merging.add(r.b.id);
  const work = t.slice();
  const best = bestByValue(ctx, r, attr);
  for (let i = 0; i < work.length; i++) {
    if (Number.isNaN(work[i])) continue;
    const score = best.get(attr === undefined ? String(i) : attrKey(ctx.attrs[i][attr])) ?? -INFINITY;
    if (factor < 0 && score < 0) continue;
    if (work[i] === INFINITY_HACK) continue;
    const w = addScores(scaled(factor, score), work[i]);
    if (nonnegative && w < 0 && work[i] > 0) { work[i] = INFINITY_HACK; continue; }
    if (nonnegative && w < 0 && work[i] === 0) continue;
    work[i] = w;
  }
  let out = work;
  if (anyAvailable(work, ctx.available)) {
    const multiplier = factor < 0 ? -1 : 1;
    for (const c of follow === 'withThis' ? r.withThis : r.thisWith) {
      if (follow === 'withThis' && !c.influence && r.running) continue;
      const other = follow === 'withThis' ? c.dependent : c.primary;
      out = addColocated(ctx, ctx.states.get(other)!, out, c.nodeAttribute, Math.fround(Math.fround(multiplier * c.score) / INFINITY), true, nonnegative, merging, follow);
    }
  } else if (active) {
    merging.delete(r.b.id);
    return t;
  }
  if (nonnegative) for (let i = 0; i < out.length; i++) if (out[i] === INFINITY_HACK) out[i] = 1;
  merging.delete(r.b.id);
  return out;
}

/** cmp_instance_by_colocation: a running replica's node scored by the colocated bundles' scores there. */
function currentNodeScore(ctx: Cluster, st: BundleState, inst: Instance, at: number): number {
  let t = new Float64Array(ctx.N).fill(NaN);
  t[at] = 0;
  for (const c of st.thisWith) t = addColocated(ctx, ctx.states.get(c.primary)!, t, c.nodeAttribute, Math.fround(c.score / INFINITY), false, false, new Set());
  for (const c of st.withThis) {
    if (!c.influence && inst.running) continue;
    t = addColocated(ctx, ctx.states.get(c.dependent)!, t, c.nodeAttribute, Math.fround(c.score / INFINITY), false, true, new Set());
  }
  return t[at];
}

/** pcmk__consume_node_capacity: a node's free capacity less what a replica uses (a value the node
 * does not have stays 0). */
function consume(remaining: Utilization, used: Utilization | undefined): void {
  if (!used) return;
  for (const k in used) remaining[k] = k in remaining ? remaining[k] - used[k] : 0;
}

/** have_enough_capacity: every value used fits in what is free (a value the node lacks is 0). */
function enough(remaining: Utilization, required: Utilization): boolean {
  for (const k in required) if (required[k] > (remaining[k] ?? 0)) return false;
  return true;
}

/** pcmk__compare_node_capacities: < 0 when `a` has more free capacity (counted value by value). */
export function compareCapacities(a: Utilization, b: Utilization): number {
  let result = 0;
  for (const k in a) { const x = a[k]; const y = b[k] ?? 0; if (x > y) result--; else if (x < y) result++; }
  for (const k in b) { if (k in a) continue; const y = b[k]; if (0 > y) result--; else if (0 < y) result++; }
  return result;
}

/**
 * pcmk__ban_insufficient_capacity for one replica, on its table `t` (changed in place): what it
 * uses, plus what the bundles tied to it by INFINITY colocations still need (each bundle not yet
 * placed counts its first replica when that is not placed: pcmk__bundle_add_utilization), must
 * fit; when no node that may take it fits all that, only what it uses must fit, and the node with
 * the most free capacity is returned as the preferred one (else -1). Nodes that do not fit are
 * -INFINITY for this attempt.
 */
function limitUtilization(ctx: Cluster, st: BundleState, inst: Instance, t: Float64Array, thisWith: readonly Colocation[], withThis: readonly WithThis[]): number {
  const own = st.b.utilization ?? {};
  const sum: Utilization = { ...own };
  const add = (u: Utilization | undefined) => { for (const k in u ?? {}) sum[k] = (sum[k] ?? 0) + u![k]; };
  // pcmk__colocated_resources: the resources reached through INFINITY colocations, either way.
  const reached = new Set<string>();
  const visit = (id: string) => {
    if (reached.has(id)) return;
    reached.add(id);
    const b = ctx.states.get(id)!;
    for (const c of b.thisWith) if (c.score >= INFINITY) visit(c.primary);
    for (const c of b.withThis) if (c.score >= INFINITY) visit(c.dependent);
  };
  for (const c of thisWith) if (c.score >= INFINITY) visit(c.primary);
  for (const c of withThis) if (c !== ADDRESS && c.score >= INFINITY) visit(c.dependent);
  for (const id of reached) {
    const b = ctx.states.get(id)!;
    if (b.state !== 'done' && b.b.replicas > 0 && !b.assigned.has(0)) add(b.b.utilization);
  }
  const candidates: number[] = [];
  for (let i = 0; i < ctx.N; i++) if (ctx.available[i] && !Number.isNaN(t[i]) && t[i] >= 0) candidates.push(i);
  let mostFree = -1;
  let any = false;
  for (const i of candidates) {
    if (enough(ctx.remaining[i], sum)) any = true;
    if (mostFree < 0 || compareCapacities(ctx.remaining[i], ctx.remaining[mostFree]) < 0) mostFree = i;
  }
  const need = any ? sum : own;
  inst.overCapacity = new Set();
  for (const i of candidates) {
    if (enough(ctx.remaining[i], need)) continue;
    t[i] = -INFINITY;
    inst.overCapacity.add(i);
  }
  return any ? -1 : mostFree;
}

/** A bundle's scores with those of the bundles it runs with (pcmk__add_colocated_node_scores over
 * "this with" colocations), as cmp_resources weighs them. */
function thisWithScores(ctx: Cluster, st: BundleState): Float64Array {
  let t = Float64Array.from(st.scores, (s) => (s === undefined ? NaN : s));
  for (const c of st.thisWith) t = addColocated(ctx, ctx.states.get(c.primary)!, t, c.nodeAttribute, Math.fround(c.score / INFINITY), true, false, new Set([st.b.id]), 'thisWith');
  return t;
}

/**
 * pcmk__sort_resources (placement-strategy other than default): priority first; then the score on
 * the node a bundle runs on (the first node, by name, with one of its replicas); then its scores on
 * the nodes in order (usable nodes first; balanced: most capacity first; then by name). A stable
 * sort, so the CIB order breaks what is left.
 */
function sortByScores(order: readonly BundlePlacement[], ctx: Cluster): BundlePlacement[] {
  const { N, available } = ctx;
  const nodeOrder = Array.from({ length: N }, (_, i) => i).sort((a, b) => {
    if (available[a] !== available[b]) return available[a] ? -1 : 1;
    const dc = ctx.strategy === 'balanced' ? compareCapacities(ctx.remaining[a], ctx.remaining[b]) : 0;
    return dc || a - b;
  });
  // The first node (by index) running one of each bundle's replicas, in one walk of them all.
  const firstNode = new Map<string, number>();
  for (const [name, r] of ctx.running) {
    const id = name.slice(0, name.lastIndexOf('-'));
    const i = ctx.indexOf.get(r.node)!;
    const had = firstNode.get(id);
    if (had === undefined || i < had) firstNode.set(id, i);
  }
  const weights = new Map<string, { current: number; scores: number[] }>();
  for (const b of order) {
    const st = ctx.states.get(b.id)!;
    const t = thisWithScores(ctx, st);
    const w = (i: number) => (i < 0 || Number.isNaN(t[i]) ? -INFINITY : t[i]);
    weights.set(b.id, { current: w(firstNode.get(b.id) ?? -1), scores: nodeOrder.map(w) });
  }
  return [...order].sort((x, y) => {
    const d = (y.priority ?? 0) - (x.priority ?? 0);
    if (d) return d;
    const a = weights.get(x.id)!;
    const b = weights.get(y.id)!;
    if (a.current !== b.current) return b.current - a.current;
    for (let k = 0; k < N; k++) if (a.scores[k] !== b.scores[k]) return b.scores[k] - a.scores[k];
    return 0;
  });
}

const scoreWord = (n: number) => (n >= INFINITY ? 'INFINITY' : n <= -INFINITY ? '-INFINITY' : String(n));

/** Step 6: why no node could take the replica. */
function unplacedReplica(ctx: Cluster, st: BundleState, inst: Instance): UnplacedReplica {
  const bundle = st.b;
  const { nodes } = ctx;
  const base = { replica: inst.name, bundle: bundle.id, index: inst.index };
  if (inst.stoppedBy) {
    const c = inst.stoppedBy;
    return { ...base, code: 'colocation', reason: `colocation '${c.constraint}' (${scoreWord(c.score)}) must run bundle ${bundle.id} with bundle ${c.primary}, and no replica of ${c.primary} is left to pair with replica ${inst.index}` };
  }
  if (inst.closedBy?.length) {
    const ids = [...new Set(inst.closedBy.map((c) => `'${c.constraint}' (${c.dependent} with ${c.primary}, ${scoreWord(c.score)})`))].join(', ');
    return { ...base, code: 'colocation', reason: `colocation ${ids} leave${inst.closedBy.length === 1 ? 's' : ''} no node for replica ${inst.index} of bundle ${bundle.id}` };
  }
  const online = nodes.flatMap((n, i) => (n.state === 'online' ? [i] : []));
  if (!online.length) {
    const states = nodes.map((n) => `${n.name} ${n.state}`).join(', ');
    return { ...base, code: 'no-node', reason: nodes.length ? `no node can run replicas (${states})` : 'no node can run replicas (no nodes)' };
  }
  const open = online.filter((i) => (st.scores[i] ?? -1) >= 0);
  const bans = ctx.bans.get(inst.name);
  const own = bans ? open.filter((i) => bans.has(nodes[i].name)) : [];
  if (own.length && own.length === open.length) {
    return { ...base, code: 'banned', reason: own.map((i) => bans!.get(nodes[i].name)!).join('; ') };
  }
  if (!open.length) {
    const why = online.map((i) => `${nodes[i].name} ${st.scores[i] === undefined ? 'not allowed' : st.scores[i]! <= -INFINITY ? '-INFINITY' : st.scores[i]}`).join(', ');
    return { ...base, code: 'banned', reason: `location constraints ban bundle ${bundle.id} from every node that can run replicas (${why})` };
  }
  if (inst.overCapacity?.size) {
    const used = Object.entries(bundle.utilization ?? {}).map(([k, v]) => `${k}=${v}`).join(' ');
    const full = [...inst.overCapacity].map((i) => nodes[i].name).join(', ');
    return { ...base, code: 'utilization', reason: `placement-strategy=${ctx.strategy}: no node that may run replica ${inst.index} of bundle ${bundle.id} has the free capacity it uses (${used}); full: ${full}` };
  }
  const perHost = Math.max(1, bundle.replicasPerHost);
  const names = open.map((i) => nodes[i].name);
  return {
    ...base,
    code: 'capacity',
    reason: `replicas-per-host=${perHost} on ${open.length} node${open.length === 1 ? '' : 's'} that can run bundle ${bundle.id} (${names.join(', ')}) leaves room for ${perHost * open.length} of ${bundle.replicas} replicas`,
  };
}

/** What a pass knows besides the model when it places: the nodes' states, what runs, failure bans, the clock. */
export type PlacementState = Pick<ClusterPlacementInput, 'nodes' | 'current' | 'bans' | 'now'>;

/** The placement step of a pass: the model's bundles and constraints over the nodes. The
 * controller's pass and `berth cluster simulate` both place through here. */
export function placeModel(model: Parameters<typeof placementConfig>[0], state: PlacementState): ClusterPlacementResult {
  return placeReplicas({ ...placementConfig(model), ...state });
}

/** The same, with the allocation scores (`cluster simulate --show-scores`). */
export function placeModelWithScores(model: Parameters<typeof placementConfig>[0], state: PlacementState): ClusterPlacementResult & { scores: AllocationScores } {
  return placeReplicasWithScores({ ...placementConfig(model), ...state });
}

/** What placement takes from the model: every bundle's demand (utilization included), the location and colocation constraints, symmetric-cluster, placement-strategy. */
export function placementConfig(model: { bundles: readonly { placement?: BundlePlacement }[]; constraints: readonly LocationConstraint[]; colocations?: readonly Colocation[]; properties: { symmetric: boolean; placementStrategy?: PlacementStrategy } }): Pick<ClusterPlacementInput, 'bundles' | 'constraints' | 'colocations' | 'symmetric' | 'strategy'> {
  return {
    bundles: model.bundles.flatMap((b) => (b.placement ? [b.placement] : [])),
    constraints: model.constraints,
    colocations: model.colocations ?? [],
    symmetric: model.properties.symmetric,
    strategy: model.properties.placementStrategy ?? 'default',
  };
}
