// S5 on the real engine: replicas 3 → 5 → 2, then an image change rolled one replica at a time,
// each healthy (its health check passes) before the next.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { BundleSpec, dockerPs, e2eNode, getPage, loAddresses, until } from './e2e-kit';

t.test('S5: scale out, scale in, rolling image change', async (t) => {
  const n = e2eNode(t, 's5');
  const ips = n.addresses('127.0.1.141', 5);
  const data = path.join(n.dir, 'data');
  // A health check so that "healthy before the next" means something; the index page names the image.
  const web = (replicas: number, image = 'berth-test/httpd:1'): BundleSpec => ({
    id: 's5web', replicas, image, start: '127.0.1.141', storageRoot: data, storageTarget: '/data',
    options: '--health-cmd "wget -q -O /dev/null http://127.0.0.1/" --health-interval 1s --health-retries 3',
  });

  n.writeCib([web(3)]);
  t.equal((await n.berth('apply', '--wait')).code, 0);
  const before = dockerPs(n.node);
  t.strictSame(before.map((c) => c.name), ['s5web-0', 's5web-1', 's5web-2']);

  // 3 → 5: two new replicas with the next addresses; the others untouched.
  n.writeCib([web(5)]);
  const plan = await n.berth('plan');
  t.equal(plan.code, 1);
  t.match(plan.out, /add-address\s+s5web-3\s+127\.0\.1\.144\/32/);
  t.match(plan.out, /create\s+s5web-4/);
  t.notMatch(plan.out, /s5web-[012]/, 'nothing happens to replicas 0..2');
  t.equal((await n.berth('apply', '--wait')).code, 0);
  const five = dockerPs(n.node);
  t.strictSame(five.map((c) => c.name), ['s5web-0', 's5web-1', 's5web-2', 's5web-3', 's5web-4']);
  t.strictSame(five.slice(0, 3).map((c) => c.id), before.map((c) => c.id), 'the first three are the same containers');
  t.match(await getPage('http://127.0.1.145/'), /berth-test\/httpd:1/);

  // 5 → 2: replicas 4, 3 and 2 removed (highest first) with their addresses; data kept.
  n.writeCib([web(2)]);
  const inPlan = (await n.berth('plan')).out.split('\n').filter((l) => /^\s+\* remove /.test(l)).map((l) => l.trim().split(/\s+/)[2]);
  t.strictSame(inPlan, ['s5web-4', 's5web-3', 's5web-2'], 'the plan removes the highest index first');
  const down = await n.berth('apply', '--wait');
  t.equal(down.code, 0, down.out + down.err);
  const removed = down.out.split('\n').filter((l) => /^remove s5web-/.test(l)).map((l) => l.split(' ')[1].replace(':', ''));
  t.strictSame(removed.sort(), ['s5web-2', 's5web-3', 's5web-4'], 'replicas 2, 3 and 4 removed');
  const two = dockerPs(n.node);
  t.strictSame(two.map((c) => c.id), before.slice(0, 2).map((c) => c.id), 'replicas 0 and 1 untouched');
  const lo = loAddresses();
  t.ok(ips.slice(0, 2).every((ip) => lo.includes(ip)) && !ips.slice(2).some((ip) => lo.includes(ip)), 'only the first two addresses remain');
  for (const i of [2, 3, 4]) t.ok(existsSync(path.join(data, `s5web-${i}`)), `data directory of s5web-${i} kept`);

  // Back to 3, then the image :1 → :2, rolled one at a time.
  n.writeCib([web(3)]);
  t.equal((await n.berth('apply', '--wait')).code, 0);
  n.writeCib([web(3, 'berth-test/httpd:2')]);
  const one = await n.berth('apply');
  t.equal(one.code, 0, one.out + one.err);
  t.match(one.out, /^replace s5web-0: spec changed: image berth-test\/httpd:1 → berth-test\/httpd:2$/m);
  t.match(one.out, /waiting: s5web-1: rolling update/);
  t.strictSame(dockerPs(n.node).map((c) => c.image), ['berth-test/httpd:2', 'berth-test/httpd:1', 'berth-test/httpd:1'], 'one pass replaces one replica');
  // While s5web-0's health check is still starting, the next pass waits. Its check may pass before
  // the plan is made (1 s interval); then replacing s5web-1 is right, and s5web-0 must be healthy.
  const early = await n.berth('plan');
  const waits = early.out.includes('(health: starting)') || /replaced after s5web-0 is healthy/.test(early.out);
  const health0 = execFileSync('docker', ['inspect', '-f', '{{.State.Health.Status}}', 's5web-0'], { encoding: 'utf8' }).trim();
  t.ok(waits || health0 === 'healthy', `the next replica waits for s5web-0 to be healthy (now ${health0}):\n${early.out}`);
  t.notMatch(early.out, /replace\s+s5web-2\b/, 'never two replicas ahead');

  // Watch the rollout: at no moment do two replicas run the new image without the earlier one healthy.
  const seen: string[] = [];
  const watcher = (async () => {
    for (let i = 0; i < 400; i++) {
      const s = execFileSync('docker', ['ps', '--filter', `label=berth.node=${n.node}`, '--format', '{{.Names}} {{.Image}} {{.Status}}'], { encoding: 'utf8' });
      seen.push(s);
      if (s.split('\n').filter((l) => l.includes('httpd:2') && l.includes('(healthy)')).length === 3) return;
      await new Promise((r) => setTimeout(r, 150));
    }
  })();
  const rest = await n.berth('apply', '--wait');
  await watcher;
  t.equal(rest.code, 0, rest.out + rest.err);
  const order = rest.out.split('\n').filter((l) => /^replace /.test(l)).map((l) => l.split(' ')[1].replace(':', ''));
  t.strictSame(order, ['s5web-1', 's5web-2'], 'then s5web-1, then s5web-2');
  for (const snap of seen) {
    const lines = snap.split('\n').filter(Boolean);
    const starting = lines.filter((l) => l.includes('httpd:2') && !l.includes('(healthy)'));
    t.ok(starting.length <= 1, `never two new replicas not yet healthy at once:\n${snap}`);
  }
  await until('every page serves :2', async () => {
    for (const ip of ips.slice(0, 3)) if (!(await getPage(`http://${ip}/`)).includes('httpd:2')) return undefined;
    return true;
  }, 10_000);
  t.strictSame(dockerPs(n.node).map((c) => c.name), ['s5web-0', 's5web-1', 's5web-2'], 'replaced containers carry the replica names');
  t.equal((await n.berth('plan')).code, 0, 'converged');

  n.writeCib([]);
  t.equal((await n.berth('apply', '--wait')).code, 0);
  t.strictSame(dockerPs(n.node), []);
});
