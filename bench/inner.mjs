// The resource inside a bundle on one node: N=10 replicas of berth-test/pcmk:1 (the real
// pacemaker-remoted 2.1.5) with ocf:heartbeat:apache inside. Measured: the time from `berth apply
// --wait` to every replica's apache started and its first monitor answered successfully (apply
// --wait returns when that is so).
//
// Reference, in the same run on the same engine: the same image started by hand, in parallel:
// `docker run -d` of each replica with the key mounted, then the agent's start and one monitor run
// in it with `docker exec` (what an operator would do without a cluster manager).
// ROUNDS rounds (default 3), medians. Ends with: inner: ours_ms=X ref_ms=Y ratio=Z
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { berth, finalLine, median } from './lib.mjs';

const N = Number(process.env.N ?? 10);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const IMAGE = 'berth-test/pcmk:1';
const START = 190; // 127.0.1.190 .. 127.0.1.(190+N-1)
const runId = `${process.pid}-${Date.now().toString(36)}`;
const label = `berth.bench=${runId}`;
const dir = mkdtempSync(join(tmpdir(), 'berth-inner-'));
const key = join(dir, 'pacemaker-authkey');
const run = promisify(execFile);
const now = () => Number(process.hrtime.bigint()) / 1e6;
const say = (s) => console.log(s);
const env = { ...process.env, PCMK_authkey_location: key };

const setup = spawnSync('bash', [join(import.meta.dirname, '..', 'scripts', 'setup-docker.sh')], { stdio: 'inherit' });
if (setup.status !== 0) process.exit(1);
writeFileSync(key, randomBytes(256), { mode: 0o400 });

function cib(replicas) {
  const bundle = replicas === 0 ? '' : `<bundle id="bi">
    <docker image="${IMAGE}" replicas="${replicas}" replicas-per-host="${replicas}" options="-l ${label}"/>
    <network ip-range-start="127.0.1.${START}" host-interface="lo" host-netmask="32" control-port="3121"/>
    <primitive id="bi-httpd" class="ocf" provider="heartbeat" type="apache"><operations>
      <op id="bi-mon" name="monitor" interval="10s" timeout="20s"/><op id="bi-start" name="start" interval="0s" timeout="40s"/><op id="bi-stop" name="stop" interval="0s" timeout="60s"/>
    </operations></primitive></bundle>`;
  return `<cib validate-with="pacemaker-3.9" admin_epoch="0" epoch="${10 + replicas}" num_updates="0"><configuration>
<crm_config><cluster_property_set id="o"><nvpair id="o-1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
<nodes/><resources>${bundle}</resources><constraints/></configuration><status/></cib>\n`;
}

const cibFile = join(dir, 'cib.xml');
const flags = ['--cib', cibFile, '--node', `bench-${runId}`, '--state-dir', join(dir, 'state')];
const apply = () => spawnSync(process.execPath, [berth, 'apply', '--wait', ...flags], { encoding: 'utf8', env });

async function oursRound() {
  writeFileSync(cibFile, cib(N));
  const t0 = now();
  const r = apply();
  const ms = now() - t0;
  if (r.status !== 0) throw new Error(`berth apply --wait: exit ${r.status}\n${r.stdout}${r.stderr}`);
  const status = JSON.parse(spawnSync(process.execPath, [berth, 'status', '--json', ...flags], { encoding: 'utf8', env }).stdout);
  const started = status.bundles[0].replicaStatus.filter((x) => x.resource?.role === 'Started').length;
  if (started !== N) throw new Error(`${started} of ${N} resources started`);
  writeFileSync(cibFile, cib(0));
  const down = apply();
  if (down.status !== 0) throw new Error(`berth apply --wait (down): ${down.stdout}${down.stderr}`);
  return ms;
}

const OCF = 'export OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=bi-httpd; /usr/lib/ocf/resource.d/heartbeat/apache';
async function refRound() {
  const names = Array.from({ length: N }, (_, i) => `bench-ref-${runId}-${i}`);
  const t0 = now();
  await Promise.all(names.map(async (name) => {
    await run('docker', ['run', '-d', '--name', name, '-l', label, '-v', `${key}:/etc/pacemaker/authkey:ro`, IMAGE]);
    await run('docker', ['exec', name, 'sh', '-c', `${OCF} start`]);
    await run('docker', ['exec', name, 'sh', '-c', `${OCF} monitor`]);
  }));
  const ms = now() - t0;
  await run('docker', ['rm', '-f', ...names]);
  return ms;
}

const ours = [];
const ref = [];
try {
  for (let round = 1; round <= ROUNDS; round++) {
    const o = await oursRound();
    const r = await refRound();
    ours.push(o);
    ref.push(r);
    say(`round ${round}: berth apply --wait ${o.toFixed(0)} ms, docker run + agent start + monitor by hand ${r.toFixed(0)} ms`);
  }
} finally {
  const left = spawnSync('docker', ['ps', '-aq', '--filter', `label=${label}`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  if (left.length) spawnSync('docker', ['rm', '-f', ...left]);
  writeFileSync(cibFile, cib(0));
  apply();
  rmSync(dir, { recursive: true, force: true });
}
say(`N=${N} replicas, medians of ${ROUNDS} rounds: berth ${median(ours).toFixed(0)} ms (pacemaker-remoted started, probe, apache start and first monitor through the executor), by hand ${median(ref).toFixed(0)} ms`);
finalLine('inner', 'ms', median(ours), median(ref));
