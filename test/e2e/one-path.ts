// One path on the real engine. A single node answers as a cluster of one (the same pass, placement
// and loop as many nodes; the table in test/controller/same-answers.ts runs each case on one node
// and three): stop-all-resources stops in place, node standby and a -INFINITY location
// constraint take the replicas off the node. And S11: two berth clusters on one engine each
// manage only their own replicas; the other's, and a container of no cluster, are foreign.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { BundleSpec, dockerPs, e2eNode } from './e2e-kit';

const states = (node: string) => Object.fromEntries(dockerPs(node).map((c) => [c.name, c.state]));

t.test('one node answers as a cluster of one: stop-all-resources, standby, a -INFINITY ban', async (t) => {
  const n = e2eNode(t, 'one');
  const web: BundleSpec = { id: 'opweb', replicas: 2, network: 'none', port: null };
  const write = (props: Record<string, string> = {}, patch: (xml: string) => string = (x) => x) => {
    n.writeCib([web], props);
    writeFileSync(n.cibFile, patch(readFileSync(n.cibFile, 'utf8')));
  };
  write();
  t.equal((await n.berth('apply', '--wait', '--timeout', '60')).code, 0);
  t.strictSame(states(n.node), { 'opweb-0': 'running', 'opweb-1': 'running' });

  // stop-all-resources: stopped where they are, kept (as target-role=Stopped).
  write({ 'stop-all-resources': 'true' });
  const plan = await n.berth('plan');
  t.match(plan.out, /stop\s+opweb-0\s+stop-all-resources=true/);
  t.notMatch(plan.out, /remove/, 'nothing removed');
  t.equal((await n.berth('apply', '--wait', '--timeout', '60')).code, 0);
  t.strictSame(states(n.node), { 'opweb-0': 'exited', 'opweb-1': 'exited' });
  write();
  t.equal((await n.berth('apply', '--wait', '--timeout', '60')).code, 0);
  t.strictSame(states(n.node), { 'opweb-0': 'running', 'opweb-1': 'running' }, 'started again');

  // This node in standby: no node can run the replicas; they leave it, reported.
  const standby = (x: string) => x.replace('<nodes/>', `<nodes><node id="1" uname="${n.node}"><instance_attributes id="nodes-1"><nvpair id="nodes-1-standby" name="standby" value="on"/></instance_attributes></node></nodes>`);
  write({}, standby);
  const sp = await n.berth('plan');
  t.match(sp.out, /remove\s+opweb-1\s+not placed on this node: no node can run replicas \(.* standby\)/);
  t.equal((await n.berth('apply', '--wait', '--timeout', '60')).code, 0);
  t.strictSame(states(n.node), {}, 'standby: none runs here');
  t.match((await n.berth('status')).out, /opweb-0 .*not placed: no node can run replicas/);

  // Back, then banned from this node by a location constraint (pcs: constraint location avoids).
  write();
  t.equal((await n.berth('apply', '--wait', '--timeout', '60')).code, 0);
  t.equal(Object.keys(states(n.node)).length, 2);
  write({}, (x) => x.replace('<constraints/>', `<constraints><rsc_location id="location-opweb-${n.node}--INFINITY" rsc="opweb" node="${n.node}" score="-INFINITY"/></constraints>`));
  const bp = await n.berth('plan');
  t.match(bp.out, /remove\s+opweb-0\s+not placed on this node: location constraints ban bundle opweb from every node/);
  t.equal((await n.berth('apply', '--wait', '--timeout', '60')).code, 0);
  t.strictSame(states(n.node), {}, 'banned: none runs here');
});

t.test('S11: two berth clusters on one engine; a container of no cluster is left alone', async (t) => {
  const a = e2eNode(t, 'alpha');
  const b = e2eNode(t, 'beta');
  a.writeCib([{ id: 's11alpha', replicas: 1, network: 'none', port: null }]);
  b.writeCib([{ id: 's11beta', replicas: 1, network: 'none', port: null }]);
  t.equal((await a.berth('apply', '--wait', '--timeout', '60')).code, 0);
  t.equal((await b.berth('apply', '--wait', '--timeout', '60')).code, 0);
  // A berth container of no cluster (as an older berth made them), on B's node.
  const legacy = execFileSync('docker', ['create', '--name', `s11legacy-${b.scope.runId}`, '-l', `berth.test=${b.scope.runId}`, '-l', 'berth.bundle=s11beta', '-l', 'berth.replica=0', '-l', `berth.node=${b.node}`, 'berth-test/httpd:1'], { encoding: 'utf8' }).trim();

  // B sees A's replica and the legacy one as foreign and plans nothing for them.
  const plan = await b.berth('plan', '--json');
  const p = JSON.parse(plan.out) as { cluster: string; foreign: { id: string; name: string; cluster?: string; code: string }[]; remove: unknown[]; stop: unknown[]; replace: unknown[] };
  t.equal(plan.code, 0, 'nothing to do for B');
  t.strictSame([p.remove, p.stop, p.replace], [[], [], []]);
  const alpha = p.foreign.find((f) => f.name === 's11alpha-0');
  t.ok(alpha, 'A\'s replica is listed as foreign');
  t.not(alpha?.cluster, p.cluster, 'of another cluster');
  t.match(p.foreign.find((f) => f.id === legacy), { code: 'CONTAINER_FOREIGN', name: `s11legacy-${b.scope.runId}` }, 'the container of no cluster too');
  t.equal(p.foreign.find((f) => f.id === legacy)?.cluster, undefined);
  t.match((await b.berth('status')).out, new RegExp(`Foreign \\[CONTAINER_FOREIGN\\]: container s11alpha-0 .*belongs to cluster ${alpha?.cluster}`));

  // B's bundle goes: only B's container is removed; A's replica and the legacy container stay.
  b.writeCib([]);
  t.equal((await b.berth('apply', '--wait', '--timeout', '60')).code, 0);
  t.strictSame(states(b.node), { [`s11legacy-${b.scope.runId}`]: 'created' }, 'B\'s replica removed, the legacy container (labelled for B\'s node) kept');
  t.strictSame(states(a.node), { 's11alpha-0': 'running' }, 'A\'s replica untouched');
  t.equal(execFileSync('docker', ['inspect', '-f', '{{.State.Status}}', legacy], { encoding: 'utf8' }).trim(), 'created', 'the legacy container untouched');
  // And A, planning, proposes nothing for B's engine leftovers either.
  t.equal((await a.berth('plan')).code, 0);
});
