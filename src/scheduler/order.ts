// Order: which of this pass's starts and stops wait for another bundle's, decided for the whole
// cluster at once (replicas of the two bundles may be on different nodes). Pure. The plan is a
// graph executed across passes: every action whose waits are met goes now, in parallel; one that
// waits is held with its reason, and the next pass (a pass runs again soon while work waits) takes
// it once what it waits for is done.
//
// Pacemaker 2.1.5's rules for "first then then" between bundles (pcmk_sched_ordering.c,
// pcmk__multi_update_actions in pcmk_sched_clone.c / pcmk_sched_bundle.c):
// - without interleave, the bundles are ordered as wholes: every replica of then waits for every
//   replica of first that is to start (or stop) in this transition;
// - with interleave (then's meta attribute; first's when then's action is stop) the waits are the
//   same: Pacemaker 2.1.5 orders each replica of then after first's replica on its node AND keeps
//   the bundles' own order (first "running" before then "start"), as its transition graph shows
//   (test/fixtures/crm_simulate/87-order-interleave); what interleave changes is that a replica
//   of then with no replica of first on its node cannot start (Mandatory; 88-order-interleave-no-peer);
// - Mandatory with first-action start (runnable_left): then does not start while first has no
//   replica that runs or can start (with interleave: none on its node);
// - Optional and Serialize order only actions that happen in the same transition;
// - require-all=false between sets: then waits for any one first bundle.
// The cascade (orderCascade), for a Mandatory symmetrical start-then-start order (Pacemaker's
// pe_order_implies_then and the inverse's pe_order_implies_first; test/fixtures/crm_simulate/89-99):
// - a then replica that runs stops when first has no replica that runs or can start (first
//   disabled, banned, its node lost with no place to go; with interleave: none on its node) —
//   before first's replicas stop (the inverse order holds their stops);
// - it restarts when a replica of first is to start while it runs (recovered, moved, its node
//   lost, a new replica) or was restarted by the engine's restart policy since the last pass (a
//   failure counted now): without interleave every running then replica, with interleave only the
//   one on the node where first's replica starts. Stop now, start once first is up again; a start
//   of first whose container is there (recovered in place) waits for those stops, as Pacemaker's
//   stop of first does;
// - symmetrical=false, Optional and Serialize orders cascade nothing; a restarted then replica is
//   not running in the next pass, so it cascades no further than its own dependents once.
import type { OrderAction, OrderPair } from '../model/order';

/** A replica as the order decisions see it, over every node. */
export interface OrderReplica {
  bundle: string;
  replica: string;
  /** the node it is placed on (to run there), if any */
  placedOn?: string;
  /** the node where a container of it runs, if any */
  runningOn?: string;
  /** a container of it runs and is ready, and nothing of this pass stops or replaces it */
  up: boolean;
  /** placed, not up, and nothing keeps it from starting (its start is planned or waits) */
  starting: boolean;
  /** its container runs and this pass stops or removes it (planned or waiting) */
  stopping: boolean;
  /** a container of it is there, running or not (a start of it is a restart, a recovery) */
  exists?: boolean;
  /** up, but the engine restarted it since the last pass (its restart policy: a failure counted
   * in this pass) — a recovery Pacemaker would have made */
  restarted?: boolean;
}

/** A start (create, start, replace) or a stop (stop, remove of a running container) of this pass. */
export interface OrderCandidate {
  bundle: string;
  replica: string;
  node: string;
  action: OrderAction;
}

/** What a held action waits for: a replica of another bundle, or a bundle as a whole. */
export interface OrderAfter {
  bundle: string;
  replica?: string;
  action: OrderAction;
}

/** A then replica that runs and must stop, or restart, because of first (as data, with why). */
export interface OrderCascade {
  bundle: string;
  replica: string;
  /** where it runs */
  node: string;
  /** stop: first cannot run; restart: first (re)starts */
  action: 'stop' | 'restart';
  /** the rsc_order it comes from */
  constraint: string;
  /** the first replicas that (re)start (restart); empty for a stop (first cannot run at all) */
  because: OrderAfter[];
  /** e.g. "db-0 restarts (order o1, Mandatory)" */
  why: string;
  /** the stop's reason: "restarts because db-0 restarts (order o1, Mandatory)", or the why */
  message: string;
}

export interface OrderWait extends OrderCandidate {
  /** the rsc_order it comes from */
  constraint: string;
  /** what it waits for; empty when it waits for something that cannot happen now (Mandatory) */
  after: OrderAfter[];
  /** e.g. "start web-0 after db-0 is started" */
  message: string;
}

const past = (a: OrderAction) => (a === 'start' ? 'started' : 'stopped');

const groupByBundle = (replicas: readonly OrderReplica[]): Map<string, OrderReplica[]> => {
  const byBundle = new Map<string, OrderReplica[]>();
  for (const r of replicas) (byBundle.get(r.bundle) ?? byBundle.set(r.bundle, []).get(r.bundle)!).push(r);
  return byBundle;
};

/**
 * The then replicas that run and must stop or restart because of first, over every node, each
 * once (the first pair in CIB order that asks). Down a chain too (db restarts → app restarts →
 * web restarts): a replica stopped here is taken as stopping and, still placed, starting again.
 */
export function orderCascade(pairs: readonly OrderPair[], replicas: readonly OrderReplica[], seen: { unseen?: ReadonlySet<string>; blind?: boolean } = {}): OrderCascade[] {
  const out: OrderCascade[] = [];
  // A node that cannot be observed may still run what it ran: nothing is stopped or restarted for
  // a first replica that may run there (it may not have stopped at all), nor while some node is
  // not known at all.
  if (seen.blind) return out;
  let view = replicas.map((r) => (seen.unseen?.has(r.replica) && !r.up ? { ...r, up: true, starting: false } : { ...r }));
  for (let changed = true; changed;) {
    changed = false;
    const byBundle = groupByBundle(view);
    for (const p of pairs) {
      if (!p.impliesThen || p.anyOf || p.firstAction !== 'start' || p.thenAction !== 'start') continue;
      const firsts = byBundle.get(p.first[0]) ?? [];
      for (const r of byBundle.get(p.then) ?? []) {
        if (!r.up || r.runningOn === undefined || out.some((c) => c.replica === r.replica)) continue;
        const node = r.runningOn;
        const tag = `(order ${p.constraint}, Mandatory${p.interleave ? ', interleave' : ''})`;
        const near = (f: OrderReplica, on: string | undefined) => !p.interleave || on === node;
        const canRun = firsts.some((f) => (f.up && near(f, f.runningOn)) || (f.starting && near(f, f.placedOn)));
        const restarting = firsts.filter((f) => (f.starting && near(f, f.placedOn)) || (f.up && f.restarted && near(f, f.runningOn)));
        let cascade: OrderCascade | undefined;
        if (!canRun) {
          const why = p.interleave ? `no ${p.first[0]} replica runs or can start on ${node}` : `${p.first[0]} has no replica that runs or can start`;
          cascade = { bundle: r.bundle, replica: r.replica, node, action: 'stop', constraint: p.constraint, because: [], why: `${why} ${tag}`, message: `${why} ${tag}` };
        } else if (restarting.length) {
          const names = restarting.map((f) => f.replica);
          const again = restarting.every((f) => f.exists || f.runningOn !== undefined);
          const byEngine = restarting.every((f) => f.up);
          const words = `${names.join(', ')} ${byEngine ? `${names.length === 1 ? 'was' : 'were'} restarted by the engine` : `${again ? 're' : ''}start${names.length === 1 ? 's' : ''}`}`;
          cascade = { bundle: r.bundle, replica: r.replica, node, action: 'restart', constraint: p.constraint, because: names.map((replica) => ({ bundle: p.first[0], replica, action: 'start' as const })), why: `${words} ${tag}`, message: `restarts because ${words} ${tag}` };
        }
        if (!cascade) continue;
        out.push(cascade);
        // stopped now: not up; still placed, so it starts again (and its own dependents follow)
        view = view.map((x) => (x.replica === r.replica ? { ...x, up: false, stopping: true, starting: x.placedOn !== undefined } : x));
        changed = true;
      }
    }
  }
  return out;
}

/** The candidates that wait, each with the first pair (in CIB order) that holds it. A start of a
 * first replica whose container is there (`inPlace`: recovered, not created anew) that made then
 * replicas restart waits until they are stopped (Pacemaker: first's stop waits for them). */
export function orderWaits(pairs: readonly OrderPair[], replicas: readonly OrderReplica[], candidates: readonly OrderCandidate[], cascade: readonly OrderCascade[] = [], inPlace: ReadonlySet<string> = new Set()): OrderWait[] {
  const byBundle = groupByBundle(replicas);
  const stopping = new Set(replicas.filter((r) => r.stopping).map((r) => r.replica));
  const out: OrderWait[] = [];
  for (const c of candidates) {
    if (c.action === 'start' && inPlace.has(c.replica)) {
      const caused = cascade.filter((k) => k.because.some((b) => b.replica === c.replica) && stopping.has(k.replica));
      if (caused.length) {
        const names = caused.map((k) => k.replica);
        out.push({ ...c, constraint: caused[0].constraint, after: caused.map((k) => ({ bundle: k.bundle, replica: k.replica, action: 'stop' as const })), message: `start ${c.replica} after ${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} stopped: ${names.length === 1 ? 'it restarts' : 'they restart'} with it (order ${caused[0].constraint}, Mandatory)` });
        continue;
      }
    }
    for (const p of pairs) {
      if (p.then !== c.bundle || p.thenAction !== c.action) continue;
      const w = waitFor(p, c, byBundle);
      if (w) { out.push(w); break; }
    }
  }
  return out;
}

function waitFor(p: OrderPair, c: OrderCandidate, byBundle: Map<string, OrderReplica[]>): OrderWait | undefined {
  const what = `${c.action} ${c.replica}`;
  const tag = `(order ${p.constraint}${p.kind === 'Mandatory' ? '' : `, ${p.kind}`}${p.interleave ? ', interleave' : ''})`;
  // Every replica of first is waited for, interleave or not: Pacemaker 2.1.5 keeps the bundles'
  // own order (first's "running" before then's "start") beside the per-replica one. Interleave
  // narrows what must be able to run: first's replica on then's node.
  const related = (bundle: string): OrderReplica[] => byBundle.get(bundle) ?? [];
  const peers = (bundle: string): OrderReplica[] => related(bundle).filter((r) => !p.interleave || (p.firstAction === 'start' ? r.placedOn === c.node : r.runningOn === c.node));
  const pending = (r: OrderReplica) => (p.firstAction === 'start' ? r.starting : r.stopping);
  const hold = (after: OrderAfter[], message: string): OrderWait => ({ ...c, constraint: p.constraint, after, message: `${what} ${message} ${tag}` });

  if (p.anyOf) {
    // one of the first bundles suffices: satisfied once any replica of any of them is up
    if (p.first.some((b) => peers(b).some((r) => r.up))) return undefined;
    const pendingBundles = p.first.filter((b) => related(b).some(pending));
    if (pendingBundles.length) return hold(pendingBundles.map((bundle) => ({ bundle, action: p.firstAction })), `after ${p.first.join(' or ')} is ${past(p.firstAction)}`);
    if (p.requiresFirst) return hold([], `after ${p.first.join(' or ')} is started: none has a replica that can start`);
    return undefined;
  }
  const first = p.first[0];
  const rs = related(first);
  const waiting = rs.filter(pending);
  if (waiting.length) {
    const names = waiting.map((r) => r.replica);
    const all = waiting.length > 1 && waiting.length === (byBundle.get(first) ?? []).length;
    const words = all ? `every ${first} replica is` : names.length === 1 ? `${names[0]} is` : `${names.join(', ')} are`;
    return hold(waiting.map((r) => ({ bundle: first, replica: r.replica, action: p.firstAction })), `after ${words} ${past(p.firstAction)}`);
  }
  if (p.requiresFirst && !peers(first).some((r) => r.up)) {
    const why = p.interleave ? `no ${first} replica runs or can start on ${c.node}` : `${first} has no replica that runs or can start`;
    return hold([], `after ${first} is started: ${why}`);
  }
  return undefined;
}
