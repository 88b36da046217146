// Who wrote a lock or a temp file, in a form that survives PID reuse: the pid, the process's
// start time (clock ticks since boot, field 22 of /proc/PID/stat) and the boot id. A pid alone
// is not enough: after a crash the same number can belong to a live, unrelated process, and a
// lock holding it would block every edit until removed by hand.
//
// Without /proc (not Linux) only the pid is known, and liveness is `kill(pid, 0)` as before.
import * as fs from 'node:fs';

export interface ProcessIdentity {
  pid: number;
  /** start time in clock ticks since boot; null when /proc is not there */
  start: string | null;
  /** /proc/sys/kernel/random/boot_id; null when not there */
  boot: string | null;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The start time of process `pid` in clock ticks since boot; null when it does not run or /proc is not there. */
export function processStart(pid: number): string | null {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may hold spaces and ')': fields after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const start = rest[19]; // field 22; rest[0] is field 3
  return start !== undefined && /^\d+$/.test(start) ? start : null;
}

let boot: string | null | undefined;
export function bootId(): string | null {
  if (boot === undefined) {
    try {
      boot = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim() || null;
    } catch {
      boot = null;
    }
  }
  return boot;
}

let self: ProcessIdentity | undefined;
export function selfIdentity(): ProcessIdentity {
  if (!self || self.pid !== process.pid) self = { pid: process.pid, start: processStart(process.pid), boot: bootId() };
  return self;
}

/** `pid start boot`, or `pid` alone without /proc: what a lock file holds. */
export function formatIdentity(id: ProcessIdentity): string {
  return id.start === null ? String(id.pid) : `${id.pid} ${id.start} ${id.boot ?? '-'}`;
}

/** A lock file's text as an identity; null when it is not one (empty, garbage). Old locks hold the pid alone. */
export function parseIdentity(text: string): ProcessIdentity | null {
  const m = /^([1-9][0-9]*)(?: ([0-9]+) (\S+))?$/.exec(text.trim());
  if (!m) return null;
  return { pid: Number(m[1]), start: m[2] ?? null, boot: m[3] === undefined || m[3] === '-' ? null : m[3] };
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux architecture Node runs on

/** When process `pid` started (ms since the epoch), from its start ticks and the boot time; null when unknown. */
function startedAtMs(pid: number): number | null {
  const start = processStart(pid);
  if (start === null) return null;
  let btime: number;
  try {
    btime = Number(/^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'latin1'))?.[1]);
  } catch {
    return null;
  }
  return Number.isFinite(btime) ? btime * 1000 + (Number(start) * 1000) / CLOCK_TICKS_PER_SECOND : null;
}

/**
 * Whether the process that wrote a record at `writtenAtMs` (the file's mtime) is gone: its pid
 * does not run, or runs a process that is not the writer (another start time, another boot, or
 * for an old record without a start time, a process started after the record was written).
 */
export function writerGone(id: ProcessIdentity, writtenAtMs: number): boolean {
  const here = bootId();
  if (id.boot !== null && here !== null && id.boot !== here) return true; // written before a reboot
  if (!pidAlive(id.pid)) return true;
  const now = processStart(id.pid);
  if (id.start !== null) return now !== null && now !== id.start;
  const startedAt = startedAtMs(id.pid);
  // One second of slack: the start time is in ticks, the boot time in whole seconds.
  return startedAt !== null && startedAt > writtenAtMs + 1000;
}
