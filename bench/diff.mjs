// bench/diff: diff and patch of a 5,000-bundle CIB (about 2 MB) with berth and with Pacemaker's
// crm_diff, on the same files in the same run, each run as a command (process start, reading,
// parsing, diffing, writing), alternating so that load on the machine hits both alike.
// Also times berth's functions alone (parsed trees in memory) to show where the time goes.
// Usage: node bench/diff.mjs [--bundles N] [--rounds N]
// The last line is: diff: ours_ms=X ref_ms=Y ratio=Z   (medians; goal: ratio <= 0.25)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const BUNDLES = arg('bundles', 5000);
// Process times on a shared machine vary by tens of percent from run to run: enough rounds for a
// median that holds still, after one untimed round that warms the file cache and berth's code cache.
const ROUNDS = arg('rounds', 7);

// ---- the CIBs: a deterministic original and an edited copy ----
function bundle(i, edited) {
  const id = `b${String(i).padStart(4, '0')}`;
  const image = `registry.example.com/app${i}:1.${edited && i % 9 === 0 ? 1 : 0}`;
  const replicas = edited && i % 11 === 0 ? 3 : 2;
  const meta = edited && i % 13 === 0
    ? `\n        <meta_attributes id="${id}-meta_attributes">\n          <nvpair id="${id}-meta_attributes-target-role" name="target-role" value="Stopped"/>\n        </meta_attributes>`
    : '';
  return `      <bundle id="${id}"${edited && i % 17 === 0 ? ' description="edited"' : ''}>
        <docker image="${image}" replicas="${replicas}" run-command="/usr/sbin/httpd -DFOREGROUND" options="--log-driver=journald"/>
        <network ip-range-start="10.${(i >> 8) & 255}.${i & 255}.10" control-port="3121">
          <port-mapping id="${id}-port-map-80" port="80"/>
        </network>${meta}
        <primitive class="ocf" id="${id}-rsc" provider="heartbeat" type="apache"/>
      </bundle>
`;
}

function cib(edited) {
  const order = Array.from({ length: BUNDLES }, (_, i) => i);
  if (edited) for (let i = 0; i + 1 < BUNDLES; i += 499) [order[i], order[i + 1]] = [order[i + 1], order[i]];
  let body = '';
  for (const i of order) {
    if (edited && i % 97 === 5) continue; // deleted
    body += bundle(i, edited);
    if (edited && i % 101 === 7) body += bundle(BUNDLES + i, false); // created
  }
  return `<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="${edited ? 42 : 41}" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config>
      <cluster_property_set id="cib-bootstrap-options">
        <nvpair id="cib-bootstrap-options-stonith-enabled" name="stonith-enabled" value="false"/>
      </cluster_property_set>
    </crm_config>
    <nodes>
      <node id="1" uname="node1"/>
      <node id="2" uname="node2"/>
    </nodes>
    <resources>
${body}    </resources>
    <constraints/>
  </configuration>
  <status/>
</cib>
`;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-diff-'));
const file = (n) => path.join(dir, n);
try {
  fs.writeFileSync(file('a.xml'), cib(false));
  fs.writeFileSync(file('b.xml'), cib(true));
  const mb = (fs.statSync(file('a.xml')).size / 1e6).toFixed(2);
  console.log(`CIB: ${BUNDLES} bundles, ${mb} MB (${file('a.xml')})`);

  // ---- berth as a command: the built CLI when it has `cib diff`, else a bundle of the command ----
  const bench = await bundleBench();
  // berth as users run it: bin/berth (its shebang sets the flags it starts with)
  const berthBin = path.join(root, 'bin', 'berth');
  const ours = { how: 'bin/berth cib diff|patch', diff: (out) => ['cib', 'diff', file('a.xml'), file('b.xml'), '-o', out], patch: (p, out) => ['cib', 'patch', file('a.xml'), p, '-o', out] };
  console.log(`berth: ${ours.how}`);
  const crm = spawnSync('crm_diff', ['--version'], { encoding: 'utf8' });
  if (crm.status !== 0) throw new Error('crm_diff is not installed (Debian pacemaker-cli-utils)');
  console.log(`reference: ${crm.stdout.split('\n')[0]} crm_diff`);

  const timed = (cmd, args, okCodes) => {
    const start = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (!okCodes.includes(r.status)) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    return { ms, stdout: r.stdout };
  };
  const times = { oursDiff: [], refDiff: [], oursPatch: [], refPatch: [] };
  timed(berthBin, ours.diff(file('ours.patch.xml')), [1]);
  timed('crm_diff', ['--original', file('a.xml'), '--new', file('b.xml')], [1]);
  for (let round = 0; round < ROUNDS; round++) {
    times.oursDiff.push(timed(berthBin, ours.diff(file('ours.patch.xml')), [1]).ms);
    const ref = timed('crm_diff', ['--original', file('a.xml'), '--new', file('b.xml')], [1]);
    times.refDiff.push(ref.ms);
    fs.writeFileSync(file('ref.patch.xml'), ref.stdout);
    times.oursPatch.push(timed(berthBin, ours.patch(file('ref.patch.xml'), file('ours.applied.xml')), [0]).ms);
    times.refPatch.push(timed('crm_diff', ['--original', file('a.xml'), '--patch', file('ref.patch.xml')], [0]).ms);
  }

  // ---- the results agree (not timed) ----
  const api = createRequire(import.meta.url)(bench);
  const read = (n) => api.parseXml(fs.readFileSync(file(n), 'utf8'), n);
  const same = (x, y) => api.canonical(x) === api.canonical(y);
  const crmOnOurs = spawnSync('crm_diff', ['--original', file('a.xml'), '--patch', file('ours.patch.xml')], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const checks = {
    'our patch is crm_diff\'s': same(read('ours.patch.xml'), read('ref.patch.xml')),
    'crm_diff applies ours to give NEW': crmOnOurs.status === 0 && same(api.parseXml(crmOnOurs.stdout), read('b.xml')),
    'we apply crm_diff\'s to give NEW': same(read('ours.applied.xml'), read('b.xml')),
  };
  for (const [what, ok] of Object.entries(checks)) console.log(`check: ${what}: ${ok ? 'yes' : 'NO'}`);
  const changes = (fs.readFileSync(file('ref.patch.xml'), 'utf8').match(/<change /g) ?? []).length;
  console.log(`patch: ${changes} changes, ${(fs.statSync(file('ref.patch.xml')).size / 1e3).toFixed(0)} kB`);

  // ---- berth's functions alone, in this process ----
  const inProcess = { parse: [], diff: [], apply: [], serialize: [] };
  const textA = fs.readFileSync(file('a.xml'), 'utf8');
  const textB = fs.readFileSync(file('b.xml'), 'utf8');
  for (let round = 0; round < ROUNDS; round++) {
    let t0 = performance.now();
    const a = api.parseXml(textA);
    const b = api.parseXml(textB);
    inProcess.parse.push((performance.now() - t0) / 2);
    t0 = performance.now();
    const p = api.diffCib(a, b);
    inProcess.diff.push(performance.now() - t0);
    t0 = performance.now();
    const r = api.applyPatch(a, p);
    inProcess.apply.push(performance.now() - t0);
    t0 = performance.now();
    api.serializeXml(r);
    inProcess.serialize.push(performance.now() - t0);
  }

  const med = (xs) => xs.slice().sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const f1 = (x) => x.toFixed(1);
  console.log(`in-process (median of ${ROUNDS}): parse one CIB ${f1(med(inProcess.parse))} ms, diffCib ${f1(med(inProcess.diff))} ms, applyPatch ${f1(med(inProcess.apply))} ms, serialize ${f1(med(inProcess.serialize))} ms`);
  console.log(`functions: diffCib_ms=${f1(med(inProcess.diff))} crm_diff_ms=${f1(med(times.refDiff))} ratio=${(med(inProcess.diff) / med(times.refDiff)).toFixed(3)}`);
  const spread = (xs) => `${f1(Math.min(...xs))}..${f1(Math.max(...xs))}`;
  console.log(`runs (min..max of ${ROUNDS}): diff ours ${spread(times.oursDiff)} ref ${spread(times.refDiff)}; patch ours ${spread(times.oursPatch)} ref ${spread(times.refPatch)}`);
  console.log(`patch: ours_ms=${f1(med(times.oursPatch))} ref_ms=${f1(med(times.refPatch))} ratio=${(med(times.oursPatch) / med(times.refPatch)).toFixed(3)}`);
  console.log(`diff: ours_ms=${f1(med(times.oursDiff))} ref_ms=${f1(med(times.refDiff))} ratio=${(med(times.oursDiff) / med(times.refDiff)).toFixed(3)}`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** A one-file build of the command and the functions, like dist/berth.js, in the temp dir. */
async function bundleBench() {
  const { build } = await import('esbuild');
  const out = file('berth-bench.cjs');
  await build({
    stdin: {
      contents: `
        import { runDiff, runPatch } from './src/cli/cib-diff-commands';
        export { diffCib } from './src/patch/diff';
        export { applyPatch } from './src/patch/apply';
        export { parseXml, serializeXml, canonical } from './src/cib/xml';
        if (require.main === module) {
          const [cmd, ...rest] = process.argv.slice(2);
          const flags: Record<string, string | boolean> = { force: false, json: false, help: false };
          const args: string[] = [];
          for (let i = 0; i < rest.length; i++) rest[i] === '-o' ? (flags.o = rest[++i]) : args.push(rest[i]);
          const io = { out: (s: string) => process.stdout.write(s), err: (s: string) => process.stderr.write(s) };
          Promise.resolve((cmd === 'diff' ? runDiff : runPatch)({ args, flags: flags as never, io })).then((c) => { process.exitCode = c; });
        }`,
      resolveDir: root,
      loader: 'ts',
      sourcefile: 'bench-entry.ts',
    },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: out,
    logLevel: 'warning',
  });
  return out;
}
