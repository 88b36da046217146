// A real pacemaker-remoted for a test: listening on 127.0.0.1 on a free port with the test's own
// key and log file, in its own process group (its agents die with it), killed at teardown.
// pacemaker-remoted also serves IPC under fixed names (lrmd, attrd, cib_rw, ...) in the host's
// abstract socket namespace, so one runs at a time in a network namespace: one per test file, in turn.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { until } from './wait';

// Unpacked by scripts/setup.sh (the package conflicts with pacemaker); a system one if installed.
export const REMOTED = require('node:fs').existsSync('/opt/berth-pacemaker-remote/usr/sbin/pacemaker-remoted') ? '/opt/berth-pacemaker-remote/usr/sbin/pacemaker-remoted' : '/usr/sbin/pacemaker-remoted';

export interface Remoted {
  port: number;
  key: Buffer;
  keyFile: string;
  logFile: string;
  proc: ChildProcess;
  /** The log so far, for a failing assertion's message. */
  log(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** A loopback port nothing listens on (just released by the kernel). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** A pacemaker-remoted in this network namespace (where its abstract IPC sockets live), e.g. one a crashed test left. */
function sameNetworkRemoted(pid: string): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('pacemaker-remot') && fs.readlinkSync(`/proc/${pid}/ns/net`) === fs.readlinkSync('/proc/self/ns/net');
  } catch {
    return false;
  }
}

/** Start pacemaker-remoted in `dir` with a fresh 256-byte key; resolves once it listens. */
export async function startRemoted(dir: string): Promise<Remoted> {
  const key = randomBytes(256);
  const keyFile = path.join(dir, 'authkey');
  const logFile = path.join(dir, 'pacemaker-remoted.log');
  fs.writeFileSync(keyFile, key, { mode: 0o600 });
  const port = await freePort();
  const proc = spawn(REMOTED, [], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, PCMK_remote_port: String(port), PCMK_remote_address: '127.0.0.1', PCMK_authkey_location: keyFile, PCMK_logfile: logFile, PCMK_debug: 'no' },
  });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const log = () => `${fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : ''}${stderr}`;
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    try { process.kill(-proc.pid!, signal); } catch { /* already gone */ }
    await exited;
  };
  try {
    await until('pacemaker-remoted to listen', async () => {
      if (proc.exitCode !== null) throw new Error(`pacemaker-remoted exited ${proc.exitCode}:\n${log().slice(-2000)}`);
      return log().includes('successfully started and accepting connections') || undefined; // logged once it listens
    }, 10_000, 50);
  } catch (e) {
    await kill();
    const others = fs.readdirSync('/proc').filter((p) => /^[0-9]+$/.test(p) && Number(p) !== proc.pid && sameNetworkRemoted(p));
    throw new Error(`${(e as Error).message}${others.length ? `\nanother pacemaker-remoted runs on this host (pid ${others.join(', ')}): its IPC names clash` : ''}\n${log().slice(-2000)}`);
  }
  return { port, key, keyFile, logFile, proc, log, kill };
}
