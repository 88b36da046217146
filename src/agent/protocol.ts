// The node agent's wire protocol: the two endpoints, the operations with the shape of their
// arguments and results, the error envelope, the refusal codes and the size and time limits.
// Pure: both the server (requests) and the client (answers) check what arrives against this one
// table, so that garbage is refused the same way on both sides.
import type { EngineErrorKind, EngineEvent, EventFilter } from '../runtime/engine';
import { ENGINE_KIND_NAMES } from '../runtime/engine';
import { isClusterId } from '../runtime/labels';

export const RPC_PATH = '/v1/rpc';
export const EVENTS_PATH = '/v1/events';
/** Several orders in one signed request (the quick writes of one pass to one node): BATCH_OPS. */
export const BATCH_PATH = '/v1/batch';

const MiB = 1024 * 1024;

export const LIMITS = {
  /** a request body; a create spec with a large env is well below this */
  requestBytes: 1 * MiB,
  /** a whole answer; a listing of thousands of containers fits */
  answerBytes: 32 * MiB,
  /** one NDJSON line of the events stream */
  eventLineBytes: 1 * MiB,
  headerBytes: 16 * 1024,
  headerCount: 32,
  /** the whole request (headers and body) must arrive within this: slow senders are cut off */
  requestTimeoutMs: 10_000,
  /** the events stream sends a signed heartbeat this often, so that a silent peer is noticed */
  heartbeatMs: 15_000,
  /** the most orders in one batch request */
  batchOrders: 64,
} as const;

/** Refusals by the agent itself (as opposed to failures of the engine or the host it drives). */
export type AgentCode = 'AGENT_AUTH_FAILED' | 'AGENT_TERM_STALE' | 'AGENT_FENCED' | 'AGENT_BAD_MESSAGE' | 'AGENT_SCOPE_REFUSED' | 'AGENT_HOST_ACCESS_DENIED';

export const AGENT_HTTP_STATUS: Record<AgentCode, number> = {
  AGENT_AUTH_FAILED: 401,
  AGENT_TERM_STALE: 409,
  AGENT_FENCED: 503,
  AGENT_BAD_MESSAGE: 400,
  /** an order outside the agent's scope (scope.ts) */
  AGENT_SCOPE_REFUSED: 403,
  AGENT_HOST_ACCESS_DENIED: 403,
};

export const isAgentCode = (v: unknown): v is AgentCode => typeof v === 'string' && Object.hasOwn(AGENT_HTTP_STATUS, v);

/** How an operation's failure travels: enough to re-create the same error on the client. */
export type WireError =
  | { type: 'engine'; kind: EngineErrorKind; operation: string; target?: string; message: string; statusCode?: number }
  | { type: 'address'; operation: string; address: string; message: string }
  /** a refusal by the agent; the HTTP status is AGENT_HTTP_STATUS[code] (413 for an oversized body) */
  | { type: 'agent'; code: AgentCode; message: string }
  /** anything else an operation threw (a file system error, say) */
  | { type: 'error'; operation: string; message: string };

export type RpcAnswer = { ok: true; result?: unknown } | { ok: false; error: WireError };

export interface RpcRequest {
  /** the leader's term: the fencing token */
  term: number;
  op: OpName;
  /** JSON turns a missing optional argument into null; the server reads null as "not given" */
  args: unknown[];
}

export interface EventsRequest {
  term: number;
  filter: EventFilter;
}

/** One line of the events stream, without its signature; `sig` signs exactly this object's JSON
 * (see auth.ts). `beat` lines carry the agent's clock and keep a quiet stream alive; an `error`
 * line is the last one. */
export type EventPayload = { seq: number; event: EngineEvent } | { seq: number; beat: number } | { seq: number; error: WireError };
export type EventLine = EventPayload & { sig: string };

// ---- checks: each returns what is wrong, or undefined when the value is fine ----

type Check = (v: unknown) => string | undefined;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const string = (max = 4096): Check => (v) => (typeof v === 'string' && v.length > 0 && v.length <= max ? undefined : `a non-empty string of at most ${max} characters`);
// Docker's own name rule; it also keeps an id from walking the engine's URL space (`../images`).
const containerRef: Check = (v) => (typeof v === 'string' && v.length <= 256 && /^\/?[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(v) ? undefined : 'a container id or name ([A-Za-z0-9][A-Za-z0-9_.-]*)');
const absolutePath: Check = (v) => (typeof v === 'string' && v.startsWith('/') && v.length <= 4096 && !v.includes('\0') ? undefined : 'an absolute path');
const text: Check = (v) => (typeof v === 'string' ? undefined : 'a string');
/** A cluster id (src/store/cluster-id.ts): one safe path segment. */
const clusterId: Check = (v) => (isClusterId(v) ? undefined : 'a cluster id');
const seconds: Check = (v) => (Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= 3600 ? undefined : 'a whole number of seconds from 0 to 3600');
const stringMap: Check = (v) => (isObject(v) && Object.values(v).every((x) => typeof x === 'string') ? undefined : 'an object of strings');

function fields(shape: Record<string, Check>, required: readonly string[]): Check {
  return (v) => {
    if (!isObject(v)) return 'an object';
    for (const k of required) if (!(k in v)) return `an object with ${k}`;
    for (const [k, x] of Object.entries(v)) {
      const c = shape[k];
      if (!c) return `an object without ${k}`;
      if (x === undefined || x === null) continue;
      const bad = c(x);
      if (bad) return `${k}: ${bad}`;
    }
    return undefined;
  };
}

const listFilter = fields({ labels: stringMap }, []);
const removeOptions = fields({ force: (v) => (typeof v === 'boolean' ? undefined : 'true or false') }, []);
// The engine checks the rest of a create spec; the agent checks what names things.
const containerSpec: Check = (v) => {
  if (!isObject(v)) return 'a container spec (an object)';
  return containerRef(v.name) ? `name: ${containerRef(v.name)}` : string(1024)(v.Image) ? `Image: ${string(1024)(v.Image)}` : undefined;
};
const addressSpec = fields({
  ip: (v) => (typeof v === 'string' && /^\d{1,3}(\.\d{1,3}){3}$/.test(v) ? undefined : 'an IPv4 address'),
  prefix: (v) => (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 32 ? undefined : 'a prefix length from 0 to 32'),
  interface: (v) => (typeof v === 'string' && /^[A-Za-z0-9_.:@-]{1,15}$/.test(v) ? undefined : 'an interface name'),
}, ['ip', 'prefix', 'interface']);
const count = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? undefined : 'a number');
const replicaName: Check = (v) => (typeof v === 'string' && v.length <= 256 ? undefined : 'a replica name');
const flag: Check = (v) => (typeof v === 'boolean' ? undefined : 'true or false');
const short = (v: unknown) => (typeof v === 'string' && v.length <= 4096 ? undefined : 'a string of at most 4096 characters');
const failureRecord = fields({
  baseline: count, extra: count, count, lastFailureAt: count, stoppedByBerth: flag, replica: replicaName, resource: short, op: short, onFail: short, last: short, seen: short, cleaned: short, value: short,
  // the retried removals of a container stuck in removal (src/reconcile/plan.ts)
  removal: fields({ attempts: count, lastAt: count }, ['attempts', 'lastAt']),
}, ['baseline', 'extra', 'count']);
// The resources inside replicas: which executors to ask (the agent checks each container is its
// own replica and the address is the container's), and the steps to run through one.
const port: Check = (v) => (Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535 ? undefined : 'a port number');
const wireOp = fields({ name: string(64), intervalMs: count, timeoutMs: count, params: stringMap }, ['name', 'intervalMs', 'timeoutMs', 'params']);
const innerWant = fields({
  replica: replicaName, bundle: string(256), index: count, container: containerRef,
  target: fields({ host: (v) => (typeof v === 'string' && /^\d{1,3}(\.\d{1,3}){3}$/.test(v) ? undefined : 'an IPv4 address'), port }, ['host', 'port']),
  resource: fields({ id: string(256), class: string(64), provider: string(256), type: string(256) }, ['id', 'class', 'type']),
  probe: fields({ timeoutMs: count, params: stringMap }, ['timeoutMs', 'params']),
}, ['replica', 'bundle', 'index', 'container', 'target', 'resource', 'probe']);
const innerStep: Check = (v) => {
  if (!isObject(v)) return 'a step';
  if (v.kind === 'fence') return Object.keys(v).length === 1 ? undefined : 'a fence step has nothing else';
  if (!['start', 'stop', 'promote', 'demote', 'monitor', 'probe'].includes(v.kind as string)) return 'a step kind: start, stop, promote, demote, monitor, probe, fence';
  return fields({ kind: text, op: wireOp }, ['kind', 'op'])(v);
};
const ledger: Check = (v) => {
  if (!isObject(v)) return 'an object of failure records';
  for (const [id, r] of Object.entries(v)) {
    const bad = failureRecord(r);
    if (bad) return `${id}: ${bad}`;
  }
  return undefined;
};
const eventFilter = fields({ labels: stringMap, since: count }, []);

const none: Check = (v) => (v === undefined || v === null ? undefined : 'nothing');
const listOf = (c: Check): Check => (v) => {
  if (!Array.isArray(v)) return 'a list';
  for (const [i, x] of v.entries()) {
    const bad = c(x);
    if (bad) return `[${i}]: ${bad}`;
  }
  return undefined;
};
const engineKind: Check = (v) => (ENGINE_KIND_NAMES.includes(v as string) ? undefined : `one of ${ENGINE_KIND_NAMES.join(', ')}`);
const observed: Check = (v) => (isObject(v) && typeof v.id === 'string' && typeof v.name === 'string' && typeof v.state === 'string' && isObject(v.labels) ? undefined : 'a container');
const details: Check = (v) => (v === undefined || v === null ? undefined : observed(v) ?? (isObject((v as Record<string, unknown>).raw) ? undefined : 'container details with raw'));
const hostAddress: Check = (v) => (isObject(v) && typeof v.ip === 'string' && typeof v.prefix === 'number' && typeof v.interface === 'string' && typeof v.label === 'string' ? undefined : 'a host address');
const optionalText: Check = (v) => (v === null || typeof v === 'string' ? undefined : 'a string or null');
const anObject: Check = (v) => (isObject(v) ? undefined : 'an object');
const snapshot = fields({ containers: listOf(observed), addresses: listOf(hostAddress), kinds: listOf(engineKind), ledger, hosts: stringMap }, ['containers', 'addresses', 'ledger', 'hosts']);
/** node-snapshot.ts: a digest, and the whole snapshot or `unchanged` */
const snapshotAnswer: Check = (v) => {
  if (!isObject(v) || typeof v.digest !== 'string' || !v.digest) return 'an object with a digest';
  if (v.unchanged === true) return Object.keys(v).length === 2 ? undefined : 'an unchanged answer has nothing else';
  const bad = Object.keys(v).length === 2 ? snapshot(v.snapshot) : 'a digest and a snapshot';
  return bad && `snapshot: ${bad}`;
};

interface OpSpec {
  /** writes change the node; an agent that is fenced refuses them */
  write: boolean;
  /** the arguments in order; those after `required` may be missing or null */
  args: readonly Check[];
  required: number;
  result: Check;
}

const op = (write: boolean, args: Check[], required: number, result: Check): OpSpec => ({ write, args, required, result });

export const OPS = {
  'engine.ping': op(false, [], 0, none),
  'engine.listContainers': op(false, [listFilter], 0, listOf(observed)),
  'engine.inspect': op(false, [containerRef], 1, details),
  'engine.create': op(true, [containerSpec], 1, string(256)),
  'engine.start': op(true, [containerRef], 1, none),
  'engine.stop': op(true, [containerRef, seconds], 1, none),
  'engine.remove': op(true, [containerRef, removeOptions], 1, none),
  'engine.rename': op(true, [containerRef, containerRef], 2, none),
  'engine.kinds': op(false, [], 0, listOf(engineKind)),
  'addresses.list': op(false, [], 0, listOf(hostAddress)),
  'addresses.add': op(true, [addressSpec], 1, none),
  'addresses.remove': op(true, [addressSpec], 1, none),
  'files.read': op(false, [absolutePath], 1, optionalText),
  'files.readMany': op(false, [listOf(absolutePath)], 1, listOf(optionalText)),
  'files.write': op(true, [absolutePath, text], 2, none),
  'files.ensureDir': op(true, [absolutePath], 1, none),
  'files.readLedger': op(false, [clusterId], 1, ledger),
  // the third argument: the ledger the second was computed from (the agent merges, see node-files.ts)
  'files.writeLedger': op(true, [clusterId, ledger, ledger], 2, none),
  'inner.observe': op(false, [listOf(innerWant)], 1, anObject),
  'inner.act': op(true, [replicaName, containerRef, listOf(innerStep)], 3, anObject),
  'agent.status': op(false, [], 0, anObject),
  // the observation in one answer, or that it is unchanged since the digest given (node-snapshot.ts)
  'node.snapshot': op(false, [clusterId, string(256)], 1, snapshotAnswer),
} as const satisfies Record<string, OpSpec>;

export type OpName = keyof typeof OPS;

/** The orders a batch may carry: writes that take no longer than the engine's own call (a stop,
 * which waits for its timeout, and the resources' operations go alone, so as not to hold up the
 * others' answers). */
export const BATCH_OPS: readonly OpName[] = ['engine.create', 'engine.start', 'engine.remove', 'engine.rename', 'addresses.add', 'addresses.remove', 'files.write', 'files.ensureDir'];

export interface Order { op: OpName; args: unknown[] }
export interface BatchRequest { term: number; orders: Order[] }

export const isWriteOp = (name: OpName): boolean => OPS[name].write;

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

function parseJson(body: Buffer): Parsed<unknown> {
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) };
  } catch (e) {
    return { ok: false, message: `not JSON (${(e as Error).message})` };
  }
}

const termProblem = (v: unknown) => (Number.isSafeInteger(v) && (v as number) >= 0 ? undefined : 'term: a whole number ≥ 0');

/** A request body: a JSON object (`shape` names its fields for the message) with a term. */
function termed(body: Buffer, shape: string): Parsed<{ v: Record<string, unknown>; term: number }> {
  const json = parseJson(body);
  if (!json.ok) return json;
  const v = json.value;
  if (!isObject(v)) return { ok: false, message: `not an object ${shape}` };
  const bad = termProblem(v.term);
  return bad ? { ok: false, message: bad } : { ok: true, value: { v, term: v.term as number } };
}

/** One order {op, args}, or what is wrong with it. */
function parseOrder(v: Record<string, unknown>): Parsed<Order> {
  if (typeof v.op !== 'string' || !Object.hasOwn(OPS, v.op)) return { ok: false, message: `op: ${JSON.stringify(String(v.op).slice(0, 64))} is not one of ${Object.keys(OPS).join(', ')}` };
  const name = v.op as OpName;
  const spec: OpSpec = OPS[name];
  if (!Array.isArray(v.args)) return { ok: false, message: 'args: a list' };
  if (v.args.length < spec.required || v.args.length > spec.args.length) {
    return { ok: false, message: `${name} takes ${spec.required === spec.args.length ? spec.required : `${spec.required} to ${spec.args.length}`} arguments, not ${v.args.length}` };
  }
  for (const [i, a] of v.args.entries()) {
    if ((a === null || a === undefined) && i >= spec.required) continue;
    const wrong = spec.args[i](a);
    if (wrong) return { ok: false, message: `${name} argument ${i + 1}: ${wrong}` };
  }
  return { ok: true, value: { op: name, args: v.args.map((a) => (a === null ? undefined : a)) } };
}

/** A request body to an RPC request, or what is wrong with it. */
export function parseRpcRequest(body: Buffer): Parsed<RpcRequest> {
  const r = termed(body, '{term, op, args}');
  if (!r.ok) return r;
  const order = parseOrder(r.value.v);
  return order.ok ? { ok: true, value: { term: r.value.term, ...order.value } } : order;
}

/** A batch request body {term, orders: [{op, args}...]}, or what is wrong with it: every order is
 * checked as a single request's is, and only BATCH_OPS may be batched. */
export function parseBatchRequest(body: Buffer): Parsed<BatchRequest> {
  const r = termed(body, '{term, orders}');
  if (!r.ok) return r;
  const { v, term } = r.value;
  if (!Array.isArray(v.orders) || v.orders.length === 0 || v.orders.length > LIMITS.batchOrders) return { ok: false, message: `orders: a list of 1 to ${LIMITS.batchOrders} orders` };
  const orders: Order[] = [];
  for (const [i, x] of v.orders.entries()) {
    if (!isObject(x)) return { ok: false, message: `orders[${i}]: not an object {op, args}` };
    const order = parseOrder(x);
    if (!order.ok) return { ok: false, message: `orders[${i}]: ${order.message}` };
    if (!BATCH_OPS.includes(order.value.op)) return { ok: false, message: `orders[${i}]: ${order.value.op} is not batched (${BATCH_OPS.join(', ')})` };
    orders.push(order.value);
  }
  return { ok: true, value: { term, orders } };
}

export function parseEventsRequest(body: Buffer): Parsed<EventsRequest> {
  const r = termed(body, '{term, filter}');
  if (!r.ok) return r;
  const { v, term } = r.value;
  const bad = eventFilter(v.filter);
  if (bad) return { ok: false, message: bad };
  const f = v.filter as Record<string, unknown>;
  const filter: EventFilter = {};
  if (f.labels) filter.labels = f.labels as Record<string, string>;
  if (typeof f.since === 'number') filter.since = f.since;
  return { ok: true, value: { term, filter } };
}

const ENGINE_KINDS: readonly string[] = ['not-found', 'conflict', 'unreachable', 'failed'];
const optionalString = (v: unknown) => v === undefined || typeof v === 'string';

function wireError(v: unknown): string | undefined {
  if (!isObject(v) || typeof v.message !== 'string') return 'error: an object with a message';
  switch (v.type) {
    case 'engine':
      return ENGINE_KINDS.includes(v.kind as string) && typeof v.operation === 'string' && optionalString(v.target) && (v.statusCode === undefined || typeof v.statusCode === 'number') ? undefined : 'error: an engine error';
    case 'address':
      return typeof v.operation === 'string' && typeof v.address === 'string' ? undefined : 'error: an address error';
    case 'agent':
      return isAgentCode(v.code) ? undefined : 'error: an agent refusal with a known code';
    case 'error':
      return typeof v.operation === 'string' ? undefined : 'error: an error with an operation';
    default:
      return `error: unknown type ${JSON.stringify(String(v.type).slice(0, 32))}`;
  }
}

/** An RPC answer body, or what is wrong with it: the envelope and, for `op`, the result's shape. */
export function parseRpcAnswer(body: Buffer, name: OpName | undefined): Parsed<RpcAnswer> {
  const json = parseJson(body);
  return json.ok ? answerOf(json.value, name) : json;
}

function answerOf(v: unknown, name: OpName | undefined): Parsed<RpcAnswer> {
  if (!isObject(v) || typeof v.ok !== 'boolean') return { ok: false, message: 'not an object {ok, ...}' };
  if (!v.ok) {
    const bad = wireError(v.error);
    return bad ? { ok: false, message: bad } : { ok: true, value: { ok: false, error: v.error as WireError } };
  }
  if (name) {
    const bad = OPS[name].result(v.result);
    if (bad) return { ok: false, message: `result of ${name}: ${bad}` };
  }
  return { ok: true, value: { ok: true, result: v.result === null ? undefined : v.result } };
}

/** A batch's answer {ok: true, answers: [...]}, one answer per order of `ops` (each checked as
 * parseRpcAnswer checks a single one), or a refusal of the whole batch {ok: false, error}. */
export function parseBatchAnswer(body: Buffer, ops: readonly OpName[]): Parsed<{ ok: true; answers: RpcAnswer[] } | { ok: false; error: WireError }> {
  const json = parseJson(body);
  if (!json.ok) return json;
  const v = json.value;
  if (isObject(v) && v.ok === false) {
    const whole = answerOf(v, undefined);
    return whole.ok && !whole.value.ok ? { ok: true, value: whole.value } : { ok: false, message: whole.ok ? 'a refusal without its error' : whole.message };
  }
  if (!isObject(v) || v.ok !== true) return { ok: false, message: 'not an object {ok, ...}' };
  if (!Array.isArray(v.answers) || v.answers.length !== ops.length) return { ok: false, message: `answers: a list of ${ops.length}` };
  const answers: RpcAnswer[] = [];
  for (const [i, a] of v.answers.entries()) {
    const one = answerOf(a, ops[i]);
    if (!one.ok) return { ok: false, message: `answers[${i}]: ${one.message}` };
    answers.push(one.value);
  }
  return { ok: true, value: { ok: true, answers } };
}

const event: Check = (v) => (isObject(v) && typeof v.action === 'string' && typeof v.id === 'string' && isObject(v.attributes) && typeof v.time === 'number' ? undefined : 'an engine event');

/** One parsed events line (signature not yet checked), or what is wrong with it. */
export function parseEventLine(line: string): Parsed<EventLine> {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    return { ok: false, message: `not JSON (${(e as Error).message})` };
  }
  if (!isObject(v) || !Number.isSafeInteger(v.seq) || typeof v.sig !== 'string') return { ok: false, message: 'not a line {seq, ..., sig}' };
  const kinds = ['event', 'beat', 'error'].filter((k) => k in v);
  if (kinds.length !== 1) return { ok: false, message: 'a line carries exactly one of event, beat, error' };
  const bad = 'event' in v ? event(v.event) : 'beat' in v ? count(v.beat) : wireError(v.error);
  return bad ? { ok: false, message: bad } : { ok: true, value: v as unknown as EventLine };
}

/** The line without its signature, in the field order that is signed. */
export function eventPayload(l: EventLine | EventPayload): EventPayload {
  if ('event' in l) return { seq: l.seq, event: l.event };
  if ('beat' in l) return { seq: l.seq, beat: l.beat };
  return { seq: l.seq, error: l.error };
}
