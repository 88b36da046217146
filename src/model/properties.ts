// Cluster properties and meta attributes, resolved in one place as Pacemaker resolves them.
//
// Properties: the first cluster_property_set of crm_config that names a property wins (a set with
// a rule is not read: berth does not evaluate it, and the model says so). Meta
// attributes: a resource's own meta_attributes (first rule-less set naming it), else
// rsc_defaults' (the same way). Sets with rules are not evaluated here (rules on meta sets are
// reported by the model as not honoured).
import type { Cib } from '../cib/cib';
import { XmlElement, child, elements } from '../cib/xml';

/** Pacemaker's crm_is_true. */
export const isTrue = (v: string | undefined): boolean => v !== undefined && ['true', 'on', 'yes', 'y', '1'].includes(v.trim().toLowerCase());
/** The opposite words (an unset value is neither). */
export const isFalse = (v: string | undefined): boolean => v !== undefined && ['false', 'off', 'no', 'n', '0'].includes(v.trim().toLowerCase());

import { clusterProperty } from '../cib/nvset';
import { PlacementStrategy, readPlacementStrategy } from './utilization';

/** The first value of `name` in any cluster_property_set of crm_config (read in src/cib). */
export { clusterProperty };

/** The first rule-less set of `tag` under `e` that names `name`. */
function firstValue(e: XmlElement | undefined, tag: string, name: string): string | undefined {
  for (const set of e ? elements(e, tag) : []) {
    if (child(set, 'rule')) continue;
    for (const p of elements(set, 'nvpair')) if (p.attrs.name === name) return p.attrs.value ?? '';
  }
  return undefined;
}

/** Every name of the rule-less sets of `tag` under `e`, each with the value of the first set that
 * names it (what firstValue gives name by name). */
export function setValues(e: XmlElement | undefined, tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const set of e ? elements(e, tag) : []) {
    if (child(set, 'rule')) continue;
    for (const p of elements(set, 'nvpair')) if (p.attrs.name !== undefined && !(p.attrs.name in out)) out[p.attrs.name] = p.attrs.value ?? '';
  }
  return out;
}

/** A resource's meta attribute: its own, else the rsc_defaults'. */
export function resolveMeta(resource: XmlElement, defaults: XmlElement | undefined, name: string): string | undefined {
  return firstValue(resource, 'meta_attributes', name) ?? firstValue(defaults, 'meta_attributes', name);
}

/** The cluster properties berth acts on. */
export interface ClusterProperties {
  /** maintenance-mode: nothing is started, stopped or moved; everything is observed */
  maintenance: boolean;
  /** stop-all-resources: every bundle is stopped (as target-role=Stopped) */
  stopAll: boolean;
  /** symmetric-cluster (default true): false runs a bundle only where a constraint allows it */
  symmetric: boolean;
  /** cluster-name, shown in status */
  clusterName?: string;
  /** placement-strategy (default `default`): whether utilization is checked and how nodes are ordered */
  placementStrategy: PlacementStrategy;
  /** stonith-enabled (default true): a failed stop of a resource inside a bundle then fences its
   * guest node, which berth does by recovering the replica's container */
  stonithEnabled: boolean;
  /** start-failure-is-fatal (default true) */
  startFailureIsFatal: boolean;
}

export function readProperties(cib: Cib): ClusterProperties {
  const name = clusterProperty(cib, 'cluster-name');
  return {
    maintenance: isTrue(clusterProperty(cib, 'maintenance-mode')),
    stopAll: isTrue(clusterProperty(cib, 'stop-all-resources')),
    symmetric: !isFalse(clusterProperty(cib, 'symmetric-cluster')),
    placementStrategy: readPlacementStrategy(clusterProperty(cib, 'placement-strategy')),
    stonithEnabled: !isFalse(clusterProperty(cib, 'stonith-enabled')),
    startFailureIsFatal: !isFalse(clusterProperty(cib, 'start-failure-is-fatal')),
    ...(name ? { clusterName: name } : {}),
  };
}
