// For tests on the real Docker engine: make sure one runs (scripts/setup-docker.sh), and a cleanup
// registry per test that removes what the test made even when it fails: containers labelled
// `berth.test=<run id>` or registered by name, and loopback addresses it added or registered.
// Cleanup runs at t.teardown and again at process exit; leftovers of a test process that died
// (run ids and address labels carry its pid) are swept when the next scope opens.
import { execFileSync, spawnSync } from 'node:child_process';
import { pidAlive } from '../../src/cib/cib-file';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Test } from 'tap';

export const TEST_LABEL = 'berth.test';
const ROOT = path.resolve(__dirname, '../..');
const SETUP = path.join(ROOT, 'scripts/setup-docker.sh');
// IPv4 address labels must start with the device name and fit in 15 characters.
const ADDRESS_LABEL = (pid: number) => `lo:bt${pid}`;

let ready: true | Error | undefined;

/** Runs scripts/setup-docker.sh once per process: installs what is missing, starts dockerd if no
 * engine answers, builds berth-test/httpd:1 and :2. Throws, with the script's output, when it
 * cannot: a test that calls this fails with the reason, it is never skipped. */
export function ensureDocker(): void {
  if (ready === true) return;
  if (ready) throw ready;
  const r = spawnSync('bash', [SETUP], { encoding: 'utf8', timeout: 20 * 60 * 1000 });
  if (r.status !== 0) {
    const why = r.error ? String(r.error) : r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
    ready = new Error(`scripts/setup-docker.sh failed (${why}):\n${r.stderr}${r.stdout}`);
    throw ready;
  }
  ready = true;
}

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const tryRun = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' });


/** The addresses on lo, with their labels. */
function loopbackAddresses(): { address: string; prefix: number; label: string }[] {
  const out = run('ip', ['-o', '-4', 'addr', 'show', 'dev', 'lo']);
  const found: { address: string; prefix: number; label: string }[] = [];
  for (const line of out.split('\n')) {
    const m = /inet (\d+\.\d+\.\d+\.\d+)\/(\d+) .*?scope \w+ ([^\s\\]+)/.exec(line);
    if (m) found.push({ address: m[1], prefix: Number(m[2]), label: m[3] });
  }
  return found;
}

let swept = false;
/** Removes what test processes that are gone left behind. */
function sweepStale(): void {
  if (swept) return;
  swept = true;
  const ids = run('docker', ['ps', '-a', '--filter', `label=${TEST_LABEL}`, '--format', `{{.ID}} {{.Label "${TEST_LABEL}"}}`]);
  const stale = ids.split('\n').map((l) => l.split(' ')).filter(([id, runId]) => {
    const pid = /^(\d+)-/.exec(runId ?? '')?.[1];
    return id && pid && !pidAlive(Number(pid));
  }).map(([id]) => id);
  if (stale.length) tryRun('docker', ['rm', '-f', '-v', ...stale]);
  for (const a of loopbackAddresses()) {
    const pid = /^lo:bt(\d+)$/.exec(a.label)?.[1];
    if (pid && !pidAlive(Number(pid))) tryRun('ip', ['addr', 'del', `${a.address}/${a.prefix}`, 'dev', 'lo']);
  }
}

export interface DockerTestScope {
  /** unique to this scope; its pid prefix lets a later run sweep what a dead run left */
  runId: string;
  /** put these on every container the test makes, directly or through berth's options */
  labels: Record<string, string>;
  /** Adds ADDRESS/32 to lo (labelled lo:bt<pid>) and removes it at teardown. Throws if some
   * live owner already holds the address. Only 127.0.0.0/8 is accepted. */
  addLoopbackAddress(address: string): void;
  /** Removes this address from lo at teardown if it is there (one that berth added, say). */
  removeAddressAtEnd(address: string): void;
  /** Removes this container at teardown (one without the test label). */
  removeContainerAtEnd(nameOrId: string): void;
  /** Runs the cleanup now (it is idempotent); teardown runs it anyway. */
  cleanup(): void;
}

export function dockerTestScope(t: Test): DockerTestScope {
  sweepStale();
  const runId = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const addresses = new Set<string>();
  const containers = new Set<string>();
  const errors: string[] = [];

  const cleanup = () => {
    const labelled = run('docker', ['ps', '-aq', '--filter', `label=${TEST_LABEL}=${runId}`]).split('\n').filter(Boolean);
    const all = [...new Set([...labelled, ...containers])];
    if (all.length) {
      // The same container may be named twice (by id and by label): "gone" and "going" are fine.
      const r = tryRun('docker', ['rm', '-f', '-v', ...all]);
      const bad = r.stderr.split('\n').filter((l) => l.trim() && !/No such container|already in progress/.test(l));
      if (r.status !== 0 && bad.length) errors.push(`docker rm: ${bad.join('\n')}`);
    }
    containers.clear();
    const present = new Map(loopbackAddresses().map((a) => [a.address, a.prefix]));
    for (const address of addresses) {
      const prefix = present.get(address);
      if (prefix === undefined) continue;
      const r = tryRun('ip', ['addr', 'del', `${address}/${prefix}`, 'dev', 'lo']);
      if (r.status !== 0) errors.push(`ip addr del ${address}/${prefix}: ${r.stderr.trim()}`);
    }
    addresses.clear();
  };
  const atExit = () => { try { cleanup(); } catch { /* the process is ending: the next sweep retries */ } };
  process.once('exit', atExit);
  t.teardown(() => {
    process.removeListener('exit', atExit);
    cleanup();
    if (errors.length) throw new Error(`test cleanup failed:\n${errors.join('\n')}`);
  });

  return {
    runId,
    labels: { [TEST_LABEL]: runId },
    addLoopbackAddress(address) {
      if (!/^127\.\d+\.\d+\.\d+$/.test(address)) throw new Error(`${address}: tests use only 127.0.0.0/8 addresses on lo`);
      const held = loopbackAddresses().find((a) => a.address === address);
      if (held) throw new Error(`${address} is already on lo (label ${held.label}): another test holds it, or remove it with: ip addr del ${address}/${held.prefix} dev lo`);
      run('ip', ['addr', 'add', `${address}/32`, 'dev', 'lo', 'label', ADDRESS_LABEL(process.pid)]);
      addresses.add(address);
    },
    removeAddressAtEnd(address) {
      addresses.add(address);
    },
    removeContainerAtEnd(nameOrId) {
      containers.add(nameOrId);
    },
    cleanup,
  };
}
