// Pull and push the live CIB (pcs's `cluster cib` / `cluster cib-push`), and edits of the live CIB.
// Every write is a compare-and-swap against the revision it was computed from; a lost race is
// recomputed from the new live CIB (and re-checked for conflicts), never blindly overwritten.
import { Cib, bumpEpoch, compareVersions, formatVersion, parseCib, versionOf } from '../cib/cib';
import { XmlElement, child, serializeXml } from '../cib/xml';
import { BerthError, Problem, problem } from '../errors/registry';
import { diffCib, diffIsEmpty } from '../patch/diff';
import { applyPatch } from '../patch/apply';
import { Conflict, conflictProblems, findConflicts } from '../patch/conflicts';
import { checkCib, checkCibText } from '../validate/cib-check';
import { CibStore, StoredCib, isStoreCorrupt } from '../store/store';
import { EditCommand, EditFlags, EditResult } from './edit';

const MAX_ATTEMPTS = Number(process.env.BERTH_CAS_ATTEMPTS ?? 50);

/** Every error of a CIB to push, at once, under one line that says nothing was pushed. */
function refuse(what: string, problems: Problem[]): void {
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length) throw new BerthError([problem('SCHEMA_VIOLATION', { path: what, message: `${what} is not a valid CIB; nothing was pushed` }), ...errors]);
}

const refuseInvalid = (cib: Cib, what: string) => refuse(what, checkCib(cib));

/**
 * The text of a CIB file to push as a tree, checked as `berth cib validate` checks it: a file
 * that cannot be read says so; one with errors is refused with all of them (schema and rules).
 */
export function readPushedCib(text: string, source: string): Cib {
  const { cib, problems } = checkCibText(text, source);
  if (!cib) throw new BerthError(problems);
  refuse(source, problems);
  return cib;
}

const liveCib = (s: StoredCib) => parseCib(s.text, 'the live CIB');

export interface PushResult {
  /** false: nothing to push */
  pushed: boolean;
  version: string;
  attempts: number;
}

/** Write `compute(live)` with compare-and-swap, recomputing on a lost race. */
async function casLoop(store: CibStore, compute: (live: Cib, stored: StoredCib) => Cib | undefined): Promise<PushResult> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const stored = await store.read();
    const next = compute(liveCib(stored), stored);
    if (!next) return { pushed: false, version: formatVersion(versionOf(liveCib(stored))), attempts: attempt };
    const r = await store.compareAndSwap(stored.revision, serializeXml(next));
    if (r.ok) return { pushed: true, version: formatVersion(versionOf(next)), attempts: attempt };
    // lost the race: wait a little (jittered) and recompute against the new live CIB
    await new Promise((res) => setTimeout(res, Math.random() * Math.min(50, attempt * 5)));
  }
  throw new BerthError([problem('STORE_CONFLICT', { path: store.url, message: `the live CIB kept changing during the push; gave up after ${MAX_ATTEMPTS} attempts` })]);
}

/** Whole-CIB replace: refused unless the pushed CIB is newer than the live one. With
 * `repairCorrupt`, a store that holds something that is not a CIB (STORE_CORRUPT) has it
 * replaced by the file (there is no version to compare with); a valid one is pushed to as usual. */
export async function pushWhole(store: CibStore, file: Cib, source: string, opts: { repairCorrupt?: boolean } = {}): Promise<PushResult & { replacedCorrupt?: boolean }> {
  refuseInvalid(file, source);
  if (opts.repairCorrupt) {
    try {
      return await pushNewer(store, file, source);
    } catch (e) {
      if (!isStoreCorrupt(e)) throw e;
    }
    const r = await store.replaceCorrupt(serializeXml(file));
    if (r.ok) return { pushed: true, version: formatVersion(versionOf(file)), attempts: 1, replacedCorrupt: true };
    // repaired (or written) by someone else meanwhile: an ordinary push from here
  }
  return pushNewer(store, file, source);
}

function pushNewer(store: CibStore, file: Cib, source: string): Promise<PushResult> {
  return casLoop(store, (live) => {
    const lv = versionOf(live);
    const fv = versionOf(file);
    if (compareVersions(fv, lv) <= 0) {
      throw new BerthError([problem('VERSION_NOT_NEWER', {
        path: source,
        value: formatVersion(fv),
        allowed: `a version newer than the live ${formatVersion(lv)}`,
        message: `${source} has version ${formatVersion(fv)} (admin_epoch.epoch.num_updates), which is not newer than the live CIB's ${formatVersion(lv)}; someone changed the live CIB since you pulled it. Push only your changes with 'diff-against=ORIGINAL', or pull again`,
      })]);
    }
    return file;
  });
}

/** --config: replace only the configuration section; the live CIB's epoch moves on by one. */
export async function pushConfig(store: CibStore, file: Cib, source: string): Promise<PushResult> {
  refuseInvalid(file, source);
  const conf = child(file, 'configuration');
  return casLoop(store, (live) => {
    const next = structuredClone(live);
    const i = next.children.findIndex((c) => (c as XmlElement).tag === 'configuration');
    if (i >= 0) next.children[i] = structuredClone(conf!);
    else next.children.unshift(structuredClone(conf!));
    bumpEpoch(next);
    return next;
  });
}

export interface DiffPushResult extends PushResult {
  changes: number;
}

/**
 * diff-against: push only ORIG -> FILE. Unlike pcs, every change is checked against the live CIB:
 * if what it touches differs there from ORIG, the push is refused with the conflicts listed.
 */
export async function pushDiff(store: CibStore, orig: Cib, file: Cib, source: string): Promise<DiffPushResult> {
  refuseInvalid(file, source);
  // No versions in the patch (the live CIB's epoch moves on by itself), and only real attribute
  // changes (not mere reordering), so that disjoint edits never look like conflicts.
  const patch = diffCib(orig, file, { noVersion: true, minimal: true });
  if (diffIsEmpty(patch)) {
    const live = liveCib(await store.read());
    return { pushed: false, version: formatVersion(versionOf(live)), attempts: 0, changes: 0 };
  }
  const changes = patch.children.filter((c) => (c as XmlElement).tag === 'change').length;
  const r = await casLoop(store, (live) => {
    const conflicts: Conflict[] = findConflicts(orig, live, patch);
    if (conflicts.length) throw new BerthError(conflictProblems(conflicts));
    const next = applyPatch(live, patch);
    bumpEpoch(next);
    next.attrs.epoch = String(Math.max(Number(next.attrs.epoch), versionOf(file).epoch));
    refuseInvalid(next, 'the live CIB with your changes');
    return next;
  });
  return { ...r, changes };
}

/** An edit command on the live CIB: read, edit, compare-and-swap (retried on a lost race). */
export async function editLive(store: CibStore, edit: EditCommand, args: string[], flags: EditFlags): Promise<EditResult> {
  let result: EditResult = { warnings: [] };
  await casLoop(store, (live) => {
    const before = serializeXml(live);
    result = edit({ cib: live, args, flags });
    if (result.changed === false || serializeXml(live) === before) return undefined;
    bumpEpoch(live);
    return live;
  });
  return result;
}

export type { Problem };
