// Placement properties over random bundles, node sets and running replicas (the one placement
// berth has, for one node and many): never more than `replicas`, never more than
// replicas-per-host on a node, a stopped bundle never placed, no replica placed twice, every
// replica placed or reported, as many placed as there is room for, the lowest indexes first when
// nothing runs, and a running replica keeps its node while that node keeps a slot of its bundle.
import t from 'tap';
import { BundlePlacement, RunningReplica, placeReplicas, replicaName } from '../../src/scheduler/placement';

function prng(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s % n;
  };
}

t.test('placement properties hold for 500 random cases', async (t) => {
  const rnd = prng(20250101);
  let checked = 0;
  const failures: string[] = [];
  const fail = (m: string) => failures.push(m);
  for (let round = 0; round < 500; round++) {
    const names = Array.from({ length: rnd(5) }, (_, i) => `n${i}`);
    const nodes = names.map((name) => ({ name, state: 'online' as const }));
    const bundles: BundlePlacement[] = Array.from({ length: 1 + rnd(4) }, (_, i) => ({
      id: `b${i}`, replicas: 1 + rnd(8), replicasPerHost: 1 + rnd(4), runnable: rnd(4) !== 0,
    }));
    const current: RunningReplica[] = [];
    const withCurrent = rnd(2) === 0;
    if (withCurrent) {
      for (const b of bundles) {
        const load = new Map<string, number>();
        for (let i = 0; i < b.replicas; i++) {
          if (!names.length || rnd(3) !== 0) continue;
          const node = names[rnd(names.length)];
          if ((load.get(node) ?? 0) >= b.replicasPerHost) continue;
          load.set(node, (load.get(node) ?? 0) + 1);
          current.push({ bundle: b.id, index: i, node });
        }
      }
    }
    const { placements, unplaced } = placeReplicas({ bundles, nodes, current });
    for (const b of bundles) {
      const mine = [...placements].filter(([r]) => r.startsWith(`${b.id}-`)).map(([r, node]) => ({ index: Number(r.slice(b.id.length + 1)), node }));
      const lost = unplaced.filter((u) => u.bundle === b.id);
      if (!b.runnable) {
        if (mine.length || lost.length) fail(`stopped bundle ${b.id} got placements`);
        continue;
      }
      if (mine.length > b.replicas) fail(`more than replicas=${b.replicas}`);
      if (new Set(mine.map((p) => p.index)).size !== mine.length) fail('a replica placed twice');
      for (const n of names) if (mine.filter((p) => p.node === n).length > b.replicasPerHost) fail('replicas-per-host exceeded');
      const expected = Math.min(b.replicas, b.replicasPerHost * names.length);
      if (mine.length !== expected) fail(`${b.id}: placed ${mine.length}, expected ${expected}`);
      if (!withCurrent && mine.some((p) => p.index >= expected)) fail('a higher index placed while a lower one is not');
      if (mine.length + lost.length !== b.replicas) fail('every replica is placed or reported');
      // A running replica whose node still holds a replica of its bundle that did not run there
      // before has been moved for nothing.
      for (const c of current.filter((x) => x.bundle === b.id)) {
        const now = placements.get(replicaName(b.id, c.index));
        if (now === undefined || now === c.node) continue;
        const newcomers = mine.filter((p) => p.node === c.node && !current.some((x) => x.bundle === b.id && x.index === p.index && x.node === c.node));
        if (newcomers.length) fail(`${b.id}-${c.index} moved from ${c.node} to ${now} while ${c.node} took ${b.id}-${newcomers[0].index}`);
      }
      checked++;
    }
  }
  t.strictSame(failures, [], 'no property broken');
  t.ok(checked > 500, `${checked} bundle placements checked`);
});

t.test('examples', async (t) => {
  const one = [{ name: 'n1', state: 'online' as const }];
  const two = [{ name: 'n1', state: 'online' as const }, { name: 'n2', state: 'online' as const }];
  const b = (replicas: number, replicasPerHost: number, runnable = true): BundlePlacement[] => [{ id: 'b', replicas, replicasPerHost, runnable }];
  const r1 = placeReplicas({ bundles: b(3, 1), nodes: one });
  t.strictSame([...r1.placements], [['b-0', 'n1']]);
  t.match(r1.unplaced, [
    { replica: 'b-1', code: 'capacity', reason: 'replicas-per-host=1 on 1 node that can run bundle b (n1) leaves room for 1 of 3 replicas' },
    { replica: 'b-2', code: 'capacity' },
  ]);
  t.strictSame([...placeReplicas({ bundles: b(3, 2), nodes: two }).placements.values()].sort(), ['n1', 'n1', 'n2'], 'spread over both nodes');
  t.strictSame([...placeReplicas({ bundles: b(2, 1), nodes: two, current: [{ bundle: 'b', index: 0, node: 'n2' }] }).placements], [['b-0', 'n2'], ['b-1', 'n1']], 'a running replica stays where it is');
  t.strictSame(placeReplicas({ bundles: b(2, 1, false), nodes: one }), { placements: new Map(), unplaced: [] });
  t.match(placeReplicas({ bundles: b(1, 1), nodes: [{ name: 'n1', state: 'standby' }] }).unplaced, [{ code: 'no-node', reason: 'no node can run replicas (n1 standby)' }], 'standby: nothing placed');
});
