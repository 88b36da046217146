// The controller's own endpoint: agents send heartbeats here (POST /v1/heartbeat), and
// `berth cluster status` asks for the membership (POST /v1/status). Signed with the authkey both
// ways (src/agent/auth.ts), like the agent protocol.
import http from 'node:http';
import type { Heartbeat } from './liveness';
import { signedHandler } from '../agent/signed-http';
import { INCARNATION } from '../agent/auth';

export const HEARTBEAT_PATH = '/v1/heartbeat';
export const STATUS_PATH = '/v1/status';

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
}

export function parseHeartbeat(v: unknown): Heartbeat {
  const o = v as Partial<Heartbeat> | null;
  const bad = (what: string) => Object.assign(new Error(`heartbeat: ${what}`), { code: 'AGENT_BAD_MESSAGE', status: 400 });
  if (!o || typeof o !== 'object') throw bad('not an object');
  if (typeof o.node !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(o.node)) throw bad('node must be a node name');
  if (typeof o.url !== 'string' || !/^https?:\/\/[^\s]{1,200}$/.test(o.url)) throw bad('url must be an http URL');
  if (typeof o.seq !== 'number' || !Number.isSafeInteger(o.seq) || o.seq < 0) throw bad('seq must be a non-negative integer');
  if (typeof o.incarnation !== 'string' || !INCARNATION.test(o.incarnation)) throw bad('incarnation must be hex');
  if (o.stateDir !== undefined && (typeof o.stateDir !== 'string' || !o.stateDir.startsWith('/'))) throw bad('stateDir must be an absolute path');
  return { node: o.node, url: o.url, seq: o.seq, incarnation: o.incarnation, ...(o.stateDir ? { stateDir: o.stateDir } : {}) };
}

export async function startControllerServer(o: ControllerServerOptions): Promise<{ url: string; close(): Promise<void> }> {
  const handler = signedHandler({
    key: o.key,
    log: o.log,
    routes: {
      [HEARTBEAT_PATH]: async (body) => {
        const receivedAt = Date.now();
        return o.onHeartbeat(parseHeartbeat(body), receivedAt);
      },
      [STATUS_PATH]: async () => o.status(),
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
