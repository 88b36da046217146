// Time from a commit to converged replicas, on the real Docker engine:
//   ours: edit cib.xml in a git repository + git commit → `berth gitops run --once` →
//         `berth apply --wait` → every replica answers over HTTP
//   ref:  the same change made the pcs way — `berth cluster cib tmp.xml` + cp →
//         `berth -f tmp.xml resource bundle update ...` → `berth cluster cib-push tmp.xml
//         diff-against=tmp.xml.orig` → `berth apply --wait` → every replica answers
// Each side has its own bundle, store, node name and addresses (ours 127.0.1.230-.232, ref
// .233-.235), so neither sees the other's changes as drift. The change alternates 2 → 3 → 2
// replicas (a scale-out starts one container, a scale-in stops one); the sides take turns, ROUNDS
// times each (default 6), and the medians are compared. Every command is a separate process, as
// an operator runs them. Ends with: gitops: ours_ms=X ref_ms=Y ratio=Z
//
// Containers carry berth.bench=<run id> and are removed at the end with their addresses, even on
// failure.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { berth, finalLine, median, root } from './lib.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 6);
const runId = `${process.pid}-${Date.now().toString(36)}`;
const label = `berth.bench=${runId}`;
const dir = mkdtempSync(join(tmpdir(), 'berth-gitops-bench-'));
const now = () => Number(process.hrtime.bigint()) / 1e6;
const say = (s) => console.log(s);
const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@example.org', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@example.org', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: opts.env ?? process.env, cwd: opts.cwd });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** berth with gitops. */
async function gitopsBerth() {
  return [berth];
}

function cibXml(id, replicas, start) {
  return `<cib validate-with="pacemaker-3.9" admin_epoch="0" epoch="5" num_updates="0">
  <configuration>
    <crm_config/>
    <nodes/>
    <resources>
      <bundle id="${id}">
        <docker image="berth-test/httpd:1" replicas="${replicas}" replicas-per-host="${replicas}" options="--init -l ${label}"/>
        <network ip-range-start="${start}" host-netmask="32" host-interface="lo">
          <port-mapping id="${id}-port-map" port="80"/>
        </network>
      </bundle>
    </resources>
    <constraints/>
  </configuration>
  <status/>
</cib>
`;
}

const addr = (start, i) => start.replace(/\d+$/, (d) => String(Number(d) + i));

async function answer(start, replicas, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  const one = async (url) => {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await r.arrayBuffer();
      return r.status === 200;
    } catch {
      return false;
    }
  };
  for (;;) {
    const ok = await Promise.all(Array.from({ length: replicas }, (_, i) => one(`http://${addr(start, i)}/`)));
    if (ok.every(Boolean)) return;
    if (Date.now() > deadline) throw new Error(`replicas at ${start} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function cleanup() {
  try {
    const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=${label}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
    if (ids.length) spawnSync('docker', ['rm', '-f', '-v', ...ids]);
  } catch { /* no engine: nothing was made */ }
  for (let i = 230; i <= 235; i++) spawnSync('ip', ['addr', 'del', `127.0.1.${i}/32`, 'dev', 'lo'], { stdio: 'ignore' });
  rmSync(dir, { recursive: true, force: true });
}

async function main() {
  if (spawnSync('docker', ['info'], { stdio: 'ignore' }).status !== 0) throw new Error('no Docker engine answers: run scripts/setup-docker.sh first');
  if (!existsSync(join(root, 'dist', 'berth.js'))) run(process.execPath, [join(root, 'scripts', 'build.mjs'), '--no-typecheck'], { cwd: root });
  const ours = { id: `bgo${process.pid}`, start: '127.0.1.230', store: join(dir, 'ours-store'), node: `bench-ours-${runId}`, state: join(dir, 'ours-node'), repo: join(dir, 'repo'), cache: join(dir, 'cache') };
  const ref = { id: `bref${process.pid}`, start: '127.0.1.233', store: join(dir, 'ref-store'), node: `bench-ref-${runId}`, state: join(dir, 'ref-node'), tmp: join(dir, 'tmp.xml') };
  const G = await gitopsBerth();
  const B = (args) => run(process.execPath, [berth, ...args]);
  const apply = (side) => B(['apply', '--wait', '--timeout', '60', '--store', side.store, '--node', side.node, '--state-dir', side.state]);

  // setup (not timed): both at 2 replicas, converged
  mkdirSync(ours.repo);
  run('git', ['init', '--quiet', '--initial-branch=main'], { cwd: ours.repo, env: GIT_ENV });
  writeFileSync(join(ours.repo, 'cib.xml'), cibXml(ours.id, 2, ours.start));
  run('git', ['add', 'cib.xml'], { cwd: ours.repo, env: GIT_ENV });
  run('git', ['commit', '--quiet', '-m', 'replicas 2'], { cwd: ours.repo, env: GIT_ENV });
  run(process.execPath, [...G, 'gitops', 'run', '--once', '--source', ours.repo, '--store', ours.store, '--cache-dir', ours.cache]);
  apply(ours);
  await answer(ours.start, 2);
  writeFileSync(ref.tmp, cibXml(ref.id, 2, ref.start));
  B(['cluster', 'cib-push', ref.tmp, '--store', ref.store]);
  apply(ref);
  await answer(ref.start, 2);
  say(`setup: ${ours.id} and ${ref.id} at 2 replicas each; ${ROUNDS} rounds, alternating 2 -> 3 -> 2 replicas`);

  const oursMs = [], refMs = [], parts = { commit: [], sync: [], apply: [], answer: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    const n = round % 2 ? 3 : 2;

    let t0 = now();
    writeFileSync(join(ours.repo, 'cib.xml'), cibXml(ours.id, n, ours.start));
    run('git', ['commit', '--quiet', '-am', `replicas ${n}`], { cwd: ours.repo, env: GIT_ENV });
    const t1 = now();
    run(process.execPath, [...G, 'gitops', 'run', '--once', '--source', ours.repo, '--store', ours.store, '--cache-dir', ours.cache]);
    const t2 = now();
    apply(ours);
    const t3 = now();
    await answer(ours.start, n);
    const t4 = now();
    oursMs.push(t4 - t0);
    parts.commit.push(t1 - t0); parts.sync.push(t2 - t1); parts.apply.push(t3 - t2); parts.answer.push(t4 - t3);

    t0 = now();
    B(['cluster', 'cib', ref.tmp, '--store', ref.store]);
    copyFileSync(ref.tmp, `${ref.tmp}.orig`);
    B(['-f', ref.tmp, 'resource', 'bundle', 'update', ref.id, 'container', `replicas=${n}`, `replicas-per-host=${n}`]);
    B(['cluster', 'cib-push', ref.tmp, `diff-against=${ref.tmp}.orig`, '--store', ref.store]);
    apply(ref);
    await answer(ref.start, n);
    refMs.push(now() - t0);
    say(`round ${round} (-> ${n} replicas): ours ${oursMs.at(-1).toFixed(0)} ms (commit ${parts.commit.at(-1).toFixed(0)}, gitops run ${parts.sync.at(-1).toFixed(0)}, apply --wait ${parts.apply.at(-1).toFixed(0)}, answer ${parts.answer.at(-1).toFixed(0)}), ref ${refMs.at(-1).toFixed(0)} ms`);
  }
  say(`medians: ours ${median(oursMs).toFixed(0)} ms = commit ${median(parts.commit).toFixed(0)} + gitops run --once ${median(parts.sync).toFixed(0)} + apply --wait ${median(parts.apply).toFixed(0)} + answer ${median(parts.answer).toFixed(0)}; ref ${median(refMs).toFixed(0)} ms`);
  finalLine('gitops', 'ms', median(oursMs), median(refMs));
}

process.once('SIGINT', () => { cleanup(); process.exit(130); });
try {
  await main();
} catch (e) {
  console.error(String(e.stack ?? e));
  process.exitCode = 1;
} finally {
  cleanup();
}
