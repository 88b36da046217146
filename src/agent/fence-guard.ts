// The fence guard: a small process each agent start leaves beside itself (`berth agent-fence-guard`,
// detached: the agent's death does not end it), so that the node is fenced even when the agent
// cannot do it — SIGKILLed, crashed, or stopped — as Pacemaker's sbd watchdog outlives pacemaker.
//
// Terms: the guard's *agent* is the start whose incarnation it is told on its stdin (a pipe from
// the agent; end of file: the agent is gone). SIGTERM (systemd stopping the unit) counts as the
// agent gone too. Once its agent is gone the guard waits for the moment the agent would have
// fenced itself (the lease record's `until`, on CLOCK_MONOTONIC: lease-record.ts) and then runs
// the agent's own sweep (fence-sweep.ts) on this node and cluster, and exits. It exits without
// touching anything when a *newer* agent start records itself in the lease file (that start and
// its own guard own the node now: a restart within the lease keeps the replicas).
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { FenceSweepOptions } from './fence-sweep';
import { fenceSweep } from './fence-sweep';
import { LEASE_FILE, LeaseRecord, readLeaseRecord } from './lease-record';

/** What the guard does next, from the lease record it reads now. Pure. */
export type GuardStep = 'watch' | 'exit-taken-over' | 'fence';

export function guardStep(o: { record: LeaseRecord | undefined; mine: string; previous: string; agentGone: boolean; now: number }): GuardStep {
  const holder = o.record?.incarnation ?? '';
  // A start newer than both this guard's agent and the one before it (which this guard's agent
  // replaced, and whose record it may not have overwritten yet).
  if (holder !== '' && holder !== o.mine && holder !== o.previous) return 'exit-taken-over';
  if (!o.agentGone) return 'watch';
  return (o.record?.until ?? 0) <= o.now ? 'fence' : 'watch';
}

export interface FenceGuardOptions extends Omit<FenceSweepOptions, 'cluster' | 'inflight'> {
  stateDir: string;
  /** the agent's pipe: its first line names the agent's incarnation; its end, the agent's death */
  input: Readable;
  /** how often the lease record is read (default 20 ms) */
  pollMs?: number;
  boot?: string;
  /** where SIGTERM and SIGINT come from (default: this process) */
  signals?: Pick<NodeJS.EventEmitter, 'on'>;
}

const RETRIES = 300;

/** Runs the guard until it has fenced the node or a newer agent start took over (0), or its
 * engine failed every try for 30 s (1). */
export async function runFenceGuard(o: FenceGuardOptions): Promise<number> {
  const file = path.join(o.stateDir, LEASE_FILE);
  const read = () => readLeaseRecord(file, o.boot);
  const previous = read()?.incarnation ?? '';
  let mine = '';
  let agentGone = false;
  let buffered = '';
  o.input.setEncoding('utf8');
  // Nothing is decided before the agent has named itself (or is gone without a word).
  const named = new Promise<void>((resolve) => {
    o.input.on('data', (d: string) => {
      if (mine) return;
      buffered += d;
      const nl = buffered.indexOf('\n');
      if (nl >= 0) { mine = buffered.slice(0, nl).trim(); resolve(); }
    });
    o.input.on('end', () => resolve());
    o.input.on('error', () => resolve());
  });
  const gone = (why: string) => {
    if (agentGone) return;
    agentGone = true;
    const r = read();
    o.log(`fence guard: ${why}; ${r && r.until > o.now() ? `the node is fenced in ${r.until - o.now()} ms unless a new agent start takes the lease over` : 'fencing the node now'}`);
  };
  o.input.on('end', () => gone('the agent is gone'));
  o.input.on('error', () => gone('the agent is gone'));
  const signals = o.signals ?? process;
  signals.on('SIGTERM', () => gone('stopped (SIGTERM): the agent is taken to be gone'));
  signals.on('SIGINT', () => gone('stopped (SIGINT): the agent is taken to be gone'));
  await named;
  for (;;) {
    const record = read();
    const step = guardStep({ record, mine, previous, agentGone, now: o.now() });
    if (step === 'exit-taken-over') {
      o.log(`fence guard: agent start ${record!.incarnation} holds the node now: this guard exits`);
      o.input.destroy();
      return 0;
    }
    if (step === 'fence') {
      // As the agent's self-fence: an engine that fails is asked again, here for up to 30 s (an
      // engine that stays down has stopped its containers with it).
      for (let tries = 1; ; tries++) {
        try {
          await fenceSweep({ ...o, cluster: record?.cluster }, 'fence guard (the agent died holding a lease)');
          break;
        } catch (e) {
          if (tries === 1 || tries >= RETRIES) o.log(`fence guard: the fence failed: ${(e as Error).message}; ${tries < RETRIES ? 'retrying every 100 ms for 30 s' : 'giving up'}`);
          if (tries >= RETRIES) { o.input.destroy(); return 1; }
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      o.input.destroy();
      return 0;
    }
    await new Promise((r) => setTimeout(r, agentGone ? (o.pollMs ?? 20) : 100));
  }
}

/** The agent's side: starts its guard, detached (its own session: neither the agent's death nor
 * a signal to the agent's process group ends it), with the agent's output as its own. */
export function startFenceGuard(o: { exec: string; node: string; stateDir: string; incarnation: string; log: (line: string) => void }): void {
  const child = spawn(process.execPath, [o.exec, 'agent-fence-guard', '--node', o.node, '--state-dir', o.stateDir], { detached: true, stdio: ['pipe', 'inherit', 'inherit'] });
  child.stdin!.write(`${o.incarnation}\n`);
  child.on('error', (e) => o.log(`fence guard: cannot start: ${e.message}`));
  child.unref();
  // The pipe stays open as long as this process lives; it does not keep the event loop up.
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  o.log(`fence guard started (pid ${child.pid}): it fences this node if this agent dies holding a lease`);
}
