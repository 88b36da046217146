// `berth agent`'s HTTP server: serves this node's engine, addresses and files to the controller
// (protocol.ts), over node:http. The order of checks is the point: size, then the signature and
// its target (this node, this incarnation; nothing unauthenticated is parsed or remembered), then
// the message's shape, then the term (a deposed leader's order is refused), then the fence gate
// (writes only), then the order's scope (scope.ts: this agent's replicas and files, within its
// host policy), and only then the operation. Every refusal is logged with the peer's address and answered with a stable code;
// answers to authenticated requests are signed.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import { once } from 'node:events';
import path from 'node:path';
import { realpathSync } from 'node:fs';
import type { ApplyEngine } from '../controller/apply';
import type { NodeFiles } from '../controller/node-files';
import { takeSnapshot } from '../controller/node-snapshot';
import { AddressError, AddressTable, HostAddressSpec } from '../runtime/addresses';
import { ContainerSpec, EngineError, EventFilter } from '../runtime/engine';
import type { FailureRecord } from '../reconcile/observed';
import type { InnerExecutors } from '../inner/executors';
import type { InnerStep, InnerWant } from '../reconcile/inner';
import { parseAddressLabel } from '../reconcile/plan';
import { ADDRESS_LABEL } from '../runtime/labels';
import { AUTH_HEADERS, RequestVerifier, signEventLine, signResponse } from './auth';
import {
  AGENT_HTTP_STATUS, AgentCode, BATCH_PATH, EVENTS_PATH, EventPayload, LIMITS, OpName, RPC_PATH, RpcAnswer, WireError, isWriteOp, parseBatchRequest, parseEventsRequest, parseRpcRequest,
} from './protocol';
import type { TermGuard } from './term-guard';
import { AgentScope, DEFAULT_HOST_POLICY, HostPolicy, ScopeVerdict, containerVerdict, createVerdict, directoryVerdict, fileVerdict, ledgerVerdict, renameVerdict } from './scope';

export interface AgentServerOptions {
  node: string;
  /** this start of the agent (random hex, sent in its heartbeats): requests signed for another
   * incarnation are refused; default: a new random one */
  incarnation?: string;
  host: string;
  port: number;
  key: Buffer;
  engine: ApplyEngine;
  addresses: AddressTable;
  files: NodeFiles;
  /** the executors in this node's replica containers */
  inner?: InnerExecutors;
  terms: TermGuard;
  /** the cluster this agent serves (named by the heartbeat grants): only its replicas and node
   * files are in the orders' scope (scope.ts); without it, none */
  cluster?: () => string | undefined;
  /** the host access a created container may ask for; default DEFAULT_HOST_POLICY */
  hostPolicy?: HostPolicy;
  /** a refusal reason for a write while the agent is fenced (its lease ran out), else undefined */
  gate?: (op: string) => string | undefined;
  /** more fields for agent.status */
  status?: () => Record<string, unknown>;
  log: (line: string) => void;
  /** signature checks (tests shorten the clock skew); default: the key with a 30 s window, for
   * this node and incarnation */
  verifier?: RequestVerifier;
  /** how often the events stream sends a heartbeat line (default LIMITS.heartbeatMs) */
  heartbeatMs?: number;
}

export interface AgentServer {
  url: string;
  port: number;
  /** this start's incarnation: what requests must be signed for */
  incarnation: string;
  /** Stops accepting, ends the event streams, waits for the requests in flight. */
  close(): Promise<void>;
}

/** A refusal decided while serving: answered with its code's status (or `status`). */
class Refusal extends Error {
  constructor(readonly code: AgentCode, message: string, readonly status = AGENT_HTTP_STATUS[code]) {
    super(message);
  }
}

type Handler = (args: unknown[]) => Promise<unknown>;

/** What an EngineError or AddressError said, without the "operation target: " its constructor adds. */
function innerMessage(message: string, prefix: string): string {
  return message.startsWith(prefix) ? message.slice(prefix.length) : message;
}

function toWireError(e: unknown, op: string): WireError {
  if (e instanceof Refusal) return { type: 'agent', code: e.code, message: e.message };
  if (e instanceof EngineError) {
    const w: WireError = { type: 'engine', kind: e.kind, operation: e.operation, message: innerMessage(e.message, `${e.operation}${e.target ? ` ${e.target}` : ''}: `) };
    if (e.target !== undefined) w.target = e.target;
    if (e.statusCode !== undefined) w.statusCode = e.statusCode;
    return w;
  }
  if (e instanceof AddressError) return { type: 'address', operation: e.operation, address: e.address, message: innerMessage(e.message, `${e.operation} ${e.address}: `) };
  return { type: 'error', operation: op, message: (e as Error)?.message ?? String(e) };
}

function handlers(o: AgentServerOptions, incarnation: string): Record<OpName, Handler> {
  const { engine, addresses, files } = o;
  const stateDir = path.resolve(files.stateDir);
  const scope = (): AgentScope => ({ node: o.node, cluster: o.cluster?.(), stateDir, ...(files.remoteKey ? { remoteKey: files.remoteKey } : {}), policy: o.hostPolicy ?? DEFAULT_HOST_POLICY, resolve: realPath });
  const check = (v: ScopeVerdict) => {
    if (v) throw new Refusal(v.code, v.message);
  };
  /** The container, when it is one of this agent's replicas (undefined when there is none). */
  const replica = async (ref: unknown) => {
    const d = await engine.inspect(ref as string);
    if (d) check(containerVerdict(`container ${d.name}`, d.labels, scope()));
    return d;
  };
  // What is checked is what is acted on: by id once found, so a name cannot change hands between.
  const idOf = async (ref: unknown) => (await replica(ref))?.id ?? (ref as string);
  const file = (p: unknown) => {
    check(fileVerdict(p as string, scope()));
    return path.resolve(p as string);
  };
  return {
    'engine.ping': () => engine.ping(),
    'engine.kinds': async () => (engine.kinds ? engine.kinds() : ['docker']),
    'engine.listContainers': ([filter]) => engine.listContainers(filter as { labels?: Record<string, string> } | undefined),
    'engine.inspect': ([id]) => replica(id),
    'engine.create': async ([spec]) => {
      check(createVerdict(spec as ContainerSpec, scope()));
      return engine.create(spec as ContainerSpec);
    },
    'engine.start': async ([id]) => engine.start(await idOf(id)),
    'engine.stop': async ([id, t]) => engine.stop(await idOf(id), t as number | undefined),
    'engine.remove': async ([id, opts]) => engine.remove(await idOf(id), opts as { force?: boolean } | undefined),
    'engine.rename': async ([id, name]) => {
      if (!engine.rename) throw new EngineError('failed', 'rename', id as string, "this node's engine cannot rename containers");
      const d = await replica(id);
      if (d) check(renameVerdict(`container ${d.name}`, d.labels, name as string));
      return engine.rename(d?.id ?? (id as string), name as string);
    },
    'inner.observe': async ([wants]) => {
      if (!o.inner) throw new Error(`agent ${o.node} runs no executors for resources inside bundles`);
      const list = wants as InnerWant[];
      // Only this node's replicas of this cluster, reached at the container's own address or on
      // the node's loopback.
      for (const w of list) {
        const d = await replica(w.container);
        if (!d) continue;
        const ip = parseAddressLabel(d.labels[ADDRESS_LABEL])?.ip;
        if (w.target.host !== '127.0.0.1' && w.target.host !== ip) throw new Refusal('AGENT_SCOPE_REFUSED', `${w.replica}: ${w.target.host} is not the address of container ${d.name}`);
      }
      const mine = [];
      for (const w of list) if (await replica(w.container)) mine.push(w);
      return o.inner.observe(mine);
    },
    'inner.act': async ([r, id, steps]) => {
      if (!o.inner) throw new Error(`agent ${o.node} runs no executors for resources inside bundles`);
      const d = await replica(id);
      if (!d) throw new Refusal('AGENT_SCOPE_REFUSED', `${r as string}: no container ${id as string} of this node's replicas`);
      return o.inner.act(r as string, d.id, steps as InnerStep[]);
    },
    'addresses.list': () => addresses.list(),
    'addresses.add': ([a]) => addresses.add(a as HostAddressSpec),
    'addresses.remove': ([a]) => addresses.remove(a as HostAddressSpec),
    'files.read': async ([p]) => files.read(file(p)),
    'files.readMany': async ([ps]) => files.readMany((ps as string[]).map(file)),
    'files.write': async ([p, content]) => files.write(file(p), content as string),
    'files.ensureDir': async ([p]) => {
      check(directoryVerdict(p as string, scope()));
      return files.ensureDir(path.resolve(p as string));
    },
    'files.readLedger': async ([c]) => {
      check(ledgerVerdict(c as string, scope()));
      return files.readLedger(c as string);
    },
    'files.writeLedger': async ([c, l, base]) => {
      check(ledgerVerdict(c as string, scope()));
      return files.writeLedger(c as string, l as Record<string, FailureRecord>, (base ?? undefined) as Record<string, FailureRecord> | undefined);
    },
    'node.snapshot': async ([c, known]) => {
      check(ledgerVerdict(c as string, scope()));
      const answer = await takeSnapshot({ engine, addresses, files }, c as string, (known ?? undefined) as string | undefined, Date.now());
      // What is sent is what files.readMany would send: each file checked (links resolved).
      if ('snapshot' in answer) for (const p of Object.keys(answer.snapshot.hosts)) file(p);
      return answer;
    },
    'agent.status': async () => ({ node: o.node, incarnation, cluster: o.cluster?.() ?? null, stateDir, ...(files.remoteKey ? { remoteKey: files.remoteKey } : {}), term: o.terms.highest, pid: process.pid, ...(o.status?.() ?? {}) }),
  };
}

/** The real path of `p`: symbolic links in the part that exists resolved, the rest as given. One
 * realpath(3) call per try (the JS realpathSync lstats every component: in the scope check of
 * every file an order names, that was half of a busy agent's time). */
function realPath(p: string): string {
  let head = path.resolve(p);
  const tail: string[] = [];
  for (;;) {
    try {
      return path.join(realpathSync.native(head), ...tail);
    } catch {
      if (head === path.dirname(head)) return path.resolve(p);
      tail.unshift(path.basename(head));
      head = path.dirname(head);
    }
  }
}

type Body = { ok: true; body: Buffer } | { ok: false };

/** The body, or { ok: false } as soon as it is larger than the limit; the rest is read and
 * dropped (leaving the loop over the stream early would destroy the socket before the answer). */
function readBody(req: http.IncomingMessage, limit: number): Promise<Body> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) return resolve({ ok: false });
    let chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      chunks = [];
      resolve({ ok: false });
    });
    req.on('end', () => resolve({ ok: true, body: Buffer.concat(chunks) }));
    req.on('error', reject);
  });
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

export async function startAgentServer(o: AgentServerOptions): Promise<AgentServer> {
  const incarnation = o.incarnation ?? randomBytes(8).toString('hex');
  const verifier = o.verifier ?? new RequestVerifier(o.key, { self: { node: o.node, incarnation } });
  const ops = handlers(o, incarnation);
  const streams = new Set<AbortController>();
  const heartbeatMs = o.heartbeatMs ?? LIMITS.heartbeatMs;

  const server = http.createServer({
    maxHeaderSize: LIMITS.headerBytes,
    requestTimeout: LIMITS.requestTimeoutMs,
    headersTimeout: LIMITS.requestTimeoutMs,
    // how often the two timeouts above are checked (Node's default, 30 s, would let a slow
    // sender hold a connection for 40 s)
    connectionsCheckingInterval: 1000,
    keepAliveTimeout: 65_000,
  });

  const peer = (s: Socket) => `${s.remoteAddress ?? '?'}:${s.remotePort ?? '?'}`;

  const peers = new WeakMap<http.IncomingMessage, string>();
  /** Answers a refusal; `nonce` only when the request was authenticated (then it is signed). */
  const refuse = (req: http.IncomingMessage, res: http.ServerResponse, r: Refusal, detail: string, nonce?: string) => {
    o.log(`agent ${o.node}: refused ${peers.get(req)} ${req.method} ${(req.url ?? '').slice(0, 200)}: ${r.code}${detail ? ` (${detail})` : ''}: ${r.message}`);
    const body = json({ ok: false, error: { type: 'agent', code: r.code, message: r.message } } satisfies RpcAnswer);
    const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json', 'content-length': body.length };
    if (nonce) Object.assign(headers, signResponse(o.key, nonce, r.status, body));
    // A body left unread would be parsed as the next request: close after answering.
    const unread = r.status === 404 || r.status === 413 || r.status === 431;
    if (unread) headers.connection = 'close';
    res.writeHead(r.status, headers).end(body);
    if (unread) req.resume();
  };

  const answer = (res: http.ServerResponse, nonce: string, a: RpcAnswer | { ok: true; answers: RpcAnswer[] }, op: string) => {
    let body = json(a);
    if (body.length > LIMITS.answerBytes) {
      body = json({ ok: false, error: { type: 'error', operation: op, message: `the answer is ${body.length} bytes, more than the limit of ${LIMITS.answerBytes}` } } satisfies RpcAnswer);
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length, ...signResponse(o.key, nonce, 200, body) }).end(body);
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = req.url ?? '';
    if (req.method !== 'POST' || (url !== RPC_PATH && url !== EVENTS_PATH && url !== BATCH_PATH)) {
      return refuse(req, res, new Refusal('AGENT_BAD_MESSAGE', `no such endpoint: ${req.method} ${url.slice(0, 200)} (POST ${RPC_PATH}, ${BATCH_PATH} or ${EVENTS_PATH})`, 404), '');
    }
    // Counted here rather than with server.maxHeadersCount, which answers 400 without a trace.
    if (req.rawHeaders.length / 2 > LIMITS.headerCount) {
      return refuse(req, res, new Refusal('AGENT_BAD_MESSAGE', `${req.rawHeaders.length / 2} headers, more than ${LIMITS.headerCount}`, 431), 'headers');
    }
    const read = await readBody(req, LIMITS.requestBytes);
    if (!read.ok) return refuse(req, res, new Refusal('AGENT_BAD_MESSAGE', `the request body is larger than ${LIMITS.requestBytes} bytes`, 413), 'oversized');
    const verdict = verifier.verify(req.method, url, req.headers, read.body);
    if (!verdict.ok) return refuse(req, res, new Refusal('AGENT_AUTH_FAILED', verdict.message), verdict.reason);
    const { nonce } = verdict;
    // A request that names no incarnation can only learn it: anything else would be good for
    // every later start of this agent.
    const unbound = verdict.incarnation === undefined;
    const unboundRefusal = (what: string) => new Refusal('AGENT_AUTH_FAILED', `${what} names no agent incarnation (${AUTH_HEADERS.incarnation}): only agent.status may be asked without one`);

    if (url === EVENTS_PATH) {
      if (unbound) return refuse(req, res, unboundRefusal('an events request'), 'no-incarnation', nonce);
      const parsed = parseEventsRequest(read.body);
      if (!parsed.ok) return refuse(req, res, new Refusal('AGENT_BAD_MESSAGE', parsed.message), '', nonce);
      const v = termVerdict(parsed.value.term, 'events');
      if ('error' in v) return answer(res, nonce, { ok: false, error: v.error }, 'events');
      if (v.stale) return refuse(req, res, v.stale, '', nonce);
      return streamEvents(req, res, nonce, parsed.value.filter);
    }
    if (url === BATCH_PATH) {
      if (unbound) return refuse(req, res, unboundRefusal('a batch'), 'no-incarnation', nonce);
      const parsed = parseBatchRequest(read.body);
      if (!parsed.ok) return refuse(req, res, new Refusal('AGENT_BAD_MESSAGE', parsed.message), '', nonce);
      const { term, orders } = parsed.value;
      const v = termVerdict(term, 'batch');
      if ('error' in v) return answer(res, nonce, { ok: false, error: v.error }, 'batch');
      if (v.stale) return refuse(req, res, v.stale, 'batch', nonce);
      // Each order is checked (term, lease, scope) and carried out as if it came alone, and
      // concurrently, as single requests would be; one turn of the event loop between the starts,
      // so that what the orders do without waiting (scope checks, files written) does not hold up
      // this agent's heartbeats and the controller's other requests for the whole batch.
      const pending: Promise<RpcAnswer>[] = [];
      for (const { op, args } of orders) {
        pending.push(carryOut(term, op, args).then((r) => {
          if (!('refusal' in r)) return r.answer;
          o.log(`agent ${o.node}: refused ${peers.get(req)} ${op} in a batch: ${r.refusal.code}: ${r.refusal.message}`);
          return { ok: false, error: { type: 'agent', code: r.refusal.code, message: r.refusal.message } } satisfies RpcAnswer;
        }));
        await new Promise((r) => setImmediate(r));
      }
      const answers = await Promise.all(pending);
      return answer(res, nonce, { ok: true, answers }, 'batch');
    }
    const parsed = parseRpcRequest(read.body);
    if (!parsed.ok) return refuse(req, res, new Refusal('AGENT_BAD_MESSAGE', parsed.message), '', nonce);
    const { term, op, args } = parsed.value;
    if (unbound && op !== 'agent.status') return refuse(req, res, unboundRefusal(op), 'no-incarnation', nonce);
    const r = await carryOut(term, op, args);
    if ('refusal' in r) return refuse(req, res, r.refusal, op, nonce);
    answer(res, nonce, r.answer, op);
  }

  /** One order after its signature: the term, the lease (for writes), then the operation with
   * its scope checks. A refusal is answered with its code's status; a failure is an answer. */
  async function carryOut(term: number, op: OpName, args: unknown[]): Promise<{ refusal: Refusal } | { answer: RpcAnswer }> {
    const v = termVerdict(term, op);
    if ('error' in v) return { answer: { ok: false, error: v.error } };
    if (v.stale) return { refusal: v.stale };
    const fenced = isWriteOp(op) ? o.gate?.(op) : undefined;
    if (fenced) return { refusal: new Refusal('AGENT_FENCED', `${op} refused: ${fenced}`) };
    try {
      return { answer: { ok: true, result: await ops[op](args) } };
    } catch (e) {
      if (e instanceof Refusal) return { refusal: e };
      return { answer: { ok: false, error: toWireError(e, op) } };
    }
  }

  /** The term checked (and a newer one recorded). A newer term that cannot be recorded (a full
   * disk) is an error: the request is not carried out, and fails as an operation does
   * (FILE_WRITE_FAILED in the message), not as a broken connection. */
  function termVerdict(term: number, op: string): { stale?: Refusal } | { error: WireError } {
    try {
      return { stale: staleTerm(term) };
    } catch (e) {
      return { error: toWireError(e, op) };
    }
  }

  function staleTerm(term: number): Refusal | undefined {
    const c = o.terms.check(term);
    return c.ok ? undefined : new Refusal('AGENT_TERM_STALE', `term ${term} is older than term ${c.highest}, the newest this agent has seen: the sender is no longer the leader`);
  }

  async function streamEvents(req: http.IncomingMessage, res: http.ServerResponse, nonce: string, filter: EventFilter): Promise<void> {
    const stop = new AbortController();
    streams.add(stop);
    res.on('close', () => stop.abort());
    res.writeHead(200, { 'content-type': 'application/x-ndjson', ...signResponse(o.key, nonce, 200, Buffer.alloc(0)) });
    res.flushHeaders();
    let seq = 0;
    const send = (p: (s: number) => EventPayload): boolean => {
      const payload = p(++seq);
      const line = JSON.stringify(payload);
      return res.write(`${JSON.stringify({ ...payload, sig: signEventLine(o.key, nonce, seq, line) })}\n`);
    };
    const beat = setInterval(() => send((s) => ({ seq: s, beat: Date.now() })), heartbeatMs);
    try {
      for await (const event of o.engine.events(filter, stop.signal)) {
        if (!send((s) => ({ seq: s, event })) && !stop.signal.aborted) await once(res, 'drain', { signal: stop.signal });
      }
    } catch (e) {
      if (!stop.signal.aborted) {
        o.log(`agent ${o.node}: events for ${peers.get(req)} ended: ${(e as Error).message}`);
        send((s) => ({ seq: s, error: toWireError(e, 'events') }));
      }
    } finally {
      clearInterval(beat);
      streams.delete(stop);
      res.end();
    }
  }

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    // Kept now: the socket is gone from req once the peer hangs up.
    peers.set(req, peer(req.socket));
    handle(req, res).catch((e: unknown) => {
      o.log(`agent ${o.node}: error serving ${peers.get(req)} ${req.method} ${req.url}: ${(e as Error)?.stack ?? e}`);
      if (!res.headersSent) res.writeHead(500, { connection: 'close' }).end();
      else res.destroy();
    });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    o.log(`agent ${o.node}: refused ${peer(socket)}: AGENT_BAD_MESSAGE (${err.code ?? 'malformed'}): ${err.message}`);
    const body = JSON.stringify({ ok: false, error: { type: 'agent', code: 'AGENT_BAD_MESSAGE', message: `malformed HTTP request (${err.code ?? err.message})` } });
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;

  return {
    url: `http://${host}:${port}`,
    port,
    incarnation,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of streams) s.abort();
      server.closeIdleConnections();
      // Requests in flight get a moment to finish; then their connections are cut.
      const cut = setTimeout(() => server.closeAllConnections(), 5000);
      await closed;
      clearTimeout(cut);
    },
  };
}
