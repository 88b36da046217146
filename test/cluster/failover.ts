// A real cluster on this machine: three nodes, each a network namespace with its own dockerd
// (test/helpers/cluster.ts), each running `berth agent`; one `berth controller --listen` in the
// root namespace. Replicas publish port 80 on their own addresses in the cluster's subnet, so
// "answers" means an HTTP 200 from the root namespace through the bridge.
//
// The CIB has resource-stickiness=1 in rsc_defaults, as \`pcs cluster setup\` writes it.
//
// Proven here, while a sampler lists every node's engine every 50 ms and fails the test the
// moment one replica runs on two nodes:
//   - power-off: the node's replicas answer elsewhere, with the same name, address and data (each
//     serves its own page from storage every node sees);
//   - the node comes back: it rejoins empty, the moved replicas stay;
//   - a real partition (the node runs but no frame reaches it): its agent fences itself, the
//     replicas move, and after healing the node rejoins empty.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { berthAsync, ensureBuilt } from '../helpers/cli';
import { CONTROLLER_PORT, startBerth } from '../helpers/berth-cluster';
import { until } from '../helpers/wait';
import { TestCluster, startCluster } from '../helpers/cluster';

const REPLICAS = 6;
const PORT = 80;


function cibXml(nodes: string[], subnet: string, epoch: number, dataRoot: string, replicas = REPLICAS): string {
  const nodeXml = nodes.map((n, i) => `<node id="${i + 1}" uname="${n}"/>`).join('');
  return `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="${epoch}" num_updates="0" admin_epoch="0"><configuration><crm_config/>
<nodes>${nodeXml}</nodes>
<resources><bundle id="web"><docker image="berth-test/httpd:1" replicas="${replicas}" replicas-per-host="3"/>
<network ip-range-start="${subnet}.100" host-interface="eth0" host-netmask="24"><port-mapping id="web-port" port="${PORT}"/></network>
<storage><storage-mapping id="web-data" source-dir-root="${dataRoot}" target-dir="/var/www/html" options="rw"/></storage></bundle></resources>
<constraints/><rsc_defaults><meta_attributes id="rsc_defaults-meta_attributes"><nvpair id="rsc_defaults-meta_attributes-resource-stickiness" name="resource-stickiness" value="1"/></meta_attributes></rsc_defaults></configuration><status/></cib>\n`;
}

/** Where each replica runs now, from every node's engine. */
async function runningWhere(c: TestCluster): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  await Promise.all(c.nodes.map(async (n) => {
    for (const k of await c.berthContainers(n.name)) {
      if (k.state !== 'running' || k.labels['berth.bundle'] !== 'web') continue;
      out.set(k.name, [...(out.get(k.name) ?? []), n.name]);
    }
  }));
  return out;
}

t.test('fail-over on real engines: power-off, return, partition', { timeout: 600_000 }, async (t) => {
  ensureBuilt();
  const names = ['n1', 'n2', 'n3'];
  const c = await startCluster({ nodes: names, t });
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-failover-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cib = path.join(dir, 'cib.xml');
  // Each replica's data, on a path every node sees (the namespaced nodes share this file system).
  const dataRoot = path.join(dir, 'data');
  for (let i = 0; i <= REPLICAS; i++) {
    require('node:fs').mkdirSync(path.join(dataRoot, `web-${i}`), { recursive: true });
    require('node:fs').writeFileSync(path.join(dataRoot, `web-${i}`, 'index.html'), `data of web-${i}\n`);
  }
  require('node:fs').writeFileSync(cib, cibXml(names, c.subnet, 5, dataRoot));
  const addressOf = (replica: string) => `${c.subnet}.${100 + Number(replica.split('-').pop())}`;

  const berth = startBerth(t, c, { dir, cib });
  const agents = new Map<string, ChildProcess>();
  const startAgent = (n: string) => agents.set(n, berth.startAgent(n));
  for (const n of names) startAgent(n);
  t.teardown(() => { for (const a of agents.values()) a.kill('SIGKILL'); });

  // Answers with its own data: the right replica on its address.
  let replicas = REPLICAS;
  const allAnswer = async () => {
    const answers = await Promise.all(Array.from({ length: replicas }, (_, i) => c.httpGet(addressOf(`web-${i}`), PORT, 500)));
    return answers.every((a, i) => a?.status === 200 && a.body === `data of web-${i}\n`) ? true : undefined;
  };
  await until('all replicas answer', allAnswer, 90_000, 200);
  t.pass('6 replicas answer on their addresses');

  // The sampler: never two running copies of one replica, on any node, at any sample.
  let doubles = 0;
  let samples = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const w = await runningWhere(c);
      samples++;
      for (const [replica, on] of w) {
        if (on.length > 1) {
          doubles++;
          t.fail(`${replica} runs on ${on.join(' and ')} at once`);
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();

  // ---- power-off ----
  const before = await runningWhere(c);
  const load = (n: string) => [...before].filter(([, on]) => on[0] === n).map(([r]) => r);
  const victim = names.reduce((a, b) => (load(b).length > load(a).length ? b : a));
  const moved = load(victim);
  t.ok(moved.length > 0, `${victim} runs ${moved.join(', ')}`);
  const t0 = Date.now();
  await c.powerOff(victim);
  await until(`${moved.join(', ')} answer elsewhere`, async () => {
    const w = await runningWhere(c);
    if (!moved.every((r) => (w.get(r) ?? []).some((n) => n !== victim))) return undefined;
    const answers = await Promise.all(moved.map((r) => c.httpGet(addressOf(r), PORT, 300)));
    return answers.every((a, k) => a?.status === 200 && a.body === `data of ${moved[k]}\n`) ? true : undefined;
  }, 30_000);
  const failoverMs = Date.now() - t0;
  t.pass(`power-off of ${victim}: its replicas answer elsewhere, same address and data, after ${failoverMs} ms`);
  const afterOff = await runningWhere(c);
  for (const r of moved) t.notOk((afterOff.get(r) ?? []).includes(victim), `${r} left ${victim}`);
  t.match(berth.controllerLog(), new RegExp(`node ${victim} is lost`), 'the controller declared it lost');

  // `berth cluster status` tells the same: the node lost, every replica running elsewhere.
  const statusArgs = ['cluster', 'status', '--controller', `http://${c.bridgeIp}:${CONTROLLER_PORT}`, '--authkey', berth.key];
  type Row = { name: string; node: string; address?: string; container?: { state: string } };
  const st = await until('cluster status: converged', async () => {
    const r = await berthAsync([...statusArgs, '--json']);
    const s = r.code === 0 ? JSON.parse(r.stdout) : undefined;
    return s?.cluster?.converged ? s as { leading: boolean; nodes: { name: string; liveness: string }[]; cluster: { bundles: { id: string; running: number; replicaStatus: Row[] }[] } } : undefined;
  }, 15_000, 200);
  t.ok(st.leading, 'asked the leader');
  t.equal(st.nodes.find((n) => n.name === victim)?.liveness, 'lost', `${victim} is shown lost`);
  const web = st.cluster.bundles.find((b) => b.id === 'web')!;
  t.equal(web.running, REPLICAS, `${REPLICAS} of ${REPLICAS} running`);
  const nowWhere = await runningWhere(c);
  t.same(web.replicaStatus.map((r) => `${r.name} ${r.node} ${r.address} ${r.container?.state}`),
    Array.from({ length: REPLICAS }, (_, i) => `web-${i} ${nowWhere.get(`web-${i}`)?.[0]} ${addressOf(`web-${i}`)} running`),
    'each replica on the node whose engine runs it, with its address');
  const text = (await berthAsync(statusArgs)).stdout;
  t.match(text, new RegExp(`${victim}\\s+lost`), 'the text form shows the node lost');
  t.match(text, new RegExp(`Bundle web: ${REPLICAS} of ${REPLICAS} running`), 'and the bundle');

  // ---- the node comes back: empty, and the moved replicas stay ----
  await c.powerOn(victim);
  startAgent(victim);
  await until(`${victim} rejoins`, () => (/a heartbeat is granted/.test(berth.agentLog(victim).split('=== ').pop() ?? '') ? true : undefined), 30_000, 100);
  await new Promise((r) => setTimeout(r, 2500));
  t.same(await c.berthContainers(victim), [], `${victim} rejoined empty (what its engine restarted was removed)`);
  const afterBack = await runningWhere(c);
  for (const r of moved) t.same(afterBack.get(r), afterOff.get(r), `${r} stayed where it moved`);
  t.ok(await allAnswer(), 'every replica answers');
  // It takes new work: one more replica goes to the node with room and least load, the returned one.
  replicas = REPLICAS + 1;
  require('node:fs').writeFileSync(cib, cibXml(names, c.subnet, 6, dataRoot, replicas));
  await until(`web-${REPLICAS} on ${victim}`, async () => ((await c.berthContainers(victim)).some((k) => k.name === `web-${REPLICAS}` && k.state === 'running') ? true : undefined), 30_000, 100);
  await until('every replica answers, the new one too', allAnswer, 30_000, 100);
  t.pass(`the returned node ${victim} takes new work: web-${REPLICAS} runs there`);
  // Back to 6, so that two nodes can hold them all when one is cut off below.
  replicas = REPLICAS;
  require('node:fs').writeFileSync(cib, cibXml(names, c.subnet, 7, dataRoot, replicas));
  await until(`web-${REPLICAS} gone`, async () => ((await runningWhere(c)).has(`web-${REPLICAS}`) ? undefined : true), 30_000, 100);

  // ---- a real partition ----
  const now = await runningWhere(c);
  const cut = names.filter((n) => n !== victim).reduce((a, b) => ([...now].filter(([, on]) => on[0] === b).length > [...now].filter(([, on]) => on[0] === a).length ? b : a));
  const cutReplicas = [...now].filter(([, on]) => on[0] === cut).map(([r]) => r);
  t.ok(cutReplicas.length > 0, `${cut} runs ${cutReplicas.join(', ')}`);
  const p0 = Date.now();
  await c.partition(cut);
  await until(`${cutReplicas.join(', ')} answer elsewhere`, async () => {
    const w = await runningWhere(c);
    if (!cutReplicas.every((r) => (w.get(r) ?? []).length === 1 && w.get(r)![0] !== cut)) return undefined;
    const answers = await Promise.all(cutReplicas.map((r) => c.httpGet(addressOf(r), PORT, 300)));
    return answers.every((a) => a?.status === 200) ? true : undefined;
  }, 30_000);
  t.pass(`partition of ${cut}: its replicas answer elsewhere after ${Date.now() - p0} ms`);
  t.same((await c.berthContainers(cut)).filter((k) => k.state === 'running'), [], `${cut} fenced itself: none of its replicas runs`);
  const agentLog = () => berth.agentLog(cut);
  t.match(agentLog(), /fencing this node/, 'the partitioned agent says it fenced itself');
  await c.heal(cut);
  await until(`${cut} rejoins`, () => (/rejoins \(empty\)/.test(agentLog()) ? true : undefined), 30_000, 100);
  await new Promise((r) => setTimeout(r, 1500));
  t.same(await c.berthContainers(cut), [], `${cut} rejoined empty`);
  t.ok(await allAnswer(), 'every replica answers after the partition heals');

  sampling = false;
  await sampler;
  t.equal(doubles, 0, `no replica ran twice in ${samples} samples of all three engines`);
  berth.controller.kill('SIGTERM');
  if (process.env.BERTH_TEST_LOG_DIR) require('node:fs').writeFileSync(path.join(process.env.BERTH_TEST_LOG_DIR, 'failover-controller.log'), berth.controllerLog());
});
