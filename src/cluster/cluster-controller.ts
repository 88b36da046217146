// `berth controller --listen`: a controller of a cluster. Every controller takes heartbeats from
// the agents (and records them in the store before granting them); the one that leads also runs
// the passes. Level-triggered like the single-node controller: wake-ups (CIB change, a node's
// engine event, a node joining, lost or back, the resync timer, work waiting) only mark a pass as
// due, and each pass compares everything.
import { Cib, parseCib } from '../cib/cib';
import type { CibStore } from '../store/store';
import { BerthError, problem } from '../errors/registry';
import type { ContainerRun } from '../reconcile/observed';
import { planChanges } from '../reconcile/plan';
import { ClusterStatus, clusterStatus } from '../reconcile/status';
import { readNodes } from '../model/nodes';
import { DEFAULT_STATE_DIR } from '../controller/node-files';
import { CibSource, NodeHandle, PassMemo, PassResult, readValidCib, runPass } from '../controller/pass';
import { loopOutcome } from '../controller/daemon';
import { followEvents } from '../controller/follow';
import { startLoop } from '../controller/loop';
import { PassReporter } from '../controller/report';
import { remoteNode } from '../agent/client';
import type { HeartbeatRecords } from './heartbeat-records';
import { startHeartbeatService } from './heartbeat-service';
import { CLEANUP_PATH, FAILCOUNTS_PATH, FailuresBody, LeaderAnswer, parseFailuresBody } from './controller-server';
import { CleanupAnswer, LedgerNode, cibNodeNames, cleanupFailures, readFailcounts, requireKnownNode } from '../controller/failures';
import { DEFAULT_LIVENESS, Heartbeat, LivenessBook, LivenessPolicy } from './liveness';
import { Election, LeaderInfo, startElection } from './leader';
import { runFenceCommand } from './fence';
import { monotonicMs } from './monotonic-clock';

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
  onPass?: (r: PassResult) => void;
  /** the status page's address (src/ui), told by `cluster status` to `berth ui` */
  pageUrl?: string;
  /** after each pass and every half second: what this controller knows now (the status page) */
  onState?: (s: ControllerState) => void;
  /** a test's clock for everything (default: monotonicMs for liveness and deadlines, the wall
   * clock for the pass and for display) */
  now?: () => number;
}

/** What the controller knows at a moment: the membership `cluster status` shows and its last pass. */
export interface ControllerState {
  cluster: string;
  membership: ControllerMembership;
  /** the last pass of this term while this controller leads: `key` changes when it or its
   * applies end; `status` is its view as `cluster status` shows it (made once per key, shared) */
  pass?: { number: number; at: number; key: string; result: PassResult; status: () => ClusterStatus };
}

export interface ControllerMembership {
  controller: LeaderInfo;
  leading: boolean;
  term: number | null;
  leader: LeaderInfo | null;
  passes: number;
  /** how long the last pass of this term took, ms (null before the first) */
  lastPassMs: number | null;
  ui: string | null;
  nodes: { name: string; liveness: string; standby: boolean; url: string | null; lostBy: string | null; leaseUnrecorded?: string }[];
}

export interface ClusterController {
  done: Promise<void>;
  /** the term while this controller leads */
  term(): number | undefined;
  readonly passes: number;
  readonly url: string;
  poke(why: string): void;
  /** `resource cleanup` over every node's ledger, as asked of the leader (/v1/cleanup) */
  cleanup(req: FailuresBody): Promise<CleanupAnswer>;
  stop(): Promise<void>;
}


export async function startClusterController(o: ClusterControllerOptions): Promise<ClusterController> {
  // Liveness, leases and the loop's deadlines on the monotonic clock; the pass (CIB times: rule
  // dates, failure-timeout) and what is shown on the wall clock. A test's clock drives both.
  const now = o.now ?? monotonicMs;
  const wallNow = o.now ?? (() => Date.now());
  const policy = o.liveness ?? DEFAULT_LIVENESS;
  const clusterId = await o.cib.clusterId();
  const abort = new AbortController();
  let book: LivenessBook | undefined;
  let term: number | undefined;
  let passes = 0;
  let lastPassMs: number | null = null;
  // The loop is made below; wake-ups before it exists are not lost (the first pass is due anyway).
  let poke = (why: string) => { void why; };
  let urgent = (why: string) => { void why; };

  // ---- heartbeats: taken by every controller, in a process of their own ----
  const heartbeats = await startHeartbeatService({
    host: o.listen.host, port: o.listen.port, key: o.key, policy, storeUrl: o.store.url, cluster: clusterId, log: o.log,
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
    const membership = status();
    heartbeats.setStatus(membership);
    if (o.onState) {
      const p = term !== undefined && lastPass && lastPass.term === term ? lastPass : undefined;
      const k = p && viewKey(p);
      // What watches the controller never stops it.
      try {
        o.onState({ cluster: clusterId, membership, ...(p && k ? { pass: { number: p.number, at: p.at, key: k, result: p.result, status: () => viewOf(p, k) } } : {}) });
      } catch (e) {
        o.log(`status page: ${(e as Error).stack ?? (e as Error).message}`);
      }
    }
  };
  // The bundles and replicas as the last pass saw them, while this controller leads: made when
  // `cluster status` (or the status page) asks (a large cluster's view is megabytes), and kept
  // until another pass ends or applies of the last one end after it did.
  let view: { key: string; value: ClusterStatus & { at: string; term: number } } | undefined;
  const viewKey = (p: NonNullable<typeof lastPass>) => `${p.term}/${p.number}/${p.result.nodes.filter((n) => n.applied).length}`;
  const viewOf = (p: NonNullable<typeof lastPass>, key: string) => {
    if (view?.key !== key) view = { key, value: { at: new Date(p.at).toISOString(), term: p.term, ...clusterStatus(p.result, p.at) } };
    return view.value;
  };
  heartbeats.setClusterView(() => {
    if (term === undefined || !lastPass || lastPass.term !== term) return null;
    return viewOf(lastPass, viewKey(lastPass));
  });
  const publisher = setInterval(publish, 500);

  // ---- leading ----
  const clients = new Map<string, { key: string; handle: ReturnType<typeof remoteNode> }>();
  // One client per agent start: its requests are signed for that incarnation, so none of them
  // can be carried out by the agent after a restart, nor by another node.
  const clientFor = (hb: Heartbeat) => {
    const k = `${hb.url}|${hb.incarnation}`;
    const c = clients.get(hb.node);
    if (c && c.key === k) return c.handle;
    c?.handle.close();
    const handle = remoteNode({ url: hb.url, key: o.key, term: () => (term !== undefined && election.term() === term ? term : 0), node: hb.node, incarnation: hb.incarnation, stateDir: hb.stateDir ?? DEFAULT_STATE_DIR, ...(hb.remoteKey ? { remoteKey: hb.remoteKey } : {}), timeoutMs: 10_000 });
    clients.set(hb.node, { key: k, handle });
    return handle;
  };
  const memory = new Map<string, Set<string>>();
  const inflight = new Map<string, Promise<void>>();
  const memo: PassMemo = {};
  const cache = new Map<string, Map<string, ContainerRun>>();
  const fencing = new Set<string>();
  const fenceTried = new Map<string, number>();
  let lastGood: Cib | undefined;
  let nodeNames: string[] = [];
  const reporter = new PassReporter(o.log, o.cib.where);
  let ledSince = 0;
  /** the last pass of this term, for `cluster status` */
  let lastPass: { number: number; result: PassResult; at: number; term: number; standby: ReadonlySet<string> } | undefined;
  let firstPass = false;

  /** Says a node is lost, and forgets what it ran (its replicas may start elsewhere now). */
  const declared = (name: string, why: string) => {
    const p = problem('NODE_LOST', { path: name, message: `node ${name} is lost: ${why}` });
    o.log(`[${p.code}] ${p.message}`);
    // What it was last seen running or ordered to create (a pass that found it silent may have
    // placed those elsewhere already, held).
    const replicas = [...(memory.get(name) ?? [])];
    if (replicas.length) awaitingPlace.set(name, { at: now(), replicas });
    memory.delete(name);
    cache.delete(name);
  };
  /** nodes declared lost whose replicas no pass has placed elsewhere yet: when, and which */
  const awaitingPlace = new Map<string, { at: number; replicas: string[] }>();
  /** Says when the first pass that started after a node was declared lost placed its replicas and
   * sent its orders (the goal "node lost -> replicas placed" is measured by this line). */
  const reportPlaced = (r: PassResult, passNumber: number, startedAt: number) => {
    for (const [name, a] of awaitingPlace) {
      if (startedAt < a.at || !r.placements || !r.offline.some((x) => x.node === name)) continue;
      awaitingPlace.delete(name);
      const placed = a.replicas.filter((x) => { const to = r.placements!.get(x); return to !== undefined && to !== name; }).length;
      const t = r.timings;
      const sent = t ? startedAt + (t.ordersSent ?? t.ended) - a.at : NaN;
      const steps = t ? `model ${t.model}, observed ${t.observed}${t.kept !== undefined ? `, kept answer checked ${t.kept}` : ''}${t.placed !== undefined ? `, placed ${t.placed}` : ''}${t.planned !== undefined ? `, planned ${t.planned}` : ''}${t.ordersSent !== undefined ? `, orders sent ${t.ordersSent}` : ''}, ended ${t.ended} ms` : '';
      const seen = `${r.nodes.length} node${r.nodes.length === 1 ? '' : 's'} observed, ${r.unchanged ?? 0} of them unchanged since their last observation`;
      o.log(`node ${name}'s replicas placed: ${placed} of ${a.replicas.length} elsewhere by pass ${passNumber}, its orders sent ${sent} ms after the declaration (the pass started ${startedAt - a.at} ms after it; ${steps}; ${seen})`);
    }
  };

  /** Settles suspicions: an ended lease is checked against the shared record, then declared, and
   * a pass is due at once. Run by the lease watch (every 100 ms, apart from the passes: a pass
   * over a large cluster takes seconds, and the node's replicas wait for the declaration) and at
   * the start of each pass; one at a time. */
  let settling: Promise<void> | undefined;
  const settle = (b: LivenessBook): Promise<void> => (settling ??= settleLiveness(b).finally(() => { settling = undefined; }));
  const settleLiveness = async (b: LivenessBook) => {
    const t = now();
    for (const name of b.expired(nodeNames, t)) {
      const rec = await records.get(name).catch(() => undefined);
      // A newer heartbeat another controller granted, or the same one granted a longer lease
      // there (a controller with a longer --heartbeat-interval): the node is not lost yet.
      if (rec) b.heard(rec, now());
      if (!b.expired([name], t).length || book !== b) continue;
      b.declareLost(name, t, 'lease');
      declared(name, `no heartbeat for ${b.leaseMs(name)} ms; its lease has ended, so it has fenced itself and its replicas start elsewhere`);
      urgent(`node ${name} lost`);
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
            declared(name, 'the fence command confirmed it is off; its replicas start elsewhere');
            poke(`node ${name} fenced`);
          }
        });
      }
    }
  };

  // Engine events of every reachable node wake a pass.
  const following = new Map<string, AbortController>();
  /** engine events received by each follow (node|agent start), the stream's ends counted too: a
   * pass gives a node's last observation again only while none came since (pass.ts) */
  const eventsSeen = new Map<string, number>();
  const follow = (name: string, handle: ReturnType<typeof remoteNode>, key: string) => {
    const ac = new AbortController();
    const k = `${name}|${key}`;
    following.set(k, ac);
    eventsSeen.set(k, 0);
    const nodeCache = cache.get(name) ?? cache.set(name, new Map()).get(name)!;
    followEvents(name, handle, { signal: AbortSignal.any([ac.signal, abort.signal]), cache: nodeCache, onEvent: (why) => { eventsSeen.set(k, (eventsSeen.get(k) ?? 0) + 1); poke(why); } });
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
    for (const [k, ac] of following) if (!want.has(k)) { ac.abort(); following.delete(k); eventsSeen.delete(k); }
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
    // The lead may have ended while the records were read (a lease granted just before it ran
    // out, on a slow machine): taking it now would report this controller leading in a term it
    // no longer holds, beside the real leader (found by the chaos run: two controllers naming
    // themselves).
    if (election.term() !== t) return;
    memory.clear();
    cache.clear();
    awaitingPlace.clear();
    // Event counts start again with the new follows: no observation of another term is given again.
    memo.observations = undefined;
    lastPass = undefined;
    lastPassMs = null;
    book = b;
    term = t;
    ledSince = now();
    firstPass = true;
    poke('leading');
  };
  const readCibNodes = async (): Promise<string[]> => {
    return readNodes(parseCib(await o.cib.read(), o.cib.where)).map((n) => n.name);
  };

  const election: Election = startElection(o.store, {
    self: o.self,
    ...(o.leaderTtlSeconds ? { ttlSeconds: o.leaderTtlSeconds } : {}),
    ...(heartbeats.leaseKeeper ? { keeper: heartbeats.leaseKeeper } : {}),
    log: o.log,
    onChange: (t) => {
      if (t === undefined) {
        term = undefined;
        book = undefined;
        lastPass = undefined;
        lastPassMs = null;
        for (const ac of following.values()) ac.abort();
        following.clear();
        eventsSeen.clear();
        poke('');
        return;
      }
      void onLeading(t);
    },
    now,
  });

  // Leases that end are declared, and suspects fenced, apart from the passes.
  const leaseWatch = setInterval(() => {
    const b = book;
    if (!b || term === undefined) return;
    if (b.expired(nodeNames, now()).length) void settle(b).catch((e: Error) => o.log(`lease watch: ${e.message}`));
    else fenceSuspects(b);
  }, 100);
  const stopWatch = o.cib.watch?.(() => poke('CIB changed'));
  // A follower warms up what a first pass needs (the schema validator is compiled on first use),
  // so that taking over is not slowed by it.
  void readValidCib(o.cib).catch(() => {});

  const loop = startLoop({
    now,
    log: o.log,
    ...(o.resyncMs !== undefined ? { resyncMs: o.resyncMs } : {}),
    busyMs: o.busyMs ?? 500,
    // A pass that failed is tried again soon, not after a growing pause: failover must not wait.
    backoffMs: o.busyMs ?? 500,
    maxBackoffMs: o.busyMs ?? 500,
    nextWake: () => (book ? book.nextChange(nodeNames, now()) : Infinity),
    pass: async () => {
      const lead = book;
      const t = term;
      if (!lead || t === undefined || election.term() !== t) return { busy: false };
      const started = now();
      await settle(lead);
      const passStarted = now();
      let handles: NodeHandle[] = [];
      const r = await runPass({
        cib: o.cib, now: wallNow, memory, log: o.log, inflight, memo,
        nodes: (names) => {
          nodeNames = [...names];
          handles = handlesFor(lead);
          return handles;
        },
        ...(o.stopTimeoutSeconds !== undefined ? { stopTimeoutSeconds: o.stopTimeoutSeconds } : {}),
      }, { apply: true, ...(lastGood ? { lastGood } : {}), cache });
      passes++;
      lastPassMs = now() - started;
      if (r.cib && !r.cibProblems.some((p) => p.severity === 'error')) lastGood = r.cib;
      // Orders still under way on a node: a pass follows as soon as they end.
      for (const [node, p] of inflight) void p.then(() => poke(`orders done on ${node}`));
      // The engine events of the nodes are followed only while still leading in this pass's term:
      // a pass that ends after the lead was lost (a store that stopped answering) opened streams
      // again with no term, and every agent refused them once a second until the next lead (the
      // chaos run counted them).
      if (term === t && election.term() === t) syncFollowers(handles);
      reporter.report(r);
      if (term === t) reportPlaced(r, passes, passStarted);
      // Only while still leading in the term the pass ran in (the lead may change mid-pass).
      if (term === t) lastPass = { number: passes, result: r, at: wallNow(), term: t, standby: new Set(r.model?.nodes.filter((n) => n.standby).map((n) => n.name) ?? []) };
      publish();
      if (firstPass) {
        firstPass = false;
        const changes = r.nodes.reduce((k, n) => k + planChanges(n.plan).length, 0);
        o.log(`first pass as leader (term ${t}) done ${now() - ledSince} ms after taking the lead: ${r.nodes.length} node${r.nodes.length === 1 ? '' : 's'} observed, ${changes} change${changes === 1 ? '' : 's'}`);
      }
      o.onPass?.(r);
      return { ...loopOutcome(r), retry: false };
    },
  });
  poke = (why: string) => loop.poke(why);
  urgent = (why: string) => loop.urgent(why);

  const handlesFor = (b: LivenessBook): NodeHandle[] => {
    const t = now();
    return nodeNames.map((name) => {
      const hb = b.heartbeat(name);
      const liveness = b.state(name, t);
      if (!hb || liveness === 'lost') return { name, liveness };
      const deps = clientFor(hb);
      const events = eventsSeen.get(`${name}|${clients.get(name)?.key}`);
      return { name, liveness, deps, ...(events !== undefined ? { events } : {}) };
    });
  };

  // `resource failcount show` / `resource cleanup` against the cluster: the leader reaches every
  // node's ledger through its agent (writes carry its term), and a cleanup wakes a pass at once.
  const ledgerNodes = (b: LivenessBook, names: readonly string[]): LedgerNode[] => {
    const t = now();
    return names.map((name) => {
      const hb = b.heartbeat(name);
      const liveness = b.state(name, t);
      if (!hb || liveness === 'lost' || liveness === 'unknown') return { name, why: liveness === 'lost' ? `lost${b.lostBy(name) ? ` (by ${b.lostBy(name)})` : ''}` : 'not heard from yet' };
      if (liveness === 'suspect') return { name, why: 'no heartbeat for a while (suspect)' };
      return { name, files: clientFor(hb).files };
    });
  };
  const answerFailures = async (path: string, req: FailuresBody): Promise<LeaderAnswer<unknown>> => {
    const b = book;
    const t = term;
    if (!b || t === undefined || election.term() !== t) return { leading: false, leader: election.leader() ?? null };
    const cluster = await o.cib.clusterId();
    try {
      const cib = parseCib(await o.cib.read(), o.cib.where);
      const nodes = ledgerNodes(b, cibNodeNames(cib));
      if (path === FAILCOUNTS_PATH) return { leading: true, cluster, problems: [], result: await readFailcounts(cib, cluster, nodes, req) };
      if (path !== CLEANUP_PATH) throw Object.assign(new Error(`no such request: ${path}`), { code: 'AGENT_BAD_MESSAGE', status: 404 });
      requireKnownNode(nodes, req.node);
      const result = await cleanupFailures(cib, cluster, nodes, req);
      if (result.cleaned.length) {
        o.log(`resource cleanup: ${result.lines.join('; ')}`);
        poke('resource cleanup');
      }
      return { leading: true, cluster, problems: [], result };
    } catch (e) {
      if (e instanceof BerthError) return { leading: true, cluster, problems: e.problems };
      throw e;
    }
  };
  heartbeats.setCall((path, body) => answerFailures(path, parseFailuresBody(body)));

  const status = (): ControllerMembership => {
    const b = book;
    const t = now();
    return {
      controller: o.self,
      leading: term !== undefined,
      term: term ?? null,
      leader: election.leader() ?? null,
      passes,
      lastPassMs,
      ui: o.pageUrl ?? null,
      nodes: b ? nodeNames.map((name) => {
        const hb = b.heartbeat(name);
        return { name, liveness: b.state(name, t), standby: lastPass?.standby.has(name) ?? false, url: hb?.url ?? null, lostBy: b.lostBy(name) ?? null, ...(hb?.leaseUnrecorded ? { leaseUnrecorded: hb.leaseUnrecorded } : {}) };
      }) : [],
    };
  };

  return {
    done: loop.done,
    term: () => term,
    get passes() { return passes; },
    url: heartbeats.url,
    poke,
    cleanup: async (req) => {
      const a = await answerFailures(CLEANUP_PATH, req);
      if (!a.leading) throw new BerthError([problem('NOT_LEADER', { path: '--controller', value: o.self.url, message: `this controller does not lead now: the leader is ${a.leader?.url ?? '(none yet)'}` })]);
      if (a.problems.length) throw new BerthError(a.problems);
      return a.result as CleanupAnswer;
    },
    stop: async () => {
      abort.abort();
      for (const ac of following.values()) ac.abort();
      await loop.stop();
      stopWatch?.();
      clearInterval(publisher);
      clearInterval(leaseWatch);
      await election.stop();
      await heartbeats.close();
      await o.cib.close?.();
    },
  };
}
