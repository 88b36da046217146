// The leader's etcd keep-alives sent from the heartbeat process (src/cluster/heartbeat-service.ts
// leaseKeeper): a controller whose event loop a pass holds for longer than the lease keeps
// leading; with the keep-alives in its own loop it steps down. And the safety side, with a keeper
// that is told what to answer: leadership ends when the last renewal's time runs out.
import t from 'tap';
import { startEtcd } from '../helpers/etcd';
import { berthBin, ensureBuilt } from '../helpers/cli';
import { openStore } from '../../src/store/open';
import type { EtcdStore } from '../../src/store/etcd-store';
import { LeaseKeeper, inProcessKeeper, startElection } from '../../src/cluster/leader';
import { startHeartbeatService } from '../../src/cluster/heartbeat-service';
import { DEFAULT_LIVENESS } from '../../src/cluster/liveness';
import { monotonicMs } from '../../src/cluster/monotonic-clock';

ensureBuilt();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = async (f: () => boolean, ms: number) => {
  const end = Date.now() + ms;
  while (!f() && Date.now() < end) await sleep(10);
  return f();
};
/** What a long pass does to the loop: nothing else runs for `ms`. */
const holdLoop = (ms: number) => { const end = Date.now() + ms; while (Date.now() < end) { /* held */ } };

t.test('a loop held past the lease: keep-alives from the heartbeat process keep the lead, from the loop lose it', { timeout: 120_000 }, async (t) => {
  const etcd = await startEtcd(t);
  for (const forked of [true, false]) {
    const url = etcd.storeUrl(`/lease-keeper-${forked ? 'forked' : 'loop'}`);
    const store = openStore(url) as EtcdStore;
    const heartbeats = await startHeartbeatService({ host: '127.0.0.1', port: 0, key: Buffer.alloc(32, 7), policy: DEFAULT_LIVENESS, storeUrl: url, cluster: 'c1', log: () => {}, ...(forked ? { exec: berthBin } : {}) });
    const changes: (number | undefined)[] = [];
    const election = startElection(store, {
      self: { id: 'a', url: 'http://127.0.0.1:1' }, ttlSeconds: 2, log: () => {}, onChange: (term) => changes.push(term),
      ...(forked ? { keeper: heartbeats.leaseKeeper! } : {}),
    });
    t.ok(await until(() => election.term() !== undefined, 10_000), `${forked ? 'forked' : 'loop'}: leads`);
    const term = election.term();
    await sleep(800);
    holdLoop(4000); // twice the lease
    t.equal(election.term(), undefined, 'while its last renewal is unread, it does not say it leads');
    await sleep(300); // the renewals waiting are read
    if (forked) {
      t.equal(election.term(), term, 'forked keep-alives: still leading, same term, after a 4 s hold on a 2 s lease');
      t.same(changes, [term], 'never stepped down');
    } else {
      t.same(changes.slice(0, 2), [term, undefined], 'keep-alives in the held loop: the lead is lost');
      t.not(election.term(), term, 'the term it led is over');
    }
    await election.stop();
    await heartbeats.close();
    await store.close();
  }
});

t.test('leadership ends at the last renewal\'s time; renewals extend it; an ended lease steps down', async (t) => {
  // A store that grants every campaign; the keeper is driven by the test.
  const store = {
    url: 'etcd://fake/x',
    grantLease: async () => 'L1',
    campaign: async () => ({ ok: true, revision: '42' }),
    revoke: async () => {},
    readKey: async () => ({ text: '', revision: null }),
    keepAlive: async () => 2,
  } as unknown as EtcdStore;
  let renew: ((until: number) => void) | undefined;
  let end: ((why: string) => void) | undefined;
  let stopped = 0;
  const keeper: LeaseKeeper = { keep: (_id, _ttl, renewed, ended) => { renew = renewed; end = ended; return () => { stopped++; }; } };
  const changes: (number | undefined)[] = [];
  const election = startElection(store, { self: { id: 'a', url: 'u' }, ttlSeconds: 1, log: () => {}, onChange: (term) => changes.push(term), keeper });
  t.teardown(() => election.stop());
  t.ok(await until(() => election.term() === 42, 2000), 'leads with term 42');
  renew!(monotonicMs() + 1500);
  await sleep(1100);
  t.equal(election.term(), 42, 'a renewal extends the lead past the first lease');
  t.ok(await until(() => changes.length >= 2, 1000), 'without another, it ends when the renewal\'s time runs out');
  t.same(changes.slice(0, 2), [42, undefined], 'it steps down');
  t.ok(stopped >= 1, 'the keeper was stopped');
  // Next term: the keeper says the lease ended in etcd.
  t.ok(await until(() => election.term() === 42 && changes.length === 3, 2000), 'leads again');
  end!('the leader lease expired in etcd');
  t.equal(election.term(), undefined, 'an ended lease ends the lead at once');
  t.same(changes.slice(2, 4), [42, undefined], 'it steps down');
});

t.test('keep-alives answered late (900 ms on a 2 s lease) keep the lease without a gap: they do not wait for each other', async (t) => {
  const store = { keepAlive: () => new Promise<number>((r) => setTimeout(() => r(2), 900)) };
  let validUntil = monotonicMs() + 2000;
  let endedWhy: string | undefined;
  const stop = inProcessKeeper(store).keep('L1', 2, (until) => { validUntil = until; }, (why) => { endedWhy = why; });
  t.teardown(stop);
  let worst = Infinity;
  const end = Date.now() + 5000;
  while (Date.now() < end) {
    worst = Math.min(worst, validUntil - monotonicMs());
    await sleep(20);
  }
  t.equal(endedWhy, undefined, 'the keeper never gave up');
  t.ok(worst > 0, `the lease always held (closest: ${worst} ms left)`);
});
