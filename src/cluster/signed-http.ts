// Small signed JSON over HTTP for the heartbeat and status endpoints of a controller: the same
// authkey signatures as the agent protocol (src/agent/auth.ts), a size limit both ways, a deadline.
import http from 'node:http';
import { HeaderBag, RequestVerifier, signRequest, signResponse, verifyResponse } from '../agent/auth';

export const MAX_SMALL_BODY = 64 * 1024;

export class SignedHttpError extends Error {
  constructor(readonly kind: 'unreachable' | 'refused' | 'bad-answer', message: string, readonly status?: number) {
    super(message);
    this.name = 'SignedHttpError';
  }
}

/** POST `body` as JSON to `url` + `path`, signed; the answer must be signed, JSON and small. */
export function postSigned<T>(url: string, path: string, key: Buffer, body: unknown, timeoutMs: number, agent?: http.Agent): Promise<T> {
  const payload = Buffer.from(JSON.stringify(body));
  const headers = signRequest(key, { method: 'POST', path, body: payload });
  const target = new URL(path, url);
  return new Promise<T>((resolve, reject) => {
    const req = http.request(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': payload.length, ...headers },
      timeout: timeoutMs,
      ...(agent ? { agent } : {}),
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_SMALL_BODY) {
          req.destroy(new SignedHttpError('bad-answer', `the answer from ${url} is larger than ${MAX_SMALL_BODY} bytes`));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => {
        const data = Buffer.concat(chunks);
        const status = res.statusCode ?? 0;
        const v = verifyResponse(key, headers['x-berth-nonce'], status, res.headers as HeaderBag, data);
        if (!v.ok) return reject(new SignedHttpError('bad-answer', `the answer from ${url} is refused: ${v.message}`, status));
        let parsed: unknown;
        try {
          parsed = JSON.parse(data.toString('utf8'));
        } catch {
          return reject(new SignedHttpError('bad-answer', `the answer from ${url} is not JSON`, status));
        }
        if (status !== 200) {
          const msg = (parsed as { error?: { message?: string } }).error?.message ?? `status ${status}`;
          return reject(new SignedHttpError('refused', `${url}${path} refused: ${msg}`, status));
        }
        resolve(parsed as T);
      });
      res.on('error', (e) => reject(new SignedHttpError('unreachable', `${url}: ${e.message}`)));
    });
    req.on('timeout', () => req.destroy(new SignedHttpError('unreachable', `${url} did not answer within ${timeoutMs} ms`)));
    req.on('error', (e) => reject(e instanceof SignedHttpError ? e : new SignedHttpError('unreachable', `${url}: ${e.message}`)));
    req.end(payload);
  });
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
