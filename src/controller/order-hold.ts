// The pass's order step: with every node's plan made, the starts and stops that wait for another
// bundle's (src/scheduler/order.ts decides, over the whole cluster) are taken out of their node's
// plan into its `waiting`, with the reason and what they wait for as data. The next pass takes
// them once that is done (a pass with work waiting runs again soon). Before that, the cascade
// (orderCascade): then replicas that run and must stop or restart because first stops or
// (re)starts get a stop in their node's plan; a restarted replica, still placed, is started by a
// later pass once first is up (its start waits as any start does).
import type { OrderPair } from '../model/order';
import { isReady, Note, Plan, stopForOrder } from '../reconcile/plan';
import type { ObservedState } from '../reconcile/observed';
import { replicaName } from '../reconcile/desired';
import { OrderCandidate, OrderReplica, orderCascade, orderWaits } from '../scheduler/order';

const runs = (state: string) => state === 'running' || state === 'restarting' || state === 'paused';

/** What each replica of the ordered bundles is doing, over every node, and this pass's starts and
 * stops (before any is held for order). */
export function orderView(parts: readonly { node: string; observed: ObservedState; plan: Plan }[], placements: ReadonlyMap<string, string>, bundles: readonly { id: string; replicas: number }[]): { replicas: OrderReplica[]; candidates: OrderCandidate[]; inPlace: Set<string> } {
  const starts = new Set<string>();
  const inPlace = new Set<string>();
  const exists = new Set<string>();
  /** a failure counted in this pass for a container that runs: the engine restarted it */
  const failedNow = new Set<string>();
  const replaced = new Set<string>();
  const stops = new Set<string>();
  const blocked = new Set<string>();
  const running = new Map<string, { node: string; ready: boolean }>();
  const candidates: OrderCandidate[] = [];
  for (const { node, observed, plan } of parts) {
    const state = new Map(observed.containers.map((c) => [c.id, c]));
    for (const u of plan.ledger) if (u.record && u.record.count > (observed.ledger[u.containerId]?.count ?? 0) && runs(state.get(u.containerId)?.state ?? '')) failedNow.add(u.replica);
    for (const c of observed.containers) {
      if (c.replica !== undefined) exists.add(replicaName(c.bundle, c.replica));
      if (c.replica === undefined || !runs(c.state)) continue;
      const r = replicaName(c.bundle, c.replica);
      const was = running.get(r);
      if (!was || (!was.ready && isReady(c))) running.set(r, { node, ready: isReady(c) });
    }
    for (const a of [...plan.create, ...plan.start, ...plan.replace]) {
      starts.add(a.replica);
      if (a.kind === 'replace') replaced.add(a.replica);
      if (a.kind !== 'create') inPlace.add(a.replica);
      candidates.push({ bundle: a.bundle, replica: a.replica, node, action: 'start' });
    }
    for (const a of [...plan.stop, ...plan.remove]) {
      if (a.kind === 'remove' && !runs(state.get(a.containerId)?.state ?? '')) continue;
      stops.add(a.replica);
      candidates.push({ bundle: a.bundle, replica: a.replica, node, action: 'stop' });
    }
    for (const b of plan.blocked) blocked.add(b.replica);
  }
  const replicas: OrderReplica[] = [];
  for (const b of bundles) {
    const names = new Set<string>();
    for (let i = 0; i < b.replicas; i++) names.add(replicaName(b.id, i));
    for (const r of [...running.keys(), ...stops]) if (r.startsWith(`${b.id}-`) && /^\d+$/.test(r.slice(b.id.length + 1))) names.add(r);
    for (const r of names) {
      const placedOn = placements.get(r);
      const on = running.get(r);
      const up = !!on && on.ready && !stops.has(r) && !replaced.has(r);
      replicas.push({
        bundle: b.id, replica: r,
        ...(placedOn !== undefined ? { placedOn } : {}),
        ...(on ? { runningOn: on.node } : {}),
        up,
        starting: !up && placedOn !== undefined && !blocked.has(r),
        stopping: !!on && stops.has(r),
        ...(exists.has(r) ? { exists: true } : {}),
        ...(up && failedNow.has(r) ? { restarted: true } : {}),
      });
    }
  }
  // each candidate once per node and action (a replica's create and start are one start)
  const seen = new Set<string>();
  return { replicas, candidates: candidates.filter((c) => { const k = `${c.node} ${c.action} ${c.replica}`; return !seen.has(k) && !!seen.add(k); }), inPlace };
}

/** Stops what the cascade stops or restarts, and holds the starts and stops that wait for another
 * bundle's; returns the notes added. `seen`: replicas that may run on a node that cannot be
 * observed (`unseen`), or a node not known at all (`blind`): no cascade for what is not seen. */
export function holdForOrder(orders: readonly OrderPair[], parts: readonly { node: string; observed: ObservedState; plan: Plan }[], placements: ReadonlyMap<string, string>, bundles: readonly { id: string; replicas: number }[], seen: { unseen?: ReadonlySet<string>; blind?: boolean } = {}): Note[] {
  if (!orders.length) return [];
  // The cascade first: its stops are this pass's stops, which the waits below order.
  const cascade = orderCascade(orders, orderView(parts, placements, bundles).replicas, seen);
  const notes: Note[] = [];
  for (const k of cascade) {
    const part = parts.find((p) => p.node === k.node);
    if (!part || !stopForOrder(part.plan, part.observed, k.replica, k.message, { constraint: k.constraint, restart: k.action === 'restart', because: k.because })) continue;
    if (k.action !== 'restart') continue;
    // the second half of the restart, shown now: a later pass starts it (as any start, it waits)
    const firsts = k.because.map((b) => b.replica).join(', ');
    const note: Note = { bundle: k.bundle, replica: k.replica, message: `start ${k.replica} after ${firsts} ${k.because.length === 1 ? 'is' : 'are'} started and ${k.replica} is stopped: it restarts (order ${k.constraint}, Mandatory)`, order: { constraint: k.constraint, action: 'start', after: [...k.because, { bundle: k.bundle, replica: k.replica, action: 'stop' }] } };
    part.plan.waiting.push(note);
    notes.push(note);
  }
  const { replicas, candidates, inPlace } = orderView(parts, placements, bundles);
  const waits = orderWaits(orders, replicas, candidates, cascade, inPlace);
  for (const w of waits) {
    const plan = parts.find((p) => p.node === w.node)!.plan;
    const other = (a: { replica: string }) => a.replica !== w.replica;
    if (w.action === 'start') {
      plan.create = plan.create.filter(other);
      plan.start = plan.start.filter(other);
      plan.replace = plan.replace.filter(other);
      plan.addAddress = plan.addAddress.filter(other);
    } else {
      plan.stop = plan.stop.filter(other);
      plan.remove = plan.remove.filter(other);
      plan.removeAddress = plan.removeAddress.filter(other);
    }
    // the failure ledger of a replica whose change waits is written when it is made
    plan.ledger = plan.ledger.filter(other);
    const note: Note = { bundle: w.bundle, replica: w.replica, message: w.message, order: { constraint: w.constraint, action: w.action, after: w.after } };
    plan.waiting.push(note);
    notes.push(note);
  }
  return notes;
}
