// The labels berth puts on each container it creates: how berth knows its own containers and the
// replica each one is. Plain data, so the docker option parser (which refuses these labels in a
// bundle's options, and is used by src/validate) has them without importing the engine;
// engine.ts re-exports them for its other users.
export const BERTH_LABELS = {
  bundle: 'berth.bundle',
  /** the replica's index, in decimal */
  replica: 'berth.replica',
  node: 'berth.node',
  specHash: 'berth.spec-hash',
} as const;

export interface ReplicaIdentity {
  bundle: string;
  replica: number;
  node: string;
  specHash: string;
}

/** The label set for one replica's container. */
export function berthLabels(r: ReplicaIdentity): Record<string, string> {
  return {
    [BERTH_LABELS.bundle]: r.bundle,
    [BERTH_LABELS.replica]: String(r.replica),
    [BERTH_LABELS.node]: r.node,
    [BERTH_LABELS.specHash]: r.specHash,
  };
}
