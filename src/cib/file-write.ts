// The one writer of berth's files (CIB files, the file store, the agent's state, authkeys): a
// file is replaced whole or not at all. The content goes to a temp file beside it, written to the
// last byte (write(2) may write less than asked when the disk fills), fsynced, read back and
// compared (and checked by the caller, e.g. parsed as a CIB), then renamed into place (or linked,
// when an existing file must not be replaced) and the directory fsynced. On any failure (ENOSPC,
// EIO, EDQUOT, ...) the temp file is removed and the old file is as it was.
//
// Temp files are named `.NAME.PID-START.RAND.tmp` (START: the writer's process start time), so
// one left by a killed writer can be told from one being written: `sweepTempFiles` removes only
// those whose writer is gone, even when its pid now belongs to another process.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BerthError, problem } from '../errors/registry';
import { ProcessIdentity, selfIdentity, writerGone } from './process-identity';

export interface WriteOptions {
  /** The mode of the file; default: the existing file's, else 0644. */
  mode?: number;
  /** false: fail when the file exists (it is linked into place, never renamed over another). */
  replace?: boolean;
  /** The error when `replace` is false and the file exists. */
  exists?: () => BerthError;
  /** Made (recursively, with this mode) when the directory does not exist. */
  dirMode?: number;
  /** Called with the bytes read back from the temp file before it is put in place; throws to refuse them. */
  check?: (written: Buffer) => void;
  /** For messages: 'CIB file', 'authkey', ... */
  what?: string;
  /**
   * false: no fsync of the file and the directory (still whole or absent after a crash of the
   * process, not after a power loss). For a record written several times a second whose loss is safe.
   */
  durable?: boolean;
}

const ERRNO_WORDS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exceeded',
  EIO: 'an I/O error',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ENOENT: 'the directory does not exist',
  EFBIG: 'the file is too large for the file system',
};

export function writeFailed(file: string, e: unknown, what = 'file'): BerthError {
  if (e instanceof BerthError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  const why = code ? `${ERRNO_WORDS[code] ?? (e as Error).message} (${code})` : (e as Error).message;
  return new BerthError([problem('FILE_WRITE_FAILED', { path: file, ...(code ? { value: code } : {}), message: `cannot write ${what} '${file}': ${why}; it is unchanged` })]);
}

/** An error as the file system gives it, for a failure found by berth itself. */
const errno = (name: string, message: string): NodeJS.ErrnoException => Object.assign(new Error(message), { code: name });

let seq = 0;
/** A temp file's name beside `file`, telling its writer (see sweepTempFiles). */
export function tempName(file: string, me: ProcessIdentity = selfIdentity()): string {
  const tag = me.start === null ? `${me.pid}` : `${me.pid}-${me.start}`;
  return path.join(path.dirname(file), `.${path.basename(file)}.${tag}.${Math.floor(Math.random() * 0x1000000).toString(16).padStart(6, '0')}${(seq++ % 100).toString().padStart(2, '0')}.tmp`);
}

/** Write all of `buf` (write(2) may write less than asked: a full disk writes a part, then fails). */
function writeAll(fd: number, buf: Uint8Array): void {
  for (let off = 0; off < buf.length; ) {
    const n = fs.writeSync(fd, buf, off, buf.length - off);
    if (n <= 0) throw errno('EIO', 'write wrote nothing');
    off += n;
  }
}

function readBack(file: string, size: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(size + 1);
    let got = 0;
    for (let n; got < buf.length && (n = fs.readSync(fd, buf, got, buf.length - got, got)) > 0; ) got += n;
    return buf.subarray(0, got);
  } finally {
    fs.closeSync(fd);
  }
}

function fsyncDir(dir: string): void {
  let dfd: number;
  try {
    dfd = fs.openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fs.fsyncSync(dfd);
  } catch (e) {
    // Some file systems refuse fsync on a directory (EINVAL); the rename is still atomic. An I/O error is not that.
    if ((e as NodeJS.ErrnoException).code === 'EIO') throw e;
  } finally {
    fs.closeSync(dfd);
  }
}

/** Replace `file` with `content`, whole or not at all (see the header). */
export function writeFileAtomic(file: string, content: string | Uint8Array, opts: WriteOptions = {}): void {
  const what = opts.what ?? 'file';
  const target = path.resolve(file);
  const dir = path.dirname(target);
  const buf = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  let mode = opts.mode;
  try {
    if (opts.dirMode !== undefined) fs.mkdirSync(dir, { recursive: true, mode: opts.dirMode });
    const st = fs.statSync(target, { throwIfNoEntry: false });
    if (st?.isDirectory()) throw errno('EISDIR', 'is a directory');
    if (st && opts.replace === false) throw opts.exists?.() ?? errno('EEXIST', 'the file exists');
    mode ??= st ? st.mode & 0o7777 : 0o644;
  } catch (e) {
    throw writeFailed(target, e, what);
  }
  sweepTempFiles(dir, [path.basename(target)]);
  const tmp = tempName(target, selfIdentity());
  try {
    const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, mode);
    try {
      fs.fchmodSync(fd, mode); // the umask does not narrow it
      writeAll(fd, buf);
      if (opts.durable !== false) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    const back = readBack(tmp, buf.length);
    if (!Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).equals(back)) {
      throw errno('EIO', `the temp file ${tmp} holds ${back.length} bytes, not the ${buf.length} written`);
    }
    opts.check?.(back);
    if (opts.replace === false) {
      try {
        fs.linkSync(tmp, target); // fails when the file exists, even if it appeared just now
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST' && opts.exists) throw opts.exists();
        throw e;
      }
      fs.unlinkSync(tmp);
    } else {
      fs.renameSync(tmp, target);
    }
    if (opts.durable !== false) fsyncDir(dir);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw writeFailed(target, e, what);
  }
}

// `.NAME.PID-START.RAND.tmp`, and the older `.NAME.PID.MS.tmp` (no start time: judged by the file's mtime).
const TEMP = /^\.(.+)\.([1-9][0-9]*)(?:-([0-9]+))?\.[0-9a-f]+\.tmp$/;

/**
 * Removes the temp files of the files `names` (of every file when undefined) in `dir` whose
 * writer is gone; returns how many. Never one whose writer still runs: it is about to be renamed.
 */
export function sweepTempFiles(dir: string, names?: string[]): number {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const entry of entries) {
    const m = TEMP.exec(entry);
    if (!m || (names !== undefined && !names.includes(m[1]))) continue;
    const full = path.join(dir, entry);
    const st = fs.lstatSync(full, { throwIfNoEntry: false });
    if (!st?.isFile()) continue;
    if (writerGone({ pid: Number(m[2]), start: m[3] ?? null, boot: null }, st.mtimeMs)) {
      fs.rmSync(full, { force: true });
      removed++;
    }
  }
  return removed;
}
