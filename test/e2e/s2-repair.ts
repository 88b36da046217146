// S2 on the real engine, with the controller running: a replica's container killed (docker kill,
// which the engine's restart policy leaves alone) is started again within seconds and the failure
// counted; its process killed from the host (the engine restarts it) is counted too; at
// migration-threshold the replica is stopped and reported, and after failure-timeout it is back.
// Also: an invalid CIB written under a running controller is reported and not applied.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { startController } from '../../src/controller/daemon';
import { BundleSpec, dockerPs, e2eNode, loAddresses, until } from './e2e-kit';

const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8' }).trim();

t.test('S2: killed replicas come back, failures counted, migration-threshold and failure-timeout obeyed', async (t) => {
  const n = e2eNode(t, 's2');
  n.addresses('127.0.1.151', 2);
  const app = (extra: Partial<BundleSpec> = {}): BundleSpec => ({
    id: 's2app', replicas: 2, start: '127.0.1.151', meta: { 'migration-threshold': '3', 'failure-timeout': '10s' }, ...extra,
  });
  n.writeCib([app()]);
  const first = await n.berth('apply', '--wait', '--timeout=60');
  t.equal(first.code, 0, first.out + first.err);

  const log: string[] = [];
  const controller = startController(n.deps(), { log: (l) => log.push(l), resyncMs: 60_000 });
  t.teardown(() => controller.stop());
  const failuresOf = async (name: string): Promise<number> => {
    const s = JSON.parse((await n.berth('status', '--json')).out);
    return s.bundles[0].replicaStatus.find((r: { name: string }) => r.name === name).failures;
  };
  // false also when the container is gone (a replica kept off the node at migration-threshold).
  const running = (name: string) => spawnSync('docker', ['inspect', '-f', '{{.State.Running}}', name], { encoding: 'utf8' }).stdout.trim() === 'true';
  const step = (s: string) => { if (process.env.BERTH_E2E_DEBUG) console.error(`[s2] ${new Date().toISOString()} ${s}`); };
  const id1 = docker('inspect', '-f', '{{.Id}}', 's2app-1');

  // docker kill: the engine does not restart it; berth does, within seconds, and counts it.
  step('kill 1');
  docker('kill', 's2app-1');
  const t0 = Date.now();
  await until('app-1 running again', () => running('s2app-1'), 10_000, 100);
  t.ok(Date.now() - t0 < 10_000, `app-1 running again after ${Date.now() - t0} ms`);
  t.equal(docker('inspect', '-f', '{{.Id}}', 's2app-1'), id1, 'the same container, started again');
  await until('the failure counted', async () => (await failuresOf('s2app-1')) === 1, 3000).catch(async () => t.fail((await n.berth('status')).out + log.join('\n')));
  t.equal(await failuresOf('s2app-1'), 1, 'the failure is counted');
  t.ok(log.some((l) => /^start s2app-1: the container exited \(exit code 137\) outside berth: failure 1 of migration-threshold=3/.test(l)), log.join('\n'));

  // The process killed from the host: the engine's restart policy restarts it; berth counts it.
  step('kill -9');
  const pid = docker('inspect', '-f', '{{.State.Pid}}', 's2app-0');
  execFileSync('kill', ['-KILL', pid]);
  await until('app-0 restarted by the engine and counted', async () => (await failuresOf('s2app-0')) === 1 && running('s2app-0'), 10_000);
  t.pass('app-0: restarted by the engine, failure counted');

  step('threshold');
  // Two more kills of app-1: 3 failures reach migration-threshold=3. As Pacemaker, it is kept off
  // this node until failure-timeout; on one node there is nowhere else, so it does not run
  // (its container goes, its data stays), reported with why.
  docker('kill', 's2app-1');
  await until('app-1 back', () => running('s2app-1') && failuresOf('s2app-1').then((f) => f === 2), 10_000, 100);
  docker('kill', 's2app-1');
  const stoppedAt = Date.now();
  await until('app-1 held at migration-threshold', async () => {
    const s = JSON.parse((await n.berth('status', '--json')).out);
    const r = s.bundles[0].replicaStatus.find((x: { name: string }) => x.name === 's2app-1');
    return r.failures === 3 && /migration-threshold=3/.test(r.note ?? '') ? r : undefined;
  }, 10_000);
  await new Promise((r) => setTimeout(r, 3000));
  t.notOk(running('s2app-1'), 'app-1 does not run at the threshold');
  t.match((await n.berth('status')).out, /s2app-1 .*not placed: s2app-1 failed 3 times on .* \(migration-threshold=3\), kept off it until /, 'status says why and until when');
  t.notOk(loAddresses().includes('127.0.1.152'), `its address is removed while it is stopped\n${(await n.berth('plan')).out}\n${log.join('\n')}`);
  t.ok(running('s2app-0'), 'app-0 is not affected');

  step('expiry');
  // failure-timeout (10 s after the last failure): the failures are forgotten, app-1 runs again
  // (the controller wakes for it, not at its 60 s resync).
  await until('app-1 running again after failure-timeout', () => running('s2app-1'), 20_000, 250);
  t.ok(Date.now() - stoppedAt >= 9000, `started again ${Date.now() - stoppedAt} ms after the last failure (failure-timeout=10s)`);
  await until('failures forgotten', async () => (await failuresOf('s2app-1')) === 0, 5000);
  t.ok(log.some((l) => /^create s2app-1: no container for this replica$/.test(l)), `made again, and that is not counted as a failure\n${log.join('\n')}`);
  t.ok(loAddresses().includes('127.0.1.152'), 'its address is back');

  step('invalid');
  // An invalid CIB under the running controller: reported, not applied, the replicas untouched.
  const before = dockerPs(n.node).map((c) => c.id);
  writeFileSync(n.cibFile, readFileSync(n.cibFile, 'utf8').replace('replicas="2"', 'replicas="two"'));
  await until('the invalid CIB reported', () => log.some((l) => /is invalid and is not applied; the last good CIB stays in force/.test(l)), 10_000);
  controller.poke('test');
  await new Promise((r) => setTimeout(r, 1500));
  t.strictSame(dockerPs(n.node).map((c) => c.id), before, 'nothing changed');
  t.equal((await n.berth('apply')).code, 2, 'berth apply refuses the invalid CIB');
  t.strictSame(dockerPs(n.node).map((c) => c.id), before, 'still nothing changed');

  n.writeCib([]);
  await until('the controller removes everything once the CIB is valid again', () => dockerPs(n.node).length === 0, 20_000);
  await controller.stop();
  t.ok(log.some((l) => /the CIB is valid again/.test(l)));
});
