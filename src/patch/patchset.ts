// A patch read into typed changes, so that applying, conflict checks and the text view never
// re-parse XML. Reading reports every problem of a malformed patch at once.
import { CibVersion } from '../cib/cib';
import { Attrs, XmlComment, XmlElement, el, isElement } from '../cib/xml';
import { Problem, BerthError, problem } from '../errors/registry';
import { PathStep, isPositional, parsePatchPath } from './patch-path';
import { PATCH_MALFORMED } from './patch-problems';

export const VERSION_FIELDS = ['admin_epoch', 'epoch', 'num_updates'] as const;

export interface AttrChange {
  name: string;
  op: 'set' | 'unset';
  value?: string;
}

interface ChangeBase {
  /** 1-based number of the change in the patch, for messages */
  index: number;
  path: string;
  steps: PathStep[];
}
export interface CreateChange extends ChangeBase {
  op: 'create';
  position: number;
  node: XmlElement | XmlComment;
}
export interface DeleteChange extends ChangeBase {
  op: 'delete';
  /** only comments are deleted by position */
  position?: number;
}
export interface ModifyChange extends ChangeBase {
  op: 'modify';
  /** the attributes set and unset (change-list) */
  attrs?: AttrChange[];
  /** every attribute after the change (change-result) */
  result?: Attrs;
}
export interface MoveChange extends ChangeBase {
  op: 'move';
  position: number;
}
export type PatchChange = CreateChange | DeleteChange | ModifyChange | MoveChange;

/** Version attributes as the patch writes them (numbers in any CIB the cluster made). */
export type VersionAttrs = Partial<Record<(typeof VERSION_FIELDS)[number], string>>;

export interface Patchset {
  source?: VersionAttrs;
  target?: VersionAttrs;
  changes: PatchChange[];
}

const OPS = new Set(['create', 'delete', 'modify', 'move']);

/** Read a `<diff format="2">` element; throws one BerthError listing every problem. */
export function readPatchset(patch: XmlElement): Patchset {
  const problems: Problem[] = [];
  const bad = (path: string, value: string | undefined, message: string, allowed?: string) =>
    problems.push(problem(PATCH_MALFORMED, { path, value, allowed, message }));

  if (patch.tag !== 'diff') {
    bad('/', patch.tag, `the patch's root element is <${patch.tag}>, a patch is <diff format="2">`, 'diff');
    throw new BerthError(problems);
  }
  const format = patch.attrs.format;
  if (format !== '2') {
    bad('/diff/@format', format, format === undefined || format === '1'
      ? 'the patch is in Pacemaker\'s old format 1 (no format="2"); berth reads format 2 only (crm_diff writes it for CIBs with crm_feature_set > 3.0.8)'
      : `patch format '${format}' is not supported, use format 2`, '2');
    throw new BerthError(problems);
  }

  const out: Patchset = { changes: [] };
  let index = 0;
  for (const c of patch.children) {
    if (!isElement(c)) continue;
    if (c.tag === 'version') {
      for (const v of c.children) {
        if (!isElement(v) || (v.tag !== 'source' && v.tag !== 'target')) continue;
        out[v.tag] = readVersion(v);
      }
      continue;
    }
    index++;
    const where = `change ${index}`;
    if (c.tag !== 'change') { bad(where, c.tag, `${where} is <${c.tag}>, expected <change>`, 'change'); continue; }
    const op = c.attrs.operation;
    const path = c.attrs.path;
    if (op === undefined || !OPS.has(op)) { bad(where, op, `${where} has operation '${op ?? ''}'`, 'create, delete, modify, move'); continue; }
    const label = `${where} (${op} ${path ?? ''})`;
    if (path === undefined) { bad(where, undefined, `${label} has no path`); continue; }
    const steps = parsePatchPath(path);
    if (typeof steps === 'string') { bad(path, path, `${label}: ${steps}`); continue; }
    const base = { index, path, steps };
    const position = c.attrs.position;
    const pos = position === undefined ? undefined : /^\d+$/.test(position) ? Number(position) : NaN;
    if (Number.isNaN(pos)) { bad(path, position, `${label} has position '${position}'`, 'a non-negative integer'); continue; }
    switch (op) {
      case 'create': {
        const node = c.children.find(isPositional);
        if (pos === undefined) bad(path, undefined, `${label} has no position`, 'a non-negative integer');
        else if (!node) bad(path, undefined, `${label} carries no element to create`);
        else out.changes.push({ ...base, op, position: pos, node });
        break;
      }
      case 'move':
        if (pos === undefined) bad(path, undefined, `${label} has no position`, 'a non-negative integer');
        else out.changes.push({ ...base, op, position: pos });
        break;
      case 'delete':
        out.changes.push(pos === undefined ? { ...base, op } : { ...base, op, position: pos });
        break;
      case 'modify': {
        const m: ModifyChange = { ...base, op };
        for (const part of c.children) {
          if (!isElement(part)) continue;
          if (part.tag === 'change-list') {
            m.attrs = [];
            for (const a of part.children) {
              if (!isElement(a)) continue;
              const name = a.attrs.name;
              const aop = a.attrs.operation;
              if (a.tag !== 'change-attr' || name === undefined || (aop !== 'set' && aop !== 'unset') || (aop === 'set' && a.attrs.value === undefined)) {
                bad(path, a.tag, `${label} has an invalid change-list entry <${a.tag} name="${name ?? ''}" operation="${aop ?? ''}">`, '<change-attr name= operation="set" value=/> or <change-attr name= operation="unset"/>');
                continue;
              }
              m.attrs.push(aop === 'set' ? { name, op: aop, value: a.attrs.value } : { name, op: aop });
            }
          } else if (part.tag === 'change-result') {
            const r = part.children.find(isElement);
            if (r) m.result = { ...r.attrs };
          }
        }
        if (!m.attrs && !m.result) bad(path, undefined, `${label} has neither change-list nor change-result`);
        else out.changes.push(m);
        break;
      }
    }
  }
  if (problems.length) throw new BerthError(problems);
  return out;
}

function readVersion(v: XmlElement): VersionAttrs {
  const out: VersionAttrs = {};
  for (const f of VERSION_FIELDS) if (v.attrs[f] !== undefined) out[f] = v.attrs[f];
  return out;
}

export const formatVersionAttrs = (v: VersionAttrs) => VERSION_FIELDS.map((f) => v[f] ?? '?').join('.');

/** A version as numbers, or the first field that is not a non-negative integer. */
export function numericVersion(v: VersionAttrs): CibVersion | { bad: string } {
  const n: number[] = [];
  for (const f of VERSION_FIELDS) {
    const s = v[f];
    if (s === undefined || !/^\d+$/.test(s)) return { bad: f };
    n.push(Number(s));
  }
  return { adminEpoch: n[0], epoch: n[1], numUpdates: n[2] };
}

/**
 * The `<version>` element of a patch, as Pacemaker writes it: a field missing from `next` but
 * present in `orig` shows orig's value (Pacemaker keeps deleted attributes until the patch is
 * written), and a field missing from both reads "1".
 */
export function versionElement(orig: XmlElement, next: XmlElement): XmlElement {
  const source: Attrs = {};
  const target: Attrs = {};
  for (const f of VERSION_FIELDS) {
    source[f] = orig.attrs[f] ?? '1';
    target[f] = next.attrs[f] ?? orig.attrs[f] ?? '1';
  }
  return el('version', {}, [el('source', source), el('target', target)]);
}
