// Converge 50 replicas from nothing with berth, beside 50 parallel `docker run -d` of the same
// containers and beside `docker service create --replicas 50` in a single-node swarm, all in the
// same run on the same engine; then berth's scale-in 50 → 0, and a no-op pass over 1,000
// replicas (time and engine writes). Ends with: converge: ours_ms=X ref_ms=Y ratio=Z
// (ours: one berth apply pass, in-process as the controller runs it; ref: parallel docker run).
//
// Goals: ours <= 1.1 x ref and faster than swarm; the no-op pass <= 150 ms with 0 engine writes.
// Containers are labelled berth.bench=<run id> and removed at the end, the swarm is left, even on
// failure. N=50 (replicas) and NOOP=1000 can be changed from the environment.
import { build } from 'esbuild';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finalLine, median, root } from './lib.mjs';

const N = Number(process.env.N ?? 50);
const NOOP = Number(process.env.NOOP ?? 1000);
const runId = `${process.pid}-${Date.now().toString(36)}`;
const node = `bench-${runId}`;
const dir = mkdtempSync(join(tmpdir(), 'berth-converge-'));
const IMAGE = 'berth-test/httpd:1';
const label = `berth.bench=${runId}`;
const now = () => Number(process.hrtime.bigint()) / 1e6;
const docker = (...args) => execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const say = (s) => console.log(s);

// berth's library, bundled once from the TypeScript sources (what bin/berth runs, minus argv).
async function loadBerth() {
  const entry = join(dir, 'entry.ts');
  writeFileSync(entry, `
export { runPass } from ${JSON.stringify(join(root, 'src/controller/pass'))};
export { localNodeDeps, singleNodePassDeps, fileCibSource } from ${JSON.stringify(join(root, 'src/controller/deps'))};
export { recordingEngine } from ${JSON.stringify(join(root, 'src/controller/engine-writes'))};
export { nodeFiles } from ${JSON.stringify(join(root, 'src/controller/node-files'))};
export { readModel } from ${JSON.stringify(join(root, 'src/model/model'))};
export { desiredStateOf, replicaName } from ${JSON.stringify(join(root, 'src/reconcile/desired'))};
export { planChanges } from ${JSON.stringify(join(root, 'src/reconcile/plan'))};
export { parseCib } from ${JSON.stringify(join(root, 'src/cib/cib'))};
export { BERTH_LABELS } from ${JSON.stringify(join(root, 'src/runtime/engine'))};
`);
  // Beside the dependencies, so that dockerode and ajv resolve as they do for bin/berth.
  const cacheDir = join(root, 'node_modules', '.cache', 'berth-bench');
  mkdirSync(cacheDir, { recursive: true });
  const out = join(cacheDir, `converge-${process.pid}.cjs`);
  await build({ entryPoints: [entry], bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile: out, external: ['dockerode', 'ajv', 'ajv/*'], logLevel: 'warning', absWorkingDir: root, nodePaths: [join(root, 'node_modules')] });
  try {
    return createRequire(join(root, 'package.json'))(out);
  } finally {
    rmSync(out, { force: true });
  }
}

function bundleXml(id, replicas, extra = '') {
  return `<bundle id="${id}">
      <docker image="${IMAGE}" replicas="${replicas}" replicas-per-host="${Math.max(1, replicas)}" options="--init -l ${label}"/>
      <storage><storage-mapping id="${id}-storage-map" source-dir-root="${join(dir, 'data')}" target-dir="/var/www/html" options="rw"/></storage>${extra}
    </bundle>`;
}
const cibXml = (bundles, epoch) => `<cib validate-with="pacemaker-3.9" admin_epoch="0" epoch="${epoch}" num_updates="0">
  <configuration><crm_config/><nodes/><resources>${bundles.join('\n')}</resources><constraints/></configuration><status/>
</cib>
`;

function cleanup() {
  const ids = spawnSync('docker', ['ps', '-aq', '--filter', `label=${label}`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  if (ids.length) spawnSync('docker', ['rm', '-f', '-v', ...ids], { stdio: 'ignore' });
}

async function oursConverge(b) {
  const cibFile = join(dir, 'cib.xml');
  const nodeDeps = b.localNodeDeps({ node, stateDir: join(dir, 'state') });
  const passDeps = (over = {}) => b.singleNodePassDeps({ node, cib: b.fileCibSource(cibFile), deps: { ...nodeDeps, ...over } });
  const deps = passDeps();
  // Warm up as a running controller is: the engine client and the schema are loaded once.
  writeFileSync(cibFile, cibXml([], 1));
  await b.runPass(deps, { apply: true });

  writeFileSync(cibFile, cibXml([bundleXml('bconv', N)], 2));
  const t0 = now();
  const r = await b.runPass(deps, { apply: true });
  const ms = now() - t0;
  const applied = r.nodes[0]?.applied;
  if (!applied || applied.problems.length) throw new Error(`berth apply failed: ${applied ? applied.problems.map((p) => p.message).join('\n') : JSON.stringify(r.unreachable)}`);
  const running = docker('ps', '-q', '--filter', `label=berth.node=${node}`, '--filter', 'status=running').split('\n').filter(Boolean).length;
  if (running !== N) throw new Error(`berth: ${running} of ${N} running after the pass`);
  say(`berth apply, ${N} replicas from nothing: ${ms.toFixed(0)} ms (one pass: list, plan, ${N} x create+start in parallel)`);

  // Converged: the next pass writes nothing.
  const rec = b.recordingEngine(nodeDeps.engine);
  const t1 = now();
  await b.runPass(passDeps({ engine: rec }), { apply: true });
  say(`berth no-op pass over ${N} real replicas: ${(now() - t1).toFixed(1)} ms, ${rec.writes.length} engine writes`);
  return { ms, deps, nodeDeps, cibFile };
}

async function oursScaleIn(b, ctx) {
  writeFileSync(ctx.cibFile, cibXml([], 3)); // the bundle gone: every replica removed
  const t0 = now();
  const r = await b.runPass(ctx.deps, { apply: true });
  const ms = now() - t0;
  const applied = r.nodes[0]?.applied;
  if (!applied || applied.problems.length) throw new Error(`scale-in failed: ${applied ? applied.problems.map((p) => p.message).join('\n') : JSON.stringify(r.unreachable)}`);
  const left = docker('ps', '-aq', '--filter', `label=berth.node=${node}`).split('\n').filter(Boolean).length;
  say(`berth scale-in ${N} → 0: ${ms.toFixed(0)} ms (${left} containers left; data directories kept)`);
  return ms;
}

function runAll(commands) {
  return Promise.all(commands.map((args) => new Promise((resolve, reject) => {
    const p = spawn('docker', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`docker ${args.slice(0, 3).join(' ')}...: ${err.trim()}`))));
  })));
}

async function refDockerRun() {
  const cmds = [];
  for (let i = 0; i < N; i++) {
    const name = `bref-${runId}-${i}`;
    const data = join(dir, 'refdata', name);
    mkdirSync(data, { recursive: true });
    cmds.push(['run', '-d', '--name', name, '--hostname', name, '--init', '-l', label, '--restart', 'unless-stopped', '-v', `${data}:/var/www/html:rw`, IMAGE]);
  }
  const t0 = now();
  await runAll(cmds);
  const ms = now() - t0;
  say(`${N} parallel docker run -d: ${ms.toFixed(0)} ms`);
  const ids = docker('ps', '-aq', '--filter', `name=bref-${runId}-`).split('\n').filter(Boolean);
  if (ids.length) spawnSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
  return ms;
}

async function refSwarm() {
  const state = docker('info', '--format', '{{.Swarm.LocalNodeState}}');
  if (state !== 'inactive') {
    say(`swarm: skipped (this engine's swarm state is '${state}'; the bench only uses a swarm it creates)`);
    return undefined;
  }
  const hadGwbridge = spawnSync('docker', ['network', 'inspect', 'docker_gwbridge'], { stdio: 'ignore' }).status === 0;
  const svc = `bsvc-${runId}`;
  try {
    const init = spawnSync('docker', ['swarm', 'init', '--advertise-addr', '127.0.0.1', '--listen-addr', '127.0.0.1:2377'], { encoding: 'utf8' });
    if (init.status !== 0) {
      say(`swarm: could not init a single-node swarm here: ${init.stderr.trim()}`);
      return undefined;
    }
    mkdirSync(join(dir, 'swarmdata'), { recursive: true });
    const t0 = now();
    docker('service', 'create', '--detach', '--no-resolve-image', '--quiet', '--name', svc, '--replicas', String(N), '--init',
      '--container-label', label, '--restart-condition', 'any', '--mount', `type=bind,src=${join(dir, 'swarmdata')},dst=/var/www/html`, IMAGE);
    let running = 0;
    const deadline = Date.now() + 300_000;
    while (running < N && Date.now() < deadline) {
      running = docker('ps', '-q', '--filter', `label=com.docker.swarm.service.name=${svc}`, '--filter', 'status=running').split('\n').filter(Boolean).length;
      if (running < N) await new Promise((r) => setTimeout(r, 50));
    }
    const ms = now() - t0;
    say(`docker service create --replicas ${N} (single-node swarm): ${running === N ? `${ms.toFixed(0)} ms` : `only ${running} running after ${ms.toFixed(0)} ms`}`);
    return running === N ? ms : undefined;
  } finally {
    spawnSync('docker', ['service', 'rm', svc], { stdio: 'ignore' });
    spawnSync('docker', ['swarm', 'leave', '--force'], { stdio: 'ignore' });
    if (!hadGwbridge) spawnSync('docker', ['network', 'rm', 'docker_gwbridge'], { stdio: 'ignore' });
  }
}

// The no-op pass over NOOP replicas: the real containers' listing entries, copied to NOOP
// replicas of 20 bundles with addresses (10.250.x.y, never added: the address table is the
// recorded one too), behind a recording engine; the whole pass (read + validate the CIB, desired
// state, observe, plan, apply) is timed.
async function noopPass(b, template) {
  const bundles = 20;
  const per = Math.ceil(NOOP / bundles);
  const xml = cibXml(Array.from({ length: bundles }, (_, i) => bundleXml(`noop${i}`, per,
    `\n      <network ip-range-start="10.250.${i}.1" host-netmask="32" host-interface="lo"><port-mapping id="noop${i}-port" port="80"/></network>`)), 7);
  const stateDir = join(dir, 'noopstate');
  const files = b.nodeFiles(stateDir);
  // Every replica on this node, as the pass places them (replicas-per-host allows it).
  const model = b.readModel(b.parseCib(xml), { readFile: () => '', lookupEnv: () => undefined });
  const placements = new Map(model.bundles.flatMap((m) => Array.from({ length: m.settings.replicas }, (_, i) => [b.replicaName(m.settings.id, i), node])));
  const desired = b.desiredStateOf(model, { node, stateDir, cluster: 'bench' }, { placements });
  for (const s of desired.bundles) if (s.hostsFile) await files.write(s.hostsFile.path, s.hostsFile.content);
  const created = Math.floor(Date.now() / 1000) - 3600;
  const containers = desired.replicas.map((r, i) => ({
    ...template, id: `${template.id.slice(0, 48)}${String(i).padStart(16, '0')}`, name: r.name, state: 'running', health: 'none', status: 'Up About an hour',
    labels: { ...r.spec.Labels }, bundle: r.bundle, replica: r.index, node, specHash: r.specHash, cluster: 'bench', created,
  }));
  const addresses = [{ ip: '127.0.0.1', prefix: 8, interface: 'lo', label: 'lo' }, ...desired.replicas.map((r) => ({ ip: r.address.ip, prefix: 32, interface: 'lo', label: 'lo:berth' }))];
  const addrWrites = [];
  const base = {
    ping: async () => {}, listContainers: async () => containers.map((c) => ({ ...c, labels: { ...c.labels } })), inspect: async () => undefined,
    create: async () => 'x', start: async () => {}, stop: async () => {}, remove: async () => {}, events: () => ({ [Symbol.asyncIterator]: async function* () {} }),
  };
  const engine = b.recordingEngine(base);
  const deps = b.singleNodePassDeps({
    node, cib: { where: 'bench', read: async () => xml, clusterId: async () => 'bench' },
    deps: { engine, files, addresses: { list: async () => addresses, add: async (a) => { addrWrites.push(a); }, remove: async (a) => { addrWrites.push(a); } } },
  });
  await b.runPass(deps, { apply: true }); // warm: the schema compiled once, as in a running controller
  const times = [];
  for (let i = 0; i < 15; i++) {
    const t0 = now();
    const r = await b.runPass(deps, { apply: true });
    times.push(now() - t0);
    const plan = r.nodes[0]?.plan;
    if (!plan || b.planChanges(plan).length) throw new Error(`the no-op pass planned ${plan ? b.planChanges(plan).length : 'no'} changes`);
  }
  say(`berth no-op pass over ${desired.replicas.length} replicas: median ${median(times).toFixed(1)} ms over ${times.length} passes (min ${Math.min(...times).toFixed(1)}), ${engine.writes.length} engine writes, ${addrWrites.length} address writes`);
}

async function main() {
  execFileSync('bash', [join(root, 'scripts/setup-docker.sh')], { stdio: 'inherit' });
  const b = await loadBerth();
  let ours, ref, swarm, scaleIn;
  try {
    cleanup();
    // The reference first and ours second, then swarm: each from an idle engine.
    ref = await refDockerRun();
    const ctx = await oursConverge(b);
    ours = ctx.ms;
    const template = (await ctx.nodeDeps.engine.listContainers({ labels: { [b.BERTH_LABELS.node]: node } }))[0];
    scaleIn = await oursScaleIn(b, ctx);
    swarm = await refSwarm();
    await noopPass(b, template);
  } finally {
    cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
  say(`summary: berth ${ours.toFixed(0)} ms, parallel docker run ${ref.toFixed(0)} ms, swarm ${swarm === undefined ? 'n/a' : `${swarm.toFixed(0)} ms`}, scale-in ${scaleIn.toFixed(0)} ms`);
  finalLine('converge', 'ms', ours, ref);
}

main().catch((e) => {
  console.error(e.stack ?? String(e));
  process.exit(1);
});
