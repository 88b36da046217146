// How far a node is from converged, pure: from the desired state, the observed state and the plan
// of one pass, how many replicas are ready of those waited for, and for each other one what it
// waits on and why. `apply --wait` decides "done" from it and shows it while it waits.
//
// Terms: a replica is *waited for* unless the plan only reports on it (unmanaged, held at
// migration-threshold, not placed) or a problem blocks it; it is *ready* when its container runs
// the desired spec and is running (and healthy, with a health check); *pending* lists the others
// with the reason, in replica order.
import type { DesiredState } from './desired';
import type { ObservedState } from './observed';
import { Plan, groupBy, isReady, planChanges, replicaContainer } from './plan';
import { replicaName } from './desired';
import type { ObservedContainer } from '../runtime/engine';

export interface PendingReplica {
  replica: string;
  /** what the replica waits on, in words ("container running, health check starting") */
  why: string;
}

export interface WaitProgress {
  node: string;
  /** replicas waited for that are ready on the desired spec */
  ready: number;
  /** replicas waited for */
  total: number;
  /** the replicas waited for that are not ready, and the rolling updates held back */
  pending: PendingReplica[];
  /** replicas waited for whose container is not ready at all (missing, not running, not healthy) */
  notReady: string[];
  /** the plan still has changes, or a rolling update waits: not converged even if all are ready */
  changesLeft: boolean;
}

/** What a container of the replica is doing, in words. */
function containerWhy(c: ObservedContainer): string {
  switch (c.state) {
    case 'running':
      return c.health === 'starting' ? 'container running, health check starting'
        : c.health === 'unhealthy' ? 'container running, health check failing'
        : 'container running';
    case 'created': return 'container created, not started yet';
    case 'restarting': return 'container restarting';
    case 'exited': return 'container exited';
    case 'paused': return 'container paused';
    case 'removing': return 'container being removed';
    case 'dead': return 'container dead';
  }
}

export function waitProgress(desired: DesiredState, observed: ObservedState, plan: Plan): WaitProgress {
  const held = new Set<string>(plan.blocked.map((b) => b.replica));
  for (const n of plan.reports) if (n.replica) held.add(n.replica);
  const waitingNote = new Map<string, string>();
  for (const n of plan.waiting) if (n.replica && !waitingNote.has(n.replica)) waitingNote.set(n.replica, n.message);
  const action = new Map<string, string>();
  // The container's own action says most (a create, not the address added before it).
  for (const a of [...plan.replace, ...plan.create, ...plan.start, ...plan.stop, ...plan.remove, ...plan.rename, ...plan.addAddress, ...plan.removeAddress]) {
    if (!action.has(a.replica)) action.set(a.replica, `${a.kind}: ${a.reason}`);
  }
  // Each replica's container as the planner picks it (its `.next` while a stuck one holds the name).
  const containers = new Map<string, ObservedContainer>();
  for (const [name, group] of groupBy(observed.containers.filter((c) => c.replica !== undefined), (c) => replicaName(c.bundle, c.replica!))) {
    const { primary } = replicaContainer(name, group, observed.runs);
    if (primary) containers.set(name, primary);
  }
  let ready = 0;
  let total = 0;
  const pending: PendingReplica[] = [];
  const notReady: string[] = [];
  for (const d of desired.replicas) {
    if (held.has(d.name)) continue;
    total++;
    const c = containers.get(d.name);
    const mine = c && c.replica === d.index ? c : undefined;
    const up = !!mine && isReady(mine);
    // A rolling update waits on the replica before it: it is not counted as not ready.
    if (!up && !waitingNote.has(d.name)) notReady.push(d.name);
    if (up && mine.specHash === d.specHash && !action.has(d.name) && !waitingNote.has(d.name)) {
      ready++;
      continue;
    }
    const why = action.get(d.name) ?? waitingNote.get(d.name) ?? (mine ? containerWhy(mine) : 'no container yet');
    pending.push({ replica: d.name, why });
  }
  return { node: plan.node, ready, total, pending, notReady, changesLeft: planChanges(plan).length > 0 || plan.waiting.length > 0 };
}

/** Converged: nothing to change, nothing waiting, every replica waited for ready. */
export const isConverged = (p: WaitProgress): boolean => !p.changesLeft && p.notReady.length === 0;
