// `resource restart BUNDLE` as crm_resource --restart does it, through the CIB: target-role=Stopped,
// wait until the controller has stopped every replica, put the bundle's meta attributes back as
// they were (src/commands/resource-restart.ts), wait until as many replicas run as before. The CIB
// is never left with the Stopped this command set: a failure or a timeout while waiting undoes it.
// Every edge comes in through RestartDeps (the live CIB, an observation, the clock); the one
// difference between a node and a cluster is where the observation comes from: a pass over this
// node's engine (passObserver) or the leading controller's status (cluster/controller-client.ts).
import type { Cib } from '../cib/cib';
import { BerthError, problem } from '../errors/registry';
import type { EditCommand, EditResult } from '../commands/edit';
import { restartRestore, restartStop, restartTarget } from '../commands/resource-restart';
import { PassDeps, runPass } from './pass';

export interface ReplicaCount {
  running: number;
  /** a node that may run one of the replicas could not be observed */
  unknown: boolean;
}

export interface RestartDeps {
  /** the live CIB as it is now */
  read(): Promise<Cib>;
  /** an edit of the live CIB (compare-and-swap on a store, the file's lock on a file) */
  edit(edit: EditCommand): Promise<EditResult>;
  /** the bundle's replicas running now, wherever the controller runs them; a failure while waiting
   * (a leader hand-over) is waited out until the timeout */
  observe(bundle: string): Promise<ReplicaCount>;
  now(): number;
  sleep(ms: number): Promise<void>;
  log(line: string): void;
}

export interface RestartOptions {
  /** for both waits together */
  timeoutMs: number;
  pollMs: number;
}

export interface RestartReport {
  bundle: string;
  /** replicas running before, and again at the end */
  running: number;
  stoppedAfterMs: number;
  startedAfterMs: number;
}

async function waitFor(deps: RestartDeps, bundle: string, done: (c: ReplicaCount) => boolean, deadline: number, opts: RestartOptions): Promise<{ count?: ReplicaCount; error?: string }> {
  let error: string | undefined;
  for (;;) {
    try {
      const c = await deps.observe(bundle);
      if (done(c)) return { count: c };
      error = undefined;
    } catch (e) {
      const message = e instanceof BerthError ? e.problems.map((p) => p.message).join('; ') : (e as Error).message;
      if (message !== error) deps.log(`cannot observe '${bundle}' now (waiting on): ${message}`);
      error = message;
    }
    if (deps.now() >= deadline) return { ...(error !== undefined ? { error } : {}) };
    await deps.sleep(Math.min(opts.pollMs, Math.max(0, deadline - deps.now())));
  }
}

const timeout = (bundle: string, what: string, ms: number, error?: string) =>
  new BerthError([problem('WAIT_TIMEOUT', { path: 'resource', value: bundle, allowed: 'a longer --timeout', message: `'${bundle}': ${what} within ${Math.round(ms / 1000)} s${error !== undefined ? ` (last observation failed: ${error})` : ''}` })]);

export async function restartBundle(deps: RestartDeps, args: string[], opts: RestartOptions): Promise<RestartReport> {
  const start = deps.now();
  const deadline = start + opts.timeoutMs;
  const bundle = restartTarget(await deps.read(), args);
  const before = await deps.observe(bundle);
  if (before.running === 0) {
    throw new BerthError([problem('RESOURCE_NOT_RUNNING', { path: 'resource', value: bundle, message: `no replica of '${bundle}' runs${before.unknown ? ' on the nodes that answer' : ''}: there is nothing to restart` })]);
  }
  const stop = restartStop(bundle);
  await deps.edit(stop.edit);
  const memo = stop.memo();
  deps.log(`set target-role=Stopped on '${bundle}' (${before.running} replica${before.running === 1 ? '' : 's'} running)`);
  let restored = false;
  const restore = async () => {
    if (restored) return;
    restored = true;
    await deps.edit(restartRestore(memo));
    deps.log(`put the meta attributes of '${bundle}' back as they were`);
  };
  let stoppedAfterMs: number;
  try {
    const stopped = await waitFor(deps, bundle, (c) => c.running === 0 && !c.unknown, deadline, opts);
    if (!stopped.count) throw timeout(bundle, 'the replicas did not all stop (the target-role it set is undone)', opts.timeoutMs, stopped.error);
    stoppedAfterMs = deps.now() - start;
    deps.log(`every replica of '${bundle}' stopped after ${stoppedAfterMs} ms`);
  } finally {
    await restore();
  }
  const started = await waitFor(deps, bundle, (c) => c.running >= before.running, deadline, opts);
  if (!started.count) throw timeout(bundle, `${before.running} replica${before.running === 1 ? ' did' : 's did'} not run again (the CIB is as it was before the restart)`, opts.timeoutMs, started.error);
  return { bundle, running: started.count.running, stoppedAfterMs, startedAfterMs: deps.now() - start };
}

/** The bundle's replicas as one pass of the controller observes them (nothing applied). */
export function passObserver(deps: PassDeps): (bundle: string) => Promise<ReplicaCount> {
  return async (bundle) => {
    const r = await runPass(deps, { apply: false });
    const running = r.nodes.reduce((k, n) => k + n.observed.containers.filter((c) => c.bundle === bundle && c.state === 'running').length, 0);
    return { running, unknown: r.unreachable.length > 0 };
  };
}
