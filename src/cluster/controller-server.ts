// The controller's own endpoint: agents send heartbeats here (POST /v1/heartbeat), `berth cluster
// status` asks for the membership (POST /v1/status), and `resource failcount show` / `resource
// cleanup` ask the leader for the nodes' failure ledgers (POST /v1/failcounts, /v1/cleanup; the
// controller's process answers them: `call`). Signed with the authkey both ways (src/agent/auth.ts),
// like the agent protocol: whoever holds the authkey may ask, as for every other request.
import http from 'node:http';
import type { Heartbeat } from './liveness';
import { signedHandler } from '../agent/signed-http';
import { INCARNATION } from '../agent/auth';
import type { Problem } from '../errors/registry';
import { monotonicMs } from './monotonic-clock';

export const HEARTBEAT_PATH = '/v1/heartbeat';
export const STATUS_PATH = '/v1/status';
export const FAILCOUNTS_PATH = '/v1/failcounts';
export const CLEANUP_PATH = '/v1/cleanup';
/** The requests the controller's own process answers (the heartbeat process passes them on). */
export const CONTROLLER_CALLS: readonly string[] = [FAILCOUNTS_PATH, CLEANUP_PATH];
export type ControllerCall = (path: string, body: unknown) => Promise<unknown>;

/** What a controller that does not lead answers to a request for the leader: who leads. */
export interface FollowerAnswer { leading: false; leader: { url: string } | null }

/** The leader's answer to /v1/failcounts and /v1/cleanup: the result, or the problems of the request. */
export type LeaderAnswer<R> = FollowerAnswer | { leading: true; cluster: string; problems: Problem[]; result?: R };

/** The body of /v1/failcounts and /v1/cleanup: pcs's [RESOURCE] [node=NODE]. */
export interface FailuresBody { resource?: string; node?: string }

export interface HeartbeatAnswer {
  granted: boolean;
  leaseMs: number;
  heartbeatMs: number;
  fenceMarginMs: number;
  /** the leader's URL, when one is known: agents send their next heartbeats there first */
  leader?: string;
  /** the cluster's id: the agent's self-fence touches only this cluster's replicas */
  cluster?: string;
}

export interface ControllerServerOptions {
  host: string;
  port: number;
  key: Buffer;
  log: (line: string) => void;
  /** `receivedAt`: when the request arrived, before anything else was done with it */
  onHeartbeat: (hb: Heartbeat, receivedAt: number) => Promise<HeartbeatAnswer>;
  status: () => unknown | Promise<unknown>;
  /** answers CONTROLLER_CALLS; without it they are refused (503 NOT_LEADER) */
  call?: ControllerCall;
}

const badMessage = (what: string) => Object.assign(new Error(what), { code: 'AGENT_BAD_MESSAGE', status: 400 });

/** The request of /v1/failcounts and /v1/cleanup; anything else is not the protocol (400). */
export function parseFailuresBody(v: unknown): FailuresBody {
  const o = v as Record<string, unknown> | null;
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw badMessage('failures: not an object');
  for (const k of Object.keys(o)) if (k !== 'resource' && k !== 'node') throw badMessage(`failures: unknown field '${k.slice(0, 40)}'`);
  const word = (k: 'resource' | 'node') => {
    const x = o[k];
    if (x === undefined) return undefined;
    if (typeof x !== 'string' || x.length === 0 || x.length > 256 || /[\s\u0000-\u001f]/.test(x)) throw badMessage(`failures: ${k} must be a name`);
    return x;
  };
  const resource = word('resource');
  const node = word('node');
  return { ...(resource !== undefined ? { resource } : {}), ...(node !== undefined ? { node } : {}) };
}

export function parseHeartbeat(v: unknown): Heartbeat {
  const o = v as Partial<Heartbeat> | null;
  const bad = (what: string) => badMessage(`heartbeat: ${what}`);
  if (!o || typeof o !== 'object') throw bad('not an object');
  if (typeof o.node !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(o.node)) throw bad('node must be a node name');
  if (typeof o.url !== 'string' || !/^https?:\/\/[^\s]{1,200}$/.test(o.url)) throw bad('url must be an http URL');
  if (typeof o.seq !== 'number' || !Number.isSafeInteger(o.seq) || o.seq < 0) throw bad('seq must be a non-negative integer');
  if (typeof o.incarnation !== 'string' || !INCARNATION.test(o.incarnation)) throw bad('incarnation must be hex');
  if (o.stateDir !== undefined && (typeof o.stateDir !== 'string' || !o.stateDir.startsWith('/'))) throw bad('stateDir must be an absolute path');
  if (o.remoteKey !== undefined && (typeof o.remoteKey !== 'string' || !o.remoteKey.startsWith('/') || o.remoteKey.length > 4096)) throw bad('remoteKey must be an absolute path');
  if (o.leaseUnrecorded !== undefined && (typeof o.leaseUnrecorded !== 'string' || o.leaseUnrecorded.length > 1024)) throw bad('leaseUnrecorded must be a text of at most 1024 characters');
  return { node: o.node, url: o.url, seq: o.seq, incarnation: o.incarnation, ...(o.stateDir ? { stateDir: o.stateDir } : {}), ...(o.remoteKey ? { remoteKey: o.remoteKey } : {}), ...(o.leaseUnrecorded ? { leaseUnrecorded: o.leaseUnrecorded } : {}) };
}

export async function startControllerServer(o: ControllerServerOptions): Promise<{ url: string; close(): Promise<void> }> {
  const handler = signedHandler({
    key: o.key,
    log: o.log,
    routes: {
      [HEARTBEAT_PATH]: async (body) => {
        const receivedAt = monotonicMs();
        return o.onHeartbeat(parseHeartbeat(body), receivedAt);
      },
      [STATUS_PATH]: async () => o.status(),
      ...Object.fromEntries(CONTROLLER_CALLS.map((path) => [path, async (body: unknown) => {
        if (!o.call) throw Object.assign(new Error('this controller is starting'), { code: 'NOT_LEADER', status: 503 });
        return o.call(path, body);
      }])),
    },
  });
  const server = http.createServer({ requestTimeout: 10_000, headersTimeout: 5_000, maxHeaderSize: 16 * 1024 }, handler);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => { server.off('error', reject); resolve(); });
  });
  const addr = server.address() as { port: number };
  return {
    url: `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${addr.port}`,
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}
