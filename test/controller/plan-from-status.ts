// A running Pacemaker cluster's CIB (`cibadmin --query`, with its status section) planned on one
// of its nodes: the CIB's own nodes and the status section's record of where each replica runs
// are used, as Pacemaker uses them — every node's pass places every replica where crm_simulate
// says it runs, nothing moves, and the node is to run only its own replicas; `cluster simulate`
// has nothing to do. The CIBs are the corpus's running clusters (made by crm_simulate --in-place,
// test/fixtures/corpus).
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { parseCib } from '../../src/cib/cib';
import { child, parseXml } from '../../src/cib/xml';
import { simulate } from '../../src/controller/simulate';
import { singleNodePassDeps } from '../../src/controller/deps';
import { runPass } from '../../src/controller/pass';
import { fakeCluster, fakeNode, runningCopies } from '../helpers/fake-nodes';
import { planChanges } from '../../src/reconcile/plan';
import { pacemakerView } from '../helpers/crm-simulate-view';

const DIR = path.join(__dirname, '..', 'fixtures', 'corpus');
const running = fs.readdirSync(DIR).filter((d) => fs.existsSync(path.join(DIR, d, 'running.xml'))).sort();

t.test('the corpus has running clusters of three nodes', async (t) => {
  t.strictSame(running, ['counts-below-one', 'openstack-bundles', 'three-nodes-addressed', 'three-nodes-after-failover']);
});

for (const c of running) {
  t.test(`${c}: planned on each node, Pacemaker's placement and no moves`, async (t) => {
    const text = fs.readFileSync(path.join(DIR, c, 'running.xml'), 'utf8');
    const recorded = parseXml(fs.readFileSync(path.join(DIR, c, 'running.sim.xml'), 'utf8'));
    const before = pacemakerView(child(recorded, 'cluster_status')!);
    const after = pacemakerView(child(recorded, 'revised_cluster_status')!);
    t.strictSame([...after.replicas].sort(), [...before.replicas].sort(), 'crm_simulate: nothing moves in the running cluster');
    t.ok(before.replicas.size >= 3, `${before.replicas.size} replicas run`);
    const sim = simulate(parseCib(text, c), { up: [], down: [], fail: [], opFail: [], now: Date.parse('2026-12-06T00:00:00Z') });
    t.strictSame([sim.actions, [...sim.after].sort()], [[], [...before.replicas].sort()], 'berth cluster simulate: nothing to do, every replica where it runs');
    for (const node of before.nodes.keys()) {
      const self = fakeNode(node);
      const r = await runPass(singleNodePassDeps({ node, deps: self.deps, cib: { where: c, read: async () => text, clusterId: async () => 'corpus' }, now: () => Date.parse('2026-12-06T00:00:00Z') }), { apply: false });
      t.strictSame(r.cibProblems.filter((p) => p.severity === 'error'), [], `${node}: the CIB is valid`);
      t.strictSame([...(r.placements ?? new Map())].sort(), [...before.replicas].sort(), `${node}: every replica where Pacemaker runs it`);
      t.strictSame(r.unplaced, [], `${node}: none unplaceable`);
      t.strictSame(r.offline, [], `${node}: no node counted lost`);
      t.strictSame(r.recorded.map((x) => x.node), [...before.nodes.keys()].filter((n) => n !== node).sort(), `${node}: the others as the status section records them`);
      const mine = [...before.replicas].filter(([, n]) => n === node).map(([replica]) => replica).sort();
      const part = r.nodes.find((n) => n.node === node)!;
      t.strictSame(part.desired.replicas.map((d) => d.name).sort(), mine, `${node}: it is to run its own replicas only`);
      t.strictSame([...part.plan.create, ...part.plan.replace].filter((a) => !mine.includes(a.replica)), [], `${node}: its plan creates nothing of the others'`);
    }
  });
}

t.test('a cluster of berth nodes taking over a running cluster starts each replica where Pacemaker runs it', async (t) => {
  // after a fail-over: not where a fresh cluster would put them (web-0 on node1)
  const text = fs.readFileSync(path.join(DIR, 'three-nodes-after-failover', 'running.xml'), 'utf8');
  const recorded = pacemakerView(child(parseXml(fs.readFileSync(path.join(DIR, 'three-nodes-after-failover', 'running.sim.xml'), 'utf8')), 'cluster_status')!);
  t.equal(recorded.replicas.get('web-0'), 'node3', 'Pacemaker runs web-0 on node3 since node1 failed');
  const c = fakeCluster(['node1', 'node2', 'node3']);
  // the fake nodes have no interface for 192.168.122.x: the addresses are on loopback's network here
  for (const n of c.nodes) n.addresses.push({ ip: '192.168.122.1', prefix: 24, interface: 'eth1', label: 'eth1' });
  c.setCib(text);
  const first = await c.pass();
  t.strictSame([...(first.placements ?? new Map())].sort(), [...recorded.replicas].sort(), 'placed where the status section says they run');
  const running = runningCopies(c.nodes);
  t.strictSame([...running].map(([r, ns]) => [r, ns]).sort(), [...recorded.replicas].map(([r, n]) => [r, [n]]).sort(), 'each started once, there');
  const second = await c.pass();
  t.strictSame(second.nodes.map((n) => planChanges(n.plan).length), [0, 0, 0], 'then nothing to do');
});

t.test('the same CIB without its status section is placed afresh: the record is what keeps replicas where they run', async (t) => {
  const text = fs.readFileSync(path.join(DIR, 'three-nodes-after-failover', 'running.xml'), 'utf8').replace(/<status>[\s\S]*<\/status>/, '<status/>');
  const c = fakeCluster(['node1', 'node2', 'node3']);
  for (const n of c.nodes) n.addresses.push({ ip: '192.168.122.1', prefix: 24, interface: 'eth1', label: 'eth1' });
  c.setCib(text);
  const r = await c.pass(false);
  t.equal(r.placements?.get('web-0'), 'node1');
});

t.test('without a status section, the other nodes take no part (berth on one node runs its own)', async (t) => {
  const text = fs.readFileSync(path.join(DIR, 'three-nodes-addressed', 'cib.xml'), 'utf8').replace(/<status>[\s\S]*<\/status>/, '<status/>');
  const self = fakeNode('node1');
  const r = await runPass(singleNodePassDeps({ node: 'node1', deps: self.deps, cib: { where: 'x', read: async () => text, clusterId: async () => 'corpus' } }), { apply: false });
  t.strictSame(r.recorded, []);
  t.strictSame(r.offline.map((o) => o.node), ['node2', 'node3']);
});
