// The controller's side of a node agent: the same ApplyEngine, AddressTable and NodeFiles
// interfaces as on the local node, served over HTTP by that node's `berth agent`, so that the
// reconciler drives every node alike. Every request is signed for this node's agent in its current
// incarnation (given by the heartbeat, else learned from a signed agent.status answer) and
// carries the leader's current term; every answer must be signed by the cluster's key and have the shape its operation
// promises, else it is refused. Failures come back as the local implementations' errors
// (EngineError, AddressError), with an agent that does not answer as EngineError 'unreachable',
// so callers map them as for a local engine; the agent's own refusals are AgentRefusal.
import http from 'node:http';
import type { ApplyEngine } from '../controller/apply';
import { DEFAULT_STATE_DIR, NodeFiles } from '../controller/node-files';
import { AddressError, AddressTable } from '../runtime/addresses';
import { ContainerDetails, EngineError, EngineEvent, EngineKind, EventFilter, ObservedContainer } from '../runtime/engine';
import type { FailureRecord, HostAddress } from '../reconcile/observed';
import { INCARNATION, Target, verifyEventLine, verifyResponse } from './auth';
import { Exchange, ExchangeError, exchangeSigned, readAnswer, signedPost } from './signed-http';
import type { InnerExecutors } from '../inner/executors';
import type { InnerObserved } from '../reconcile/inner';
import type { SnapshotAnswer } from '../controller/node-snapshot';
import { AgentCode, BATCH_OPS, BATCH_PATH, EVENTS_PATH, LIMITS, OpName, Parsed, RPC_PATH, RpcAnswer, WireError, eventPayload, parseBatchAnswer, parseEventLine, parseRpcAnswer } from './protocol';

/** The agent refused the order itself: a stale term, a fenced node, a failed authentication or a
 * message it could not take. */
export class AgentRefusal extends Error {
  constructor(readonly code: AgentCode, message: string, readonly node: string) {
    super(message);
    this.name = 'AgentRefusal';
  }
}

export interface RemoteNodeOptions {
  /** the agent's base URL, e.g. http://10.0.0.2:7480 */
  url: string;
  key: Buffer;
  /** the leader's current term, read for each request */
  term: () => number;
  /** for one request, default 30 s (a stop also gets its stop timeout) */
  timeoutMs?: number;
  /** the agent's node name: every request is signed for it, and refused by any other node */
  node: string;
  /** the agent's incarnation (its heartbeats carry it): every request is signed for it, and refused
   * by the agent after a restart. Without it, it is learned from the agent's signed agent.status
   * answer, and learned again after an authentication refusal. */
  incarnation?: string;
  /** the agent's state dir; default: what the last status() said, else DEFAULT_STATE_DIR. The
   * agent refuses hosts-file paths outside its own, so a wrong one is loud. */
  stateDir?: string;
  /** the node's Pacemaker key, as its agent told in its heartbeat */
  remoteKey?: string;
  /** an events stream silent this long (no event, no heartbeat) is given up as unreachable */
  eventsIdleMs?: number;
}

export interface RemoteNode {
  engine: ApplyEngine;
  addresses: AddressTable;
  files: NodeFiles;
  /** the executors in the node's replica containers (the agent connects to them) */
  inner: InnerExecutors;
  /** the node's observation in one answer, or that it is unchanged since `known` (node-snapshot.ts) */
  snapshot(cluster: string, known?: string): Promise<SnapshotAnswer>;
  /** the agent's agent.status: node, incarnation, stateDir, term, pid and what the agent adds */
  status(): Promise<Record<string, unknown>>;
  /** Closes the idle keep-alive connections. */
  close(): void;
}

/** No answer: refused connection, reset, timeout. */
class NoAnswer extends Error {}
/** An answer that is refused: unsigned, forged, too large, not the protocol. */
class BadAnswer extends Error {}

/** How a failure of one operation is told: as the error its local implementation would throw. */
interface ErrorFamily {
  unreachable(message: string): Error;
  refused(message: string): Error;
}

const engineErrors = (operation: string, target?: string): ErrorFamily => ({
  unreachable: (m) => new EngineError('unreachable', operation, target, m),
  refused: (m) => new EngineError('failed', operation, target, m),
});

const addressErrors = (operation: string, address: string): ErrorFamily => ({
  unreachable: (m) => new AddressError(operation, address, m),
  refused: (m) => new AddressError(operation, address, m),
});

function recreate(e: WireError, node: string): Error {
  switch (e.type) {
    case 'agent':
      return new AgentRefusal(e.code, e.message, node);
    case 'engine':
      return new EngineError(e.kind, e.operation, e.target, e.message, e.statusCode);
    case 'address':
      return new AddressError(e.operation, e.address, e.message);
    case 'error':
      return new Error(`${e.operation} on node ${node}: ${e.message}`);
  }
}

export function remoteNode(o: RemoteNodeOptions): RemoteNode {
  const base = new URL(o.url);
  const pool = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const timeoutMs = o.timeoutMs ?? 30_000;
  const where = `the agent of node ${o.node} at ${o.url}`;
  let learnedStateDir: string | undefined;
  let learnedRemoteKey: string | undefined;
  /** the incarnation requests are signed for: the given one, else the one learned */
  let incarnation = o.incarnation;
  let learning: Promise<unknown> | undefined;
  const target = (): Target => ({ node: o.node, ...(incarnation ? { incarnation } : {}) });

  /** Sends one request; resolves to the whole answer (not yet checked), NoAnswer otherwise. */
  async function exchange(path: string, body: Buffer, ms: number): Promise<Exchange> {
    try {
      return await exchangeSigned({ url: base, path, key: o.key, body, timeoutMs: ms, maxAnswerBytes: LIMITS.answerBytes, agent: pool, maxHeaderSize: LIMITS.headerBytes, to: target() });
    } catch (e) {
      const x = e as ExchangeError;
      throw x.kind === 'too-large' ? new BadAnswer(x.message) : new NoAnswer(x.message);
    }
  }

  /** An answer's verdict: the result, or the error to throw. `op` checks the result's shape. */
  function judge(a: Exchange, op: OpName | undefined): unknown {
    return checked(a, parseRpcAnswer(a.body, op)).result;
  }

  /** A signed answer's successful value (an order's, or a batch's), or the error it stands for. */
  function checked<V extends { ok: true } | { ok: false; error: WireError }>(a: Exchange, parsed: Parsed<V>): Extract<V, { ok: true }> {
    const signed = verifyResponse(o.key, a.nonce, a.status, a.headers, a.body);
    if (!signed.ok) {
      // The agent cannot sign a refusal for a client whose key it does not share: an unsigned
      // authentication refusal is believed (it can only make us fail, never succeed).
      if (a.status === 401 && parsed.ok && !parsed.value.ok && parsed.value.error.type === 'agent' && parsed.value.error.code === 'AGENT_AUTH_FAILED') {
        throw new AgentRefusal('AGENT_AUTH_FAILED', `${parsed.value.error.message} (is the authkey the same on both nodes?)`, o.node);
      }
      const claim = parsed.ok && !parsed.value.ok ? `, unverified: ${parsed.value.error.message.slice(0, 200)}` : '';
      throw new BadAnswer(`${signed.message} (HTTP ${a.status}${claim})`);
    }
    if (!parsed.ok) throw new BadAnswer(`an answer that is not the protocol: ${parsed.message}`);
    const v = parsed.value;
    if (!v.ok) throw recreate(v.error, o.node);
    if (a.status !== 200) throw new BadAnswer(`HTTP ${a.status} with a successful answer`);
    return v as Extract<V, { ok: true }>;
  }


  /** Learns the agent's incarnation (once for concurrent callers) unless it is known. */
  async function learn(errors: ErrorFamily): Promise<void> {
    if (incarnation) return;
    learning ??= call('agent.status', [], errors).then(take).finally(() => { learning = undefined; });
    await learning;
  }

  /** What a signed status answer says: the incarnation (when not given) and the state dir. */
  function take(result: unknown): Record<string, unknown> {
    const s = result as Record<string, unknown>;
    if (typeof s.stateDir === 'string') learnedStateDir = s.stateDir;
    if (typeof s.remoteKey === 'string') learnedRemoteKey = s.remoteKey;
    if (!o.incarnation && typeof s.incarnation === 'string' && INCARNATION.test(s.incarnation)) incarnation = s.incarnation;
    return s;
  }

  // Batching: the quick writes (BATCH_OPS) that a pass sends this node while a batch is under way
  // go together in the next, one signed request (each order is still checked by the agent on its
  // own and answered in its own place). A pass's replicas move in step (addresses, then creates,
  // then starts), so a node gets a handful of requests a pass instead of several per replica. An
  // agent without the batch endpoint (404) gets each order alone from then on.
  interface Queued { op: OpName; args: unknown[]; errors: ErrorFamily; resolve: (v: unknown) => void; reject: (e: unknown) => void }
  let queue: Queued[] = [];
  let sending = false;
  let batches = true;

  function enqueue(op: OpName, args: unknown[], errors: ErrorFamily): Promise<unknown> {
    return new Promise((resolve, reject) => {
      queue.push({ op, args, errors, resolve, reject });
      if (!sending) {
        sending = true;
        // the orders of this turn of the event loop join the first batch
        setImmediate(() => void drain());
      }
    });
  }

  async function drain(): Promise<void> {
    while (queue.length) {
      const group: Queued[] = [];
      let bytes = 0;
      while (queue.length && group.length < LIMITS.batchOrders) {
        const size = JSON.stringify(queue[0].args).length + 64;
        if (group.length && bytes + size > LIMITS.requestBytes / 2) break;
        bytes += size;
        group.push(queue.shift()!);
      }
      // Whatever goes wrong (the term read as the batch is made throws once the lead is lost)
      // fails this group's orders, never the queue: later orders must still go.
      if (group.length === 1 || !batches) await Promise.all(group.map((q) => single(q.op, q.args, q.errors).then(q.resolve, q.reject)));
      else await sendBatch(group).catch((e: unknown) => { for (const q of group) q.reject(e); });
    }
    sending = false;
  }

  async function sendBatch(group: Queued[]): Promise<void> {
    const fail = (e: (q: Queued) => Error) => { for (const q of group) q.reject(e(q)); };
    try {
      await learn(group[0].errors);
    } catch (e) {
      return fail(() => e as Error);
    }
    const ops = group.map((q) => q.op);
    const body = Buffer.from(JSON.stringify({ term: o.term(), orders: group.map((q) => ({ op: q.op, args: q.args })) }));
    let a: Exchange;
    try {
      a = await exchange(BATCH_PATH, body, timeoutMs);
    } catch (e) {
      if (e instanceof NoAnswer) return fail((q) => q.errors.unreachable(`AGENT_UNREACHABLE: ${where} does not answer: ${(e as Error).message}`));
      return fail((q) => q.errors.refused(`AGENT_BAD_MESSAGE: ${where} answered ${(e as Error).message}; refused`));
    }
    if (a.status === 404) {
      // An agent from before batches: each order alone (a forged 404 only costs requests).
      batches = false;
      await Promise.all(group.map((q) => single(q.op, q.args, q.errors).then(q.resolve, q.reject)));
      return;
    }
    let answers: RpcAnswer[];
    try {
      answers = checked(a, parseBatchAnswer(a.body, ops)).answers;
    } catch (e) {
      // As an order alone fails (single), for each order of the batch.
      if (e instanceof BadAnswer) return fail((q) => q.errors.refused(`AGENT_BAD_MESSAGE: ${where} answered ${e.message}; refused`));
      if (e instanceof AgentRefusal && e.code === 'AGENT_AUTH_FAILED' && !o.incarnation) incarnation = undefined;
      return fail(() => e as Error);
    }
    answers.forEach((x, i) => (x.ok ? group[i].resolve(x.result) : group[i].reject(recreate(x.error, o.node))));
  }

  async function call(op: OpName, args: unknown[], errors: ErrorFamily, extraMs = 0): Promise<unknown> {
    while (args.length && args[args.length - 1] === undefined) args.pop();
    return BATCH_OPS.includes(op) && extraMs === 0 ? enqueue(op, args, errors) : single(op, args, errors, extraMs);
  }

  async function single(op: OpName, args: unknown[], errors: ErrorFamily, extraMs = 0): Promise<unknown> {
    if (op !== 'agent.status') await learn(errors);
    const body = Buffer.from(JSON.stringify({ term: o.term(), op, args }));
    if (body.length > LIMITS.requestBytes) {
      throw errors.refused(`AGENT_BAD_MESSAGE: the request is ${body.length} bytes, more than an agent takes (${LIMITS.requestBytes})`);
    }
    try {
      return judge(await exchange(RPC_PATH, body, timeoutMs + extraMs), op);
    } catch (e) {
      if (e instanceof NoAnswer) throw errors.unreachable(`AGENT_UNREACHABLE: ${where} does not answer: ${e.message}`);
      if (e instanceof BadAnswer) throw errors.refused(`AGENT_BAD_MESSAGE: ${where} answered ${e.message}; refused`);
      // The agent may have restarted: a learned incarnation is learned again by the next call.
      if (e instanceof AgentRefusal && e.code === 'AGENT_AUTH_FAILED' && !o.incarnation) incarnation = undefined;
      throw e;
    }
  }

  const engine: ApplyEngine = {
    ping: async () => { await call('engine.ping', [], engineErrors('ping')); },
    listContainers: async (filter) => (await call('engine.listContainers', [filter], engineErrors('list containers'))) as ObservedContainer[],
    inspect: async (id) => (await call('engine.inspect', [id], engineErrors('inspect', id))) as ContainerDetails | undefined,
    create: async (spec) => (await call('engine.create', [spec], engineErrors('create', spec.name))) as string,
    start: async (id) => { await call('engine.start', [id], engineErrors('start', id)); },
    // The agent's engine waits up to the stop timeout before it answers.
    stop: async (id, t) => { await call('engine.stop', [id, t], engineErrors('stop', id), (t ?? 10) * 1000); },
    remove: async (id, opts) => { await call('engine.remove', [id, opts], engineErrors('remove', id)); },
    rename: async (id, name) => { await call('engine.rename', [id, name], engineErrors('rename', id)); },
    kinds: async () => (await call('engine.kinds', [], engineErrors('kinds'))) as EngineKind[],
    events: (filter, signal) => ({ [Symbol.asyncIterator]: () => followEvents(filter, signal) }),
  };

  const spec = (a: { ip: string; prefix: number; interface: string }) => `${a.ip}/${a.prefix} on ${a.interface}`;
  const addresses: AddressTable = {
    list: async () => (await call('addresses.list', [], addressErrors('list', 'addresses'))) as HostAddress[],
    add: async (a) => { await call('addresses.add', [a], addressErrors('add', spec(a))); },
    remove: async (a) => { await call('addresses.remove', [a], addressErrors('remove', spec(a))); },
  };

  const files: NodeFiles = {
    get stateDir() {
      return o.stateDir ?? learnedStateDir ?? DEFAULT_STATE_DIR;
    },
    get remoteKey() {
      return o.remoteKey ?? learnedRemoteKey;
    },
    read: async (file) => ((await call('files.read', [file], engineErrors('read file', file))) as string | undefined) ?? null,
    readMany: async (list) => {
      const texts = (await call('files.readMany', [list], engineErrors('read files', `${list.length} files`))) as (string | null)[];
      if (texts.length !== list.length) throw engineErrors('read files').refused(`AGENT_BAD_MESSAGE: ${where} answered ${texts.length} files for ${list.length}; refused`);
      return texts;
    },
    write: async (file, content) => { await call('files.write', [file, content], engineErrors('write file', file)); },
    ensureDir: async (dir) => { await call('files.ensureDir', [dir], engineErrors('make directory', dir)); },
    readLedger: async (c) => (await call('files.readLedger', [c], engineErrors('read ledger'))) as Record<string, FailureRecord>,
    writeLedger: async (c, l, base) => { await call('files.writeLedger', base ? [c, l, base] : [c, l], engineErrors('write ledger')); },
  };

  // The executors in the node's replica containers, through the agent. An operation may take its
  // timeout: the request waits for the steps' timeouts added up.
  const inner: InnerExecutors = {
    observe: async (wants) => (await call('inner.observe', [wants], engineErrors('observe executors'))) as Record<string, InnerObserved>,
    act: async (replica, container, steps) => (await call('inner.act', [replica, container, steps], engineErrors('resource operations', replica), steps.reduce((ms, st) => ms + (st.kind === 'fence' ? 0 : st.op.timeoutMs + 5000), 0))) as { ok: boolean; done: string[]; error?: string },
  };

  async function status(): Promise<Record<string, unknown>> {
    return take(await call('agent.status', [], engineErrors('status')));
  }

  async function* followEvents(filter: EventFilter, signal: AbortSignal): AsyncGenerator<EngineEvent> {
    if (signal.aborted) return;
    const errors = engineErrors('events');
    await learn(errors);
    const body = Buffer.from(JSON.stringify({ term: o.term(), filter }));
    // Its own connection: a stream lives long and must not hold one of the pool's.
    const { req, nonce } = signedPost({ url: base, path: EVENTS_PATH, key: o.key, body, agent: false, maxHeaderSize: LIMITS.headerBytes, to: target() });
    const idleMs = o.eventsIdleMs ?? 3 * LIMITS.heartbeatMs;
    let gaveUp: string | undefined;
    const giveUp = (why: string) => () => {
      gaveUp = why;
      req.destroy();
    };
    let idle = setTimeout(giveUp(`no answer within ${timeoutMs} ms`), timeoutMs);
    const abort = () => req.destroy();
    signal.addEventListener('abort', abort, { once: true });
    try {
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
        req.on('error', reject);
        req.on('response', resolve);
        req.end(body);
      });
      if (res.statusCode !== 200) {
        judge({ status: res.statusCode ?? 0, headers: res.headers, body: await readAnswer(res, LIMITS.answerBytes).catch((e: Error) => { throw new BadAnswer(e.message); }), nonce }, undefined);
        throw new BadAnswer(`HTTP ${res.statusCode} to an events request`);
      }
      const head = verifyResponse(o.key, nonce, 200, res.headers, Buffer.alloc(0));
      if (!head.ok) throw new BadAnswer(`${head.message} (events stream)`);
      const quiet = giveUp(`the events stream was silent for ${idleMs} ms`);
      let expected = 1;
      let pending = '';
      clearTimeout(idle);
      idle = setTimeout(quiet, idleMs);
      for await (const chunk of res) {
        clearTimeout(idle);
        idle = setTimeout(quiet, idleMs);
        pending += (chunk as Buffer).toString('utf8');
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const text = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          const parsed = parseEventLine(text);
          if (!parsed.ok) throw new BadAnswer(`an events line that is not the protocol: ${parsed.message}`);
          const line = parsed.value;
          if (!verifyEventLine(o.key, nonce, line.seq, JSON.stringify(eventPayload(line)), line.sig)) throw new BadAnswer(`an events line ${line.seq} with a bad signature`);
          if (line.seq !== expected) throw new BadAnswer(`events line ${line.seq} where ${expected} was due (lines lost, repeated or reordered)`);
          expected++;
          if ('error' in line) throw recreate(line.error, o.node);
          if ('event' in line) yield line.event;
        }
        if (pending.length > LIMITS.eventLineBytes) throw new BadAnswer(`an events line longer than ${LIMITS.eventLineBytes} bytes`);
      }
    } catch (e) {
      if (signal.aborted) return;
      if (e instanceof AgentRefusal && e.code === 'AGENT_AUTH_FAILED' && !o.incarnation) incarnation = undefined;
      if (e instanceof BadAnswer) throw errors.refused(`AGENT_BAD_MESSAGE: ${where} answered ${e.message}; refused`);
      if (e instanceof EngineError || e instanceof AgentRefusal || e instanceof AddressError) throw e;
      const why = gaveUp ?? (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      throw errors.unreachable(`AGENT_UNREACHABLE: ${where} does not answer: ${why}`);
    } finally {
      clearTimeout(idle);
      signal.removeEventListener('abort', abort);
      req.destroy();
    }
  }

  const snapshot = async (cluster: string, known?: string): Promise<SnapshotAnswer> => (await call('node.snapshot', known ? [cluster, known] : [cluster], engineErrors('snapshot'))) as SnapshotAnswer;
  return { engine, addresses, files, inner, snapshot, status, close: () => pool.destroy() };
}
