// resource delete / enable / disable (and berth's own `config --json`), as pcs does them for bundles, primitives, groups
// and clones. Deleting a resource also removes what refers to it: constraints (and resource sets
// that become empty), tag references.
import { Cib, section } from '../cib/cib';
import { arrangeFirstNvset, nvpairs } from '../cib/nvset';
import { XmlElement, child, elements, isElement, walk } from '../cib/xml';
import { BerthError, Problem, problem } from '../errors/registry';
import { EditCommand } from './edit';
import { IdProvider } from '../validate/ids';
import { containerOf, replicaCount } from '../validate/bundle-rules';

export const RESOURCE_TAGS = new Set(['primitive', 'group', 'clone', 'master', 'bundle']);

interface Located {
  el: XmlElement;
  parent: XmlElement;
}

/** Find a resource by id under <resources>, with its parent. */
export function findResource(cib: Cib, id: string): Located | undefined {
  let found: Located | undefined;
  walk(section(cib, 'resources'), (e, parent) => {
    if (found) return false;
    if (parent && RESOURCE_TAGS.has(e.tag) && e.attrs.id === id) found = { el: e, parent };
  });
  return found;
}

function requireResources(cib: Cib, ids: string[]): Located[] {
  if (!ids.length) throw new BerthError([problem('USAGE', { message: 'You must specify resource(s) to change' })]);
  const problems: Problem[] = [];
  const out: Located[] = [];
  for (const id of ids) {
    const r = findResource(cib, id);
    if (r) out.push(r);
    else problems.push(problem('ID_NOT_FOUND', { path: 'resource', value: id, message: `bundle/clone/group/resource '${id}' does not exist` }));
  }
  if (problems.length) throw new BerthError(problems);
  return out;
}

function removeChild(parent: XmlElement, el: XmlElement): void {
  const i = parent.children.indexOf(el);
  if (i >= 0) parent.children.splice(i, 1);
}

const REF_ATTRS = ['rsc', 'with-rsc', 'first', 'then'];

/** pcs's remove_resource_references: constraints naming the id, set members, tag refs. */
function removeReferences(cib: Cib, id: string, log: string[]): void {
  const constraints = section(cib, 'constraints');
  for (const c of [...constraints.children]) {
    if (!isElement(c)) continue;
    if (REF_ATTRS.some((a) => c.attrs[a] === id)) {
      removeChild(constraints, c);
      log.push(`Removing Constraint - ${c.attrs.id}`);
      continue;
    }
    for (const set of elements(c, 'resource_set')) {
      const refs = elements(set, 'resource_ref');
      const hit = refs.filter((r) => r.attrs.id === id);
      if (!hit.length) continue;
      for (const h of hit) removeChild(set, h);
      log.push(`Removing ${id} from set ${set.attrs.id}`);
      if (!elements(set, 'resource_ref').length) {
        removeChild(c, set);
        log.push(`Removing set ${set.attrs.id}`);
        if (!elements(c, 'resource_set').length) {
          removeChild(constraints, c);
          log.push(`Removing constraint ${c.attrs.id}`);
        }
      }
    }
  }
  const conf = child(cib, 'configuration');
  const tags = conf && child(conf, 'tags');
  if (tags) {
    for (const tag of elements(tags, 'tag')) {
      for (const ref of elements(tag, 'obj_ref')) if (ref.attrs.id === id) removeChild(tag, ref);
      if (!elements(tag, 'obj_ref').length) {
        removeChild(tags, tag);
        removeReferences(cib, tag.attrs.id, log);
      }
    }
  }
}

function deleteOne(cib: Cib, loc: Located, log: string[]): void {
  const { el, parent } = loc;
  const id = el.attrs.id;
  if (el.tag === 'bundle') {
    const inner = child(el, 'primitive');
    log.push(inner ? `Deleting bundle '${id}' and its inner resource '${inner.attrs.id}'` : `Deleting bundle '${id}'`);
    if (inner) {
      removeReferences(cib, inner.attrs.id, log);
      log.push(`Deleting Resource - ${inner.attrs.id}`);
    }
    removeReferences(cib, id, log);
    removeChild(parent, el);
    return;
  }
  if (el.tag === 'group') {
    log.push(`Removing group: ${id} (and all resources within group)`);
    for (const p of elements(el, 'primitive')) {
      const at = findResource(cib, p.attrs.id);
      if (at) deleteOne(cib, at, log);
    }
    return;
  }
  if (el.tag === 'clone' || el.tag === 'master') {
    const inner = elements(el).find((c) => RESOURCE_TAGS.has(c.tag));
    if (inner) return deleteOne(cib, { el: inner, parent: el }, log);
    removeReferences(cib, id, log);
    removeChild(parent, el);
    return;
  }
  // a primitive: an emptied group goes with it, and so does a clone around it
  removeReferences(cib, id, log);
  log.push(`Deleting Resource - ${id}`);
  removeChild(parent, el);
  if (parent.tag === 'group' && !elements(parent, 'primitive').length) {
    const gp = findResource(cib, parent.attrs.id);
    removeReferences(cib, parent.attrs.id, log);
    if (gp) {
      removeChild(gp.parent, parent);
      if (gp.parent.tag === 'clone' || gp.parent.tag === 'master') {
        const cp = findResource(cib, gp.parent.attrs.id);
        removeReferences(cib, gp.parent.attrs.id, log);
        if (cp) removeChild(cp.parent, gp.parent);
      }
    }
  } else if (parent.tag === 'clone' || parent.tag === 'master') {
    const cp = findResource(cib, parent.attrs.id);
    removeReferences(cib, parent.attrs.id, log);
    if (cp) removeChild(cp.parent, parent);
  }
}

export const resourceDelete: EditCommand = ({ cib, args }) => {
  const targets = requireResources(cib, args);
  const log: string[] = [];
  for (const t of targets) {
    const again = findResource(cib, t.el.attrs.id);
    if (again) deleteOne(cib, again, log);
  }
  return { warnings: [], notes: log };
};

function setTargetRole(cib: Cib, els: XmlElement[], value: string): void {
  const ids = new IdProvider(cib);
  for (const el of els) arrangeFirstNvset('meta_attributes', el, { 'target-role': value }, ids);
}

export const resourceDisable: EditCommand = ({ cib, args }) => {
  setTargetRole(cib, requireResources(cib, args).map((r) => r.el), 'Stopped');
  return { warnings: [] };
};

/** pcs's find_resources_to_enable: a bundle or clone with its inner resource, a resource with its clone/bundle parent. */
export const resourceEnable: EditCommand = ({ cib, args }) => {
  const set = new Set<XmlElement>();
  for (const { el, parent } of requireResources(cib, args)) {
    set.add(el);
    if (el.tag === 'bundle') { const inner = child(el, 'primitive'); if (inner) set.add(inner); }
    else if (el.tag === 'clone' || el.tag === 'master') { const inner = elements(el).find((c) => RESOURCE_TAGS.has(c.tag)); if (inner) set.add(inner); }
    else if (parent.tag === 'clone' || parent.tag === 'master' || parent.tag === 'bundle') set.add(parent);
  }
  setTargetRole(cib, [...set], '');
  return { warnings: [] };
};

// ---- config: berth's --json (pcs's formats are in resource-config.ts) ----

export interface BundleConfig {
  id: string;
  container: { type: string; options: Record<string, string> } | null;
  replicas: number;
  network: Record<string, string> | null;
  portMaps: Record<string, string>[];
  storageMaps: Record<string, string>[];
  meta: Record<string, string>;
  resource: { id: string; agent: string; options: Record<string, string>; meta: Record<string, string>; operations: Record<string, string>[] } | null;
}

export function bundleConfig(b: XmlElement): BundleConfig {
  const container = containerOf(b);
  const network = child(b, 'network');
  const storage = child(b, 'storage');
  const inner = child(b, 'primitive');
  return {
    id: b.attrs.id,
    container: container ? { type: container.tag, options: { ...container.attrs } } : null,
    replicas: replicaCount(container),
    network: network ? { ...network.attrs } : null,
    portMaps: network ? elements(network, 'port-mapping').map((p) => ({ ...p.attrs })) : [],
    storageMaps: storage ? elements(storage, 'storage-mapping').map((s) => ({ ...s.attrs })) : [],
    meta: nvpairs(child(b, 'meta_attributes')),
    resource: inner ? primitiveConfig(inner) : null,
  };
}

export function primitiveConfig(p: XmlElement) {
  const ops = child(p, 'operations');
  return {
    id: p.attrs.id,
    agent: [p.attrs.class, p.attrs.provider, p.attrs.type].filter(Boolean).join(':'),
    options: nvpairs(child(p, 'instance_attributes')),
    meta: nvpairs(child(p, 'meta_attributes')),
    operations: ops ? elements(ops, 'op').map((o) => ({ ...o.attrs })) : [],
  };
}

/**
 * berth's own `resource config --json` (older than `--output-format json`, which prints pcs's DTO):
 * the given resources (any, stonith devices too) or the top-level ones, tagged by kind; bundles and
 * primitives in full.
 */
export function berthResourcesJson(cib: Cib, ids: string[]): string {
  const resources = section(cib, 'resources');
  const targets = ids.length ? requireResources(cib, ids).map((r) => r.el) : elements(resources).filter((e) => RESOURCE_TAGS.has(e.tag));
  const out = targets.map((t) => (t.tag === 'bundle' ? { kind: 'bundle', ...bundleConfig(t) } : t.tag === 'primitive' ? { kind: 'primitive', ...primitiveConfig(t) } : { kind: t.tag, id: t.attrs.id }));
  return JSON.stringify({ resources: out }, null, 2) + '\n';
}
