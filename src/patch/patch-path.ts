// Paths in a patch: the XPath subset Pacemaker writes and reads, `/cib/configuration/resources/
// bundle[@id='b']/docker`. A step is a tag, optionally with `[@id='ID']`; `comment` names a comment.
import { XmlComment, XmlElement, XmlNode, isElement } from '../cib/xml';

export interface PathStep {
  tag: string;
  id?: string;
}

/** The step that names `n` among its siblings, as Pacemaker's pcmk__element_xpath writes it. */
export function stepOf(n: XmlElement | XmlComment): string {
  if (!isElement(n)) return 'comment';
  const id = n.attrs.id;
  return id === undefined ? n.tag : `${n.tag}[@id='${id}']`;
}

/** `path` as steps, or a reason why it is not a path berth (and Pacemaker) can follow. */
export function parsePatchPath(path: string): PathStep[] | string {
  const steps: PathStep[] = [];
  let i = 0;
  if (path[0] !== '/') return 'a path starts with /';
  while (i < path.length) {
    if (path[i] !== '/') return `expected / at character ${i + 1}`;
    i++;
    const start = i;
    while (i < path.length && path[i] !== '/' && path[i] !== '[') i++;
    const tag = path.slice(start, i);
    if (!tag) return `empty step at character ${start + 1}`;
    if (path[i] !== '[') {
      steps.push({ tag });
      continue;
    }
    const m = /^\[@id=(['"])/.exec(path.slice(i, i + 6));
    if (!m) return `only [@id='...'] predicates are allowed (at character ${i + 1})`;
    const quote = m[1];
    const idStart = i + 6;
    // The id ends at the quote that closes the predicate: quote, ']', then '/' or the end.
    let end = idStart;
    for (;;) {
      end = path.indexOf(quote + ']', end);
      if (end < 0) return `unterminated [@id=...] predicate at character ${i + 1}`;
      const after = end + 2;
      if (after === path.length || path[after] === '/') break;
      end++;
    }
    steps.push({ tag, id: path.slice(idStart, end) });
    i = end + 2;
  }
  return steps;
}

export const isPositional = (n: XmlNode): n is XmlElement | XmlComment => !('text' in n);

/** Index of `child` among the positional (element and comment) children of `parent`. */
export function positionOf(parent: XmlElement, child: XmlNode): number {
  let p = 0;
  for (const c of parent.children) {
    if (c === child) return p;
    if (isPositional(c)) p++;
  }
  return -1;
}

/**
 * Children of parents, found by tag and id the way Pacemaker's search_v2_xpath does (the first
 * child with that tag and id; without an id, the first child with that tag), through an index per
 * parent so that a patch of n changes into a parent of n children costs O(n), not O(n²).
 * `forget` and `sendToEnd` keep the index right when the caller removes a child or moves it last;
 * `settle`, when given, is called before a parent's children are read (a caller that batches its
 * edits of the children array applies them there).
 */
export class ChildLookup {
  private byId = new WeakMap<XmlElement, Map<string, XmlElement[]>>();
  private byTag = new WeakMap<XmlElement, Map<string, XmlElement[]>>();

  constructor(private readonly settle?: (parent: XmlElement) => void) {}

  private index(parent: XmlElement, withId: boolean): Map<string, XmlElement[]> {
    const cache = withId ? this.byId : this.byTag;
    let m = cache.get(parent);
    if (!m) {
      this.settle?.(parent);
      m = new Map();
      for (const c of parent.children) {
        if (!isElement(c) || (withId && c.attrs.id === undefined)) continue;
        const k = withId ? key(c.tag, c.attrs.id) : c.tag;
        const list = m.get(k);
        if (list) list.push(c);
        else m.set(k, [c]);
      }
      cache.set(parent, m);
    }
    return m;
  }

  /** The node `steps` lead to from `root`; `position` picks among comments at the last step. */
  resolve(root: XmlElement, steps: PathStep[], position?: number): { node: XmlElement | XmlComment; parent?: XmlElement } | undefined {
    if (steps.length === 0 || !matchesStep(root, steps[0])) return undefined;
    let node: XmlElement | XmlComment = root;
    let parent: XmlElement | undefined;
    for (let s = 1; s < steps.length; s++) {
      if (!isElement(node)) return undefined;
      const step = steps[s];
      let found: XmlElement | XmlComment | undefined;
      if (step.tag === 'comment' && step.id === undefined) {
        this.settle?.(node);
        found = findComment(node, s === steps.length - 1 ? position : undefined);
      } else if (step.id === undefined) {
        found = this.index(node, false).get(step.tag)?.[0];
      } else {
        found = this.index(node, true).get(key(step.tag, step.id))?.[0];
      }
      if (!found) return undefined;
      parent = node;
      node = found;
    }
    return { node, parent };
  }

  /** `child` is no longer a child of `parent`. */
  forget(parent: XmlElement, child: XmlNode): void {
    if (!isElement(child)) return;
    for (const m of this.maps(parent, child)) {
      const i = m.list.indexOf(child);
      if (i >= 0) m.list.splice(i, 1);
    }
  }

  /** `child` is now the last child of `parent`. */
  sendToEnd(parent: XmlElement, child: XmlNode): void {
    if (!isElement(child)) return;
    for (const m of this.maps(parent, child)) {
      const i = m.list.indexOf(child);
      if (i >= 0) m.list.splice(i, 1);
      m.list.push(child);
    }
  }

  private maps(parent: XmlElement, child: XmlElement): { list: XmlElement[] }[] {
    const out: { list: XmlElement[] }[] = [];
    const ids = this.byId.get(parent);
    const idList = child.attrs.id === undefined ? undefined : ids?.get(key(child.tag, child.attrs.id));
    if (idList) out.push({ list: idList });
    const tagList = this.byTag.get(parent)?.get(child.tag);
    if (tagList) out.push({ list: tagList });
    return out;
  }
}

const key = (tag: string, id: string | undefined) => `${tag}\u0000${id}`;

function matchesStep(e: XmlElement, step: PathStep): boolean {
  return e.tag === step.tag && (step.id === undefined || e.attrs.id === step.id);
}

function findComment(parent: XmlElement, position: number | undefined): XmlElement | XmlComment | undefined {
  let p = 0;
  for (const c of parent.children) {
    if (!isPositional(c)) continue;
    if (isElement(c)) {
      if (c.tag === 'comment') return c;
    } else if (position === undefined || position < 0 || position === p) {
      return c;
    }
    p++;
  }
  return undefined;
}
