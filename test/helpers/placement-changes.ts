// What a placement changes against what runs, in Nomad's buckets (keep, start, move, stop): for
// the placement tests' properties.
import { RunningReplica, replicaName } from '../../src/scheduler/placement';

export interface PlacementChanges {
  keep: { replica: string; node: string }[];
  start: { replica: string; node: string }[];
  move: { replica: string; from: string; to: string }[];
  stop: { replica: string; node: string }[];
}

export function placementChanges(current: readonly RunningReplica[], placements: ReadonlyMap<string, string>): PlacementChanges {
  const out: PlacementChanges = { keep: [], start: [], move: [], stop: [] };
  const now = new Map<string, string[]>();
  for (const c of current) {
    const name = replicaName(c.bundle, c.index);
    now.set(name, [...(now.get(name) ?? []), c.node]);
  }
  for (const [replica, node] of placements) {
    const at = now.get(replica) ?? [];
    const from = at.includes(node) ? node : at[0];
    if (from === node) out.keep.push({ replica, node });
    else if (from !== undefined) out.move.push({ replica, from, to: node });
    else out.start.push({ replica, node });
    // A replica seen on several nodes keeps one copy at most.
    for (const other of at) if (other !== from) out.stop.push({ replica, node: other });
  }
  for (const [replica, at] of now) if (!placements.has(replica)) for (const node of at) out.stop.push({ replica, node });
  return out;
}


