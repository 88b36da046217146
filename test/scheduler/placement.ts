// Placement properties over random demands and node sets: never more than `replicas`, never more
// than replicas-per-host on a node, a stopped bundle never placed, no replica placed twice, the
// lowest indexes placed first, and stickiness never moves what runs.
import t from 'tap';
import { BundleDemand, Placement, placeReplicas } from '../../src/scheduler/placement';

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
  const broken: string[] = [];
  for (let round = 0; round < 500; round++) {
    const fail = (what: string) => broken.push(`round ${round}, ${what}`);
    const nodes = Array.from({ length: rnd(5) }, (_, i) => `n${i}`);
    const demands: BundleDemand[] = Array.from({ length: 1 + rnd(4) }, (_, i) => ({
      bundle: `b${i}`, replicas: 1 + rnd(8), replicasPerHost: 1 + rnd(4), runnable: rnd(4) !== 0,
    }));
    const current: Placement[] = [];
    for (const d of demands) for (let i = 0; i < d.replicas + 2; i++) if (nodes.length && rnd(3) === 0) current.push({ bundle: d.bundle, index: i, node: nodes[rnd(nodes.length)] });
    const { placements, unplaced } = placeReplicas(demands, nodes, current);
    for (const d of demands) {
      const mine = placements.filter((p) => p.bundle === d.bundle);
      const lost = unplaced.filter((u) => u.bundle === d.bundle);
      if (!d.runnable) {
        if (mine.length || lost.length) fail(`stopped bundle ${d.bundle} got placements`);
        continue;
      }
      if (mine.length > d.replicas) fail(`more than replicas=${d.replicas}`);
      if (new Set(mine.map((p) => p.index)).size !== mine.length) fail('a replica placed twice');
      for (const n of nodes) if (mine.filter((p) => p.node === n).length > d.replicasPerHost) fail('replicas-per-host exceeded');
      const expected = Math.min(d.replicas, d.replicasPerHost * nodes.length);
      if (mine.length !== expected) fail(`placed ${mine.length}, expected ${expected}`);
      if (mine.some((p) => p.index >= expected)) fail('a higher index placed while a lower one is not');
      if (mine.length + lost.length !== d.replicas) fail('every replica is placed or reported');
      for (const p of mine) {
        const was = current.find((c) => c.bundle === p.bundle && c.index === p.index);
        const wasFirst = was && current.filter((c) => c.bundle === p.bundle && c.index === p.index)[0] === was;
        if (was && wasFirst && was.node !== p.node) {
          // It may move only if its node had no room for it among the earlier sticky ones.
          const room = current.filter((c) => c.bundle === p.bundle && c.node === was.node && c.index < expected).length > d.replicasPerHost;
          if (!room) fail(`${p.bundle}-${p.index} moved from ${was.node} to ${p.node}`);
        }
      }
      checked++;
    }
  }
  t.strictSame(broken, [], 'no property broken');
  t.ok(checked > 500, `${checked} bundle placements checked`);
});

t.test('examples', async (t) => {
  t.strictSame(placeReplicas([{ bundle: 'b', replicas: 3, replicasPerHost: 1, runnable: true }], ['n1']), {
    placements: [{ bundle: 'b', index: 0, node: 'n1' }],
    unplaced: [
      { bundle: 'b', index: 1, reason: 'replicas-per-host=1 on 1 node leaves room for 1 of 3 replicas' },
      { bundle: 'b', index: 2, reason: 'replicas-per-host=1 on 1 node leaves room for 1 of 3 replicas' },
    ],
  });
  t.strictSame(placeReplicas([{ bundle: 'b', replicas: 3, replicasPerHost: 2, runnable: true }], ['n1', 'n2']).placements.map((p) => p.node), ['n1', 'n2', 'n1'], 'spread, least loaded first');
  t.strictSame(placeReplicas([{ bundle: 'b', replicas: 2, replicasPerHost: 1, runnable: true }], ['n1', 'n2'], [{ bundle: 'b', index: 0, node: 'n2' }]).placements, [
    { bundle: 'b', index: 0, node: 'n2' }, { bundle: 'b', index: 1, node: 'n1' },
  ], 'a running replica stays where it is');
  t.strictSame(placeReplicas([{ bundle: 'b', replicas: 2, replicasPerHost: 1, runnable: false }], ['n1']), { placements: [], unplaced: [] });
});
