// Issue 17 through the real cluster path: a controller, an agent in each of two namespaced nodes,
// each node with its own dockerd (test/helpers/cluster.ts). test/e2e/stuck-removal.ts tells the
// same story on the host's engine with `berth apply`; here every order goes controller → agent.
//
// web (1 replica, replicas-per-host=1, kept on n1 by a location constraint) runs on n1. Its layer
// directory is bound elsewhere (`mount --rbind --make-rprivate`, in the mount namespace n1's dockerd
// shares with the host), so `docker rm -f` fails with EBUSY and the engine lists it removing/dead.
// Then, through the controller:
//   - the replica runs again on n1 as web-0.next (never on n2: n2's engine is sampled throughout),
//     `cluster status` names CONTAINER_NOT_REMOVABLE, n1's failure ledger counts the removals;
//   - a new image: web-0.next is replaced by a new web-0.next (the chaos run's seed 1210 made web-0
//     here: "Conflict ... already in use" at every pass); the stuck container stays;
//   - the mount released: within the back-off the stuck container goes and web-0.next becomes
//     web-0 (the same container), and nothing is reported any more.
import t from 'tap';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { berthAsync, berthSync, ensureBuilt } from '../helpers/cli';
import { CONTROLLER_PORT, startBerth } from '../helpers/berth-cluster';
import { until } from '../helpers/wait';
import { startCluster } from '../helpers/cluster';
import { readLedgerOf } from '../../src/controller/node-files';

const EBUSY = /failed to remove root filesystem.*device or resource busy/;

interface Row { name: string; node: string; container?: { id: string; name: string; image: string; state: string } }
interface Status { leading: boolean; cluster: { converged: boolean; problems: { code: string; message: string }[]; bundles: { id: string; replicaStatus: Row[] }[] } | null }

t.test('a container stuck in removal on a cluster node: .next runs, is replaced as .next, takes the name once released', { timeout: 300_000 }, async (t) => {
  ensureBuilt();
  const names = ['n1', 'n2'];
  const c = await startCluster({ nodes: names, t });
  const n1 = c.node('n1');
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-stuck-cluster-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cib = path.join(dir, 'cib.xml');
  writeFileSync(cib, `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="5" num_updates="0" admin_epoch="0"><configuration><crm_config/>
<nodes>${names.map((n, i) => `<node id="${i + 1}" uname="${n}"/>`).join('')}</nodes><resources/><constraints/></configuration><status/></cib>\n`);
  const edit = (...words: string[]) => t.equal(berthSync(['-f', cib, ...words]).code, 0, `berth -f cib.xml ${words.join(' ')}`);
  const ip = `${c.subnet}.100`;
  edit('resource', 'bundle', 'create', 'web', 'container', 'docker', 'image=berth-test/httpd:1', 'replicas=1', 'replicas-per-host=1', 'network', `ip-range-start=${ip}`, 'host-interface=eth0', 'host-netmask=24', 'port-map', 'port=80');
  edit('constraint', 'location', 'web', 'prefers', 'n1');

  const berth = startBerth(t, c, { dir, cib });
  const agents: ChildProcess[] = names.map((n) => berth.startAgent(n));
  t.teardown(() => { for (const a of agents) a.kill('SIGKILL'); });
  const statusArgs = ['cluster', 'status', '--controller', `http://${c.bridgeIp}:${CONTROLLER_PORT}`, '--authkey', berth.key, '--json'];
  const status = async (): Promise<Status> => {
    const r = await berthAsync(statusArgs);
    if (r.code !== 0 && r.code !== 1) throw new Error(`cluster status: exit ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as Status;
  };
  const row = (s: Status) => s.cluster?.bundles.find((b) => b.id === 'web')?.replicaStatus[0];
  /** the status shows web-0 in the container `id` (it gives ids short, as docker ps does) */
  const shows = (s: Status, id: string) => { const shown = row(s)?.container?.id; return !!shown && id.startsWith(shown); };
  const onN1 = async () => (await c.berthContainers('n1')).map((k) => ({ name: k.name, id: k.id, state: k.state }));
  // What the waits last saw, and the daemons' logs: said when a wait times out.
  let seen: unknown;
  const wait = <T>(what: string, f: () => Promise<T | undefined>, ms: number, every?: number) => until(what, f, ms, every).catch((e: Error) => {
    throw new Error(`${e.message}\nlast seen: ${JSON.stringify(seen)}\n--- controller log (end)\n${berth.controllerLog().slice(-6000)}\n--- n1's agent log (end)\n${berth.agentLog('n1').slice(-4000)}`);
  });
  const answers = async () => ((await c.httpGet(ip, 80, 1000))?.status === 200 ? true : undefined);

  const first = await wait('web-0 runs on n1 and answers', async () => {
    const ks = await onN1();
    seen = ks;
    return ks.length === 1 && ks[0].name === 'web-0' && ks[0].state === 'running' && (await answers()) ? ks[0] : undefined;
  }, 90_000);
  const oldId = first.id;

  // The sampler: n2 never gets a copy (nor any berth container), whatever happens on n1.
  let samples = 0;
  const onN2: string[] = [];
  let sampling = true;
  t.teardown(() => { sampling = false; });
  const sampler = (async () => {
    while (sampling) {
      const ks = await c.berthContainers('n2').catch(() => undefined);
      if (ks) samples++;
      for (const k of ks ?? []) onN2.push(`${k.name} (${k.state})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();

  // The holder, where n1's dockerd sees it: its data root is under the node's directory, and it
  // shares the host's mount namespace (it is entered into the node's network namespace only).
  const inspect = async (ref: string, format: string) => {
    const r = await c.docker('n1', ['inspect', '-f', format, ref]);
    if (r.code !== 0) throw new Error(`docker inspect ${ref} on n1: ${r.stderr}`);
    return r.stdout.trim();
  };
  const dockerdPid = readFileSync(path.join(path.dirname(n1.socket), 'docker.pid'), 'utf8').trim();
  t.equal(readlinkSync(`/proc/${dockerdPid}/ns/mnt`), readlinkSync('/proc/self/ns/mnt'), "n1's dockerd is in the host's mount namespace");
  const layer = path.dirname(await inspect(oldId, '{{.GraphDriver.Data.MergedDir}}'));
  t.ok(layer.startsWith(`${n1.dir}/docker/`), `the layer directory ${layer} is in n1's data root`);
  // Under the node's directory, so that the cluster's destroy unmounts it too if the release below
  // does not run.
  const hold = mkdtempSync(path.join(n1.dir, 'stuck-hold-'));
  const bound = spawnSync('mount', ['--rbind', '--make-rprivate', layer, hold], { encoding: 'utf8' });
  t.equal(bound.status, 0, `mount --rbind: ${bound.stderr}`);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    spawnSync('umount', ['-R', hold]);
    rmSync(hold, { recursive: true, force: true });
  };
  t.teardown(release);

  const rm = await c.docker('n1', ['rm', '-f', oldId]);
  t.not(rm.code, 0, 'docker rm -f fails on n1');
  t.match(rm.stderr, EBUSY, 'with the EBUSY of a root filesystem held by another mount');
  const stuck = (await onN1()).find((k) => k.id === oldId);
  t.match(stuck, { name: 'web-0', state: /^(removing|dead)$/ }, 'listed removing (or dead)');

  // Through the controller: the replica runs beside it as web-0.next, on n1; the operator is told.
  const short = oldId.slice(0, 12);
  const beside = await wait('web-0.next runs on n1 and cluster status names the stuck container', async () => {
    const ks = await onN1();
    seen = ks;
    const next = ks.find((k) => k.name === 'web-0.next' && k.state === 'running');
    if (!next || !ks.some((k) => k.id === oldId)) return undefined;
    const s = await status();
    seen = { ks, problems: s.cluster?.problems, row: row(s) };
    const told = s.cluster?.problems.find((p) => p.code === 'CONTAINER_NOT_REMOVABLE' && p.message.includes(short));
    return told && shows(s, next.id) && (await answers()) ? { next, s, told } : undefined;
  }, 60_000);
  t.match(row(beside.s), { name: 'web-0', node: 'n1', container: { name: 'web-0.next', state: 'running', image: 'berth-test/httpd:1' } }, 'cluster status: web-0 runs on n1 as web-0.next');
  t.match(beside.told.message, new RegExp(`grep ${path.basename(layer)} /proc/\\*/mountinfo`), 'the problem says how to find the holder');
  // The engine's error: the status is the last pass's, which may have inspected the container
  // while our `docker rm -f` was still under way (the engine's error comes with no event); a later
  // pass says it (berth's own retry, due 10 s on, at the latest).
  await wait("cluster status carries the engine's EBUSY error", async () => {
    const s = await status();
    seen = s.cluster?.problems;
    return s.cluster?.problems.some((p) => p.code === 'CONTAINER_NOT_REMOVABLE' && p.message.includes(short) && EBUSY.test(p.message));
  }, 45_000, 1000);
  const clusterId = await inspect(beside.next.id, '{{index .Config.Labels "berth.cluster"}}');
  const ledger = () => readLedgerOf(path.join(n1.dir, 'berth'), clusterId);
  const attempts = await wait("n1's failure ledger records the removal", async () => ledger()[oldId]?.removal?.attempts, 10_000);
  t.ok(attempts >= 1, `${attempts} removal attempt(s) in n1's ledger`);

  // A new image while the stuck container holds web-0: the new container is web-0.next again.
  const nextId = beside.next.id;
  edit('resource', 'bundle', 'update', 'web', 'container', 'image=berth-test/httpd:2');
  const conflicts = () => [berth.controllerLog(), berth.agentLog('n1')].join('\n').split('\n').filter((l) => /already in use/.test(l));
  const swapped = await wait('web-0.next replaced on the new image (or a name conflict)', async () => {
    if (conflicts().length) return { conflict: true as const };
    const ks = await onN1();
    seen = ks;
    const next = ks.find((k) => k.name === 'web-0.next' && k.state === 'running' && k.id !== nextId);
    if (!next || (await inspect(next.id, '{{.Config.Image}}')) !== 'berth-test/httpd:2') return undefined;
    const s = await status();
    return shows(s, next.id) && (await answers()) ? { conflict: false as const, next, s, ks } : undefined;
  }, 60_000);
  t.same(conflicts(), [], 'no "already in use" in the controller\'s or n1\'s agent\'s log');
  // (the replace named its new container web-0, which the stuck one holds: nothing further to see)
  if (swapped.conflict) throw new Error(`a name conflict on n1: ${conflicts().join('\n')}`);
  t.strictSame(swapped.ks.map((k) => [k.name, k.id === oldId, k.id === swapped.next.id]).sort(), [['web-0', true, false], ['web-0.next', false, true]], 'on n1: the stuck web-0 and a new web-0.next, nothing else');
  t.match(row(swapped.s), { node: 'n1', container: { name: 'web-0.next', image: 'berth-test/httpd:2', state: 'running' } }, 'cluster status: web-0 runs as the new web-0.next');
  t.notMatch(JSON.stringify(swapped.s), /already in use/, 'nor in the status');
  t.ok(ledger()[oldId]?.removal, 'the stuck container keeps its removal attempts');

  // Released: the next retry (within the back-off) removes it, and web-0.next takes the name.
  release();
  const t0 = Date.now();
  const back = await wait('the stuck container removed and web-0.next renamed web-0', async () => {
    const ks = await onN1();
    seen = ks;
    if (ks.length !== 1 || ks[0].name !== 'web-0' || ks[0].state !== 'running') return undefined;
    const s = await status();
    seen = { ks, problems: s.cluster?.problems, row: row(s) };
    return row(s)?.container?.name === 'web-0' && !s.cluster?.problems.length && (await answers()) ? { ks, s } : undefined;
  }, 90_000, 500);
  t.pass(`released: removed and renamed after ${Date.now() - t0} ms`);
  t.equal(back.ks[0].id, swapped.next.id, 'web-0 is the container that ran as web-0.next');
  t.strictSame(back.s.cluster?.problems, [], 'nothing is reported any more');
  t.match(row(back.s), { name: 'web-0', node: 'n1', container: { name: 'web-0', image: 'berth-test/httpd:2', state: 'running' } });
  t.same(conflicts(), [], 'still no "already in use"');

  sampling = false;
  await sampler;
  t.ok(samples > 10, `${samples} samples of n2's engine`);
  t.strictSame(onN2, [], 'n2 never had a berth container');
  if (process.env.BERTH_TEST_LOG_DIR) {
    writeFileSync(path.join(process.env.BERTH_TEST_LOG_DIR, 'stuck-removal-controller.log'), berth.controllerLog());
    writeFileSync(path.join(process.env.BERTH_TEST_LOG_DIR, 'stuck-removal-agent-n1.log'), berth.agentLog('n1'));
  }
});
