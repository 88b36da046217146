// The file store (`file:///var/lib/berth`, the default): the live CIB as `cib.xml` in a directory,
// side keys as files in its `keys/` subdirectory. A write takes the file's lock, compares the
// stored revision (sha256 of the stored text) with the expected one and replaces the file
// atomically (temp file, fsync, rename), so readers never see a torn file and a lost race is
// reported, never overwritten. The writer (file-write.ts) sweeps temp files of killed writers,
// only once their writer is gone. Changes by other processes are seen through fs.watch on the
// directory plus a poll, because fs.watch misses events on some filesystems and cannot watch a
// directory that does not exist yet.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { EMPTY_CIB_XML, parseCib } from '../cib/cib';
import { maxCibBytes, readTextFile, withFileLockAsync, writeFileAtomic } from '../cib/cib-file';
import { BerthError, Problem, ProblemCode, problem } from '../errors/registry';
import { CasResult, CibStore, StoredCib, isStoreCorrupt } from './store';

// ---- the store's problem codes that the registry does not have yet ----
// (STORE_URL_INVALID, STORE_UNREACHABLE, STORE_CORRUPT and STORE_CONFLICT are in the registry.)
// Each maps to the closest existing code; when the lead adds them, change only the right-hand sides.

/** The store answered something that is not its protocol (lead: add STORE_BAD_RESPONSE). */
export const STORE_BAD_RESPONSE: ProblemCode = 'STORE_BAD_RESPONSE';
/** The store answered with an error of its own, e.g. a request too large (lead: add STORE_REFUSED). */
export const STORE_REFUSED: ProblemCode = 'STORE_REFUSED';
/** A side-record key is not a valid key name (lead: add STORE_KEY_INVALID). */
export const STORE_KEY_INVALID: ProblemCode = 'STORE_KEY_INVALID';

// ---- shared by both backends ----

/** Side-record keys: segments of letters, digits, `_`, `.`, `-` (not starting with `.`), joined by `/`. */
export const STORE_KEY_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(\/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$/;

export function checkStoreKey(key: string): void {
  if (key.length > 200 || !STORE_KEY_PATTERN.test(key)) {
    throw new BerthError([problem(STORE_KEY_INVALID, { path: 'key', value: key, allowed: "segments of letters, digits, '_', '.', '-' (not starting with '.') joined by '/', at most 200 characters", message: `'${key}' is not a valid store key name` })]);
  }
}

/** The CIB `text` as a problem list when it is not a valid CIB (nothing thrown). */
export function cibProblems(text: string, source: string): Problem[] {
  try {
    parseCib(text, source);
    return [];
  } catch (e) {
    if (e instanceof BerthError) return e.problems;
    throw e;
  }
}

/**
 * Refuse to store something that is not a valid CIB, or that could not be read back. `checked`
 * holds sha256 hashes of texts already found valid (a writer often writes what it read or wrote
 * before), so they are not parsed again. Returns the text's sha256.
 */
export function checkCibToWrite(text: string, url: string, checked: CheckedRevisions): string {
  const hash = sha256(text);
  if (checked.has(hash)) return hash;
  const size = Buffer.byteLength(text);
  if (size > maxCibBytes()) {
    throw new BerthError([problem('FILE_TOO_LARGE', { path: url, value: String(size), allowed: `at most ${maxCibBytes()} bytes (BERTH_MAX_CIB_BYTES)`, message: `the CIB to write to ${url} is ${size} bytes, more than the limit of ${maxCibBytes()} bytes` })]);
  }
  const problems = cibProblems(text, `the CIB to write to ${url}`);
  if (problems.length) throw new BerthError(problems);
  checked.add(hash);
  return hash;
}

/** The store-corrupt error: what holds it, why, and the parse problems underneath. */
export function corruptStore(where: string, value: string, why: Problem[]): BerthError {
  const first = why[0]?.message ?? 'unknown problem';
  return new BerthError([
    problem('STORE_CORRUPT', { path: where, value, message: `${where} does not hold a valid CIB (${first}); berth will not overwrite it: repair it, or put a valid CIB in its place with 'berth cluster cib-push FILE --force'` }),
    ...why,
  ]);
}

/** Revisions whose text was already checked to be a valid CIB, so it is not parsed again. */
export class CheckedRevisions {
  private readonly seen = new Set<string>();
  constructor(private readonly limit = 64) {}
  has(revision: string): boolean {
    return this.seen.has(revision);
  }
  add(revision: string): void {
    this.seen.delete(revision);
    this.seen.add(revision);
    if (this.seen.size > this.limit) this.seen.delete(this.seen.values().next().value as string);
  }
}

export const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

export const emptyStoredCib = (): StoredCib => ({ text: EMPTY_CIB_XML, revision: null });

// ---- the file store ----

/** The stored text and its revision; null when the file (or its directory) does not exist. */
function readStored(file: string, what: string): StoredCib | null {
  try {
    fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new BerthError([problem('STORE_UNREACHABLE', { path: file, value: file, message: `${what} '${file}' cannot be reached: ${code ?? (e as Error).message}` })]);
  }
  const text = readTextFile(file, what);
  return { text, revision: sha256(text) };
}

/** ino, size and mtime: changes with every atomic replace, so a poll need not read the file. */
function fingerprint(file: string): string {
  try {
    const s = fs.statSync(file, { bigint: true, throwIfNoEntry: false });
    return s ? `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}` : 'none';
  } catch (e) {
    return `error:${(e as NodeJS.ErrnoException).code}`;
  }
}

export interface FileStoreOptions {
  /** How often a watch checks the file without an fs.watch event (ms, default 500). */
  pollMs?: number;
}

export class FileStore implements CibStore {
  readonly url: string;
  /** The CIB file, `<dir>/cib.xml`. */
  readonly file: string;
  readonly keysDir: string;
  private readonly checked = new CheckedRevisions();
  private readonly watches = new Set<() => void>();
  private readonly pollMs: number;

  constructor(readonly dir: string, opts: FileStoreOptions = {}) {
    this.dir = path.resolve(dir);
    this.url = pathToFileURL(this.dir).href;
    this.file = path.join(this.dir, 'cib.xml');
    this.keysDir = path.join(this.dir, 'keys');
    this.pollMs = opts.pollMs ?? 500;
  }

  async read(): Promise<StoredCib> {
    return this.readCib();
  }

  async compareAndSwap(expected: string | null, text: string): Promise<CasResult> {
    const revision = checkCibToWrite(text, this.url, this.checked); // the revision is the text's hash
    this.makeDir(this.dir);
    return withFileLockAsync(this.file, () => {
      const current = this.readCib();
      if (current.revision !== expected) return { ok: false, current };
      // `text` was parsed by checkCibToWrite; the writer compares what it reads back with it byte for byte.
      if (current.text !== text || current.revision === null) writeFileAtomic(this.file, text, { what: 'CIB file' });
      return { ok: true, revision };
    });
  }

  async replaceCorrupt(text: string): Promise<CasResult> {
    const revision = checkCibToWrite(text, this.url, this.checked);
    this.makeDir(this.dir);
    return withFileLockAsync(this.file, () => {
      try {
        return { ok: false, current: this.readCib() };
      } catch (e) {
        if (!isStoreCorrupt(e)) throw e;
      }
      writeFileAtomic(this.file, text, { what: 'CIB file' });
      return { ok: true, revision };
    });
  }

  /** `onError` hears of content that cannot be delivered (not a valid CIB, unreadable). */
  watch(onChange: (cib: StoredCib) => void, onError?: (e: Error) => void): () => void {
    let lastPrint = fingerprint(this.file);
    let lastRevision = this.peekRevision();
    let watcher: fs.FSWatcher | undefined;
    let pending: NodeJS.Timeout | undefined;
    let stopped = false;

    const check = () => {
      pending = undefined;
      if (stopped) return;
      if (!watcher) attach();
      const print = fingerprint(this.file);
      if (print === lastPrint) return;
      lastPrint = print;
      let cib: StoredCib;
      try {
        const found = this.readStoredCib();
        if ((found?.revision ?? null) === lastRevision) return;
        lastRevision = found?.revision ?? null;
        cib = found ? this.checkedCib(found) : emptyStoredCib();
      } catch (e) {
        onError?.(e as Error);
        return;
      }
      onChange(cib);
    };
    // Several events come with each write (temp file, rename): one check after they settle.
    const soon = (_event: string, name: string | Buffer | null) => {
      if (name !== null && String(name) !== 'cib.xml') return;
      if (!pending) pending = setTimeout(check, 5);
    };
    const attach = () => {
      try {
        watcher = fs.watch(this.dir, { persistent: false }, soon);
        watcher.on('error', () => {
          watcher?.close();
          watcher = undefined; // the poll attaches again (the directory may have been recreated)
        });
      } catch {
        watcher = undefined; // no directory yet: the poll sees it appear
      }
    };
    attach();
    const poll = setInterval(check, this.pollMs);
    const stop = () => {
      stopped = true;
      clearInterval(poll);
      if (pending) clearTimeout(pending);
      watcher?.close();
      this.watches.delete(stop);
    };
    this.watches.add(stop);
    return stop;
  }

  async readKey(key: string): Promise<StoredCib> {
    const file = this.keyFile(key);
    return readStored(file, 'store key file') ?? { text: '', revision: null };
  }

  async compareAndSwapKey(key: string, expected: string | null, text: string): Promise<CasResult> {
    const file = this.keyFile(key);
    this.makeDir(this.keysDir);
    return withFileLockAsync(file, () => {
      const current = readStored(file, 'store key file') ?? { text: '', revision: null };
      if (current.revision !== expected) return { ok: false, current };
      if (current.text !== text || current.revision === null) writeFileAtomic(file, text, { what: 'store key file' });
      return { ok: true, revision: sha256(text) };
    });
  }

  async close(): Promise<void> {
    for (const stop of [...this.watches]) stop();
  }

  // ---- inside ----

  private readCib(): StoredCib {
    const found = this.readStoredCib();
    return found ? this.checkedCib(found) : emptyStoredCib();
  }

  /** cib.xml as stored, not yet checked to be a CIB; null when there is none. */
  private readStoredCib(): StoredCib | null {
    try {
      return readStored(this.file, 'CIB file');
    } catch (e) {
      // Not UTF-8 is content that is not a CIB; an unreadable or too large file keeps its own code.
      if (e instanceof BerthError && e.problems[0]?.code === 'FILE_NOT_UTF8') throw corruptStore(this.file, this.url, e.problems);
      throw e;
    }
  }

  private checkedCib(found: StoredCib): StoredCib {
    const revision = found.revision as string;
    if (!this.checked.has(revision)) {
      const problems = cibProblems(found.text, this.file);
      if (problems.length) throw corruptStore(this.file, this.url, problems);
      this.checked.add(revision);
    }
    return found;
  }

  /** The current revision for a watch's baseline, whatever the content. */
  private peekRevision(): string | null {
    try {
      return readStored(this.file, 'CIB file')?.revision ?? null;
    } catch {
      return null;
    }
  }

  private keyFile(key: string): string {
    checkStoreKey(key);
    // One flat file per key, so `a` and `a/b` can both exist.
    return path.join(this.keysDir, encodeURIComponent(key));
  }

  private makeDir(dir: string): void {
    try {
      fs.mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new BerthError([problem('FILE_WRITE_FAILED', { path: dir, message: `cannot create the store directory '${dir}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` })]);
    }
  }
}
