// For store tests that need real processes: a real etcd (Debian etcd-server) on free loopback
// ports with its own data directory (one member, or a cluster of several: `startEtcd(t, {members: 3})`), stopped and removed at t.teardown (and at process exit, if
// the test process dies first); the store code bundled into one file that `node -e` child
// processes can require (they are the "other process" that writes, or the writer killed -9); and
// private temp directories.
import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import { pidAlive } from '../../src/cib/cib-file';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Test } from 'tap';

const ROOT = path.resolve(__dirname, '../..');

/** Installs etcd-server when `etcd` is missing (Debian); throws with apt's output when it cannot. */
function ensureEtcdInstalled(): void {
  if (spawnSync('sh', ['-c', 'command -v etcd'], { encoding: 'utf8' }).status === 0) return;
  const r = spawnSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server'], { encoding: 'utf8', timeout: 10 * 60 * 1000 });
  if (r.status !== 0) throw new Error(`etcd is not installed and apt-get install etcd-server failed:\n${r.stderr}${r.stdout}`);
}

/** A port nobody listens on right now (the kernel's pick on 127.0.0.1). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface TestEtcd {
  /** host:port of the first member's client URL, as an etcd:// store URL wants it */
  endpoint: string;
  /** host:port of every member's client URL */
  endpoints: string[];
  /** etcd://every endpoint/prefix */
  storeUrl(prefix: string): string;
  /** kill -9 of every member (for "etcd died" tests); restart() brings them back on the same ports and data */
  kill(): Promise<void>;
  restart(): Promise<void>;
  /** kill -9 of one member (index into endpoints), and starting it again on its data */
  killMember(i: number): Promise<void>;
  restartMember(i: number): Promise<void>;
  /** the index of the member that leads now, by asking each that answers; -1 when none says */
  leader(): Promise<number>;
  /** kill it and remove its data directory; idempotent, also run at t.teardown */
  stop(): Promise<void>;
}

const HEALTH_TIMEOUT_MS = 15000;

async function healthy(clientUrl: string, proc: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`etcd exited (${proc.exitCode ?? proc.signalCode}):\n${fs.readFileSync(log, 'utf8').slice(-3000)}`);
    try {
      const r = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(1000) });
      if (r.ok && ((await r.json()) as { health?: string }).health === 'true') return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`etcd did not become healthy within ${HEALTH_TIMEOUT_MS} ms:\n${fs.readFileSync(log, 'utf8').slice(-3000)}`);
}


/** A temp directory named after this process, so a later run can remove it if we die first. */
function ownTempDir(kind: string): string {
  for (const name of fs.readdirSync(os.tmpdir())) {
    const pid = new RegExp(`^berth-${kind}-(\\d+)-`).exec(name)?.[1];
    if (pid && !pidAlive(Number(pid))) fs.rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
  }
  return fs.mkdtempSync(path.join(os.tmpdir(), `berth-${kind}-${process.pid}-`));
}

const exitOf = (p: ChildProcess) => new Promise<void>((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r())));

/** One etcd process of the cluster: its ports, data, log and the process while it runs. */
interface Member { name: string; clientPort: number; peerPort: number; dir: string; log: string; proc?: ChildProcess }

/**
 * Starts an etcd cluster of `members` members (default one) on 127.0.0.1, each with its own data
 * directory, and waits until every member's /health says true (a leader is elected). Raft's
 * heartbeat interval and election timeout are etcd's defaults unless given.
 */
export async function startEtcd(t: Test, o: { members?: number; heartbeatMs?: number; electionTimeoutMs?: number } = {}): Promise<TestEtcd> {
  ensureEtcdInstalled();
  const dir = ownTempDir('etcd');
  const members: Member[] = Array.from({ length: o.members ?? 1 }, (_, i) => ({ name: i === 0 ? 'berth-test' : `berth-test-${i}`, clientPort: 0, peerPort: 0, dir: path.join(dir, i === 0 ? 'data' : `data-${i}`), log: path.join(dir, i === 0 ? 'etcd.log' : `etcd-${i}.log`) }));
  const peerUrl = (m: Member) => `http://127.0.0.1:${m.peerPort}`;
  const clientUrl = (m: Member) => `http://127.0.0.1:${m.clientPort}`;

  const launch = async (m: Member) => {
    const out = fs.openSync(m.log, 'a');
    const proc = spawn('etcd', [
      '--name', m.name,
      '--data-dir', m.dir,
      '--listen-client-urls', clientUrl(m), '--advertise-client-urls', clientUrl(m),
      '--listen-peer-urls', peerUrl(m), '--initial-advertise-peer-urls', peerUrl(m),
      '--initial-cluster', members.map((x) => `${x.name}=${peerUrl(x)}`).join(','), '--initial-cluster-state', 'new',
      // A CIB of 5,000 bundles is about 2 MB; etcd's default request limit is 1.5 MiB.
      '--max-request-bytes', String(16 * 1024 * 1024),
      '--auto-compaction-mode', 'revision', '--auto-compaction-retention', '1000',
      '--log-level', 'warn',
      // On loopback a shorter election than etcd's default (100 ms / 1 s) may be asked for.
      ...(o.heartbeatMs ? ['--heartbeat-interval', String(o.heartbeatMs)] : []),
      ...(o.electionTimeoutMs ? ['--election-timeout', String(o.electionTimeoutMs)] : []),
    ], { stdio: ['ignore', out, out] });
    m.proc = proc;
    fs.closeSync(out);
    // If this test process dies without its teardown (killed, timed out), etcd must not outlive it.
    // (etcd is recognised by its data directory in /proc/PID/cmdline, never by a pid alone.)
    const isOurs = `grep -qF -- '${m.dir}' /proc/${proc.pid}/cmdline 2>/dev/null`;
    spawn('sh', ['-c', `while kill -0 ${process.pid} 2>/dev/null && ${isOurs}; do sleep 1; done; ${isOurs} && kill -9 ${proc.pid}; true`], { stdio: 'ignore', detached: true }).unref();
  };
  const killMember = async (m: Member) => {
    const p = m.proc;
    if (p && p.exitCode === null && p.signalCode === null) {
      try { process.kill(p.pid as number, 'SIGKILL'); } catch { /* gone */ }
    }
    if (p) await exitOf(p);
  };
  const killNow = () => {
    for (const m of members) {
      const p = m.proc;
      if (p && p.exitCode === null && p.signalCode === null) try { process.kill(p.pid as number, 'SIGKILL'); } catch { /* gone */ }
    }
  };
  // Every member at once: a member of several waits for the others before it answers healthy.
  const launchAll = async (which: Member[]) => {
    for (const m of which) await launch(m);
    await Promise.all(which.map((m) => healthy(clientUrl(m), m.proc!, m.log)));
  };
  const onExit = () => { killNow(); fs.rmSync(dir, { recursive: true, force: true }); };
  process.once('exit', onExit);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all(members.map(killMember));
    fs.rmSync(dir, { recursive: true, force: true });
    process.removeListener('exit', onExit);
  };
  t.teardown(stop);

  // Another process may take a port between our pick and etcd's bind: pick again.
  for (let attempt = 1; ; attempt++) {
    for (const m of members) {
      m.clientPort = await freePort();
      m.peerPort = await freePort();
    }
    try {
      await launchAll(members);
      break;
    } catch (e) {
      await Promise.all(members.map(killMember));
      for (const m of members) fs.rmSync(m.dir, { recursive: true, force: true });
      if (attempt === 3) throw e;
    }
  }

  const endpoints = members.map((m) => `127.0.0.1:${m.clientPort}`);
  return {
    endpoint: endpoints[0],
    endpoints,
    storeUrl: (prefix) => `etcd://${endpoints.join(',')}/${prefix.replace(/^\//, '')}`,
    async kill() {
      await Promise.all(members.map(killMember));
    },
    async restart() {
      await Promise.all(members.map(killMember));
      await launchAll(members);
    },
    killMember: (i) => killMember(members[i]),
    async restartMember(i) {
      await killMember(members[i]);
      await launchAll([members[i]]);
    },
    async leader() {
      const answers = await Promise.all(members.map(async (m) => {
        try {
          const r = await fetch(`${clientUrl(m)}/v3/maintenance/status`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(1000) });
          return (await r.json()) as { header?: { member_id?: string }; leader?: string };
        } catch {
          return undefined;
        }
      }));
      const leaderId = answers.find((a) => a?.leader && a.leader !== '0')?.leader;
      return answers.findIndex((a) => a?.header?.member_id !== undefined && a.header.member_id === leaderId);
    },
    stop,
  };
}

/** A raw put through the gateway, bypassing berth's checks (to plant content a test needs). */
export async function etcdPut(endpoint: string, key: string, value: Buffer | string): Promise<void> {
  const r = await fetch(`http://${endpoint}/v3/kv/put`, {
    method: 'POST',
    body: JSON.stringify({ key: Buffer.from(key).toString('base64'), value: Buffer.from(value).toString('base64') }),
    signal: AbortSignal.timeout(5000),
  });
  if (!r.ok) throw new Error(`etcd put ${key}: HTTP ${r.status} ${await r.text()}`);
}

/** The raw value at `key`, or null. */
export async function etcdGet(endpoint: string, key: string): Promise<Buffer | null> {
  const r = await fetch(`http://${endpoint}/v3/kv/range`, {
    method: 'POST',
    body: JSON.stringify({ key: Buffer.from(key).toString('base64') }),
    signal: AbortSignal.timeout(5000),
  });
  const j = (await r.json()) as { kvs?: { value?: string }[] };
  return j.kvs?.length ? Buffer.from(j.kvs[0].value ?? '', 'base64') : null;
}

/**
 * A fresh directory of its own (with `files` in it), removed at teardown. Not t.testdir: its path
 * comes from the test's name, so two runs of the suite at once (a shared checkout) would write
 * into each other's fixtures, and these tests run writers that must not be disturbed.
 */
export function privateDir(t: Test, files: Record<string, string> = {}): string {
  const dir = ownTempDir('store-test');
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

let bundled: string | undefined;

/**
 * The store and CIB code as one CommonJS file for child processes:
 * `require(file)` gives { openStore, FileStore, EtcdStore, parseCib, section, bumpEpoch, el,
 * serializeXml, elements }. Built once per test process, removed at exit.
 */
export function storeBundleForChildren(): string {
  if (bundled) return bundled;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { buildSync } = require('esbuild') as typeof import('esbuild');
  const dir = ownTempDir('store-bundle');
  const file = path.join(dir, 'store.js');
  buildSync({
    stdin: {
      contents: [
        "export { openStore } from './src/store/open';",
        "export { FileStore } from './src/store/file-store';",
        "export { EtcdStore } from './src/store/etcd-store';",
        "export { parseCib, section, bumpEpoch } from './src/cib/cib';",
        "export { el, elements, serializeXml } from './src/cib/xml';",
      ].join('\n'),
      resolveDir: ROOT,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: file,
    logLevel: 'error',
  });
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  bundled = file;
  return file;
}
