// `berth gitops run` without --once: a sync every interval, and soon after the live CIB changes
// (so that a manual edit is seen as drift without waiting). Level-triggered: a wake-up only says
// "look again". Each outcome is logged once: a pass that finds what the last one found is silent.
import { formatDriftItem } from './drift';
import { shortRevision } from './source';
import { SyncDeps, SyncReport, syncOnce } from './sync';

export interface GitopsDaemonOptions {
  intervalMs: number;
  /** one line per event, for people */
  log: (line: string) => void;
  /** wait this long after a live CIB change before looking (changes come in bursts) */
  settleMs?: number;
}

export interface GitopsDaemon {
  stop(): Promise<void>;
  /** resolves when stopped */
  done: Promise<void>;
  /** the reports of the passes so far (the last one last) */
  reports: SyncReport[];
}

/** What makes a report worth logging again: the same outcome for the same revision is not. */
function signature(r: SyncReport): string {
  return JSON.stringify([r.result, r.revision, r.appliedRevision, r.drift.length, r.problems.map((p) => p.message)]);
}

export function logReport(r: SyncReport, log: (line: string) => void): void {
  for (const p of r.pushed) {
    const head = p.kind === 'repair' ? `drift repaired (revision ${shortRevision(p.revision)}):` : `revision ${shortRevision(p.revision)}${p.firstSync ? ' (first sync)' : ''}:`;
    log(head);
    for (const line of p.text.trimEnd().split('\n')) log(`  ${line}`);
  }
  log(r.message);
  for (const p of r.problems.slice(1)) log(`  ${p.code}${p.path ? ` at ${p.path}` : ''}: ${p.message}`);
  if (r.drift.length && !r.pushed.some((p) => p.kind === 'repair')) for (const d of r.drift) log(`  drift: ${formatDriftItem(d)}`);
}

export function startGitops(deps: SyncDeps, opts: GitopsDaemonOptions): GitopsDaemon {
  let stopped = false;
  let wake: (() => void) | undefined;
  let pending: NodeJS.Timeout | undefined;
  const reports: SyncReport[] = [];
  const sleep = (ms: number) => new Promise<void>((resolve) => {
    const t = setTimeout(() => { wake = undefined; resolve(); }, ms);
    wake = () => { clearTimeout(t); wake = undefined; resolve(); };
  });
  const unwatch = deps.store.watch(() => {
    if (pending || stopped) return;
    pending = setTimeout(() => { pending = undefined; wake?.(); }, opts.settleMs ?? 500);
  });

  const loop = async () => {
    let last = '';
    while (!stopped) {
      let r: SyncReport;
      try {
        r = await syncOnce(deps);
      } catch (e) {
        opts.log(`internal error (a bug: please report it): ${(e as Error).stack ?? e}`);
        await sleep(opts.intervalMs);
        continue;
      }
      reports.push(r);
      if (reports.length > 100) reports.shift();
      const sig = signature(r);
      if (r.pushed.length || (sig !== last && !r.repeated)) logReport(r, opts.log);
      last = sig;
      if (stopped) break;
      await sleep(opts.intervalMs);
    }
  };
  const done = loop().finally(() => {
    unwatch();
    if (pending) clearTimeout(pending);
  });
  return {
    reports,
    done,
    async stop() {
      stopped = true;
      wake?.();
      await done;
    },
  };
}
