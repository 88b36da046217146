// The desired state of one node: every bundle's settings (from the model) and each replica the
// placement put on the node, down to the engine's create options and a hash of them. Pure: the
// model, the placement, the node, its state dir and the cluster's id are all arguments.
import type { ClusterModel } from '../model/model';
import { BundleSettings, DesiredReplica, hostsFilePath, replicaName } from '../model/bundle';

export { ADDRESS_LABEL } from '../runtime/labels';
export { RESTART_POLICY, parseDurationMs, replicaName, specHashOf } from '../model/bundle';
export type { BundleSettings, DesiredReplica, ReplicaAddress, Role } from '../model/bundle';

/** A replica placement left without a node, and why. */
export interface Unplaced {
  bundle: string;
  index: number;
  reason: string;
}

export interface DesiredState {
  node: string;
  /** the cluster's id: only containers labelled with it are this cluster's */
  cluster: string;
  bundles: BundleSettings[];
  /** the replicas placed on `node`, by bundle then index */
  replicas: DesiredReplica[];
  unplaced: Unplaced[];
  /** cluster-wide: maintenance-mode */
  maintenance: boolean;
}

export interface NodePlace {
  node: string;
  stateDir: string;
  cluster: string;
}

/** The desired state of `place.node`: the placement's replicas there, the bundles' settings with
 * their hosts files under the node's state dir. */
export function desiredStateOf(model: ClusterModel, place: NodePlace, placed: { placements: ReadonlyMap<string, string>; unplaced?: readonly Unplaced[] }): DesiredState {
  const replicas: DesiredReplica[] = [];
  const bundles: BundleSettings[] = [];
  for (const b of model.bundles) {
    const s = b.settings;
    bundles.push(s.hostsFile ? { ...s, hostsFile: { path: hostsFilePath(place.stateDir, place.cluster, s.id), content: s.hostsFile.content } } : s);
    if (!b.build) continue;
    // Bundle order, then index, as the placement map holds them.
    for (let index = 0; index < s.replicas; index++) {
      if (placed.placements.get(replicaName(s.id, index)) === place.node) replicas.push(b.build(index, place));
    }
  }
  return { node: place.node, cluster: place.cluster, bundles, replicas, unplaced: [...(placed.unplaced ?? [])], maintenance: model.properties.maintenance };
}
