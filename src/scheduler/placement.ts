// Placement: which node runs which replica, for one node or a hundred alike. Pure: the bundles'
// demands and the location constraints (from the model), the nodes and their states, what runs
// where and the clock are all arguments. `placeReplicas` places as Pacemaker 2.1.5 does (see
// below) and is checked against crm_simulate.
//
// Terms: a placement is replica → node; an unplaced replica is reported with why, never forced
// onto a node; a replica's name is `B-i`.
import { type BundlePlacement, replicaName } from '../model/bundle';
import type { LocationConstraint, LocationRule, RuleExpression } from '../model/constraints';
import { INFINITY, addScores, parseScore } from '../model/score';
import type { PlacementNode } from './nodes';

export type { BundlePlacement } from '../model/bundle';
export type { AttributeOperation, LocationConstraint, LocationRule, RuleExpression } from '../model/constraints';
export { INFINITY, addScores, parseScore } from '../model/score';

// Pacemaker 2.1.5's assignment of bundle containers (pcmk__bundle_allocate ->
// pcmk__assign_instances -> pcmk__primitive_assign), on berth's data, as named steps:
//   1. scores    each bundle's score on each node: symmetric-cluster base 0, plus every
//                rsc_location that applies (±INFINITY saturates as Pacemaker's pcmk__add_scores)
//   2. order     bundles by priority, then as given; a bundle's replicas: running ones first
//                (those whose node can still take them before the others), then by index; one
//                running where its own score is negative counts as not running and goes last
//   3. keep      each running replica stays on its node while that node is the best it can get
//                (stickiness counts) and holds fewer than `optimal` (replicas / usable nodes) of
//                the bundle: as few moves as possible without piling up on one node
//   4. place     every other replica goes to the best node: highest score (stickiness counts on
//                the node it runs on), then fewest replicas placed there (all bundles), then the
//                node it runs on, then node name; never beyond replicas-per-host, never where the
//                bundle's score is negative (stickiness does not lift that)
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
  /** replicas kept off a node (failures reached migration-threshold there), with why */
  bans?: readonly ReplicaBan[];
}

/** Pacemaker's -INFINITY for one replica on one node (its fail-count there reached migration-threshold). */
export interface ReplicaBan {
  replica: string;
  node: string;
  reason: string;
}

export type UnplacedCode = 'no-node' | 'banned' | 'capacity' | 'unmanaged';

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
  return placeCluster(input);
}

interface Running {
  node: string;
  failed: boolean;
}

interface Instance {
  index: number;
  name: string;
  running?: Running;
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function placeCluster(input: ClusterPlacementInput): ClusterPlacementResult {
  const nodes = [...input.nodes].sort((a, b) => byName(a.name, b.name));
  const known = new Map(nodes.map((n) => [n.name, n]));
  const usable = nodes.filter((n) => n.state === 'online').map((n) => n.name);
  const now = input.now === undefined ? undefined : typeof input.now === 'number' ? input.now : input.now.getTime();
  const symmetric = input.symmetric ?? true;

  // A replica runs where it was observed, unless that node is down (its containers are gone, or
  // will be once it is fenced). The first report of a replica wins.
  const running = new Map<string, Running>();
  for (const c of input.current ?? []) {
    const name = replicaName(c.bundle, c.index);
    if (running.has(name) || known.get(c.node)?.state === undefined || known.get(c.node)!.state === 'offline') continue;
    running.set(name, { node: c.node, failed: !!c.failed });
  }

  const load = new Map<string, number>(nodes.map((n) => [n.name, 0]));
  const placed = new Map<string, Map<number, string>>();
  const unplaced: UnplacedReplica[] = [];
  const bans = new Map<string, Map<string, string>>();
  for (const x of input.bans ?? []) (bans.get(x.replica) ?? bans.set(x.replica, new Map()).get(x.replica)!).set(x.node, x.reason);
  const order = input.bundles.map((b, i) => ({ b, i })).sort((x, y) => (y.b.priority ?? 0) - (x.b.priority ?? 0) || x.i - y.i).map((x) => x.b);

  for (const bundle of order) {
    if (!bundle.runnable || bundle.replicas <= 0) continue;
    const where = new Map<number, string>();
    placed.set(bundle.id, where);
    const instances: Instance[] = Array.from({ length: bundle.replicas }, (_, index) => {
      const name = replicaName(bundle.id, index);
      const r = running.get(name);
      return r ? { index, name, running: r } : { index, name };
    });
    if (bundle.managed === false) {
      for (const inst of instances) {
        if (inst.running) { where.set(inst.index, inst.running.node); bump(load, inst.running.node); }
        else unplaced.push({ replica: inst.name, bundle: bundle.id, index: inst.index, code: 'unmanaged', reason: `bundle ${bundle.id} is not managed: a replica that does not run is not started` });
      }
      continue;
    }
    const scores = bundleScores(bundle.id, nodes, input.constraints ?? [], symmetric, now);
    assignInstances(bundle, instances, scores, usable, load, where, unplaced, nodes, input.keepRunning ?? true, bans);
  }

  const placements = new Map<string, string>();
  for (const b of input.bundles) {
    const where = placed.get(b.id);
    if (where) for (const [index, node] of [...where].sort((x, y) => x[0] - y[0])) placements.set(replicaName(b.id, index), node);
  }
  const rank = new Map(input.bundles.map((b, i) => [b.id, i]));
  unplaced.sort((x, y) => (rank.get(x.bundle) ?? 0) - (rank.get(y.bundle) ?? 0) || x.index - y.index);
  return { placements, unplaced };
}

const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

/** Step 1: the bundle's score on each node; undefined: not allowed there (asymmetric cluster). */
function bundleScores(bundle: string, nodes: readonly PlacementNode[], constraints: readonly LocationConstraint[], symmetric: boolean, now: number | undefined): Map<string, number | undefined> {
  const scores = new Map<string, number | undefined>(nodes.map((n) => [n.name, symmetric ? 0 : undefined]));
  const add = (node: string, score: number) => {
    if (!scores.has(node)) return;
    scores.set(node, addScores(scores.get(node) ?? 0, score));
  };
  for (const c of constraints) {
    if (c.bundle !== bundle) continue;
    if ('node' in c) { add(c.node, c.score); continue; }
    for (const rule of c.rules) {
      for (const n of nodes) {
        const attrs = nodeAttributes(n);
        if (!rulePasses(rule, attrs, now)) continue;
        const score = typeof rule.score === 'number' ? rule.score : parseScore(attrs[rule.score.attribute]) ?? 0;
        add(n.name, score);
      }
    }
  }
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

/** Steps 2-6 for one bundle. */
function assignInstances(
  bundle: BundlePlacement,
  instances: Instance[],
  scores: Map<string, number | undefined>,
  usable: readonly string[],
  load: Map<string, number>,
  where: Map<number, string>,
  unplaced: UnplacedReplica[],
  nodes: readonly PlacementNode[],
  keepRunning: boolean,
  bans: ReadonlyMap<string, ReadonlyMap<string, string>>,
): void {
  const banned = (inst: Instance, n: string) => bans.get(inst.name)?.has(n) ?? false;
  const perHost = Math.max(1, bundle.replicasPerHost);
  const stickiness = bundle.stickiness ?? 0;
  const score = (n: string) => scores.get(n);
  const allowedUsable = usable.filter((n) => score(n) !== undefined);
  const allowedSet = new Set(allowedUsable);
  const usableSet = new Set(usable);
  // Pacemaker counts usable nodes whatever their score when it computes the fair share.
  const optimal = Math.max(1, allowedUsable.length ? Math.floor(bundle.replicas / allowedUsable.length) : 0);
  const count = new Map<string, number>();

  // The instance's own score on a node: the bundle's, plus stickiness where it runs.
  const own = (inst: Instance, n: string): number | undefined => {
    if (banned(inst, n) && score(n) !== undefined) return -INFINITY;
    const s = score(n);
    return s !== undefined && inst.running?.node === n && stickiness >= 1 ? addScores(s, stickiness) : s;
  };

  // Step 2 (pcmk__cmp_instance): a replica running where its own score is negative (or where
  // it is not allowed) counts as not running and goes last; then running ones, running where
  // they can stay, not failed; then index (Array.prototype.sort is stable).
  const disallowed = (i: Instance) => (i.running && (own(i, i.running.node) ?? -1) < 0 ? 1 : 0);
  const inactive = (i: Instance) => (i.running && !disallowed(i) ? 0 : 1);
  const stranded = (i: Instance) => (!inactive(i) && !usableSet.has(i.running!.node) ? 1 : 0);
  const failed = (i: Instance) => (!inactive(i) && i.running!.failed ? 1 : 0);
  const sorted = [...instances].sort((a, b) => disallowed(a) - disallowed(b) || inactive(a) - inactive(b) || stranded(a) - stranded(b) || failed(a) - failed(b) || a.index - b.index);

  // The nodes an instance may take now (can_run_instance): usable, the bundle's score there not
  // negative (stickiness does not lift a ban), fewer than replicas-per-host of the bundle.
  // Computed per node as needed, no map per instance: a pass weighs replicas × nodes.
  const weight = (inst: Instance, n: string): number => (score(n)! < 0 || (count.get(n) ?? 0) >= perHost ? -INFINITY : own(inst, n)!);
  // pcmk__sort_nodes: score, then fewest placed, then the node it runs on, then name.
  const best = (inst: Instance): { node: string; weight: number } | undefined => {
    let top: string | undefined;
    let topW = 0;
    let topL = 0;
    for (const n of allowedUsable) {
      const w = weight(inst, n);
      const l = load.get(n) ?? 0;
      if (top === undefined) { top = n; topW = w; topL = l; continue; }
      const d = w - topW;
      const dl = l - topL;
      if (d > 0 || (d === 0 && (dl < 0 || (dl === 0 && inst.running?.node === n && inst.running.node !== top)))) { top = n; topW = w; topL = l; }
    }
    return top === undefined ? undefined : { node: top, weight: topW };
  };
  // Pacemaker's assignment; `where` gets the final one (step 5).
  const chosenFor = new Map<number, string>();
  const assign = (inst: Instance, node: string) => {
    chosenFor.set(inst.index, node);
    bump(count, node);
    bump(load, node);
  };

  // Step 3: keep running replicas in place, up to the fair share per node.
  for (const inst of sorted) {
    if (chosenFor.size >= bundle.replicas) break;
    const r = inst.running;
    if (!r || r.failed || !usableSet.has(r.node) || (score(r.node) ?? -1) < 0 || banned(inst, r.node) || (count.get(r.node) ?? 0) >= optimal) continue;
    const top = best(inst);
    const here = allowedSet.has(r.node) ? weight(inst, r.node) : -INFINITY;
    if (top !== undefined && here >= 0 && here >= top.weight) assign(inst, r.node);
  }

  // Step 4: everything else to the best node.
  for (const inst of sorted) {
    if (chosenFor.has(inst.index)) continue;
    const top = best(inst);
    if (top === undefined || top.weight < 0) continue;
    let chosen = top.node;
    // A positive best score shared by the node the replica runs on: it stays (pcmk__primitive_assign).
    const r = inst.running;
    if (r && top.weight > 0 && allowedSet.has(r.node) && weight(inst, r.node) === top.weight) chosen = r.node;
    assign(inst, chosen);
  }

  // Step 5 (berth, not Pacemaker): Pacemaker's choice fixes how many replicas of the bundle each
  // node gets; which replica takes which of those slots is chosen so that every running replica
  // whose node keeps a slot stays. Without stickiness Pacemaker can swap two running replicas
  // between nodes for nothing (fixture swap-without-stickiness); berth moves none.
  const slots = new Map<string, number>();
  for (const node of [...chosenFor.values()].sort(byName)) bump(slots, node);
  const take = (inst: Instance, node: string) => { where.set(inst.index, node); slots.set(node, slots.get(node)! - 1); };
  if (keepRunning) for (const inst of sorted) if (inst.running && !inst.running.failed && !banned(inst, inst.running.node) && (slots.get(inst.running.node) ?? 0) > 0) take(inst, inst.running.node);
  const moving = sorted.filter((i) => chosenFor.has(i.index) && !where.has(i.index));
  const rest: Instance[] = [];
  for (const inst of moving) if ((slots.get(chosenFor.get(inst.index)!) ?? 0) > 0) take(inst, chosenFor.get(inst.index)!); else rest.push(inst);
  for (const inst of rest) {
    const free = [...slots].find(([n, k]) => k > 0 && !banned(inst, n));
    if (free) take(inst, free[0]);
  }

  // Step 6: the replicas without a place, and why.
  for (const inst of sorted) if (!where.has(inst.index)) unplaced.push(unplacedReplica(bundle, inst, scores, usable, nodes, bans.get(inst.name)));
}

/** Step 6: why no node could take the replica. */
function unplacedReplica(bundle: BundlePlacement, inst: Instance, scores: Map<string, number | undefined>, usable: readonly string[], nodes: readonly PlacementNode[], bans?: ReadonlyMap<string, string>): UnplacedReplica {
  const base = { replica: inst.name, bundle: bundle.id, index: inst.index };
  if (!usable.length) {
    const states = nodes.map((n) => `${n.name} ${n.state}`).join(', ');
    return { ...base, code: 'no-node', reason: nodes.length ? `no node can run replicas (${states})` : 'no node can run replicas (no nodes)' };
  }
  const open = usable.filter((n) => (scores.get(n) ?? -1) >= 0);
  const own = bans ? open.filter((n) => bans.has(n)) : [];
  if (own.length && own.length === open.length) {
    return { ...base, code: 'banned', reason: own.map((n) => bans!.get(n)!).join('; ') };
  }
  if (!open.length) {
    const why = usable.map((n) => `${n} ${scores.get(n) === undefined ? 'not allowed' : scores.get(n)! <= -INFINITY ? '-INFINITY' : scores.get(n)}`).join(', ');
    return { ...base, code: 'banned', reason: `location constraints ban bundle ${bundle.id} from every node that can run replicas (${why})` };
  }
  const perHost = Math.max(1, bundle.replicasPerHost);
  return {
    ...base,
    code: 'capacity',
    reason: `replicas-per-host=${perHost} on ${open.length} node${open.length === 1 ? '' : 's'} that can run bundle ${bundle.id} (${open.join(', ')}) leaves room for ${perHost * open.length} of ${bundle.replicas} replicas`,
  };
}

/** What placement takes from the model: every bundle's demand, the constraints, symmetric-cluster. */
export function placementConfig(model: { bundles: readonly { placement?: BundlePlacement }[]; constraints: readonly LocationConstraint[]; properties: { symmetric: boolean } }): Pick<ClusterPlacementInput, 'bundles' | 'constraints' | 'symmetric'> {
  return {
    bundles: model.bundles.flatMap((b) => (b.placement ? [b.placement] : [])),
    constraints: model.constraints,
    symmetric: model.properties.symmetric,
  };
}
