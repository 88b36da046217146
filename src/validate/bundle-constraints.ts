// The constraints of one kind that name a bundle, directly or in a resource set: what the
// colocation and order rules check (a constraint about resources berth does not run is the
// model's to warn about). Pure.
import type { Cib } from '../cib/cib';
import { XmlElement, child, elements, walk } from '../cib/xml';

/** The CIB's bundle ids, and its `tag` constraints whose `ends` or set members name one of them. */
export function constraintsNamingBundles(cib: Cib, tag: string, ends: readonly string[]): { bundles: Set<string>; constraints: XmlElement[] } {
  const conf = child(cib, 'configuration');
  const section = conf && child(conf, 'constraints');
  const resources = conf && child(conf, 'resources');
  const bundles = new Set<string>();
  if (resources) walk(resources, (e) => { if (e.tag === 'bundle' && e.attrs.id !== undefined) bundles.add(e.attrs.id); });
  const constraints = (section ? elements(section, tag) : []).filter((c) => {
    const named = [...ends.map((a) => c.attrs[a]), ...elements(c, 'resource_set').flatMap((s) => elements(s, 'resource_ref').map((r) => r.attrs.id))];
    return named.some((r) => r !== undefined && bundles.has(r));
  });
  return { bundles, constraints };
}
