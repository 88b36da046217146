// This node's executors, as the node controller, a one-shot command and the agent use them: the
// pool of connections to pacemaker-remoted in the replica containers (src/inner/pool.ts) over
// berth's client of its protocol (src/remote/executor.ts), with the node's Pacemaker key, and the
// pool's changes as engine events, so that whoever follows the engine's events (the node
// controller, the cluster controller through the agent) passes again when an instance changes.
import { readFileSync } from 'node:fs';
import { BerthError, problem } from '../errors/registry';
import type { ContainerEngine, EngineEvent, EventFilter } from '../runtime/engine';
import type { InnerExecutors } from './executors';
import { Connect, InnerPool } from './pool';
import { trackPool, untrackPool } from './open-pools';

/** Where Pacemaker keeps the key on a node, and the variable that moves it (as for Pacemaker). */
export const DEFAULT_REMOTE_KEY = '/etc/pacemaker/authkey';
export const remoteKeyPath = (env: NodeJS.ProcessEnv = process.env): string => env.PCMK_authkey_location || DEFAULT_REMOTE_KEY;

/** The event a change of an instance is told as (its id is the replica's container). */
export const RESOURCE_EVENT = 'resource';

export interface NodeExecutors {
  executors: InnerExecutors;
  /** the engine, its events with the instances' changes added */
  withEvents<E extends ContainerEngine>(engine: E): E;
  close(): void;
}

/** The connection to one executor, with the node's key read when it is made (a key written
 * after start-up is used; a missing one is said). */
export function keyedConnect(keyPath: string, o: { timeoutMs?: number; keepaliveMs?: number; provider?: boolean } = {}): Connect {
  return async (t) => {
    let key: Buffer;
    try {
      key = readFileSync(keyPath);
    } catch (e) {
      throw new BerthError([problem('REMOTE_KEY_INVALID', { path: keyPath, message: `cannot read the Pacemaker authkey ${keyPath} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): make one with 'berth authkey generate --pacemaker ${keyPath}'` })]);
    }
    // Loaded when first needed: a command that runs no resource inside does not load TLS.
    const { RemoteExecutor } = require('../remote/executor') as typeof import('../remote/executor');
    return RemoteExecutor.connect({ host: t.host, port: t.port, key, nodeName: t.nodeName, clientName: 'berth', timeoutMs: o.timeoutMs ?? 5000, keepaliveMs: o.keepaliveMs ?? 2000, ipcProvider: o.provider ?? true });
  };
}

/** How long an agent's observation waits for new connections to be made and probed (under the
 * cluster controller's 1 s deadline for observing a node). */
export const SETTLE_MS = 600;

export function nodeExecutors(o: { keyPath?: string; connect?: Connect; provider?: boolean; log?: (line: string) => void; patienceMs?: number; settleMs?: number } = {}): NodeExecutors {
  const listeners = new Set<(e: EngineEvent) => void>();
  const pool = new InnerPool({
    connect: o.connect ?? keyedConnect(o.keyPath ?? remoteKeyPath(), { provider: o.provider ?? true }),
    ...(o.log ? { log: o.log } : {}),
    ...(o.patienceMs !== undefined ? { patienceMs: o.patienceMs } : {}),
    onChange: (why) => {
      const e: EngineEvent = { action: RESOURCE_EVENT, id: 'executors', name: why, attributes: {}, time: Date.now() };
      for (const l of listeners) l(e);
    },
  });
  const self: NodeExecutors = {
    executors: { observe: (wants) => pool.observeSettled(wants, o.settleMs ?? SETTLE_MS), act: (r, c, steps) => pool.act(r, c, steps) },
    withEvents: <E extends ContainerEngine>(engine: E): E => {
      const wrapped = Object.create(engine) as E;
      wrapped.events = (filter: EventFilter, signal: AbortSignal) => ({ [Symbol.asyncIterator]: () => merged(engine.events(filter, signal), listeners, signal) });
      return wrapped;
    },
    close: () => { pool.close(); untrackPool(self); },
  };
  trackPool(self);
  return self;
}

/** The engine's events and the instances' changes, as one stream that ends when the engine's does. */
async function* merged(engine: AsyncIterable<EngineEvent>, listeners: Set<(e: EngineEvent) => void>, signal: AbortSignal): AsyncGenerator<EngineEvent> {
  const queue: EngineEvent[] = [];
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const push = (e: EngineEvent) => {
    // Changes of instances come in bursts: one waiting is enough to wake a pass.
    if (e.action === RESOURCE_EVENT && queue.some((q) => q.action === RESOURCE_EVENT)) return;
    queue.push(e);
    wake?.();
  };
  listeners.add(push);
  const onAbort = () => wake?.();
  signal.addEventListener('abort', onAbort);
  void (async () => {
    try {
      for await (const e of engine) push(e);
    } catch (e) {
      failure = e;
    } finally {
      ended = true;
      wake?.();
    }
  })();
  try {
    while (!signal.aborted) {
      const next = queue.shift();
      if (next) { yield next; continue; }
      if (ended) {
        if (failure) throw failure;
        return;
      }
      await new Promise<void>((r) => { wake = r; });
      wake = undefined;
    }
  } finally {
    listeners.delete(push);
    signal.removeEventListener('abort', onAbort);
  }
}
