// Drift: where the live CIB differs from a source view in something the source sets — an element
// the source has that live lacks, an attribute the source sets that live has otherwise or not at
// all. What live has beyond the source (other resources, attributes, nvpairs) is not drift: it is
// someone else's, and gitops leaves it alone. Pure.
import { Cib } from '../cib/cib';
import { XmlElement, child } from '../cib/xml';
import { diffCib, diffIsEmpty } from '../patch/diff';
import { formatPatchText } from '../patch/text-format';
import { matchChildren, projection } from './view';

export interface DriftItem {
  /** the element, as in a patch: /cib/configuration/resources/bundle[@id='web']/docker */
  path: string;
  /** the attribute that differs; absent: the whole element is missing in live */
  attribute?: string;
  /** what the source sets */
  source: string | null;
  /** what live has; null: missing */
  live: string | null;
}

export function findDrift(live: Cib, view: Cib): DriftItem[] {
  const out: DriftItem[] = [];
  const sc = child(view, 'configuration');
  if (!sc) return out;
  compare(sc, child(live, 'configuration'), '/cib/configuration', out);
  return out;
}

function compare(s: XmlElement, l: XmlElement | undefined, path: string, out: DriftItem[]): void {
  if (!l) {
    out.push({ path, source: describe(s), live: null });
    return;
  }
  for (const [name, value] of Object.entries(s.attrs)) {
    if (l.attrs[name] !== value) out.push({ path, attribute: name, source: value, live: l.attrs[name] ?? null });
  }
  for (const [, sc, lc] of matchChildren(s, l)) compare(sc, lc, `${path}/${sc.attrs.id === undefined ? sc.tag : `${sc.tag}[@id='${sc.attrs.id}']`}`, out);
}

const describe = (e: XmlElement) => (e.attrs.id === undefined ? `<${e.tag}>` : `<${e.tag} id="${e.attrs.id}">`);

export function formatDriftItem(d: DriftItem): string {
  if (d.attribute === undefined) return `${d.path}: missing in the live CIB (the source has ${d.source})`;
  return `${d.path}/@${d.attribute}: source ${JSON.stringify(d.source)}, live ${d.live === null ? '(not set)' : JSON.stringify(d.live)}`;
}

/** The repair that would undo the drift, as `cib diff --format text` shows a patch. */
export function driftRepair(live: Cib, view: Cib): { base: Cib; patch: XmlElement; text: string; empty: boolean } {
  const base = projection(live, view);
  const patch = diffCib(base, view, { noVersion: true, minimal: true });
  return { base, patch, text: formatPatchText(base, patch), empty: diffIsEmpty(patch) };
}
