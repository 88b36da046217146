// Utilization and placement-strategy in placement (src/scheduler/placement.ts): a property over
// random clusters (no node's capacity is ever exceeded under utilization, balanced or minimal),
// then a table of cases with one expected outcome each. crm_simulate agreement is
// test/scheduler/crm-simulate.ts (cases 61-77).
import t from 'tap';
import { BundlePlacement, ClusterPlacementInput, PlacementStrategy, RunningReplica, placeReplicas, replicaName } from '../../src/scheduler/placement';

function prng(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s % n;
  };
}

const KEYS = ['cpu', 'mem'];

t.test('no node is ever given more than its capacity (600 random clusters)', async (t) => {
  const rnd = prng(20261206);
  const strategies: PlacementStrategy[] = ['utilization', 'balanced', 'minimal'];
  const failures: string[] = [];
  let placedTotal = 0;
  for (let round = 0; round < 600; round++) {
    const strategy = strategies[round % 3];
    const nodes = Array.from({ length: 1 + rnd(5) }, (_, i) => {
      const utilization: Record<string, number> = {};
      for (const k of KEYS) if (rnd(4)) utilization[k] = rnd(9);
      return { name: `n${i}`, state: (rnd(8) ? 'online' : 'standby') as 'online' | 'standby', utilization };
    });
    const bundles: BundlePlacement[] = Array.from({ length: 1 + rnd(4) }, (_, i) => {
      const utilization: Record<string, number> = {};
      for (const k of KEYS) if (rnd(3)) utilization[k] = rnd(4);
      return { id: `b${i}`, replicas: 1 + rnd(6), replicasPerHost: 1 + rnd(3), runnable: true, priority: rnd(3), stickiness: rnd(2) * 100, utilization };
    });
    const current: RunningReplica[] = [];
    for (const b of bundles) for (let i = 0; i < b.replicas; i++) if (rnd(3) === 0) current.push({ bundle: b.id, index: i, node: nodes[rnd(nodes.length)].name });
    const colocations = bundles.length > 1 && rnd(2) ? [{ id: 'c', constraint: 'c', dependent: 'b1', primary: 'b0', score: rnd(2) ? 1000000 : 100, influence: true }] : [];
    const input: ClusterPlacementInput = { bundles, nodes, current, colocations, strategy };
    for (const keepRunning of [true, false]) {
      const { placements } = placeReplicas({ ...input, keepRunning });
      placedTotal += placements.size;
      const used = new Map<string, Record<string, number>>();
      for (const [replica, node] of placements) {
        const b = bundles.find((x) => replica.startsWith(`${x.id}-`))!;
        const u = used.get(node) ?? {};
        for (const [k, v] of Object.entries(b.utilization ?? {})) u[k] = (u[k] ?? 0) + v;
        used.set(node, u);
      }
      for (const [node, u] of used) {
        const cap = nodes.find((n) => n.name === node)!.utilization;
        for (const [k, v] of Object.entries(u)) if (v > 0 && v > (cap[k] ?? 0)) failures.push(`round ${round} (${strategy}, keepRunning=${keepRunning}): ${node} uses ${k}=${v} of ${cap[k] ?? 0}`);
      }
    }
  }
  t.strictSame(failures, [], 'capacity never exceeded');
  t.ok(placedTotal > 1000, `the property was exercised (${placedTotal} placements)`);
});

const N3 = (cap: Record<string, number>[]) => cap.map((utilization, i) => ({ name: `node${i + 1}`, state: 'online' as const, utilization }));
const web = (o: Partial<BundlePlacement> = {}): BundlePlacement => ({ id: 'web', replicas: 4, replicasPerHost: 4, runnable: true, utilization: { cpu: 1 }, ...o });
const same = [{ cpu: 4 }, { cpu: 4 }, { cpu: 4 }];

const cases: { name: string; input: ClusterPlacementInput; placed: Record<string, string>; unplaced?: [string, string][] }[] = [
  { name: 'default ignores utilization', input: { bundles: [web({ replicasPerHost: 1, replicas: 3, utilization: { cpu: 9 } })], nodes: N3(same) }, placed: { 'web-0': 'node1', 'web-1': 'node2', 'web-2': 'node3' } },
  { name: 'utilization spreads as default, within capacity', input: { strategy: 'utilization', bundles: [web()], nodes: N3(same) }, placed: { 'web-0': 'node1', 'web-1': 'node2', 'web-2': 'node3', 'web-3': 'node1' } },
  { name: 'minimal fills the first node by name', input: { strategy: 'minimal', bundles: [web()], nodes: N3(same) }, placed: { 'web-0': 'node1', 'web-1': 'node1', 'web-2': 'node1', 'web-3': 'node1' } },
  { name: 'balanced: the most free capacity, then fewer resources placed', input: { strategy: 'balanced', bundles: [web()], nodes: N3([{ cpu: 2 }, { cpu: 5 }, { cpu: 3 }]) }, placed: { 'web-0': 'node2', 'web-1': 'node2', 'web-2': 'node3', 'web-3': 'node2' } },
  { name: 'a node without the value has none of it', input: { strategy: 'utilization', bundles: [web({ replicas: 3 })], nodes: N3([{ cpu: 1 }, {}, { mem: 8 }]) }, placed: { 'web-0': 'node1' }, unplaced: [['web-1', 'utilization'], ['web-2', 'utilization']] },
  { name: 'higher priority first when capacity runs out', input: { strategy: 'utilization', bundles: [web({ replicas: 2, replicasPerHost: 1, utilization: { cpu: 4 } }), { id: 'db', replicas: 2, replicasPerHost: 1, runnable: true, priority: 5, utilization: { cpu: 4 } }], nodes: N3(same) }, placed: { 'db-0': 'node1', 'db-1': 'node2', 'web-0': 'node3' }, unplaced: [['web-1', 'utilization']] },
  { name: 'resource-discovery=exclusive keeps it to the nodes named', input: { bundles: [web({ replicasPerHost: 1, replicas: 3 })], nodes: N3(same), constraints: [{ id: 'l', bundle: 'web', node: 'node3', score: 0, exclusive: true }] }, placed: { 'web-0': 'node3' }, unplaced: [['web-1', 'capacity'], ['web-2', 'capacity']] },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const r = placeReplicas(c.input);
    t.strictSame(Object.fromEntries(r.placements), c.placed);
    t.strictSame(r.unplaced.map((u) => [u.replica, u.code]), c.unplaced ?? []);
    for (const u of r.unplaced.filter((x) => x.code === 'utilization')) t.match(u.reason, /placement-strategy=utilization: no node .* has the free capacity it uses \(cpu=\d\)/);
  });
}

t.test('replica names', async (t) => t.equal(replicaName('web', 3), 'web-3'));
