// CIB files on disk: bounded, strict reading (regular files only, never more than the limit, UTF-8
// checked in one pass); whole-or-nothing writes (file-write.ts), for a CIB checked by parsing what
// was written back; and the lock that serialises concurrent `berth -f` edits of one file
// (file-lock.ts: lock, then re-read, then change, then write).
import * as fs from 'node:fs';
import { isAscii } from 'node:buffer';
import { BerthError, problem } from '../errors/registry';
import { parseCib } from './cib';
import { writeFileAtomic, WriteOptions } from './file-write';

export { writeFileAtomic, sweepTempFiles } from './file-write';
export { withFileLock, withFileLockAsync } from './file-lock';
export { pidAlive } from './process-identity';

export const maxCibBytes = () => Number(process.env.BERTH_MAX_CIB_BYTES ?? 64 * 1024 * 1024);

export interface ReadOptions {
  /** For messages: 'CIB file', 'source file', ... */
  what?: string;
  /** Default: maxCibBytes(). */
  maxBytes?: number;
  /** Refuse a symbolic link as the last part of the path (it is not followed). */
  noFollow?: boolean;
}

const KINDS: [(s: fs.Stats) => boolean, string][] = [
  [(s) => s.isDirectory(), 'a directory'],
  [(s) => s.isFIFO(), 'a FIFO'],
  [(s) => s.isCharacterDevice(), 'a character device'],
  [(s) => s.isBlockDevice(), 'a block device'],
  [(s) => s.isSocket(), 'a socket'],
  [(s) => s.isSymbolicLink(), 'a symbolic link'],
];
const kindOf = (s: fs.Stats) => KINDS.find(([is]) => is(s))?.[1] ?? 'not a regular file';

export function notRegular(file: string, kind: string, what = 'file'): BerthError {
  return new BerthError([problem('FILE_NOT_REGULAR', { path: file, value: kind, allowed: 'a regular file', message: `${what} '${file}' is ${kind}, not a regular file` })]);
}

/**
 * The bytes of a regular file, at most `maxBytes` of them. The file is opened before it is
 * looked at (no window to swap it), without blocking (a FIFO does not hang the open), and read
 * up to the limit whatever its size says (/proc files and growing files say the wrong size).
 */
export function readFileBounded(file: string, opts: ReadOptions = {}): Buffer {
  const what = opts.what ?? 'file';
  const limit = opts.maxBytes ?? maxCibBytes();
  const tooLarge = (size: string) =>
    new BerthError([problem('FILE_TOO_LARGE', { path: file, value: size, allowed: `at most ${limit} bytes (BERTH_MAX_CIB_BYTES)`, message: `${what} '${file}' is ${size} bytes, more than the limit of ${limit} bytes` })]);
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | (opts.noFollow ? fs.constants.O_NOFOLLOW : 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' && opts.noFollow) throw notRegular(file, 'a symbolic link', what);
    throw new BerthError([problem('FILE_NOT_FOUND', { path: file, value: file, message: `${what} '${file}' cannot be read: ${code ?? (e as Error).message}` })]);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw notRegular(file, kindOf(st), what);
    if (st.size > limit) throw tooLarge(String(st.size));
    const buf = Buffer.allocUnsafe(Math.min(st.size, limit) + 1);
    let got = 0;
    for (;;) {
      if (got === buf.length) {
        if (got > limit) throw tooLarge(`more than ${limit}`);
        break; // read as much as the size said, plus one byte: there may be more (a file that grew)
      }
      const n = fs.readSync(fd, buf, got, buf.length - got, null);
      if (n === 0) return buf.subarray(0, got);
      got += n;
    }
    // Grown since fstat: read on, up to the limit.
    const more: Buffer[] = [buf];
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, limit + 1 - got));
      const n = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) return Buffer.concat(more, got);
      more.push(chunk.subarray(0, n));
      got += n;
      if (got > limit) throw tooLarge(`more than ${limit}`);
    }
  } catch (e) {
    if (e instanceof BerthError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') throw notRegular(file, 'a directory', what);
    throw new BerthError([problem('FILE_NOT_FOUND', { path: file, value: file, message: `${what} '${file}' cannot be read: ${code ?? (e as Error).message}` })]);
  } finally {
    fs.closeSync(fd);
  }
}

/** Read a file as strict UTF-8 text: a regular file, refused when huge before it is read. */
export function readTextFile(file: string, what = 'CIB file', opts: Omit<ReadOptions, 'what'> = {}): string {
  return decodeUtf8(readFileBounded(file, { ...opts, what }), file);
}

export function decodeUtf8(buf: Uint8Array, source: string): string {
  // Most CIBs are ASCII: checked at memory speed, and then copied as they are.
  if (isAscii(buf)) return Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('latin1');
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(buf);
  } catch {
    const at = firstBadUtf8(buf);
    throw new BerthError([problem('FILE_NOT_UTF8', { path: `${source}@byte ${at}`, value: String(at), message: `${source} is not valid UTF-8 (first bad byte at offset ${at})` })]);
  }
}

/** The offset of the first byte that does not belong to a valid UTF-8 sequence (one pass); the length when there is none. */
export function firstBadUtf8(b: Uint8Array): number {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i];
    if (c < 0x80) { i++; continue; }
    let need: number, lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) { need = 2; if (c === 0xe0) lo = 0xa0; else if (c === 0xed) hi = 0x9f; } // no overlong forms, no surrogates
    else if (c >= 0xf0 && c <= 0xf4) { need = 3; if (c === 0xf0) lo = 0x90; else if (c === 0xf4) hi = 0x8f; } // at most U+10FFFF
    else return i;
    for (let k = 1; k <= need; k++) {
      const d = i + k < n ? b[i + k] : -1;
      if (k === 1 ? d < lo || d > hi : d < 0x80 || d > 0xbf) return i;
    }
    i += need + 1;
  }
  return n;
}

/** Write a CIB file whole or not at all: what was written is read back and parsed before it replaces the old file. */
export function writeCibFile(file: string, text: string, opts: WriteOptions = {}): void {
  writeFileAtomic(file, text, { what: 'CIB file', ...opts, check: (written) => void parseCib(decodeUtf8(written, file), `${file} (as written)`) });
}
