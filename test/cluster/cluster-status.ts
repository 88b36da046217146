// What `berth cluster status` shows of a cluster pass (clusterStatus): each replica once, on the
// node that runs it, else where it is placed, with why it does not run — over in-memory nodes.
// The real engines show it end to end in test/cluster/failover.ts.
import t from 'tap';
import type { PassResult } from '../../src/controller/pass';
import { clusterStatus, formatBundles, ReplicaStatus } from '../../src/reconcile/status';
import { fakeCluster, fakeNode, wipe } from '../helpers/fake-nodes';
import { nodeEngines } from '../../src/runtime/node-engines';

function cibXml(nodes: string[], replicas: number, perHost: number): string {
  const nodeXml = nodes.map((n, i) => `<node id="${i + 1}" uname="${n}"/>`).join('');
  return `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes>${nodeXml}</nodes><resources><bundle id="web"><docker image="berth-test/httpd:1" replicas="${replicas}" replicas-per-host="${perHost}"/><network ip-range-start="10.0.0.100" host-interface="eth0" host-netmask="24"/></bundle></resources><constraints/></configuration><status/></cib>`;
}

/** Nodes that have run two passes over the CIB: everything placed runs. */
async function settled(names: string[], replicas: number, perHost: number) {
  const c = fakeCluster(names);
  c.setCib(cibXml(names, replicas, perHost));
  await c.pass();
  return { c, before: rows(await c.pass()) };
}

const rows = (r: PassResult): ReplicaStatus[] => clusterStatus(r, Date.now()).bundles[0].replicaStatus;
const brief = (r: ReplicaStatus) => `${r.name}@${r.node}:${r.container?.state ?? (r.unknown ? 'unknown' : 'missing')}`;

t.test('converged: every replica once, running, on its node, with its address', async (t) => {
  const c = fakeCluster(['n1', 'n2', 'n3']);
  c.setCib(cibXml(['n1', 'n2', 'n3'], 4, 2));
  const first = await c.pass();
  const s1 = clusterStatus(first, Date.now());
  t.equal(s1.converged, false, 'the first pass had work to do');
  t.equal(s1.done, 11, 'and did it: 4 creates, 4 addresses added, the hosts file written on 3 nodes');
  t.equal(s1.failed, 0);
  for (const r of s1.bundles[0].replicaStatus) {
    t.match(r.note, new RegExp(`^add-address done on ${r.node} by this pass; create done on ${r.node} by this pass$`), `${r.name}: what the pass did, not what was pending`);
  }
  const r = await c.pass();
  const s = clusterStatus(r, Date.now());
  t.equal(s.converged, true);
  t.equal(s.bundles[0].running, 4);
  const list = s.bundles[0].replicaStatus;
  t.same(list.map((x) => x.name), ['web-0', 'web-1', 'web-2', 'web-3'], 'each replica once, in order');
  for (const x of list) {
    t.equal(x.node, r.placements!.get(x.name), `${x.name} on the node it is placed on`);
    t.equal(x.container?.state, 'running');
    t.equal(x.address, `10.0.0.${100 + x.index}`);
    t.notOk(x.note, `${x.name}: nothing to say`);
  }
  const text = formatBundles(s.bundles).join('\n');
  t.match(text, /Bundle web: 4 of 4 running/);
  t.match(text, /web-3\s+n\d\s+10\.0\.0\.103\s+running/);
});

t.test('more replicas than room: the rest are shown unplaced, with why', async (t) => {
  const { before: list } = await settled(['n1', 'n2'], 5, 2);
  t.equal(list.length, 5);
  const unplaced = list.filter((x) => x.node === '-');
  t.same(unplaced.map((x) => x.name), ['web-4']);
  t.match(unplaced[0].note, /^not placed: [^;]+$/, 'said once');
  t.equal(list.filter((x) => x.container?.state === 'running').length, 4);
});

t.test('a node that cannot be observed: its replicas are shown there, state unknown, and what waits for it', async (t) => {
  const { c, before } = await settled(['n1', 'n2'], 2, 2);
  const victim = before[0].node;
  c.state.set(victim, 'suspect');
  const r = await c.pass();
  const list = rows(r);
  const onVictim = list.filter((x) => x.node === victim);
  t.ok(onVictim.length > 0, `${list.map(brief).join(' ')}`);
  for (const x of onVictim) {
    t.equal(x.unknown, true, `${x.name} unknown`);
    t.notOk(x.container);
    t.match(x.note, new RegExp(`node ${victim} cannot be observed: no heartbeat`));
  }
  t.equal(clusterStatus(r, Date.now()).converged, false, 'not converged while a node cannot be observed');
  t.match(formatBundles(clusterStatus(r, Date.now()).bundles).join('\n'), new RegExp(`${onVictim[0].name}\\s+${victim}\\s+\\S+\\s+unknown`));

  // Lost (it fenced itself): its replicas are placed on the survivor; shown there.
  wipe(c.node(victim));
  c.state.set(victim, 'lost');
  await c.pass();
  const after = rows(await c.pass());
  t.same(after.map(brief), after.map((x) => `${x.name}@${after.find((y) => y.name === x.name)!.node}:running`));
  t.ok(after.every((x) => x.node !== victim), `all moved: ${after.map(brief).join(' ')}`);
});

t.test('a move: the old copy is removed first, the new one is held meanwhile and says so', async (t) => {
  const { c, before } = await settled(['n1', 'n2'], 2, 2);
  // Standby of the node running web-0: a plan-only pass shows the old copy still running with
  // its removal pending, and the new place held.
  const from = before[0].node;
  const other = from === 'n1' ? 'n2' : 'n1';
  c.setCib(cibXml(['n1', 'n2'], 2, 2).replace(`uname="${from}"/>`, `uname="${from}"><instance_attributes id="s"><nvpair id="s-s" name="standby" value="on"/></instance_attributes></node>`));
  const planned = rows(await c.pass(false));
  const web0 = planned.filter((x) => x.name === 'web-0');
  t.same(web0.map(brief), [`web-0@${from}:running`], 'the running copy is what is shown');
  t.match(web0[0].note, /pending remove/);
  t.equal((web0[0].note?.match(/held on/g) ?? []).length, 1, `the hold is said once: ${web0[0].note}`);
  // Applied: removed in one pass, created on the other node in the next, seen by the third.
  await c.pass();
  await c.pass();
  const moved = rows(await c.pass());
  t.same(moved.filter((x) => x.name === 'web-0').map(brief), [`web-0@${other}:running`]);
});

t.test('no node can be observed: the bundles are still shown, each replica unknown where it may run', async (t) => {
  const { c, before } = await settled(['n1', 'n2'], 3, 2);
  c.state.set('n1', 'suspect');
  c.state.set('n2', 'suspect');
  const r = await c.pass();
  t.equal(r.nodes.length, 0, 'nothing observed');
  const s = clusterStatus(r, Date.now());
  t.equal(s.converged, false);
  t.equal(s.bundles.length, 1, 'the bundle is shown');
  t.same(s.bundles[0].replicaStatus.map(brief), before.map((x) => `${x.name}@${x.node}:unknown`), 'each replica unknown on the node it ran on');
});

t.test('a CIB that cannot be read (a corrupt store): its code is shown, and the cluster is not converged', async (t) => {
  const { c } = await settled(['n1', 'n2'], 2, 1);
  const r = await c.pass();
  t.equal(clusterStatus(r, Date.now()).converged, true, 'converged before');
  const corrupt = { code: 'STORE_CORRUPT', message: "etcd key '/x/cib' does not hold a valid CIB", severity: 'error' as const, path: '/x/cib' };
  const s = clusterStatus({ ...r, cibProblems: [corrupt] }, Date.now());
  t.equal(s.converged, false, 'not converged on a CIB it cannot read');
  t.match(s.problems, [{ code: 'STORE_CORRUPT' }], 'the code is among the problems');
  t.equal(s.bundles[0].running, 2, 'the replicas still run (the last good CIB stays in force)');
});

t.test('a bundle\'s problem is said once, not once per node', async (t) => {
  const c = fakeCluster(['n1', 'n2', 'n3']);
  // An env file that is not there: the bundle's desired state cannot be built, on any node.
  c.setCib(cibXml(['n1', 'n2', 'n3'], 3, 1).replace('replicas-per-host="1"/>', 'replicas-per-host="1" options="--env-file /nonexistent/berth-test.env"/>'));
  const s = clusterStatus(await c.pass(false), Date.now());
  const messages = s.problems.map((p) => p.message);
  t.ok(messages.length > 0, `problems: ${messages.join(' | ')}`);
  t.match(messages.join('\n'), /berth-test\.env/, 'the bundle\'s problem');
  t.equal(new Set(messages).size, messages.length, 'no problem repeated');
});

t.test('each replica names its engine; a <podman> bundle on a node without podman says it runs on Docker', async (t) => {
  const names = ['n1', 'n2'];
  const c = fakeCluster(names);
  // Each node: its fake engine as Docker, a second fake as podman, present on n1 only.
  const podmans = names.map((name) => fakeNode(`${name}-podman`));
  c.nodes.forEach((n, i) => { n.deps.engine = nodeEngines({ docker: n.deps.engine, podman: { engine: podmans[i].deps.engine, present: () => n.name === 'n1' } }); });
  c.setCib(cibXml(names, 2, 1).replace(/<docker /, '<podman ').replace('</resources>', '<bundle id="app"><docker image="berth-test/httpd:1" replicas="2" replicas-per-host="1"/></bundle></resources>'));
  await c.pass();
  const s = clusterStatus(await c.pass(), Date.now());
  const rowsOf = (id: string) => s.bundles.find((b) => b.id === id)!.replicaStatus;
  t.same(rowsOf('web').map((r) => [r.node, r.container?.engine]).sort(), [['n1', 'podman'], ['n2', 'docker']]);
  t.same(rowsOf('app').map((r) => r.container?.engine), ['docker', 'docker'], '<docker> bundles on Docker everywhere');
  t.equal(podmans[0].containers.size, 1, 'the <podman> replica of n1 is on its podman');
  t.equal(podmans[1].containers.size, 0);
  t.match(rowsOf('web').find((r) => r.node === 'n2')!.note, /^podman bundle on the Docker engine \(no podman on this node\)$/);
  t.notOk(rowsOf('web').find((r) => r.node === 'n1')!.note);
  t.notOk(rowsOf('app').some((r) => r.note));
  t.equal(s.converged, true);
  const text = formatBundles(s.bundles).join('\n');
  t.match(text, /REPLICA\s+NODE\s+ADDRESS\s+STATE\s+HEALTH\s+ENGINE\s+FAILURES\s+NOTE/);
  t.match(text, /web-\d\s+n2\s+\S+\s+running\s+none\s+docker\s+0\s+podman bundle on the Docker engine \(no podman on this node\)/);
  t.match(text, /web-\d\s+n1\s+\S+\s+running\s+none\s+podman\s+0\s*$/m);
});
