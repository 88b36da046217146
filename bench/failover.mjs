// Node fail-over on real engines: 3 nodes (each a network namespace with its own dockerd, from
// test/helpers/cluster.ts), 9 replicas (3 per node) publishing port 80 on their own addresses,
// one `berth controller --listen` with default settings. A node is powered off (every process of
// it SIGKILLed, its addresses gone); measured: the time until every replica it ran answers HTTP on
// its address from another node. ROUNDS rounds (default 3; the node comes back between rounds and
// rejoins empty and, without stickiness, gets its 3 replicas back), median reported.
//
// Reference: Docker Swarm on the same three namespaced engines, a 9-task service published in
// host mode, the same power-off, measured in the same run (bench/lib-swarm.mjs) when it can be
// built here; otherwise the published default (a node is marked down after ~15 s) is printed as
// the reference and marked as such.
// Ends with: failover: ours_ms=X ref_ms=Y ratio=Z
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { berth, finalLine, loadTestHelper, median, root, sleep, until } from './lib.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const REPLICAS = 9;
const say = (s) => console.log(s);


async function ours(c, dir) {
  const names = c.nodes.map((n) => n.name);
  const key = join(dir, 'authkey');
  spawnSync(berth, ['authkey', 'generate', key], { encoding: 'utf8' });
  const cib = join(dir, 'cib.xml');
  writeFileSync(cib, `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="5" num_updates="0" admin_epoch="0"><configuration><crm_config/>
<nodes>${names.map((n, i) => `<node id="${i + 1}" uname="${n}"/>`).join('')}</nodes>
<resources><bundle id="web"><docker image="berth-test/httpd:1" replicas="${REPLICAS}" replicas-per-host="5"/>
<network ip-range-start="${c.subnet}.100" host-interface="eth0" host-netmask="24"><port-mapping id="web-port" port="80"/></network></bundle></resources>
<constraints/></configuration><status/></cib>\n`);
  const ctlLog = join(dir, 'controller.log');
  const { openSync } = await import('node:fs');
  const logFd = openSync(ctlLog, 'a');
  const controller = spawn(process.execPath, [berth, 'controller', '--listen', `${c.bridgeIp}:7441`, '--cib', cib, '--store', join(dir, 'store'), '--authkey', key], { stdio: ['ignore', logFd, logFd] });
  /** The controller's log lines after `t0`, as "+ms line", for the timeline of a round. */
  const timeline = (t0) => readFileSync(ctlLog, 'utf8').split('\n').map((l) => [Date.parse(l.slice(0, 24)), l.slice(25)]).filter(([t, l]) => t >= t0 && /lost|create|start|add-address/.test(l)).map(([t, l]) => `    +${t - t0} ms ${l}`).join('\n');
  const startAgent = (n) => c.spawnOnNode(n, process.execPath, [berth, 'agent', '--node', n, '--listen', `${c.node(n).ip}:7440`, '--controller', `http://${c.bridgeIp}:7441`, '--authkey', key, '--state-dir', join(c.node(n).dir, 'berth')], { log: 'agent.log' });
  for (const n of names) startAgent(n);
  const addr = (i) => `${c.subnet}.${100 + i}`;
  const answers = async (idx) => (await Promise.all(idx.map((i) => c.httpGet(addr(i), 80, 400)))).every((a) => a?.status === 200);
  const all = [...Array(REPLICAS).keys()];
  try {
    await until('9 replicas answer', () => answers(all), 120_000, 200);
    const times = [];
    for (let round = 1; round <= ROUNDS; round++) {
      // The node with the most replicas goes.
      const on = new Map();
      for (const n of names) on.set(n, (await c.berthContainers(n)).filter((k) => k.state === 'running' && k.labels['berth.bundle'] === 'web').map((k) => Number(k.labels['berth.replica'])));
      const victim = names.reduce((a, b) => (on.get(b).length > on.get(a).length ? b : a));
      const moved = on.get(victim);
      const t0 = Date.now();
      await c.powerOff(victim);
      // Each replica polled on its own (a GET that times out on one does not delay the others).
      const firstAnswer = (i) => until(`replica ${i} of ${victim} answers elsewhere`, async () => ((await c.httpGet(addr(i), 80, 150))?.status === 200 ? Date.now() : undefined), 60_000, 10);
      const ms = Math.max(...(await Promise.all(moved.map(firstAnswer)))) - t0;
      times.push(ms);
      say(`ours round ${round}: powered off ${victim} (replicas ${moved.join(', ')}); they answer on their addresses elsewhere after ${ms} ms`);
      if (process.env.BERTH_BENCH_VERBOSE) say(timeline(t0));
      await c.powerOn(victim);
      startAgent(victim);
      await until('the node rejoins', async () => /granted/.test(readFileSync(join(c.node(victim).dir, 'agent.log'), 'utf8').split('=== ').pop() ?? ''), 60_000, 100);
      // Without stickiness the returning node gets its share back (3 per node), so every round
      // starts balanced: the moves remove each old copy before its new one starts.
      await until('3 replicas on every node', async () => (await Promise.all(names.map(async (n) => (await c.berthContainers(n)).filter((k) => k.state === 'running').length))).every((k) => k === 3), 120_000, 200);
      await until('9 replicas answer', () => answers(all), 60_000, 200);
      await sleep(1000);
    }
    return times;
  } finally {
    controller.kill('SIGKILL');
  }
}

async function main() {
  const { startCluster } = await loadTestHelper('cluster');
  const c = await startCluster({ nodes: ['f1', 'f2', 'f3'] });
  const dir = mkdtempSync(join(tmpdir(), 'berth-failover-bench-'));
  // The daemons write their client config here, not to /etc/berth/client.json.
  process.env.BERTH_CONFIG = join(dir, 'client.json');
  let oursMs, refMs, refWhat;
  try {
    const times = await ours(c, dir);
    oursMs = median(times);
    say(`ours: median ${oursMs} ms over ${times.length} rounds (${times.join(', ')}); default settings: heartbeat 300 ms, node lost after 2 s`);
  } finally {
    await c.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
  refMs = 15000;
  refWhat = 'Docker Swarm marks a node down after ~15 s by default (published; not measured here)';
  if (existsSync(join(root, 'bench', 'lib-swarm.mjs')) && process.env.BERTH_BENCH_SWARM !== '0') {
    try {
      const { swarmFailover } = await import('./lib-swarm.mjs');
      refMs = await swarmFailover({ say, replicas: REPLICAS });
      refWhat = 'Docker Swarm: the same 3 namespaced engines, 9 tasks in host mode, the same power-off, measured here';
    } catch (e) {
      say(`swarm reference could not be measured here: ${e.message}`);
    }
  }
  say(`ref:  ${refMs} ms — ${refWhat}`);
  say('published defaults of the others: Swarm marks a node down after ~15 s, Nomad after 20-30 s, Pacemaker waits for fencing (stonith-timeout 60 s)');
  finalLine('failover', 'ms', oursMs, refMs);
}

main().catch((e) => { console.error(e.stack ?? e); process.exit(1); });
