// S2, the engine restarts: replicas come back by the engine's restart policy alone, before any
// berth pass, and the first pass after it (and a controller that ran through the restart) makes
// no engine write: nothing that was right is restarted.
//
// The engine restarted here is a private dockerd (own socket, data root, exec root), started in its
// own network namespace (`unshare --net`) with --bridge=none and --iptables=false: restarting the
// shared engine would break everyone else's containers, and a dockerd with --bridge=none deletes
// the host's docker0 unless it has a network namespace of its own. The bundle uses network=none.
import t from 'tap';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { startController } from '../../src/controller/daemon';
import { fileCibSource, localNodeDeps, singleNodePassDeps } from '../../src/controller/deps';
import { recordingEngine } from '../../src/controller/engine-writes';
import { runPass } from '../../src/controller/pass';
import { e2eNode, sleep, until } from './e2e-kit';

interface PrivateEngine {
  socket: string;
  docker(...args: string[]): string;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

async function privateEngine(tag: string, logFile: string): Promise<PrivateEngine> {
  const runDir = `/run/berth-e2e-${tag}`;
  const dataRoot = `/var/lib/berth-e2e-${tag}`;
  mkdirSync(runDir, { recursive: true });
  mkdirSync(dataRoot, { recursive: true });
  const socket = path.join(runDir, 'docker.sock');
  let pid: number | undefined;
  const docker = (...args: string[]) => execFileSync('docker', ['-H', `unix://${socket}`, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  const answers = () => spawnSync('docker', ['-H', `unix://${socket}`, 'version', '--format', '{{.Server.Version}}'], { timeout: 5000 }).status === 0;
  const alive = (p: number) => { try { process.kill(p, 0); return true; } catch { return false; } };
  const e: PrivateEngine = {
    socket,
    docker,
    async start() {
      const out = openSync(logFile, 'a');
      const child = spawn('unshare', ['--net', 'dockerd', '--host', `unix://${socket}`, '--data-root', dataRoot, '--exec-root', path.join(runDir, 'exec'),
        '--pidfile', path.join(runDir, 'docker.pid'), '--bridge=none', '--iptables=false', '--ip-masq=false', '--ip6tables=false'], { detached: true, stdio: ['ignore', out, out] });
      child.unref();
      pid = child.pid;
      await until('the private dockerd answers', () => answers() || (pid !== undefined && !alive(pid) ? Promise.reject(new Error(`dockerd exited: ${readFileSync(logFile, 'utf8').slice(-2000)}`)) : undefined), 60_000, 200);
    },
    async stop() {
      if (pid === undefined) return;
      const p = pid;
      // unshare execs dockerd: the pid is dockerd's. A graceful stop, as a host shutdown does.
      try { process.kill(p, 'SIGTERM'); } catch { /* gone */ }
      await until('the private dockerd stops', () => !alive(p), 60_000, 100).catch(() => { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } });
      pid = undefined;
    },
    async destroy() {
      try {
        if (pid !== undefined && answers()) {
          const ids = docker('ps', '-aq').split('\n').filter(Boolean);
          if (ids.length) docker('rm', '-f', '-v', ...ids);
        }
      } finally {
        await e.stop();
        // Nothing of it may stay mounted before its directories go.
        const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]).filter((m) => m && (m.startsWith(dataRoot) || m.startsWith(runDir)));
        for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]);
        rmSync(dataRoot, { recursive: true, force: true });
        rmSync(runDir, { recursive: true, force: true });
      }
    },
  };
  await e.start();
  return e;
}

t.test('S2: after an engine restart the replicas are back and berth changes nothing', async (t) => {
  const n = e2eNode(t, 's2e');
  if (!existsSync('/usr/bin/unshare')) throw new Error('unshare (util-linux) is needed to isolate the private dockerd');
  const engine = await privateEngine(n.scope.runId, path.join(n.dir, 'dockerd.log'));
  t.teardown(() => engine.destroy());
  execFileSync('bash', ['-c', `docker save berth-test/httpd:1 | docker -H unix://${engine.socket} load`], { stdio: 'ignore' });

  n.writeCib([{ id: 'svc', replicas: 2, network: 'none' }]);
  const nodeDeps = () => localNodeDeps({ node: n.node, stateDir: n.stateDir, socketPath: engine.socket });
  const deps = (extra = {}) => singleNodePassDeps({ node: n.node, cib: fileCibSource(n.cibFile), deps: { ...nodeDeps(), ...extra } });
  const first = await runPass(deps(), { apply: true });
  t.strictSame(first.nodes[0]?.applied?.problems, [], 'created on the private engine');
  await until('both running', () => engine.docker('ps', '-q').split('\n').filter(Boolean).length === 2, 10_000);
  const ids = () => engine.docker('ps', '-aq', '--no-trunc').split('\n').filter(Boolean).sort();
  const before = ids();

  // 1. The engine restarts with no berth running: the engine alone brings the replicas back.
  await engine.stop();
  await engine.start();
  await until('the replicas run again, before any berth pass', () => engine.docker('ps', '-q').split('\n').filter(Boolean).length === 2, 20_000);
  t.strictSame(ids(), before, 'the same containers');
  const rec = recordingEngine(nodeDeps().engine);
  const pass = await runPass(deps({ engine: rec }), { apply: true });
  t.strictSame(rec.writes, [], 'the first pass after the restart makes no engine write');
  const plan = pass.nodes[0]?.plan;
  t.ok(plan, 'the node was observed');
  t.equal(plan!.start.length + plan!.create.length + plan!.replace.length, 0);

  // 2. The engine restarts under a running controller: it follows the engine back, writes nothing.
  const rec2 = recordingEngine(nodeDeps().engine);
  const log: string[] = [];
  const controller = startController(deps({ engine: rec2 }), { log: (l) => log.push(l), resyncMs: 2000, backoffMs: 200, maxBackoffMs: 1000 });
  t.teardown(() => controller.stop());
  await until('the controller ran a pass', () => controller.passes > 0, 10_000);
  await engine.stop();
  await sleep(1000);
  await engine.start();
  await until('the replicas run again', () => engine.docker('ps', '-q').split('\n').filter(Boolean).length === 2, 20_000);
  const passesAfter = controller.passes;
  await until('the controller passed again after the restart', () => controller.passes > passesAfter + 1, 15_000);
  await controller.stop();
  t.strictSame(rec2.writes, [], `the controller made no engine write through the restart\n${log.join('\n')}`);
  t.strictSame(ids(), before, 'still the same containers');
});
