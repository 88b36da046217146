// The shared record of each node's last heartbeat. Every controller that takes a heartbeat writes
// it here before granting it, so the leader, before it declares a node lost, can see a heartbeat
// that another controller granted (an agent that cannot reach the leader but reaches a follower is
// alive). With etcd it is a side key per node, read linearizably; with the file store there is one
// controller, and the record is its memory.
import type { CibStore, StoredCib } from '../store/store';
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
    return { node: v.node, url: v.url, seq: v.seq, incarnation: v.incarnation, ...(typeof v.stateDir === 'string' ? { stateDir: v.stateDir } : {}), ...(typeof v.remoteKey === 'string' ? { remoteKey: v.remoteKey } : {}) };
  } catch {
    return undefined;
  }
}

export function memoryRecords(): HeartbeatRecords {
  const m = new Map<string, Heartbeat>();
  return {
    put: async (hb) => {
      const cur = m.get(hb.node);
      if (!cur || cur.incarnation !== hb.incarnation || hb.seq > cur.seq) m.set(hb.node, hb);
    },
    get: async (node) => m.get(node),
  };
}

export function storeRecords(store: CibStore): HeartbeatRecords {
  // Each record as this process last wrote or saw it: the next heartbeat of the node is one
  // compare-and-swap on that revision, not a read and then a swap (every heartbeat of every node
  // passes here: two etcd requests each made etcd the bottleneck at 100 nodes). A record another
  // controller changed fails the swap, whose answer is the record as it is now.
  const seen = new Map<string, StoredCib>();
  return {
    put: async (hb) => {
      const key = recordKey(hb.node);
      let cur = seen.get(key) ?? (await store.readKey(key));
      for (let attempt = 0; attempt < 5; attempt++) {
        const old = cur.revision !== null ? parseHeartbeat(cur.text) : undefined;
        if (old && old.incarnation === hb.incarnation && old.seq >= hb.seq) return;
        const text = JSON.stringify(hb);
        const r = await store.compareAndSwapKey(key, cur.revision, text);
        if (r.ok) {
          seen.set(key, { text, revision: r.revision });
          return;
        }
        cur = r.current;
        seen.set(key, cur);
      }
      throw new Error(`the heartbeat record of node ${hb.node} keeps changing under us`);
    },
    get: async (node) => {
      const cur = await store.readKey(recordKey(node));
      return cur.revision !== null ? parseHeartbeat(cur.text) : undefined;
    },
  };
}
