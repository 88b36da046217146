// One sync, the shell around planSync: fetch the source's revision → validate it (the same
// checks as `berth cib validate` and the controller) → read the live CIB and the gitops record →
// plan → push the next step with pushDiff (diff-against, conflict detection, compare-and-swap) →
// record it → plan again, until nothing is left to do. Level-triggered: a sync never asks what
// changed since the last one, it compares the whole source with the whole live CIB.
import { Cib, parseCib } from '../cib/cib';
import { pushDiff } from '../commands/cluster-cib';
import { readValidCib } from '../controller/pass';
import { BerthError, Problem, hasErrors, problem } from '../errors/registry';
import type { CibStore } from '../store/store';
import { DriftItem, findDrift } from './drift';
import { Candidate, SyncOptions, SyncPlan, SyncStep, planSync } from './plan';
import { GITOPS_REVISION_REFUSED } from './problems';
import { parseSettings } from './settings';
import { SourceRevision, SourceSpec, fetchRevision, shortRevision } from './source';
import { GitopsState, LastResult, SyncResult, readState, updateState, withResult } from './state';
import { sourceView, topResources } from './view';

export interface SyncDeps {
  store: CibStore;
  /** the gitops record's key (state.ts stateKey) */
  key: string;
  spec: SourceSpec;
  cacheDir: string;
  options: SyncOptions;
  now: () => Date;
  /** progress for people, one line each (fetching, validating, pushing) */
  progress: (line: string) => void;
}

export interface PushedChange {
  kind: 'repair' | 'apply';
  revision: string;
  firstSync?: boolean;
  /** the change as `cib diff --format text` shows it */
  text: string;
  changes: number;
  pruned?: string[];
  released?: string[];
}

export interface SyncReport {
  revision?: string;
  subject?: string;
  appliedRevision?: string;
  result: SyncResult;
  message: string;
  pushed: PushedChange[];
  /** live vs the revision in force, after this sync */
  drift: DriftItem[];
  driftText?: string;
  reportOnly: boolean;
  problems: Problem[];
  /** this refusal was already reported for this revision (a daemon says it once) */
  repeated?: boolean;
}

/** Schema and semantic checks of a revision's CIB, and its settings; never throws for bad content. */
export async function validateRevision(rev: SourceRevision): Promise<Candidate> {
  const short = rev.short;
  const refuse = (why: string, problems: Problem[]): Candidate => ({
    ok: false,
    revision: rev.revision,
    problems: [problem(GITOPS_REVISION_REFUSED, { path: rev.cib ? `${rev.cib.path}@${short}` : short, value: rev.revision, message: `revision ${short}${rev.subject ? ` ("${rev.subject}")` : ''} is refused: ${why}; the cluster keeps what it runs` }), ...problems],
  });
  if (!rev.cib) return refuse(`it has no ${rev.looked.join(' or ')}`, []);
  if (rev.problems.length) return refuse(rev.problems[0].message, rev.problems);
  const where = `${rev.cib.path} at ${short}`;
  const text = rev.cib.text;
  const read = await readValidCib({ where, read: async () => text });
  const settings = parseSettings(rev.settings?.text, rev.settings ? `${rev.settings.path} at ${short}` : 'settings');
  const problems = [...read.problems, ...settings.problems];
  if (!read.cib || hasErrors(problems)) {
    const errors = problems.filter((p) => p.severity === 'error');
    return refuse(`${errors.length} problem${errors.length === 1 ? '' : 's'} (${errors[0]?.message ?? 'invalid'})`, problems);
  }
  return { ok: true, revision: rev.revision, view: sourceView(read.cib), settings: settings.settings, warnings: problems };
}

const isConflict = (ps: Problem[]) => ps.some((p) => p.code === 'PATCH_CONFLICT');

/** True when the live CIB already holds what `step` pushes (a sync that stopped after its push). */
function alreadyApplied(live: Cib, step: Extract<SyncStep, { kind: 'apply' }>): boolean {
  const inLive = topResources(live);
  return findDrift(live, step.push.target).length === 0 && step.pruned.every((id) => !inLive.has(id));
}

export async function syncOnce(deps: SyncDeps): Promise<SyncReport> {
  const { store, key, progress } = deps;
  const at = () => deps.now().toISOString();
  const report: SyncReport = { result: 'unchanged', message: '', pushed: [], drift: [], reportOnly: deps.options.reportOnly, problems: [] };
  const record = (s: GitopsState, r: Omit<LastResult, 'at'>) => withResult(s, { ...r, at: at() });
  const fail = async (result: SyncResult, revision: string | undefined, message: string, problems: Problem[]) => {
    Object.assign(report, { result, message, problems });
    try {
      await updateState(store, key, (s) => record(s, { ...(revision ? { revision } : {}), result, message, problems }));
    } catch (e) {
      if (!(e instanceof BerthError)) throw e;
      report.problems.push(...e.problems); // the store itself is failing: say so, too
    }
    return report;
  };

  // 1. the source's revision
  let rev: SourceRevision;
  try {
    rev = await fetchRevision(deps.spec, { cacheDir: deps.cacheDir, progress });
  } catch (e) {
    if (!(e instanceof BerthError)) throw e;
    return fail('error', undefined, e.problems[0]?.message ?? 'the source cannot be read', e.problems);
  }
  report.revision = rev.revision;
  if (rev.subject) report.subject = rev.subject;
  const short = rev.short;

  try {
    let state = await readState(store, key);
    if (state.seen?.revision !== rev.revision || JSON.stringify(state.source) !== JSON.stringify(deps.spec)) {
      state = await updateState(store, key, (s) => ({ ...s, source: deps.spec, seen: { revision: rev.revision, at: at(), ...(rev.subject ? { subject: rev.subject } : {}) } }));
    }

    // 2. validate a revision that is not applied yet (a refusal already recorded is not re-checked)
    let candidate: Candidate | undefined;
    if (state.applied?.revision !== rev.revision) {
      if (state.last?.result === 'refused' && state.last.revision === rev.revision && state.last.problems) {
        candidate = { ok: false, revision: rev.revision, problems: state.last.problems };
        report.repeated = true;
      } else {
        progress(`validating revision ${short} (${rev.cib ? `${rev.cib.path}, ${Buffer.byteLength(rev.cib.text)} bytes` : 'no CIB'})`);
        candidate = await validateRevision(rev);
      }
    }

    // 3. plan, push the next step, plan again
    let plan: SyncPlan | undefined;
    let live: Cib | undefined;
    for (let round = 0; round < 4; round++) {
      state = await readState(store, key);
      live = parseCib((await store.read()).text, 'the live CIB');
      plan = planSync({ revision: rev.revision, candidate, state, live, options: deps.options });
      const step = plan.step;
      if (!step) break;

      if (step.kind === 'refuse') {
        if (report.repeated) Object.assign(report, { result: 'refused', message: step.problems[0].message, problems: step.problems });
        else await fail('refused', rev.revision, step.problems[0].message, step.problems);
        break;
      }

      const what = step.kind === 'repair'
        ? `the drift repair of revision ${shortRevision(step.revision)}`
        : `revision ${short}${rev.subject ? ` ("${rev.subject}")` : ''}`;
      if (step.kind === 'repair') progress(`drift: ${step.drift.length} difference${step.drift.length === 1 ? '' : 's'} from revision ${shortRevision(step.revision)}; repairing`);
      else if (step.push.changes === 0) progress(`${what} changes nothing in the live CIB; recording it`);
      else progress(`pushing ${what}: ${step.push.changes} change${step.push.changes === 1 ? '' : 's'}${step.firstSync ? ' (first sync)' : ''}`);
      try {
        await pushDiff(store, step.push.base, step.push.target, what);
      } catch (e) {
        if (!(e instanceof BerthError)) throw e;
        const nowLive = parseCib((await store.read()).text, 'the live CIB');
        if (!(step.kind === 'apply' && isConflict(e.problems) && alreadyApplied(nowLive, step))) {
          const conflict = isConflict(e.problems);
          const n = e.problems.filter((p) => p.code === 'PATCH_CONFLICT').length;
          const message = conflict
            ? `${what} conflicts with the live CIB (${n} conflict${n === 1 ? '' : 's'}: ${e.problems[0].message}); nothing was pushed`
            : `${what} was not pushed: ${e.problems[0]?.message ?? 'error'}`;
          await fail(conflict ? 'conflict' : 'error', step.revision, message, e.problems);
          break;
        }
        progress(`revision ${short} is already in the live CIB; recording it`);
        // Not provably created by the source: never pruned.
        step.record.owned = step.record.owned.filter((id) => !step.push.created.includes(id));
      }

      const time = at();
      if (step.kind === 'repair') {
        report.pushed.push({ kind: 'repair', revision: step.revision, text: step.push.text, changes: step.push.changes });
        await updateState(store, key, (s) => record({
          ...s,
          ...(s.applied ? { applied: { ...s.applied, owned: [...new Set([...s.applied.owned, ...step.push.created])].sort() } } : {}),
          drift: { at: time, items: step.drift, repaired: true },
        }, { revision: step.revision, result: 'repaired', message: `repaired ${step.drift.length} drifted setting${step.drift.length === 1 ? '' : 's'} of revision ${shortRevision(step.revision)}`, changes: step.push.changes }));
        continue;
      }
      report.pushed.push({ kind: 'apply', revision: step.revision, firstSync: step.firstSync, text: step.push.text, changes: step.push.changes, pruned: step.pruned, released: step.released });
      const notes = [
        step.firstSync ? 'first sync' : '',
        step.pruned.length ? `pruned ${step.pruned.join(', ')}` : '',
        step.released.length ? `released ${step.released.join(', ')} (not created by the source: left in the live CIB)` : '',
      ].filter(Boolean);
      await updateState(store, key, (s) => record({ ...s, applied: { ...step.record, at: time } }, {
        revision: step.revision, result: 'applied', changes: step.push.changes,
        message: `applied revision ${short}${rev.subject ? ` ("${rev.subject}")` : ''}: ${step.push.changes} change${step.push.changes === 1 ? '' : 's'}${notes.length ? `; ${notes.join('; ')}` : ''}`,
      }));
    }

    // 4. the outcome, and the drift that remains (report-only, suspended, or a failed repair)
    if (plan) {
      report.reportOnly = plan.reportOnly;
      report.appliedRevision = (await readState(store, key)).applied?.revision;
      const finalPlan = plan;
      report.drift = finalPlan.drift;
      if (finalPlan.driftText) report.driftText = finalPlan.driftText;
      const driftKey = JSON.stringify(finalPlan.drift);
      if (JSON.stringify(state.drift?.items ?? []) !== driftKey || (finalPlan.drift.length && state.drift?.repaired)) {
        await updateState(store, key, (s) => ({ ...s, drift: { at: at(), items: finalPlan.drift, repaired: false } }));
      }
      if (report.result === 'unchanged') {
        const appliedNow = report.pushed.find((p) => p.kind === 'apply');
        if (appliedNow) Object.assign(report, { result: 'applied', message: (await readState(store, key)).last?.message ?? `applied revision ${short}` });
        else if (report.pushed.length) Object.assign(report, { result: 'repaired', message: (await readState(store, key)).last?.message ?? 'repaired the drift' });
        else if (finalPlan.suspended) Object.assign(report, { result: 'suspended', message: `suspended: nothing is pushed (source revision ${short}, applied ${finalPlan.appliedRevision ? shortRevision(finalPlan.appliedRevision) : 'none'}); 'berth gitops resume' to go on` });
        else Object.assign(report, { message: `revision ${short} is applied; ${finalPlan.drift.length ? `drift: ${finalPlan.drift.length} difference${finalPlan.drift.length === 1 ? '' : 's'} (${finalPlan.reportOnly ? 'report-only: not repaired' : 'not repaired'})` : 'no drift'}` });
      }
    }
    return report;
  } catch (e) {
    if (!(e instanceof BerthError)) throw e;
    return fail('error', rev.revision, e.problems[0]?.message ?? 'error', e.problems);
  }
}

/** Plan without pushing, for `gitops diff`: the revision's change and the drift. */
export async function previewSync(deps: SyncDeps): Promise<{ rev: SourceRevision; plan: SyncPlan; state: GitopsState }> {
  const rev = await fetchRevision(deps.spec, { cacheDir: deps.cacheDir, progress: deps.progress });
  const state = await readState(deps.store, deps.key);
  let candidate: Candidate | undefined;
  if (state.applied?.revision !== rev.revision) candidate = await validateRevision(rev);
  const live = parseCib((await deps.store.read()).text, 'the live CIB');
  return { rev, state, plan: planSync({ revision: rev.revision, candidate, state, live, options: deps.options }) };
}
