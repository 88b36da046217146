// A configured fence action: `berth controller --fence-command CMD` runs `CMD NODE` when a node
// goes silent, and when it exits 0 (the node is confirmed off) the node's replicas move at once,
// before its lease would have ended. Here the node is partitioned (it runs, unreachable); the
// fence command asks the test to pull the node's plug (as a PDU or IPMI would) and confirms.
// A fence command that fails confirms nothing: the lease then decides (failover.ts covers it).
import t from 'tap';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureBuilt } from '../helpers/cli';
import { startBerth } from '../helpers/berth-cluster';
import { until } from '../helpers/wait';
import { startCluster } from '../helpers/cluster';


t.test('a fence command that confirms moves the replicas before the lease ends', { timeout: 300_000 }, async (t) => {
  ensureBuilt();
  const names = ['k1', 'k2'];
  const c = await startCluster({ nodes: names, t });
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-fence-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // The fence "device": asks the test to power the node off, waits for it, confirms with exit 0.
  const fence = path.join(dir, 'fence.sh');
  writeFileSync(fence, `#!/bin/sh\necho "$1" > "${dir}/fence-request-$1"\nwhile [ ! -f "${dir}/off-$1" ]; do sleep 0.02; done\nexit 0\n`);
  chmodSync(fence, 0o755);
  const cib = path.join(dir, 'cib.xml');
  writeFileSync(cib, `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="5" num_updates="0" admin_epoch="0"><configuration><crm_config/>
<nodes>${names.map((n, i) => `<node id="${i + 1}" uname="${n}"/>`).join('')}</nodes>
<resources><bundle id="web"><docker image="berth-test/httpd:1" replicas="2" replicas-per-host="2"/>
<network ip-range-start="${c.subnet}.100" host-interface="eth0" host-netmask="24"><port-mapping id="web-port" port="80"/></network></bundle></resources>
<constraints/><rsc_defaults><meta_attributes id="d"><nvpair id="d-s" name="resource-stickiness" value="1"/></meta_attributes></rsc_defaults></configuration><status/></cib>\n`);
  const berth = startBerth(t, c, { dir, cib, controllerArgs: ['--fence-command', fence] });
  for (const n of names) berth.startAgent(n);
  const answers = async () => (await Promise.all([0, 1].map((i) => c.httpGet(`${c.subnet}.${100 + i}`, 80, 400)))).every((a) => a?.status === 200) ? true : undefined;
  await until('both replicas answer', answers, 90_000, 200);
  const on = async (n: string) => (await c.berthContainers(n)).filter((k) => k.state === 'running').map((k) => k.name);
  const victim = (await on('k1')).length ? 'k1' : 'k2';
  const survivor = victim === 'k1' ? 'k2' : 'k1';
  const moved = await on(victim);

  const t0 = Date.now();
  await c.partition(victim);
  // The fence device at work: power the node off when asked, then let the command confirm.
  const asked = await until('the fence command to be run', () => (existsSync(path.join(dir, `fence-request-${victim}`)) ? Date.now() - t0 : undefined), 10_000, 10);
  await c.powerOff(victim);
  writeFileSync(path.join(dir, `off-${victim}`), '');
  await until(`${moved.join(', ')} to run on ${survivor}`, async () => ((await on(survivor)).length === 2 ? true : undefined), 20_000, 20);
  const took = Date.now() - t0;
  // Suspect 1 s after the last heartbeat received, which came up to 300 ms before the partition.
  t.ok(asked < 2000, `the fence command ran ${asked} ms after the node fell silent (suspect 1 s after its last heartbeat, before the 2 s lease)`);
  t.match(berth.controllerLog(), new RegExp(`node ${victim} is lost: the fence command confirmed it is off`), 'lost by the fence command, not by the lease');
  t.notMatch(berth.controllerLog(), new RegExp(`node ${victim} is lost: no heartbeat`), 'the lease did not have to end');
  t.pass(`the replicas of ${victim} run on ${survivor} ${took} ms after the partition`);
  await until('both replicas answer again', answers, 20_000, 100);
  t.ok(berth.agentLog(victim).length > 0, 'the fenced node had an agent log');
  berth.controller.kill('SIGTERM');
});
