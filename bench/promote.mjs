// Promoted-role fail-over on real engines: 3 nodes (network namespaces with their own dockerd,
// test/helpers/cluster.ts), `berth agent` on each, one `berth controller --listen` with default
// settings; bundle db runs ocf:pacemaker:Stateful through the real pacemaker-remoted in each
// replica (berth-test/pcmk:1), promoted-max=1 over 3 replicas, one per node. The promoted
// replica's node is powered off (every process SIGKILLed); measured: the time until another
// replica is Promoted (its agent's own state file says so, read through its process). ROUNDS
// rounds (default 3; the node comes back between rounds), median reported.
//
// Reference: Pacemaker cannot promote another instance before the lost node is fenced; with its
// defaults that is stonith-timeout (60 s) at most, plus the node's loss being noticed (corosync's
// token timeout, 3 s, with pcs's 2-node default of 1 s consensus). Pacemaker's own cluster cannot
// run beside pacemaker-remote on this machine (the packages conflict), so the reference is that
// documented bound, printed as such: the lower end a cluster with fencing that answers at once
// reaches is token + consensus ≈ 3.6 s; we print the default worst case of 63 s.
// Ends with: promote: ours_ms=X ref_ms=Y ratio=Z
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { berth, finalLine, loadTestHelper, median, sleep, until } from './lib.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const IMAGE = 'berth-test/pcmk:1';
const REF_MS = 63_000; // stonith-timeout 60 s + corosync token 3 s (documented defaults)
const say = (s) => console.log(s);

const setup = spawnSync('bash', [join(import.meta.dirname, '..', 'scripts', 'setup-docker.sh')], { stdio: 'inherit' });
if (setup.status !== 0) process.exit(1);
const { startCluster } = await loadTestHelper('cluster');
const c = await startCluster({ nodes: ['n1', 'n2', 'n3'], images: [IMAGE] });
const dir = mkdtempSync(join(tmpdir(), 'berth-promote-'));
const procs = [];
const times = [];
try {
  const names = c.nodes.map((n) => n.name);
  const key = join(dir, 'authkey');
  spawnSync(berth, ['authkey', 'generate', key], { encoding: 'utf8' });
  const pcmkKey = join(dir, 'pacemaker-authkey');
  writeFileSync(pcmkKey, randomBytes(256), { mode: 0o400 });
  const cib = join(dir, 'cib.xml');
  writeFileSync(cib, `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="5" num_updates="0" admin_epoch="0"><configuration>
<crm_config><cluster_property_set id="o"><nvpair id="o-1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
<nodes>${names.map((n, i) => `<node id="${i + 1}" uname="${n}"/>`).join('')}</nodes>
<resources><bundle id="db"><docker image="${IMAGE}" replicas="3" replicas-per-host="1" promoted-max="1"/>
<network ip-range-start="${c.subnet}.100" host-interface="eth0" host-netmask="24" control-port="3121"/>
<primitive id="db-state" class="ocf" provider="pacemaker" type="Stateful"><operations>
<op id="db-m1" name="monitor" interval="2s" role="Promoted"/><op id="db-m2" name="monitor" interval="3s" role="Unpromoted"/>
</operations></primitive></bundle></resources><constraints/></configuration><status/></cib>\n`);
  const { spawn } = await import('node:child_process');
  procs.push(spawn(process.execPath, [berth, 'controller', '--listen', `${c.bridgeIp}:7441`, '--cib', cib, '--store', join(dir, 'store'), '--authkey', key], { stdio: 'ignore' }));
  const startAgent = (n) => c.spawnOnNode(n, process.execPath, [berth, 'agent', '--node', n, '--listen', `${c.node(n).ip}:7440`, '--controller', `http://${c.bridgeIp}:7441`, '--authkey', key, '--state-dir', join(c.node(n).dir, 'berth')], { log: 'agent.log', env: { PCMK_authkey_location: pcmkKey } });
  for (const n of names) startAgent(n);

  // Which node's db replica is promoted now: its agent's own state file, read through the
  // container's process (checked to be that container's: ids are reused).
  const promotedOn = async () => {
    const out = [];
    for (const n of c.nodes) {
      for (const k of await c.berthContainers(n.name).catch(() => [])) {
        if (k.state !== 'running' || k.labels['berth.bundle'] !== 'db') continue;
        try {
          const pid = execFileSync('docker', ['-H', n.dockerHost, 'inspect', '-f', '{{.State.Pid}}', k.id], { encoding: 'utf8' }).trim();
          const state = readFileSync(`/proc/${pid}/root/run/Stateful-db-state.state`, 'utf8').trim();
          if (state === 'Promoted' && readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(k.id.slice(0, 12))) out.push(n.name);
        } catch {
          // not there (yet)
        }
      }
    }
    return out;
  };
  for (let round = 1; round <= ROUNDS; round++) {
    const [victim] = await until('one replica promoted', async () => { const p = await promotedOn(); return p.length === 1 ? p : undefined; }, 180_000, 200);
    const t0 = Date.now();
    await c.powerOff(victim);
    const [now] = await until('another replica promoted', async () => { const p = (await promotedOn()).filter((n) => n !== victim); return p.length === 1 ? p : undefined; }, 90_000, 50);
    const ms = Date.now() - t0;
    times.push(ms);
    say(`round ${round}: ${victim} powered off, the replica on ${now} promoted after ${ms} ms`);
    await c.powerOn(victim);
    startAgent(victim);
    await sleep(3000);
  }
} finally {
  for (const p of procs) p.kill('SIGKILL');
  await c.destroy();
  rmSync(dir, { recursive: true, force: true });
}
say(`median of ${ROUNDS} rounds: ${median(times).toFixed(0)} ms (goal <= 3000 ms); reference: Pacemaker's documented default bound, stonith-timeout 60 s + token 3 s = ${REF_MS} ms (not measured here: Pacemaker's cluster packages conflict with pacemaker-remote)`);
finalLine('promote', 'ms', median(times), REF_MS);
