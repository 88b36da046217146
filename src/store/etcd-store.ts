// The etcd store (`etcd://host:port[,host:port...]/prefix`): the live CIB in the key
// `<prefix>/cib`, side keys in `<prefix>/keys/<key>`, spoken to over etcd's v3 JSON gateway (no
// client library). A write is one transaction comparing the key's mod_revision with the expected
// revision (create_revision == 0 for "nothing stored yet"). Requests go to the member that answered
// last and fail over to the others; every request has a deadline, and an answer that is not the
// protocol is refused. A watch streams /v3/watch and, when the stream breaks, reconnects and
// resumes after the last revision it saw. Leases and `campaign` are the pieces a leader election
// needs.
import * as http from 'node:http';
import { maxCibBytes, decodeUtf8 } from '../cib/cib-file';
import { BerthError, problem } from '../errors/registry';
import { CasResult, CibStore, StoredCib, isStoreCorrupt } from './store';
import {
  CheckedRevisions, STORE_BAD_RESPONSE, STORE_REFUSED, checkCibToWrite, checkStoreKey, cibProblems,
  corruptStore, emptyStoredCib,
} from './file-store';

export interface EtcdEndpoint {
  host: string;
  port: number;
}

export interface EtcdStoreOptions {
  /** Deadline of one request over all endpoints (ms; default BERTH_STORE_TIMEOUT_MS or 5000). */
  timeoutMs?: number;
}

/** etcd's key-value record as the gateway returns it (int64 as decimal strings, bytes as base64). */
interface Kv {
  modRevision: string;
  value: string;
}

type TxnResult = { succeeded: true; revision: string } | { succeeded: false; kv: Kv | null };

/** One key's write in `compareAndSwapKeys`. */
export interface KeyWrite { key: string; expected: string | null; text: string }
/** All written at `revision`, or none: then every key as it is now, in the order asked. */
export type KeysCasResult = { ok: true; revision: string } | { ok: false; current: StoredCib[] };

/** An answer that is not what the protocol says; the next endpoint is tried. */
class NotTheProtocol extends Error {}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const REVISION = /^[1-9][0-9]{0,18}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
// grpc codes that mean "ask another member": deadline exceeded, unavailable (no leader, stopping).
const RETRY_ELSEWHERE = new Set([4, 14]);

/** An Error with a Node errno code, like the ones the socket layer raises. */
const errnoError = (errno: string, message: string) => Object.assign(new Error(message), { code: errno });
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const hostPort = (e: EtcdEndpoint) => (e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`);
const snippet = (s: string) => JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}...` : s);

function field(o: Record<string, unknown>, name: string): Record<string, unknown> {
  const v = o[name];
  if (!isObject(v)) throw new NotTheProtocol(`no '${name}' object`);
  return v;
}

/** An int64 the gateway writes as a decimal string; absent means 0. */
function int64(o: Record<string, unknown>, name: string): string {
  const v = o[name];
  if (v === undefined) return '0';
  if (typeof v !== 'string' || !/^-?[0-9]{1,19}$/.test(v)) throw new NotTheProtocol(`'${name}' is not an int64`);
  return v;
}

function revisionOf(o: Record<string, unknown>, name: string): string {
  const v = int64(o, name);
  if (!REVISION.test(v)) throw new NotTheProtocol(`'${name}' is not a revision`);
  return v;
}

function decodeKv(v: unknown): Kv {
  if (!isObject(v)) throw new NotTheProtocol('a kv is not an object');
  const value = v.value ?? '';
  if (typeof value !== 'string' || !BASE64.test(value)) throw new NotTheProtocol("a kv's value is not base64");
  return { modRevision: revisionOf(v, 'mod_revision'), value };
}

/** The first (only) kv of a range answer, or null. */
function decodeRange(r: Record<string, unknown>): Kv | null {
  revisionOf(field(r, 'header'), 'revision');
  const kvs = r.kvs ?? [];
  if (!Array.isArray(kvs)) throw new NotTheProtocol("'kvs' is not a list");
  return kvs.length ? decodeKv(kvs[0]) : null;
}

function decodeTxn(r: Record<string, unknown>): TxnResult {
  const revision = revisionOf(field(r, 'header'), 'revision');
  const succeeded = r.succeeded ?? false;
  if (typeof succeeded !== 'boolean') throw new NotTheProtocol("'succeeded' is not a boolean");
  if (succeeded) return { succeeded, revision };
  const responses = r.responses;
  if (!Array.isArray(responses) || !isObject(responses[0])) throw new NotTheProtocol('a failed txn without its range answer');
  return { succeeded, kv: decodeRange(field(responses[0], 'response_range')) };
}

export class EtcdStore implements CibStore {
  readonly url: string;
  /** The etcd key holding the CIB. */
  readonly cibKey: string;
  private readonly timeoutMs: number;
  private readonly agent = new http.Agent({ keepAlive: true });
  /** mod_revisions of the CIB key whose value was found to be a valid CIB */
  private readonly checked = new CheckedRevisions();
  /** sha256 of texts found valid before writing */
  private readonly checkedTexts = new CheckedRevisions();
  private readonly watches = new Set<() => void>();
  /** The endpoint that answered last; requests start there. */
  private preferred = 0;

  constructor(readonly endpoints: EtcdEndpoint[], readonly prefix: string, opts: EtcdStoreOptions = {}) {
    if (!endpoints.length) throw new Error('EtcdStore needs at least one endpoint');
    this.url = `etcd://${endpoints.map(hostPort).join(',')}${prefix}`;
    this.cibKey = `${prefix}/cib`;
    const fromEnv = Number(process.env.BERTH_STORE_TIMEOUT_MS);
    this.timeoutMs = opts.timeoutMs ?? (Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : 5000);
  }

  async read(): Promise<StoredCib> {
    const kv = await this.range(this.cibKey);
    return kv ? this.checkedCib(kv) : emptyStoredCib();
  }

  async compareAndSwap(expected: string | null, text: string): Promise<CasResult> {
    checkCibToWrite(text, this.url, this.checkedTexts);
    // A revision this store has not seen as a valid CIB: check what it names before replacing it.
    if (expected !== null && !this.checked.has(expected)) {
      const current = await this.read();
      if (current.revision !== expected) return { ok: false, current };
    }
    return this.putCib(expected, text);
  }

  /** The CIB key swapped to `text` if it is at revision `expected` (null: absent). */
  private async putCib(expected: string | null, text: string): Promise<CasResult> {
    const { result, ambiguous } = await this.txnPut(this.cibKey, expected, text);
    if (result.succeeded) {
      this.checked.add(result.revision);
      return { ok: true, revision: result.revision };
    }
    const current = result.kv ? this.checkedCib(result.kv) : emptyStoredCib();
    // An earlier attempt that got no answer may have been applied: then what is stored is ours.
    if (ambiguous && current.revision !== null && current.text === text) return { ok: true, revision: current.revision };
    return { ok: false, current };
  }

  async replaceCorrupt(text: string): Promise<CasResult> {
    checkCibToWrite(text, this.url, this.checkedTexts);
    const kv = await this.range(this.cibKey);
    if (!kv) return { ok: false, current: emptyStoredCib() };
    try {
      return { ok: false, current: this.checkedCib(kv) };
    } catch (e) {
      if (!isStoreCorrupt(e)) throw e;
    }
    return this.putCib(kv.modRevision, text);
  }

  /** `onError` hears of content that cannot be delivered (not a valid CIB) and of answers that
   * are not the protocol; lost connections are retried quietly, resuming after the last revision. */
  watch(onChange: (cib: StoredCib) => void, onError?: (e: Error) => void): () => void {
    let stopped = false;
    let lastSeen: bigint | null = null; // the newest revision delivered, or where the watch began
    let lastNotified: string | null | undefined;
    let request: http.ClientRequest | undefined;
    let retryTimer: NodeJS.Timeout | undefined;
    let createTimer: NodeJS.Timeout | undefined;
    let failures = 0;

    const deliverKv = (kv: Kv | null) => {
      let cib: StoredCib;
      try {
        cib = kv ? this.checkedCib(kv) : emptyStoredCib();
      } catch (e) {
        lastNotified = kv?.modRevision;
        onError?.(e as Error);
        return;
      }
      if (cib.revision === lastNotified) return;
      lastNotified = cib.revision;
      onChange(cib);
    };
    const drop = () => {
      clearTimeout(createTimer);
      request?.destroy();
      request = undefined;
    };
    const reconnect = (failed: boolean) => {
      drop();
      if (stopped || retryTimer) return;
      if (failed) {
        failures++;
        this.preferred = (this.preferred + 1) % this.endpoints.length;
      }
      const wait = failed ? Math.min(2000, 50 * 2 ** failures) : 0;
      retryTimer = setTimeout(() => { retryTimer = undefined; connect(); }, wait);
    };
    // The revisions after lastSeen were compacted away: deliver the current value instead.
    const catchUp = () => {
      drop();
      this.call('/v3/kv/range', { key: b64(this.cibKey) }, (r) => ({ kv: decodeRange(r), revision: revisionOf(field(r, 'header'), 'revision') })).then(
        ({ value }) => {
          if (stopped) return;
          lastSeen = BigInt(value.revision);
          deliverKv(value.kv);
          reconnect(false);
        },
        () => reconnect(true),
      );
    };
    const onMessage = (line: string) => {
      let m: unknown;
      try {
        m = JSON.parse(line);
      } catch {
        m = undefined;
      }
      try {
        if (!isObject(m)) throw new NotTheProtocol(`not a JSON object: ${snippet(line)}`);
        if (m.error !== undefined) return reconnect(true);
        const r = field(m, 'result');
        if (r.canceled) return r.compact_revision !== undefined ? catchUp() : reconnect(true);
        if (r.created) {
          clearTimeout(createTimer);
          failures = 0;
          if (lastSeen === null) lastSeen = BigInt(revisionOf(field(r, 'header'), 'revision'));
          return;
        }
        const events = r.events ?? [];
        if (!Array.isArray(events)) throw new NotTheProtocol("'events' is not a list");
        for (const ev of events) {
          if (!isObject(ev)) throw new NotTheProtocol('an event is not an object');
          const kv = decodeKv(ev.kv);
          lastSeen = BigInt(kv.modRevision);
          deliverKv(ev.type === 'DELETE' ? null : kv);
          if (stopped) return;
        }
      } catch (e) {
        if (!(e instanceof NotTheProtocol)) throw e;
        onError?.(this.badAnswer(`the watch stream of ${hostPort(this.endpoints[this.preferred])} sent something that is not etcd's protocol: ${e.message}`));
        reconnect(true);
      }
    };
    const connect = () => {
      if (stopped) return;
      const endpoint = this.endpoints[this.preferred];
      const create: Record<string, string> = { key: b64(this.cibKey) };
      if (lastSeen !== null) create.start_revision = String(lastSeen + 1n);
      const body = JSON.stringify({ create_request: create });
      const req = http.request({ host: endpoint.host, port: endpoint.port, path: '/v3/watch', method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
      request = req;
      const mine = (f: () => void) => () => { if (request === req) f(); };
      // No answer to the create request in time: that member is not serving, try the next.
      createTimer = setTimeout(mine(() => reconnect(true)), this.timeoutMs);
      req.on('error', mine(() => reconnect(true)));
      req.on('response', (res) => {
        if (res.statusCode !== 200) return mine(() => reconnect(true))();
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffered += chunk;
          let nl: number;
          while ((nl = buffered.indexOf('\n')) >= 0 && request === req) {
            const line = buffered.slice(0, nl).trim();
            buffered = buffered.slice(nl + 1);
            if (line) onMessage(line);
          }
          if (buffered.length > maxCibBytes() * 2) mine(() => reconnect(true))();
        });
        res.on('error', mine(() => reconnect(true)));
        res.on('end', mine(() => reconnect(true)));
      });
      req.end(body);
    };
    connect();
    const stop = () => {
      stopped = true;
      clearTimeout(retryTimer);
      drop();
      this.watches.delete(stop);
    };
    this.watches.add(stop);
    return stop;
  }

  async readKey(key: string): Promise<StoredCib> {
    const kv = await this.range(this.keyName(key));
    return kv ? this.decodeText(kv, this.keyName(key)) : { text: '', revision: null };
  }

  async compareAndSwapKey(key: string, expected: string | null, text: string): Promise<CasResult> {
    return this.casKey(this.keyName(key), expected, text);
  }

  /**
   * Several side keys in one transaction: each written if its revision is still the expected one,
   * all or none (etcd allows 128 operations of each kind in a transaction by default:
   * `--max-txn-ops`). A group commit: many small records for the price of one request.
   */
  async compareAndSwapKeys(writes: readonly KeyWrite[]): Promise<KeysCasResult> {
    const keys = writes.map((w) => this.keyName(w.key));
    const ranges = async () => Promise.all(keys.map(async (k) => { const kv = await this.range(k); return kv ? this.decodeText(kv, k) : { text: '', revision: null }; }));
    // Not an etcd revision (e.g. one from another store): it cannot be the current one.
    if (writes.some((w) => w.expected !== null && !REVISION.test(w.expected))) return { ok: false, current: await ranges() };
    const compare = writes.map((w, i) => (w.expected === null
      ? { key: b64(keys[i]), target: 'CREATE', result: 'EQUAL', create_revision: '0' }
      : { key: b64(keys[i]), target: 'MOD', result: 'EQUAL', mod_revision: w.expected }));
    const success = writes.map((w, i) => ({ request_put: { key: b64(keys[i]), value: b64(w.text) } }));
    const failure = keys.map((k) => ({ request_range: { key: b64(k) } }));
    const { value } = await this.call('/v3/kv/txn', { compare, success, failure }, (r): { revision: string } | { kvs: (Kv | null)[] } => {
      const revision = revisionOf(field(r, 'header'), 'revision');
      const succeeded = r.succeeded ?? false;
      if (typeof succeeded !== 'boolean') throw new NotTheProtocol("'succeeded' is not a boolean");
      if (succeeded) return { revision };
      const responses = r.responses;
      if (!Array.isArray(responses) || responses.length !== keys.length) throw new NotTheProtocol('a failed txn without its range answers');
      return { kvs: responses.map((x) => { if (!isObject(x)) throw new NotTheProtocol('a range answer is not an object'); return decodeRange(field(x, 'response_range')); }) };
    });
    // An earlier attempt that got no answer may have been applied: then what is stored is ours,
    // and the caller sees it in `current` (its records compare equal to what it wrote).
    if ('revision' in value) return { ok: true, revision: value.revision };
    return { ok: false, current: value.kvs.map((kv, i) => (kv ? this.decodeText(kv, keys[i]) : { text: '', revision: null })) };
  }

  async close(): Promise<void> {
    for (const stop of [...this.watches]) stop();
    this.agent.destroy();
  }

  // ---- leases, for a leader election ----

  /** A new lease that expires `ttlSeconds` after its last keep-alive; returns its id. */
  async grantLease(ttlSeconds: number): Promise<string> {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new RangeError(`lease TTL must be a positive integer, not ${ttlSeconds}`);
    const { value } = await this.call('/v3/lease/grant', { TTL: String(ttlSeconds) }, (r) => {
      if (typeof r.error === 'string' && r.error) {
        throw new BerthError([problem(STORE_REFUSED, { path: `${this.url} /v3/lease/grant`, value: r.error, message: `etcd refused a lease of ${ttlSeconds} s: ${r.error}` })]);
      }
      return revisionOf(r, 'ID');
    });
    return value;
  }

  /** Renews the lease; returns the seconds it now has left, 0 when it has expired or was revoked. */
  async keepAlive(leaseId: string): Promise<number> {
    const { value } = await this.call('/v3/lease/keepalive', { ID: leaseId }, (r) => Number(int64(field(r, 'result'), 'TTL')));
    return Math.max(0, value);
  }

  /** Ends the lease and deletes the keys attached to it; a lease that is already gone is fine. */
  async revoke(leaseId: string): Promise<void> {
    await this.call('/v3/lease/revoke', { ID: leaseId }, (r) => field(r, 'header'), [5]);
  }

  /** Takes side key `key` with `value` if nobody holds it, attached to the lease (it disappears
   * with the lease). ok: the revision of our claim; not ok: the current holder's value. */
  async campaign(key: string, value: string, leaseId: string): Promise<CasResult> {
    return this.casKey(this.keyName(key), null, value, leaseId);
  }

  // ---- inside ----

  private keyName(key: string): string {
    checkStoreKey(key);
    return `${this.prefix}/keys/${key}`;
  }

  private async range(key: string): Promise<Kv | null> {
    return (await this.call('/v3/kv/range', { key: b64(key) }, decodeRange)).value;
  }

  private async casKey(key: string, expected: string | null, text: string, lease?: string): Promise<CasResult> {
    const { result, ambiguous } = await this.txnPut(key, expected, text, lease);
    if (result.succeeded) return { ok: true, revision: result.revision };
    const current = result.kv ? this.decodeText(result.kv, key) : { text: '', revision: null };
    if (ambiguous && current.revision !== null && current.text === text) return { ok: true, revision: current.revision };
    return { ok: false, current };
  }

  /** Put `text` at `key` if its mod_revision is `expected` (null: the key does not exist). */
  private async txnPut(key: string, expected: string | null, text: string, lease?: string): Promise<{ result: TxnResult; ambiguous: boolean }> {
    const k = b64(key);
    if (expected !== null && !REVISION.test(expected)) {
      // Not an etcd revision (e.g. one from another store): it cannot be the current one.
      return { result: { succeeded: false, kv: await this.range(key) }, ambiguous: false };
    }
    const compare = expected === null
      ? { key: k, target: 'CREATE', result: 'EQUAL', create_revision: '0' }
      : { key: k, target: 'MOD', result: 'EQUAL', mod_revision: expected };
    const put: Record<string, string> = { key: k, value: b64(text) };
    if (lease !== undefined) put.lease = lease;
    const { value, ambiguous } = await this.call('/v3/kv/txn', { compare: [compare], success: [{ request_put: put }], failure: [{ request_range: { key: k } }] }, decodeTxn);
    return { result: value, ambiguous };
  }

  private decodeText(kv: Kv, key: string): StoredCib {
    const text = decodeUtf8(Buffer.from(kv.value, 'base64'), `etcd key '${key}' at ${this.url}`);
    return { text, revision: kv.modRevision };
  }

  private checkedCib(kv: Kv): StoredCib {
    const where = `etcd key '${this.cibKey}' at ${this.url}`;
    let cib: StoredCib;
    try {
      cib = this.decodeText(kv, this.cibKey);
    } catch (e) {
      if (e instanceof BerthError) throw corruptStore(where, `revision ${kv.modRevision}`, e.problems);
      throw e;
    }
    if (!this.checked.has(kv.modRevision)) {
      const problems = cibProblems(cib.text, where);
      if (problems.length) throw corruptStore(where, `revision ${kv.modRevision}`, problems);
      this.checked.add(kv.modRevision);
    }
    return cib;
  }

  private badAnswer(message: string): BerthError {
    return new BerthError([problem(STORE_BAD_RESPONSE, { path: this.url, message })]);
  }

  /**
   * POST `body` to `api`, starting at the preferred endpoint and failing over to the others until
   * one gives a valid answer or the deadline passes. `ambiguous`: an earlier attempt may have been
   * applied without our hearing the answer. `fineCodes`: grpc error codes that count as success.
   */
  private async call<T>(api: string, body: object, decode: (r: Record<string, unknown>) => T, fineCodes: number[] = []): Promise<{ value: T; ambiguous: boolean }> {
    const payload = JSON.stringify(body);
    const deadline = Date.now() + this.timeoutMs;
    const failures: string[] = [];
    let garbage = false;
    let ambiguous = false;
    let again = false; // a member said "not now" (no leader, stopping): worth a second round
    for (let attempt = 0; attempt < 2 * this.endpoints.length; attempt++) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      if (attempt === this.endpoints.length) {
        if (!again) break;
        await new Promise((r) => setTimeout(r, Math.min(200, left)));
      }
      const index = (this.preferred + attempt) % this.endpoints.length;
      const endpoint = this.endpoints[index];
      const where = hostPort(endpoint);
      let answer: { status: number; body: string; ambiguous: boolean };
      try {
        answer = await this.post(endpoint, api, payload, Math.max(1, deadline - Date.now()));
      } catch (e) {
        const err = e as NodeJS.ErrnoException & { ambiguous?: boolean };
        if (err.ambiguous) ambiguous = true;
        failures.push(`${where}: ${err.code ?? err.message}`);
        continue;
      }
      if (answer.ambiguous) ambiguous = true;
      let json: unknown;
      try {
        json = JSON.parse(answer.body);
      } catch {
        json = undefined;
      }
      if (!isObject(json)) {
        garbage = ambiguous = true;
        failures.push(`${where}: answered HTTP ${answer.status} with something that is not etcd's JSON: ${snippet(answer.body)}`);
        continue;
      }
      // A gateway error: {error, code, message}, or {error: {grpc_code, message}} on a stream.
      // (LeaseGrantResponse has a string `error` field of its own, without a `code`.)
      const streamError = isObject(json.error) ? json.error : undefined;
      if (answer.status !== 200 || streamError || (json.error !== undefined && json.code !== undefined)) {
        const detail = streamError ?? json;
        const rawCode = streamError ? streamError.grpc_code : json.code;
        const code = typeof rawCode === 'number' ? rawCode : NaN;
        const message = typeof detail.message === 'string' ? detail.message : String(json.error ?? `HTTP ${answer.status}`);
        if (fineCodes.includes(code)) {
          this.preferred = index;
          return { value: undefined as T, ambiguous };
        }
        if (RETRY_ELSEWHERE.has(code) || answer.status === 503 || Number.isNaN(code)) {
          if (Number.isNaN(code)) garbage = true; // an HTTP error that is not the gateway's
          else again = true;
          ambiguous = true;
          failures.push(`${where}: ${message}`);
          continue;
        }
        throw new BerthError([problem(STORE_REFUSED, { path: `${this.url} ${api}`, value: message, message: `etcd at ${where} refused the request ${api}: ${message}` })]);
      }
      try {
        const value = decode(json);
        this.preferred = index;
        return { value, ambiguous };
      } catch (e) {
        if (!(e instanceof NotTheProtocol)) throw e;
        garbage = ambiguous = true;
        failures.push(`${where}: answered ${api} with something that is not etcd's protocol (${e.message}): ${snippet(answer.body)}`);
      }
    }
    if (!failures.length) failures.push(`no answer within ${this.timeoutMs} ms`);
    const why = failures.join('; ');
    if (garbage) throw this.badAnswer(`the store ${this.url} did not answer ${api} as etcd does: ${why}`);
    throw new BerthError([problem('STORE_UNREACHABLE', { path: this.url, value: this.endpoints.map(hostPort).join(','), message: `cannot reach the store ${this.url} (${api}): ${why}` })]);
  }

  /** One HTTP POST with a deadline and a bounded answer. `ambiguous` (on the answer, or on the
   * error): the request had gone out when a connection failed, so it may have been applied. */
  private post(endpoint: EtcdEndpoint, api: string, payload: string, timeoutMs: number, retried = false): Promise<{ status: number; body: string; ambiguous: boolean }> {
    const limit = Math.ceil(maxCibBytes() * 1.5) + 1024 * 1024; // base64 and JSON around the largest CIB
    return new Promise((resolve, reject) => {
      const req = http.request({ host: endpoint.host, port: endpoint.port, path: api, method: 'POST', agent: this.agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } });
      let sent = false;
      let settled = false;
      const fail = (e: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        // A kept-alive connection the server had closed meanwhile: once more on a fresh one.
        const code = (e as NodeJS.ErrnoException).code;
        if (req.reusedSocket && !retried && (code === 'ECONNRESET' || code === 'EPIPE')) {
          this.post(endpoint, api, payload, timeoutMs, true).then((a) => resolve({ ...a, ambiguous: a.ambiguous || sent }), (e2: Error & { ambiguous?: boolean }) => reject(Object.assign(e2, { ambiguous: e2.ambiguous || sent })));
          return;
        }
        reject(Object.assign(e, { ambiguous: sent }));
      };
      const timer = setTimeout(() => fail(errnoError('ETIMEDOUT', `no answer within ${timeoutMs} ms`)), timeoutMs);
      req.on('finish', () => { sent = true; });
      req.on('error', fail);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > limit) fail(new Error(`answer larger than ${limit} bytes`));
          else chunks.push(c);
        });
        res.on('error', fail);
        res.on('aborted', () => fail(errnoError('ECONNRESET', 'connection closed in the middle of the answer')));
        res.on('end', () => {
          if (!res.complete) return fail(errnoError('ECONNRESET', 'connection closed in the middle of the answer'));
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ambiguous: false });
        });
      });
      req.end(payload);
    });
  }
}
