// diffCib: the patch (format 2) that turns one CIB into another, change for change as Pacemaker
// 2.1.5's crm_diff writes it (lib/common/xml.c mark_xml_changes + lib/common/patchset.c), so that
// crm_diff applies our patches and operators see the patches they know.
//
// How Pacemaker decides, reproduced here:
// - children are matched by key (tag + id; an id-less element matches the first sibling with its
//   tag); a comment matches an equal comment at the same position, counting only siblings that
//   are not "skipped" (deleted, created, or moved out of the way so far);
// - unmatched old children are deleted (in document order of the old tree), unmatched new ones
//   created at their index; a matched child whose position (again counting unskipped siblings)
//   differs is moved, and the one further along is skipped from then on;
// - attributes: a changed value is a "set"; an unchanged value whose position among the
//   attributes moved is also a "set" (so deleting one attribute can list its neighbours); the
//   change-result carries every attribute after the change.
// Pacemaker's positions cost O(siblings) each; here a Fenwick tree keeps the whole diff
// O(n log n) in the widest parent and O(n) overall for the usual CIB.
import { Attrs, XmlComment, XmlElement, XmlNode, cloneTree, el, isElement, sameCanonical } from '../cib/xml';
import { BerthError, problem } from '../errors/registry';
import { isPositional, stepOf } from './patch-path';
import { PATCH_UNSUPPORTED } from './patch-problems';
import { VERSION_FIELDS, versionElement } from './patchset';

export interface DiffOptions {
  /** As `crm_diff --no-version`: version attributes are taken from `orig` and `<version>` is left out. */
  noVersion?: boolean;
  /**
   * Leave out the "set" entries Pacemaker writes for attributes whose value did not change (only
   * their position). The patch still applies to the same result; a three-way push uses this so
   * that applying it never writes back a value someone else changed meanwhile.
   */
  minimal?: boolean;
}

type Positional = XmlElement | XmlComment;

/** Where an element of the new tree is; its path is built only when a change needs it. */
interface Where {
  up: Where | undefined;
  node: XmlElement;
  path?: string;
}
const pathOf = (w: Where): string => (w.path ??= (w.up ? pathOf(w.up) : '') + '/' + stepOf(w.node));

interface PairResult {
  where: Where;
  modify?: XmlElement;
  kids?: Kid[];
}
type Kid = { create: Positional; position: number } | { pair?: PairResult; where: Where; moveTo?: number };

interface Context {
  deletes: XmlElement[];
  minimal: boolean;
}

/** The patch from `orig` to `next`: `<diff format="2">`, empty of changes when they are the same. */
export function diffCib(orig: XmlElement, next: XmlElement, opts: DiffOptions = {}): XmlElement {
  if (orig.tag !== next.tag || orig.attrs.id !== next.attrs.id) {
    throw new BerthError([problem(PATCH_UNSUPPORTED, { path: '/', value: `<${next.tag}>`, allowed: `<${orig.tag}>`, message: `cannot diff <${orig.tag}${idText(orig)}> against <${next.tag}${idText(next)}>: a patch changes one root element` })]);
  }
  const target = opts.noVersion ? withVersionOf(orig, next) : next;
  if (textSignature(orig) !== textSignature(target)) {
    throw new BerthError([problem(PATCH_UNSUPPORTED, { path: '/' + orig.tag, message: `the text directly inside <${orig.tag}> differs; a patch cannot change the root element's text` })]);
  }
  const ctx: Context = { deletes: [], minimal: opts.minimal === true };
  const root = comparePair(orig, target, undefined, ctx);
  const patch = el('diff', { format: '2' });
  if (!opts.noVersion) patch.children.push(versionElement(orig, next));
  for (const d of ctx.deletes) patch.children.push(d);
  if (root) emit(root, patch.children);
  return patch;
}

/** True when the patch has no changes (its versions may still differ). */
export function diffIsEmpty(patch: XmlElement): boolean {
  return !patch.children.some((c) => isElement(c) && c.tag === 'change');
}

const idText = (e: XmlElement) => (e.attrs.id === undefined ? '' : ` id="${e.attrs.id}"`);

// crm_copy_xml_element for each version field: only fields that orig has are copied.
function withVersionOf(orig: XmlElement, next: XmlElement): XmlElement {
  const attrs = { ...next.attrs };
  for (const f of VERSION_FIELDS) if (orig.attrs[f] !== undefined) attrs[f] = orig.attrs[f];
  return { tag: next.tag, attrs, children: next.children };
}

function comparePair(o: XmlElement, n: XmlElement, up: Where | undefined, ctx: Context): PairResult | undefined {
  // One element in both trees (they share what parsing found unchanged): nothing changed below.
  if (o === n) return undefined;
  if (o.children.length === 0 && n.children.length === 0) {
    // A leaf (most elements): nothing allocated unless an attribute changed.
    if (sameAttributes(o.attrs, n.attrs)) return undefined;
    const where: Where = { up, node: n };
    const modify = diffAttributes(o, n, where, ctx.minimal);
    return modify && { where, modify };
  }
  const where: Where = { up, node: n };
  const modify = sameAttributes(o.attrs, n.attrs) ? undefined : diffAttributes(o, n, where, ctx.minimal);
  const O = positional(o.children);
  const N = positional(n.children);
  let kids: Kid[] | undefined;

  if (sameKeys(O, N)) {
    // The usual case: the same children in the same order; Pacemaker matches each to itself.
    for (let k = 0; k < O.length; k++) {
      const on = O[k];
      if (!isElement(on)) continue;
      const r = comparePair(on, N[k] as XmlElement, where, ctx);
      if (r) (kids ??= []).push({ pair: r, where: r.where });
    }
    return modify || kids ? { where, modify, kids } : undefined;
  }

  const plan = planChildren(O, N);
  if (plan.identical) return modify && { where, modify };
  // Pacemaker's first loop: old children in order; recurse into matches, delete the rest.
  let results: (PairResult | undefined)[] | undefined;
  let deleted = 0;
  for (let i = 0; i < O.length; i++) {
    const j = plan.matchO[i];
    const on = O[i];
    if (j >= 0) {
      const nn = N[j];
      if (isElement(on) && isElement(nn)) {
        const r = comparePair(on, nn, where, ctx);
        if (r) (results ??= [])[j] = r;
      }
    } else {
      const change = el('change', { operation: 'delete', path: pathOf(where) + '/' + stepOf(on) });
      // Comments are deleted by position: where it is once the deletions before it are done.
      if (!isElement(on)) change.attrs.position = String(i - deleted);
      ctx.deletes.push(change);
      deleted++;
    }
  }
  for (let j = 0; j < N.length; j++) {
    if (plan.matchN[j] < 0) {
      (kids ??= []).push({ create: N[j], position: j });
      continue;
    }
    const r = results?.[j];
    const moved = plan.moved !== undefined && plan.moved[j] === 1;
    if (r || moved) (kids ??= []).push({ pair: r, where: r ? r.where : { up: where, node: N[j] as XmlElement }, moveTo: moved ? j : undefined });
  }
  return modify || kids ? { where, modify, kids } : undefined;
}

const namesSeen: string[] = [];

/** Same attributes, values and order (order matters: Pacemaker reports moved attributes). */
function sameAttributes(oa: Record<string, string>, na: Record<string, string>): boolean {
  // for-in, not Object.keys: called for most elements, it should allocate nothing.
  let count = 0;
  for (const name in oa) namesSeen[count++] = name;
  let k = 0;
  for (const name in na) {
    if (k === count || name !== namesSeen[k] || oa[name] !== na[name]) return false;
    k++;
  }
  return k === count;
}

function emit(r: PairResult, out: XmlNode[]): void {
  if (r.modify) out.push(r.modify);
  if (!r.kids) return;
  // Indexed loops here and below, not for-of: the diff runs once per command, mostly before V8
  // optimises it, and for-of costs an iterator call per element until then.
  for (let x = 0; x < r.kids.length; x++) {
    const k = r.kids[x];
    if ('create' in k) {
      out.push(el('change', { operation: 'create', path: pathOf(r.where), position: String(k.position) }, [cloneTree(k.create)]));
      continue;
    }
    if (k.pair) emit(k.pair, out);
    if (k.moveTo !== undefined) out.push(el('change', { operation: 'move', path: pathOf(k.where), position: String(k.moveTo) }));
  }
}

function positional(children: XmlNode[]): Positional[] {
  for (let k = 0; k < children.length; k++) {
    const c = children[k];
    if (!isElement(c) && !isPositional(c)) return children.filter(isPositional) as Positional[];
  }
  return children as Positional[];
}

/**
 * Same keys in the same order, each key once (so Pacemaker matches every child to the one at its
 * own index, with no move), and no child whose text changed. Conservative: when in doubt, false.
 */
function sameKeys(O: Positional[], N: Positional[]): boolean {
  if (O.length !== N.length) return false;
  for (let k = 0; k < O.length; k++) {
    const a = O[k];
    const b = N[k];
    if (isElement(a)) {
      if (!isElement(b) || a.tag !== b.tag || a.attrs.id !== b.attrs.id || mustRecreate(a, b)) return false;
    } else if (isElement(b) || a.comment !== b.comment) {
      return false;
    }
  }
  if (O.length <= 8) {
    for (let x = 0; x < O.length; x++) {
      const a = O[x];
      if (!isElement(a)) continue;
      for (let y = x + 1; y < O.length; y++) {
        const b = O[y];
        if (isElement(b) && a.tag === b.tag && (a.attrs.id === undefined || b.attrs.id === undefined || a.attrs.id === b.attrs.id)) return false;
      }
    }
    return true;
  }
  const idless = new Set<string>();
  const keyed = new Set<string>();
  const tags = new Set<string>();
  for (let k = 0; k < O.length; k++) {
    const c = O[k];
    if (!isElement(c)) continue;
    if (c.attrs.id === undefined) {
      if (tags.has(c.tag)) return false;
      idless.add(c.tag);
    } else {
      const key = c.tag + '\u0000' + c.attrs.id;
      if (idless.has(c.tag) || keyed.has(key)) return false;
      keyed.add(key);
    }
    tags.add(c.tag);
  }
  return true;
}

// ---- attributes (Pacemaker's xml_diff_attrs) ----

const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

function diffAttributes(o: XmlElement, n: XmlElement, where: Where, minimal: boolean): XmlElement | undefined {
  const changes = attributeChanges(o.attrs, n.attrs, minimal);
  if (changes === undefined) return undefined;
  const list = el('change-list');
  for (let k = 0; k < changes.set.length; k++) {
    const name = changes.set[k];
    list.children.push(el('change-attr', { name, operation: 'set', value: n.attrs[name] }));
  }
  for (let k = 0; k < changes.unset.length; k++) list.children.push(el('change-attr', { name: changes.unset[k], operation: 'unset' }));
  return el('change', { operation: 'modify', path: pathOf(where) }, [list, el('change-result', {}, [el(n.tag, { ...n.attrs })])]);
}

// Flags by attribute index, in one array that every call reuses (a call looks at a few
// attributes; arrays of its own would be most of what a diff allocates).
let attrFlags = new Uint8Array(64);
const KEPT = 1; // new index: the attribute was there before
const DIRTY = 2; // new index: to set
const SKIP_NEW = 4;
const SKIP_OLD = 8; // old index

/** The attributes to set, in their new order, and to unset; undefined when there are none. */
function attributeChanges(oa: Attrs, na: Attrs, minimal: boolean): { set: string[]; unset: string[] } | undefined {
  const oldNames = Object.keys(oa);
  const newNames = Object.keys(na);
  const size = Math.max(oldNames.length, newNames.length);
  if (attrFlags.length < size) attrFlags = new Uint8Array(2 * size);
  const flags = attrFlags.fill(0, 0, size);
  const unset: string[] = [];
  for (let i = 0; i < oldNames.length; i++) {
    const name = oldNames[i];
    if (!has(na, name)) { unset.push(name); continue; }
    let j = 0;
    while (j < newNames.length && newNames[j] !== name) j++;
    flags[j] |= KEPT;
    if (oa[name] !== na[name]) { flags[j] |= DIRTY; continue; }
    let newPos = 0;
    for (let k = 0; k < j; k++) if (!(flags[k] & SKIP_NEW)) newPos++;
    let oldPos = 0;
    for (let k = 0; k < i; k++) if (!(flags[k] & SKIP_OLD)) oldPos++;
    if (oldPos !== newPos) {
      if (!minimal) flags[j] |= DIRTY;
      if (oldPos > newPos) flags[i] |= SKIP_OLD;
      else flags[j] |= SKIP_NEW;
    }
  }
  const set: string[] = [];
  for (let j = 0; j < newNames.length; j++) if (!(flags[j] & KEPT) || flags[j] & DIRTY) set.push(newNames[j]);
  return set.length || unset.length ? { set, unset } : undefined;
}

// ---- children (Pacemaker's mark_xml_changes) ----

interface ChildPlan {
  /** old index → new index, -1 when deleted */
  matchO: Int32Array;
  /** new index → old index, -1 when created */
  matchN: Int32Array;
  /** new index → 1 when moved */
  moved?: Uint8Array;
  /** the children are the same (ambiguous keys, nothing changed): emit nothing below */
  identical?: boolean;
}

function planChildren(O: Positional[], N: Positional[]): ChildPlan {
  const matchO = new Int32Array(O.length).fill(-1);
  const matchN = new Int32Array(N.length).fill(-1);
  const { inN, inO } = firstWithKey(O, N);
  let severed: Set<number> | undefined;

  // Loop 1, old children in order. New children have no skip marks yet.
  let deleted = 0;
  for (let i = 0; i < O.length; i++) {
    const c = O[i];
    let j = -1;
    if (isElement(c)) {
      j = inN[i];
      // Pacemaker ignores text; a child whose text changed is re-created instead.
      if (j >= 0 && mustRecreate(c, N[j] as XmlElement)) { (severed ??= new Set()).add(j); j = -1; }
    } else {
      const p = i - deleted;
      const m = p < N.length ? N[p] : undefined;
      if (m && !isElement(m) && m.comment === c.comment) j = p;
    }
    matchO[i] = j;
    if (j < 0) deleted++;
  }

  // Loop 2, new children in order: created ones and moved ones get skipped.
  const skips = new SkipCounter(O.length, matchO);
  let pNew = 0;
  let moved: Uint8Array | undefined;
  for (let j = 0; j < N.length; j++) {
    const c = N[j];
    let i = -1;
    if (isElement(c)) {
      i = severed?.has(j) ? -1 : inO[j];
    } else {
      const k = skips.nthUnskipped(pNew);
      const m = k >= 0 ? O[k] : undefined;
      if (m && !isElement(m) && m.comment === c.comment) i = k;
    }
    matchN[j] = i;
    if (i < 0) continue;
    const pOld = i - skips.before(i);
    if (pOld !== pNew) {
      (moved ??= new Uint8Array(N.length))[j] = 1;
      if (pOld > pNew) { skips.skip(i); pNew++; }
    } else {
      pNew++;
    }
  }

  if (!consistent(matchO, matchN)) {
    // Keys shared by siblings: Pacemaker would match one child twice and lose changes.
    if (sameChildren(O, N)) return { matchO, matchN, identical: true };
    matchO.fill(-1);
    matchN.fill(-1);
    return { matchO, matchN };
  }
  // Pacemaker's apply keeps unmoved children in their old order; make sure that is the new order.
  let last = -1;
  for (let j = 0; j < N.length; j++) {
    const i = matchN[j];
    if (i < 0 || moved?.[j]) continue;
    if (i < last) return { matchO, matchN, moved: moveAllElements(N, matchN) };
    last = i;
  }
  return { matchO, matchN, moved };
}

interface Firsts {
  /** index of the first child of O with this key, -1 when none */
  o: number;
  /** of N */
  n: number;
}

/**
 * For each child of O the index of the first child of N with its key, and for each of N the
 * first of O (-1: none, and for comments). The key is tag + id, or for an id-less element its tag
 * alone, so an id-less element matches the first sibling with its tag.
 */
function firstWithKey(O: Positional[], N: Positional[]): { inN: Int32Array; inO: Int32Array } {
  const inN = new Int32Array(O.length);
  const inO = new Int32Array(N.length);
  if (O.length <= 8 && N.length <= 8) {
    for (let i = 0; i < O.length; i++) inN[i] = firstLinear(N, O[i]);
    for (let j = 0; j < N.length; j++) inO[j] = firstLinear(O, N[j]);
    return { inN, inO };
  }
  // One index of both lists, by tag and then by id: no key strings to build for the thousands of
  // children of <resources>, and no lookups once both lists are in.
  const byTag = new Map<string, Firsts & { ids: Map<string, Firsts> }>();
  const tagFirsts = (c: XmlElement) => {
    let t = byTag.get(c.tag);
    if (t === undefined) byTag.set(c.tag, (t = { o: -1, n: -1, ids: new Map() }));
    return t;
  };
  const idFirsts = (ids: Map<string, Firsts>, id: string) => {
    let f = ids.get(id);
    if (f === undefined) ids.set(id, (f = { o: -1, n: -1 }));
    return f;
  };
  const firstsO: (Firsts | undefined)[] = new Array(O.length).fill(undefined);
  for (let i = 0; i < O.length; i++) {
    const c = O[i];
    if (!isElement(c)) continue;
    const t = tagFirsts(c);
    if (t.o < 0) t.o = i;
    const f = c.attrs.id === undefined ? t : idFirsts(t.ids, c.attrs.id);
    if (f.o < 0) f.o = i;
    firstsO[i] = f;
  }
  for (let j = 0; j < N.length; j++) {
    const c = N[j];
    if (!isElement(c)) { inO[j] = -1; continue; }
    const t = tagFirsts(c);
    if (t.n < 0) t.n = j;
    const f = c.attrs.id === undefined ? t : idFirsts(t.ids, c.attrs.id);
    if (f.n < 0) f.n = j;
    inO[j] = f.o;
  }
  for (let i = 0; i < O.length; i++) inN[i] = firstsO[i]?.n ?? -1;
  return { inN, inO };
}

function firstLinear(list: Positional[], e: Positional): number {
  if (!isElement(e)) return -1;
  const id = e.attrs.id;
  for (let k = 0; k < list.length; k++) {
    const c = list[k];
    if (isElement(c) && c.tag === e.tag && (id === undefined || c.attrs.id === id)) return k;
  }
  return -1;
}

function consistent(matchO: Int32Array, matchN: Int32Array): boolean {
  for (let i = 0; i < matchO.length; i++) if (matchO[i] >= 0 && matchN[matchO[i]] !== i) return false;
  for (let j = 0; j < matchN.length; j++) if (matchN[j] >= 0 && matchO[matchN[j]] !== j) return false;
  return true;
}

function sameChildren(O: Positional[], N: Positional[]): boolean {
  if (O.length !== N.length) return false;
  for (let k = 0; k < O.length; k++) if (!sameCanonical(O[k], N[k])) return false;
  return true;
}

function moveAllElements(N: Positional[], matchN: Int32Array): Uint8Array {
  const moved = new Uint8Array(N.length);
  for (let j = 0; j < N.length; j++) if (matchN[j] >= 0 && isElement(N[j])) moved[j] = 1;
  return moved;
}

function hasText(e: XmlElement): boolean {
  const kids = e.children;
  for (let k = 0; k < kids.length; k++) {
    const c = kids[k];
    if (!isElement(c) && 'text' in c && c.text.trim() !== '') return true;
  }
  return false;
}

function mustRecreate(o: XmlElement, n: XmlElement): boolean {
  return o !== n && (hasText(o) || hasText(n)) && !sameCanonical(o, n);
}

/** The text children of `e` and where they sit among its other children. */
function textSignature(e: XmlElement): string {
  let s = '';
  let p = 0;
  for (const c of e.children) {
    if (isPositional(c)) p++;
    else if (c.text.trim() !== '') s += `${p}:${c.text.trim()}\u0000`;
  }
  return s;
}

/**
 * Which old children are skipped (Pacemaker's pcmk__xf_skip) and how many before an index, in
 * O(log n) through a Fenwick tree of unskipped counts, built only once something is skipped.
 */
class SkipCounter {
  private readonly skipped: Uint8Array;
  private tree: Int32Array | undefined;
  private count = 0;

  constructor(private readonly n: number, matchO: Int32Array) {
    this.skipped = new Uint8Array(n);
    for (let i = 0; i < n; i++) if (matchO[i] < 0) { this.skipped[i] = 1; this.count++; }
  }

  private build(): Int32Array {
    const t = new Int32Array(this.n + 1);
    for (let i = 0; i < this.n; i++) {
      t[i + 1] += this.skipped[i] ? 0 : 1;
      const up = i + 1 + ((i + 1) & -(i + 1));
      if (up <= this.n) t[up] += t[i + 1];
    }
    return t;
  }

  /** Skipped children before index `i`. */
  before(i: number): number {
    if (this.count === 0) return 0;
    const t = (this.tree ??= this.build());
    let unskipped = 0;
    for (let k = i; k > 0; k -= k & -k) unskipped += t[k];
    return i - unskipped;
  }

  skip(i: number): void {
    if (this.skipped[i]) return;
    this.skipped[i] = 1;
    this.count++;
    if (!this.tree) return;
    for (let k = i + 1; k <= this.n; k += k & -k) this.tree[k]--;
  }

  /** Index of the unskipped child with `q` unskipped children before it, or -1. */
  nthUnskipped(q: number): number {
    if (this.count === 0) return q < this.n ? q : -1;
    const t = (this.tree ??= this.build());
    let pos = 0;
    let rest = q + 1;
    for (let step = 1 << Math.floor(Math.log2(this.n || 1)); step > 0; step >>= 1) {
      const nextPos = pos + step;
      if (nextPos <= this.n && t[nextPos] < rest) { pos = nextPos; rest -= t[nextPos]; }
    }
    return pos < this.n ? pos : -1;
  }
}
