// The model: a valid CIB read ONCE into typed configuration — the cluster's properties, its
// nodes, its bundles (settings, placement demand, how to build each replica) and the location
// and colocation constraints, the order constraints. Placement, the desired state, the plan and status all take the model; none of them
// walks the XML again. Pure: files named in bundle options come in through the context.
import type { Cib } from '../cib/cib';
import { XmlElement, child, elements } from '../cib/xml';
import { resolveReferences } from '../cib/references';
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

export function readModel(written: Cib, ctx: ReadContext = {}): ClusterModel {
  // Pacemaker's view: nvsets, pairs, rules and sets by reference stand for what they name, a
  // primitive from a template has the template's agent, sets and operations
  const cib = resolveReferences(written);
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
  const conf = child(cib, 'configuration') ?? cib;
  out.push(...outsideBundles(conf));
  const section = child(conf, 'constraints');
  for (const c of section ? elements(section) : []) {
    // deprecated in Pacemaker 2.1.5 and not evaluated by berth: the constraint holds at all times
    if (child(c, 'lifetime')) out.push(warning('NOT_HONOURED', { path: `/cib/configuration/constraints/${c.tag}[@id='${c.attrs.id ?? ''}']/lifetime`, value: c.attrs.id ?? '', message: `the <lifetime> of constraint '${c.attrs.id ?? ''}' (deprecated since Pacemaker 2.0) is not evaluated: berth applies the constraint at all times; put its rules in the constraint instead` }));
    // colocations are placement's, orders the pass's (src/model/colocation.ts, order.ts say which
    // are not acted on)
    if (c.tag !== 'rsc_ticket') continue;
    out.push(warning('NOT_HONOURED', { path: `/cib/configuration/constraints/${c.tag}[@id='${c.attrs.id ?? ''}']`, value: c.attrs.id ?? '', message: `ticket constraint '${c.attrs.id ?? ''}' is not acted on yet: berth places and starts bundles without ticket constraints` }));
  }
  return out;
}

const RESOURCE_KINDS: Record<string, string> = { primitive: 'resource', group: 'group', clone: 'clone', master: 'promotable clone' };

/** The parts of a configuration berth keeps and writes back but does not act on: resources that
 * are no bundle, attribute sets with rules (cluster properties, a bundle's meta attributes,
 * resource defaults), ACLs, alerts and fencing levels. */
function outsideBundles(conf: XmlElement): Problem[] {
  const out: Problem[] = [];
  const say = (path: string, value: string, message: string) => out.push(warning('NOT_HONOURED', { path, value, message }));
  const resources = child(conf, 'resources');
  for (const r of resources ? elements(resources) : []) {
    const kind = RESOURCE_KINDS[r.tag];
    const id = r.attrs.id ?? '';
    const path = `/cib/configuration/resources/${r.tag}[@id='${id}']`;
    if (kind) say(path, id, `${kind} '${id}' is not run: berth runs bundles only (it is kept in the CIB and written back as it is)`);
    if (r.tag === 'bundle') {
      for (const set of elements(r, 'meta_attributes')) if (child(set, 'rule')) say(`${path}/meta_attributes[@id='${set.attrs.id ?? ''}']`, set.attrs.id ?? '', `meta attributes '${set.attrs.id ?? ''}' of bundle '${id}' have a rule: berth does not evaluate rules in attribute sets, so the set is not used`);
    }
  }
  const crm = child(conf, 'crm_config');
  for (const set of crm ? elements(crm, 'cluster_property_set') : []) {
    if (child(set, 'rule')) say(`/cib/configuration/crm_config/cluster_property_set[@id='${set.attrs.id ?? ''}']`, set.attrs.id ?? '', `cluster properties '${set.attrs.id ?? ''}' have a rule: berth does not evaluate rules in attribute sets, so the set is not used`);
  }
  const defaults = child(conf, 'rsc_defaults');
  for (const set of defaults ? elements(defaults, 'meta_attributes') : []) {
    if (child(set, 'rule')) say(`/cib/configuration/rsc_defaults/meta_attributes[@id='${set.attrs.id ?? ''}']`, set.attrs.id ?? '', `resource defaults '${set.attrs.id ?? ''}' have a rule: berth does not evaluate rules in attribute sets, so the set is not used`);
  }
  const sections: Record<string, string> = {
    acls: 'ACLs are not enforced: whoever can write berth\'s store or file can change everything',
    alerts: 'alerts are not sent: berth runs no alert agents',
    'fencing-topology': 'fencing levels are not used: berth fences a node by its lease (docs/cluster.md)',
  };
  for (const [tag, message] of Object.entries(sections)) {
    const s = child(conf, tag);
    if (s && elements(s).length) say(`/cib/configuration/${tag}`, tag, message);
  }
  return out;
}
