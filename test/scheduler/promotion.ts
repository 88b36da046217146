// Which replicas are promoted (src/scheduler/promotion.ts), pure: Pacemaker's priority (promotion
// score + role=Promoted location scores, -1 without a score), ties to the promoted one, then by
// number; promoted-max and promoted-node-max; and never more promoted than promoted-max at once.
import t from 'tap';
import { decidePromotion, PromotionInstance } from '../../src/scheduler/promotion';
import type { InnerObserved } from '../../src/reconcile/inner';

const obs = (state: InnerObserved['state'], promotion?: number): InnerObserved => ({ container: 'c', link: 'up', incarnation: 'i', state, failures: [], ...(promotion !== undefined ? { promotion } : {}) });
const inst = (index: number, node: string, observed?: InnerObserved, locationScore?: number): PromotionInstance => ({ replica: `db-${index}`, index, node, ...(observed ? { observed } : {}), ...(locationScore !== undefined ? { locationScore } : {}) });
const B = { id: 'db', promotedMax: 1, promotedNodeMax: 1 };
const promoted = (d: ReturnType<typeof decidePromotion>) => [...d.goals].filter(([, g]) => g === 'Promoted').map(([r]) => r);

t.test('the highest promotion score is promoted; none without a score', async (t) => {
  t.strictSame(promoted(decidePromotion(B, [inst(0, 'n1', obs('started', 5)), inst(1, 'n2', obs('started', 10)), inst(2, 'n3', obs('started', 1))], { blind: false })), ['db-1']);
  t.strictSame(promoted(decidePromotion(B, [inst(0, 'n1', obs('started')), inst(1, 'n2', obs('started'))], { blind: false })), [], 'no score: -1, never promoted');
  t.strictSame(promoted(decidePromotion(B, [inst(0, 'n1', obs('started')), inst(2, 'n3', obs('started'), 10)], { blind: false })), ['db-2'], 'a role=Promoted location score counts (-1 + 10)');
  t.strictSame(promoted(decidePromotion(B, [inst(0, 'n1', obs('started', 10), -1_000_000), inst(1, 'n2', obs('started', 1))], { blind: false })), ['db-1'], '-INFINITY keeps it unpromoted');
});

t.test('ties go to the instance already promoted, then to the lowest number', async (t) => {
  t.strictSame(promoted(decidePromotion(B, [inst(0, 'n1', obs('started', 5)), inst(1, 'n2', obs('promoted', 5))], { blind: false })), ['db-1']);
  t.strictSame(promoted(decidePromotion(B, [inst(1, 'n2', obs('started', 5)), inst(0, 'n1', obs('started', 5))], { blind: false })), ['db-0']);
});

t.test('promoted-max and promoted-node-max', async (t) => {
  const two = { ...B, promotedMax: 2 };
  t.strictSame(promoted(decidePromotion(two, [inst(0, 'n1', obs('started', 9)), inst(1, 'n1', obs('started', 8)), inst(2, 'n2', obs('started', 1))], { blind: false })).sort(), ['db-0', 'db-1'], 'promoted-node-max counts per guest node (one instance each): two on one host, as Pacemaker');
  const d = decidePromotion(B, [inst(0, 'n1', obs('failed', 9)), inst(1, 'n2'), inst(2, 'n3', { ...obs('started', 3), link: 'connecting' })], { blind: false });
  t.strictSame(promoted(d), [], 'failed, unobserved or unconnected instances are not promoted');
});

t.test('never more promoted than promoted-max at any instant', async (t) => {
  // db-0 is promoted but now scores lower: it is demoted this pass; db-1 waits for that.
  const d = decidePromotion(B, [inst(0, 'n1', obs('promoted', 1)), inst(1, 'n2', obs('started', 10))], { blind: false });
  t.equal(d.goals.get('db-0'), 'Unpromoted');
  t.equal(d.goals.get('db-1'), 'Unpromoted');
  t.match(d.waiting, [{ replica: 'db-1', message: /once 1 promoted instance is demoted/ }]);
  // A failed promoted instance (rc 9) still counts as promoted until it is demoted or stopped.
  const failed = { ...obs('failed'), failed: { seq: 1, op: 'monitor_10000', name: 'monitor', intervalMs: 10000, rc: 9, status: 'done', at: 0, message: 'failed promoted' } };
  const f = decidePromotion(B, [inst(0, 'n1', failed), inst(1, 'n2', obs('started', 10))], { blind: false });
  t.strictSame(promoted(f), []);
  t.match(f.waiting, [{ replica: 'db-1' }]);
  // Still the best, it stays promoted: recovered in place (demote, stop, start, promote), as Pacemaker does.
  const again = decidePromotion(B, [inst(0, 'n1', { ...failed, promotion: 10 }), inst(1, 'n2', obs('started', 5))], { blind: false });
  t.strictSame(promoted(again), ['db-0']);
  t.strictSame(again.waiting, []);
  // A node out of sight may run a promoted instance: nothing new is promoted.
  const blind = decidePromotion(B, [inst(1, 'n2', obs('started', 10))], { blind: true });
  t.strictSame(promoted(blind), []);
  t.match(blind.waiting, [{ replica: 'db-1', message: /once every node/ }]);
  t.strictSame(promoted(decidePromotion(B, [inst(1, 'n2', obs('started', 10))], { blind: false })), ['db-1'], 'the promoted one lost with its node: another is promoted');
  // A promoted copy on a node it is no longer placed on (the node put in standby): it is stopped
  // there (demote first), and nothing is promoted in its stead until it is (chaos run, seed 6).
  const leaving = { ...inst(1, 'n2', obs('promoted', 10)), leaving: true };
  const away = decidePromotion(B, [inst(0, 'n1', obs('started', 5)), leaving, inst(2, 'n3', obs('started', 5))], { blind: false });
  t.strictSame(promoted(away), [], 'no promotion while the leaving copy runs promoted');
  t.match(away.waiting, [{ replica: 'db-0', message: /once 1 promoted instance is demoted/ }]);
  t.notOk(away.goals.has('db-1'), 'the leaving copy gets no goal (its stop demotes it)');
  const gone = decidePromotion(B, [inst(0, 'n1', obs('started', 5)), { ...leaving, observed: obs('started', 10) }, inst(2, 'n3', obs('started', 5))], { blind: false });
  t.strictSame(promoted(gone), ['db-0'], 'once demoted, another is promoted; the leaving copy is never chosen');
});
