// The lock on a file: `.<name>.lock` beside it, holding its owner's identity (pid, process start
// time, boot id: see process-identity.ts). Safe against kill -9 and PID reuse: the lock file
// appears with the identity already in it (written to a temp file, then hard-linked into place),
// the lock of an owner that is gone (dead, or its pid now another process's) is taken over, and
// only by whoever holds a second lock, `.<name>.lock.reclaim`, so two waiters never both enter.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BerthError, problem } from '../errors/registry';
import { sweepTempFiles, tempName } from './file-write';
import { ProcessIdentity, formatIdentity, parseIdentity, selfIdentity, writerGone } from './process-identity';

/** An empty lock file this old was left by a withFileLock writer killed right after creating it. */
const EMPTY_LOCK_STALE_MS = 2000;

interface LockOwner {
  id: ProcessIdentity | null; // null: empty or not an identity
  ino: number;
  mtimeMs: number;
}

function lockOwner(lock: string): LockOwner | null {
  try {
    const st = fs.statSync(lock);
    // A lock is a line of text: a larger file is not one of ours (its identity then is null).
    const text = st.isFile() && st.size < 256 ? fs.readFileSync(lock, 'utf8') : '';
    return { id: parseIdentity(text), ino: st.ino, mtimeMs: st.mtimeMs };
  } catch {
    return null; // gone meanwhile
  }
}

const isStale = (o: LockOwner) => (o.id === null ? Date.now() - o.mtimeMs > EMPTY_LOCK_STALE_MS : writerGone(o.id, o.mtimeMs));

/** Creates `lock` holding our identity, or returns false when it exists. */
function createLock(lock: string): boolean {
  const me = formatIdentity(selfIdentity());
  const tmp = tempName(lock);
  fs.writeFileSync(tmp, me, { flag: 'wx' });
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
      fs.writeSync(fd, me);
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
  const id = lockOwner(lock)?.id;
  const me = selfIdentity();
  if (id && id.pid === me.pid && id.start === me.start) fs.rmSync(lock, { force: true });
}

/** Removes the dead owner's lock `seen`, unless another waiter is already at it. */
function reclaim(lock: string, seen: LockOwner): void {
  const guard = `${lock}.reclaim`;
  if (!createLock(guard)) {
    const holder = lockOwner(guard);
    if (holder && isStale(holder) && Date.now() - holder.mtimeMs > EMPTY_LOCK_STALE_MS) fs.rmSync(guard, { force: true });
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
    if (created) {
      // Temp files of lockers killed between writing one and linking it.
      sweepTempFiles(path.dirname(lock), [path.basename(lock), `${path.basename(lock)}.reclaim`]);
      return true;
    }
    const owner = lockOwner(lock);
    if (owner && isStale(owner)) reclaim(lock, owner);
    else if (Date.now() > deadline) {
      const who = owner?.id?.pid ?? 'unknown';
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
