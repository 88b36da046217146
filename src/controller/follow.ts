// Engine events of a node wake a pass: any event of a berth container on that node also forgets
// what an inspect said about the container. The stream ends when the engine restarts: follow
// again. `since`: events between the last pass and the (re)subscription are replayed, not lost.
import type { ContainerRun } from '../reconcile/observed';
import { BERTH_LABELS } from '../runtime/labels';
import type { NodeDeps } from './pass';

export function followEvents(node: string, deps: NodeDeps, o: {
  signal: AbortSignal;
  /** inspect results of this node, by container id */
  cache?: Map<string, ContainerRun>;
  onEvent: (why: string) => void;
  /** ms since the epoch events are replayed from at each (re)subscription */
  since?: () => number;
}): void {
  void (async () => {
    while (!o.signal.aborted) {
      try {
        const since = o.since?.();
        for await (const e of deps.engine.events({ labels: { [BERTH_LABELS.node]: node }, ...(since !== undefined ? { since } : {}) }, o.signal)) {
          o.cache?.delete(e.id);
          o.onEvent(`engine event on ${node}: ${e.action} ${e.name ?? e.id}`);
        }
        if (!o.signal.aborted) o.onEvent(`engine event stream of ${node} ended (engine restarted?)`);
      } catch {
        if (o.signal.aborted) return;
        o.cache?.clear();
        o.onEvent('');
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
}
