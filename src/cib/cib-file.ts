// CIB files on disk: bounded, strict reading; atomic writes (temp file in the same directory,
// fsync, rename, fsync of the directory); and a lock so that concurrent `berth -f` edits of one
// file are serialised (lock, then re-read, then change, then write).
import * as fs from 'node:fs';
import * as path from 'node:path';
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

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function pidAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

/**
 * Run `fn` holding an exclusive lock on `file` (a sibling `.lock` file created with O_EXCL and
 * holding our pid). A lock whose owner died is taken over. Gives up after `timeoutMs`.
 */
export function withFileLock<T>(file: string, fn: () => T, timeoutMs = Number(process.env.BERTH_LOCK_TIMEOUT_MS ?? 15000)): T {
  const lock = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.lock`);
  const deadline = Date.now() + timeoutMs;
  let wait = 1;
  for (;;) {
    try {
      const fd = fs.openSync(lock, 'wx', 0o644);
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new BerthError([problem('FILE_WRITE_FAILED', { path: lock, message: `cannot create lock '${lock}': ${(e as Error).message}` })]);
      }
      let owner = NaN;
      try { owner = Number(fs.readFileSync(lock, 'utf8')); } catch { continue; }
      if (Number.isInteger(owner) && owner > 0 && !pidAlive(owner)) {
        // Stale lock of a dead process: remove it only if it is still the same one.
        try { if (Number(fs.readFileSync(lock, 'utf8')) === owner) fs.unlinkSync(lock); } catch { /* raced */ }
        continue;
      }
      if (Date.now() > deadline) {
        throw new BerthError([problem('FILE_LOCKED', { path: file, value: String(owner), message: `'${file}' is locked by process ${owner} (${lock}); gave up after ${timeoutMs} ms` })]);
      }
      sleep(wait);
      wait = Math.min(wait * 2, 50);
    }
  }
  try {
    return fn();
  } finally {
    try { fs.unlinkSync(lock); } catch { /* gone */ }
  }
}
