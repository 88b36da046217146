// Who is alive, as the leading controller sees it. Pure: times are arguments. A node's lease runs
// `leaseMs` from the last heartbeat this controller received or confirmed in the shared record;
// the agent measures the same lease from when it sent that heartbeat, so it always ends there
// first (and the agent has fenced itself by then). An ended lease is confirmed against the shared
// record before the node is declared lost: another controller may have taken a newer heartbeat.

export interface LivenessPolicy {
  /** how long a granted heartbeat keeps a node alive */
  leaseMs: number;
  /** how often agents send heartbeats */
  heartbeatMs: number;
  /** the agent starts fencing itself this long before its lease ends */
  fenceMarginMs: number;
  /** silence after which a configured fence command is run */
  suspectMs: number;
}

/** Defaults: a node is declared lost 2 s after its last heartbeat (6 missed), fences itself after
 * 1.4 s of silence, and is fenced by a configured command after 1 s. */
export const DEFAULT_LIVENESS: LivenessPolicy = { leaseMs: 2000, heartbeatMs: 300, fenceMarginMs: 600, suspectMs: 1000 };

/** The heartbeat intervals `berth controller --heartbeat-interval` takes, ms. */
export const HEARTBEAT_RANGE_MS = { min: 100, max: 10_000 } as const;

/** The policy for heartbeats every `heartbeatMs`: the lease, the fence margin and suspicion
 * scale with it as the defaults stand to 300 ms (a lease of 6.7 heartbeats, fencing 2 heartbeats
 * before its end), so a large cluster with fewer heartbeats keeps the same margins in heartbeats. */
export function livenessFor(heartbeatMs: number): LivenessPolicy {
  const scale = heartbeatMs / DEFAULT_LIVENESS.heartbeatMs;
  return {
    heartbeatMs,
    leaseMs: Math.round(DEFAULT_LIVENESS.leaseMs * scale),
    fenceMarginMs: Math.round(DEFAULT_LIVENESS.fenceMarginMs * scale),
    suspectMs: Math.round(DEFAULT_LIVENESS.suspectMs * scale),
  };
}

/** A heartbeat as the agent sends it and the shared record keeps it. */
export interface Heartbeat {
  node: string;
  /** the agent's URL for orders */
  url: string;
  /** grows with every heartbeat of one agent process */
  seq: number;
  /** one per agent process start: a new incarnation restarts seq */
  incarnation: string;
  /** the agent's state dir (where hosts files live on that node) */
  stateDir?: string;
  /** the node's Pacemaker key (replicas that run pacemaker-remoted mount it) */
  remoteKey?: string;
  /** why the agent cannot record its lease (src/agent/lease-record.ts), while it cannot: a
   * restart of it would stop the node's replicas; `cluster status` says so */
  leaseUnrecorded?: string;
  /** in the shared record only: the lease the controller that recorded it granted (controllers
   * with different heartbeat intervals grant different leases; the leader honours the longer) */
  leaseMs?: number;
}

export type Liveness = 'alive' | 'suspect' | 'lost' | 'unknown';

interface Entry {
  hb?: Heartbeat;
  /** the lease this heartbeat holds: this controller's, or a longer one another granted */
  leaseMs?: number;
  /** when this controller last received or confirmed a newer heartbeat */
  lastSeen?: number;
  lostAt?: number;
  /** why it is lost: 'lease' or 'fence-command' */
  lostBy?: 'lease' | 'fence-command';
}

const newer = (a: Heartbeat, b: Heartbeat | undefined) => !b || a.incarnation !== b.incarnation || a.seq > b.seq;

export class LivenessBook {
  private readonly entries = new Map<string, Entry>();

  /** `since`: when this controller started leading; nodes not heard from since are unknown until
   * a lease has passed, and lost after that (any lease they held has ended). */
  constructor(readonly policy: LivenessPolicy, readonly since: number) {}

  /** A heartbeat received (or found newer in the shared record) at `at`. Returns true when the
   * node was lost and comes back. */
  heard(hb: Heartbeat, at: number): boolean {
    const e = this.entries.get(hb.node) ?? {};
    if (!newer(hb, e.hb)) {
      // The same heartbeat, recorded by a controller that granted a longer lease: it holds longer.
      if (e.hb && e.lostAt === undefined && (hb.leaseMs ?? 0) > this.leaseOf(e)) e.leaseMs = hb.leaseMs;
      return false;
    }
    const back = e.lostAt !== undefined;
    this.entries.set(hb.node, { hb, lastSeen: at, ...((hb.leaseMs ?? 0) > this.policy.leaseMs ? { leaseMs: hb.leaseMs } : {}) });
    return back;
  }

  /** The lease `node`'s last heartbeat holds. */
  leaseMs(node: string): number {
    return this.leaseOf(this.entries.get(node) ?? {});
  }

  private leaseOf(e: Entry): number {
    return Math.max(this.policy.leaseMs, e.leaseMs ?? 0);
  }

  heartbeat(node: string): Heartbeat | undefined {
    return this.entries.get(node)?.hb;
  }

  state(node: string, now: number): Liveness {
    const e = this.entries.get(node);
    if (e?.lostAt !== undefined) return 'lost';
    if (e?.lastSeen === undefined) return now - this.since >= this.policy.leaseMs ? 'lost' : 'unknown';
    const silent = now - e.lastSeen;
    if (silent <= this.policy.suspectMs) return 'alive';
    return 'suspect';
  }

  /** Nodes (of `names`) whose lease has ended but that are not yet declared lost: confirm each
   * against the shared record, then `declareLost` or `heard`. */
  expired(names: readonly string[], now: number): string[] {
    return names.filter((n) => {
      const e = this.entries.get(n);
      return e?.lastSeen !== undefined && e.lostAt === undefined && now - e.lastSeen > this.leaseOf(e);
    });
  }

  declareLost(node: string, at: number, by: 'lease' | 'fence-command'): void {
    const e = this.entries.get(node) ?? {};
    this.entries.set(node, { ...e, lostAt: at, lostBy: by });
  }

  lostBy(node: string): 'lease' | 'fence-command' | undefined {
    return this.entries.get(node)?.lostBy;
  }

  /** When the next state change can happen without a heartbeat (a lease or suspicion ends). */
  nextChange(names: readonly string[], now: number): number {
    let next = Infinity;
    for (const n of names) {
      const e = this.entries.get(n);
      if (e?.lostAt !== undefined) continue;
      if (e?.lastSeen === undefined) {
        if (now - this.since < this.policy.leaseMs) next = Math.min(next, this.since + this.policy.leaseMs);
        continue;
      }
      // An ended lease not yet declared is due now.
      const expiry = e.lastSeen + this.leaseOf(e) + 1;
      if (expiry <= now) return now;
      for (const t of [e.lastSeen + this.policy.suspectMs, expiry]) if (t > now) next = Math.min(next, t);
    }
    return next;
  }
}
