// What the pass needs of a node's executors (pacemaker-remoted in its replica containers): the
// same interface for this node (the pool, in-process) and for a node behind its agent (over the
// agent protocol), as for the engine.
import type { InnerObserved, InnerStep, InnerWant } from '../reconcile/inner';

export interface InnerExecutors {
  /** the instances of the replicas wanted now (connections made and closed to match) */
  observe(wants: InnerWant[]): Promise<Record<string, InnerObserved>>;
  /** runs one replica's steps in order; the first failure ends them */
  act(replica: string, container: string, steps: InnerStep[]): Promise<{ ok: boolean; done: string[]; error?: string }>;
}
