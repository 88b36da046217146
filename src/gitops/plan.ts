// planSync: what one sync does, as data — the pure core of gitops. Every input is an argument
// (the source revision, the validated candidate, the gitops record, the live CIB, the options);
// the shell (sync.ts) pushes the one next step with pushDiff and plans again.
//
//   suspended ─────────────────────────────────────────────► nothing (drift is still reported)
//   revision = applied ─► drift? ─ repair mode ─────────────► repair: push projection → applied view
//   new revision ─► invalid ────────────────────────────────► refuse (the cluster stays as it is)
//               └─► valid ─► never applied ─────────────────► apply: first sync (adopt)
//                        └─► drift and repair mode ─────────► repair first, then plan again
//                        └─► otherwise ─────────────────────► apply: diff-against the applied view
//
// First sync: the base is the live CIB projected onto the source (view.ts), so only what the
// source sets changes, existing resources are adopted (not owned: never pruned) and everything
// else in the live CIB stays. The same holds later for a resource the source adds that the live
// CIB already has. Later revisions: the base is the last applied source view, so a
// manual live edit to something the new revision changes is a conflict (pushDiff refuses it) —
// unless the repair step already put it back (repair mode). Resources that leave the source are
// pruned when the source created them (owned), and released (left in the live CIB) otherwise.
import { Cib, parseCib } from '../cib/cib';
import { XmlElement, cloneTree, isElement, serializeXml } from '../cib/xml';
import { Problem } from '../errors/registry';
import { diffCib } from '../patch/diff';
import { formatPatchText } from '../patch/text-format';
import { DriftItem, driftRepair, findDrift } from './drift';
import { SourceSettings } from './settings';
import { AppliedRevision, GitopsState } from './state';
import { alignOrder, project, projection, resourcesOf, topResources } from './view';

export type Candidate =
  | { ok: true; revision: string; view: Cib; settings: SourceSettings; warnings: Problem[] }
  | { ok: false; revision: string; problems: Problem[] };

export interface SyncOptions {
  /** --report-only: drift is only reported, whatever the source's settings say */
  reportOnly: boolean;
  /** --no-prune: resources that leave the source are released, not removed */
  prune: boolean;
}

export interface SyncInput {
  /** the source's current revision */
  revision: string;
  /** the validated source at `revision`; needed when it is not the applied revision */
  candidate?: Candidate;
  state: GitopsState;
  live: Cib;
  options: SyncOptions;
}

/** One diff-against push: base → target, applied to the live CIB by pushDiff. */
export interface Push {
  base: Cib;
  target: Cib;
  patch: XmlElement;
  /** the change for people (`cib diff --format text`) */
  text: string;
  changes: number;
  /** top-level resources the push creates */
  created: string[];
}

export type SyncStep =
  | { kind: 'refuse'; revision: string; problems: Problem[] }
  | { kind: 'repair'; revision: string; push: Push; drift: DriftItem[] }
  | {
      kind: 'apply';
      revision: string;
      firstSync: boolean;
      push: Push;
      /** owned resources the revision removes: deleted from the live CIB */
      pruned: string[];
      /** resources the revision removes that stay in the live CIB (not created by the source, or --no-prune) */
      released: string[];
      /** the record once pushed (the shell adds the time) */
      record: Omit<AppliedRevision, 'at'>;
    };

export interface SyncPlan {
  revision: string;
  appliedRevision?: string;
  suspended: boolean;
  /** the settings in force: the new revision's when it is valid, else the applied one's */
  settings: SourceSettings;
  reportOnly: boolean;
  /** live vs the applied source view (empty before the first sync) */
  drift: DriftItem[];
  /** the repair for the drift, for people */
  driftText?: string;
  /** what the source's revision needs, whether or not it is done now (for `gitops diff`) */
  revisionStep?: Extract<SyncStep, { kind: 'refuse' | 'apply' }>;
  /** the step to take now; none: nothing to do */
  step?: SyncStep;
}

export function planSync(input: SyncInput): SyncPlan {
  const { state, live, options } = input;
  const applied = state.applied;
  const appliedView = applied ? parseCib(applied.cib, 'the applied source view') : undefined;
  const candidate = input.candidate;
  const settings = candidate?.ok ? candidate.settings : applied?.settings ?? { drift: 'repair', prune: true };
  const reportOnly = options.reportOnly || settings.drift === 'report-only';
  const prune = options.prune && settings.prune;

  let drift: DriftItem[] = [];
  let repair: Push | undefined;
  let driftText: string | undefined;
  if (applied && appliedView) {
    drift = findDrift(live, appliedView);
    if (drift.length) {
      const r = driftRepair(live, appliedView);
      driftText = r.text;
      repair = pushOf(r.base, appliedView, r.patch, r.text);
    }
  }

  let revisionStep: SyncPlan['revisionStep'];
  if (!applied || input.revision !== applied.revision) {
    if (!candidate || candidate.revision !== input.revision) throw new Error(`planSync: no validated candidate for revision ${input.revision}`);
    if (!candidate.ok) revisionStep = { kind: 'refuse', revision: input.revision, problems: candidate.problems };
    else revisionStep = applied && appliedView ? nextRevision(candidate, live, appliedView, applied.owned, prune) : firstSync(candidate, live);
  }

  const plan: SyncPlan = { revision: input.revision, suspended: !!state.suspended, settings, reportOnly, drift, ...(applied ? { appliedRevision: applied.revision } : {}), ...(driftText ? { driftText } : {}), ...(revisionStep ? { revisionStep } : {}) };
  if (plan.suspended) return plan;
  // A refused revision keeps the cluster exactly as it is: no repair either.
  if (revisionStep?.kind === 'refuse') return { ...plan, step: revisionStep };
  if (repair && !reportOnly && applied) return { ...plan, step: { kind: 'repair', revision: applied.revision, push: repair, drift } };
  if (revisionStep) return { ...plan, step: revisionStep };
  return plan;
}

function pushOf(base: Cib, target: Cib, patch: XmlElement, text?: string): Push {
  const before = topResources(base);
  return {
    base,
    target,
    patch,
    text: text ?? formatPatchText(base, patch),
    changes: patch.children.filter((c) => isElement(c) && c.tag === 'change').length,
    created: [...topResources(target).keys()].filter((id) => !before.has(id)),
  };
}

const diff = (base: Cib, target: Cib) => diffCib(base, target, { noVersion: true, minimal: true });

function firstSync(c: Extract<Candidate, { ok: true }>, live: Cib): Extract<SyncStep, { kind: 'apply' }> {
  const base = projection(live, c.view);
  const push = pushOf(base, c.view, diff(base, c.view));
  return {
    kind: 'apply', revision: c.revision, firstSync: true, push, pruned: [], released: [],
    record: { revision: c.revision, cib: serialize(c.view), owned: push.created.sort(), settings: c.settings },
  };
}

function nextRevision(c: Extract<Candidate, { ok: true }>, live: Cib, appliedView: Cib, owned: string[], prune: boolean): Extract<SyncStep, { kind: 'apply' }> {
  const before = topResources(appliedView);
  const after = topResources(c.view);
  const inLive = topResources(live);
  const ownedSet = new Set(owned);
  const gone = [...before.keys()].filter((id) => !after.has(id));
  const pruned = prune ? gone.filter((id) => ownedSet.has(id)) : [];
  const released = gone.filter((id) => !pruned.includes(id));

  // Base: the applied view, with each pruned resource as live has it now, so that the delete does
  // not conflict with what someone added to it by hand (the source created it; it goes).
  const base = cloneTree(appliedView);
  const baseRes = resourcesOf(base);
  for (const id of pruned) {
    const at = baseRes.children.findIndex((k) => isElement(k) && k.attrs.id === id);
    const l = inLive.get(id);
    if (l) baseRes.children[at] = cloneTree(l);
    else baseRes.children.splice(at, 1); // already gone from live
  }
  // A resource new in the source that live already has is adopted, as in a first sync: its base
  // is the live one seen through the source's eyes, so only what the source sets changes.
  for (const [id, s] of after) {
    const l = inLive.get(id);
    if (!before.has(id) && l && l.tag === s.tag) baseRes.children.push(project(l, s));
  }
  // Target: the new view, plus the released resources unchanged (so they are not deleted).
  const target0 = cloneTree(c.view);
  const targetRes = resourcesOf(target0);
  for (const id of released) targetRes.children.push(cloneTree(before.get(id)!));
  const target = alignOrder(base, target0);
  const push = pushOf(base, target, diff(base, target));
  const stillOwned = [...new Set([...owned, ...push.created])].filter((id) => after.has(id)).sort();
  return {
    kind: 'apply', revision: c.revision, firstSync: false, push, pruned, released,
    record: { revision: c.revision, cib: serialize(c.view), owned: stillOwned, settings: c.settings },
  };
}

const serialize = (view: Cib) => serializeXml(view);
