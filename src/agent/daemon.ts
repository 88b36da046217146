// `berth agent`: the node side of a cluster. It serves this node's engine, addresses and files to
// the leading controller (server.ts), and holds a lease by sending heartbeats to the controllers.
//
// The lease is what makes failover safe. The agent counts it from when it *sent* the heartbeat
// that was granted; the controllers count it from when they *received* it, so the agent's lease
// always ends first. `fenceMarginMs` before it ends, an agent that has not been granted a newer
// heartbeat fences itself: it refuses every write, kills and removes its replicas and removes
// their addresses, as a watchdog would. Only after the lease has ended on the controller's side
// do the replicas start elsewhere, so two copies never run. A fenced agent rejoins empty as soon
// as a heartbeat is granted again. An agent that dies cannot fence: its fence guard
// (fence-guard.ts) does it for it. The lease is counted on the monotonic clock (a step of the
// wall clock moves nothing) and recorded in it for the next start and the guard (lease-record.ts).
import type { InnerExecutors } from '../inner/executors';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { AddressTable } from '../runtime/addresses';
import type { ApplyEngine } from '../controller/apply';
import type { NodeFiles } from '../controller/node-files';
import { HEARTBEAT_PATH, HeartbeatAnswer } from '../cluster/controller-server';
import { DEFAULT_LIVENESS, Heartbeat } from '../cluster/liveness';
import { postSigned } from './signed-http';
import { startAgentServer } from './server';
import { TermGuard } from './term-guard';
import type { HostPolicy } from './scope';
import { fenceSweep } from './fence-sweep';
import { startFenceGuard } from './fence-guard';
import { LEASE_FILE, LeaseRecord, bootId, readLeaseRecord, writeLeaseRecord } from './lease-record';
import { monotonicMs } from '../cluster/monotonic-clock';

export interface AgentOptions {
  node: string;
  listen: { host: string; port: number };
  /** the URL controllers reach this agent at (default: from listen) */
  advertise?: string;
  controllers: string[];
  key: Buffer;
  stateDir: string;
  engine: ApplyEngine;
  addresses: AddressTable;
  files: NodeFiles;
  /** the executors in this node's replica containers */
  inner?: InnerExecutors;
  /** the host access created containers may ask for (default DEFAULT_HOST_POLICY: host network only) */
  hostPolicy?: HostPolicy;
  log: (line: string) => void;
  /** the clock every lease and deadline is counted on (default monotonicMs: a wall-clock step
   * changes nothing); the lease file is written in it */
  now?: () => number;
  /** the berth executable that runs the fence guard (fence-guard.ts); without it, no guard (tests
   * that run agents in their own process) */
  guardExec?: string;
}

export type LeaseState = 'unleased' | 'leased' | 'fencing' | 'fenced';

export interface Agent {
  url: string;
  state(): LeaseState;
  done: Promise<void>;
  stop(): Promise<void>;
}

/** Why a start does not keep the lease recorded before it, for the operator: the replicas the node
 * runs are stopped (the cluster may have placed them elsewhere), and what to look at. */
export function joinEmptyReason(rec: LeaseRecord | undefined, file: string, now: number): string {
  if (!rec) return `no lease record in ${file} (a first start, or the record was lost or unreadable): the node's replicas are stopped, the controller places them again`;
  if (rec.until <= 0) return `the record in ${file} holds no lease (the node rebooted, or the agent before was fenced or never leased): the node's replicas are stopped, the controller places them again`;
  return `the lease recorded in ${file} ended ${now - rec.until} ms ago: the cluster may have placed this node's replicas elsewhere, so they are stopped here (fencing); the controller places them again`;
}

export async function startAgent(o: AgentOptions): Promise<Agent> {
  const now = o.now ?? monotonicMs;
  const leaseFile = path.join(o.stateDir, LEASE_FILE);
  const incarnation = randomBytes(8).toString('hex');
  const boot = bootId();
  let state: LeaseState = 'unleased';
  let leaseUntil = 0;
  let leaseMs = DEFAULT_LIVENESS.leaseMs;
  let heartbeatMs = DEFAULT_LIVENESS.heartbeatMs;
  let fenceMarginMs = DEFAULT_LIVENESS.fenceMarginMs;
  /** the cluster this agent serves (told with each grant, kept in the lease file): a sweep touches
   * only its replicas, never another cluster's on the same engine */
  let cluster: string | undefined;
  let leader: string | undefined;
  let seq = 0;
  let inflight = 0;
  let lastFailure = '';
  let fenceTimer: NodeJS.Timeout | undefined;
  const abort = new AbortController();

  const writable = () => state === 'leased' && now() < leaseUntil - fenceMarginMs;
  const refusal = () => (state === 'fenced' || state === 'fencing' ? 'this node has fenced itself (its lease ran out); it takes orders again once a controller grants a heartbeat' : 'this node holds no lease yet');

  // Every write goes through here: refused unless the lease holds, and counted, so that fencing
  // can wait for the writes already under way before it sweeps.
  const guarded = async <T>(f: () => Promise<T>): Promise<T> => {
    if (!writable()) throw Object.assign(new Error(refusal()), { agentCode: 'AGENT_FENCED' });
    inflight++;
    try {
      return await f();
    } finally {
      inflight--;
    }
  };
  const engine: ApplyEngine = {
    ping: () => o.engine.ping(),
    listContainers: (f) => o.engine.listContainers(f),
    inspect: (id) => o.engine.inspect(id),
    create: (spec) => guarded(() => o.engine.create(spec)),
    start: (id) => guarded(() => o.engine.start(id)),
    stop: (id, t) => guarded(() => o.engine.stop(id, t)),
    remove: (id, opts) => guarded(() => o.engine.remove(id, opts)),
    events: (f, s) => o.engine.events(f, s),
    ...(o.engine.kinds ? { kinds: () => o.engine.kinds!() } : {}),
    ...(o.engine.rename ? { rename: (id: string, name: string) => guarded(() => o.engine.rename!(id, name)) } : {}),
  };
  const addresses: AddressTable = {
    list: () => o.addresses.list(),
    add: (a) => guarded(() => o.addresses.add(a)),
    remove: (a) => guarded(() => o.addresses.remove(a)),
  };
  const files: NodeFiles = {
    stateDir: o.files.stateDir,
    ...(o.files.remoteKey ? { remoteKey: o.files.remoteKey } : {}),
    read: (f) => o.files.read(f),
    readMany: (fs) => o.files.readMany(fs),
    write: (f, c) => guarded(() => o.files.write(f, c)),
    ensureDir: (d) => guarded(() => o.files.ensureDir(d)),
    readLedger: (c) => o.files.readLedger(c),
    ...(o.files.readHostsFiles ? { readHostsFiles: (c: string) => o.files.readHostsFiles!(c) } : {}),
    writeLedger: (c, l, base) => guarded(() => o.files.writeLedger(c, l, base)),
  };

  // A record that cannot be written is said once, and again when it can be: it is written with
  // every heartbeat, and a line each time would fill the log of a node short of space. A full disk
  // alone does not stop it (the record is rewritten in place: lease-record.ts). Meanwhile a start
  // after this one finds an older lease (it joins empty: safe).
  let leaseUnrecorded = '';
  const saveLease = () => {
    try {
      writeLeaseRecord(leaseFile, { until: state === 'leased' ? leaseUntil - fenceMarginMs : 0, boot, incarnation, ...(cluster ? { cluster } : {}) });
      if (leaseUnrecorded) o.log(`the lease is recorded in ${leaseFile} again`);
      leaseUnrecorded = '';
    } catch (e) {
      const why = (e as Error).message;
      if (why !== leaseUnrecorded) o.log(`cannot record the lease in ${leaseFile}: ${why}; the node keeps its lease and its replicas, but a restart of this agent would find an older lease and join empty (stop them), and its fence guard would fence at that older lease's end: make ${leaseFile} writable (an existing record is rewritten in place, so a full disk alone does not cause this)`);
      leaseUnrecorded = why;
    }
  };

  /** Kill every replica of this node, remove their addresses, then remove the containers. */
  const sweep = (why: string) => fenceSweep({ node: o.node, cluster, engine: o.engine, addresses: o.addresses, log: o.log, now, inflight: () => inflight }, why);

  const fence = async () => {
    if (state !== 'leased') return;
    state = 'fencing';
    const late = now() - (leaseUntil - fenceMarginMs);
    o.log(`no heartbeat granted for ${now() - (leaseUntil - leaseMs)} ms: fencing this node (its lease ends in ${leaseUntil - now()} ms)`);
    saveLease();
    try {
      await sweep('self-fence');
    } catch (e) {
      o.log(`self-fence failed: ${(e as Error).message}; retrying`);
      state = 'leased';
      fenceTimer = setTimeout(() => void fence(), 100);
      return;
    }
    if (now() > leaseUntil) o.log(`WARNING: the self-fence finished ${now() - leaseUntil} ms after the lease ended (started ${late} ms late): the engine is too slow for fence-margin ${fenceMarginMs} ms`);
    state = 'fenced';
  };
  const armFence = () => {
    if (fenceTimer) clearTimeout(fenceTimer);
    fenceTimer = setTimeout(() => void fence(), Math.max(0, leaseUntil - fenceMarginMs - now()));
  };

  // The fencing record first: one that cannot be read stops the start (AGENT_STATE_INVALID)
  // before anything on the node is touched. Orders cannot reach it (scope.ts: own state).
  const terms = new TermGuard(path.join(o.stateDir, 'agent-term.json'));

  // At start: a lease recorded by this node's previous agent that still holds is kept (an agent
  // restart does not disturb its replicas); otherwise the node may have been declared lost, so
  // whatever the engine restarted is removed and the node joins empty.
  // The record's clock is CLOCK_MONOTONIC of this boot; one of another boot holds nothing.
  let kept = false;
  const rec = readLeaseRecord(leaseFile, boot);
  if (rec?.cluster) cluster = rec.cluster;
  if (rec && rec.until > now() + 100) {
    state = 'leased';
    leaseUntil = rec.until + fenceMarginMs;
    kept = true;
    armFence();
    o.log(`the lease recorded before this start still holds for ${rec.until - now()} ms: keeping this node's replicas`);
  } else {
    o.log(`joining empty: ${joinEmptyReason(rec, leaseFile, now())}`);
  }
  // This start's guard first, then the record naming this start: the previous start's guard sees
  // it and exits, and the node is never without a guard.
  if (o.guardExec) startFenceGuard({ exec: o.guardExec, node: o.node, stateDir: o.stateDir, incarnation, log: o.log });
  saveLease();
  if (!kept) await sweep('joining empty');
  const server = await startAgentServer({
    node: o.node, incarnation, host: o.listen.host, port: o.listen.port, key: o.key, engine, addresses, files, terms, log: o.log,
    ...(o.inner ? { inner: o.inner } : {}),
    cluster: () => cluster,
    ...(o.hostPolicy ? { hostPolicy: o.hostPolicy } : {}),
    // The server asks only for write operations (protocol.ts OPS).
    gate: () => (writable() ? undefined : refusal()),
    status: () => ({ lease: state, leaseLeftMs: Math.max(0, leaseUntil - now()), stateDir: o.stateDir }),
  });
  const url = o.advertise ?? server.url;

  const beat = async () => {
    const hb: Heartbeat = { node: o.node, url, seq: ++seq, incarnation, stateDir: o.stateDir, ...(o.files.remoteKey ? { remoteKey: o.files.remoteKey } : {}), ...(leaseUnrecorded ? { leaseUnrecorded: leaseUnrecorded.slice(0, 1024) } : {}) };
    const sentAt = now();
    const timeout = Math.max(200, Math.min(1000, leaseMs / 2));
    const ask = (c: string) => postSigned<HeartbeatAnswer>(c, HEARTBEAT_PATH, o.key, hb, timeout);
    let answer: HeartbeatAnswer | undefined;
    const errors: string[] = [];
    const first = leader && o.controllers.includes(leader) ? [leader] : o.controllers;
    const tryAll = (list: string[]) => Promise.any(list.map((c) => ask(c).catch((e: Error) => { errors.push(e.message); throw e; })));
    try {
      answer = await tryAll(first);
    } catch {
      const rest = o.controllers.filter((c) => !first.includes(c));
      if (rest.length) answer = await tryAll(rest).catch(() => undefined);
    }
    if (!answer?.granted) {
      // Said once per kind of failure, not every 300 ms.
      const why = errors.map((e) => e.replace(/\d+ ms/g, 'N ms')).join('; ') || 'not granted';
      if (why !== lastFailure) o.log(`heartbeat: no controller granted it: ${errors.join('; ') || 'not granted'}`);
      lastFailure = why;
      return;
    }
    if (lastFailure) o.log('heartbeat: granted again');
    lastFailure = '';
    leader = answer.leader;
    if (typeof answer.cluster === 'string' && answer.cluster !== cluster) {
      if (cluster !== undefined) o.log(`heartbeat: granted by cluster ${answer.cluster}, not ${cluster} as before: its replicas are this agent's now`);
      cluster = answer.cluster;
    }
    leaseMs = answer.leaseMs;
    heartbeatMs = answer.heartbeatMs;
    fenceMarginMs = answer.fenceMarginMs;
    const until = sentAt + leaseMs;
    if (until <= leaseUntil && state === 'leased') return;
    leaseUntil = Math.max(leaseUntil, until);
    if (state !== 'leased') {
      if (state === 'fencing') return; // the sweep finishes first; the next grant rejoins
      o.log(state === 'fenced' ? 'a heartbeat is granted again: this node rejoins (empty)' : 'a heartbeat is granted: this node takes orders');
      state = 'leased';
    }
    armFence();
    saveLease();
  };

  const loop = async () => {
    while (!abort.signal.aborted) {
      const t0 = now();
      await beat().catch((e) => o.log(`heartbeat: ${(e as Error).message}`));
      await new Promise<void>((resolve) => {
        const done = () => { clearTimeout(t); abort.signal.removeEventListener('abort', done); resolve(); };
        const t = setTimeout(done, Math.max(0, heartbeatMs - (now() - t0)));
        abort.signal.addEventListener('abort', done, { once: true });
      });
    }
  };
  const done = loop();
  o.log(`berth agent: node ${o.node}, serving ${url}, heartbeats to ${o.controllers.join(', ')}`);
  return {
    url,
    state: () => state,
    done,
    stop: async () => {
      abort.abort();
      await done;
      if (fenceTimer) clearTimeout(fenceTimer);
      // The lease is recorded so that a restart within it keeps the replicas.
      saveLease();
      await server.close();
    },
  };
}
