// Heartbeats are taken in a process of their own, as corosync keeps membership apart from
// Pacemaker's scheduler: a pass over a large CIB keeps the controller's event loop busy for a
// second or more, and heartbeats answered late would make every agent fence itself. The
// heartbeat process (`berth controller` forks `bin/berth controller-heartbeats`) answers the
// agents, records each heartbeat before granting it (in etcd when the store is etcd), and tells
// the controller what it heard, with the time it was received.
//
// Safety does not depend on how fast the controller reads those messages: before it declares a
// node lost it asks the heartbeat process (or etcd) for the node's latest record, and that answer
// comes after every message sent before it on the same channel.
//
// The leader's etcd keep-alives are sent from here too (`leaseKeeper`), for the same reason: a
// pass that holds the controller's loop for seconds would send them late and the controller would
// step down. Each renewal travels back with the time the lease holds until, counted from its send
// time in this process; the controller stops leading then unless a later one reached it.
import { ChildProcess, fork } from 'node:child_process';
import { openStore } from '../store/open';
import { HeartbeatRecords, memoryRecords, storeRecords } from './heartbeat-records';
import type { Heartbeat, LivenessPolicy } from './liveness';
import { ControllerCall, HeartbeatAnswer, startControllerServer } from './controller-server';
import { LeaseKeeper, inProcessKeeper } from './leader';
import type { EtcdStore } from '../store/etcd-store';

export interface HeartbeatServiceOptions {
  host: string;
  port: number;
  key: Buffer;
  policy: LivenessPolicy;
  /** the store URL: heartbeats are recorded there when it is etcd */
  storeUrl: string;
  /** the cluster's id, told to agents with each grant (an agent fences only this cluster's replicas) */
  cluster: string;
  /** the berth executable to fork; without it the service runs in this process (tests) */
  exec?: string;
  log: (line: string) => void;
}

export interface HeartbeatService {
  readonly url: string;
  /** the latest record of `node` (asked of the heartbeat process, or etcd) */
  records: HeartbeatRecords;
  onHeard(f: (hb: Heartbeat, receivedAt: number) => void): void;
  setLeader(url: string | undefined): void;
  /** What `cluster status` is told of the membership (leader, term, nodes): small, sent often. */
  setStatus(membership: object): void;
  /**
   * The bundles and replicas as the last pass saw them, for `cluster status` (`cluster` in its
   * answer): large, so made only when asked, by the controller's process.
   */
  setClusterView(view: () => unknown): void;
  /** Answers the requests for the leader (CONTROLLER_CALLS: failcounts, cleanup) in the
   * controller's process, which reaches the agents. */
  setCall(call: ControllerCall): void;
  /** sends the leader's keep-alives from the heartbeat process (only when it is forked) */
  leaseKeeper?: LeaseKeeper;
  close(): Promise<void>;
}

type ToChild =
  | { type: 'start'; host: string; port: number; key: string; policy: LivenessPolicy; storeUrl: string; cluster: string }
  | { type: 'leader'; url: string | null }
  | { type: 'status'; status: object }
  | { type: 'view'; id: number; view: unknown }
  | { type: 'get'; id: number; node: string }
  | { type: 'answer'; id: number; value?: unknown; error?: { message: string; code?: string; status?: number } }
  | { type: 'keep'; leaseId: string; ttlSeconds: number }
  | { type: 'unkeep'; leaseId: string };
type FromChild =
  | { type: 'listening'; url: string }
  | { type: 'failed'; message: string }
  | { type: 'heard'; hb: Heartbeat; receivedAt: number }
  | { type: 'record'; id: number; hb: Heartbeat | null; error?: string }
  | { type: 'log'; line: string }
  | { type: 'view-request'; id: number }
  | { type: 'call'; id: number; path: string; body: unknown }
  | { type: 'lease'; leaseId: string; validUntil: number }
  | { type: 'lease-ended'; leaseId: string; why: string };

const isEtcdUrl = (url: string) => url.startsWith('etcd://');

/** The answer to `cluster status`: the membership as last sent, and the cluster view asked for. */
async function statusAnswer(membership: object, view: () => Promise<unknown> | unknown): Promise<object> {
  let cluster: unknown = null;
  let clusterError: string | undefined;
  try {
    cluster = await view();
  } catch (e) {
    clusterError = (e as Error).message;
  }
  return { ...membership, cluster, ...(clusterError ? { clusterError } : {}) };
}

/** How long the heartbeat process waits for the controller's process to make the cluster view. */
const VIEW_TIMEOUT_MS = 4000;
/** ... and to answer a call (a cleanup reads and writes a ledger on every node, 5 s at most each). */
export const CALL_TIMEOUT_MS = 15_000;

/** A call before the controller has said how to answer it (it is starting). */
const notReady = (): Promise<never> => Promise.reject(Object.assign(new Error('this controller is starting'), { code: 'NOT_LEADER', status: 503 }));

function openRecords(storeUrl: string): { records: HeartbeatRecords; store?: EtcdStore } {
  if (!isEtcdUrl(storeUrl)) return { records: memoryRecords() };
  const store = openStore(storeUrl) as EtcdStore;
  return { records: storeRecords(store), store };
}

/** The heartbeat endpoint itself: record, grant, report. Used by both forms of the service. */
async function serve(o: { host: string; port: number; key: Buffer; policy: LivenessPolicy; cluster: string; records: HeartbeatRecords; leader: () => string | undefined; status: () => unknown; call: ControllerCall; heard: (hb: Heartbeat, at: number) => void; log: (line: string) => void }) {
  return startControllerServer({
    host: o.host, port: o.port, key: o.key, log: o.log, status: o.status, call: o.call,
    onHeartbeat: async (hb, receivedAt): Promise<HeartbeatAnswer> => {
      // with the lease it is granted: a leader with a shorter one honours it (liveness.ts)
      await o.records.put({ ...hb, leaseMs: o.policy.leaseMs });
      o.heard(hb, receivedAt);
      const leader = o.leader();
      return { granted: true, leaseMs: o.policy.leaseMs, heartbeatMs: o.policy.heartbeatMs, fenceMarginMs: o.policy.fenceMarginMs, cluster: o.cluster, ...(leader ? { leader } : {}) };
    },
  });
}

export async function startHeartbeatService(o: HeartbeatServiceOptions): Promise<HeartbeatService> {
  const listeners: ((hb: Heartbeat, at: number) => void)[] = [];
  const heard = (hb: Heartbeat, at: number) => { for (const f of listeners) f(hb, at); };
  if (!o.exec) {
    const { records, store } = openRecords(o.storeUrl);
    let leader: string | undefined;
    let membership: object = {};
    let view: () => unknown = () => null;
    let call: ControllerCall | undefined;
    const server = await serve({ ...o, records, leader: () => leader, status: () => statusAnswer(membership, view), call: (p, b) => (call ? call(p, b) : notReady()), heard });
    return {
      url: server.url, records,
      onHeard: (f) => listeners.push(f),
      setLeader: (u) => { leader = u; },
      setStatus: (m) => { membership = m; },
      setClusterView: (v) => { view = v; },
      setCall: (c) => { call = c; },
      close: async () => { await server.close(); await store?.close(); },
    };
  }

  const child: ChildProcess = fork(o.exec, ['controller-heartbeats'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
  const send = (m: ToChild) => { if (child.connected) child.send(m); };
  const pending = new Map<number, { resolve: (hb: Heartbeat | undefined) => void; reject: (e: Error) => void }>();
  let clusterView: () => unknown = () => null;
  let controllerCall: ControllerCall | undefined;
  const leases = new Map<string, { renewed: (validUntil: number) => void; ended: (why: string) => void }>();
  let nextId = 1;
  let closing = false;
  const url = await new Promise<string>((resolve, reject) => {
    child.on('message', (m: FromChild) => {
      switch (m.type) {
        case 'listening': resolve(m.url); break;
        case 'failed': reject(new Error(m.message)); break;
        case 'heard': heard(m.hb, m.receivedAt); break;
        case 'log': o.log(m.line); break;
        case 'view-request': {
          let v: unknown = null;
          try { v = clusterView(); } catch (e) { o.log(`cannot make the cluster view: ${(e as Error).message}`); }
          send({ type: 'view', id: m.id, view: v });
          break;
        }
        case 'call': {
          void (controllerCall ? controllerCall(m.path, m.body) : notReady()).then(
            (value) => send({ type: 'answer', id: m.id, value }),
            (e: Error & { code?: string; status?: number }) => send({ type: 'answer', id: m.id, error: { message: e.message, ...(e.code ? { code: e.code } : {}), ...(e.status ? { status: e.status } : {}) } }),
          );
          break;
        }
        case 'lease': leases.get(m.leaseId)?.renewed(m.validUntil); break;
        case 'lease-ended': {
          const l = leases.get(m.leaseId);
          leases.delete(m.leaseId);
          l?.ended(m.why);
          break;
        }
        case 'record': {
          const p = pending.get(m.id);
          pending.delete(m.id);
          if (m.error) p?.reject(new Error(m.error));
          else p?.resolve(m.hb ?? undefined);
          break;
        }
      }
    });
    child.once('exit', (code, signal) => {
      for (const p of pending.values()) p.reject(new Error('the heartbeat process ended'));
      pending.clear();
      if (!closing) {
        // Without it no heartbeat is granted: every agent would fence itself. Stop loudly.
        o.log(`the heartbeat process ended (${signal ?? `exit ${code}`}); the controller stops`);
        reject(new Error('the heartbeat process ended'));
        process.exitCode = 1;
        process.kill(process.pid, 'SIGTERM');
      }
    });
    send({ type: 'start', host: o.host, port: o.port, key: o.key.toString('hex'), policy: o.policy, storeUrl: o.storeUrl, cluster: o.cluster });
  });
  return {
    url,
    records: {
      put: async () => { throw new Error('records are written by the heartbeat process'); },
      get: (node) => new Promise<Heartbeat | undefined>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        send({ type: 'get', id, node });
      }),
    },
    onHeard: (f) => listeners.push(f),
    setLeader: (u) => send({ type: 'leader', url: u ?? null }),
    setStatus: (m) => send({ type: 'status', status: m }),
    setClusterView: (v) => { clusterView = v; },
    setCall: (c) => { controllerCall = c; },
    leaseKeeper: {
      keep: (leaseId, ttlSeconds, renewed, ended) => {
        leases.set(leaseId, { renewed, ended });
        send({ type: 'keep', leaseId, ttlSeconds });
        return () => { if (leases.delete(leaseId)) send({ type: 'unkeep', leaseId }); };
      },
    },
    close: async () => {
      closing = true;
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await gone;
      }
    },
  };
}

/** `berth controller-heartbeats`: the forked heartbeat process (internal, not for users). */
export function runHeartbeatProcess(): Promise<number> {
  return new Promise<number>((resolveExit) => {
    const send = (m: FromChild) => { if (process.connected) process.send?.(m); };
    if (!process.send) {
      process.stderr.write('berth controller-heartbeats is started by berth controller, not by hand\n');
      resolveExit(2);
      return;
    }
    let leader: string | undefined;
    let membership: object = {};
    // Cluster views asked of the controller's process, by request id.
    const views = new Map<number, (v: unknown) => void>();
    let nextView = 1;
    const askView = () => new Promise<unknown>((resolve, reject) => {
      const id = nextView++;
      const timer = setTimeout(() => { views.delete(id); reject(new Error(`the controller did not make the cluster view within ${VIEW_TIMEOUT_MS} ms (a long pass?)`)); }, VIEW_TIMEOUT_MS);
      timer.unref(); // a request under way does not keep this process from ending
      views.set(id, (v) => { clearTimeout(timer); resolve(v); });
      send({ type: 'view-request', id });
    });
    // Calls passed on to the controller's process, by request id.
    const calls = new Map<number, (a: Extract<ToChild, { type: 'answer' }>) => void>();
    let nextCall = 1;
    const askCall: ControllerCall = (path, body) => new Promise<unknown>((resolve, reject) => {
      const id = nextCall++;
      const timer = setTimeout(() => { calls.delete(id); reject(Object.assign(new Error(`the controller did not answer within ${CALL_TIMEOUT_MS} ms`), { code: 'AGENT_UNREACHABLE', status: 504 })); }, CALL_TIMEOUT_MS);
      timer.unref();
      calls.set(id, (a) => {
        clearTimeout(timer);
        if (a.error) reject(Object.assign(new Error(a.error.message), { code: a.error.code, status: a.error.status }));
        else resolve(a.value);
      });
      send({ type: 'call', id, path, body });
    });
    let records: HeartbeatRecords | undefined;
    let keeper: LeaseKeeper | undefined;
    const keeping = new Map<string, () => void>();
    let close: (() => Promise<void>) | undefined;
    process.on('message', (m: ToChild) => {
      switch (m.type) {
        case 'start': {
          const opened = openRecords(m.storeUrl);
          records = opened.records;
          if (opened.store) keeper = inProcessKeeper(opened.store);
          const r = records;
          serve({
            host: m.host, port: m.port, key: Buffer.from(m.key, 'hex'), policy: m.policy, cluster: m.cluster, records: r,
            leader: () => leader, status: () => statusAnswer(membership, askView), call: askCall,
            heard: (hb, receivedAt) => send({ type: 'heard', hb, receivedAt }),
            log: (line) => send({ type: 'log', line }),
          }).then((server) => {
            close = async () => { await server.close(); await opened.store?.close(); };
            send({ type: 'listening', url: server.url });
          }, (e: Error) => {
            send({ type: 'failed', message: `cannot listen on ${m.host}:${m.port}: ${e.message}` });
            resolveExit(1);
          });
          break;
        }
        case 'keep': {
          if (!keeper) { send({ type: 'lease-ended', leaseId: m.leaseId, why: 'the heartbeat process has no etcd store' }); break; }
          const leaseId = m.leaseId;
          keeping.get(leaseId)?.();
          keeping.set(leaseId, keeper.keep(leaseId, m.ttlSeconds,
            (validUntil) => send({ type: 'lease', leaseId, validUntil }),
            (why) => { keeping.delete(leaseId); send({ type: 'lease-ended', leaseId, why }); }));
          break;
        }
        case 'unkeep': keeping.get(m.leaseId)?.(); keeping.delete(m.leaseId); break;
        case 'leader': leader = m.url ?? undefined; break;
        case 'status': membership = m.status; break;
        case 'view': {
          const done = views.get(m.id);
          views.delete(m.id);
          done?.(m.view);
          break;
        }
        case 'answer': {
          const done = calls.get(m.id);
          calls.delete(m.id);
          done?.(m);
          break;
        }
        case 'get':
          if (!records) { send({ type: 'record', id: m.id, hb: null, error: 'not started' }); break; }
          records.get(m.node).then((hb) => send({ type: 'record', id: m.id, hb: hb ?? null }), (e: Error) => send({ type: 'record', id: m.id, hb: null, error: e.message }));
          break;
      }
    });
    let ending = false;
    const end = () => {
      if (ending) return;
      ending = true;
      for (const stop of keeping.values()) stop();
      keeping.clear();
      void (close?.() ?? Promise.resolve()).finally(() => {
        // The IPC channel would keep this process alive.
        if (process.connected) process.disconnect();
        resolveExit(0);
      });
    };
    process.on('disconnect', end);
    process.once('SIGTERM', end);
    process.once('SIGINT', () => {}); // the controller decides when this ends
  });
}
