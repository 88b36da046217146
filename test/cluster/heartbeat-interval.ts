// `berth controller --heartbeat-interval`: agents send heartbeats as often as the grants say, and
// the lease scales with the interval (liveness.ts livenessFor). A real controller process with
// --heartbeat-interval 1 and three simulated nodes (test/helpers/sim-agents.ts): the nodes keep
// their leases with a heartbeat a second (none declared lost, none fences itself), and a node
// powered off is declared lost after the scaled lease (6.7 s, not the default 2 s) and within it
// plus a margin for a loaded machine.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureBuilt } from '../helpers/cli';
import { startSimCluster } from '../helpers/sim-cluster';
import { sleep, until } from '../helpers/wait';
import { livenessFor } from '../../src/cluster/liveness';

const NODES = ['n1', 'n2', 'n3'];
const P = livenessFor(1000);
/** how late a loaded machine may declare a lost node, after its lease */
const MARGIN_MS = 3000;

const cibXml = () => `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="5" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes>${NODES.map((n, i) => `<node id="${i + 1}" uname="${n}"/>`).join('')}</nodes><resources><bundle id="b0"><docker image="berth-test/httpd:1" replicas="4" replicas-per-host="2"/><network ip-range-start="10.201.0.1" host-netmask="32" host-interface="eth0"/></bundle></resources><constraints/></configuration><status/></cib>\n`;

t.test('heartbeats every second: leases held, and a node lost after the scaled lease', async (t) => {
  ensureBuilt();
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-heartbeat-interval-'));
  const store = path.join(dir, 'store');
  const c = await startSimCluster({ nodes: NODES, dir, store, controllerArgs: ['--heartbeat-interval', '1'] });
  t.teardown(async () => { await c.stop(); rmSync(dir, { recursive: true, force: true }); });

  writeFileSync(path.join(dir, 'cib.xml'), cibXml());
  const push = c.berth(['--store', store, 'cluster', 'cib-push', path.join(dir, 'cib.xml')]);
  t.equal(push.code, 0, `cib-push: ${push.stderr}`);
  await until('four replicas running', async () => (await c.agents.counts()).running === 4, 30_000, 200);

  await sleep(3 * 2000 + 1000); // three default leases
  t.notMatch(c.controllerLog(0), /NODE_LOST/, 'no node declared lost with a heartbeat a second');
  t.notMatch(c.agentsLog(), /fencing this node/, 'no agent fenced itself');
  t.equal((await c.agents.counts()).running, 4);

  const off = Date.now();
  await c.agents.lose('n1');
  await until('n1 declared lost', () => /\[NODE_LOST\] node n1 is lost/.test(c.controllerLog(0)), P.leaseMs + MARGIN_MS + 5000, 100);
  const after = Date.now() - off;
  // The lease runs from the last heartbeat the controller received, at most one interval before
  // the power-off (and a little more on a loaded machine).
  t.ok(after > P.leaseMs - P.heartbeatMs - 500, `declared ${after} ms after the power-off, not before the scaled lease (${P.leaseMs} ms) could end`);
  t.ok(after <= P.leaseMs + MARGIN_MS, `declared ${after} ms after the power-off, within the lease and ${MARGIN_MS} ms`);
  t.match(c.controllerLog(0), new RegExp(`node n1 is lost: no heartbeat for ${P.leaseMs} ms`));
  const moved = await until('n1\'s replica elsewhere', async () => { const k = await c.agents.counts(); return k.running === 4 ? k : undefined; }, 20_000, 100);
  t.equal(moved.copies, 1, 'never two copies');
});
