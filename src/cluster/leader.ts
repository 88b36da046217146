// Who leads. With the etcd store, controllers campaign for one side key attached to an etcd lease:
// the holder leads, and the etcd revision of its claim is its term (the fencing token agents
// check). The leader counts its lease from when it *sent* each keep-alive, so it stops leading
// before etcd lets anyone else take over. With a file store there is one controller: it leads
// at once, with a term one higher than the last one recorded in the store.
// The keep-alives are sent by a lease keeper: in this process, or in the controller's heartbeat
// process (heartbeat-service.ts), whose event loop no pass holds up. Either way each renewal
// says until when the lease holds, counted from its send time, and this process stops leading
// then unless a later renewal has reached it.
import type { CibStore } from '../store/store';
import type { EtcdStore } from '../store/etcd-store';
import { monotonicMs } from './monotonic-clock';

export const LEADER_KEY = 'cluster/leader';
export const TERM_KEY = 'cluster/term';

export interface LeaderInfo {
  id: string;
  /** where the leader takes heartbeats and status requests */
  url: string;
}

export interface Election {
  /** the term while this process leads, else undefined */
  term(): number | undefined;
  /** the current leader as last seen (this process when it leads) */
  leader(): LeaderInfo | undefined;
  stop(): Promise<void>;
}

export interface ElectionOptions {
  self: LeaderInfo;
  /** etcd lease TTL in whole seconds (etcd may raise it to its own minimum) */
  ttlSeconds?: number;
  /** how often a follower looks for a vacant leadership, ms */
  pollMs?: number;
  log: (line: string) => void;
  /** called when this process starts or stops leading */
  onChange: (term: number | undefined) => void;
  /** the clock the leader lease is counted on (default monotonicMs) */
  now?: () => number;
  /** who sends the keep-alives (default: this process, inProcessKeeper) */
  keeper?: LeaseKeeper;
}

/** Keeps an etcd lease alive: keep-alives at a third of its TTL, each answer reported as the
 * time until which the lease holds, counted from that keep-alive's send time. */
export interface LeaseKeeper {
  /** Starts keeping lease `id`; `ended` once it cannot (expired in etcd, or etcd silent past the
   * lease). Returns what stops it. */
  keep(id: string, ttlSeconds: number, renewed: (validUntil: number) => void, ended: (why: string) => void): () => void;
}

/** The keep-alives themselves, on `store` (the heartbeat process runs them on its own store).
 * Sent every quarter of the TTL whether or not the last one was answered: a slow etcd answer
 * (a second, on a loaded machine) does not delay the next keep-alive, and each answer counts from
 * its own send time. */
export function inProcessKeeper(store: Pick<EtcdStore, 'keepAlive'>, now: () => number = monotonicMs): LeaseKeeper {
  return {
    keep: (id, ttlSeconds, renewed, ended) => {
      let validUntil = now() + ttlSeconds * 1000;
      let over = false;
      const end = (why: string) => { if (!over) { over = true; clearInterval(timer); ended(why); } };
      const send = async () => {
        const t = now();
        try {
          const left = await store.keepAlive(id);
          if (over) return;
          if (left <= 0) { end('the leader lease expired in etcd'); return; }
          if (t + left * 1000 > validUntil) { validUntil = t + left * 1000; renewed(validUntil); }
        } catch (e) {
          if (!over && now() >= validUntil) end(`etcd does not answer: ${(e as Error).message}`);
        }
      };
      const timer = setInterval(() => { void send(); }, Math.max(100, (ttlSeconds * 1000) / 4));
      return () => { over = true; clearInterval(timer); };
    },
  };
}

/** how long a leader whose lease ran out while its loop was held looks for a renewal waiting to be read */
const LATE_RENEWAL_MS = 300;

const isEtcd = (s: CibStore): s is EtcdStore => typeof (s as Partial<EtcdStore>).campaign === 'function';

export function startElection(store: CibStore, o: ElectionOptions): Election {
  return isEtcd(store) ? etcdElection(store, o) : soleLeader(store, o);
}

const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  const done = () => { clearTimeout(t); signal.removeEventListener('abort', done); resolve(); };
  const t = setTimeout(done, ms);
  signal.addEventListener('abort', done, { once: true });
});

function parseLeader(text: string): LeaderInfo | undefined {
  try {
    const v = JSON.parse(text) as Partial<LeaderInfo>;
    return typeof v.id === 'string' && typeof v.url === 'string' ? { id: v.id, url: v.url } : undefined;
  } catch {
    return undefined;
  }
}

/** The file store: this process is the only controller. The term still grows with every start,
 * so agents refuse orders from a controller process that was replaced. */
function soleLeader(store: CibStore, o: ElectionOptions): Election {
  let term: number | undefined;
  const abort = new AbortController();
  void (async () => {
    while (!abort.signal.aborted) {
      try {
        const cur = await store.readKey(TERM_KEY);
        const next = (Number(cur.text) || 0) + 1;
        const r = await store.compareAndSwapKey(TERM_KEY, cur.revision, String(next));
        if (!r.ok) continue;
        term = next;
        o.log(`leading with term ${term} (single controller on ${store.url})`);
        o.onChange(term);
        return;
      } catch (e) {
        o.log(`cannot record the term in ${store.url}: ${(e as Error).message}; retrying`);
        await sleep(1000, abort.signal);
      }
    }
  })();
  return {
    term: () => term,
    leader: () => (term !== undefined ? o.self : undefined),
    stop: async () => { abort.abort(); },
  };
}

function etcdElection(store: EtcdStore, o: ElectionOptions): Election {
  const now = o.now ?? monotonicMs;
  const ttl = o.ttlSeconds ?? 2;
  const pollMs = o.pollMs ?? 200;
  const abort = new AbortController();
  let term: number | undefined;
  let validUntil = 0;
  let leader: LeaderInfo | undefined;
  let leaseId: string | undefined;
  let stepDownTimer: NodeJS.Timeout | undefined;

  const stepDown = (why: string) => {
    if (stepDownTimer) clearTimeout(stepDownTimer);
    stepDownTimer = undefined;
    if (term === undefined) return;
    o.log(`no longer leading (term ${term}): ${why}`);
    term = undefined;
    leader = undefined;
    endLead?.();
    o.onChange(undefined);
  };
  /** Leadership ends by the clock, even if a keep-alive call hangs. */
  const armStepDown = () => {
    if (stepDownTimer) clearTimeout(stepDownTimer);
    // When the timer comes late (the loop was held), renewals may be waiting to be read behind
    // other messages (a held loop reads a backlog a chunk per turn): look again for up to
    // LATE_RENEWAL_MS before stepping down. term() says no meanwhile, by the clock.
    const check = (giveUpAt: number) => {
      if (now() < validUntil) { if (term !== undefined) armStepDown(); return; }
      if (now() >= giveUpAt) stepDown('the leader lease ran out before it could be renewed');
      else stepDownTimer = setTimeout(() => check(giveUpAt), 10);
    };
    stepDownTimer = setTimeout(() => check(now() + LATE_RENEWAL_MS), Math.max(0, validUntil - now()));
  };

  const keeper = o.keeper ?? inProcessKeeper(store, now);
  let endLead: (() => void) | undefined;
  /** Leads until stepped down; validity is counted from each keep-alive's send time. */
  const lead = (id: string, sentAt: number, ttlGranted: number) => new Promise<void>((resolve) => {
    validUntil = sentAt + ttlGranted * 1000;
    armStepDown();
    let stopKeeping = () => {};
    endLead = () => { endLead = undefined; stopKeeping(); resolve(); };
    stopKeeping = keeper.keep(id, ttlGranted, (until) => {
      if (term === undefined || leaseId !== id) return;
      validUntil = Math.max(validUntil, until);
      armStepDown();
    }, (why) => { if (leaseId === id) stepDown(why); });
    if (term === undefined || abort.signal.aborted) endLead();
  });

  void (async () => {
    while (!abort.signal.aborted) {
      try {
        const sentAt = now();
        leaseId = await store.grantLease(ttl);
        const r = await store.campaign(LEADER_KEY, JSON.stringify(o.self), leaseId);
        if (r.ok) {
          term = Number(r.revision);
          leader = o.self;
          o.log(`leading with term ${term} (etcd lease ${leaseId}, TTL ${ttl} s)`);
          o.onChange(term);
          await lead(leaseId, sentAt, ttl);
          continue;
        }
        await store.revoke(leaseId).catch(() => {});
        leaseId = undefined;
        leader = parseLeader(r.current.text);
        // Follow: look again until the leadership is vacant (the leader's lease ended).
        while (!abort.signal.aborted) {
          await sleep(pollMs, abort.signal);
          const cur = await store.readKey(LEADER_KEY);
          if (cur.revision === null) break;
          leader = parseLeader(cur.text);
        }
      } catch (e) {
        if (abort.signal.aborted) break;
        stepDown(`etcd: ${(e as Error).message}`);
        o.log(`election: ${(e as Error).message}; retrying`);
        await sleep(500, abort.signal);
      }
    }
  })();

  return {
    term: () => (term !== undefined && now() < validUntil ? term : undefined),
    leader: () => leader,
    stop: async () => {
      abort.abort();
      const id = leaseId;
      stepDown('stopping');
      // Resign at once, so a follower need not wait for the lease to run out.
      if (id) await store.revoke(id).catch(() => {});
    },
  };
}
