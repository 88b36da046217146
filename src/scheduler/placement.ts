// Placement: which node runs which replica. Pure; the nodes are a parameter (a single-node
// controller passes [itself]), so the same function serves a cluster later.
//
// Terms: a demand is what one bundle asks for; a placement is (bundle, index, node); an unplaced
// replica is reported with why, never forced onto a node.

export interface BundleDemand {
  bundle: string;
  replicas: number;
  replicasPerHost: number;
  /** false when the bundle must not run (target-role=Stopped): no placements at all */
  runnable: boolean;
}

export interface Placement {
  bundle: string;
  index: number;
  node: string;
}

export interface Unplaced {
  bundle: string;
  index: number;
  reason: string;
}

export interface PlacementResult {
  /** sorted by bundle (in demand order), then index */
  placements: Placement[];
  unplaced: Unplaced[];
}

/**
 * Places every replica of every runnable demand on `nodes`. `current` (where replicas run now)
 * keeps a replica on its node while that node still has room, so a pass never moves what runs.
 */
export function placeReplicas(demands: readonly BundleDemand[], nodes: readonly string[], current: readonly Placement[] = []): PlacementResult {
  const placements: Placement[] = [];
  const unplaced: Unplaced[] = [];
  const nodeSet = new Set(nodes);
  for (const d of demands) {
    if (!d.runnable || d.replicas <= 0) continue;
    const perHost = Math.max(1, d.replicasPerHost);
    const load = new Map<string, number>(nodes.map((n) => [n, 0]));
    const where = new Map<number, string>();
    // The lowest indexes are the ones that run: with room for k replicas, 0..k-1 are placed.
    const placeable = Math.min(d.replicas, perHost * nodes.length);
    // Stickiness first: a replica already on a known node with room stays there.
    for (const c of current) {
      if (c.bundle !== d.bundle || c.index >= placeable || where.has(c.index) || !nodeSet.has(c.node)) continue;
      const used = load.get(c.node) ?? 0;
      if (used >= perHost) continue;
      load.set(c.node, used + 1);
      where.set(c.index, c.node);
    }
    for (let index = 0; index < d.replicas; index++) {
      if (where.has(index)) continue;
      // The least loaded node with room; ties go to the order the nodes were given in.
      let best: string | undefined;
      for (const n of nodes) {
        const used = load.get(n) ?? 0;
        if (used < perHost && (best === undefined || used < (load.get(best) ?? 0))) best = n;
      }
      if (best === undefined || index >= placeable) {
        unplaced.push({
          bundle: d.bundle,
          index,
          reason: nodes.length === 0
            ? 'no node can run replicas'
            : `replicas-per-host=${perHost} on ${nodes.length} node${nodes.length === 1 ? '' : 's'} leaves room for ${perHost * nodes.length} of ${d.replicas} replicas`,
        });
        continue;
      }
      load.set(best, (load.get(best) ?? 0) + 1);
      where.set(index, best);
    }
    for (const [index, node] of [...where].sort((a, b) => a[0] - b[0])) placements.push({ bundle: d.bundle, index, node });
  }
  return { placements, unplaced };
}
