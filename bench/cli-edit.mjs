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
const run = (cmd, pre, n) => {
  const xs = [];
  for (let i = 0; i < n + 1; i++) {
    const f = join(dir, `c${i}.xml`);
    copyFileSync(base, f);
    const { ms } = timeRun(cmd, [...pre, '-f', f, ...args]);
    if (i > 0) xs.push(ms); // first run warms the page cache
  }
  return xs;
};
const ours = run(process.execPath, [berth], N_OURS);
const ref = run('pcs', [], N_PCS);
console.log(`berth -f bundle create: median ${median(ours).toFixed(1)} ms over ${ours.length} runs (min ${Math.min(...ours).toFixed(1)})`);
console.log(`pcs   -f bundle create: median ${median(ref).toFixed(1)} ms over ${ref.length} runs (min ${Math.min(...ref).toFixed(1)})`);
const bare = [];
for (let i = 0; i < 10; i++) bare.push(timeRun(process.execPath, ['-e', '0']).ms);
console.log(`(node -e 0 alone: median ${median(bare).toFixed(1)} ms)`);
finalLine('cli-edit', 'ms', median(ours), median(ref));
