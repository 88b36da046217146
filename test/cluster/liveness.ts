// The leader's view of who is alive: leases from the last heartbeat received, unknown nodes until
// a lease has passed since it started leading, suspicion, and when the next change is due.
import t from 'tap';
import { DEFAULT_LIVENESS, LivenessBook, livenessFor } from '../../src/cluster/liveness';

const P = DEFAULT_LIVENESS;
const hb = (node: string, seq: number, incarnation = 'aaaaaaaa') => ({ node, url: `http://${node}:7440`, seq, incarnation });

t.test('states over time after one heartbeat', async (t) => {
  const b = new LivenessBook(P, 0);
  b.heard(hb('n1', 1), 100);
  const cases: [number, string][] = [[100, 'alive'], [100 + P.suspectMs, 'alive'], [101 + P.suspectMs, 'suspect'], [100 + P.leaseMs, 'suspect']];
  for (const [at, want] of cases) t.equal(b.state('n1', at), want, `at ${at}`);
  t.same(b.expired(['n1'], 100 + P.leaseMs), [], 'not expired at exactly the lease');
  t.same(b.expired(['n1'], 101 + P.leaseMs), ['n1'], 'expired after it');
  b.declareLost('n1', 101 + P.leaseMs, 'lease');
  t.equal(b.state('n1', 200 + P.leaseMs), 'lost');
  t.equal(b.lostBy('n1'), 'lease');
  t.equal(b.heard(hb('n1', 2), 5000), true, 'a heartbeat brings it back');
  t.equal(b.state('n1', 5000), 'alive');
});

t.test('old or repeated heartbeats do not renew; a new incarnation does', async (t) => {
  const b = new LivenessBook(P, 0);
  b.heard(hb('n1', 5), 100);
  b.heard(hb('n1', 5), 1500);
  b.heard(hb('n1', 4), 1500);
  t.same(b.expired(['n1'], 2101), ['n1'], 'seq 5 again and seq 4 renewed nothing');
  b.heard(hb('n1', 1, 'bbbbbbbb'), 2000);
  t.same(b.expired(['n1'], 2101), [], 'a restarted agent (new incarnation) renews');
});

t.test('a node never heard from is unknown for one lease after the leader starts, then lost', async (t) => {
  const b = new LivenessBook(P, 1000);
  t.equal(b.state('n9', 1000), 'unknown');
  t.equal(b.state('n9', 1000 + P.leaseMs - 1), 'unknown');
  t.equal(b.state('n9', 1000 + P.leaseMs), 'lost');
  t.equal(b.nextChange(['n9'], 1500), 1000 + P.leaseMs);
});

t.test('nextChange names the next suspicion or expiry', async (t) => {
  const b = new LivenessBook(P, 0);
  b.heard(hb('n1', 1), 100);
  b.heard(hb('n2', 1), 300);
  t.equal(b.nextChange(['n1', 'n2'], 150), 100 + P.suspectMs);
  t.equal(b.nextChange(['n1', 'n2'], 100 + P.suspectMs), 300 + P.suspectMs);
  t.equal(b.nextChange(['n1', 'n2'], 300 + P.suspectMs), 101 + P.leaseMs);
  b.declareLost('n1', 101 + P.leaseMs, 'lease');
  t.equal(b.nextChange(['n1', 'n2'], 101 + P.leaseMs), 301 + P.leaseMs, 'a lost node has no next change');
});

t.test('--heartbeat-interval: the lease, the fence margin and suspicion scale with the interval', async (t) => {
  t.strictSame(livenessFor(300), DEFAULT_LIVENESS, 'the default interval gives the default policy');
  t.strictSame(livenessFor(1000), { heartbeatMs: 1000, leaseMs: 6667, fenceMarginMs: 2000, suspectMs: 3333 });
  const P1 = livenessFor(1000);
  const b = new LivenessBook(P1, 0);
  // heartbeats every second, each received 900-1100 ms after the last: never lost
  let at = 0;
  for (let seq = 1; seq <= 20; seq++) {
    at += seq % 2 ? 900 : 1100;
    t.same(b.expired(['n1'], at), [], `not expired before heartbeat ${seq}`);
    b.heard(hb('n1', seq), at);
  }
  t.same(b.expired(['n1'], at + P1.leaseMs), [], 'silent for the lease: not yet');
  t.same(b.expired(['n1'], at + P1.leaseMs + 1), ['n1'], 'then its lease has ended');
});

t.test('a heartbeat recorded with a longer lease (granted by a controller with a longer interval) holds that long', async (t) => {
  const b = new LivenessBook(P, 0);
  b.heard(hb('n1', 1), 100);
  t.equal(b.heard({ ...hb('n1', 1), leaseMs: 6667 }, 150), false, 'the same heartbeat: nothing new');
  t.same(b.expired(['n1'], 101 + P.leaseMs), [], 'its lease is the longer one');
  t.equal(b.leaseMs('n1'), 6667);
  t.same(b.expired(['n1'], 101 + 6667), ['n1'], 'ended after the longer lease');
  t.equal(b.nextChange(['n1'], 101 + P.leaseMs), 101 + 6667);
  b.heard({ ...hb('n1', 2), leaseMs: 1000 }, 7000);
  t.equal(b.leaseMs('n1'), P.leaseMs, "a shorter lease than this controller's own counts as its own");
});
