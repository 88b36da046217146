// Signed HTTP, the one transport of every signed exchange: the agent protocol's requests
// (client.ts), the heartbeats an agent sends and the status endpoint of a controller. Requests and
// answers carry the authkey signatures of auth.ts; answers are size-limited and have a deadline.
//
// Terms: an *exchange* is one signed POST and its whole answer, not yet judged (the caller checks
// the answer's signature against the request's nonce and reads its payload).
import http from 'node:http';
import { HeaderBag, RequestVerifier, Target, signRequest, signResponse, verifyResponse } from './auth';

export const MAX_SMALL_BODY = 64 * 1024;

/** No answer (refused, reset, timed out), or one too large to take. */
export class ExchangeError extends Error {
  constructor(readonly kind: 'no-answer' | 'too-large', message: string) {
    super(message);
    this.name = 'ExchangeError';
  }
}

export interface Exchange {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** the request's nonce: the answer is signed over it */
  nonce: string;
}

export interface ExchangeOptions {
  url: string | URL;
  path: string;
  key: Buffer;
  body: Buffer;
  timeoutMs: number;
  maxAnswerBytes: number;
  agent?: http.Agent | false;
  maxHeaderSize?: number;
  contentType?: string;
  /** the agent the request is for (signed: it cannot be sent to another one) */
  to?: Target;
}

/** The whole answer, refused past `limit` bytes. */
export async function readAnswer(res: http.IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    res.destroy();
    throw new ExchangeError('too-large', `an answer of ${declared} bytes (at most ${limit})`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      res.destroy();
      throw new ExchangeError('too-large', `an answer larger than ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A signed POST, not yet sent (`req.end(body)` sends it): for a stream read as it comes. */
export function signedPost(o: Omit<ExchangeOptions, 'timeoutMs' | 'maxAnswerBytes'>): { req: http.ClientRequest; nonce: string } {
  const base = typeof o.url === 'string' ? new URL(o.url) : o.url;
  const headers = signRequest(o.key, { method: 'POST', path: o.path, body: o.body, ...(o.to ? { to: o.to } : {}) });
  const req = http.request({
    protocol: base.protocol,
    hostname: base.hostname,
    port: base.port,
    method: 'POST',
    path: o.path,
    ...(o.agent !== undefined ? { agent: o.agent } : {}),
    ...(o.maxHeaderSize !== undefined ? { maxHeaderSize: o.maxHeaderSize } : {}),
    headers: { ...headers, 'content-type': o.contentType ?? 'application/json', 'content-length': o.body.length },
  });
  return { req, nonce: headers['x-berth-nonce'] };
}

/** One signed POST and its whole answer (signature not yet checked). */
export function exchangeSigned(o: ExchangeOptions): Promise<Exchange> {
  const { req, nonce } = signedPost(o);
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy();
    }, o.timeoutMs);
    const why = (e: NodeJS.ErrnoException) => (timedOut ? `no answer within ${o.timeoutMs} ms` : e.code ?? e.message);
    req.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new ExchangeError('no-answer', why(e)));
    });
    req.on('response', (res) => {
      readAnswer(res, o.maxAnswerBytes).then(
        (body) => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, nonce });
        },
        (e: Error) => {
          clearTimeout(timer);
          reject(e instanceof ExchangeError ? e : new ExchangeError('no-answer', `the answer broke off (${why(e)})`));
        },
      );
    });
    req.end(o.body);
  });
}

export class SignedHttpError extends Error {
  constructor(readonly kind: 'unreachable' | 'refused' | 'bad-answer', message: string, readonly status?: number) {
    super(message);
    this.name = 'SignedHttpError';
  }
}

/** POST `body` as JSON to `url` + `path`, signed; the answer must be signed, JSON and no larger
 * than `maxAnswerBytes` (default MAX_SMALL_BODY: a heartbeat's grant; a controller's answer about
 * the whole cluster is larger). */
export async function postSigned<T>(url: string, path: string, key: Buffer, body: unknown, timeoutMs: number, o: { agent?: http.Agent; maxAnswerBytes?: number } = {}): Promise<T> {
  const limit = o.maxAnswerBytes ?? MAX_SMALL_BODY;
  let a: Exchange;
  try {
    a = await exchangeSigned({ url, path, key, body: Buffer.from(JSON.stringify(body)), timeoutMs, maxAnswerBytes: limit, ...(o.agent ? { agent: o.agent } : {}) });
  } catch (e) {
    const x = e as ExchangeError;
    throw x.kind === 'too-large' ? new SignedHttpError('bad-answer', `the answer from ${url} is larger than ${limit} bytes`) : new SignedHttpError('unreachable', `${url}: ${x.message}`);
  }
  const v = verifyResponse(key, a.nonce, a.status, a.headers as HeaderBag, a.body);
  if (!v.ok) throw new SignedHttpError('bad-answer', `the answer from ${url} is refused: ${v.message}`, a.status);
  let parsed: unknown;
  try {
    parsed = JSON.parse(a.body.toString('utf8'));
  } catch {
    throw new SignedHttpError('bad-answer', `the answer from ${url} is not JSON`, a.status);
  }
  if (a.status !== 200) {
    const msg = (parsed as { error?: { message?: string } }).error?.message ?? `status ${a.status}`;
    throw new SignedHttpError('refused', `${url}${path} refused: ${msg}`, a.status);
  }
  return parsed as T;
}

export interface SignedHandlerOptions {
  key: Buffer;
  log: (line: string) => void;
  /** path → handler of the parsed JSON body; its result is the answer */
  routes: Record<string, (body: unknown) => Promise<unknown>>;
}

/** A request handler for signed JSON POSTs: refusals are logged and answered with a code. */
export function signedHandler(o: SignedHandlerOptions): http.RequestListener {
  const verifier = new RequestVerifier(o.key);
  return (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const send = (status: number, value: unknown, nonce?: string) => {
      const data = Buffer.from(JSON.stringify(value));
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': data.length, ...(nonce ? signResponse(o.key, nonce, status, data) : {}) });
      res.end(data);
    };
    const refuse = (status: number, code: string, message: string, nonce?: string) => {
      o.log(`refused ${req.method} ${path} from ${req.socket.remoteAddress}: [${code}] ${message}`);
      send(status, { ok: false, error: { code, message } }, nonce);
    };
    const route = o.routes[path];
    if (req.method !== 'POST' || !route) return refuse(404, 'AGENT_BAD_MESSAGE', `no such endpoint: ${req.method} ${path}`);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_SMALL_BODY) {
        refuse(413, 'AGENT_BAD_MESSAGE', `the request is larger than ${MAX_SMALL_BODY} bytes`);
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_SMALL_BODY) return;
      const body = Buffer.concat(chunks);
      const v = verifier.verify(req.method ?? '', path, req.headers as HeaderBag, body);
      if (!v.ok) return refuse(401, 'AGENT_AUTH_FAILED', v.message);
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        return refuse(400, 'AGENT_BAD_MESSAGE', 'the request body is not JSON', v.nonce);
      }
      route(parsed).then(
        (answer) => send(200, answer, v.nonce),
        (e: Error & { code?: string; status?: number }) => refuse(e.status ?? 503, e.code ?? 'NOT_LEADER', e.message, v.nonce),
      );
    });
  };
}
