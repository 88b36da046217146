// One `berth -f` bundle create on a small CIB beside `pcs -f` doing the same, in the same run.
// Goal: ours <= 0.1 x pcs. Each run starts from a fresh copy of the same small CIB.
import { mkdtempSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { berth, emptyCib, finalLine, median, timeRun } from './lib.mjs';

const dir = mkdtempSync(join(tmpdir(), 'berth-bench-'));
const base = join(dir, 'base.xml');
writeFileSync(base, emptyCib());
const args = ['resource', 'bundle', 'create', 'httpd-bundle', 'container', 'docker', 'image=pcmktest:http', 'replicas=3',
  'network', 'ip-range-start=192.168.122.131', 'host-interface=eth0', 'host-netmask=24', 'port-map', 'port=80',
  'storage-map', 'source-dir-root=/var/local/containers', 'target-dir=/var/www/html', 'options=rw'];
const N_OURS = Number(process.env.N ?? 30), N_PCS = Number(process.env.N_PCS ?? 5);
// Interleaved (a few berth runs, then one pcs run, ...) so that both see the same machine load.
const ours = [], ref = [];
let k = 0;
const once = (cmd, pre) => {
  const f = join(dir, `c${k++}.xml`);
  copyFileSync(base, f);
  return timeRun(cmd, [...pre, '-f', f, ...args]).ms;
};
once(berth, []); // warm the page cache and the code cache
once('pcs', []);
for (let i = 0; i < N_PCS; i++) {
  for (let j = 0; j < N_OURS / N_PCS; j++) ours.push(once(berth, []));
  ref.push(once('pcs', []));
}
console.log(`berth -f bundle create: median ${median(ours).toFixed(1)} ms over ${ours.length} runs (min ${Math.min(...ours).toFixed(1)})`);
console.log(`pcs   -f bundle create: median ${median(ref).toFixed(1)} ms over ${ref.length} runs (min ${Math.min(...ref).toFixed(1)})`);
const bare = [];
for (let i = 0; i < 10; i++) bare.push(timeRun(process.execPath, ['-e', '0']).ms);
console.log(`(node -e 0 alone: median ${median(bare).toFixed(1)} ms)`);
finalLine('cli-edit', 'ms', median(ours), median(ref));
