// `berth controller --listen`: a controller of a cluster. Every controller takes heartbeats from
// the agents (and records them in the store before granting them); the one that leads also runs
// the passes. Level-triggered like the single-node controller: wake-ups (CIB change, a node's
// engine event, a node joining, lost or back, the resync timer, work waiting) only mark a pass as
// due, and each pass compares everything.
import type { Cib } from '../cib/cib';
import { problemsKey } from '../errors/registry';
import type { CibStore } from '../store/store';
import { BERTH_LABELS } from '../runtime/engine';
import type { ContainerRun } from '../reconcile/observed';
import { planChanges } from '../reconcile/plan';
import { clusterStatus } from '../reconcile/status';
import { readNodes } from '../scheduler/nodes';
import { DEFAULT_STATE_DIR } from '../controller/node-files';
import { CibSource, readValidCib } from '../controller/pass';
import { PassTrigger } from '../controller/pass-trigger';
import { remoteNode } from '../agent/client';
import { ClusterPassResult, NodeHandle, runClusterPass } from './cluster-pass';
import type { HeartbeatRecords } from './heartbeat-records';
import { startHeartbeatService } from './heartbeat-service';
import { DEFAULT_LIVENESS, Heartbeat, LivenessBook, LivenessPolicy } from './liveness';
import { Election, LeaderInfo, startElection } from './leader';
import { runFenceCommand } from './fence';

export interface ClusterControllerOptions {
  store: CibStore;
  cib: CibSource;
  key: Buffer;
  /** this controller: an id and the URL agents reach it at */
  self: LeaderInfo;
  listen: { host: string; port: number };
  liveness?: LivenessPolicy;
  /** run with the node's name when a node goes silent; exit 0 confirms the node is off */
  fenceCommand?: string;
  /** the berth executable: heartbeats are then taken in a forked process (see heartbeat-service.ts) */
  heartbeatExec?: string;
  /** leader lease TTL in seconds (etcd) */
  leaderTtlSeconds?: number;
  stopTimeoutSeconds?: number;
  resyncMs?: number;
  busyMs?: number;
  log: (line: string) => void;
  onPass?: (r: ClusterPassResult) => void;
  now?: () => number;
}

export interface ClusterController {
  done: Promise<void>;
  /** the term while this controller leads */
  term(): number | undefined;
  readonly passes: number;
  readonly url: string;
  poke(why: string): void;
  stop(): Promise<void>;
}


export async function startClusterController(o: ClusterControllerOptions): Promise<ClusterController> {
  const now = o.now ?? (() => Date.now());
  const policy = o.liveness ?? DEFAULT_LIVENESS;
  const abort = new AbortController();
  let book: LivenessBook | undefined;
  let term: number | undefined;
  let passes = 0;
  const trigger = new PassTrigger(abort.signal, o.log);
  const poke = (why: string) => trigger.poke(why);

  // ---- heartbeats: taken by every controller, in a process of their own ----
  const heartbeats = await startHeartbeatService({
    host: o.listen.host, port: o.listen.port, key: o.key, policy, storeUrl: o.store.url, log: o.log,
    ...(o.heartbeatExec ? { exec: o.heartbeatExec } : {}),
  });
  const records: HeartbeatRecords = heartbeats.records;
  heartbeats.onHeard((hb, receivedAt) => {
    if (!book || term === undefined) return;
    const known = book.heartbeat(hb.node);
    const back = book.heard(hb, receivedAt);
    if (back) o.log(`node ${hb.node} is back (it rejoins empty)`);
    if (back || !known || known.url !== hb.url || known.incarnation !== hb.incarnation) poke(`node ${hb.node} joined`);
  });
  // What the heartbeat process tells agents (the leader) and `cluster status` (the membership).
  const publish = () => {
    heartbeats.setLeader(election.leader()?.url);
    heartbeats.setStatus(status());
  };
  // The bundles and replicas as the last pass saw them, while this controller leads: made when
  // `cluster status` asks (a large cluster's view is megabytes), and kept until another pass ends
  // or applies of the last one end after it did.
  let view: { key: string; value: unknown } | undefined;
  heartbeats.setClusterView(() => {
    if (term === undefined || !lastPass || lastPass.term !== term) return null;
    const { result, at, term: t, number } = lastPass;
    const key = `${t}/${number}/${result.nodes.filter((n) => n.applied).length}`;
    if (view?.key !== key) view = { key, value: { at: new Date(at).toISOString(), term: t, ...clusterStatus(result, at) } };
    return view.value;
  });
  const publisher = setInterval(publish, 500);

  // ---- leading ----
  const clients = new Map<string, { key: string; handle: ReturnType<typeof remoteNode> }>();
  const clientFor = (hb: Heartbeat) => {
    const k = `${hb.url}|${hb.incarnation}`;
    const c = clients.get(hb.node);
    if (c && c.key === k) return c.handle;
    c?.handle.close();
    const handle = remoteNode({ url: hb.url, key: o.key, term: () => (term !== undefined && election.term() === term ? term : 0), node: hb.node, stateDir: hb.stateDir ?? DEFAULT_STATE_DIR, timeoutMs: 10_000 });
    clients.set(hb.node, { key: k, handle });
    return handle;
  };
  const memory = new Map<string, Set<string>>();
  const inflight = new Map<string, Promise<void>>();
  const cache = new Map<string, Map<string, ContainerRun>>();
  const fencing = new Set<string>();
  const fenceTried = new Map<string, number>();
  let lastGood: Cib | undefined;
  let nodeNames: string[] = [];
  let reported = { cib: '', problems: '', held: '', unreachable: '' };
  let ledSince = 0;
  /** the last pass of this term, for `cluster status` */
  let lastPass: { number: number; result: ClusterPassResult; at: number; term: number; standby: ReadonlySet<string> } | undefined;
  let firstPass = false;

  /** Settles suspicions: an ended lease is checked against the shared record, then declared. */
  const settleLiveness = async (b: LivenessBook) => {
    const t = now();
    for (const name of b.expired(nodeNames, t)) {
      const rec = await records.get(name).catch(() => undefined);
      const seen = b.heartbeat(name);
      if (rec && seen && (rec.incarnation !== seen.incarnation || rec.seq > seen.seq)) {
        b.heard(rec, now());
        continue;
      }
      b.declareLost(name, t, 'lease');
      memory.delete(name);
      cache.delete(name);
      o.log(`node ${name} is lost: no heartbeat for ${policy.leaseMs} ms; its lease has ended, so it has fenced itself and its replicas start elsewhere`);
    }
    fenceSuspects(b);
  };

  /** Runs the fence command for every suspect node (once per suspicion). Checked every 100 ms
   * apart from the passes, which may be waiting on a node. */
  const fenceSuspects = (b: LivenessBook) => {
    if (o.fenceCommand) {
      for (const name of nodeNames) {
        // A command that did not confirm is tried again, at most every 2 s.
        if (b.state(name, now()) !== 'suspect' || fencing.has(name) || now() - (fenceTried.get(name) ?? -Infinity) < 2000) continue;
        fencing.add(name);
        fenceTried.set(name, now());
        void runFenceCommand(o.fenceCommand, name, o.log).then((ok) => {
          fencing.delete(name);
          if (ok && book === b && b.state(name, now()) === 'suspect') {
            b.declareLost(name, now(), 'fence-command');
            memory.delete(name);
            cache.delete(name);
            o.log(`node ${name} is lost: the fence command confirmed it is off; its replicas start elsewhere`);
            poke(`node ${name} fenced`);
          }
        });
      }
    }
  };

  // Engine events of every reachable node wake a pass.
  const following = new Map<string, AbortController>();
  const follow = (name: string, handle: ReturnType<typeof remoteNode>, key: string) => {
    const ac = new AbortController();
    following.set(`${name}|${key}`, ac);
    void (async () => {
      while (!ac.signal.aborted && !abort.signal.aborted) {
        try {
          for await (const e of handle.engine.events({ labels: { [BERTH_LABELS.node]: name } }, ac.signal)) {
            cache.get(name)?.delete(e.id);
            poke(`engine event on ${name}: ${e.action} ${e.name ?? e.id}`);
          }
        } catch {
          cache.get(name)?.clear();
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
  };
  const syncFollowers = (handles: NodeHandle[]) => {
    const want = new Set<string>();
    for (const h of handles) {
      const c = clients.get(h.name);
      if (!c || !h.deps || h.liveness === 'lost') continue;
      const k = `${h.name}|${c.key}`;
      want.add(k);
      if (!following.has(k)) follow(h.name, c.handle, c.key);
    }
    for (const [k, ac] of following) if (!want.has(k)) { ac.abort(); following.delete(k); }
  };

  const onLeading = async (t: number) => {
    const b = new LivenessBook(policy, now());
    // What the records say: those nodes count as alive from now, for one lease, until heard.
    try {
      const read = await readCibNodes();
      nodeNames = read;
      for (const name of read) {
        const rec = await records.get(name).catch(() => undefined);
        if (rec) b.heard(rec, now());
      }
    } catch (e) {
      o.log(`cannot read the node records: ${(e as Error).message}`);
    }
    memory.clear();
    cache.clear();
    lastPass = undefined;
    book = b;
    term = t;
    ledSince = now();
    firstPass = true;
    poke('leading');
  };
  const readCibNodes = async (): Promise<string[]> => {
    const { parseCib } = require('../cib/cib') as typeof import('../cib/cib');
    return readNodes(parseCib(await o.cib.read(), o.cib.where)).map((n) => n.name);
  };

  const election: Election = startElection(o.store, {
    self: o.self,
    ...(o.leaderTtlSeconds ? { ttlSeconds: o.leaderTtlSeconds } : {}),
    log: o.log,
    onChange: (t) => {
      if (t === undefined) {
        term = undefined;
        book = undefined;
        lastPass = undefined;
        for (const ac of following.values()) ac.abort();
        following.clear();
        poke('');
        return;
      }
      void onLeading(t);
    },
    now,
  });

  const fenceWatch = o.fenceCommand ? setInterval(() => { if (book && term !== undefined) fenceSuspects(book); }, 100) : undefined;
  const stopWatch = o.cib.watch?.(() => poke('CIB changed'));
  // A follower warms up what a first pass needs (the schema validator is compiled on first use),
  // so that taking over is not slowed by it.
  void readValidCib(o.cib).catch(() => {});

  const loop = async () => {
    let busy = false;
    while (!abort.signal.aborted) {
      const b = book;
      let until = o.resyncMs ?? 30_000;
      if (b) until = Math.min(until, Math.max(0, b.nextChange(nodeNames, now()) - now()));
      if (busy && !trigger.isDue) until = Math.min(until, o.busyMs ?? 500);
      if (!trigger.isDue) await trigger.sleep(until);
      if (abort.signal.aborted) break;
      trigger.take();
      busy = false;
      const lead = book;
      const t = term;
      if (!lead || t === undefined || election.term() !== t) continue;
      try {
        await settleLiveness(lead);
        let handles: NodeHandle[] = [];
        const r = await runClusterPass({
          cib: o.cib, now, memory, log: o.log, inflight,
          nodes: (names) => {
            nodeNames = [...names];
            handles = handlesFor(lead);
            return handles;
          },
          ...(o.stopTimeoutSeconds !== undefined ? { stopTimeoutSeconds: o.stopTimeoutSeconds } : {}),
        }, { apply: true, ...(lastGood ? { lastGood } : {}), cache });
        passes++;
        if (r.cib && !r.cibProblems.some((p) => p.severity === 'error')) lastGood = r.cib;
        // Orders still under way on a node: a pass follows as soon as they end.
        for (const [node, p] of inflight) void p.then(() => poke(`orders done on ${node}`));
        syncFollowers(handles);
        report(r);
        // Only while still leading in the term the pass ran in (the lead may change mid-pass).
        if (term === t) {
          const standby = new Set(r.cib ? readNodes(r.cib).filter((n) => n.standby).map((n) => n.name) : []);
          lastPass = { number: passes, result: r, at: now(), term: t, standby };
        }
        publish();
        if (firstPass) {
          firstPass = false;
          const changes = r.nodes.reduce((k, n) => k + planChanges(n.plan).length, 0);
          o.log(`first pass as leader (term ${t}) done ${now() - ledSince} ms after taking the lead: ${r.nodes.length} node${r.nodes.length === 1 ? '' : 's'} observed, ${changes} change${changes === 1 ? '' : 's'}`);
        }
        o.onPass?.(r);
        busy = r.held.length > 0 || r.nodes.some((n) => planChanges(n.plan).length > 0 || n.plan.waiting.length > 0) || r.unreachable.length > 0;
      } catch (e) {
        o.log(`pass failed: ${(e as Error).message}`);
        busy = true;
      }
    }
    stopWatch?.();
  };

  const handlesFor = (b: LivenessBook): NodeHandle[] => {
    const t = now();
    return nodeNames.map((name) => {
      const hb = b.heartbeat(name);
      const liveness = b.state(name, t);
      return { name, liveness, ...(hb && liveness !== 'lost' ? { deps: clientFor(hb) } : {}) };
    });
  };

  let lastPlacements = new Map<string, string>();
  const report = (r: ClusterPassResult) => {
    if (r.placements) {
      const moves: string[] = [];
      for (const [replica, node] of r.placements) {
        const was = lastPlacements.get(replica);
        if (was !== undefined && was !== node) moves.push(`${replica} ${was} -> ${node}`);
      }
      if (moves.length) o.log(`placement changed: ${moves.join(', ')}`);
      lastPlacements = r.placements;
    }
    const errors = r.cibProblems.filter((p) => p.severity === 'error');
    const cibKey = problemsKey(errors);
    if (cibKey !== reported.cib) {
      if (errors.length) {
        o.log(`the CIB from ${o.cib.where} is invalid and is not applied${r.usedLastGood ? '; the last good CIB stays in force' : ''}:`);
        for (const p of errors) o.log(`  [${p.code}] ${p.message}`);
      } else o.log('the CIB is valid again');
    }
    const problems = [...r.problems, ...r.nodes.flatMap((n) => [...n.plan.problems, ...(n.applied?.problems ?? [])])];
    const pKey = problemsKey(problems);
    if (pKey !== reported.problems) for (const p of problems) o.log(`problem [${p.code}]: ${p.message}`);
    const heldKey = r.held.map((h) => h.message).join('|');
    if (heldKey !== reported.held) for (const h of r.held) o.log(h.message);
    const uKey = r.unreachable.map((u) => `${u.node}:${u.message}`).join('|');
    if (uKey !== reported.unreachable) for (const u of r.unreachable) o.log(`node ${u.node} cannot be observed: ${u.message}`);
    reported = { cib: cibKey, problems: pKey, held: heldKey, unreachable: uKey };
  };

  const status = () => {
    const b = book;
    const t = now();
    return {
      controller: o.self,
      leading: term !== undefined,
      term: term ?? null,
      leader: election.leader() ?? null,
      passes,
      nodes: b ? nodeNames.map((name) => ({ name, liveness: b.state(name, t), standby: lastPass?.standby.has(name) ?? false, url: b.heartbeat(name)?.url ?? null, lostBy: b.lostBy(name) ?? null })) : [],
    };
  };

  const done = loop();
  return {
    done,
    term: () => term,
    get passes() { return passes; },
    url: heartbeats.url,
    poke,
    stop: async () => {
      abort.abort();
      trigger.interrupt();
      for (const ac of following.values()) ac.abort();
      await done;
      clearInterval(publisher);
      if (fenceWatch) clearInterval(fenceWatch);
      await election.stop();
      await heartbeats.close();
      await o.cib.close?.();
    },
  };
}
