// Signing and checking requests, answers and events lines (src/agent/auth.ts): one table of
// requests that must pass or be refused with a given reason, then replay and the nonce cache bound.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import {
  HeaderBag, RequestToSign, RequestVerifier, SignedRequestHeaders, signEventLine, signRequest, signResponse, verifyEventLine, verifyResponse,
} from '../../src/agent/auth';

const key = randomBytes(64);
const otherKey = randomBytes(64);
const NOW = 1_700_000_000_000;
const SKEW = 30_000;
const base: RequestToSign = { method: 'POST', path: '/v1/rpc', body: Buffer.from('{"term":1,"op":"engine.ping","args":[]}'), now: NOW };

interface Case {
  name: string;
  /** what the client signs (over base) and with which key */
  signed?: Partial<RequestToSign>;
  signKey?: Buffer;
  /** what arrives (over what was signed) */
  arrives?: { method?: string; path?: string; body?: Buffer; headers?: (h: SignedRequestHeaders) => HeaderBag };
  verifierNow?: number;
  expected: { ok: true } | { ok: false; reason: string };
}

const without = (name: keyof SignedRequestHeaders) => (h: SignedRequestHeaders): HeaderBag => ({ ...h, [name]: undefined });

const cases: Case[] = [
  { name: 'a good request', expected: { ok: true } },
  { name: 'a lower-case method is the same method', arrives: { method: 'post' }, expected: { ok: true } },
  { name: 'another key', signKey: otherKey, expected: { ok: false, reason: 'bad-signature' } },
  { name: 'a tampered body', arrives: { body: Buffer.from('{"term":1,"op":"engine.create","args":[]}') }, expected: { ok: false, reason: 'bad-signature' } },
  { name: 'an empty body instead', arrives: { body: Buffer.alloc(0) }, expected: { ok: false, reason: 'bad-signature' } },
  { name: 'a tampered path', arrives: { path: '/v1/events' }, expected: { ok: false, reason: 'bad-signature' } },
  { name: 'a tampered method', arrives: { method: 'PUT' }, expected: { ok: false, reason: 'bad-signature' } },
  { name: 'a tampered time', arrives: { headers: (h) => ({ ...h, 'x-berth-time': String(NOW + 1) }) }, expected: { ok: false, reason: 'bad-signature' } },
  { name: 'a tampered nonce', arrives: { headers: (h) => ({ ...h, 'x-berth-nonce': 'f'.repeat(32) }) }, expected: { ok: false, reason: 'bad-signature' } },
  { name: 'a signature of the wrong length', arrives: { headers: (h) => ({ ...h, 'x-berth-signature': h['x-berth-signature'].slice(2) }) }, expected: { ok: false, reason: 'bad-signature' } },
  { name: 'at the edge of the window, past', signed: { now: NOW - SKEW }, expected: { ok: true } },
  { name: 'at the edge of the window, future', signed: { now: NOW + SKEW }, expected: { ok: true } },
  { name: 'stale: too old', signed: { now: NOW - SKEW - 1 }, expected: { ok: false, reason: 'stale' } },
  { name: 'stale: too far in the future', signed: { now: NOW + SKEW + 1 }, expected: { ok: false, reason: 'stale' } },
  { name: 'a stale request with another key is a bad signature first', signed: { now: NOW - 10 * SKEW }, signKey: otherKey, expected: { ok: false, reason: 'bad-signature' } },
  { name: 'no time', arrives: { headers: without('x-berth-time') }, expected: { ok: false, reason: 'missing' } },
  { name: 'no nonce', arrives: { headers: without('x-berth-nonce') }, expected: { ok: false, reason: 'missing' } },
  { name: 'no signature', arrives: { headers: without('x-berth-signature') }, expected: { ok: false, reason: 'missing' } },
  { name: 'a time that is not a number', arrives: { headers: (h) => ({ ...h, 'x-berth-time': 'soon' }) }, expected: { ok: false, reason: 'missing' } },
  { name: 'a short nonce', signed: { nonce: 'abcd' }, expected: { ok: false, reason: 'missing' } },
  { name: 'a repeated header', arrives: { headers: (h) => ({ ...h, 'x-berth-nonce': [h['x-berth-nonce'], h['x-berth-nonce']] }) }, expected: { ok: false, reason: 'missing' } },
];

t.test('requests: signed, tampered, stale, missing', async (t) => {
  for (const c of cases) {
    const signed = { ...base, ...c.signed };
    const headers = signRequest(c.signKey ?? key, signed);
    const verifier = new RequestVerifier(key, { now: () => c.verifierNow ?? NOW, maxSkewMs: SKEW });
    const a = c.arrives ?? {};
    const v = verifier.verify(a.method ?? signed.method, a.path ?? signed.path, a.headers ? a.headers(headers) : { ...headers }, a.body ?? signed.body);
    t.strictSame(v.ok ? { ok: true } : { ok: false, reason: v.reason }, c.expected, c.name);
  }
});

t.test('a request is for one node and one start of its agent', async (t) => {
  const self = { node: 'n1', incarnation: 'aaaa1111' };
  const rows: { name: string; to?: RequestToSign['to']; headers?: (h: HeaderBag) => HeaderBag; expected: object }[] = [
    { name: 'this node, this incarnation', to: self, expected: { ok: true, incarnation: self.incarnation } },
    { name: 'this node, no incarnation (only to learn it)', to: { node: 'n1' }, expected: { ok: true, incarnation: undefined } },
    { name: 'another node', to: { ...self, node: 'n2' }, expected: { ok: false, reason: 'wrong-node' } },
    { name: 'another incarnation (the agent restarted)', to: { ...self, incarnation: 'bbbb2222' }, expected: { ok: false, reason: 'wrong-incarnation' } },
    { name: 'no node', expected: { ok: false, reason: 'missing' } },
    { name: 'a node that is not one line', to: self, headers: (h) => ({ ...h, 'x-berth-node': 'n1 n2' }), expected: { ok: false, reason: 'missing' } },
    { name: 'signed for n2, the header changed to n1', to: { ...self, node: 'n2' }, headers: (h) => ({ ...h, 'x-berth-node': 'n1' }), expected: { ok: false, reason: 'bad-signature' } },
    { name: 'the incarnation header taken off', to: { ...self, incarnation: 'bbbb2222' }, headers: (h) => ({ ...h, 'x-berth-incarnation': undefined }), expected: { ok: false, reason: 'bad-signature' } },
  ];
  for (const row of rows) {
    const verifier = new RequestVerifier(key, { now: () => NOW, self });
    const headers: HeaderBag = { ...signRequest(key, { ...base, ...(row.to ? { to: row.to } : {}) }) };
    const v = verifier.verify('POST', base.path, row.headers ? row.headers(headers) : headers, base.body);
    t.strictSame(v.ok ? { ok: true, incarnation: v.incarnation } : { ok: false, reason: v.reason }, row.expected, row.name);
  }
});

t.test('a request is accepted once: the same nonce again is a replay', async (t) => {
  const verifier = new RequestVerifier(key, { now: () => NOW });
  const headers = signRequest(key, base);
  t.match(verifier.verify('POST', base.path, { ...headers }, base.body), { ok: true, nonce: headers['x-berth-nonce'] });
  t.match(verifier.verify('POST', base.path, { ...headers }, base.body), { ok: false, reason: 'replayed' });
  t.match(verifier.verify('POST', base.path, { ...signRequest(key, base) }, base.body), { ok: true }, 'a fresh nonce passes');
});

t.test('a refused request does not use up its nonce', async (t) => {
  const verifier = new RequestVerifier(key, { now: () => NOW });
  const nonce = 'a'.repeat(32);
  const forged = signRequest(otherKey, { ...base, nonce });
  t.match(verifier.verify('POST', base.path, { ...forged }, base.body), { ok: false, reason: 'bad-signature' });
  t.equal(verifier.remembered, 0);
  t.match(verifier.verify('POST', base.path, { ...signRequest(key, { ...base, nonce }) }, base.body), { ok: true });
});

t.test('nonces are forgotten after twice the window, and the cache is bounded', async (t) => {
  let now = NOW;
  const verifier = new RequestVerifier(key, { now: () => now, maxSkewMs: SKEW, maxNonces: 3 });
  const send = () => verifier.verify('POST', base.path, { ...signRequest(key, { ...base, now }) }, base.body);
  t.strictSame([send().ok, send().ok, send().ok], [true, true, true]);
  t.match(send(), { ok: false, reason: 'busy' }, 'full: refused rather than forgetting a nonce still valid');
  t.equal(verifier.remembered, 3);
  now += 2 * SKEW - 1;
  t.match(send(), { ok: false, reason: 'busy' }, 'still within the replay window');
  now += 1;
  t.match(send(), { ok: true }, 'expired nonces are forgotten');
  t.equal(verifier.remembered, 1);
});

t.test('a replay of an old request after its nonce is forgotten is stale', async (t) => {
  let now = NOW;
  const verifier = new RequestVerifier(key, { now: () => now, maxSkewMs: SKEW });
  const headers = signRequest(key, base);
  t.match(verifier.verify('POST', base.path, { ...headers }, base.body), { ok: true });
  now += 2 * SKEW;
  t.match(verifier.verify('POST', base.path, { ...signRequest(key, { ...base, now }) }, base.body), { ok: true });
  t.equal(verifier.remembered, 1, 'the first nonce is gone');
  t.match(verifier.verify('POST', base.path, { ...headers }, base.body), { ok: false, reason: 'stale' });
});

t.test('answers are signed over status, request nonce and body', async (t) => {
  const nonce = 'b'.repeat(32);
  const body = Buffer.from('{"ok":true,"result":[]}');
  const sig = signResponse(key, nonce, 200, body);
  const rows: [string, Buffer, string, number, HeaderBag, Buffer, boolean][] = [
    ['good', key, nonce, 200, sig, body, true],
    ['another key', otherKey, nonce, 200, sig, body, false],
    ['another request', key, 'c'.repeat(32), 200, sig, body, false],
    ['another status', key, nonce, 409, sig, body, false],
    ['another body', key, nonce, 200, sig, Buffer.from('{"ok":true,"result":[{}]}'), false],
    ['unsigned', key, nonce, 200, {}, body, false],
  ];
  for (const [name, k, n, status, headers, b, ok] of rows) t.equal(verifyResponse(k, n, status, headers, b).ok, ok, name);
});

t.test('events lines are signed with their sequence number', async (t) => {
  const nonce = 'd'.repeat(32);
  const line = '{"seq":1,"event":{"action":"start"}}';
  const sig = signEventLine(key, nonce, 1, line);
  t.equal(verifyEventLine(key, nonce, 1, line, sig), true);
  t.equal(verifyEventLine(key, nonce, 2, line, sig), false, 'another seq');
  t.equal(verifyEventLine(key, nonce, 1, line.replace('start', 'die'), sig), false, 'another line');
  t.equal(verifyEventLine(key, 'e'.repeat(32), 1, line, sig), false, 'another stream');
  t.equal(verifyEventLine(otherKey, nonce, 1, line, sig), false, 'another key');
  t.equal(verifyEventLine(key, nonce, 1, line, 'zz'), false, 'garbage');
});
