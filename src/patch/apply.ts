// applyPatch: a patch (format 2) applied to a CIB, with the semantics of Pacemaker 2.1.5's
// apply_v2_patchset, so that patches written by crm_diff and by berth apply the same way:
// 1. changes in patch order: delete (a missing target is fine: already gone), modify, and for
//    move: take the element out and put it last;
// 2. then create and move, sorted by position (stable), each put at its position.
// One difference, for three-way pushes: a modify applies its change-list, so other attributes of
// the element that changed meanwhile survive; when the outcome has the change-result's attributes
// (always, on the CIB the patch was made from), their order is the change-result's, as Pacemaker's.
import { CibVersion, compareVersions, formatVersion, versionOf } from '../cib/cib';
import { Attrs, XmlElement, XmlNode, cloneTree, isElement } from '../cib/xml';
import { BerthError, Problem, problem } from '../errors/registry';
import { ChildLookup, isPositional, positionOf } from './patch-path';
import { PATCH_DOES_NOT_APPLY, PATCH_MALFORMED, PATCH_VERSION_MISMATCH } from './patch-problems';
import { CreateChange, ModifyChange, MoveChange, Patchset, VERSION_FIELDS, VersionAttrs, numericVersion, readPatchset } from './patchset';

export interface ApplyOptions {
  /**
   * Refuse unless `orig`'s version is the patch's source version and the target is newer, as the
   * cluster does (`crm_diff --cib`). Off by default, as `crm_diff --patch`.
   */
  checkVersion?: boolean;
}

/** `orig` with `patch` applied (a new tree; `orig` is not changed). Throws naming every change that does not apply. */
export function applyPatch(orig: XmlElement, patch: XmlElement | Patchset, opts: ApplyOptions = {}): XmlElement {
  const ps = 'changes' in patch ? patch : readPatchset(patch);
  if (opts.checkVersion) checkVersion(orig, ps);
  const root = cloneTree(orig);
  const edits = new ChildEdits();
  const lookup = new ChildLookup((parent) => edits.settle(parent));
  const problems: Problem[] = [];
  const fail = (c: { index: number; op: string; path: string }, message: string, value?: string) =>
    problems.push(problem(PATCH_DOES_NOT_APPLY, { path: c.path, value, message: `change ${c.index} (${c.op} ${c.path}) does not apply: ${message}` }));

  // Phase 1, in patch order.
  const placed: Placed[] = [];
  for (const c of ps.changes) {
    const found = lookup.resolve(root, c.steps, c.op === 'delete' ? c.position : undefined);
    if (!found) {
      if (c.op !== 'delete') fail(c, 'nothing at that path');
      continue;
    }
    const { node, parent } = found;
    switch (c.op) {
      case 'delete':
        if (!parent) { fail(c, 'the root element cannot be deleted'); break; }
        lookup.forget(parent, node);
        edits.remove(parent, node);
        break;
      case 'modify':
        if (!isElement(node)) { fail(c, 'a comment has no attributes'); break; }
        modify(node, c);
        break;
      case 'create':
        if (!isElement(node)) { fail(c, 'a comment cannot have children'); break; }
        placed.push({ change: c, parent: node, child: cloneTree(c.node) });
        break;
      case 'move':
        if (!parent) { fail(c, 'the root element cannot be moved'); break; }
        lookup.sendToEnd(parent, node);
        edits.sendToEnd(parent, node);
        placed.push({ change: c, parent, child: node });
        break;
    }
  }

  edits.settleAll();

  // Phase 2: creates and moves by position (a stable sort, as g_list_sort), parent by parent.
  placed.sort((a, b) => a.change.position - b.change.position);
  const byParent = new Map<XmlElement, Placed[]>();
  for (const p of placed) {
    const list = byParent.get(p.parent);
    if (list) list.push(p);
    else byParent.set(p.parent, [p]);
  }
  for (const [parent, list] of byParent) {
    for (const { change, at } of place(parent, list)) {
      fail(change, `it ends at position ${at}, not ${change.position} (the parent has fewer children)`, String(change.position));
    }
  }

  if (problems.length) throw new BerthError(problems);
  setTargetVersion(root, ps);
  return root;
}

interface Placed {
  change: CreateChange | MoveChange;
  parent: XmlElement;
  child: XmlNode;
}

/**
 * Edits of children arrays, batched per parent so that many deletes and moves in one wide parent
 * cost one pass: removed children are dropped and moved ones put last (in order) when settled.
 */
class ChildEdits {
  private removed = new Map<XmlElement, Set<XmlNode>>();
  private toEnd = new Map<XmlElement, Set<XmlNode>>(); // a Set keeps insertion order

  remove(parent: XmlElement, child: XmlNode): void {
    let set = this.removed.get(parent);
    if (!set) this.removed.set(parent, (set = new Set()));
    set.add(child);
  }

  sendToEnd(parent: XmlElement, child: XmlNode): void {
    let set = this.toEnd.get(parent);
    if (!set) this.toEnd.set(parent, (set = new Set()));
    set.delete(child);
    set.add(child);
  }

  settleAll(): void {
    for (const parent of new Set([...this.removed.keys(), ...this.toEnd.keys()])) this.settle(parent);
  }

  settle(parent: XmlElement): void {
    const removed = this.removed.get(parent);
    const last = this.toEnd.get(parent);
    if (!removed && !last) return;
    const kept = parent.children.filter((c) => !removed?.has(c) && !last?.has(c));
    if (last) for (const c of last) if (!removed?.has(c)) kept.push(c);
    parent.children = kept;
    this.removed.delete(parent);
    this.toEnd.delete(parent);
  }
}

/**
 * Pacemaker's second phase for one parent: each create or move, in ascending position, goes
 * before the child then at its position (or last). As positions only grow, the children before
 * each one are final, and one pass builds the result. Returns the moves that did not land where
 * they said (possible only for a patch made from another CIB).
 */
function place(parent: XmlElement, list: Placed[]): { change: MoveChange; at: number }[] {
  const missed: { change: MoveChange; at: number }[] = [];
  if (parent.children.some((c) => !isPositional(c))) {
    // Text among the children (never in a CIB Pacemaker wrote): one change at a time.
    for (const { change, child } of list) {
      if (change.op === 'move') {
        if (positionOf(parent, child) === change.position) continue;
        parent.children.splice(parent.children.indexOf(child), 1);
      }
      insertAt(parent, child, change.position);
      const at = positionOf(parent, child);
      if (change.op === 'move' && at !== change.position) missed.push({ change, at });
    }
    return missed;
  }
  const rest = parent.children;
  const out: XmlNode[] = [];
  const inOut = new Set<XmlNode>();
  const taken = new Set<XmlNode>(); // moved, so no longer where `rest` has them
  let next = 0;
  const fill = (upTo: number) => {
    while (out.length < upTo && next < rest.length) {
      const c = rest[next++];
      if (taken.has(c)) continue;
      out.push(c);
      inOut.add(c);
    }
  };
  for (const { change, child } of list) {
    const p = change.position;
    if (change.op === 'move') {
      if (inOut.has(child)) {
        // Already passed over (only when positions run past the children it had).
        const i = out.indexOf(child);
        if (i === p) continue;
        out.splice(i, 1);
        inOut.delete(child);
      }
      taken.add(child);
    }
    fill(p);
    const at = Math.min(p, out.length);
    if (at < out.length) out.splice(at, 0, child);
    else out.push(child);
    inOut.add(child);
    if (change.op === 'move' && at !== p) missed.push({ change, at });
  }
  fill(Infinity);
  parent.children = out;
  return missed;
}

/** Put `child` before the positional child now at `position`, or last. */
function insertAt(parent: XmlElement, child: XmlNode, position: number): void {
  let p = 0;
  for (let k = 0; k < parent.children.length; k++) {
    const c = parent.children[k];
    if (!isPositional(c)) continue;
    if (p === position) {
      parent.children.splice(k, 0, child);
      return;
    }
    p++;
  }
  parent.children.push(child);
}

function modify(node: XmlElement, c: ModifyChange): void {
  if (!c.attrs) {
    // Only a change-result: Pacemaker's way, every attribute replaced.
    node.attrs = { ...c.result };
    return;
  }
  const attrs: Attrs = { ...node.attrs };
  for (const a of c.attrs) {
    if (a.op === 'set') attrs[a.name] = a.value!;
    else delete attrs[a.name];
  }
  node.attrs = c.result && sameAttrs(attrs, c.result) ? { ...c.result } : attrs;
}

function sameAttrs(a: Attrs, b: Attrs): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (b[k] !== a[k]) return false;
  return true;
}

// The version fields the patch changes (target differs from source) are set from its target,
// unless a modify of the root element sets or unsets them itself (as every crm_diff patch does).
function setTargetVersion(root: XmlElement, ps: Patchset): void {
  const { source, target } = ps;
  if (!target) return;
  const touched = new Set<string>();
  for (const c of ps.changes) {
    if (c.op !== 'modify' || c.steps.length !== 1) continue;
    for (const a of c.attrs ?? []) touched.add(a.name);
    for (const name of Object.keys(c.result ?? {})) touched.add(name);
  }
  for (const f of VERSION_FIELDS) {
    const t = target[f];
    if (t !== undefined && t !== source?.[f] && !touched.has(f)) root.attrs[f] = t;
  }
}

/**
 * Pacemaker's xml_patch_version_check: the CIB must be at the patch's source version (missing:
 * the CIB's own), and the target must be newer in some field (missing: num_updates + 1).
 */
export function checkVersion(cib: XmlElement, ps: Patchset): void {
  const current = versionOf(cib);
  const numeric = (v: VersionAttrs | undefined, which: string, fallback: CibVersion): CibVersion => {
    if (!v) return fallback;
    const n = numericVersion(v);
    if ('bad' in n) {
      throw new BerthError([problem(PATCH_MALFORMED, { path: `/diff/version/${which}/@${n.bad}`, value: v[n.bad as keyof VersionAttrs], allowed: 'a non-negative integer', message: `the patch's ${which} version has ${n.bad}='${v[n.bad as keyof VersionAttrs] ?? ''}'; versions are checked only with whole numbers` })]);
    }
    return n;
  };
  const source = numeric(ps.source, 'source', current);
  const target = numeric(ps.target, 'target', { ...current, numUpdates: current.numUpdates + 1 });
  const c = compareVersions(current, source);
  if (c !== 0) {
    throw new BerthError([problem(PATCH_VERSION_MISMATCH, {
      path: '/cib', value: formatVersion(current), allowed: formatVersion(source),
      message: c < 0
        ? `the patch was made for CIB version ${formatVersion(source)}, this CIB is older (${formatVersion(current)}); get the current CIB first`
        : `the patch was made for CIB version ${formatVersion(source)}, this CIB is already newer (${formatVersion(current)}); make the patch again against it`,
    })]);
  }
  if (!(target.adminEpoch > source.adminEpoch || target.epoch > source.epoch || target.numUpdates > source.numUpdates)) {
    throw new BerthError([problem(PATCH_VERSION_MISMATCH, {
      path: '/diff/version/target', value: formatVersion(target), allowed: `newer than ${formatVersion(source)}`,
      message: `the patch does not change the version (${formatVersion(source)} => ${formatVersion(target)}); a patch for a cluster must bump it`,
    })]);
  }
}
