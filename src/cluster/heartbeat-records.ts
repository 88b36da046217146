// The shared record of each node's last heartbeat. Every controller that takes a heartbeat writes
// it here before granting it, so the leader, before it declares a node lost, can see a heartbeat
// that another controller granted (an agent that cannot reach the leader but reaches a follower is
// alive). With etcd it is a side key per node, read linearizably; with the file store there is one
// controller, and the record is its memory.
import type { StoredCib } from '../store/store';
import type { KeyWrite, KeysCasResult } from '../store/etcd-store';
import type { Heartbeat } from './liveness';

export interface HeartbeatRecords {
  /** Records `hb` unless a newer one of the same agent process is recorded already. */
  put(hb: Heartbeat): Promise<void>;
  get(node: string): Promise<Heartbeat | undefined>;
}

export const recordKey = (node: string) => `cluster/nodes/${node}`;

function parseHeartbeat(text: string): Heartbeat | undefined {
  try {
    const v = JSON.parse(text) as Partial<Heartbeat>;
    if (typeof v.node !== 'string' || typeof v.url !== 'string' || typeof v.seq !== 'number' || typeof v.incarnation !== 'string') return undefined;
    return {
      node: v.node, url: v.url, seq: v.seq, incarnation: v.incarnation, ...(typeof v.stateDir === 'string' ? { stateDir: v.stateDir } : {}), ...(typeof v.remoteKey === 'string' ? { remoteKey: v.remoteKey } : {}),
      ...(typeof v.leaseUnrecorded === 'string' ? { leaseUnrecorded: v.leaseUnrecorded } : {}),
      ...(typeof v.leaseMs === 'number' && Number.isFinite(v.leaseMs) && v.leaseMs > 0 ? { leaseMs: v.leaseMs } : {}),
    };
  } catch {
    return undefined;
  }
}

/** The record `old` says as much as `hb`: the same agent process, as new a heartbeat or newer,
 * and as long a lease granted (a longer lease must be recorded before it is granted). */
const covers = (old: Heartbeat | undefined, hb: Heartbeat) =>
  old !== undefined && old.incarnation === hb.incarnation && (old.seq > hb.seq || (old.seq === hb.seq && (old.leaseMs ?? 0) >= (hb.leaseMs ?? 0)));

export function memoryRecords(): HeartbeatRecords {
  const m = new Map<string, Heartbeat>();
  return {
    put: async (hb) => {
      if (!covers(m.get(hb.node), hb)) m.set(hb.node, hb);
    },
    get: async (node) => m.get(node),
  };
}

/** What the records need of a store: side keys, and several swapped in one request. */
export interface RecordStore {
  readKey(key: string): Promise<StoredCib>;
  compareAndSwapKeys(writes: readonly KeyWrite[]): Promise<KeysCasResult>;
}

/** The most records written in one transaction (etcd's default `--max-txn-ops` is 128). */
export const MAX_GROUP = 64;

interface Waiting { hb: Heartbeat; done: () => void; failed: (e: Error) => void }

const isRecorded = (cur: StoredCib | undefined, hb: Heartbeat) => covers(cur && cur.revision !== null ? parseHeartbeat(cur.text) : undefined, hb);

export function storeRecords(store: RecordStore): HeartbeatRecords {
  // A group commit: the heartbeats that arrive while one transaction is under way are recorded
  // together in the next, each put answered only once the transaction holding it has committed
  // (a grant is never answered before its record is durable). At 100 nodes agents send 333
  // heartbeats a second; one etcd write each was most of etcd's and the heartbeat process's work.
  // Each record is swapped on the revision this process last wrote or saw (no read first); a
  // record another controller changed fails the transaction, whose answer carries every record
  // as it is now, and the rest is tried again.
  const seen = new Map<string, StoredCib>();
  let queue: Waiting[] = [];
  let writing = false;

  async function commit(group: Map<string, Waiting[]>): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const newest = (list: Waiting[]) => list.reduce((a, b) => (b.hb.incarnation !== a.hb.incarnation || b.hb.seq > a.hb.seq ? b : a)).hb;
      for (const [key, list] of group) if (isRecorded(seen.get(key), newest(list))) { for (const w of list) w.done(); group.delete(key); }
      if (!group.size) return;
      const keys = [...group.keys()];
      const writes = keys.map((key) => ({ key, expected: seen.get(key)?.revision ?? null, text: JSON.stringify(newest(group.get(key)!)) }));
      const r = await store.compareAndSwapKeys(writes);
      if (r.ok) {
        writes.forEach((w) => seen.set(w.key, { text: w.text, revision: r.revision }));
        for (const list of group.values()) for (const w of list) w.done();
        return;
      }
      keys.forEach((key, i) => seen.set(key, r.current[i]));
    }
    throw new Error(`the heartbeat records of ${[...group.keys()].map((k) => k.slice(recordKey('').length)).join(', ')} keep changing under us`);
  }

  async function drain(): Promise<void> {
    writing = true;
    while (queue.length) {
      const group = new Map<string, Waiting[]>();
      let taken = 0;
      for (const w of queue) {
        const key = recordKey(w.hb.node);
        if (!group.has(key) && group.size >= MAX_GROUP) break;
        group.set(key, [...(group.get(key) ?? []), w]);
        taken++;
      }
      queue = queue.slice(taken);
      const all = [...group.values()].flat();
      await commit(group).catch((e: Error) => { for (const w of all) w.failed(e); });
    }
    writing = false;
  }

  return {
    put: (hb) => new Promise<void>((done, failed) => {
      queue.push({ hb, done, failed });
      if (!writing) void drain();
    }),
    get: async (node) => {
      const cur = await store.readKey(recordKey(node));
      return cur.revision !== null ? parseHeartbeat(cur.text) : undefined;
    },
  };
}
