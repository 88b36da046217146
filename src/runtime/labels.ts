// The labels berth puts on each container it creates: the contract between the desired state
// (src/model, src/reconcile: pure) and the engines (src/runtime, src/agent). No imports.
//
// Terms: a container *belongs* to a cluster when its `berth.cluster` label names that cluster's
// id; berth never stops, replaces or removes a container that belongs to another cluster or to
// none (it lists such containers as *foreign*).

export const BERTH_LABELS = {
  /** the id of the cluster the container belongs to (src/model/identity.ts) */
  cluster: 'berth.cluster',
  bundle: 'berth.bundle',
  /** the replica's index, in decimal */
  replica: 'berth.replica',
  node: 'berth.node',
  specHash: 'berth.spec-hash',
  /** a compact record of the create spec (src/model/spec-record.ts): what a replace changes */
  spec: 'berth.spec',
  /** `podman` on the containers of a `<podman>` bundle: the node creates them on podman when it
   * has it (src/runtime/node-engines.ts); absent on a `<docker>` bundle's */
  container: 'berth.container',
} as const;

/** A cluster id (the value of berth.cluster): one safe path segment, so that each cluster's files
 * on a node live in a directory of their own. */
export const CLUSTER_ID_PATTERN = '[A-Za-z0-9][A-Za-z0-9_.-]{0,63}';
export const isClusterId = (v: unknown): v is string => typeof v === 'string' && new RegExp(`^${CLUSTER_ID_PATTERN}$`).test(v);

/** The replica's host address, `ip/prefix@interface`, so that the address can be removed after
 * the container even when the CIB no longer names it. */
export const ADDRESS_LABEL = 'berth.address';

export interface ReplicaIdentity {
  cluster: string;
  bundle: string;
  replica: number;
  node: string;
  specHash: string;
}

/** The label set for one replica's container. */
export function berthLabels(r: ReplicaIdentity): Record<string, string> {
  return {
    [BERTH_LABELS.cluster]: r.cluster,
    [BERTH_LABELS.bundle]: r.bundle,
    [BERTH_LABELS.replica]: String(r.replica),
    [BERTH_LABELS.node]: r.node,
    [BERTH_LABELS.specHash]: r.specHash,
  };
}

/** Suffix of the container a replace creates beside the old one, renamed once the old is gone
 * (src/controller/apply.ts); an agent takes it as a replica's name too (src/agent/scope.ts). */
export const NEXT_SUFFIX = '.next';
