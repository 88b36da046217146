// Load + validate + one edit + save of a 5,000-bundle CIB: berth's time and peak memory, beside
// the reference tools on the same file in the same run (crm_verify for load + validate, pcs -f
// for load + edit + save).
import { mkdtempSync, writeFileSync, copyFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { berth, bigCib, finalLine, median } from './lib.mjs';

const N = Number(process.env.BUNDLES ?? 5000);
const dir = mkdtempSync(join(tmpdir(), 'berth-big-'));
const base = join(dir, 'big.xml');
writeFileSync(base, bigCib(N));
console.log(`CIB: ${N} bundles, ${(statSync(base).size / 1e6).toFixed(2)} MB`);

/** ms and peak RSS (KiB) of a command, via GNU time's %e/%M when present. */
function measure(cmd, args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  const kib = Number(r.stderr.trim().split('\n').pop());
  return { ms, kib };
}
const edit = ['resource', 'bundle', 'create', 'new-bundle', 'container', 'docker', 'image=x', 'replicas=2', 'network', 'ip-range-start=10.250.0.1', 'port-map', 'port=80'];
const runs = Number(process.env.RUNS ?? 3);
const ours = [], oursVal = [], ref = [], refVal = [];
let peak = 0, refPeak = 0;
for (let i = 0; i < runs; i++) {
  const f = join(dir, `o${i}.xml`);
  copyFileSync(base, f);
  const v = measure(berth, ['cib', 'validate', f]);
  const e = measure(berth, ['-f', f, ...edit]);
  oursVal.push(v.ms); ours.push(v.ms + e.ms); peak = Math.max(peak, v.kib, e.kib);
  const g = join(dir, `p${i}.xml`);
  copyFileSync(base, g);
  const rv = measure('crm_verify', ['--xml-file', g]);
  const re = measure('pcs', ['-f', g, ...edit]);
  refVal.push(rv.ms); ref.push(rv.ms + re.ms); refPeak = Math.max(refPeak, rv.kib, re.kib);
}
console.log(`berth: validate ${median(oursVal).toFixed(0)} ms, validate+edit+save ${median(ours).toFixed(0)} ms, peak RSS ${(peak / 1024).toFixed(0)} MiB`);
console.log(`ref:   crm_verify ${median(refVal).toFixed(0)} ms, crm_verify + pcs -f edit ${median(ref).toFixed(0)} ms, peak RSS ${(refPeak / 1024).toFixed(0)} MiB`);
console.log(`big-cib-memory: ours_peak_mib=${(peak / 1024).toFixed(0)} ref_peak_mib=${(refPeak / 1024).toFixed(0)}`);
finalLine('big-cib', 'ms', median(ours), median(ref));
