// The CIB as gitops sees it. Pure functions over trees.
//
// - source view: what gitops manages of a source CIB — its <configuration>, without comments. The
//   root's attributes (versions, validate-with) and <status> belong to the cluster.
// - projection of the live CIB onto a source view: the live CIB seen through the source's eyes —
//   only the elements the source has (matched by tag + id, an id-less element by its place among
//   same-tag siblings) and, of those, only the attributes the source sets, in the source's order.
//   `diff(projection(live, S), S)` is exactly what differs in what S sets: drift, or what a first
//   sync changes. Anything else in the live CIB is left out, so a push never touches it.
// - aligned order: a new source CIB whose children follow the base's order wherever the base has
//   them, so reordering siblings in the source is not a change (a move would conflict with any
//   live sibling the source does not know of). Where order means something (group members, sets,
//   ACLs), the source's order is kept.
import { Cib } from '../cib/cib';
import { XmlElement, XmlNode, child, cloneTree, el, isElement } from '../cib/xml';

const ORDERED_PARENTS = new Set(['group', 'resource_set', 'acl_target', 'acl_group', 'acl_user', 'acl_role']);

/** `<cib>` holding only the source's `<configuration>`, comments removed. */
export function sourceView(cib: Cib): Cib {
  const conf = child(cib, 'configuration');
  return el('cib', {}, conf ? [withoutComments(conf)] : []);
}

function withoutComments(e: XmlElement): XmlElement {
  return { tag: e.tag, attrs: { ...e.attrs }, children: e.children.filter((c) => !('comment' in c)).map((c) => (isElement(c) ? withoutComments(c) : { ...c })) };
}

/** Key of a child among its siblings: tag + id, or tag + its index among id-less same-tag siblings. */
function keyedChildren(parent: XmlElement): Map<string, XmlElement> {
  const out = new Map<string, XmlElement>();
  const idless = new Map<string, number>();
  for (const c of parent.children) {
    if (!isElement(c)) continue;
    let k: string;
    if (c.attrs.id !== undefined) k = `${c.tag}#${c.attrs.id}`;
    else {
      const n = idless.get(c.tag) ?? 0;
      idless.set(c.tag, n + 1);
      k = `${c.tag}@${n}`;
    }
    if (!out.has(k)) out.set(k, c);
  }
  return out;
}

/** Pairs (source child, live child or undefined), in the source's order. */
export function matchChildren(source: XmlElement, live: XmlElement | undefined): [string, XmlElement, XmlElement | undefined][] {
  const inLive = live ? keyedChildren(live) : new Map<string, XmlElement>();
  return [...keyedChildren(source)].map(([k, s]) => [k, s, inLive.get(k)]);
}

/** The live CIB projected onto a source view (see the top of the file). */
export function projection(live: Cib, view: Cib): Cib {
  const sc = child(view, 'configuration');
  const lc = child(live, 'configuration');
  return el('cib', {}, sc && lc ? [project(lc, sc)] : []);
}

/** One live element projected onto the source's element of the same key. */
export function project(l: XmlElement, s: XmlElement): XmlElement {
  const attrs: Record<string, string> = {};
  for (const name of Object.keys(s.attrs)) if (l.attrs[name] !== undefined) attrs[name] = l.attrs[name];
  const children: XmlNode[] = [];
  for (const [, sc, lc] of matchChildren(s, l)) if (lc) children.push(project(lc, sc));
  // Text content (rare in a CIB) is part of the element: keep the live one.
  for (const c of l.children) if (!isElement(c) && !('comment' in c)) children.push({ ...c });
  return { tag: s.tag, attrs, children };
}

/** `next` with its children in `base`'s order where base has them (see the top of the file). */
export function alignOrder(base: XmlElement, next: XmlElement): XmlElement {
  const inBase = keyedChildren(base);
  const rank = new Map<string, number>();
  [...inBase.keys()].forEach((k, i) => rank.set(k, i));
  const kids = [...keyedChildren(next)];
  const keyOf = new Map<XmlElement, string>(kids.map(([k, e]) => [e, k]));
  const out: XmlElement = { tag: next.tag, attrs: { ...next.attrs }, children: [] };
  if (ORDERED_PARENTS.has(next.tag)) {
    out.children = next.children.map((c) => {
      const k = isElement(c) ? keyOf.get(c) : undefined;
      const b = k ? inBase.get(k) : undefined;
      return isElement(c) && b ? alignOrder(b, c) : cloneTree(c);
    });
    return out;
  }
  // Matched children sorted by their place in base; the others follow the matched child that
  // precedes them in `next` (or lead, when none does).
  const leading: XmlNode[] = [];
  const groups: { rank: number; nodes: XmlNode[] }[] = [];
  for (const c of next.children) {
    const k = isElement(c) ? keyOf.get(c) : undefined;
    const b = k !== undefined ? inBase.get(k) : undefined;
    if (isElement(c) && b && k !== undefined) groups.push({ rank: rank.get(k)!, nodes: [alignOrder(b, c)] });
    else (groups.length ? groups[groups.length - 1].nodes : leading).push(cloneTree(c));
  }
  groups.sort((a, b) => a.rank - b.rank);
  out.children = [...leading, ...groups.flatMap((g) => g.nodes)];
  return out;
}

// ---- top-level resources: what the source creates, owns and prunes ----

/** The ids of the children of <resources> (bundles, primitives, groups, clones). */
export function topResources(cib: Cib): Map<string, XmlElement> {
  const res = child(child(cib, 'configuration') ?? el('configuration'), 'resources');
  const out = new Map<string, XmlElement>();
  for (const c of res?.children ?? []) if (isElement(c) && c.attrs.id !== undefined) out.set(c.attrs.id, c);
  return out;
}

/** The <resources> element of a view, created when missing. */
export function resourcesOf(cib: Cib): XmlElement {
  let conf = child(cib, 'configuration');
  if (!conf) cib.children.push((conf = el('configuration')));
  let res = child(conf, 'resources');
  if (!res) conf.children.push((res = el('resources')));
  return res;
}
