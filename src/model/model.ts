// The model: a valid CIB read ONCE into typed configuration — the cluster's properties, its
// nodes, its bundles (settings, placement demand, how to build each replica) and the location
// and colocation constraints, the order constraints. Placement, the desired state, the plan and status all take the model; none of them
// walks the XML again. Pure: files named in bundle options come in through the context.
import type { Cib } from '../cib/cib';
import { child, elements } from '../cib/xml';
import { Problem, warning } from '../errors/registry';
import { CibNode, readNodes } from './nodes';
import { BundleModel, ReadContext, readBundle } from './bundle';
import { LocationConstraint, readLocationConstraints } from './constraints';
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
  const properties = readProperties(cib);
  let readsFiles = false;
  const read = ctx.readFile;
  const counted: ReadContext = { ...ctx, ...(read ? { readFile: (path: string) => { readsFiles = true; return read(path); } } : {}) };
  const bundles = (resources ? elements(resources, 'bundle') : []).filter((b) => b.attrs.id !== undefined).map((b) => readBundle(b, defaults, properties, counted));
  const problems: Problem[] = [];
  const ids = new Set(bundles.filter((b) => b.placement).map((b) => b.settings.id));
  const constraints = readLocationConstraints(cib, ids, problems);
  const placed = new Map(bundles.flatMap((b) => (b.placement ? [[b.settings.id, b.placement] as const] : [])));
  const colocations = readColocations(cib, placed, problems);
  const orders = readOrders(cib, new Set(bundles.map((b) => b.settings.id)), problems);
  problems.push(...notHonoured(cib, bundles));
  return { properties, nodes: readNodes(cib), bundles, constraints, colocations, orders, problems, readsFiles };
}

/** What the CIB holds that berth does not act on yet: said, never silently dropped. */
function notHonoured(cib: Cib, bundles: readonly BundleModel[]): Problem[] {
  const out: Problem[] = [];
  for (const b of bundles) {
    const where = `/cib/configuration/resources/bundle[@id='${b.settings.id}']`;
    if (b.resource) {
      const a = b.resource.agent;
      out.push(warning('NOT_HONOURED', { path: `${where}/primitive[@id='${b.resource.id}']`, value: b.resource.id, message: `resource '${b.resource.id}' (${a.class}${a.provider ? `:${a.provider}` : ''}:${a.type}) inside bundle '${b.settings.id}' is not run yet: berth runs the bundle's containers only, with no agent operations inside them` }));
    }
    if (b.promotedMax > 0) out.push(warning('NOT_HONOURED', { path: `${where}/@promoted-max`, value: String(b.promotedMax), message: `bundle '${b.settings.id}': promoted-max=${b.promotedMax} is not acted on yet: no replica is promoted` }));
  }
  const section = child(child(cib, 'configuration') ?? cib, 'constraints');
  for (const c of section ? elements(section) : []) {
    // colocations are placement's, orders the pass's (src/model/colocation.ts, order.ts say which
    // are not acted on)
    if (c.tag !== 'rsc_ticket') continue;
    out.push(warning('NOT_HONOURED', { path: `/cib/configuration/constraints/${c.tag}[@id='${c.attrs.id ?? ''}']`, value: c.attrs.id ?? '', message: `ticket constraint '${c.attrs.id ?? ''}' is not acted on yet: berth places and starts bundles without ticket constraints` }));
  }
  return out;
}
