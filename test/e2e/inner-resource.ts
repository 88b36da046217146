// The resource inside a bundle on the real engine, with the real pacemaker-remoted in each replica
// (berth-test/pcmk:1, Debian's pacemaker-remote 2.1.5, apache and Pacemaker's Stateful agent):
// S1 with ocf:heartbeat:apache inside (pages served, monitors running); apache killed inside →
// the monitor fails → restarted in its container, fail count 1; the container killed → recovered
// and the resource started again; migration-threshold reached → the resource stays stopped in
// its container (as Pacemaker keeps it off that guest node); promoted-max=1 over 3 replicas with
// ocf:pacemaker:Stateful → exactly one Promoted (the agent's own crm_attribute --promotion scores,
// through the executor's IPC proxy), never two in any sample, also when the promoted one's
// container is killed.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { startController } from '../../src/controller/daemon';
import { cibXml, dockerPs, e2eNode, getPage, until, useTestAuthkey } from './e2e-kit';

const IMAGE = 'berth-test/pcmk:1';

function innerBundle(o: { id: string; start: string; replicas: number; runId: string; primitive: string; promotedMax?: number; meta?: Record<string, string> }): string {
  const meta = Object.entries(o.meta ?? {}).map(([k, v]) => `<nvpair id="${o.id}-m-${k}" name="${k}" value="${v}"/>`).join('');
  return `<bundle id="${o.id}">
    <docker image="${IMAGE}" replicas="${o.replicas}" replicas-per-host="${o.replicas}"${o.promotedMax ? ` promoted-max="${o.promotedMax}"` : ''} options="-l berth.test=${o.runId}"/>
    <network ip-range-start="${o.start}" host-netmask="32" host-interface="lo" control-port="3121"><port-mapping id="${o.id}-port" port="80"/></network>
    ${o.primitive}
    ${meta ? `<meta_attributes id="${o.id}-m">${meta}</meta_attributes>` : ''}
  </bundle>`;
}

const apache = (id: string, meta = '') => `<primitive id="${id}" class="ocf" provider="heartbeat" type="apache">
      <operations><op id="${id}-mon" name="monitor" interval="2s" timeout="20s"/><op id="${id}-start" name="start" interval="0s" timeout="40s"/><op id="${id}-stop" name="stop" interval="0s" timeout="60s"/></operations>${meta}
    </primitive>`;

interface StatusJson { bundles: { id: string; replicaStatus: { name: string; container?: { id: string }; resource?: { role: string; failcount: number; lastFailure?: string; monitor?: string } }[] }[] }

t.test('a resource inside a bundle: served, monitored, recovered, held at migration-threshold, promoted', { timeout: 240_000 }, async (t) => {
  const n = e2eNode(t, 'inner');
  useTestAuthkey(n);
  const ips = n.addresses('127.0.1.171', 2);
  n.addresses('127.0.1.181', 3);
  const write = (bundles: string[]) => {
    writeFileSync(n.cibFile + '.tmp', cibXml(bundles, { 'stonith-enabled': 'false' }));
    require('node:fs').renameSync(n.cibFile + '.tmp', n.cibFile);
  };
  const web = (threshold?: number) => innerBundle({ id: 'web', start: '127.0.1.171', replicas: 2, runId: n.scope.runId, primitive: apache('web-httpd', threshold ? `<meta_attributes id="web-httpd-m"><nvpair id="web-httpd-m-1" name="migration-threshold" value="${threshold}"/></meta_attributes>` : '') });
  write([web()]);

  // 1. The plan says what runs inside; apply --wait starts the containers, then apache in them.
  const applied = await n.berth('apply', '--wait');
  t.equal(applied.code, 0, applied.out + applied.err);
  t.match(applied.out, /resource web-0 start, monitor \(2s\): not running in its container/);
  for (const ip of ips) t.match(await getPage(`http://${ip}/`), /berth-test\/pcmk:1/, `apache answers on ${ip}`);
  const ps = execFileSync('docker', ['exec', 'web-0', 'ps', '-eo', 'comm'], { encoding: 'utf8' });
  t.match(ps, /pacemaker-remot/, 'the replica runs the real pacemaker-remoted'); // comm is 15 characters
  t.match(ps, /apache2/, 'and apache, started by the executor');

  // The node's controller keeps the monitors running and repairs what fails.
  const log: string[] = [];
  const controller = startController(n.deps(), { log: (l) => log.push(l), resyncMs: 60_000 });
  t.teardown(() => controller.stop());
  const status = async (): Promise<StatusJson> => {
    const r = await n.berth('status', '--json');
    try {
      return JSON.parse(r.out);
    } catch {
      throw new Error(`status --json: exit ${r.code}: ${r.out}${r.err}`);
    }
  };
  const row = async (bundle: string, replica: string) => (await status()).bundles.find((b) => b.id === bundle)!.replicaStatus.find((r) => r.name === replica)!;
  await until('both monitors run', async () => (await status()).bundles[0].replicaStatus.every((r) => r.resource?.role === 'Started' && r.resource.monitor === 'monitor_2000'), 20_000);

  // 2. apache killed inside web-0: the monitor fails, it is restarted in the same container.
  const container0 = (await row('web', 'web-0')).container!.id;
  execFileSync('docker', ['exec', 'web-0', 'sh', '-c', 'pkill -9 apache2 || true']);
  await until('the failure is counted and apache runs again', async () => {
    const r = await row('web', 'web-0');
    return r.resource?.failcount === 1 && r.resource.role === 'Started' && (await getPage(`http://${ips[0]}/`).catch(() => '')) !== '';
  }, 20_000);
  const r0 = await row('web', 'web-0');
  t.equal(r0.container!.id, container0, 'restarted in the same container');
  t.match(r0.resource!.lastFailure, /monitor \(2s\) on web-0 returned 'not running' \(7\)/);
  t.match(log.join('\n'), /resource web-0 stop, start, monitor \(2s\): monitor \(2s\) on web-0 returned 'not running'/);

  // 3. The container killed: the engine or berth starts it again, and the executor the resource.
  execFileSync('docker', ['kill', 'web-1']);
  await until('web-1 runs apache again', async () => (await getPage(`http://${ips[1]}/`).catch(() => '')) !== '' && (await row('web', 'web-1')).resource?.role === 'Started', 30_000);

  // 4. migration-threshold=2: a second failure keeps apache stopped in web-0 (the container stays).
  write([web(2)]);
  controller.poke('test');
  await until('the new CIB is in use', async () => (await n.berth('plan')).code === 0, 20_000);
  execFileSync('docker', ['exec', 'web-0', 'sh', '-c', 'pkill -9 apache2 || true']);
  await until('web-httpd stays stopped on web-0', async () => {
    const r = await row('web', 'web-0');
    return r.resource?.failcount === 2 && r.resource.role === 'Stopped';
  }, 20_000);
  t.equal((await row('web', 'web-0')).container!.id, container0, 'the container stays');
  const plan = await n.berth('plan');
  t.match(plan.out, /web-httpd on web-0 stays stopped: 2 failures \(migration-threshold=2\)/);
  t.equal(dockerPs(n.node).filter((c) => c.state === 'running').length, 2);

  // 5. A promotable resource: exactly one of three promoted, never two, also through a failure.
  const db = innerBundle({ id: 'db', start: '127.0.1.181', replicas: 3, runId: n.scope.runId, promotedMax: 1, primitive: `<primitive id="db-state" class="ocf" provider="pacemaker" type="Stateful">
      <operations><op id="db-m1" name="monitor" interval="2s" role="Promoted"/><op id="db-m2" name="monitor" interval="3s" role="Unpromoted"/></operations></primitive>` });
  write([web(2), db]);
  controller.poke('test');
  let maxPromoted = 0;
  let samples = 0;
  const roles = async () => (await status()).bundles.find((b) => b.id === 'db')?.replicaStatus.map((r) => r.resource?.role ?? '-') ?? [];
  // The agent's own word, sampled in every container every 100 ms: Stateful keeps its role in a
  // state file, read on the host through the container's root (/proc/PID/root: any storage driver).
  // A process id is checked to be the container's own (its cgroup names the container): ids are
  // reused.
  const pids = new Map<number, { pid: number; id: string }>();
  const pidOf = (i: number) => {
    if (!pids.has(i)) {
      try {
        const [pid, id] = execFileSync('docker', ['inspect', '-f', '{{.State.Pid}} {{.Id}}', `db-${i}`], { encoding: 'utf8' }).trim().split(' ');
        if (Number(pid) > 0) pids.set(i, { pid: Number(pid), id });
      } catch {
        return undefined;
      }
    }
    return pids.get(i);
  };
  const sampler = setInterval(() => {
    const fs = require('node:fs') as typeof import('node:fs');
    let promotedNow = 0;
    for (const i of [0, 1, 2]) {
      const p = pidOf(i);
      if (!p) continue;
      try {
        const state = fs.readFileSync(`/proc/${p.pid}/root/run/Stateful-db-state.state`, 'utf8').trim();
        if (!fs.readFileSync(`/proc/${p.pid}/cgroup`, 'utf8').includes(p.id)) { pids.delete(i); continue; }
        if (state === 'Promoted') promotedNow++;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || !fs.existsSync(`/proc/${p.pid}`)) pids.delete(i);
      }
    }
    samples++;
    maxPromoted = Math.max(maxPromoted, promotedNow);
  }, 100);
  t.teardown(() => clearInterval(sampler));
  await until('one Promoted, two Unpromoted', async () => JSON.stringify((await roles()).sort()) === JSON.stringify(['Promoted', 'Unpromoted', 'Unpromoted']), 40_000).catch(async (e) => {
    throw new Error(`${(e as Error).message}: roles ${JSON.stringify(await roles())}; controller: ${log.slice(-15).join(' | ')}`);
  });
  const promoted = (await status()).bundles.find((b) => b.id === 'db')!.replicaStatus.find((r) => r.resource?.role === 'Promoted')!.name;
  execFileSync('docker', ['kill', promoted]);
  await until('one Promoted again after the promoted replica\'s container was killed', async () => {
    const r = await roles();
    return r.filter((x) => x === 'Promoted').length === 1 && r.filter((x) => x === 'Unpromoted').length === 2;
  }, 40_000);
  clearInterval(sampler);
  t.ok(samples > 20, `${samples} samples of the three containers' roles`);
  t.equal(maxPromoted, 1, 'never two promoted at once');
  const text = await n.berth('status');
  t.match(text.out, /Container bundle set: db \[berth-test\/pcmk:1\]: resource db-state \(ocf:pacemaker:Stateful\), promotable/);
  t.match(text.out, /db-state \(ocf:pacemaker:Stateful\): Promoted /);

  // db stopped (target-role): its resource is demoted and stopped before its containers stop.
  write([web(2), db.replace('<network', '<meta_attributes id="db-m"><nvpair id="db-m-1" name="target-role" value="Stopped"/></meta_attributes><network')]);
  controller.poke('test');
  await until('db stopped', () => dockerPs(n.node).filter((c) => c.name.startsWith('db-') && c.state === 'running').length === 0, 60_000);
  t.match(log.join('\n'), /resource db-\d demote, stop: before its container stops/, 'the promoted instance is demoted and stopped before its container stops');
  t.match(log.join('\n'), /resource db-\d stop: before its container stops/, 'the others are stopped before their containers');

  // Everything goes.
  write([]);
  controller.poke('test');
  await until('everything removed', () => dockerPs(n.node).length === 0, 60_000);
  await controller.stop();
});
