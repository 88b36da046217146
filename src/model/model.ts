// The model: a valid CIB read ONCE into typed configuration — the cluster's properties, its
// nodes, its bundles (settings, placement demand, how to build each replica) and the location
// and colocation constraints, the order constraints. Placement, the desired state, the plan and status all take the model; none of them
// walks the XML again. Pure: files named in bundle options come in through the context.
import type { Cib } from '../cib/cib';
import { child, elements } from '../cib/xml';
import { Problem, warning } from '../errors/registry';
import { CibNode, readNodes } from './nodes';
import { BundleModel, ReadContext, readBundle } from './bundle';
import { LocationConstraint, PromotedLocation, readLocationConstraints, readPromotedLocations } from './constraints';
import { Colocation, readColocations } from './colocation';
import { OrderPair, readOrders } from './order';
import { ClusterProperties, readProperties } from './properties';

export interface ClusterModel {
  properties: ClusterProperties;
  /** the configuration's nodes, in CIB order (attributes and standby resolved) */
  nodes: CibNode[];
  /** in CIB order */
  bundles: BundleModel[];
  constraints: LocationConstraint[];
  /** rsc_location role=Promoted scores: promotion priority on a node */
  promotedLocations: PromotedLocation[];
  /** rsc_colocation between bundles, as pairs (sets expanded), in CIB order */
  colocations: Colocation[];
  /** rsc_order between bundles, as "then waits for first" pairs (sets and inverses expanded) */
  orders: OrderPair[];
  /** parts of the configuration that are not acted on as written (warnings) */
  problems: Problem[];
  /** a bundle's options read a file (--env-file, a seccomp profile): the model depends on more
   * than the CIB's text, so it is read again every pass */
  readsFiles: boolean;
}

export function readModel(cib: Cib, ctx: ReadContext = {}): ClusterModel {
  const conf = child(cib, 'configuration');
  const resources = conf && child(conf, 'resources');
  const defaults = conf && child(conf, 'rsc_defaults');
  const opDefaults = conf && child(conf, 'op_defaults');
  const properties = readProperties(cib);
  let readsFiles = false;
  const read = ctx.readFile;
  const counted: ReadContext = { ...ctx, ...(read ? { readFile: (path: string) => { readsFiles = true; return read(path); } } : {}) };
  const bundles = (resources ? elements(resources, 'bundle') : []).filter((b) => b.attrs.id !== undefined).map((b) => readBundle(b, defaults, properties, counted, opDefaults));
  const problems: Problem[] = [];
  const ids = new Set(bundles.filter((b) => b.placement).map((b) => b.settings.id));
  const promotable = new Set(bundles.filter((b) => b.resource && b.promotedMax > 0).map((b) => b.settings.id));
  const constraints = readLocationConstraints(cib, ids, problems, promotable);
  const promotedLocations = readPromotedLocations(cib, promotable);
  const placed = new Map(bundles.flatMap((b) => (b.placement ? [[b.settings.id, b.placement] as const] : [])));
  const colocations = readColocations(cib, placed, problems);
  const orders = readOrders(cib, new Set(bundles.map((b) => b.settings.id)), problems);
  problems.push(...notHonoured(cib));
  return { properties, nodes: readNodes(cib), bundles, constraints, promotedLocations, colocations, orders, problems, readsFiles };
}

/** What the CIB holds that berth does not act on yet: said, never silently dropped. */
function notHonoured(cib: Cib): Problem[] {
  const out: Problem[] = [];
  const section = child(child(cib, 'configuration') ?? cib, 'constraints');
  for (const c of section ? elements(section) : []) {
    // colocations are placement's, orders the pass's (src/model/colocation.ts, order.ts say which
    // are not acted on)
    if (c.tag !== 'rsc_ticket') continue;
    out.push(warning('NOT_HONOURED', { path: `/cib/configuration/constraints/${c.tag}[@id='${c.attrs.id ?? ''}']`, value: c.attrs.id ?? '', message: `ticket constraint '${c.attrs.id ?? ''}' is not acted on yet: berth places and starts bundles without ticket constraints` }));
  }
  return out;
}
