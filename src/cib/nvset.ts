// Name/value sets (meta_attributes, instance_attributes, cluster_property_set) as pcs edits them
// (lib/cib/nvpair.py): nvpair ids are `<set id>-<name>`, new pairs go in name order, an empty
// value removes the pair, and sets are never removed even when emptied (ACLs may forbid it).
import { IdProvider } from '../validate/ids';
import { sanitizeId } from './cib';
import { XmlElement, child, el, elements, isElement } from './xml';

/** pcs's create_subelement_id: `<context id or tag>-<suffix>`, sanitized, made unique. */
export function subelementId(context: XmlElement, suffix: string, ids: IdProvider): string {
  return ids.allocate(sanitizeId(`${context.attrs.id ?? context.tag}-${suffix}`));
}

export function setNvpair(nvset: XmlElement, name: string, value: string, ids: IdProvider): void {
  const i = nvset.children.findIndex((c) => isElement(c) && c.tag === 'nvpair' && c.attrs.name === name);
  if (i < 0) {
    if (value) nvset.children.push(el('nvpair', { id: subelementId(nvset, name, ids), name, value }));
  } else if (value) {
    (nvset.children[i] as XmlElement).attrs.value = value;
  } else {
    nvset.children.splice(i, 1);
  }
}

const sortedEntries = (pairs: Record<string, string>) => Object.entries(pairs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** pcs's append_new_nvset: a new set appended when it holds something. */
export function appendNewNvset(tag: string, context: XmlElement, pairs: Record<string, string>, ids: IdProvider): void {
  const set = el(tag, { id: subelementId(context, tag, ids) });
  for (const [name, value] of sortedEntries(pairs)) set.children.push(el('nvpair', { id: subelementId(set, name, ids), name, value }));
  if (set.children.length) context.children.push(set);
}

/** pcs's arrange_first_nvset: update the first set of that tag, or create one at index 0. */
export function arrangeFirstNvset(tag: string, context: XmlElement, pairs: Record<string, string>, ids: IdProvider): void {
  if (!Object.keys(pairs).length) return;
  let set = child(context, tag);
  const isNew = !set;
  if (!set) set = el(tag, { id: subelementId(context, tag, ids) });
  for (const [name, value] of sortedEntries(pairs)) setNvpair(set, name, value, ids);
  if (isNew && set.children.length) context.children.unshift(set);
}

export function nvpairs(nvset: XmlElement | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (nvset) for (const p of elements(nvset, 'nvpair')) if (p.attrs.name !== undefined) out[p.attrs.name] = p.attrs.value ?? '';
  return out;
}

/** Meta attribute value as the scheduler sees it (first set wins). */
export function metaValue(resource: XmlElement, name: string): string | undefined {
  for (const set of elements(resource, 'meta_attributes')) {
    for (const p of elements(set, 'nvpair')) if (p.attrs.name === name) return p.attrs.value;
  }
  return undefined;
}

/** The first value of `name` in any cluster_property_set of crm_config (Pacemaker's reading); a
 * set with a rule is not evaluated by berth and not read (the model warns it NOT_HONOURED). */
export function clusterProperty(cib: XmlElement, name: string): string | undefined {
  const crm = child(child(cib, 'configuration') ?? cib, 'crm_config');
  for (const set of crm ? elements(crm, 'cluster_property_set') : []) {
    if (child(set, 'rule')) continue;
    for (const p of elements(set, 'nvpair')) if (p.attrs.name === name) return p.attrs.value ?? '';
  }
  return undefined;
}
