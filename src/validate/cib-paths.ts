// CIB paths as problems name places (/cib/configuration/resources/bundle[@id='web']/network/@port),
// and the document order of such paths, so that every stage's problems print as one list in the
// order of the file. A step is a tag with its id when it has one, as src/cib/schema.ts writes them.
import type { Problem } from '../errors/registry';
import { XmlElement, XmlNode, isElement } from '../cib/xml';

export const elementStep = (e: XmlElement) => (e.attrs.id !== undefined ? `${e.tag}[@id='${e.attrs.id}']` : e.tag);

/** Steps of a path: split on '/' outside quotes. */
function steps(path: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of path) {
    if (ch === "'") quoted = !quoted;
    if (ch === '/' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

const STEP = /^([^[@]+)(?:\[@([^=\]]+)='(.*)'\])?$/s;

function matches(e: XmlElement, step: string): boolean {
  const m = STEP.exec(step);
  return !!m && e.tag === m[1] && (m[2] === undefined || e.attrs[m[2]] === m[3]);
}

/**
 * Problems sorted by where their paths point in the tree: element by element in document order,
 * an element before its attributes, attributes in the element's order, then its children. A step
 * `node()[n]` is the n-th child node (what the JSON form's schema check names a node that is no
 * element). A path that names no place in the tree (a file, a position in the text) comes first;
 * ties keep their order.
 */
export function inDocumentOrder(cib: XmlElement, problems: Problem[]): Problem[] {
  if (problems.length < 2) return problems;
  // an element's key: its child positions from the root, each above any attribute's index
  const CHILD = 1 << 20;
  const keys = new Map<XmlElement, number[]>([[cib, []]]);
  // most paths are written as elementStep writes them: found at once, not walked to
  const paths = new Map<XmlElement, string>([[cib, `/${elementStep(cib)}`]]);
  const byPath = new Map<string, XmlElement>();
  const stack = [cib];
  const inOrder: XmlElement[] = [];
  while (stack.length) {
    const e = stack.pop()!;
    inOrder.push(e);
    const path = paths.get(e)!;
    if (!byPath.has(path)) byPath.set(path, e);
    for (let i = e.children.length - 1; i >= 0; i--) {
      const c = e.children[i];
      if (isElement(c)) {
        keys.set(c, [...keys.get(e)!, CHILD + i]);
        paths.set(c, `${path}/${elementStep(c)}`);
        stack.push(c);
      }
    }
  }
  const attributeKey = (e: XmlElement, attribute: string | undefined) => (attribute === undefined ? keys.get(e)! : [...keys.get(e)!, Object.keys(e.attrs).indexOf(attribute) + 1]);
  const keyOf = (path: string | undefined): number[] => {
    if (!path) return [-1];
    const at = /^(.*)\/@([^/']+)$/.exec(path);
    const known = byPath.get(at ? at[1] : path);
    if (known) return attributeKey(known, at?.[2]);
    const parts = steps(path);
    let e: XmlElement | undefined;
    if (parts[0] === '') {
      parts.shift();
      if (!parts.length || !matches(cib, parts[0])) return [-1];
      e = cib;
    } else {
      // a path from no root: its first step anywhere in the tree
      e = inOrder.find((candidate) => matches(candidate, parts[0]));
      if (!e) return [-1];
    }
    let key = keys.get(e)!;
    for (const step of parts.slice(1)) {
      if (step.startsWith('@')) return attributeKey(e, step.slice(1));
      const nth = /^node\(\)\[(\d+)\]$/.exec(step);
      const index: number = nth ? Number(nth[1]) - 1 : e.children.findIndex((c) => isElement(c) && matches(c, step));
      if (index < 0) break;
      key = [...key, CHILD + index];
      const next: XmlNode | undefined = e.children[index];
      if (!next || !isElement(next)) break;
      e = next;
    }
    return key;
  };
  const keyed = problems.map((p, i) => ({ p, i, key: keyOf(p.path) }));
  keyed.sort((a, b) => compareKeys(a.key, b.key) || a.i - b.i);
  return keyed.map((k) => k.p);
}

function compareKeys(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}
