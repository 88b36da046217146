// `<podman>` bundles on the real podman, through its Docker-compatible API (scripts/setup-podman.sh
// makes it available: without it this test fails, it is never skipped). A `<podman>` bundle with
// two replicas on loopback addresses runs on podman (`podman ps` has them, `docker ps` does not)
// beside a `<docker>` bundle on Docker; status names each replica's engine; drift is repaired on
// podman, and the engine's events say so; scale out and in; removal leaves nothing in podman. With
// podman turned off (BERTH_PODMAN_SOCKET=off) the `<podman>` bundle runs on Docker, and status says
// so. A resource inside a `<podman>` bundle runs in its replica on podman (pacemaker-remoted, its
// key and log binds). Everything made, on either engine, is removed at teardown even when the test
// fails.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { BundleSpec, cibXml, dockerPs, e2eNode, getPage, loAddresses, until, useTestAuthkey } from './e2e-kit';
import { dockerEngine, EngineEvent } from '../../src/runtime/engine';
import { PODMAN_SOCKET } from '../../src/runtime/node-engines';
import { BERTH_LABELS } from '../../src/runtime/labels';
import { pidAlive } from '../../src/cib/cib-file';

/** berth's containers of this node on podman, from the podman CLI (not through berth). */
function podmanPs(node: string): { id: string; name: string; state: string }[] {
  const out = execFileSync('podman', ['ps', '-a', '--no-trunc', '--filter', `label=berth.node=${node}`, '--format', '{{.ID}}\t{{.Names}}'], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean).map((l) => {
    const [id, name] = l.split('\t');
    return { id, name, state: execFileSync('podman', ['inspect', '-f', '{{.State.Status}}', id], { encoding: 'utf8' }).trim() };
  }).sort((x, y) => x.name.localeCompare(y.name));
}

/** A page of a replica on podman: from 127.0.0.1, the one loopback source netavark's port
 * forwarding masquerades (docs/bundles.md, "Which engine"). */
function podmanPage(ip: string, page = '/'): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: ip, port: 80, path: page, localAddress: '127.0.0.1', timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${ip}: HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`${ip}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}

interface StatusJson { bundles: { id: string; replicaStatus: { name: string; note?: string; container?: { engine?: string; state: string } }[] }[] }
const engines = (s: StatusJson, bundle: string) => s.bundles.find((b) => b.id === bundle)!.replicaStatus.map((r) => [r.name, r.container?.engine ?? null]);

/** Removes from podman what test processes that are gone left there (their run ids carry their pid). */
function sweepStalePodman(): void {
  const out = execFileSync('podman', ['ps', '-a', '--filter', 'label=berth.test', '--format', '{{.ID}} {{index .Labels "berth.test"}}'], { encoding: 'utf8' });
  const stale = out.split('\n').map((l) => l.split(' ')).filter(([id, runId]) => {
    const pid = /^(\d+)-/.exec(runId ?? '')?.[1];
    return id && pid && !pidAlive(Number(pid));
  }).map(([id]) => id);
  if (stale.length) spawnSync('podman', ['rm', '-f', '-v', ...stale]);
}

t.test('<podman> bundles run on podman, <docker> bundles on Docker', async (t) => {
  const n = e2eNode(t, 'podman'); // runs scripts/setup-docker.sh, which makes podman's API available
  sweepStalePodman();
  const saved = process.env.BERTH_PODMAN_SOCKET;
  delete process.env.BERTH_PODMAN_SOCKET;
  t.teardown(() => {
    if (saved === undefined) delete process.env.BERTH_PODMAN_SOCKET;
    else process.env.BERTH_PODMAN_SOCKET = saved;
    // What the test left on podman (the Docker side is the scope's).
    const ids = execFileSync('podman', ['ps', '-aq', '--filter', `label=berth.test=${n.scope.runId}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
    if (ids.length) spawnSync('podman', ['rm', '-f', '-v', ...ids]);
  });
  await dockerEngine({ kind: 'podman', socketPath: PODMAN_SOCKET }).ping(); // fails the test when podman's API does not answer

  const ips = n.addresses('127.0.1.111', 3);
  n.addresses('127.0.1.116', 1);
  const data = path.join(n.dir, 'data');
  const web = (replicas: number, image = 'berth-test/httpd:1'): BundleSpec => ({ id: 'pdweb', container: 'podman', replicas, image, start: '127.0.1.111', storageRoot: data, storageTarget: '/var/www/html/data' });
  const dock: BundleSpec = { id: 'pddock', replicas: 1, start: '127.0.1.116' };

  n.writeCib([web(2), dock]);
  const up = await n.berth('apply', '--wait');
  t.equal(up.code, 0, up.out + up.err);
  const onPodman = podmanPs(n.node);
  t.strictSame(onPodman.map((c) => [c.name, c.state]), [['pdweb-0', 'running'], ['pdweb-1', 'running']], 'podman ps has the <podman> replicas');
  t.strictSame(dockerPs(n.node).map((c) => c.name), ['pddock-0'], 'docker ps has only the <docker> replica');
  for (const ip of ips.slice(0, 2)) t.match(await podmanPage(ip), /berth-test\/httpd:1/, `podman replica serves on ${ip}:80`);
  t.match(await getPage('http://127.0.1.116/'), /berth-test\/httpd:1/);
  // storage-map: each replica's own host directory, bound on podman as on Docker
  writeFileSync(path.join(data, 'pdweb-1', 'id.html'), 'replica one\n');
  t.equal(await podmanPage('127.0.1.112', '/data/id.html'), 'replica one\n', 'the replica serves its own data directory');

  const status = await n.berth('status', '--json');
  t.equal(status.code, 0, status.err);
  const s = JSON.parse(status.out) as StatusJson;
  t.strictSame(engines(s, 'pdweb'), [['pdweb-0', 'podman'], ['pdweb-1', 'podman']]);
  t.strictSame(engines(s, 'pddock'), [['pddock-0', 'docker']]);
  const text = (await n.berth('status')).out;
  t.match(text, /pdweb-0 .* podman /);
  t.match(text, /pddock-0 .* docker /);
  t.notMatch(text, /podman bundle on the Docker engine/);
  t.equal((await n.berth('plan')).code, 0, 'converged: nothing moves between engines');

  // Drift on podman: a replica removed behind berth's back is made again there; the engine's
  // events (podman's, through the node's engines) say so.
  const events: EngineEvent[] = [];
  const ac = new AbortController();
  const follow = (async () => {
    try {
      for await (const e of n.nodeDeps().engine.events({ labels: { [BERTH_LABELS.node]: n.node } }, ac.signal)) events.push(e);
    } catch { /* the abort */ }
  })();
  await new Promise((r) => setTimeout(r, 500));
  execFileSync('podman', ['rm', '-f', 'pdweb-1']);
  await until('an event of pdweb-1 from podman', async () => (events.some((e) => e.name === 'pdweb-1' || e.id === onPodman[1].id || e.id.startsWith(onPodman[1].id)) ? true : undefined), 10_000);
  ac.abort();
  await follow;
  const repair = await n.berth('apply', '--wait');
  t.equal(repair.code, 0, repair.out + repair.err);
  t.match(repair.out, /create pdweb-1/);
  const repaired = podmanPs(n.node);
  t.strictSame(repaired.map((c) => c.name), ['pdweb-0', 'pdweb-1']);
  t.not(repaired[1].id, onPodman[1].id, 'a new container');
  t.equal(repaired[0].id, onPodman[0].id, 'pdweb-0 untouched');
  t.strictSame(dockerPs(n.node).map((c) => c.name), ['pddock-0']);

  // Scale out and in, on podman.
  n.writeCib([web(3), dock]);
  t.equal((await n.berth('apply', '--wait')).code, 0);
  t.strictSame(podmanPs(n.node).map((c) => c.name), ['pdweb-0', 'pdweb-1', 'pdweb-2']);
  t.match(await podmanPage('127.0.1.113'), /berth-test\/httpd:1/);
  n.writeCib([web(1), dock]);
  t.equal((await n.berth('apply', '--wait')).code, 0);
  t.strictSame(podmanPs(n.node).map((c) => c.name), ['pdweb-0']);
  t.notOk(ips.slice(1).some((ip) => loAddresses().includes(ip)), 'the addresses of the removed replicas are gone');

  // A changed spec replaces the replica on podman: made beside it, the old removed, then renamed.
  n.writeCib([web(1, 'berth-test/httpd:2'), dock]);
  const roll = await n.berth('apply', '--wait');
  t.equal(roll.code, 0, roll.out + roll.err);
  t.match(roll.out, /^replace pdweb-0: spec changed: image berth-test\/httpd:1 → berth-test\/httpd:2$/m);
  t.strictSame(podmanPs(n.node).map((c) => [c.name, c.state]), [['pdweb-0', 'running']], 'renamed to the replica name on podman');
  t.match(await podmanPage('127.0.1.111'), /berth-test\/httpd:2/);

  // Removal leaves nothing in podman; the <docker> bundle stays.
  n.writeCib([dock]);
  t.equal((await n.berth('apply', '--wait')).code, 0);
  t.strictSame(podmanPs(n.node), [], 'nothing left in podman');
  t.strictSame(dockerPs(n.node).map((c) => c.name), ['pddock-0']);

  // Podman turned off: the <podman> bundle runs on Docker, and status says so.
  process.env.BERTH_PODMAN_SOCKET = 'off';
  n.writeCib([web(1), dock]);
  const off = await n.berth('apply', '--wait');
  t.equal(off.code, 0, off.out + off.err);
  t.strictSame(dockerPs(n.node).map((c) => c.name), ['pddock-0', 'pdweb-0']);
  t.strictSame(podmanPs(n.node), []);
  const offStatus = JSON.parse((await n.berth('status', '--json')).out) as StatusJson;
  t.strictSame(engines(offStatus, 'pdweb'), [['pdweb-0', 'docker']]);
  t.match(offStatus.bundles.find((b) => b.id === 'pdweb')!.replicaStatus[0].note, /podman bundle on the Docker engine \(no podman on this node\)/);
  t.match((await n.berth('status')).out, /pdweb-0 .* docker .*podman bundle on the Docker engine \(no podman on this node\)/);
  t.match(await getPage('http://127.0.1.111/'), /berth-test\/httpd:1/);

  // Podman back: the replica on Docker stays there (same spec); nothing flips.
  delete process.env.BERTH_PODMAN_SOCKET;
  t.equal((await n.berth('plan')).code, 0, 'podman back: no change planned');
  t.match((await n.berth('status')).out, /pdweb-0 .* docker .*podman bundle on the Docker engine \(made before podman/);

  n.writeCib([]);
  t.equal((await n.berth('apply', '--wait')).code, 0);
  t.strictSame(dockerPs(n.node), []);
  t.strictSame(podmanPs(n.node), []);
});

t.test('a resource inside a <podman> bundle: pacemaker-remoted in the replica on podman, its key and log binds, apache started', { timeout: 180_000 }, async (t) => {
  const n = e2eNode(t, 'podinner');
  useTestAuthkey(n);
  t.teardown(() => {
    const ids = execFileSync('podman', ['ps', '-aq', '--filter', `label=berth.test=${n.scope.runId}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
    if (ids.length) spawnSync('podman', ['rm', '-f', '-v', ...ids]);
  });
  n.addresses('127.0.1.118', 1);
  const bundle = `<bundle id="pdin">
    <podman image="berth-test/pcmk:1" replicas="1" replicas-per-host="1" options="-l berth.test=${n.scope.runId}"/>
    <network ip-range-start="127.0.1.118" host-netmask="32" host-interface="lo" control-port="3121"><port-mapping id="pdin-port" port="80"/></network>
    <primitive id="pdin-httpd" class="ocf" provider="heartbeat" type="apache">
      <operations><op id="pdin-mon" name="monitor" interval="2s" timeout="20s"/><op id="pdin-start" name="start" interval="0s" timeout="40s"/><op id="pdin-stop" name="stop" interval="0s" timeout="60s"/></operations>
    </primitive>
  </bundle>`;
  writeFileSync(n.cibFile, cibXml([bundle], { 'stonith-enabled': 'false' }));

  const applied = await n.berth('apply', '--wait');
  t.equal(applied.code, 0, applied.out + applied.err);
  t.strictSame(podmanPs(n.node).map((c) => [c.name, c.state]), [['pdin-0', 'running']], 'the replica runs on podman');
  t.strictSame(dockerPs(n.node), [], 'nothing on Docker');
  t.match(await podmanPage('127.0.1.118'), /berth-test\/pcmk:1/, 'apache, started by the executor, answers');
  const ps = execFileSync('podman', ['exec', 'pdin-0', 'ps', '-eo', 'comm'], { encoding: 'utf8' });
  t.match(ps, /pacemaker-remot/, 'the replica runs the real pacemaker-remoted');
  const mounts = execFileSync('podman', ['inspect', '-f', '{{range .Mounts}}{{.Destination}} {{end}}', 'pdin-0'], { encoding: 'utf8' });
  t.match(mounts, /\/etc\/pacemaker\/authkey/, 'the key is bound');
  t.match(mounts, /\/var\/log/, 'and the replica log directory');
  const s = JSON.parse((await n.berth('status', '--json')).out) as { bundles: { replicaStatus: { container?: { engine?: string }; resource?: { role: string } }[] }[] };
  t.equal(s.bundles[0].replicaStatus[0].container?.engine, 'podman');
  t.equal(s.bundles[0].replicaStatus[0].resource?.role, 'Started');

  writeFileSync(n.cibFile, cibXml([], { 'stonith-enabled': 'false' }));
  t.equal((await n.berth('apply', '--wait')).code, 0);
  t.strictSame(podmanPs(n.node), []);
});
