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
  /** the node's Pacemaker key (replicas that run pacemaker-remoted mount it) */
  remoteKey?: string;
}

/** The replicas placed on each node, in bundle order then index: one walk over the placement for
 * all nodes (a pass over a hundred nodes must not walk every replica once per node). */
export function replicasByNode(model: ClusterModel, placements: ReadonlyMap<string, string>): Map<string, { bundle: number; index: number }[]> {
  const out = new Map<string, { bundle: number; index: number }[]>();
  model.bundles.forEach((b, bundle) => {
    for (let index = 0; index < b.settings.replicas; index++) {
      const node = placements.get(replicaName(b.settings.id, index));
      if (node !== undefined) (out.get(node) ?? out.set(node, []).get(node)!).push({ bundle, index });
    }
  });
  return out;
}

/** The bundles' settings with their hosts files under one state dir, made once per model (the
 * controllers keep the model while the CIB is the same) and shared by the nodes that share it. */
const settingsByPlace = new WeakMap<ClusterModel, Map<string, BundleSettings[]>>();
function settingsAt(model: ClusterModel, place: NodePlace): BundleSettings[] {
  const byPlace = settingsByPlace.get(model) ?? settingsByPlace.set(model, new Map()).get(model)!;
  const key = `${place.stateDir}\u0000${place.cluster}`; // hosts files depend on these only
  let out = byPlace.get(key);
  if (!out) {
    out = model.bundles.map(({ settings: s }) => (s.hostsFile ? { ...s, hostsFile: { path: hostsFilePath(place.stateDir, place.cluster, s.id), content: s.hostsFile.content } } : s));
    byPlace.set(key, out);
  }
  return out;
}

/** The desired state of `place.node`: the placement's replicas there (`here`: from
 * replicasByNode, else found in the placement), the bundles' settings with their hosts files under
 * the node's state dir. */
export function desiredStateOf(model: ClusterModel, place: NodePlace, placed: { placements: ReadonlyMap<string, string>; here?: readonly { bundle: number; index: number }[]; unplaced?: readonly Unplaced[] }): DesiredState {
  const here = placed.here ?? replicasByNode(model, placed.placements).get(place.node) ?? [];
  const replicas: DesiredReplica[] = [];
  for (const { bundle, index } of here) {
    const build = model.bundles[bundle].build;
    if (build) replicas.push(build(index, place));
  }
  return { node: place.node, cluster: place.cluster, bundles: settingsAt(model, place), replicas, unplaced: [...(placed.unplaced ?? [])], maintenance: model.properties.maintenance };
}
