// THE loop, for the node controller, the cluster controller and `apply --wait` alike. Level-
// triggered: wake-ups (a CIB change, an engine event, a node joining or lost, the resync timer,
// work waiting, a failure-timeout ending) only mark a pass as due; a pass never sees what woke it.
// Wake-ups during a pass coalesce into one more pass. The loop keeps, in one place:
//   - recheckAt: the plan would differ then without any event (a failure-timeout ends)
//   - settling:  a second pass `settleMs` after an engine event (a listing can lag the event)
//   - busy:      work left (a rolling update, a container starting): look again after `busyMs`
//   - back-off:  a pass that failed, or could not reach an engine, retries after a doubling pause
//   - spacing:   while orders are under way (a pass said busy or again), the next pass starts no
//                sooner than the last one's own duration after it ended: a burst of engine events
//                makes one pass, not one each, and a large cluster's passes never fill the loop.
//                A converged cluster's first event still starts a pass at once.
//   - urgent:    a wake-up that skips the spacing (a node declared lost: its replicas are to be
//                placed elsewhere now, not after another pass's length).
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { PassTrigger } from './pass-trigger';

export interface LoopOutcome {
  /** work is left: pass again after busyMs */
  busy: boolean;
  /** pass again at once (actions just ran and their result is to be seen) */
  again?: boolean;
  /** ms since the epoch at which the plan changes by itself */
  recheckAt?: number;
  /** an engine could not be reached: back off */
  retry?: boolean;
  /** the loop ends (apply --wait converged, or gave up) */
  done?: boolean;
}

export interface LoopOptions {
  pass: () => Promise<LoopOutcome>;
  now: () => number;
  log: (line: string) => void;
  /** periodic resync, ms (default 30 s) */
  resyncMs?: number;
  /** while work waits, ms (default 1 s) */
  busyMs?: number;
  /** a second pass this long after the last engine event (default 750 ms) */
  settleMs?: number;
  /** first back-off after an error, doubling up to maxBackoffMs (default 500 ms .. 30 s) */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** another time the loop must wake at (the next lease to end), ms since the epoch */
  nextWake?: () => number;
}

export interface Loop {
  /** resolves when stopped, or when a pass said done */
  done: Promise<void>;
  /** a pass is due now; `why` is logged with BERTH_DEBUG */
  poke(why: string): void;
  /** an engine event: a pass now, and another once the engine's listing has caught up */
  event(why: string): void;
  /** a pass now, without waiting out the spacing of a busy loop */
  urgent(why: string): void;
  stop(): Promise<void>;
  readonly passes: number;
  readonly signal: AbortSignal;
}

export function startLoop(o: LoopOptions): Loop {
  const abort = new AbortController();
  const trigger = new PassTrigger(abort.signal, o.log);
  const resyncMs = o.resyncMs ?? 30_000;
  const busyMs = o.busyMs ?? 1000;
  const settleMs = o.settleMs ?? 750;
  const maxBackoff = o.maxBackoffMs ?? 30_000;
  const grow = (b: number) => Math.min(maxBackoff, Math.max(o.backoffMs ?? 500, b * 2));
  let passes = 0;
  let backoff = 0;
  let busy = false;
  let recheckAt = Infinity;
  let settleAt = Infinity;
  /** while orders are under way: no pass before then (performance.now(): real time, whatever `now` is) */
  let spacedUntil = 0;
  /** ends the spacing pause under way (an urgent wake-up) */
  let spacingWait: AbortController | undefined;
  /** an urgent wake-up came since the last pass started: the next pass is not spaced */
  let urgentWake = false;

  const run = async () => {
    while (!abort.signal.aborted) {
      if (!trigger.isDue) {
        const now = o.now();
        let until = backoff || Math.min(resyncMs, recheckAt - now, settleAt - now, (o.nextWake?.() ?? Infinity) - now);
        if (busy && !backoff) until = Math.min(until, busyMs);
        await trigger.sleep(Math.max(0, until));
      }
      const spacing = spacedUntil - performance.now();
      // Wake-ups meanwhile only make the pass due; the abort ends the wait.
      if (spacing > 0 && !backoff) {
        spacingWait = new AbortController();
        await delay(spacing, undefined, { signal: AbortSignal.any([abort.signal, spacingWait.signal]) }).catch(() => {});
        spacingWait = undefined;
      }
      if (abort.signal.aborted) break;
      trigger.take();
      urgentWake = false;
      if (o.now() >= settleAt) settleAt = Infinity;
      const startedAt = performance.now();
      try {
        const r = await o.pass();
        passes++;
        const endedAt = performance.now();
        spacedUntil = (r.busy || r.again) && !urgentWake ? endedAt + (endedAt - startedAt) : 0;
        busy = r.busy;
        recheckAt = r.recheckAt !== undefined ? r.recheckAt + 50 : Infinity;
        backoff = r.retry ? grow(backoff) : 0;
        if (r.done) return;
        if (r.again && !backoff) trigger.poke('');
      } catch (e) {
        backoff = grow(backoff);
        o.log(`pass failed (retry in ${backoff} ms): ${(e as Error).message}`);
      }
    }
  };
  const done = run();
  return {
    done,
    poke: (why) => trigger.poke(why),
    event: (why) => {
      settleAt = o.now() + settleMs;
      trigger.poke(why);
    },
    urgent: (why) => {
      urgentWake = true;
      spacedUntil = 0;
      spacingWait?.abort();
      trigger.poke(why);
    },
    get passes() { return passes; },
    signal: abort.signal,
    stop: async () => {
      abort.abort();
      trigger.interrupt();
      await done;
    },
  };
}
