// A converged pass's answer, kept for the next pass: when the CIB (its model, the same object),
// the nodes taking part and every observed node's state (containers, inspects, addresses, ledger,
// hosts files) are what they were, and no time the plans depend on has come (`recheckAt`), the
// placement and the plans would come out the same, so they are not computed again. At 100 nodes
// placement and planning were two thirds of a no-op pass's own work (in process: 94 + 71 ms of
// ~290, and the garbage they made).
//
// Kept only after a pass that found nothing to do and saw every node it runs (nothing held,
// unreachable, busy or recorded elsewhere, no ledger to write) over bundles without resources
// inside (their operations are timed by the executors, not by `recheckAt`); anything else is a
// full pass. test/controller/pass-reuse.ts: for random changes, the same plans as a full pass.
import type { Cib } from '../cib/cib';
import type { ClusterModel } from '../model/model';
import type { ObservedContainer, ObservedState } from '../reconcile/observed';
import { planChanges } from '../reconcile/plan';
import type { NodePass, PassResult } from './pass';

export interface ConvergedPass {
  model: ClusterModel;
  cib: Cib;
  cluster: string;
  /** the lost nodes, sorted, joined */
  offline: string;
  /** each observed node's state as observed, its hosts files read (`observedKey`) */
  observed: Map<string, string>;
  nodes: NodePass[];
  placements: Map<string, string>;
  unplaced: PassResult['unplaced'];
  recheckAt?: number;
}

/** The fingerprint of a node's observed state and of where its agent keeps berth's files: as text. A container's `status` ("Up 5
 * seconds") is left out: it changes as time passes, placement and planning never read it (the
 * observation reads it to choose what to inspect, and what inspects said is in `runs`), and the
 * pass's result carries the state as observed now. */
export const observedKey = (s: ObservedState, node: NodePlace): string =>
  JSON.stringify({ ...s, containers: s.containers.map(withoutStatus), foreign: s.foreign.map(withoutStatus), stateDir: node.stateDir, remoteKey: node.remoteKey ?? null });

/** What the node's desired state takes from its agent besides the observation (an agent started
 * again with another state dir writes its hosts files elsewhere). */
export interface NodePlace { stateDir: string; remoteKey?: string }

const withoutStatus = ({ status, ...c }: ObservedContainer): Omit<ObservedContainer, 'status'> => (void status, c);

export const offlineKey = (r: Pick<PassResult, 'offline'>): string => r.offline.map((o) => o.node).join('\n');

/** Whether a full pass's result may be kept for reuse: converged, every node seen. */
export function reusable(r: PassResult, model: ClusterModel, busy: number): boolean {
  return busy === 0 && !r.usedLastGood && r.unreachable.length === 0 && r.recorded.length === 0 && r.held.length === 0
    && model.bundles.every((b) => !b.resource)
    && r.nodes.every((n) => planChanges(n.plan).length === 0 && n.plan.ledger.length === 0 && n.plan.waiting.length === 0);
}

/** Whether the kept pass may hold for this pass, before the hosts files are read: the same CIB,
 * the same nodes taking part and observed, every node seen, no time it waited for come. */
export function mayHold(
  kept: ConvergedPass | undefined,
  now: { model: ClusterModel; cib: Cib; cluster: string; offline: string; nodes: readonly string[]; at: number; others: number },
): kept is ConvergedPass {
  if (!kept || kept.model !== now.model || kept.cib !== now.cib || kept.cluster !== now.cluster || kept.offline !== now.offline) return false;
  if (now.others > 0 || (kept.recheckAt !== undefined && now.at >= kept.recheckAt)) return false;
  return kept.observed.size === now.nodes.length && now.nodes.every((n) => kept.observed.has(n));
}

/** Whether every node's observed state (its hosts files read) is as the kept pass saw it. */
export function sameObserved(kept: ConvergedPass, observed: ReadonlyMap<string, string>): boolean {
  if (kept.observed.size !== observed.size) return false;
  for (const [node, key] of observed) if (kept.observed.get(node) !== key) return false;
  return true;
}
