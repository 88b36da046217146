// The shared heartbeat records in a store (heartbeat-records.ts storeRecords): a newer heartbeat
// of the same agent is never overwritten by an older one, whoever wrote it, and a controller that
// keeps recording one node costs the store one compare-and-swap per heartbeat (no read first).
import t from 'tap';
import type { CasResult, CibStore, StoredCib } from '../../src/store/store';
import { recordKey, storeRecords } from '../../src/cluster/heartbeat-records';
import type { Heartbeat } from '../../src/cluster/liveness';

/** Keys with revisions, as etcd keeps them, counting the requests. */
function keyStore() {
  const keys = new Map<string, StoredCib>();
  let rev = 0;
  const calls = { read: 0, cas: 0 };
  const store = {
    url: 'memory://',
    readKey: async (k: string): Promise<StoredCib> => { calls.read++; return keys.get(k) ?? { text: '', revision: null }; },
    compareAndSwapKey: async (k: string, expected: string | null, text: string): Promise<CasResult> => {
      calls.cas++;
      const cur = keys.get(k) ?? { text: '', revision: null };
      if (cur.revision !== expected) return { ok: false, current: cur };
      const revision = String(++rev);
      keys.set(k, { text, revision });
      return { ok: true, revision };
    },
  } as unknown as CibStore;
  return { store, calls, seq: () => (JSON.parse(keys.get(recordKey('n1'))!.text) as Heartbeat).seq };
}

const hb = (seq: number, incarnation = 'aaaa'): Heartbeat => ({ node: 'n1', url: 'http://127.0.0.1:1', seq, incarnation });

t.test('one compare-and-swap per heartbeat once the record is known', async (t) => {
  const s = keyStore();
  const a = storeRecords(s.store);
  await a.put(hb(1));
  t.strictSame(s.calls, { read: 1, cas: 1 }, 'the first: a read, then the swap');
  for (let i = 2; i <= 5; i++) await a.put(hb(i));
  t.strictSame(s.calls, { read: 1, cas: 5 }, 'then one swap each');
  t.equal(s.seq(), 5);
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
  t.equal(s.seq(), 1, "another incarnation (the agent restarted) replaces the record, whatever its seq");
  t.strictSame(await a.get('n1'), hb(1, 'bbbb'));
});
