// References inside a CIB, resolved as Pacemaker resolves them when it unpacks a configuration:
// an element with `id-ref` (an nvset, an nvpair, a rule, a resource set) stands for the element
// it names, and a primitive with `template` takes its agent, attribute sets and operations from
// the <template>. The model (src/model) and the rules that judge constraints read the resolved
// view; the CIB itself is never changed, so it is written back exactly as it was read. Pure.
//
// Terms: a *reference* is one `id-ref` or `template` attribute; it is *dangling* when no element
// with that id exists, or the one that does is of another kind (`referenceProblems` says which).
import type { Cib } from './cib';
import { elementStep } from '../validate/cib-paths';
import { Attrs, XmlElement, XmlNode, attrsOf, cloneTree, isElement, walk } from './xml';

/** Elements an `id-ref` may stand in for, and what the referenced element must be. */
const REFERABLE = new Set(['meta_attributes', 'instance_attributes', 'utilization', 'cluster_property_set', 'nvpair', 'rule', 'resource_set']);
const NVSETS = new Set(['meta_attributes', 'instance_attributes', 'utilization', 'cluster_property_set']);

export interface Reference {
  /** the referring element */
  from: XmlElement;
  /** its CIB path, as problems name places */
  path: string;
  /** the attribute that refers: id-ref or template */
  attribute: 'id-ref' | 'template';
  id: string;
  /** the referenced element, when it exists and is of the right kind */
  to?: XmlElement;
  /** the referenced element's tag when it exists but is of another kind */
  wrongKind?: string;
}

const isReference = (e: XmlElement) => (e.attrs['id-ref'] !== undefined && REFERABLE.has(e.tag)) || (e.tag === 'primitive' && e.attrs.template !== undefined);
const compatible = (from: string, to: string) => from === to || (NVSETS.has(from) && NVSETS.has(to));

/** Every reference in the configuration, in document order, each with what it resolves to. */
export function references(cib: Cib): Reference[] {
  const ids = new Map<string, XmlElement>();
  const paths = new Map<XmlElement, string>();
  const refs: XmlElement[] = [];
  walk(cib, (e, parent) => {
    if (parent === cib && e.tag === 'status') return false;
    paths.set(e, `${parent ? paths.get(parent) : ''}/${elementStep(e)}`);
    if (e.attrs.id !== undefined && !ids.has(e.attrs.id)) ids.set(e.attrs.id, e);
    if (isReference(e)) refs.push(e);
  });
  return refs.map((from): Reference => {
    const attribute = from.tag === 'primitive' && from.attrs.template !== undefined ? 'template' : 'id-ref';
    const id = from.attrs[attribute];
    const target = ids.get(id);
    const at = { from, path: paths.get(from)!, attribute, id } as const;
    if (!target || target === from) return at;
    if (attribute === 'template' ? target.tag !== 'template' : !compatible(from.tag, target.tag)) return { ...at, wrongKind: target.tag };
    return { ...at, to: target };
  });
}

/** Whether a CIB has any reference to resolve (a quick test, so that most CIBs are not copied). */
export function hasReferences(cib: Cib): boolean {
  let found = false;
  walk(cib, (e, parent) => {
    if (found || (parent === cib && e.tag === 'status')) return false;
    if (isReference(e)) found = true;
  });
  return found;
}

/**
 * The CIB with every resolvable reference replaced by what it stands for: a copy when there is
 * any, else the CIB itself. A dangling reference is left as written (the rules report it).
 */
export function resolveReferences(cib: Cib): Cib {
  if (!hasReferences(cib)) return cib;
  const copy = cloneTree(cib);
  const byElement = new Map<XmlElement, Reference>();
  for (const r of references(copy)) byElement.set(r.from, r);
  // A referenced element may itself refer (a set by reference holding pairs by reference): the
  // targets are resolved first, once each, and a loop is left as written.
  const done = new Map<XmlElement, XmlElement>();
  const resolving = new Set<XmlElement>();
  const resolved = (e: XmlElement): XmlElement => {
    const hit = done.get(e);
    if (hit) return hit;
    if (resolving.has(e)) return e;
    resolving.add(e);
    const r = byElement.get(e);
    const out = resolveChildren(r?.to ? (r.attribute === 'template' ? fromTemplate(e, resolved(r.to)) : byIdRef(e, resolved(r.to))) : e);
    resolving.delete(e);
    done.set(e, out);
    return out;
  };
  const resolveChildren = (e: XmlElement): XmlElement => {
    let changed = false;
    const children = e.children.map((c) => {
      if (!isElement(c)) return c;
      const n = resolved(c);
      if (n !== c) changed = true;
      return n;
    });
    return changed ? { tag: e.tag, attrs: e.attrs, children } : e;
  };
  // <status> is Pacemaker's record, with no references to resolve
  const root: XmlElement = { tag: copy.tag, attrs: copy.attrs, children: copy.children.map((c) => (isElement(c) && c.tag !== 'status' ? resolved(c) : c)) };
  return root;
}

/** What an element with id-ref stands for: the referenced element under the referring tag; an
 * nvpair keeps a name of its own (Pacemaker's nvset schema allows one beside id-ref). */
function byIdRef(from: XmlElement, to: XmlElement): XmlElement {
  const attrs: Attrs = attrsOf(to.attrs);
  if (from.tag === 'nvpair' && from.attrs.name !== undefined) attrs.name = from.attrs.name;
  return { tag: from.tag, attrs, children: to.children.map((c) => cloneTree(c)) };
}

/** A primitive made from its template: the template's agent, the primitive's own attributes and
 * children first (its own attribute sets win), then the template's; an operation of the
 * template is kept unless the primitive has one of the same name and interval. */
function fromTemplate(p: XmlElement, t: XmlElement): XmlElement {
  const attrs: Attrs = attrsOf();
  for (const k of ['class', 'provider', 'type']) if (t.attrs[k] !== undefined) attrs[k] = t.attrs[k];
  for (const [k, v] of Object.entries(p.attrs)) if (k !== 'template') attrs[k] = v;
  const children: XmlNode[] = p.children.map((c) => cloneTree(c));
  const ownOps = children.find((c): c is XmlElement => isElement(c) && c.tag === 'operations');
  for (const c of t.children) {
    if (!isElement(c)) continue;
    if (c.tag === 'operations' && ownOps) {
      const key = (o: XmlElement) => `${o.attrs.name ?? ''}_${o.attrs.interval ?? '0'}`;
      const have = new Set(ownOps.children.filter(isElement).map(key));
      for (const op of c.children) if (isElement(op) && !have.has(key(op))) ownOps.children.push(cloneTree(op));
    } else {
      children.push(cloneTree(c));
    }
  }
  return { tag: 'primitive', attrs, children };
}
