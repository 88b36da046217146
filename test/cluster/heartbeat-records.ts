// The shared heartbeat records in a store (heartbeat-records.ts storeRecords): a newer heartbeat
// of the same agent is never overwritten by an older one, whoever wrote it; heartbeats that arrive
// while a write is under way are recorded together in the next (a group commit), and none is
// answered before the transaction holding it has committed.
import t from 'tap';
import type { StoredCib } from '../../src/store/store';
import type { KeyWrite, KeysCasResult } from '../../src/store/etcd-store';
import { MAX_GROUP, RecordStore, recordKey, storeRecords } from '../../src/cluster/heartbeat-records';
import type { Heartbeat } from '../../src/cluster/liveness';

/** Keys with revisions, as etcd keeps them, counting the requests; `hold` makes each transaction
 * wait until the test lets it through. */
function keyStore(o: { hold?: boolean } = {}) {
  const keys = new Map<string, StoredCib>();
  let rev = 0;
  const calls = { read: 0, txn: 0, sizes: [] as number[] };
  const gates: (() => void)[] = [];
  const store: RecordStore = {
    readKey: async (k) => { calls.read++; return keys.get(k) ?? { text: '', revision: null }; },
    compareAndSwapKeys: async (writes: readonly KeyWrite[]): Promise<KeysCasResult> => {
      calls.txn++;
      calls.sizes.push(writes.length);
      if (o.hold) await new Promise<void>((r) => gates.push(r));
      const cur = writes.map((w) => keys.get(w.key) ?? { text: '', revision: null });
      if (writes.some((w, i) => cur[i].revision !== w.expected)) return { ok: false, current: cur };
      const revision = String(++rev);
      for (const w of writes) keys.set(w.key, { text: w.text, revision });
      return { ok: true, revision };
    },
  };
  const seq = (node = 'n1') => (JSON.parse(keys.get(recordKey(node))!.text) as Heartbeat).seq;
  /** lets the oldest held transaction commit */
  const release = async () => { while (!gates.length) await new Promise((r) => setImmediate(r)); gates.shift()!(); };
  return { store, calls, seq, release, gates };
}

const hb = (seq: number, incarnation = 'aaaa', node = 'n1'): Heartbeat => ({ node, url: 'http://127.0.0.1:1', seq, incarnation });
const tick = () => new Promise((r) => setImmediate(r));

t.test('one transaction per heartbeat of one node, with no read first', async (t) => {
  const s = keyStore();
  const a = storeRecords(s.store);
  for (let i = 1; i <= 5; i++) await a.put(hb(i));
  t.strictSame({ read: s.calls.read, txn: s.calls.txn }, { read: 0, txn: 5 });
  t.equal(s.seq(), 5);
});

t.test('heartbeats arriving while a write is under way are committed together, each answered only after its commit', async (t) => {
  const s = keyStore({ hold: true });
  const a = storeRecords(s.store);
  const answered = new Set<string>();
  const put = (h: Heartbeat) => a.put(h).then(() => answered.add(`${h.node}#${h.seq}`));
  const first = put(hb(1, 'aaaa', 'n0'));
  const rest = Array.from({ length: 99 }, (_, i) => put(hb(1, 'aaaa', `n${i + 1}`)));
  await tick();
  t.equal(s.calls.txn, 1, 'the first heartbeat is written at once, alone');
  t.equal(answered.size, 0, 'nothing is answered before a commit');
  await s.release();
  await first;
  t.strictSame([...answered], ['n0#1'], 'the first is answered after its commit, the others still wait');
  await s.release();
  await tick();
  t.equal(answered.size, 1 + MAX_GROUP, `the next ${MAX_GROUP} are answered together, after their one commit`);
  await s.release();
  await Promise.all(rest);
  t.strictSame(s.calls.sizes, [1, MAX_GROUP, 99 - MAX_GROUP], `100 heartbeats in 3 transactions, none larger than ${MAX_GROUP}`);
  t.equal(s.seq('n99'), 1);
});

t.test('two heartbeats of one node in one group: the newer is written, both are answered', async (t) => {
  const s = keyStore({ hold: true });
  const a = storeRecords(s.store);
  const p0 = a.put(hb(1, 'aaaa', 'n0'));
  const p = [a.put(hb(3)), a.put(hb(2)), a.put(hb(4, 'aaaa', 'n2'))];
  await s.release();
  await p0;
  await s.release();
  await Promise.all(p);
  t.strictSame(s.calls.sizes, [1, 2], 'one record per node in the group');
  t.equal(s.seq(), 3, 'the newer of the two');
});

t.test('a failed write answers none of its group', async (t) => {
  const store: RecordStore = {
    readKey: async () => ({ text: '', revision: null }),
    compareAndSwapKeys: async () => { throw new Error('etcd: no leader'); },
  };
  const a = storeRecords(store);
  await t.rejects(Promise.all([a.put(hb(1)), a.put(hb(1, 'aaaa', 'n2'))]), /no leader/);
});

t.test('two controllers: a newer heartbeat of the same agent stays, a new incarnation replaces it', async (t) => {
  const s = keyStore();
  const a = storeRecords(s.store);
  const b = storeRecords(s.store);
  await a.put(hb(1));
  await b.put(hb(5));
  await a.put(hb(3));
  t.equal(s.seq(), 5, "a's older heartbeat does not overwrite b's newer one, though a's revision was stale");
  await a.put(hb(6));
  t.equal(s.seq(), 6, 'a newer one is written');
  await b.put(hb(1, 'bbbb'));
  t.equal(s.seq(), 1, 'another incarnation (the agent restarted) replaces the record, whatever its seq');
  t.strictSame(await a.get('n1'), hb(1, 'bbbb'));
});

t.test("another controller's write to one node of a group: the group is written again on the revisions it was told", async (t) => {
  const s = keyStore({ hold: true });
  const a = storeRecords(s.store);
  const b = storeRecords(s.store);
  const pa0 = a.put(hb(1, 'aaaa', 'n0'));
  await s.release();
  await pa0;
  const pb = b.put(hb(7, 'aaaa', 'n2'));
  await s.release();
  await pb;
  // a has not seen n2's record: its group fails once, then is written on what the failure told it
  const pa = Promise.all([a.put(hb(2, 'aaaa', 'n0')), a.put(hb(8, 'aaaa', 'n2'))]);
  await s.release();
  await s.release();
  await tick();
  await s.release();
  await pa;
  t.equal(s.seq('n0'), 2);
  t.equal(s.seq('n2'), 8);
});

t.test('the same heartbeat granted a longer lease by another controller is recorded again with it; a shorter one is not', async (t) => {
  const s = keyStore();
  const a = storeRecords(s.store);
  const b = storeRecords(s.store);
  await a.put({ ...hb(1), leaseMs: 2000 });
  await b.put({ ...hb(1), leaseMs: 6667 });
  t.equal((await a.get('n1'))?.leaseMs, 6667, 'the longer lease is recorded before it is granted');
  const txns = s.calls.txn;
  await a.put({ ...hb(1), leaseMs: 2000 });
  t.equal(s.calls.txn, txns, 'a shorter one: what a recorded itself covers it, nothing is written');
  t.equal((await b.get('n1'))?.leaseMs, 6667, 'the longer stays');
});
