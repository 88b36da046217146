// The many-node rig (test/helpers/sim-agents.ts, run by bench/scale.mjs at 100 nodes) at a tiny
// size, so that it cannot rot: a real `berth controller --listen` process and three simulated
// nodes, each a real agent over an in-memory engine, joined by their heartbeats. The CIB pushed
// with the CLI converges (every replica running once), `cluster status --json` reports the last
// pass's duration, and a node powered off has its replicas running on the others, never twice.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureBuilt } from '../helpers/cli';
import { startSimCluster } from '../helpers/sim-cluster';
import { until } from '../helpers/wait';

const NODES = ['n1', 'n2', 'n3'];
const BUNDLES = 6;
const REPLICAS = BUNDLES * 2;

const cibXml = () => {
  const nodes = NODES.map((n, i) => `<node id="${i + 1}" uname="${n}"/>`).join('');
  const bundles = Array.from({ length: BUNDLES }, (_, i) => `<bundle id="b${i}"><docker image="berth-test/httpd:1" replicas="2" replicas-per-host="2"/><network ip-range-start="10.200.${i}.1" host-netmask="32" host-interface="eth0"/></bundle>`).join('');
  return `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="5" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes>${nodes}</nodes><resources>${bundles}</resources><constraints/></configuration><status/></cib>\n`;
};

t.test('simulated nodes through the real controller: converge, then a node lost', async (t) => {
  ensureBuilt();
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-sim-agents-'));
  const store = path.join(dir, 'store');
  const c = await startSimCluster({ nodes: NODES, dir, store });
  t.teardown(async () => { await c.stop(); rmSync(dir, { recursive: true, force: true }); });

  writeFileSync(path.join(dir, 'cib.xml'), cibXml());
  const push = c.berth(['--store', store, 'cluster', 'cib-push', path.join(dir, 'cib.xml')]);
  t.equal(push.code, 0, `cib-push: ${push.stderr}`);
  await until('three nodes alive', () => { const s = c.status(); return s.leading && s.nodes.filter((n) => n.liveness === 'alive').length === 3; }, 20_000, 300);

  const converged = await until('every replica running', async () => { const k = await c.agents.counts(); return k.running === REPLICAS ? k : undefined; }, 20_000, 100);
  t.equal(converged.copies, 1, 'no replica runs twice');
  t.same(Object.values(converged.perNode).sort(), [4, 4, 4], 'spread over the three nodes');
  const s = await until('a converged pass', () => { const x = c.status(); return x.cluster?.converged ? x : undefined; }, 10_000, 300);
  t.type(s.lastPassMs, 'number', 'cluster status --json says how long the last pass took');

  await c.agents.lose('n1');
  let most = 1;
  const after = await until('n1\'s replicas on n2 and n3', async () => {
    const k = await c.agents.counts();
    most = Math.max(most, k.copies);
    return k.running === REPLICAS ? k : undefined;
  }, 20_000, 50);
  t.equal(most, 1, 'no replica ran twice meanwhile');
  t.same(after.perNode, { n2: 6, n3: 6 }, 'the lost node\'s replicas run on the others');
  t.match(c.controllerLog(0), /\[NODE_LOST\] node n1 is lost/, 'the controller declared n1 lost');
  // The bench's "placed": the first pass after the declaration says when it sent its orders.
  t.match(c.controllerLog(0), /node n1's replicas placed: 4 of 4 elsewhere by pass \d+, its orders sent \d+ ms after the declaration \(the pass started \d+ ms after it; model \d+, observed \d+, .*orders sent \d+, ended \d+ ms; 2 nodes observed, [0-2] of them unchanged/, 'the leader said when n1\'s replicas were placed, and how');
  // (n1's may fail as it is powered off mid-observation.)
  t.notMatch(c.controllerLog(0), /n[23]: a snapshot failed/, 'every observation of n2 and n3 was a snapshot (their agents answer node.snapshot)');
});
