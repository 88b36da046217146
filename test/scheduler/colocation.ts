// Colocation in placement (src/scheduler/placement.ts): edge cases as a table, then properties on
// random clusters. The golden comparison with the real crm_simulate is test/scheduler/crm-simulate.ts.
import t from 'tap';
import { prng } from '../helpers/prng';
import { colocationLoops } from '../../src/model/colocation';
import {
  BundlePlacement, Colocation, INFINITY, PlacementNode, RunningReplica, formatAllocationScores, placeReplicas, placeReplicasWithScores,
} from '../../src/scheduler/placement';

const b = (id: string, replicas: number, extra: Partial<BundlePlacement> = {}): BundlePlacement => ({ id, replicas, replicasPerHost: 1, runnable: true, ...extra });
const on = (...names: string[]): PlacementNode[] => names.map((name) => ({ name, state: 'online' }));
const co = (dependent: string, primary: string, score: number, extra: Partial<Colocation> = {}): Colocation => ({ id: `${dependent}-with-${primary}`, constraint: `${dependent}-with-${primary}`, dependent, primary, score, influence: true, ...extra });

interface Case {
  name: string;
  bundles: BundlePlacement[];
  nodes: PlacementNode[];
  colocations: Colocation[];
  current?: RunningReplica[];
  constraints?: { id: string; bundle: string; node: string; score: number }[];
  placements: Record<string, string>;
  unplaced?: Record<string, string>;
}

const CASES: Case[] = [
  {
    name: 'INFINITY: the dependent follows the primary',
    bundles: [b('web', 1), b('db', 1)], nodes: on('a', 'b', 'c'), colocations: [co('db', 'web', INFINITY)],
    constraints: [{ id: 'l', bundle: 'web', node: 'c', score: 10 }],
    placements: { 'web-0': 'c', 'db-0': 'c' },
  },
  {
    name: 'the primary is placed first even when it comes later (and so is its load)',
    bundles: [b('db', 2), b('web', 2)], nodes: on('a', 'b', 'c'), colocations: [co('db', 'web', INFINITY)],
    placements: { 'db-0': 'a', 'db-1': 'b', 'web-0': 'a', 'web-1': 'b' },
  },
  {
    name: 'INFINITY with no primary replica to pair with: unplaced, code colocation',
    bundles: [b('web', 1), b('db', 2)], nodes: on('a', 'b'), colocations: [co('db', 'web', INFINITY)],
    placements: { 'web-0': 'a', 'db-0': 'a' }, unplaced: { 'db-1': 'colocation' },
  },
  {
    name: 'INFINITY with a stopped primary: nothing of the dependent runs',
    bundles: [b('web', 1, { runnable: false }), b('db', 1)], nodes: on('a'), colocations: [co('db', 'web', INFINITY)],
    placements: {}, unplaced: { 'db-0': 'colocation' },
  },
  {
    name: '-INFINITY: never on a node of the primary (strictAntiColocation)',
    bundles: [b('web', 2), b('db', 2)], nodes: on('a', 'b', 'c'), colocations: [co('db', 'web', -INFINITY)],
    placements: { 'web-0': 'a', 'web-1': 'b', 'db-0': 'c' }, unplaced: { 'db-1': 'colocation' },
  },
  {
    name: '-INFINITY with a primary that does not run: no effect',
    bundles: [b('web', 1, { runnable: false }), b('db', 1)], nodes: on('a'), colocations: [co('db', 'web', -INFINITY)],
    placements: { 'db-0': 'a' },
  },
  {
    name: 'a finite score is a preference: location wins when stronger',
    bundles: [b('web', 1), b('db', 1)], nodes: on('a', 'b'), colocations: [co('db', 'web', 50)],
    constraints: [{ id: 'l', bundle: 'web', node: 'a', score: 10 }, { id: 'l2', bundle: 'db', node: 'b', score: 60 }],
    placements: { 'web-0': 'a', 'db-0': 'b' },
  },
  {
    name: 'a finite negative score is a preference too: together rather than not at all',
    bundles: [b('web', 1), b('db', 1)], nodes: on('a'), colocations: [co('db', 'web', -50)],
    placements: { 'web-0': 'a', 'db-0': 'a' },
  },
  {
    name: 'the dependent pulls a primary that has fewer replicas than nodes',
    bundles: [b('web', 1), b('db', 1)], nodes: on('a', 'b', 'c'), colocations: [co('db', 'web', INFINITY)],
    constraints: [{ id: 'l', bundle: 'db', node: 'b', score: 100 }],
    placements: { 'web-0': 'b', 'db-0': 'b' },
  },
  {
    name: 'influence=false: a running primary is not moved by the dependent',
    bundles: [b('web', 1), b('db', 1)], nodes: on('a', 'b', 'c'), colocations: [co('db', 'web', INFINITY, { influence: false })],
    constraints: [{ id: 'l', bundle: 'db', node: 'b', score: 100 }], current: [{ bundle: 'web', index: 0, node: 'a' }],
    placements: { 'web-0': 'a', 'db-0': 'a' },
  },
  {
    name: 'a chain: cache with db with web',
    bundles: [b('cache', 1), b('db', 1), b('web', 1)], nodes: on('a', 'b', 'c'), colocations: [co('cache', 'db', INFINITY), co('db', 'web', INFINITY)],
    constraints: [{ id: 'l', bundle: 'web', node: 'c', score: 5 }],
    placements: { 'cache-0': 'c', 'db-0': 'c', 'web-0': 'c' },
  },
  {
    name: 'node-attribute: the same rack (values compared case-insensitively), not the same node; the least loaded first',
    bundles: [b('web', 1), b('db', 2)],
    nodes: [{ name: 'a', state: 'online', attributes: { rack: 'r1' } }, { name: 'b', state: 'online', attributes: { rack: 'r2' } }, { name: 'c', state: 'online', attributes: { rack: 'R1' } }],
    colocations: [co('db', 'web', INFINITY, { nodeAttribute: 'rack' })],
    placements: { 'web-0': 'a', 'db-0': 'c', 'db-1': 'a' },
  },
  {
    name: 'a loop (x with y, y with x; refused by validation) places both without recursing for ever',
    bundles: [b('x', 1), b('y', 1)], nodes: on('a', 'b'), colocations: [co('x', 'y', INFINITY), co('y', 'x', INFINITY)],
    placements: { 'x-0': 'a', 'y-0': 'a' },
  },
  {
    name: 'a loop of anti-colocations (refused by validation) keeps them apart',
    bundles: [b('x', 1), b('y', 1)], nodes: on('a', 'b'), colocations: [co('x', 'y', -INFINITY), co('y', 'x', -INFINITY)],
    placements: { 'x-0': 'b', 'y-0': 'a' },
  },
  {
    name: 'a standby node is never a place to pair on',
    bundles: [b('web', 2), b('db', 2)], nodes: [...on('a', 'c'), { name: 'b', state: 'standby' }], colocations: [co('db', 'web', INFINITY)],
    placements: { 'web-0': 'a', 'web-1': 'c', 'db-0': 'a', 'db-1': 'c' },
  },
];

const unplacedCodes = (u: { replica: string; code: string }[]) => Object.fromEntries(u.map((x) => [x.replica, x.code]));

t.test('colocation edge cases', async (t) => {
  for (const c of CASES) {
    const r = placeReplicas({ bundles: c.bundles, nodes: c.nodes, colocations: c.colocations, current: c.current ?? [], constraints: c.constraints ?? [] });
    t.strictSame({ placements: Object.fromEntries(r.placements), unplaced: unplacedCodes(r.unplaced) }, { placements: c.placements, unplaced: c.unplaced ?? {} }, c.name);
  }
});

t.test('the reasons name the constraint', async (t) => {
  const r = placeReplicas({ bundles: [b('web', 1), b('db', 2)], nodes: on('a', 'b'), colocations: [co('db', 'web', INFINITY)] });
  t.strictSame(r.unplaced, [{ replica: 'db-1', bundle: 'db', index: 1, code: 'colocation', reason: "colocation 'db-with-web' (db with web, INFINITY) leaves no node for replica 1 of bundle db" }], 'paired with web-0, whose node already holds db-0');
  const q = placeReplicas({ bundles: [b('web', 1, { runnable: false }), b('db', 1)], nodes: on('a'), colocations: [co('db', 'web', INFINITY)] });
  t.strictSame(q.unplaced.map((u) => u.reason), ["colocation 'db-with-web' (INFINITY) must run bundle db with bundle web, and no replica of web is left to pair with replica 0"]);
  const s = placeReplicas({ bundles: [b('web', 2), b('db', 2)], nodes: on('a', 'b', 'c'), colocations: [co('db', 'web', -INFINITY)] });
  t.match(s.unplaced, [{ replica: 'db-1', code: 'colocation', reason: /'db-with-web' \(db with web, -INFINITY\)/ }]);
});

t.test('allocation scores, as crm_simulate --show-scores prints them', async (t) => {
  const input = {
    bundles: [b('web', 1), b('db', 1, { addressed: true, stickiness: 100 })], nodes: on('a', 'b', 'c'),
    colocations: [co('db', 'web', 50)], constraints: [{ id: 'l', bundle: 'web', node: 'c', score: 10 }], current: [{ bundle: 'db', index: 0, node: 'a' }],
  };
  const r = placeReplicasWithScores(input);
  t.strictSame(Object.fromEntries(r.placements), { 'web-0': 'c', 'db-0': 'a' });
  t.equal(formatAllocationScores(r.scores), [
    'web allocation score on a: 0', 'web allocation score on b: 0', 'web allocation score on c: 10',
    'db allocation score on a: 0', 'db allocation score on b: 0', 'db allocation score on c: 0',
    'web-0 allocation score on a: 0', 'web-0 allocation score on b: 0', 'web-0 allocation score on c: 10',
    // db's own stickiness and its address's (100 + 100) against the colocation's 50 with web on c
    'db-0 allocation score on a: 200', 'db-0 allocation score on b: 0', 'db-0 allocation score on c: 50',
  ].join('\n') + '\n');
  t.strictSame(placeReplicas(input), { placements: r.placements, unplaced: r.unplaced }, 'placeReplicas gives the same placement without the scores');
});

// ---- properties on random clusters ----

t.test('colocation properties hold for 400 random clusters', async (t) => {
  const rnd = prng(20261206);
  const int = (n: number) => Math.floor(rnd() * n);
  const failures: string[] = [];
  let mandatory = 0;
  let anti = 0;
  let loops = 0;
  for (let round = 0; round < 400; round++) {
    const names = Array.from({ length: 1 + int(6) }, (_, i) => `n${i}`);
    const racks = 1 + int(3);
    const nodes: PlacementNode[] = names.map((name, i) => ({ name, state: int(8) === 0 ? (int(2) ? 'standby' : 'offline') : 'online', attributes: { rack: `r${i % racks}` } }));
    const bundles: BundlePlacement[] = Array.from({ length: 2 + int(3) }, (_, i) => b(`b${i}`, 1 + int(6), {
      replicasPerHost: 1 + int(3), runnable: int(6) !== 0, stickiness: int(3) * 50, addressed: int(2) === 0, priority: int(4) === 0 ? 5 : 0,
    }));
    const colocations: Colocation[] = [];
    for (let k = int(4); k > 0; k--) {
      const d = bundles[int(bundles.length)].id;
      const p = bundles[int(bundles.length)].id;
      if (d === p) continue;
      const score = [INFINITY, -INFINITY, 100, -100][int(4)];
      colocations.push({ ...co(d, p, score), id: `c${k}`, ...(int(3) === 0 ? { nodeAttribute: 'rack' } : {}), influence: int(4) !== 0 });
    }
    // validation refuses loops of colocations; such clusters never reach placement
    const refused = colocationLoops(colocations);
    const kept = colocations.filter((c) => !refused.has(c));
    loops += refused.size;
    colocations.length = 0;
    colocations.push(...kept);
    const current: RunningReplica[] = [];
    for (const x of bundles) for (let i = 0; i < x.replicas; i++) if (int(3) === 0) current.push({ bundle: x.id, index: i, node: names[int(names.length)] });
    const constraints = int(2) ? [{ id: 'l', bundle: bundles[0].id, node: names[int(names.length)], score: [INFINITY, -INFINITY, 50][int(3)] }] : [];
    const { placements, unplaced } = placeReplicas({ bundles, nodes, colocations, current, constraints });

    const where = (id: string) => [...placements].filter(([r]) => r.startsWith(`${id}-`)).map(([, n]) => n);
    const rackOf = (n: string) => nodes.find((x) => x.name === n)!.attributes!.rack;
    const key = (c: Colocation, n: string) => (c.nodeAttribute ? rackOf(n) : n);
    const ctx = `round ${round}: ${JSON.stringify({ nodes, bundles, colocations, current, constraints })}`;
    for (const c of colocations) {
      const primary = new Set(where(c.primary).map((n) => key(c, n)));
      for (const n of where(c.dependent)) {
        if (c.score >= INFINITY) { mandatory++; if (!primary.has(key(c, n))) failures.push(`INFINITY ${c.dependent} with ${c.primary}: a replica on ${n}, no ${c.primary} replica there; ${ctx}`); }
        if (c.score <= -INFINITY) { anti++; if (primary.has(key(c, n))) failures.push(`-INFINITY ${c.dependent} with ${c.primary}: together on ${n}; ${ctx}`); }
      }
    }
    for (const x of bundles) {
      const per = new Map<string, number>();
      for (const n of where(x.id)) per.set(n, (per.get(n) ?? 0) + 1);
      for (const [n, k] of per) if (k > x.replicasPerHost) failures.push(`${x.id}: ${k} replicas on ${n}, replicas-per-host ${x.replicasPerHost}; ${ctx}`);
      for (const n of where(x.id)) if (nodes.find((y) => y.name === n)!.state !== 'online') failures.push(`${x.id} placed on ${n}, not online; ${ctx}`);
      const expected = x.runnable ? x.replicas : 0;
      if (where(x.id).length + unplaced.filter((u) => u.bundle === x.id).length !== expected) failures.push(`${x.id}: not every replica placed or reported once; ${ctx}`);
    }
  }
  t.strictSame(failures.slice(0, 3), [], 'no property broken');
  t.ok(mandatory > 50 && anti > 20 && loops > 0, `the properties were exercised (${mandatory} INFINITY, ${anti} -INFINITY dependent replicas checked; ${loops} pairs in loops left out)`);
});
