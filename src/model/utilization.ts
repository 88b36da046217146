// Utilization as Pacemaker 2.1.5 reads it: a node's capacity (`<node><utilization>`) and what a
// bundle's replica uses. A bundle has no <utilization> of its own (the schema allows none); the
// resource inside it may, and Pacemaker moves those values to each replica's container
// (lib/pengine/bundle.c), so a replica uses its inner primitive's utilization on its node.
// `placement-strategy` says whether capacity is checked and how nodes are ordered. Pure.
//
// Values are integers (src/validate/utilization-rules.ts refuses anything else, and sets with
// rules, before the model is read); several sets are merged, the first naming a value wins.
import { XmlElement, child, elements } from '../cib/xml';

export type PlacementStrategy = 'default' | 'utilization' | 'minimal' | 'balanced';
export const PLACEMENT_STRATEGIES: readonly PlacementStrategy[] = ['default', 'utilization', 'minimal', 'balanced'];

/** name → amount (a node's capacity, or what one replica uses) */
export type Utilization = Record<string, number>;

/** Pacemaker's integer: an optional sign and digits. */
export const UTILIZATION_VALUE = /^\s*[+-]?\d+\s*$/;

/** The `<utilization>` sets of an element merged (the first set naming a value wins), as integers. */
export function readUtilization(e: XmlElement | undefined): Utilization {
  const out: Utilization = Object.create(null) as Utilization;
  for (const set of e ? elements(e, 'utilization') : []) {
    for (const p of elements(set, 'nvpair')) {
      const name = p.attrs.name;
      if (name === undefined || name in out) continue;
      const v = p.attrs.value ?? '';
      out[name] = UTILIZATION_VALUE.test(v) ? Number(v.trim()) : 0;
    }
  }
  return out;
}

/** What one replica of a bundle uses: its inner primitive's utilization (none without one). */
export function bundleUtilization(bundle: XmlElement): Utilization {
  return readUtilization(child(bundle, 'primitive'));
}

/** placement-strategy, case-insensitive as Pacemaker compares it; anything else is `default`
 * (validation refuses it first). */
export function readPlacementStrategy(value: string | undefined): PlacementStrategy {
  const v = (value ?? 'default').trim().toLowerCase();
  return (PLACEMENT_STRATEGIES as readonly string[]).includes(v) ? (v as PlacementStrategy) : 'default';
}

/** `{ utilization }` when there is any, else nothing (a record without it reads as before). */
export function utilizationOf(u: Utilization): { utilization?: Utilization } {
  return Object.keys(u).length ? { utilization: u } : {};
}
