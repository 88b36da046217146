// The status page's HTTP listener (berth controller --ui-listen): the page (/, /app.js, /app.css),
// the session (/session, /login, /logout), the one event stream per page (/events: server-sent
// events) and the actions (/action). Everything but the page's three files needs a session; a POST
// needs the session's CSRF token in a header, JSON, and the page's own origin. The Host header
// must name this listener by address (or localhost, or this machine's name), so that a page of
// another site cannot reach it through a name of its own (DNS rebinding).
import http from 'node:http';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { BerthError, Problem, problem } from '../errors/registry';
import { CSRF_HEADER, FAILED_LOGINS_PER_MINUTE, Session, Sessions, clearedCookie, sessionCookie } from './auth';
import { ActionDeps, ActionPartlyDone, UiAction, commandLine, parseAction, runAction } from './actions';
import type { UiHub } from './hub';
import { PAGE_CSS, PAGE_HTML, PAGE_JS } from './page';

export interface UiServerOptions {
  host: string;
  port: number;
  hub: UiHub;
  sessions: Sessions;
  /** --ui-actions: without it every action is refused (UI_ACTIONS_DISABLED) */
  actions: boolean;
  deps: ActionDeps;
  log: (line: string) => void;
  /** how often the stream says it is alive (ms) */
  pingMs?: number;
}

export interface UiServer { url: string; close(): Promise<void> }

const MAX_BODY = 16 * 1024;
/** A page's stream that falls this far behind is closed; the page reconnects and gets a snapshot. */
const MAX_BACKLOG = 64 * 1024 * 1024;

const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
};

function send(res: http.ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...extra });
  res.end(body);
}
const json = (res: http.ServerResponse, status: number, v: unknown, extra: Record<string, string> = {}) => send(res, status, 'application/json; charset=utf-8', JSON.stringify(v), extra);
const refuse = (res: http.ServerResponse, status: number, problems: Problem[], notes?: string[]) => json(res, status, { problems, ...(notes?.length ? { notes } : {}) });

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new BerthError([problem('USAGE', { path: 'body', message: `the request is larger than ${MAX_BODY} bytes` })]);
    chunks.push(c as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
  } catch {
    throw new BerthError([problem('JSON_MALFORMED', { path: 'body', message: 'the request is not JSON' })]);
  }
}

/** Whether the Host header names this listener in a way no other site can (see the header). */
export function hostAllowed(host: string | undefined, port: number): boolean {
  if (!host) return false;
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:]+)(?::(\d+))?$/.exec(host);
  if (!m || Number(m[2] ?? 80) !== port) return false;
  const h = m[1].replace(/^\[|\]$/g, '');
  return isIP(h) !== 0 || h === 'localhost' || h === hostname();
}

export async function startUiServer(o: UiServerOptions): Promise<UiServer> {
  let port = o.port;
  const authFailed = () => [problem('UI_AUTH_REQUIRED', { message: 'log in to the status page: the token is in the address that berth ui prints (or use the password of --ui-password-file)' })];
  const sessionOf = (req: http.IncomingMessage): Session | undefined => o.sessions.of(req.headers.cookie);

  /** A POST from the page itself: JSON, its origin, and (with a session) its CSRF token. */
  const postCheck = (req: http.IncomingMessage, s: Session | undefined): Problem[] => {
    const origin = req.headers.origin;
    const site = req.headers['sec-fetch-site'];
    const sameOrigin = origin === undefined ? site === undefined || site === 'same-origin' : origin === `http://${req.headers.host}`;
    const isJson = /^application\/json\b/.test(req.headers['content-type'] ?? '');
    if (!sameOrigin || !isJson || (s && !o.sessions.csrfOk(s, req.headers[CSRF_HEADER]))) {
      return [problem('UI_CSRF_REFUSED', { path: 'request', value: origin ?? String(site ?? ''), message: 'refused: the request does not come from the status page (origin, content type or CSRF token)' })];
    }
    return [];
  };

  const stream = (req: http.IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.write('retry: 2000\n\n');
    const close = o.hub.open({
      send: (event, data) => {
        if (res.writableLength > MAX_BACKLOG) {
          res.destroy();
          return;
        }
        res.write(`event: ${event}\ndata: ${data}\n\n`);
      },
    });
    req.on('close', close);
  };

  const act = async (req: http.IncomingMessage, res: http.ServerResponse, s: Session) => {
    let action: UiAction;
    let preview = false;
    try {
      const body = await readJson(req);
      action = parseAction(body);
      preview = (body as { preview?: unknown }).preview === true;
    } catch (e) {
      if (e instanceof BerthError) return refuse(res, 400, e.problems);
      throw e;
    }
    const command = commandLine(action, o.deps);
    if (preview) return json(res, 200, { command, actions: o.actions });
    if (!o.actions) return refuse(res, 403, [problem('UI_ACTIONS_DISABLED', { path: 'action', value: command, message: `the status page is read-only (the controller runs without --ui-actions); run it yourself: ${command}` })]);
    try {
      const r = await runAction(action, o.deps);
      o.log(`status page: ${r.command}`);
      o.hub.note('action', `from the status page: ${r.command}`);
      json(res, 200, r);
    } catch (e) {
      if (!(e instanceof BerthError)) throw e;
      o.hub.note('refusal', `from the status page: ${command} refused: ${e.problems.map((p) => `[${p.code}] ${p.message}`).join('; ')}`);
      refuse(res, 409, e.problems, e instanceof ActionPartlyDone ? e.notes : undefined);
    }
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (!hostAllowed(req.headers.host, port)) return refuse(res, 421, [problem('UI_CSRF_REFUSED', { path: 'Host', value: String(req.headers.host ?? '').slice(0, 80), message: 'refused: the Host header does not name this listener by address, localhost or this machine\'s name' })]);
    const path = (req.url ?? '/').split('?')[0];
    const s = sessionOf(req);
    if (req.method === 'GET') {
      if (path === '/' || path === '/index.html') return send(res, 200, 'text/html; charset=utf-8', PAGE_HTML);
      if (path === '/app.js') return send(res, 200, 'text/javascript; charset=utf-8', PAGE_JS);
      if (path === '/app.css') return send(res, 200, 'text/css; charset=utf-8', PAGE_CSS);
      if (path === '/session') return json(res, 200, s ? { authenticated: true, csrf: s.csrf, actions: o.actions } : { authenticated: false, actions: o.actions });
      if (path === '/events') return s ? stream(req, res) : refuse(res, 401, authFailed());
      return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    }
    if (req.method !== 'POST') return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { Allow: 'GET, POST' });
    const bad = postCheck(req, path === '/login' ? undefined : s);
    if (bad.length) return refuse(res, 403, bad);
    if (path === '/login') {
      let secret: unknown;
      try {
        secret = ((await readJson(req)) as { secret?: unknown } | null)?.secret;
      } catch (e) {
        if (e instanceof BerthError) return refuse(res, 400, e.problems);
        throw e;
      }
      const session = o.sessions.login(typeof secret === 'string' ? secret : '');
      if (session === 'throttled') return refuse(res, 429, [problem('UI_AUTH_REQUIRED', { path: 'login', message: `more than ${FAILED_LOGINS_PER_MINUTE} failed logins in a minute: wait a minute and try again` })]);
      if (!session) {
        // A wrong guess costs the guesser time.
        await new Promise((r) => setTimeout(r, 300));
        return refuse(res, 401, authFailed());
      }
      return json(res, 200, { authenticated: true, csrf: session.csrf, actions: o.actions }, { 'Set-Cookie': sessionCookie(session) });
    }
    if (!s) return refuse(res, 401, authFailed());
    if (path === '/logout') {
      o.sessions.logout(s);
      return json(res, 200, { authenticated: false }, { 'Set-Cookie': clearedCookie });
    }
    if (path === '/action') return act(req, res, s);
    return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
  };

  const server = http.createServer({ requestTimeout: 0, headersTimeout: 10_000, maxHeaderSize: 16 * 1024 }, (req, res) => {
    handle(req, res).catch((e) => {
      o.log(`status page: ${req.method} ${req.url}: ${(e as Error).message}`);
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error of the status page (the controller logged it)\n');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => { server.off('error', reject); resolve(); });
  });
  const ping = setInterval(() => o.hub.ping(), o.pingMs ?? 2000);
  port = (server.address() as { port: number }).port;
  const shown = o.host === '0.0.0.0' || o.host === '::' ? hostname() : o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${shown}:${port}/`,
    close: () => new Promise<void>((resolve) => { clearInterval(ping); server.close(() => resolve()); server.closeAllConnections(); }),
  };
}
