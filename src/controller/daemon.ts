// `berth controller` on one node: THE loop (loop.ts) around THE pass (pass.ts) with one local node
// handle. Woken by CIB changes, the local engine's events (+ a settle pass), failure-timeouts and
// a periodic resync; backs off while the engine cannot be reached. An invalid CIB is reported once
// per version and the last good CIB stays in force. The cluster controller (src/cluster) is the
// same loop and pass with a handle per node and a leader.
import type { Cib } from '../cib/cib';
import type { ContainerRun } from '../reconcile/observed';
import { planChanges } from '../reconcile/plan';
import { followEvents } from './follow';
import { startLoop } from './loop';
import { PassDeps, PassResult, runPass } from './pass';
import { PassReporter } from './report';

export interface ControllerOptions {
  /** periodic resync, ms (default 30 s) */
  resyncMs?: number;
  /** while work waits (rolling update, a container starting), ms (default 1 s) */
  busyMs?: number;
  /** a second pass this long after the last engine event (default 750 ms) */
  settleMs?: number;
  backoffMs?: number;
  maxBackoffMs?: number;
  log: (line: string) => void;
  /** each pass's result, for tests and `--json` logs */
  onPass?: (r: PassResult) => void;
}

export interface Controller {
  done: Promise<void>;
  poke(why: string): void;
  stop(): Promise<void>;
  readonly passes: number;
}

/** The outcome of a pass for the loop: busy while anything is to change or waits. */
export function loopOutcome(r: PassResult) {
  const changes = r.nodes.some((n) => planChanges(n.plan).length > 0);
  return {
    busy: changes || r.held.length > 0 || r.unreachable.length > 0 || r.nodes.some((n) => n.plan.waiting.length > 0),
    ...(r.recheckAt !== undefined ? { recheckAt: r.recheckAt } : {}),
    // An engine that does not answer, during the apply or already when observed: back off.
    retry: r.nodes.some((n) => n.applied?.problems.some((p) => p.code === 'ENGINE_UNREACHABLE')) || (r.nodes.length === 0 && r.unreachable.some((u) => u.problem?.code === 'ENGINE_UNREACHABLE')),
  };
}

export function startController(passDeps: PassDeps, opts: ControllerOptions): Controller {
  const deps: PassDeps = { ...passDeps, log: passDeps.log ?? opts.log, memo: passDeps.memo ?? {} };
  const cache = new Map<string, Map<string, ContainerRun>>();
  const reporter = new PassReporter(opts.log, deps.cib.where);
  let lastGood: Cib | undefined;
  let lastPassAt = deps.now();
  const followed = new Set<string>();

  const loop = startLoop({
    now: deps.now,
    log: opts.log,
    ...(opts.resyncMs !== undefined ? { resyncMs: opts.resyncMs } : {}),
    ...(opts.busyMs !== undefined ? { busyMs: opts.busyMs } : {}),
    ...(opts.settleMs !== undefined ? { settleMs: opts.settleMs } : {}),
    ...(opts.backoffMs !== undefined ? { backoffMs: opts.backoffMs } : {}),
    ...(opts.maxBackoffMs !== undefined ? { maxBackoffMs: opts.maxBackoffMs } : {}),
    pass: async () => {
      lastPassAt = deps.now();
      const r = await runPass({
        ...deps,
        nodes: (names) => {
          const handles = deps.nodes(names);
          for (const h of handles) {
            if (!h.deps || followed.has(h.name)) continue;
            followed.add(h.name);
            const nodeCache = cache.get(h.name) ?? cache.set(h.name, new Map()).get(h.name)!;
            followEvents(h.name, h.deps, { signal: loop.signal, cache: nodeCache, since: () => lastPassAt - 1000, onEvent: (why) => (why ? loop.event(why) : loop.poke('')) });
          }
          return handles;
        },
      }, { apply: true, ...(lastGood ? { lastGood } : {}), cache });
      if (r.cib && !r.cibProblems.some((p) => p.severity === 'error')) lastGood = r.cib;
      reporter.report(r);
      opts.onPass?.(r);
      if (process.env.BERTH_DEBUG) opts.log(`pass ${loop.passes + 1}: ${r.nodes.map((n) => `${n.node} ${planChanges(n.plan).length} changes, ${n.plan.waiting.length} waiting`).join('; ') || 'no node observed'}`);
      return loopOutcome(r);
    },
  });
  const stopWatch = deps.cib.watch?.(() => loop.poke('CIB changed'));

  return {
    done: loop.done,
    poke: (why) => loop.poke(why),
    get passes() { return loop.passes; },
    stop: async () => {
      await loop.stop();
      stopWatch?.();
      await deps.cib.close?.();
    },
  };
}
