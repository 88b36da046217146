// Resources inside bundles on a real cluster: three namespaced nodes with their own engines,
// `berth agent` on each, one `berth controller`. Bundle web runs ocf:heartbeat:apache through the
// real pacemaker-remoted in each replica: its pages answer on the replicas' addresses. Bundle db runs Pacemaker's ocf:pacemaker:Stateful through the
// real pacemaker-remoted in each replica (berth-test/pcmk:1), promoted-max=1 over 3 replicas, one
// per node. Exactly one is Promoted (the agents' own crm_attribute --promotion scores, through
// the executors' IPC proxy to the node's agent); the promoted replica's node is powered off →
// another replica is promoted, and a sampler reading each replica's own state every 50 ms never
// sees two promoted at once.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { berthAsync, ensureBuilt } from '../helpers/cli';
import { CONTROLLER_PORT, startBerth } from '../helpers/berth-cluster';
import { until } from '../helpers/wait';
import { startCluster } from '../helpers/cluster';
import { statefulRole } from '../helpers/stateful-role';

const IMAGE = 'berth-test/pcmk:1';

function cibXml(nodes: string[], subnet: string): string {
  const nodeXml = nodes.map((n, i) => `<node id="${i + 1}" uname="${n}"/>`).join('');
  return `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="5" num_updates="0" admin_epoch="0"><configuration>
<crm_config><cluster_property_set id="cib-bootstrap-options"><nvpair id="o-1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
<nodes>${nodeXml}</nodes>
<resources><bundle id="db"><docker image="${IMAGE}" replicas="3" replicas-per-host="1" promoted-max="1"/>
<network ip-range-start="${subnet}.100" host-interface="eth0" host-netmask="24" control-port="3121"/>
<primitive id="db-state" class="ocf" provider="pacemaker" type="Stateful"><operations>
<op id="db-m1" name="monitor" interval="2s" role="Promoted"/><op id="db-m2" name="monitor" interval="3s" role="Unpromoted"/>
</operations></primitive></bundle>
<bundle id="web"><docker image="${IMAGE}" replicas="2" replicas-per-host="1"/>
<network ip-range-start="${subnet}.110" host-interface="eth0" host-netmask="24" control-port="3121"><port-mapping id="web-port" port="80"/></network>
<primitive id="web-httpd" class="ocf" provider="heartbeat" type="apache"><operations>
<op id="web-m" name="monitor" interval="5s" timeout="20s"/><op id="web-start" name="start" interval="0s" timeout="40s"/><op id="web-stop" name="stop" interval="0s" timeout="60s"/>
</operations></primitive></bundle></resources>
<constraints/><rsc_defaults><meta_attributes id="rsc_defaults-meta_attributes"><nvpair id="rsc_defaults-meta_attributes-resource-stickiness" name="resource-stickiness" value="1"/></meta_attributes></rsc_defaults></configuration><status/></cib>\n`;
}

t.test('apache served from inside web; promoted-max=1 on three nodes: one Promoted; its node powered off, another is promoted, never two', { timeout: 300_000 }, async (t) => {
  ensureBuilt();
  const names = ['n1', 'n2', 'n3'];
  const c = await startCluster({ nodes: names, t, images: [IMAGE] });
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-promote-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const key = path.join(dir, 'pacemaker-authkey');
  writeFileSync(key, randomBytes(256), { mode: 0o400 });
  const cib = path.join(dir, 'cib.xml');
  writeFileSync(cib, cibXml(names, c.subnet));
  const berth = startBerth(t, c, { dir, cib, agentEnv: { PCMK_authkey_location: key } });
  const agents = new Map<string, ChildProcess>();
  for (const n of names) agents.set(n, berth.startAgent(n));
  t.teardown(() => { for (const a of agents.values()) a.kill('SIGKILL'); });

  // The roles as `berth cluster status --json` tells them (the leader's last pass).
  const statusArgs = ['cluster', 'status', '--controller', `http://${c.bridgeIp}:${CONTROLLER_PORT}`, '--authkey', berth.key, '--json'];
  type Row = { name: string; node: string; resource?: { role: string } };
  const rows = async (): Promise<Row[]> => {
    const r = await berthAsync(statusArgs);
    if (r.code !== 0) return [];
    return (JSON.parse(r.stdout).cluster?.bundles ?? []).find((b: { id: string }) => b.id === 'db')?.replicaStatus ?? [];
  };
  const promotedRows = (rs: Row[]) => rs.filter((r) => r.resource?.role === 'Promoted');

  // The sampler: each running db container's own state file, read through its process's root
  // (checked to be that container's process: ids are reused).
  let samples = 0;
  let most = 0;
  let sampling = true;
  t.teardown(() => { sampling = false; });
  const sampler = (async () => {
    while (sampling) {
      let now = 0;
      await Promise.all(c.nodes.map(async (n) => {
        for (const k of await c.berthContainers(n.name).catch(() => [])) {
          if (k.state !== 'running' || k.labels['berth.bundle'] !== 'db') continue;
          try {
            const pid = Number(execFileSync('docker', ['-H', n.dockerHost, 'inspect', '-f', '{{.State.Pid}}', k.id], { encoding: 'utf8' }).trim());
            if (statefulRole(pid, k.id, 'db-state') === 'Promoted') now++;
          } catch {
            // not started yet, or gone with its node
          }
        }
      }));
      samples++;
      if (now > most) most = now;
      await new Promise((r) => setTimeout(r, 50));
    }
  })();

  const first = await until('one Promoted, two Unpromoted', async () => {
    const rs = await rows();
    const roles = rs.map((r) => r.resource?.role).sort();
    return JSON.stringify(roles) === JSON.stringify(['Promoted', 'Unpromoted', 'Unpromoted']) ? rs : undefined;
  }, 120_000, 300).catch(async (e) => {
    const r = await berthAsync(statusArgs.filter((a) => a !== '--json'));
    throw new Error(`${(e as Error).message}\n${r.stdout}${r.stderr}\ncontroller: ${berth.controllerLog().slice(-3000)}\nagent n1: ${berth.agentLog('n1').slice(-3000)}`);
  });
  // apache inside web's two replicas: Started, and serving on the replicas' addresses.
  const webRows = async () => ((await berthAsync(statusArgs).then((r) => (r.code === 0 ? JSON.parse(r.stdout) : undefined)))?.cluster?.bundles ?? []).find((b: { id: string }) => b.id === 'web')?.replicaStatus ?? [];
  await until('apache started in both web replicas', async () => ((await webRows()) as Row[]).filter((r) => r.resource?.role === 'Started').length === 2 ? true : undefined, 60_000, 300);
  for (const i of [0, 1]) {
    const page = await until(`web-${i} answers`, async () => (await c.httpGet(`${c.subnet}.${110 + i}`, 80, 1000))?.body, 30_000, 200);
    t.match(page, /berth-test\/pcmk:1/, `apache in web-${i} serves its page on ${c.subnet}.${110 + i}`);
  }
  const victim = promotedRows(first)[0].node;
  const was = promotedRows(first)[0].name;
  t.pass(`${was} is promoted on ${victim}`);

  const t0 = Date.now();
  await c.powerOff(victim);
  const after = await until('another replica is promoted', async () => {
    const p = promotedRows(await rows()).filter((r) => r.node !== victim);
    return p.length === 1 ? p[0] : undefined;
  }, 60_000, 100);
  const ms = Date.now() - t0;
  t.not(after.name, was, `${after.name} on ${after.node} is promoted ${ms} ms after ${victim} was powered off`);
  t.match(berth.controllerLog(), new RegExp(`node ${victim} is lost`), 'the controller declared the node lost first');
  sampling = false;
  await sampler;
  t.ok(samples > 20, `${samples} samples of every replica's role`);
  t.equal(most, 1, 'never two promoted at once');
});
