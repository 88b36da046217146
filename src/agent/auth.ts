// Signing and checking what travels between the controller and a node's agent with the cluster's
// shared authkey (HMAC-SHA256). A request is signed over method, path, time, nonce, its target
// (the node and the agent incarnation it is meant for) and the body's hash; the agent refuses a
// wrong signature, a target that is not itself, a time too far from its own clock (either way) and
// a nonce it has already seen, so a captured request cannot be sent again: not to the same agent
// (its nonce), not to another node (its name) and not to the same agent after a restart (its
// incarnation, a random id made at each start, while nonces are remembered in memory only). Answers are signed over
// the request's nonce, so a forged or replayed answer is refused by the client; the events stream
// signs each line with its sequence number, so lines cannot be dropped, reordered or repeated.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const AUTH_HEADERS = {
  time: 'x-berth-time',
  nonce: 'x-berth-nonce',
  signature: 'x-berth-signature',
  node: 'x-berth-node',
  incarnation: 'x-berth-incarnation',
} as const;

// A type, not an interface: it must be assignable to node:http's header records.
export type SignedRequestHeaders = {
  'x-berth-time': string;
  'x-berth-nonce': string;
  'x-berth-signature': string;
  'x-berth-node'?: string;
  'x-berth-incarnation'?: string;
};

/** Whom a request is for: a node's agent, in one incarnation (one start of the agent). Without an
 * incarnation a request can only ask who the agent is (agent.status), to learn it. */
export interface Target {
  node: string;
  incarnation?: string;
}

/** An agent incarnation: random hex, made at each start (daemon.ts). */
export const INCARNATION = /^[0-9a-f]{8,64}$/;
/** A node name in a header: one line (the signed text is made of lines). */
const NODE_NAME = /^[^\s]{1,253}$/;

export interface RequestToSign {
  method: string;
  path: string;
  body: Buffer;
  /** ms since the epoch; default Date.now() */
  now?: number;
  /** 32 hex digits; default 16 random bytes */
  nonce?: string;
  /** the agent the request is for (requests to a controller have none) */
  to?: Target;
}

const sha256hex = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text, 'utf8').digest();

function sameMac(expected: Buffer, givenHex: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(givenHex)) return false;
  return timingSafeEqual(expected, Buffer.from(givenHex, 'hex'));
}

const requestText = (method: string, path: string, time: string, nonce: string, node: string, incarnation: string, body: Buffer) =>
  `${method.toUpperCase()}\n${path}\n${time}\n${nonce}\n${node}\n${incarnation}\n${sha256hex(body)}`;

export function signRequest(key: Buffer, r: RequestToSign): SignedRequestHeaders {
  const time = String(r.now ?? Date.now());
  const nonce = r.nonce ?? randomBytes(16).toString('hex');
  const node = r.to?.node ?? '';
  const incarnation = r.to?.incarnation ?? '';
  return {
    'x-berth-time': time,
    'x-berth-nonce': nonce,
    'x-berth-signature': hmac(key, requestText(r.method, r.path, time, nonce, node, incarnation, r.body)).toString('hex'),
    ...(node ? { 'x-berth-node': node } : {}),
    ...(incarnation ? { 'x-berth-incarnation': incarnation } : {}),
  };
}

export type RefusalReason =
  | 'missing' // a header is missing or malformed
  | 'bad-signature' // the signature does not match: another key, or the request was changed
  | 'stale' // the time is more than maxSkewMs away from the agent's clock
  | 'replayed' // the nonce was seen within the replay window
  | 'busy' // the nonce cache is full: refused rather than forgetting nonces that are still valid
  | 'wrong-node' // signed for another node's agent
  | 'wrong-incarnation'; // signed for another start of this agent (it restarted since)

/** `incarnation`: the one the request names; undefined when it names none (only to learn it). */
export type Verdict = { ok: true; nonce: string; incarnation: string | undefined } | { ok: false; reason: RefusalReason; message: string };

/** Headers as node:http gives them (a repeated header is an array: refused as malformed). */
export type HeaderBag = Record<string, string | string[] | undefined>;

export interface VerifierOptions {
  /** how far a request's time may be from this clock, either way (default 30 s) */
  maxSkewMs?: number;
  now?: () => number;
  /** nonces remembered at most (default 100 000); when full, requests are refused ('busy') */
  maxNonces?: number;
  /** an agent: requests must name this node, and this incarnation when they name one */
  self?: { node: string; incarnation: string };
}

/** Checks requests for one key; remembers the nonces it accepted for 2 × maxSkewMs, the longest
 * time a request can stay acceptable (its time may be maxSkewMs ahead of this clock, and it is
 * accepted until maxSkewMs after its time). */
export class RequestVerifier {
  private readonly maxSkewMs: number;
  private readonly now: () => number;
  private readonly maxNonces: number;
  private readonly self: VerifierOptions['self'];
  /** nonce → when it may be forgotten; in insertion order, so expired ones are at the front */
  private readonly seen = new Map<string, number>();

  constructor(private readonly key: Buffer, opts: VerifierOptions = {}) {
    this.maxSkewMs = opts.maxSkewMs ?? 30_000;
    this.now = opts.now ?? Date.now;
    this.maxNonces = opts.maxNonces ?? 100_000;
    this.self = opts.self;
  }

  /** nonces held now (for tests and the agent's status) */
  get remembered(): number {
    return this.seen.size;
  }

  verify(method: string, path: string, headers: HeaderBag, body: Buffer): Verdict {
    const time = headers[AUTH_HEADERS.time];
    const nonce = headers[AUTH_HEADERS.nonce];
    const signature = headers[AUTH_HEADERS.signature];
    if (typeof time !== 'string' || !/^\d{1,16}$/.test(time)) return refuse('missing', `${AUTH_HEADERS.time} is missing or not a time in ms`);
    if (typeof nonce !== 'string' || !/^[0-9a-f]{32}$/.test(nonce)) return refuse('missing', `${AUTH_HEADERS.nonce} is missing or not 32 hex digits`);
    if (typeof signature !== 'string') return refuse('missing', `${AUTH_HEADERS.signature} is missing`);
    const node = headers[AUTH_HEADERS.node] ?? '';
    const incarnation = headers[AUTH_HEADERS.incarnation] ?? '';
    if (typeof node !== 'string' || (node !== '' && !NODE_NAME.test(node)) || (this.self && node === '')) return refuse('missing', `${AUTH_HEADERS.node} is missing or not a node name`);
    if (typeof incarnation !== 'string' || (incarnation !== '' && !INCARNATION.test(incarnation))) return refuse('missing', `${AUTH_HEADERS.incarnation} is not an agent incarnation (hex)`);
    // The signature first: an unauthenticated request must not fill the nonce cache.
    if (!sameMac(hmac(this.key, requestText(method, path, time, nonce, node, incarnation, body)), signature)) {
      return refuse('bad-signature', 'the signature does not match (another authkey, or the request was altered)');
    }
    if (this.self && node !== this.self.node) return refuse('wrong-node', `the request is for node ${node}, this is node ${this.self.node}`);
    if (this.self && incarnation !== '' && incarnation !== this.self.incarnation) {
      return refuse('wrong-incarnation', `the request is for agent incarnation ${incarnation}, this agent is ${this.self.incarnation} (it has restarted since): an order is good for one start of one agent`);
    }
    const now = this.now();
    const skew = Number(time) - now;
    if (Math.abs(skew) > this.maxSkewMs) {
      return refuse('stale', `the request time is ${Math.round(Math.abs(skew) / 1000)} s ${skew < 0 ? 'old' : 'in the future'} (at most ${this.maxSkewMs / 1000} s allowed: are the clocks synchronised?)`);
    }
    this.forgetExpired(now);
    if (this.seen.has(nonce)) return refuse('replayed', `nonce ${nonce} was already used`);
    if (this.seen.size >= this.maxNonces) return refuse('busy', `more than ${this.maxNonces} requests within ${(2 * this.maxSkewMs) / 1000} s`);
    this.seen.set(nonce, now + 2 * this.maxSkewMs);
    return { ok: true, nonce, incarnation: incarnation || undefined };
  }

  private forgetExpired(now: number): void {
    for (const [nonce, until] of this.seen) {
      if (until > now) break;
      this.seen.delete(nonce);
    }
  }
}

const refuse = (reason: RefusalReason, message: string): Verdict => ({ ok: false, reason, message });

// ---- answers ----

const answerText = (status: number, requestNonce: string, body: Buffer) => `${status}\n${requestNonce}\n${sha256hex(body)}`;

export function signResponse(key: Buffer, requestNonce: string, status: number, body: Buffer): { 'x-berth-signature': string } {
  return { 'x-berth-signature': hmac(key, answerText(status, requestNonce, body)).toString('hex') };
}

export type AnswerVerdict = { ok: true } | { ok: false; reason: 'missing' | 'bad-signature'; message: string };

export function verifyResponse(key: Buffer, requestNonce: string, status: number, headers: HeaderBag, body: Buffer): AnswerVerdict {
  const signature = headers[AUTH_HEADERS.signature];
  if (typeof signature !== 'string') return { ok: false, reason: 'missing', message: 'the answer is not signed' };
  if (!sameMac(hmac(key, answerText(status, requestNonce, body)), signature)) {
    return { ok: false, reason: 'bad-signature', message: 'the answer signature does not match (another authkey, or the answer was forged or altered)' };
  }
  return { ok: true };
}

// ---- the events stream, line by line ----

/** `line`: the line's JSON without its signature (see protocol.ts eventPayload). */
export function signEventLine(key: Buffer, requestNonce: string, seq: number, line: string): string {
  return hmac(key, `${requestNonce}\n${seq}\n${line}`).toString('hex');
}

export function verifyEventLine(key: Buffer, requestNonce: string, seq: number, line: string, signature: string): boolean {
  return sameMac(hmac(key, `${requestNonce}\n${seq}\n${line}`), signature);
}
