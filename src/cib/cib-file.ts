// CIB files on disk: bounded, strict reading; atomic writes (temp file in the same directory,
// fsync, rename, fsync of the directory); and a lock so that concurrent `berth -f` edits of one
// file are serialised (lock, then re-read, then change, then write).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isAscii } from 'node:buffer';
import { BerthError, problem } from '../errors/registry';

export const maxCibBytes = () => Number(process.env.BERTH_MAX_CIB_BYTES ?? 64 * 1024 * 1024);

/** Read a file as strict UTF-8 text, refusing huge files before reading them. */
export function readTextFile(file: string, what = 'CIB file'): string {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch (e) {
    throw new BerthError([problem('FILE_NOT_FOUND', { path: file, value: file, message: `${what} '${file}' cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` })]);
  }
  const limit = maxCibBytes();
  if (size > limit) {
    throw new BerthError([problem('FILE_TOO_LARGE', { path: file, value: String(size), allowed: `at most ${limit} bytes (BERTH_MAX_CIB_BYTES)`, message: `${what} '${file}' is ${size} bytes, more than the limit of ${limit} bytes` })]);
  }
  const buf = fs.readFileSync(file);
  return decodeUtf8(buf, file);
}

export function decodeUtf8(buf: Uint8Array, source: string): string {
  // Most CIBs are ASCII: checked at memory speed, and then copied as they are.
  if (isAscii(buf)) return Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('latin1');
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(buf);
  } catch {
    let at = 0;
    // find the first bad byte for the message
    for (let n = 1; n <= buf.length; n++) {
      try { new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, n)); at = n; } catch { if (n - at > 4) break; }
    }
    throw new BerthError([problem('FILE_NOT_UTF8', { path: `${source}@byte ${at}`, message: `${source} is not valid UTF-8 (first bad byte near offset ${at})` })]);
  }
}

/** Write `text` to `file` atomically: readers see the old or the new content, never a mix. */
export function writeFileAtomic(file: string, text: string): void {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  let mode: number | undefined;
  try { mode = fs.statSync(file).mode & 0o7777; } catch { /* new file */ }
  try {
    const fd = fs.openSync(tmp, 'wx', mode ?? 0o644);
    try {
      fs.writeSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    try { fs.unlinkSync(tmp); } catch { /* already gone */ }
    throw new BerthError([problem('FILE_WRITE_FAILED', { path: file, message: `cannot write '${file}': ${(e as Error).message}` })]);
  }
  try {
    const dfd = fs.openSync(dir, 'r');
    try { fs.fsyncSync(dfd); } finally { fs.closeSync(dfd); }
  } catch { /* some filesystems refuse fsync on directories; the rename is still atomic */ }
}

// The lock on a file: `.<name>.lock` beside it, holding the owner's pid. Safe against kill -9:
// the lock file appears with its pid already in it (written to a temp file, then hard-linked into
// place), a dead owner's lock is taken over, and only by whoever holds a second lock,
// `.<name>.lock.reclaim`, so two waiters never both enter.

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let lockSeq = 0;
/** An empty lock file this old was left by a withFileLock writer killed right after creating it. */
const EMPTY_LOCK_STALE_MS = 2000;

interface LockOwner {
  pid: number | null; // null: empty or not a pid
  ino: number;
  ageMs: number;
}

function lockOwner(lock: string): LockOwner | null {
  try {
    const st = fs.statSync(lock);
    const text = fs.readFileSync(lock, 'utf8').trim();
    return { pid: /^[1-9][0-9]*$/.test(text) ? Number(text) : null, ino: st.ino, ageMs: Date.now() - st.mtimeMs };
  } catch {
    return null; // gone meanwhile
  }
}

const isStale = (o: LockOwner) => (o.pid === null ? o.ageMs > EMPTY_LOCK_STALE_MS : !pidAlive(o.pid));

/** Creates `lock` holding our pid, or returns false when it exists. */
function createLock(lock: string): boolean {
  const tmp = `${lock}.${process.pid}.${Date.now()}${lockSeq++}.tmp`;
  fs.writeFileSync(tmp, String(process.pid), { flag: 'wx' });
  try {
    fs.linkSync(tmp, lock);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw e;
    // No hard links on this filesystem: O_EXCL, as withFileLock does.
    try {
      const fd = fs.openSync(lock, 'wx', 0o644);
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      return true;
    } catch (e2) {
      if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e2;
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

function removeIfOurs(lock: string): void {
  if (lockOwner(lock)?.pid === process.pid) fs.rmSync(lock, { force: true });
}

/** Removes the dead owner's lock `seen`, unless another waiter is already at it. */
function reclaim(lock: string, seen: LockOwner): void {
  const guard = `${lock}.reclaim`;
  if (!createLock(guard)) {
    const holder = lockOwner(guard);
    if (holder && isStale(holder) && holder.ageMs > EMPTY_LOCK_STALE_MS) fs.rmSync(guard, { force: true });
    return;
  }
  try {
    // Under the guard nobody else removes the dead lock, so no new lock can appear in its place.
    const now = lockOwner(lock);
    if (now && now.ino === seen.ino && isStale(now)) fs.rmSync(lock, { force: true });
  } finally {
    removeIfOurs(guard);
  }
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** The lock's path, the timeout (BERTH_LOCK_TIMEOUT_MS, default 15 s) and one attempt to take it. */
function lockAttempt(file: string) {
  const lock = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.lock`);
  const fromEnv = Number(process.env.BERTH_LOCK_TIMEOUT_MS);
  const timeoutMs = Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : 15000;
  const deadline = Date.now() + timeoutMs;
  /** true: taken; false: wait and try again; throws when it is time to give up. */
  const attempt = (): boolean => {
    let created: boolean;
    try {
      created = createLock(lock);
    } catch (e) {
      throw new BerthError([problem('FILE_WRITE_FAILED', { path: lock, message: `cannot create lock '${lock}': ${(e as Error).message}` })]);
    }
    if (created) return true;
    const owner = lockOwner(lock);
    if (owner && isStale(owner)) reclaim(lock, owner);
    else if (Date.now() > deadline) {
      const who = owner?.pid ?? 'unknown';
      throw new BerthError([problem('FILE_LOCKED', { path: file, value: String(who), message: `'${file}' is locked by process ${who} (${lock}); gave up after ${timeoutMs} ms` })]);
    }
    return false;
  };
  return { lock, attempt };
}

/** Run `fn` holding the lock on `file` (synchronous: the CLI's edits). */
export function withFileLock<T>(file: string, fn: () => T): T {
  const { lock, attempt } = lockAttempt(file);
  for (let wait = 1; !attempt(); wait = Math.min(wait * 2, 50)) sleep(wait);
  try {
    return fn();
  } finally {
    removeIfOurs(lock);
  }
}

/** Run `fn` (synchronous: the critical section never awaits) holding the lock on `file`, waiting without blocking the event loop. */
export async function withFileLockAsync<T>(file: string, fn: () => T): Promise<T> {
  const { lock, attempt } = lockAttempt(file);
  for (let wait = 1; !attempt(); wait = Math.min(wait * 2, 50)) await new Promise((r) => setTimeout(r, wait));
  try {
    return fn();
  } finally {
    removeIfOurs(lock);
  }
}
