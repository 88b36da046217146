// `berth plan`, `berth apply`, `berth status`, `berth controller`: the reconciler on this node.
// Only flags → dependencies → one library call (src/controller) → rendering. The desired state is
// the live CIB (--store URL / $BERTH_STORE) or a CIB file (--cib FILE).
import { hostname } from 'node:os';
import { BerthError, Problem, problem } from '../errors/registry';
import { Command, Flags, Invocation, flagString, untilStopped, valueFlags as valueFlagsOf } from './invocation';
import { paintStates, renderProblems } from './render';
import { lazy } from './lazy';
import type { CibSource, NodePass, PassDeps, PassResult } from '../controller/pass';
import type { ProgressReporter } from './wait-progress';

export const planHelp = `Usage: berth plan [--json] [--cib FILE | --store URL] [--node NAME] [--state-dir DIR]

Show what 'berth apply' would do on this node: every action (create, start, stop, remove,
replace, add-address, remove-address, write-file) with the replica and the reason, then what
waits (a rolling update waits for the replica before it to be ready), what is only reported
(unmanaged bundles, unplaceable replicas, failure counts) and problems (an address held by
something else, ...). Nothing is changed: the engine is only read.

The CIB's other nodes take no part (berth on one node runs its own), unless the CIB holds
Pacemaker's status section (a running cluster's 'cibadmin --query'): then they are as it records
them, online or not and what runs there, so replicas stay where Pacemaker runs them (see
docs/migration.md).

Flags:
  --cib FILE      the desired state from this CIB file (XML or JSON) instead of the live CIB
  --store URL     the live CIB's store (default $BERTH_STORE, else file:///var/lib/berth)
  --node NAME     this node's name (default: the host name); only its containers are looked at
  --state-dir DIR berth's files on this node (default $BERTH_STATE_DIR, else /var/lib/berth/node)
  --json          the plan as data

Exit codes: 0 nothing to do, 1 changes pending, 2 error (invalid CIB, no engine, bad arguments, or
  a replica that cannot run: an address held by something else, ...; the plan is printed too).
`;

export const applyHelp = `Usage: berth apply [--wait [--timeout SECONDS]] [--cib FILE | --store URL] [--node NAME]
                   [--state-dir DIR] [--stop-timeout SECONDS] [--json]

Run one reconcile pass on this node: compare the whole desired state (the CIB) with what runs,
and make the changes 'berth plan' shows, printing each action as it completes. An invalid CIB is
never applied. An action that fails ends only its replica's changes (what they made is undone);
the other replicas go on. A rolling update replaces one replica per pass.

Flags:
  --wait          repeat passes until the node has converged: nothing to change, no rolling update
                  waiting, every replica running (and healthy, if it has a health check)
  --timeout S     give up waiting after S seconds (default 300); exit 1. It gives up sooner when
                  the same actions fail in 3 passes in a row, over 10 s at least, and nothing
                  else changes (a name taken by another container, a port in use: a person must
                  act), unless the engine does not answer (it may be restarting)
  --stop-timeout S seconds a container gets to stop before it is killed (default: the engine's, 10)
  --cib, --store, --node, --state-dir   as for 'berth plan'
  --json          JSON lines: one {"event":"pass"} per pass (the actions done and the problems);
                  with --wait also {"event":"progress"} when it changes and {"event":"result"} last

While --wait waits it shows how far the node is: replicas ready of those waited for, and what each
other one waits on ("waiting for web-1: container running, health check starting"). On a terminal
that is one line on stderr, redrawn in place; otherwise one line on stdout per change. A problem
is printed when it appears, not again on every pass.

Examples:
  berth apply --cib cib.xml                 one pass from a CIB file
  berth apply --wait --timeout 120          until converged, at most 2 minutes
  berth apply --wait --json | jq -c 'select(.event=="progress")'

Exit codes: 0 converged (or, without --wait, every action succeeded), 1 an action failed or a
  problem remains (all printed), 2 error (invalid CIB, no engine, bad arguments).
`;

export const statusHelp = `Usage: berth status [--json] [--watch [--interval SECONDS]] [--cib FILE | --store URL]
                    [--node NAME] [--state-dir DIR]

Each bundle and each of its replicas on this node: node, address, container state, health, the
engine that runs it (docker or podman), failure count, and why a replica is not running (or what
is pending for it). '*' after a state: the container runs an older spec than the CIB asks for.
Nothing is changed.

Flags:
  --watch         redraw every --interval seconds (default 2) until interrupted
  --json          the status as data
  --cib, --store, --node, --state-dir   as for 'berth plan'

Exit codes: 0 shown, 2 error (invalid CIB, no engine, bad arguments).
`;

export const controllerHelp = `Usage: berth controller [--cib FILE | --store URL] [--node NAME] [--state-dir DIR]
                        [--interval SECONDS] [--stop-timeout SECONDS]

Run the reconciler as a daemon on this node (see examples/berth-controller.service). It is
level-triggered: every pass compares the whole desired state with the whole observed state and
applies the difference. A pass runs when the CIB changes, when the engine reports an event of one
of berth's containers (a container died, was stopped or removed outside berth), every --interval
seconds (resync, default 30), and again soon while work waits. Each action is logged on stdout,
one line each. An invalid CIB is reported and not applied: the last good CIB stays in force.
Engine errors back off and retry. SIGINT/SIGTERM stop it; containers keep running.

Exit codes: 0 stopped by a signal, 2 error at start (bad arguments, no CIB source).
`;

// Flags whose value may come as the next word (`--cib FILE`); the general parser knows some
// value flags only, and leaves the others as `true` with the value among the positional words.
const VALUE_FLAGS = ['cib', 'state-dir', 'stop-timeout', 'node', 'store', 'timeout', 'interval'];

const valueFlags = (inv: Invocation) => valueFlagsOf(inv, VALUE_FLAGS);

function seconds(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new BerthError([problem('USAGE', { path: `--${name}`, value: v, allowed: 'a number of seconds', message: `'${v}' is not a valid --${name}, use a number of seconds` })]);
  return n;
}

function cibSource(flags: Flags, values: Record<string, string | undefined>): CibSource {
  const { fileCibSource, storeCibSource } = lazy.controllerDeps();
  if (values.cib) return fileCibSource(values.cib);
  const { openStore } = lazy.storeOpen();
  return storeCibSource(openStore(values.store ?? flagString(flags, 'store')));
}

export interface Local {
  node: string;
  pass: PassDeps;
}

function localPass(inv: Invocation, values: Record<string, string | undefined>, log?: (line: string) => void, provider = false): Local {
  const { localNodeDeps, singleNodePassDeps } = lazy.controllerDeps();
  const { DEFAULT_STATE_DIR } = lazy.controllerNodeFiles();
  const stopTimeout = values['stop-timeout'];
  const node = values.node ?? hostname();
  const deps = localNodeDeps({ node, stateDir: values['state-dir'] ?? process.env.BERTH_STATE_DIR ?? DEFAULT_STATE_DIR, provider, ...(log ? { log } : {}) });
  return {
    node,
    pass: singleNodePassDeps({
      node, deps, cib: cibSource(inv.flags, values),
      ...(stopTimeout !== undefined ? { stopTimeoutSeconds: seconds(stopTimeout, 'stop-timeout', 10) } : {}),
      ...(log ? { log } : {}),
    }),
  };
}

/** Engine and address-table failures outside apply (observe) as problems. */
function asProblems(e: unknown): Problem[] | undefined {
  if (e instanceof BerthError) return e.problems;
  const err = e as { name?: string; kind?: string; message?: string };
  if (err?.name === 'EngineError') return [problem(err.kind === 'unreachable' ? 'ENGINE_UNREACHABLE' : 'ENGINE_FAILED', { message: err.message ?? String(e) })];
  if (err?.name === 'AddressError') return [problem('ENGINE_FAILED', { message: err.message ?? String(e) })];
  return undefined;
}

/** `acts`: the command runs operations of resources inside bundles (apply, controller): its
 * connections answer the agents' attribute updates (promotion scores); plan and status only look.
 * The connections it made are closed when it ends. */
async function withLocal(inv: Invocation, log: ((line: string) => void) | undefined, f: (local: Local, values: Record<string, string | undefined>) => Promise<number>, acts = false): Promise<number> {
  const values = valueFlags(inv);
  const { closingPools } = lazy.innerOpenPools();
  const local = localPass(inv, values, log, acts);
  try {
    return await closingPools(() => f(local, values));
  } catch (e) {
    const problems = asProblems(e);
    if (!problems) throw e;
    renderProblems(problems, inv.io, inv.flags.json);
    return 2;
  } finally {
    await local.pass.cib.close?.();
  }
}

/** Invalid CIB: print why, exit 2 (nothing was or will be applied). */
function cibFailed(inv: Invocation, r: PassResult): number | undefined {
  if (r.cib) {
    const warnings = [...r.cibProblems.filter((p) => p.severity === 'warning'), ...r.problems];
    if (warnings.length && !inv.flags.json) renderProblems(warnings, inv.io, false);
    return undefined;
  }
  renderProblems(r.cibProblems, inv.io, inv.flags.json);
  if (!inv.flags.json) inv.io.err('The CIB is invalid: nothing is applied.\n');
  return 2;
}

/** This node's part of the pass; undefined (and why, printed) when the node could not be observed. */
function localPart(inv: Invocation, r: PassResult, node: string, print = true): NodePass | undefined {
  const mine = r.nodes.find((n) => n.node === node);
  if (mine) return mine;
  const why = r.unreachable.find((u) => u.node === node);
  if (print) renderProblems([why?.problem ?? problem('ENGINE_FAILED', { path: node, message: `node ${node} could not be observed${why ? `: ${why.message}` : ''}` })], inv.io, inv.flags.json);
  return undefined;
}

/** Which CIB and cluster the command acts on: said first, so two setups are never confused. */
function whoseLine(r: PassResult, where: string): string {
  const name = r.model?.properties.clusterName;
  return `CIB ${where}, cluster ${r.cluster ?? '?'}${name ? ` (${name})` : ''}\n`;
}

function whose(inv: Invocation, r: PassResult, where: string): void {
  if (inv.flags.json) return;
  inv.io.out(whoseLine(r, where));
  if (r.recorded.length) inv.io.out(`The CIB's other nodes are as its status section records them (berth on one node runs only its own): ${r.recorded.map((o) => `${o.node} (${o.replicas.length ? o.replicas.join(', ') : 'nothing'})`).join(', ')}\n`);
  if (r.offline.length) inv.io.out(`The CIB's other nodes take no part here (berth on one node runs only its own): ${r.offline.map((o) => o.node).join(', ')}\n`);
}

export const planCmd: Command = (inv) =>
  withLocal(inv, undefined, async ({ node, pass }) => {
    const { runPass } = lazy.controllerPass();
    const { planChanges } = lazy.reconcilePlan();
    const { formatPlan, planJson } = lazy.reconcileSummary();
    const r = await runPass(pass, { apply: false });
    const bad = cibFailed(inv, r);
    if (bad !== undefined) return bad;
    const part = localPart(inv, r, node);
    if (!part) return 2;
    const plan = part.plan;
    whose(inv, r, pass.cib.where);
    inv.io.out(inv.flags.json ? JSON.stringify({ cluster: r.cluster, cib: pass.cib.where, ...planJson(plan) }, null, 2) + '\n' : formatPlan(plan));
    // A replica that cannot run (an address held by something else, ...) is an error to fix.
    return plan.problems.some((p) => p.severity === 'error') ? 2 : planChanges(plan).length ? 1 : 0;
  });

/** apply --wait gives up after this many passes in a row fail the same way without progress. */
const GIVE_UP = 3;
const GIVE_UP_MS = 10_000;

export const applyCmd: Command = (inv) => {
  const json = !!inv.flags.json;
  const { progressReporter, progressModeOf } = lazy.cliWaitProgress();
  const progress = progressReporter({ io: inv.io, mode: progressModeOf(inv.io, json), now: () => Date.now(), ...(process.stderr.columns ? { columns: process.stderr.columns } : {}) });
  const shown: Invocation = { ...inv, io: progress.io };
  const lines: string[] = [];
  const log = (line: string) => (json ? lines.push(line) : progress.io.out(line + '\n'));
  return withLocal(shown, log, (local, values) => runApply(shown, local, values, { progress, lines }), true);
};

/**
 * One pass, or with --wait passes until converged, on the node of `local`: what `berth apply` runs
 * once its dependencies are made (tests hand in fake ones). `lines`: what the pass logged, for
 * --json; `progress`: how the wait is shown.
 */
export async function runApply(inv: Invocation, { node, pass: deps }: Local, values: Record<string, string | undefined>, show: { progress: ProgressReporter; lines: string[] }): Promise<number> {
  const { runPass } = lazy.controllerPass();
  const { startLoop } = lazy.controllerLoop();
  const { planChanges } = lazy.reconcilePlan();
  const { waitProgress, isConverged } = lazy.reconcileProgress();
  const { formatPlan } = lazy.reconcileSummary();
  const { progress, lines } = show;
  const json = !!inv.flags.json;
  const wait = !!inv.flags.wait;
  const deadline = Date.now() + seconds(values.timeout, 'timeout', 300) * 1000;
  let exit = 0;
  let failed = false;
  let said = false;
  let converged = false;
  // The same actions failing pass after pass, with nothing else done: a cause only a person can
  // remove (a name taken by another container, a port in use). Given up on after GIVE_UP passes.
  let sameFailures = 0;
  let lastFailures = '';
  let sameSince = 0;
  let passNo = 0;
  // With --wait a problem is printed when it appears, not again every pass.
  let shownProblems = new Set<string>();
  // THE loop (as the controllers run it): back-off on failures, recheckAt, a pass right after
  // actions ran; it ends when this pass says done.
  const loop = startLoop({
    now: () => Date.now(),
    log: (line) => (json ? lines.push(line) : inv.io.out(line + '\n')),
    busyMs: 300,
    backoffMs: 1000,
    maxBackoffMs: 8000,
    pass: async () => {
      passNo++;
      const r = await runPass(deps, { apply: true });
      const bad = cibFailed(inv, r);
      if (bad !== undefined) { exit = bad; return { busy: false, done: true }; }
      if (!said) { whose(inv, r, deps.cib.where); said = true; }
      const part = localPart(inv, r, node, !wait);
      if (!part) {
        // The engine does not answer: without --wait that is the answer; with it, it may be
        // restarting, so it is waited for (until the deadline).
        if (!wait) { exit = 2; return { busy: false, done: true }; }
        if (Date.now() > deadline) {
          progress.finish();
          inv.io.err(`Timed out waiting for node ${node}: ${r.unreachable.find((u) => u.node === node)?.message ?? 'it could not be observed'}\n`);
          exit = 1;
          return { busy: false, done: true };
        }
        return { busy: true, retry: true };
      }
      const { plan, applied, desired, observed } = part;
      const problems = [...plan.problems, ...(applied?.problems ?? [])];
      if (json) {
        inv.io.out(JSON.stringify({ event: 'pass', pass: passNo, actions: applied?.outcomes ?? [], log: lines.splice(0), waiting: plan.waiting, reports: plan.reports, foreign: plan.foreign, problems }) + '\n');
      } else if (problems.length) {
        const key = (p: { code: string; path?: string; message: string }) => `${p.code}\u0000${p.path ?? ''}\u0000${p.message}`;
        const fresh = wait ? problems.filter((p) => !shownProblems.has(key(p))) : problems;
        shownProblems = new Set(problems.map(key));
        if (fresh.length) renderProblems(fresh, inv.io, false);
      }
      if (applied?.problems.length) failed = true;
      const changed = planChanges(plan).length > 0;
      const retry = (applied?.problems.length ?? 0) > 0;
      if (!wait) {
        if (!json) {
          if (!changed) inv.io.out(`Nothing to do: node ${plan.node} has converged.\n`);
          for (const n of plan.waiting) inv.io.out(`waiting: ${n.replica ?? n.bundle}: ${n.message}\n`);
        }
        exit = failed || plan.problems.length ? 1 : 0;
        return { busy: false, done: true };
      }
      // --wait: done when a pass finds nothing to change, nothing waiting and every replica ready
      // that can be: replicas the plan only reports on (unmanaged, held at migration-threshold,
      // not placed) or that a problem blocks are not waited for.
      const now = waitProgress(desired, observed, plan);
      progress.update(now);
      if (isConverged(now)) {
        progress.finish();
        if (!json) inv.io.out(passNo === 1 ? `Nothing to do: node ${plan.node} has converged.\n` : `Converged: node ${plan.node} after ${passNo} passes.\n`);
        exit = plan.problems.length ? 1 : 0;
        converged = true;
        return { busy: false, done: true };
      }
      const failures = applied?.problems ?? [];
      // Which replicas failed how (each try fails on a new container: its id is left out), and
      // whether anything else was done (what a failed replica's change did first is undone).
      const failedReplicas = new Set(failures.map((p) => p.path));
      const key = [...new Set(failures.map((p) => `${p.code}:${p.path ?? ''}`))].sort().join('|');
      const progressed = (applied?.outcomes ?? []).some((o) => o.ok && !failedReplicas.has(o.replica));
      // An engine that does not answer may come back (a restart): that is waited for.
      const transient = failures.some((p) => p.code === 'ENGINE_UNREACHABLE');
      sameFailures = key && !progressed && !transient && key === lastFailures ? sameFailures + 1 : key ? 1 : 0;
      if (sameFailures === 1) sameSince = Date.now();
      lastFailures = key;
      // ... and for GIVE_UP_MS at least: a cause that clears by itself (a container still being
      // removed) has that long to.
      if (sameFailures >= GIVE_UP && Date.now() - sameSince >= GIVE_UP_MS) {
        progress.finish();
        inv.io.err(`Giving up: the same action${failures.length === 1 ? '' : 's'} failed in ${sameFailures} passes in a row over ${Math.round((Date.now() - sameSince) / 1000)} s and nothing else changed; remove the cause and run again.\n`);
        exit = 1;
        return { busy: false, done: true };
      }
      if (Date.now() > deadline) {
        progress.finish();
        inv.io.err(`Timed out waiting for node ${plan.node} to converge; still pending:\n${formatPlan(plan)}${now.notReady.length ? `not ready: ${now.notReady.join(', ')}\n` : ''}`);
        exit = 1;
        return { busy: false, done: true };
      }
      return { busy: true, again: changed && !retry, retry, ...(r.recheckAt !== undefined ? { recheckAt: r.recheckAt } : {}) };
    },
  });
  try {
    await loop.done;
  } finally {
    progress.finish(wait ? { node, converged, exit, passes: passNo } : undefined);
  }
  return exit;
}

export const statusCmd: Command = (inv) =>
  withLocal(inv, undefined, async ({ node, pass }, values) => {
    const { runPass } = lazy.controllerPass();
    const { nodeStatus, formatStatus } = lazy.reconcileStatus();
    const interval = seconds(values.interval, 'interval', 2) * 1000;
    for (;;) {
      const r = await runPass(pass, { apply: false, inspect: 'all' });
      const bad = cibFailed(inv, r);
      if (bad !== undefined) return bad;
      const part = localPart(inv, r, node);
      if (!part) return 2;
      const s = { cluster: r.cluster, cib: pass.cib.where, ...nodeStatus(part.desired, part.observed, part.plan, pass.now()) };
      const text = inv.flags.json ? JSON.stringify(s, null, 2) + '\n' : paintStates(whoseLine(r, pass.cib.where) + formatStatus(s), inv.io);
      if (!inv.flags.watch) {
        inv.io.out(text);
        return 0;
      }
      inv.io.out(`\x1b[H\x1b[2J${new Date().toISOString()}  (every ${interval / 1000}s; Ctrl-C to stop)\n${text}`);
      await new Promise((res) => setTimeout(res, interval));
    }
  });

export const controllerCmd: Command = (inv) => {
  // The status page is a cluster controller's (src/ui): without --listen there is none.
  const ui = ['ui-listen', 'ui-actions', 'ui-password-file'].find((f) => inv.flags[f] !== undefined);
  if (ui) throw new BerthError([problem('USAGE', { path: `--${ui}`, message: `--${ui} is about the status page of a cluster controller: give --listen HOST:PORT too` })]);
  const log = (line: string) => inv.io.out(`${new Date().toISOString()} ${line}\n`);
  return withLocal(inv, log, async ({ node, pass }, values) => {
    const { startController } = lazy.controllerDaemon();
    const cluster = await pass.cib.clusterId();
    log(`berth controller: node ${node}, CIB from ${pass.cib.where}, cluster ${cluster}`);
    const c = startController(pass, { log, resyncMs: seconds(values.interval, 'interval', 30) * 1000 });
    // `resource cleanup` changes the failure ledger: pass at once, not at the next resync. (The
    // controller's own ledger writes come right after a pass that acted, which is followed by
    // another pass anyway.)
    const { watchLedger, DEFAULT_STATE_DIR } = lazy.controllerNodeFiles();
    const unwatch = watchLedger(values['state-dir'] ?? process.env.BERTH_STATE_DIR ?? DEFAULT_STATE_DIR, cluster, () => c.poke('the failure ledger changed (resource cleanup)'));
    return untilStopped(c.done.finally(unwatch), () => { log('stopping (containers keep running)'); void c.stop(); });
  }, true);
};
