// BERTH_CHAOS_FAULTS (docs/chaos.md): the chaos run draws from every fault, or only from those named.
import t from 'tap';
import { faultList } from '../helpers/chaos';

t.test('every fault by default; only the named ones; an unknown name refused', async (t) => {
  t.ok(faultList(undefined).includes('disk-full') && faultList(undefined).includes('corrupt-store'), 'the new faults are drawn by default');
  t.same(faultList('disk-full, corrupt-store'), ['disk-full', 'corrupt-store']);
  t.throws(() => faultList('disk-ful'), { message: /unknown fault disk-ful; known: agent-kill/ });
  t.throws(() => faultList(','), { message: /unknown fault \(none named\)/ });
});
