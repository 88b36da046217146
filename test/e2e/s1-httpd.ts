// S1 on the real engine: the httpd bundle on loopback. One `berth apply --wait` and
// http://127.0.1.131/, .132/ and .133/ each answer with the index page of their own
// <dir>/httpd-bundle-<i>/; docker ps shows three containers named after the replicas; berth status
// shows each replica, its node, its address. A second pass changes nothing: zero engine writes.
import t from 'tap';
import { mkdirSync, writeFileSync, existsSync, readdirSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { pidAlive } from '../../src/cib/cib-file';
import path from 'node:path';
import { recordingEngine } from '../../src/controller/engine-writes';
import { runPass } from '../../src/controller/pass';
import { dockerPs, e2eNode, getPage, loAddresses } from './e2e-kit';

const exampleEnv = (dir: string) => ({ ...process.env, BERTH_EXAMPLE_DIR: path.join(dir, 'example'), BERTH_STATE_DIR: path.join(dir, 'state'), BERTH_STORE: path.join(dir, 'store') });
const upIn = (dir: string, ...args: string[]) => spawnSync('bash', [path.join(__dirname, '..', '..', 'examples', 's1-httpd', 'up.sh'), ...args], { env: exampleEnv(dir), encoding: 'utf8' });

// A run of this file that was killed (the example's directory names its pid) left the example's
// cluster up: its containers hold S1's names and addresses. Take it down the way a user would,
// with its own CIB and state, before either test starts.
for (const old of readdirSync(tmpdir())) {
  const pid = /^berth-s1-example-(\d+)-/.exec(old)?.[1];
  if (!pid || pidAlive(Number(pid))) continue;
  upIn(path.join(tmpdir(), old), 'down');
  rmSync(path.join(tmpdir(), old), { recursive: true, force: true });
}

t.test('S1: three pages from three addresses, each from its own directory', async (t) => {
  const n = e2eNode(t, 's1');
  const www = path.join(n.dir, 'www');
  for (let i = 0; i < 3; i++) {
    mkdirSync(path.join(www, `httpd-bundle-${i}`), { recursive: true });
    writeFileSync(path.join(www, `httpd-bundle-${i}`, 'index.html'), `<h1>replica ${i}</h1>\n`);
  }
  const ips = n.addresses('127.0.1.131', 3);
  n.writeCib([{ id: 'httpd-bundle', replicas: 3, start: '127.0.1.131', storageRoot: www }]);

  const plan = await n.berth('plan');
  t.equal(plan.code, 1, 'plan: changes pending');
  t.match(plan.out, /create\s+httpd-bundle-0/);

  const applied = await n.berth('apply', '--wait');
  t.equal(applied.code, 0, `apply --wait converges\n${applied.out}${applied.err}`);
  t.match(applied.out, /Converged/);

  for (let i = 0; i < 3; i++) t.equal(await getPage(`http://${ips[i]}/`), `<h1>replica ${i}</h1>\n`, `${ips[i]} serves httpd-bundle-${i}'s own page`);
  t.strictSame(dockerPs(n.node).map((c) => [c.name, c.state]), [['httpd-bundle-0', 'running'], ['httpd-bundle-1', 'running'], ['httpd-bundle-2', 'running']]);
  t.ok(ips.every((ip) => loAddresses().includes(ip)), 'the three addresses are on lo');

  const status = await n.berth('status', '--json');
  t.equal(status.code, 0);
  const s = JSON.parse(status.out);
  t.match(s, { node: n.node, converged: true, bundles: [{ id: 'httpd-bundle', running: 3, replicas: 3 }] });
  t.strictSame(s.bundles[0].replicaStatus.map((r: { name: string; node: string; address: string; container: { state: string } }) => [r.name, r.node, r.address, r.container.state]), [
    ['httpd-bundle-0', n.node, '127.0.1.131', 'running'],
    ['httpd-bundle-1', n.node, '127.0.1.132', 'running'],
    ['httpd-bundle-2', n.node, '127.0.1.133', 'running'],
  ]);
  const text = await n.berth('status');
  t.match(text.out, /httpd-bundle-1\s+\S+\s+127\.0\.1\.132\s+running/);

  // Converged: the plan is empty, and a whole pass makes no engine write.
  t.equal((await n.berth('plan')).code, 0, 'plan: nothing to do');
  const engine = recordingEngine(n.nodeDeps().engine);
  const again = await runPass(n.deps({ engine }), { apply: true });
  t.strictSame(engine.writes, [], 'a converged pass makes zero engine writes');
  t.equal(again.nodes.length, 1, 'the node was observed');
  t.equal(again.nodes[0].applied, undefined, 'nothing to apply');
  const second = await n.berth('apply');
  t.equal(second.code, 0);
  t.match(second.out, /Nothing to do/);

  // Every replica's /etc/hosts lists all of them (add-host).
  const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
  const hosts = execFileSync('docker', ['exec', 'httpd-bundle-0', 'cat', '/etc/hosts'], { encoding: 'utf8' });
  t.match(hosts, /127\.0\.1\.133\thttpd-bundle-2/);

  // The bundle deleted: containers and addresses go, the data stays.
  n.writeCib([]);
  const gone = await n.berth('apply', '--wait');
  t.equal(gone.code, 0, gone.out + gone.err);
  t.strictSame(dockerPs(n.node), []);
  t.notOk(ips.some((ip) => loAddresses().includes(ip)), 'the addresses are removed');
  t.ok(existsSync(path.join(www, 'httpd-bundle-2', 'index.html')), 'data directories are kept');
});

// The example users run (examples/s1-httpd/up.sh): after the test above, as it takes the same
// names and addresses. Up, the three pages and `berth status`; a second run does nothing; down.
t.test('examples/s1-httpd/up.sh: up, again (nothing to do), down', { timeout: 240_000 }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), `berth-s1-example-${process.pid}-`));
  const env = exampleEnv(dir);
  const berthHere = (...args: string[]) => spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'bin', 'berth'), ...args], { env, encoding: 'utf8' });
  const up = (...args: string[]) => upIn(dir, ...args);
  t.teardown(() => { up('down'); rmSync(dir, { recursive: true, force: true }); });
  const first = up();
  t.equal(first.status, 0, first.stdout + first.stderr);
  for (let i = 0; i < 3; i++) t.match(first.stdout, new RegExp(`http://127\\.0\\.1\\.13${i + 1}/\\s+httpd-bundle-${i} served from`), `page ${i}`);
  t.match(first.stdout, /Bundle httpd-bundle: 3 of 3 running/);
  // The same shell, no flags: `berth plan` and `status` read the live CIB the example pushed, and
  // speak of the same cluster (nothing to do, nothing removed).
  const plan = berthHere('plan');
  t.equal(plan.status, 0, `plan in the same shell: nothing to do\n${plan.stdout}${plan.stderr}`);
  t.notMatch(plan.stdout, /remove/, 'plan proposes to remove nothing');
  t.match(berthHere('status').stdout, /Bundle httpd-bundle: 3 of 3 running/);
  const again = up();
  t.equal(again.status, 0, again.stderr);
  t.match(again.stdout, /Nothing to do/, 'a second run changes nothing');
  const down = up('down');
  t.equal(down.status, 0, down.stderr);
  t.notOk(['127.0.1.131', '127.0.1.132', '127.0.1.133'].some((ip) => loAddresses().includes(ip)), 'down: the addresses are removed');
  t.notOk(dockerPs(require('node:os').hostname()).some((c) => c.name.startsWith('httpd-bundle-')), 'down: the containers are removed');
});
