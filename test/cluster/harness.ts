// The multi-node test cluster itself (test/helpers/cluster.ts): three nodes on this machine, each
// a network namespace with its own dockerd; a published container reached from the root
// namespace; a real partition; a real power-off (no process of the node survives, its engine
// answers nothing) and power-on (the engine still has the old container); an address moving to
// another node, announced by gratuitous ARP; and nothing left afterwards, not even when the test
// process dies.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { clusterTraces, startCluster, sweepStaleClusters, TestCluster } from '../helpers/cluster';

// What tap loads TypeScript with, for a child process that requires the harness.
const TS_LOADER = path.resolve(__dirname, '../../node_modules/@tapjs/typescript/dist/esm/import.mjs');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, f: () => Promise<T | undefined | false>, timeoutMs: number, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Exists and is not a zombie (this machine's init reaps orphans late). */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

const netnsOf = (pid: number) => fs.readlinkSync(`/proc/${pid}/ns/net`);
const nsInode = (ns: string) => `net:[${fs.statSync(`/run/netns/${ns}`).ino}]`;

async function eth0(c: TestCluster, node: string): Promise<{ up: boolean; addresses: string[] }> {
  const r = await c.exec(node, 'ip', ['-j', '-4', 'addr', 'show', 'dev', 'eth0']);
  const [link] = JSON.parse(r.stdout) as { flags: string[]; addr_info: { local: string }[] }[];
  return { up: link.flags.includes('UP'), addresses: link.addr_info.map((a) => a.local).sort() };
}

t.test('a three-node cluster: partition, power-off, power-on, an address that moves', async (t) => {
  const t0 = Date.now();
  const c = await startCluster({ nodes: ['n1', 'n2', 'n3'], t });
  const startMs = Date.now() - t0;
  t.comment(`cluster ${c.id} (${c.subnet}.0/24) of 3 nodes started in ${startMs} ms`);
  t.equal(c.bridgeIp, `${c.subnet}.1`);
  t.strictSame(c.nodes.map((n) => n.ip), [11, 12, 13].map((i) => `${c.subnet}.${i}`));
  for (const n of c.nodes) {
    t.equal((await c.docker(n.name, ['image', 'inspect', '-f', '{{.Id}}', 'berth-test/httpd:1', 'berth-test/httpd:2'])).code, 0, `${n.name} has the test images`);
    t.strictSame(await eth0(c, n.name), { up: true, addresses: [n.ip] }, `${n.name}: eth0 up with its address`);
  }
  t.equal((await c.exec('n2', 'busybox', ['ping', '-c', '1', '-W', '2', c.node('n1').ip])).code, 0, 'node to node through the bridge');
  t.equal((await c.exec('n2', 'busybox', ['ping', '-c', '1', '-W', '2', c.bridgeIp])).code, 0, 'node to the root namespace');

  // A replica-like container on n1, published on an extra address of n1's eth0.
  const vip = `${c.subnet}.150`;
  t.equal((await c.exec('n1', 'ip', ['addr', 'add', `${vip}/24`, 'dev', 'eth0'])).code, 0);
  const run1 = await c.docker('n1', ['run', '-d', '--name', 'probe', '--label', 'berth.bundle=probe', '-p', `${vip}:8080:80`, 'berth-test/httpd:1']);
  t.equal(run1.code, 0, run1.stderr);
  const page = await until('the probe on n1 answers', () => c.httpGet(vip, 8080, 1000), 10_000);
  t.match(page, { status: 200, body: /berth-test\/httpd:1/ });
  const listed = await c.berthContainers('n1');
  t.match(listed, [{ name: 'probe', state: 'running', labels: { 'berth.bundle': 'probe' } }]);
  t.strictSame(await c.berthContainers('n2'), []);
  // Not /sys/class/net: nsenter --net keeps the root namespace's /sys.
  const mac = (node: string) => c.exec(node, 'ip', ['-j', 'link', 'show', 'eth0']).then((r) => (JSON.parse(r.stdout) as { address: string }[])[0].address);
  const [mac1, mac2] = [await mac('n1'), await mac('n2')];

  // An agent-like process on n1: in n1's netns, killed with it.
  const agent = c.spawnOnNode('n1', 'sleep', ['3600']);
  const agentExit = new Promise<NodeJS.Signals | null>((resolve) => agent.on('exit', (_code, sig) => resolve(sig)));
  await until('the spawned process runs in n1', async () => agent.pid !== undefined && netnsOf(agent.pid) === nsInode(c.node('n1').ns), 5000);
  t.equal(fs.readFileSync(path.join(c.node('n1').dir, 'sleep.log'), 'utf8').split('\n')[0].startsWith('=== '), true, 'its log is in the node dir');

  // Partition: n1 runs on, but nothing reaches it and it reaches nothing.
  await c.partition('n1');
  t.equal(await c.httpGet(vip, 8080, 1000), undefined, 'partitioned: the GET fails');
  t.not((await c.exec('n1', 'busybox', ['ping', '-c', '1', '-W', '1', c.bridgeIp])).code, 0, 'partitioned: n1 cannot reach the root namespace');
  t.not((await c.exec('n1', 'busybox', ['ping', '-c', '1', '-W', '1', c.node('n2').ip])).code, 0, 'partitioned: n1 cannot reach n2');
  t.equal((await eth0(c, 'n1')).up, true, 'partitioned: its link stays up');
  t.match(await c.berthContainers('n1'), [{ name: 'probe', state: 'running' }], 'partitioned: it still runs its container');
  await c.heal('n1');
  t.match(await until('healed: the GET works again', () => c.httpGet(vip, 8080, 1000), 5000), { status: 200 });

  // Power-off: nothing of n1 is left.
  const pidsBefore = c.pids('n1');
  t.ok(pidsBefore.length >= 4, `n1 has processes (dockerd, containerd, shim, httpd, agent): ${pidsBefore.length}`);
  const tOff = Date.now();
  await c.powerOff('n1');
  const offMs = Date.now() - tOff;
  t.comment(`power-off of n1 took ${offMs} ms`);
  t.strictSame(c.pids('n1'), [], 'no process in n1\'s cgroups or netns');
  t.strictSame(pidsBefore.filter(alive), [], 'every process n1 had is gone');
  const pg = spawnSync('pgrep', ['-af', `${c.node('n1').dir}/|/run/berth-test/${c.id}/n1/`], { encoding: 'utf8' });
  t.equal(pg.stdout.trim(), '', 'pgrep finds none of n1\'s daemons');
  t.equal(await agentExit, 'SIGKILL', 'the spawned process died of SIGKILL');
  t.equal(await c.httpGet(vip, 8080, 1000), undefined, 'off: the GET fails');
  const tList = Date.now();
  t.strictSame(await c.berthContainers('n1'), [], 'off: no containers');
  t.ok(Date.now() - tList < 50, 'off: berthContainers answers at once');
  t.not((await c.docker('n1', ['ps'])).code, 0, 'off: the engine does not answer');
  t.strictSame(await eth0(c, 'n1'), { up: false, addresses: [c.node('n1').ip] }, 'off: eth0 down, only the node address');
  t.equal(c.isOn('n1'), false);

  // Power-on: the engine comes back with the old container, stopped as after a reboot.
  const tOn = Date.now();
  await c.powerOn('n1');
  const onMs = Date.now() - tOn;
  t.comment(`power-on of n1 took ${onMs} ms`);
  t.match(await c.berthContainers('n1'), [{ name: 'probe', state: 'exited' }], 'on: the engine still has the container');
  t.strictSame(await eth0(c, 'n1'), { up: true, addresses: [c.node('n1').ip] }, 'on: eth0 up with its address only');
  t.equal((await c.exec('n2', 'busybox', ['ping', '-c', '1', '-W', '2', c.node('n1').ip])).code, 0, 'on: reachable again');

  // The address moves to n2: the root namespace still has n1's MAC for it, until n2 announces it.
  const neigh = () => spawnSync('ip', ['neigh', 'show', vip], { encoding: 'utf8' }).stdout;
  t.match(neigh(), mac1, 'the root namespace has n1\'s MAC for the address');
  t.equal((await c.exec('n2', 'ip', ['addr', 'add', `${vip}/24`, 'dev', 'eth0'])).code, 0);
  const run2 = await c.docker('n2', ['run', '-d', '--name', 'probe', '--label', 'berth.bundle=probe', '-p', `${vip}:8080:80`, 'berth-test/httpd:2']);
  t.equal(run2.code, 0, run2.stderr);
  const tMove = Date.now();
  await c.announce('n2', vip);
  const moved = await until('the GET reaches n2', async () => (await c.httpGet(vip, 8080, 500))?.body.includes('httpd:2'), 5000, 20);
  const moveMs = Date.now() - tMove;
  t.ok(moved);
  t.comment(`after the gratuitous ARP, the GET reached n2 in ${moveMs} ms`);
  t.ok(moveMs < 1000, `the address moved within 1 s (${moveMs} ms)`);
  t.match(neigh(), mac2, 'the root namespace has n2\'s MAC for the address');

  const id = c.id;
  await c.destroy();
  t.strictSame(clusterTraces(id), [], 'nothing of the cluster is left');
  await c.destroy(); // idempotent
});

t.test('a cluster whose test process dies is removed: by its signal handler, or by the next sweep', async (t) => {
  const root = path.resolve(__dirname, '../..');
  // A child process that starts a one-node cluster with a container, prints its id, and waits.
  const script = `
    const { startCluster } = require('./test/helpers/cluster');
    startCluster({ nodes: ['n1'] }).then(async (c) => {
      const r = await c.docker('n1', ['run', '-d', '--label', 'berth.bundle=x', 'berth-test/httpd:1']);
      if (r.code !== 0) throw new Error(r.stderr);
      c.spawnOnNode('n1', 'sleep', ['3600']);
      process.stdout.write(c.id + '\\n');
      setInterval(() => {}, 1000);
    }, (e) => { console.error(e); process.exit(1); });`;
  const crash = async (signal: NodeJS.Signals) => {
    const child = spawn(process.execPath, [`--import=${pathToFileURL(TS_LOADER).href}`, '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise((r) => child.on('exit', r));
    const id = await until('the child started its cluster', async () => out.includes('\n') && out.trim(), 60_000, 100);
    t.not(clusterTraces(id), [], `${id}: the child's cluster exists`);
    child.kill(signal);
    await exited;
    return id;
  };

  const termed = await crash('SIGTERM');
  t.strictSame(clusterTraces(termed), [], 'SIGTERM: the dying process removed its cluster');

  const killed = await crash('SIGKILL');
  t.ok(clusterTraces(killed).some((x) => x.startsWith('process ')), 'SIGKILL: its engine outlived it');
  sweepStaleClusters();
  t.strictSame(clusterTraces(killed), [], 'SIGKILL: the next sweep removed its cluster');
});
