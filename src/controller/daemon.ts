// `berth controller`: the level-triggered loop. Wake-ups (a CIB change, an engine event, the
// periodic resync, a pass that left work waiting) only mark "a pass is due"; a pass never sees
// what woke it and compares everything, so a missed event is repaired by the next pass. Wake-ups
// during a pass coalesce into one more pass. Errors back off (engine unreachable, ...); an
// invalid CIB is reported once per version and the last good CIB stays in force.
import { BERTH_LABELS } from '../runtime/engine';
import type { Cib } from '../cib/cib';
import { problemsKey } from '../errors/registry';
import type { ContainerRun } from '../reconcile/observed';
import { planChanges } from '../reconcile/plan';
import { PassDeps, PassResult, runPass } from './pass';
import { PassTrigger } from './pass-trigger';

export interface ControllerOptions {
  /** periodic resync, ms (default 30 s) */
  resyncMs?: number;
  /** while work waits (rolling update, a container starting), ms (default 1 s) */
  busyMs?: number;
  /** a second pass this long after the last engine event (default 750 ms): the engine reports an
   * event before its listing shows it, so the pass an event wakes may still see the old state */
  settleMs?: number;
  /** first back-off after an error, doubling up to maxBackoffMs */
  backoffMs?: number;
  maxBackoffMs?: number;
  log: (line: string) => void;
  /** each pass's result, for tests and `--json` logs */
  onPass?: (r: PassResult) => void;
}

export interface Controller {
  /** resolves when stopped */
  done: Promise<void>;
  /** wake it now (as an event would) */
  poke(why: string): void;
  stop(): Promise<void>;
  readonly passes: number;
}


export function startController(passDeps: PassDeps, opts: ControllerOptions): Controller {
  // Each action is logged with the controller's log unless the dependencies bring their own.
  const deps: PassDeps = passDeps.log ? passDeps : { ...passDeps, log: opts.log };
  const resyncMs = opts.resyncMs ?? 30_000;
  const busyMs = opts.busyMs ?? 1000;
  const maxBackoff = opts.maxBackoffMs ?? 30_000;
  const abort = new AbortController();
  const cache = new Map<string, ContainerRun>();
  let lastGood: Cib | undefined;
  let reportedCib = '';
  let reportedProblems = '';
  let passes = 0;
  let backoff = 0;
  /** when a failure-timeout ends: the plan changes then without any event */
  let recheckAt = Infinity;
  let settleAt = Infinity;
  const settleMs = opts.settleMs ?? 750;

  const trigger = new PassTrigger(abort.signal, opts.log);
  const poke = (why: string) => trigger.poke(why);

  // Engine events: any event of a berth container on this node wakes a pass and forgets what an
  // inspect said about that container. The stream ends when the engine restarts: follow again.
  // `since`: events between the last pass and the (re)subscription are replayed, not lost.
  let lastPassAt = deps.now();
  const followEvents = async () => {
    while (!abort.signal.aborted) {
      try {
        for await (const e of deps.engine.events({ labels: { [BERTH_LABELS.node]: deps.node }, since: lastPassAt - 1000 }, abort.signal)) {
          cache.delete(e.id);
          settleAt = deps.now() + settleMs;
          poke(`engine event ${e.action} ${e.name ?? e.id}`);
        }
        if (!abort.signal.aborted) poke('engine event stream ended (engine restarted?)');
      } catch (e) {
        if (abort.signal.aborted) return;
        cache.clear();
        poke('');
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  };

  const stopWatch = deps.cib.watch?.(() => poke('CIB changed'));

  const loop = async () => {
    void followEvents();
    while (!abort.signal.aborted) {
      if (!trigger.isDue) await trigger.sleep(backoff || Math.max(0, Math.min(resyncMs, recheckAt - deps.now(), settleAt - deps.now())));
      if (abort.signal.aborted) break;
      trigger.take();
      let busy = false;
      lastPassAt = deps.now();
      if (lastPassAt >= settleAt) settleAt = Infinity;
      try {
        const r = await runPass(deps, { apply: true, ...(lastGood ? { lastGood } : {}), cache });
        passes++;
        opts.onPass?.(r);
        if (process.env.BERTH_DEBUG) opts.log(`pass ${passes}: ${r.plan ? `${planChanges(r.plan).length} changes, ${r.plan.waiting.length} waiting` : 'no plan'}`);
        const errors = r.cibProblems.filter((p) => p.severity === 'error');
        if (errors.length) {
          const key = problemsKey(errors);
          if (key !== reportedCib) {
            reportedCib = key;
            opts.log(`the CIB from ${deps.cib.where} is invalid and is not applied${r.usedLastGood ? '; the last good CIB stays in force' : ''}:`);
            for (const p of errors) opts.log(`  [${p.code}] ${p.message}`);
          }
        } else {
          if (reportedCib) opts.log('the CIB is valid again');
          reportedCib = '';
          if (r.cib) lastGood = r.cib;
        }
        const problems = [...(r.plan?.problems ?? []), ...(r.applied?.problems ?? [])];
        const key = problemsKey(problems);
        if (key !== reportedProblems) {
          reportedProblems = key;
          for (const p of problems) opts.log(`problem [${p.code}]: ${p.message}`);
        }
        if (r.plan) busy = planChanges(r.plan).length > 0 || r.plan.waiting.length > 0;
        recheckAt = r.plan?.recheckAt !== undefined ? r.plan.recheckAt + 50 : Infinity;
        backoff = r.applied?.problems.some((p) => p.code === 'ENGINE_UNREACHABLE') ? Math.min(maxBackoff, Math.max(opts.backoffMs ?? 500, backoff * 2)) : 0;
      } catch (e) {
        backoff = Math.min(maxBackoff, Math.max(opts.backoffMs ?? 500, backoff * 2));
        cache.clear();
        opts.log(`pass failed (retry in ${backoff} ms): ${(e as Error).message}`);
      }
      // Work left (a rolling update waiting for health, actions that just ran): look again soon.
      if (busy && !trigger.isDue && !backoff) await trigger.sleep(busyMs);
      if (busy) trigger.poke('');
    }
    stopWatch?.();
  };

  const done = loop();
  return {
    done,
    poke,
    get passes() { return passes; },
    stop: async () => {
      abort.abort();
      trigger.interrupt();
      await done;
      await deps.cib.close?.();
    },
  };
}
