// `berth gitops run|status|diff|suspend|resume`: the live CIB kept in step with a CIB in a git
// repository or a directory (src/gitops). Only flags → dependencies → one library call → rendering.
import { BerthError, problem } from '../errors/registry';
import { Command, Invocation, flagString, untilStopped, valueFlags as valueFlagsOf } from './invocation';
import { renderProblems } from './render';
import type { CibStore } from '../store/store';
import type { SyncDeps, SyncReport } from '../gitops/sync';
import type { SourceSpec } from '../gitops/source';
import type { GitopsState } from '../gitops/state';
import { lazy } from './lazy';

export const DEFAULT_GITOPS_CACHE = '/var/cache/berth/gitops';
const DEFAULT_INTERVAL = '30s';

const COMMON_FLAGS = `  --store URL      the live CIB's store (default $BERTH_STORE, else file:///var/lib/berth); the
                   gitops record is kept there too (side key gitops/NAME)
  --name NAME      several gitops sources may feed one store, each with its own NAME (default
                   'default')`;

const SOURCE_FLAGS = `  --source SRC     a git repository: a local path (working tree or bare) or file:///PATH; or a
                   plain directory (a path that is not a repository's top, or dir:PATH)
  --ref REF        the branch or tag to follow (git only; default: the repository's HEAD)
  --path P         the CIB inside the source, XML or JSON (default cib.xml, else cib.json);
                   berth-gitops.json beside it holds the source's settings (see below)
  --cache-dir DIR  where fetched repositories are kept (default $BERTH_GITOPS_CACHE, else
                   ${DEFAULT_GITOPS_CACHE})`;

export const gitopsHelp = `Usage: berth gitops run|status|diff|suspend|resume [flags]

Keep the live CIB in step with a CIB kept in a git repository or a directory (GitOps). Each new
revision is validated (schema + rules), shown, and pushed as a diff-against push from the last
applied revision: what others changed in the live CIB outside the source's reach survives.

  gitops run --source SRC [--ref REF] [--path P] [--interval 30s] [--once] [--report-only]
                                        sync now and every interval (--once: one sync)
  gitops status [--json]                source and applied revision, drift, last error
  gitops diff [--json]                  what a sync would change (exit 0 in sync, 1 drift, 2 error)
  gitops suspend | resume               stop / restart pushing (recorded in the store)

'berth gitops COMMAND --help' explains each.
`;

export const gitopsRunHelp = `Usage: berth gitops run --source SRC [--ref REF] [--path P] [--interval 30s] [--once]
                       [--report-only] [--no-prune] [--store URL] [--name NAME] [--cache-dir DIR]
                       [--json]

Sync the live CIB from the source now, then every --interval (and soon after the live CIB
changes), until SIGINT/SIGTERM. A sync:
  1. fetches the source's revision (git fetch of REF into the cache, or the directory's files:
     its revision is the hash of their content);
  2. validates a new revision as 'berth cib validate' does (and its berth-gitops.json). An
     invalid revision is refused: the revision and every problem are printed and recorded, and
     the cluster keeps what it runs; it is reported once, and the next commit is tried;
  3. pushes it with diff-against semantics (as 'berth cluster cib-push diff-against=...'): the
     patch from the last applied revision to the new one, checked against the live CIB. A live
     change to something the revision also changes is a conflict: nothing is pushed, the
     conflicts are printed. Changes are shown as 'berth cib diff --format text' shows them;
  4. records the revision, time and result in the store ('berth gitops status').
First sync: only what the source sets is changed; resources already in the live CIB are adopted
(changed to match the source, never pruned); everything else in the live CIB is kept.
Drift (the live CIB differs from the applied revision in something the source sets) is repaired
by pushing the source's values back, unless --report-only or the source's settings say
"report-only"; a manual change to something the source does not set is not drift and survives.
Prune: a resource removed from the source is removed from the live CIB when the source created
it; one that existed before (adopted) is only released. --no-prune releases all.
Containers follow the live CIB through 'berth controller' or 'berth apply' as usual.

Flags:
${SOURCE_FLAGS}
  --interval D     time between syncs: 30s (default), 500ms, 5m, 1h, or seconds
  --once           one sync, then exit
  --report-only    never repair drift, only report it
  --no-prune       never remove resources that left the source
${COMMON_FLAGS}
  --json           with --once: the sync's report as data

berth-gitops.json (optional, beside the CIB, part of each revision):
  {"drift": "repair" | "report-only", "prune": true | false}

Exit codes (--once): 0 applied, nothing to do, or suspended; 1 the revision was refused, the push
  conflicted, or the source or store failed; 2 usage error. Without --once: 0 when stopped.
`;

export const gitopsStatusHelp = `Usage: berth gitops status [--json] [--store URL] [--name NAME]

What gitops last did, from the record in the store (the source is not fetched): the source, its
revision as last fetched, the applied revision (when, how many changes, the resources the source
created), whether it is suspended, the drift of the live CIB from the applied revision (computed
now), the last result and the last error.

Flags:
${COMMON_FLAGS}
  --json           the status as data

Exit codes: 0 shown, 1 the store cannot be read, 2 usage error.
`;

export const gitopsDiffHelp = `Usage: berth gitops diff [--source SRC [--ref REF] [--path P]] [--report-only] [--no-prune]
                        [--json] [--store URL] [--name NAME] [--cache-dir DIR]

Fetch the source (the one 'gitops run' last used, unless --source is given) and show what a sync
would change, without changing anything: the new revision's change to the live CIB (or why it
would be refused), and the drift of the live CIB from the applied revision with its repair.

Exit codes: 0 in sync (the source's revision is applied and there is no drift), 1 a sync would
  change something (a new revision, or drift), 2 error (the revision would be refused, the source
  or the store cannot be read, usage error).
`;

export const gitopsSuspendHelp = `Usage: berth gitops suspend|resume [--store URL] [--name NAME]

suspend: gitops stops pushing (no revision is applied, no drift repaired) until resumed; a
running 'gitops run' keeps fetching and reports what it would do. The suspension is recorded in
the store, so it holds for every 'gitops run' on that store and NAME, and across restarts.
resume: syncing goes on at the next pass.

Exit codes: 0 done, 1 the store cannot be read or written, 2 usage error.
`;

// Flags whose value may come as the next word; the general parser knows some value flags only.
const VALUE_FLAGS = ['source', 'ref', 'path', 'interval', 'store', 'name', 'cache-dir'];

const values = (inv: Invocation) => valueFlagsOf(inv, VALUE_FLAGS);

/** 30s, 500ms, 5m, 1h, or a number of seconds → milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  const ms = m ? Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h']) : NaN;
  if (!Number.isFinite(ms) || ms < 100) {
    throw new BerthError([problem('USAGE', { path: `--${flag}`, value: text, allowed: 'a duration of at least 100ms: 500ms, 30s, 5m, 1h, or seconds', message: `'${text}' is not a valid --${flag}; use e.g. 30s, 5m or 500ms` })]);
  }
  return ms;
}

function openStoreFor(v: Record<string, string | undefined>, inv: Invocation): CibStore {
  const { openStore } = lazy.storeOpen();
  return openStore(v.store ?? flagString(inv.flags, 'store'));
}

async function withStore<T>(store: CibStore, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } finally {
    await store.close();
  }
}

function syncDeps(inv: Invocation, v: Record<string, string | undefined>, store: CibStore, spec: SourceSpec, key: string): SyncDeps {
  return {
    store,
    key,
    spec,
    cacheDir: v['cache-dir'] ?? process.env.BERTH_GITOPS_CACHE ?? DEFAULT_GITOPS_CACHE,
    options: { reportOnly: !!inv.flags['report-only'], prune: !inv.flags['no-prune'] },
    now: () => new Date(),
    progress: (line) => inv.io.err(`${line}\n`),
  };
}

function specFrom(v: Record<string, string | undefined>): SourceSpec {
  const { parseSourceSpec } = lazy.gitopsSource();
  if (v.source === undefined) throw new BerthError([problem('USAGE', { path: '--source', message: '--source is required: a git repository (path or file:// URL) or a directory' })]);
  return parseSourceSpec(v.source, { ...(v.ref !== undefined ? { ref: v.ref } : {}), ...(v.path !== undefined ? { path: v.path } : {}) });
}

function reportJson(r: SyncReport): object {
  return {
    revision: r.revision ?? null,
    subject: r.subject ?? null,
    appliedRevision: r.appliedRevision ?? null,
    result: r.result,
    message: r.message,
    pushed: r.pushed,
    drift: r.drift,
    reportOnly: r.reportOnly,
    problems: r.problems,
  };
}

export const gitopsRunCmd: Command = (inv) => {
  const v = values(inv);
  const { stateKey } = lazy.gitopsState();
  const spec = specFrom(v);
  const key = stateKey(v.name);
  const intervalMs = parseDuration(v.interval ?? DEFAULT_INTERVAL, 'interval');
  const store = openStoreFor(v, inv);
  const deps = syncDeps(inv, v, store, spec, key);
  return withStore(store, async () => {
    const { syncOnce } = lazy.gitopsSync();
    const { startGitops } = lazy.gitopsDaemon();
    const { describeSource } = lazy.gitopsSource();
    if (inv.flags.once) {
      const r = await syncOnce(deps);
      if (inv.flags.json) inv.io.out(JSON.stringify(reportJson(r), null, 2) + '\n');
      else {
        for (const p of r.pushed) inv.io.out(`${p.kind === 'repair' ? 'Drift repaired' : p.firstSync ? 'First sync' : 'Revision'} ${p.revision.slice(0, 12)}:${p.changes ? `\n${p.text}` : ' no change to the live CIB\n'}`);
        if (r.drift.length && !r.pushed.some((p) => p.kind === 'repair')) inv.io.out(`Drift (${r.reportOnly ? 'report-only' : 'not repaired'}):\n${r.driftText ?? ''}`);
        if (r.problems.length) renderProblems(r.problems, inv.io, false);
        if (r.problems[0]?.message !== r.message) inv.io.err(`${r.message}\n`);
      }
      return r.result === 'refused' || r.result === 'conflict' || r.result === 'error' ? 1 : 0;
    }
    const log = (line: string) => inv.io.out(`${new Date().toISOString()} ${line}\n`);
    log(`berth gitops: ${describeSource(spec)} → ${store.url} (key ${key}), every ${intervalMs / 1000}s${deps.options.reportOnly ? ', report-only' : ''}`);
    // Progress of real work only (validating, pushing, repairing), not the fetch of every pass.
    const progress = (line: string) => { if (!/^fetch/.test(line)) log(line); };
    const d = startGitops({ ...deps, progress }, { intervalMs, log });
    return untilStopped(d.done, () => { log('stopping'); void d.stop(); });
  });
};

function statusJson(s: GitopsState, drift: unknown[]): object {
  const { applied, ...rest } = s;
  return { ...rest, applied: applied ? { revision: applied.revision, at: applied.at, owned: applied.owned, settings: applied.settings } : null, driftNow: drift };
}

export const gitopsStatusCmd: Command = (inv) => {
  const v = values(inv);
  const { stateKey, readState } = lazy.gitopsState();
  const key = stateKey(v.name);
  const store = openStoreFor(v, inv);
  return withStore(store, async () => {
    const { findDrift, formatDriftItem } = lazy.gitopsDrift();
    const { describeSource, shortRevision } = lazy.gitopsSource();
    const { parseCib } = lazy.cib();
    const s = await readState(store, key);
    const drift = s.applied ? findDrift(parseCib((await store.read()).text, 'the live CIB'), parseCib(s.applied.cib, 'the applied source view')) : [];
    if (inv.flags.json) {
      inv.io.out(JSON.stringify(statusJson(s, drift), null, 2) + '\n');
      return 0;
    }
    const lines: string[] = [];
    const row = (k: string, val: string) => lines.push(`${(k + ':').padEnd(20)}${val}`);
    row('source', s.source ? describeSource(s.source) : '(never run)');
    row('source revision', s.seen ? `${shortRevision(s.seen.revision)}${s.seen.subject ? ` "${s.seen.subject}"` : ''} (fetched ${s.seen.at})` : '-');
    row('applied revision', s.applied ? `${shortRevision(s.applied.revision)} at ${s.applied.at}` : '(none)');
    if (s.applied) {
      row('drift mode', `${s.applied.settings.drift}${s.applied.settings.prune ? '' : ', no prune'}`);
      row('created by source', s.applied.owned.length ? s.applied.owned.join(', ') : '(none)');
    }
    row('suspended', s.suspended ? `yes, since ${s.suspended.at}` : 'no');
    row('drift', drift.length ? `${drift.length} difference${drift.length === 1 ? '' : 's'}` : s.applied ? 'none' : '-');
    for (const d of drift) lines.push(`  ${formatDriftItem(d)}`);
    row('last result', s.last ? `${s.last.result} at ${s.last.at}: ${s.last.message}` : '-');
    row('last error', s.lastError ? `${s.lastError.result} at ${s.lastError.at}: ${s.lastError.message}` : '-');
    inv.io.out(lines.join('\n') + '\n');
    return 0;
  });
};

export const gitopsDiffCmd: Command = async (inv) => {
  const v = values(inv);
  const { stateKey, readState } = lazy.gitopsState();
  const key = stateKey(v.name);
  const store = openStoreFor(v, inv);
  return withStore(store, async () => {
    const { previewSync } = lazy.gitopsSync();
    const { formatDriftItem } = lazy.gitopsDrift();
    const { shortRevision } = lazy.gitopsSource();
    try {
      let spec: SourceSpec;
      if (v.source !== undefined) spec = specFrom(v);
      else {
        const recorded = (await readState(store, key)).source;
        if (!recorded) throw new BerthError([problem('USAGE', { path: '--source', message: `no gitops source recorded in ${store.url} (key ${key}); give --source` })]);
        spec = recorded;
      }
      const { rev, plan } = await previewSync(syncDeps(inv, v, store, spec, key));
      const step = plan.revisionStep;
      const refused = step?.kind === 'refuse' ? step.problems : undefined;
      const change = step?.kind === 'apply' ? step : undefined;
      const inSync = !refused && (!change || change.push.changes === 0) && plan.drift.length === 0;
      if (inv.flags.json) {
        inv.io.out(JSON.stringify({
          revision: rev.revision, appliedRevision: plan.appliedRevision ?? null, inSync, suspended: plan.suspended, reportOnly: plan.reportOnly,
          change: change ? { text: change.push.text, changes: change.push.changes, firstSync: change.firstSync, pruned: change.pruned, released: change.released } : null,
          drift: plan.drift, problems: refused ?? [],
        }, null, 2) + '\n');
      } else {
        inv.io.out(`Source revision ${rev.short}${rev.subject ? ` "${rev.subject}"` : ''}; applied ${plan.appliedRevision ? shortRevision(plan.appliedRevision) : '(none)'}${plan.suspended ? ' (suspended)' : ''}\n`);
        if (refused) renderProblems(refused, inv.io, false);
        if (change && change.push.changes) {
          inv.io.out(`Revision ${rev.short} would change the live CIB${change.firstSync ? ' (first sync)' : ''}:\n${change.push.text}`);
          if (change.pruned.length) inv.io.out(`pruned (created by the source): ${change.pruned.join(', ')}\n`);
          if (change.released.length) inv.io.out(`released (left in the live CIB): ${change.released.join(', ')}\n`);
        }
        if (plan.drift.length) {
          inv.io.out(`Drift from revision ${shortRevision(plan.appliedRevision!)} (${plan.drift.length} difference${plan.drift.length === 1 ? '' : 's'}, ${plan.reportOnly ? 'report-only' : 'repaired by the next sync'}):\n`);
          for (const d of plan.drift) inv.io.out(`  ${formatDriftItem(d)}\n`);
          inv.io.out(`Repair:\n${plan.driftText ?? ''}`);
        }
        if (inSync) inv.io.out(`In sync: the live CIB matches revision ${rev.short}.\n`);
      }
      return refused ? 2 : inSync ? 0 : 1;
    } catch (e) {
      if (!(e instanceof BerthError) || e.problems.some((p) => p.code === 'USAGE')) throw e;
      renderProblems(e.problems, inv.io, inv.flags.json);
      return 2;
    }
  });
};

function suspendCmd(suspend: boolean): Command {
  return (inv) => {
    const v = values(inv);
    const { stateKey, updateState } = lazy.gitopsState();
    const key = stateKey(v.name);
    const store = openStoreFor(v, inv);
    return withStore(store, async () => {
      let was = false;
      await updateState(store, key, (s) => {
        was = !!s.suspended;
        const { suspended: _, ...rest } = s;
        return suspend ? { ...rest, suspended: s.suspended ?? { at: new Date().toISOString() } } : rest;
      });
      inv.io.err(suspend
        ? (was ? 'gitops was already suspended\n' : `gitops suspended (${store.url}, ${key}): nothing is pushed until 'berth gitops resume'\n`)
        : (was ? `gitops resumed (${store.url}, ${key}): the next pass syncs\n` : 'gitops was not suspended\n'));
      return 0;
    });
  };
}

export const gitopsSuspendCmd: Command = suspendCmd(true);
export const gitopsResumeCmd: Command = suspendCmd(false);
export const gitopsResumeHelp = gitopsSuspendHelp;

/** `berth gitops` alone (or with an unknown word): the overview; exit 2 for an unknown word. */
export const gitopsUsageCmd: Command = (inv) => {
  if (inv.args.length === 0) {
    inv.io.out(gitopsHelp);
    return 0;
  }
  inv.io.err(`Error: unknown command 'berth gitops ${inv.args.join(' ')}'\n\n${gitopsHelp}`);
  return 2;
};
