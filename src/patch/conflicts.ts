// findConflicts: may a patch made on `orig` be applied to `live`, which others changed since?
// A change conflicts when what it touches differs in `live` from `orig`:
// - modify: an attribute it sets or unsets (unless live already has the patch's value), or the
//   element is gone;
// - delete: the element changed in live (it is not conflicting when it is already gone);
// - create: the parent is gone, a sibling with the same tag and id appeared, or an id in the new
//   subtree is now used elsewhere;
// - move: the element is gone, or its siblings changed (the position would mean something else).
// Disjoint edits do not conflict: other elements, other attributes of the same element, other
// children created under the same parent. The version attributes of the root are not compared:
// the store checks versions and bumps them on every write.
import { idIndex } from '../cib/cib';
import { XmlComment, XmlElement, canonical, isElement, walk } from '../cib/xml';
import { Problem, problem } from '../errors/registry';
import { ChildLookup, PathStep, isPositional, stepOf } from './patch-path';
import { PATCH_CONFLICT } from './patch-problems';
import { AttrChange, PatchChange, Patchset, VERSION_FIELDS, readPatchset } from './patchset';

export interface Conflict {
  /** 1-based number of the change in the patch */
  change: number;
  operation: PatchChange['op'];
  /** what differs: the element (or, for a create, the parent or the sibling) */
  path: string;
  attribute?: string;
  /** in the original the patch was made from; null when absent */
  origValue: string | null;
  /** in the live CIB now; null when absent */
  liveValue: string | null;
  /** what the patch wants; null when it removes */
  patchValue: string | null;
  message: string;
}

type Node = XmlElement | XmlComment;

export function findConflicts(orig: XmlElement, live: XmlElement, patch: XmlElement | Patchset): Conflict[] {
  const ps = 'changes' in patch ? patch : readPatchset(patch);
  const inOrig = new ChildLookup();
  const inLive = new ChildLookup();
  const found: Conflict[] = [];
  let newLiveIds: Set<string> | undefined;
  const seen = new Set<string>(); // one conflict per thing (several moves in one parent, ...)

  for (const c of ps.changes) {
    const position = c.op === 'delete' ? c.position : undefined;
    const o = inOrig.resolve(orig, c.steps, position)?.node;
    const l = inLive.resolve(live, c.steps, position)?.node;
    const add = (k: Omit<Conflict, 'change' | 'operation'>) => {
      const key = `${c.op} ${k.path} ${k.attribute ?? ''}`;
      if (seen.has(key)) return;
      seen.add(key);
      found.push({ change: c.index, operation: c.op, ...k });
    };

    switch (c.op) {
      case 'modify': {
        if (!l || !isElement(l)) {
          add({ path: c.path, origValue: o ? describe(o) : null, liveValue: null, patchValue: null, message: `${c.path} is gone from the live CIB; the patch changes its attributes` });
          break;
        }
        const before = o && isElement(o) ? o.attrs : {};
        const isRoot = c.steps.length === 1;
        for (const a of attrChanges(c.attrs, c.result, before)) {
          if (isRoot && (VERSION_FIELDS as readonly string[]).includes(a.name)) continue;
          const ov = before[a.name] ?? null;
          const lv = l.attrs[a.name] ?? null;
          const pv = a.op === 'set' ? a.value! : null;
          if (ov === lv || lv === pv) continue;
          add({
            path: c.path, attribute: a.name, origValue: ov, liveValue: lv, patchValue: pv,
            message: `attribute '${a.name}' of ${c.path} changed in the live CIB since the original (${show(ov)} => ${show(lv)}); the patch ${pv === null ? 'removes it' : `sets it to ${show(pv)}`}`,
          });
        }
        break;
      }
      case 'delete': {
        if (!l || !o) break;
        if (canonical(o) === canonical(l)) break;
        const d = firstDifference(o, l, c.path);
        add({
          path: d.path, attribute: d.attribute, origValue: d.origValue, liveValue: d.liveValue, patchValue: null,
          message: `${c.path} changed in the live CIB since the original (${d.attribute ? `attribute '${d.attribute}' of ${d.path}` : d.path}: ${show(d.origValue)} => ${show(d.liveValue)}); the patch deletes it`,
        });
        break;
      }
      case 'create': {
        if (!l || !isElement(l)) {
          add({ path: c.path, origValue: o ? describe(o) : null, liveValue: null, patchValue: describe(c.node), message: `${c.path} is gone from the live CIB; the patch creates ${describe(c.node)} in it` });
          break;
        }
        if (!isElement(c.node)) break;
        const step = stepOf(c.node);
        const count = (p: Node | undefined) => (p && isElement(p) ? p.children.filter((k) => isElement(k) && stepOf(k) === step).length : 0);
        if (count(l) > count(o)) {
          add({ path: `${c.path}/${step}`, origValue: null, liveValue: describe(c.node), patchValue: describe(c.node), message: `${c.path}/${step} was created in the live CIB since the original; the patch creates it too` });
          break;
        }
        newLiveIds ??= newIds(orig, live);
        walk(c.node, (e) => {
          const id = e.attrs.id;
          if (id !== undefined && newLiveIds!.has(id)) {
            add({ path: `${c.path}/${step}`, attribute: 'id', origValue: null, liveValue: id, patchValue: id, message: `id '${id}' is used in the live CIB since the original; the patch creates <${e.tag} id="${id}"> under ${c.path}/${step}` });
          }
        });
        break;
      }
      case 'move': {
        const lp = inLive.resolve(live, c.steps.slice(0, -1))?.node;
        const op = inOrig.resolve(orig, c.steps.slice(0, -1))?.node;
        if (!l || !lp || !isElement(lp)) {
          add({ path: c.path, origValue: o ? describe(o) : null, liveValue: null, patchValue: `position ${c.position}`, message: `${c.path} is gone from the live CIB; the patch moves it to position ${c.position}` });
          break;
        }
        const parentPath = pathOf(c.steps.slice(0, -1));
        const sig = (p: Node | undefined) => (p && isElement(p) ? p.children.filter(isPositional).map((k) => (isElement(k) ? stepOf(k) : `<!--${k.comment}-->`)).join('\n') : '');
        if (sig(op) !== sig(lp)) {
          add({ path: parentPath, origValue: sig(op).split('\n').join(' '), liveValue: sig(lp).split('\n').join(' '), patchValue: `position ${c.position}`, message: `the children of ${parentPath} changed in the live CIB since the original; the patch moves ${c.path} to position ${c.position}, which would now mean another place` });
        }
        break;
      }
    }
  }
  return found;
}

/** The conflicts as problems, for the caller to report once (code PATCH_CONFLICT). */
export function conflictProblems(conflicts: Conflict[]): Problem[] {
  return conflicts.map((c) => problem(PATCH_CONFLICT, {
    path: c.attribute ? `${c.path}/@${c.attribute}` : c.path,
    value: c.liveValue ?? undefined,
    allowed: c.origValue ?? undefined,
    message: c.message,
  }));
}

// Without a change-list (a hand-written patch), the attributes that differ from the result.
function attrChanges(list: AttrChange[] | undefined, result: Record<string, string> | undefined, before: Record<string, string>): AttrChange[] {
  if (list) return list;
  const out: AttrChange[] = [];
  const after = result ?? {};
  for (const name of Object.keys(after)) if (before[name] !== after[name]) out.push({ name, op: 'set', value: after[name] });
  for (const name of Object.keys(before)) if (after[name] === undefined) out.push({ name, op: 'unset' });
  return out;
}

function newIds(orig: XmlElement, live: XmlElement): Set<string> {
  const before = idIndex(orig);
  const out = new Set<string>();
  for (const id of idIndex(live).keys()) if (!before.has(id)) out.add(id);
  return out;
}

const pathOf = (steps: PathStep[]) => steps.map((s) => '/' + (s.id === undefined ? s.tag : `${s.tag}[@id='${s.id}']`)).join('');
const show = (v: string | null) => (v === null ? '(none)' : `'${v}'`);

function describe(n: Node): string {
  if (!isElement(n)) return `<!--${n.comment}-->`;
  return n.attrs.id === undefined ? `<${n.tag}>` : `<${n.tag} id="${n.attrs.id}">`;
}

/** Where two different subtrees first differ: an attribute, or a child added, removed or replaced. */
function firstDifference(o: Node, l: Node, path: string): { path: string; attribute?: string; origValue: string | null; liveValue: string | null } {
  if (!isElement(o) || !isElement(l)) return { path, origValue: describe(o), liveValue: describe(l) };
  for (const name of new Set([...Object.keys(o.attrs), ...Object.keys(l.attrs)])) {
    if (o.attrs[name] !== l.attrs[name]) return { path, attribute: name, origValue: o.attrs[name] ?? null, liveValue: l.attrs[name] ?? null };
  }
  const O = o.children.filter(isPositional);
  const L = l.children.filter(isPositional);
  for (let k = 0; k < Math.max(O.length, L.length); k++) {
    const a = O[k];
    const b = L[k];
    if (!a) return { path: `${path}/${stepOf(b)}`, origValue: null, liveValue: describe(b) };
    if (!b) return { path: `${path}/${stepOf(a)}`, origValue: describe(a), liveValue: null };
    if (canonical(a) === canonical(b)) continue;
    if (stepOf(a) !== stepOf(b) || !isElement(a)) return { path: `${path}/${stepOf(a)}`, origValue: describe(a), liveValue: describe(b) };
    return firstDifference(a, b, `${path}/${stepOf(a)}`);
  }
  return { path, origValue: 'text', liveValue: 'other text' };
}
