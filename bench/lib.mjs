// Shared pieces of the benchmarks: timing, medians, CIB generation, the final line.
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const berth = join(root, 'bin', 'berth');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `f` every `every` ms until it returns something truthy (returned), or throws after
 * `timeoutMs` naming `what`. */
export async function until(what, f, timeoutMs, every = 25) {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(every);
  }
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Milliseconds of one run of `cmd args`, failing loudly when the command fails. */
export function timeRun(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return { ms, r };
}

export function emptyCib() {
  return execFileSync('cibadmin', ['--empty'], { encoding: 'utf8' });
}

/** A CIB with n bundles shaped like the httpd example. */
export function bigCib(n) {
  const parts = [];
  for (let i = 0; i < n; i++) {
    const a = 1 + (i % 250), b = Math.floor(i / 250) % 250;
    parts.push(`      <bundle id="b${i}">
        <docker image="img:${i % 7}" replicas="3" replicas-per-host="1" options="--log-driver=journald"/>
        <network ip-range-start="10.${b}.${a}.1" host-interface="eth0" host-netmask="24">
          <port-mapping port="80" id="b${i}-port-map-80"/>
        </network>
        <storage>
          <storage-mapping source-dir-root="/var/local/containers" target-dir="/var/www/html" options="rw" id="b${i}-storage-map"/>
        </storage>
        <meta_attributes id="b${i}-meta_attributes">
          <nvpair id="b${i}-meta_attributes-target-role" name="target-role" value="Started"/>
        </meta_attributes>
      </bundle>`);
  }
  return `<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="5" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config>
      <cluster_property_set id="cib-bootstrap-options">
        <nvpair id="cib-bootstrap-options-stonith-enabled" name="stonith-enabled" value="false"/>
      </cluster_property_set>
    </crm_config>
    <nodes/>
    <resources>
${parts.join('\n')}
    </resources>
    <constraints/>
  </configuration>
  <status/>
</cib>
`;
}

export function finalLine(name, unit, ours, ref) {
  const r = ref > 0 ? ours / ref : NaN;
  console.log(`${name}: ours_${unit}=${ours.toFixed(1)} ref_${unit}=${ref.toFixed(1)} ratio=${r.toFixed(3)}`);
}

/** A TypeScript test helper (test/helpers/NAME.ts) as a module, for benchmarks that need the
 * same real setup as the tests (e.g. the namespaced multi-node cluster): bundled with esbuild
 * beside its source (so that paths it finds from its own directory hold), required, deleted. */
export async function loadTestHelper(name) {
  const { build } = await import('esbuild');
  const { rmSync } = await import('node:fs');
  const out = join(root, 'test', 'helpers', `.${name}.bench-${process.pid}.cjs`);
  try {
    await build({ entryPoints: [join(root, 'test', 'helpers', `${name}.ts`)], bundle: true, platform: 'node', format: 'cjs', outfile: out, external: ['tap', 'dockerode', 'esbuild'], logLevel: 'error' });
    const { createRequire } = await import('node:module');
    return createRequire(import.meta.url)(out);
  } finally {
    rmSync(out, { force: true });
  }
}
