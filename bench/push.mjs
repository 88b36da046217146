// Pushes per second with diff-against, against the file store and against a real etcd, beside
// what pcs's diff-against does under the hood on a CIB file in the same run (crm_diff to make the
// patch, then cibadmin --patch with CIB_file). Each push is a fresh CLI process, as users run it.
import { mkdtempSync, writeFileSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { berth, emptyCib, finalLine, timeRun } from './lib.mjs';

const N = Number(process.env.N ?? 20);
const dir = mkdtempSync(join(tmpdir(), 'berth-push-'));
const node = process.execPath;
const run = (args) => timeRun(berth, args);

/** Prepare N operator files, each adding one bundle to the same pulled base. */
function operators(store) {
  const files = [];
  const base = join(dir, `base-${files.length}-${Date.now()}.xml`);
  run(['cluster', 'cib', base, '--store', store]);
  for (let i = 0; i < N; i++) {
    const f = join(dir, `op-${Date.now()}-${i}.xml`);
    copyFileSync(base, f);
    copyFileSync(base, f + '.orig');
    run(['-f', f, 'resource', 'bundle', 'create', `b${i}`, 'container', 'docker', 'image=img:1', 'network', `ip-range-start=127.0.2.${i * 3 + 1}`]);
    files.push(f);
  }
  return files;
}

function pushRate(store, label) {
  const init = join(dir, `init-${label}.xml`);
  writeFileSync(init, emptyCib());
  run(['-f', init, 'property', 'set', 'stonith-enabled=false']);
  run(['cluster', 'cib-push', init, '--store', store]);
  const files = operators(store);
  const t0 = process.hrtime.bigint();
  for (const f of files) run(['cluster', 'cib-push', f, `diff-against=${f}.orig`, '--store', store]);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const rate = N / s;
  console.log(`berth cib-push diff-against (${label}): ${N} pushes in ${s.toFixed(2)} s = ${rate.toFixed(1)} pushes/s`);
  return rate;
}

async function freePort() {
  return new Promise((res) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
}

async function withEtcd(fn) {
  const [c, p] = [await freePort(), await freePort()];
  const data = join(dir, 'etcd');
  const proc = spawn('etcd', ['--name', 'bench', '--data-dir', data, '--listen-client-urls', `http://127.0.0.1:${c}`, '--advertise-client-urls', `http://127.0.0.1:${c}`,
    '--listen-peer-urls', `http://127.0.0.1:${p}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${p}`, '--initial-cluster', `bench=http://127.0.0.1:${p}`], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 100; i++) {
      try { const r = await fetch(`http://127.0.0.1:${c}/health`); if (r.ok) break; } catch { /* not yet */ }
      await new Promise((r) => setTimeout(r, 100));
    }
    return await fn(`etcd://127.0.0.1:${c}/bench`);
  } finally {
    proc.kill('SIGKILL');
    rmSync(data, { recursive: true, force: true });
  }
}

const fileRate = pushRate(join(dir, 'store'), 'file store');
const etcdRate = await withEtcd((url) => pushRate(url, 'etcd'));

// Reference: crm_diff + cibadmin --patch on a CIB file (what pcs's diff-against runs).
const live = join(dir, 'pcs-live.xml');
writeFileSync(live, emptyCib());
const files = [];
for (let i = 0; i < N; i++) {
  const f = join(dir, `pcs-op-${i}.xml`);
  copyFileSync(live, f);
  copyFileSync(live, f + '.orig');
  execFileSync('pcs', ['-f', f, 'resource', 'bundle', 'create', `b${i}`, 'container', 'docker', 'image=img:1']);
  files.push(f);
}
const t0 = process.hrtime.bigint();
for (const f of files) {
  const d = spawnSync('crm_diff', ['--original', `${f}.orig`, '--new', f, '--no-version'], { encoding: 'utf8' });
  const a = spawnSync('cibadmin', ['--patch', '--xml-pipe'], { input: d.stdout, env: { ...process.env, CIB_file: live } });
  if (a.status !== 0) throw new Error(`cibadmin --patch failed: ${a.stderr}`);
}
const refS = Number(process.hrtime.bigint() - t0) / 1e9;
const refRate = N / refS;
console.log(`crm_diff + cibadmin --patch (CIB_file): ${N} pushes in ${refS.toFixed(2)} s = ${refRate.toFixed(1)} pushes/s`);
console.log(`push-etcd: ours_pushes_per_s=${etcdRate.toFixed(1)}`);
finalLine('push', 'pushes_per_s', fileRate, refRate);
rmSync(dir, { recursive: true, force: true });
