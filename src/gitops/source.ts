// Where the desired CIB comes from, and reading one revision of it.
//
// A source is a git repository (a local path or a file:// URL; a branch or tag; the CIB's path
// inside) or a plain directory. `parseSourceSpec` is pure (what is at a local path comes from a
// probe); `fetchRevision` is the edge: the real `git` CLI into a bare cache repository
// (`git fetch` of the one ref, `git cat-file --batch` for the commit and the files), or the
// directory's files.
//
// A revision is the commit id, or for a directory `sha256:` + the hash of the CIB file's path,
// its text and the settings text (a directory has no history: its content is its revision).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { decodeUtf8, maxCibBytes, readTextFile } from '../cib/cib-file';
import { BerthError, Problem, problem } from '../errors/registry';
import { GITOPS_SOURCE_INVALID, GITOPS_SOURCE_UNREACHABLE } from './problems';
import { SETTINGS_FILE } from './settings';

/** Paths tried, in order, when --path is not given. */
export const DEFAULT_CIB_PATHS = ['cib.xml', 'cib.json'];

export type SourceSpec =
  | {
      kind: 'git';
      /** what `git fetch` is given: an absolute path or a file:// URL */
      repository: string;
      /** branch, tag or other ref; HEAD when not given */
      ref: string;
      /** the CIB inside the repository; undefined: cib.xml, else cib.json */
      path?: string;
    }
  | { kind: 'dir'; dir: string; path?: string };

/** What a local path holds, for parseSourceSpec. */
export type PathKind = 'git' | 'dir' | 'file' | 'missing';

export function probePath(p: string): PathKind {
  const is = (f: string, dir: boolean) => {
    try {
      const s = fs.statSync(f);
      return dir ? s.isDirectory() : true;
    } catch {
      return false;
    }
  };
  if (!is(p, false)) return 'missing';
  if (!is(p, true)) return 'file';
  // a working tree's top (.git dir or file), or a bare repository
  if (is(path.join(p, '.git'), false) || (is(path.join(p, 'objects'), true) && is(path.join(p, 'refs'), true) && is(path.join(p, 'HEAD'), false))) return 'git';
  return 'dir';
}

const REF = /^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*@\{)(?!.*\.lock$)(?!.*\/$)[A-Za-z0-9_.\/+-]+$/;

function invalid(path: string, value: string, allowed: string, message: string): BerthError {
  return new BerthError([problem(GITOPS_SOURCE_INVALID, { path, value, allowed, message })]);
}

/** The CIB's path inside a source: relative, no '.', '..' or empty segments. */
export function checkCibPath(p: string): string {
  const segs = p.split('/');
  if (p === '' || p.startsWith('/') || p.startsWith('-') || segs.some((s) => s === '' || s === '.' || s === '..') || /[\0\n\r\\]/.test(p)) {
    throw invalid('--path', p, 'a relative path inside the source, without . or .. segments', `'${p}' is not a valid --path: use the CIB's path inside the source, e.g. cib.xml or clusters/prod/cib.json`);
  }
  return p;
}

/**
 * `source`: `file:///ABS/REPO` (git), `dir:PATH` (always a plain directory), or a local path: a git
 * repository when it is one's top (working tree or bare), else a plain directory.
 */
export function parseSourceSpec(source: string, opts: { ref?: string; path?: string } = {}, probe: (p: string) => PathKind = probePath): SourceSpec {
  const forms = 'file:///ABS/REPO, a local path (a git repository or a directory), or dir:PATH';
  if (source.trim() === '') throw invalid('--source', source, forms, '--source is empty');
  if (source.startsWith('-')) throw invalid('--source', source, forms, `'${source}' is not a valid --source (it starts with '-')`);
  if (opts.ref !== undefined && !REF.test(opts.ref)) {
    throw invalid('--ref', opts.ref, 'a branch or tag name (refs/heads/X, refs/tags/X or their short names), or HEAD', `'${opts.ref}' is not a valid --ref: use a branch or tag name`);
  }
  const cibPath = opts.path === undefined ? undefined : checkCibPath(opts.path);
  const withPath = <T extends object>(s: T) => (cibPath === undefined ? s : { ...s, path: cibPath });

  if (source.startsWith('dir:')) {
    if (opts.ref !== undefined) throw invalid('--ref', opts.ref, 'no --ref with a directory source', '--ref needs a git repository; a dir: source has no refs');
    const dir = path.resolve(source.slice(4));
    const kind = probe(dir);
    if (kind !== 'dir' && kind !== 'git') throw invalid('--source', source, forms, `${dir} is not a directory`);
    return withPath({ kind: 'dir' as const, dir });
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(source)?.[1]?.toLowerCase();
  if (scheme !== undefined) {
    if (scheme !== 'file') throw invalid('--source', source, forms, `'${scheme}://' sources are not supported; use a local path or file:// (clone or mirror the repository onto this host)`);
    let local: string;
    try {
      local = fileURLToPath(source);
    } catch (e) {
      throw invalid('--source', source, forms, `'${source}' is not a valid file URL: ${(e as Error).message}`);
    }
    if (probe(local) !== 'git') throw invalid('--source', source, forms, `${source} is not a git repository`);
    return withPath({ kind: 'git' as const, repository: pathToFileURL(local).href, ref: opts.ref ?? 'HEAD' });
  }
  const abs = path.resolve(source);
  const kind = probe(abs);
  if (kind === 'git') return withPath({ kind: 'git' as const, repository: abs, ref: opts.ref ?? 'HEAD' });
  if (kind === 'dir') {
    if (opts.ref !== undefined) throw invalid('--ref', opts.ref, 'no --ref with a directory source', `--ref needs a git repository; ${abs} is a plain directory (not the top of a git repository)`);
    return withPath({ kind: 'dir' as const, dir: abs });
  }
  throw invalid('--source', source, forms, kind === 'missing' ? `${abs} does not exist` : `${abs} is a file; give the repository or directory, and the file's path inside it with --path`);
}

export function describeSource(s: SourceSpec): string {
  if (s.kind === 'dir') return `directory ${s.dir}${s.path ? ` (${s.path})` : ''}`;
  return `${s.repository} (ref ${s.ref}${s.path ? `, ${s.path}` : ''})`;
}

// ---- one revision ----

export interface SourceRevision {
  /** commit id, or sha256:HEX for a directory */
  revision: string;
  /** for people: 12 characters */
  short: string;
  /** the CIB text and its path inside the source; undefined: no CIB there (the revision is refused) */
  cib?: { path: string; text: string };
  /** the paths looked for, when there was no CIB */
  looked: string[];
  /** berth-gitops.json beside the CIB, when there is one */
  settings?: { path: string; text: string };
  /** commit subject and committer date (git) */
  subject?: string;
  date?: string;
  /** problems reading the files of this revision (too large, not UTF-8): it is refused */
  problems: Problem[];
}

export const shortRevision = (r: string) => (r.startsWith('sha256:') ? r.slice(0, 19) : r.slice(0, 12));

const settingsPathFor = (cibPath: string) => (path.posix.dirname(cibPath) === '.' ? SETTINGS_FILE : `${path.posix.dirname(cibPath)}/${SETTINGS_FILE}`);

export interface FetchOptions {
  /** bare repositories for git sources are kept under here, one per repository */
  cacheDir: string;
  /** progress for people (fetching, done in N ms) */
  progress?: (line: string) => void;
}

export async function fetchRevision(spec: SourceSpec, opts: FetchOptions): Promise<SourceRevision> {
  return spec.kind === 'dir' ? readDirectory(spec) : fetchGit(spec, opts);
}

function readDirectory(spec: Extract<SourceSpec, { kind: 'dir' }>): SourceRevision {
  const looked = spec.path ? [spec.path] : DEFAULT_CIB_PATHS;
  if (!fs.existsSync(spec.dir)) {
    throw new BerthError([problem(GITOPS_SOURCE_UNREACHABLE, { path: spec.dir, value: spec.dir, message: `the source directory ${spec.dir} does not exist` })]);
  }
  const found = looked.find((p) => fs.existsSync(path.join(spec.dir, p)));
  if (found === undefined) {
    throw new BerthError([problem(GITOPS_SOURCE_UNREACHABLE, { path: spec.dir, value: looked.join(', '), message: `the source directory ${spec.dir} has no ${looked.join(' or ')}` })]);
  }
  const problems: Problem[] = [];
  const read = (p: string): string | undefined => {
    try {
      return readTextFile(insideDirectory(spec.dir, p), 'source file', { noFollow: true });
    } catch (e) {
      if (!(e instanceof BerthError)) throw e;
      problems.push(...e.problems);
      return undefined;
    }
  };
  const text = read(found) ?? '';
  const sp = settingsPathFor(found);
  const settingsText = fs.existsSync(path.join(spec.dir, sp)) ? read(sp) : undefined;
  const h = createHash('sha256').update(`${found}\0${text}\0${settingsText ?? ''}`).digest('hex');
  const revision = `sha256:${h}`;
  return {
    revision,
    short: shortRevision(revision),
    cib: { path: found, text },
    looked,
    ...(settingsText !== undefined ? { settings: { path: sp, text: settingsText } } : {}),
    problems,
  };
}

/**
 * `dir`/`p` with its symbolic links resolved, when that is still inside `dir`: a link within the
 * directory is followed, one out of it (to /etc/shadow, /dev/zero) is refused.
 */
function insideDirectory(dir: string, p: string): string {
  const file = path.join(dir, p);
  let real: string, top: string;
  try {
    top = fs.realpathSync(dir);
    real = fs.realpathSync(file);
  } catch {
    return file; // gone meanwhile: the read says so
  }
  if (real !== top && !real.startsWith(top + path.sep)) {
    throw new BerthError([problem('FILE_NOT_REGULAR', { path: file, value: real, allowed: `a file inside ${top}`, message: `source file '${file}' is a symbolic link out of the source directory (to ${real}); berth does not follow it` })]);
  }
  return real;
}

// ---- git ----

interface GitResult {
  stdout: Buffer;
  stderr: string;
}

function git(args: string[], opts: { cwd?: string; input?: string } = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = execFile('git', args, {
      cwd: opts.cwd,
      encoding: 'buffer',
      maxBuffer: 4 * maxCibBytes() + 1024 * 1024,
      // Never prompt. The system and global configuration stay in force: that is where an
      // administrator trusts a repository owned by another user (safe.directory).
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
    }, (err, stdout, stderr) => {
      if (err) {
        const e = err as NodeJS.ErrnoException;
        const why = e.code === 'ENOENT' ? 'the git command is not installed' : String(stderr).trim() || e.message;
        reject(new Error(why));
      } else resolve({ stdout, stderr: String(stderr) });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** The bare cache repository for `repository` (created on first use). */
async function cacheRepo(cacheDir: string, repository: string): Promise<string> {
  const dir = path.join(cacheDir, createHash('sha256').update(repository).digest('hex').slice(0, 16) + '.git');
  if (!fs.existsSync(path.join(dir, 'HEAD'))) {
    try {
      fs.mkdirSync(dir, { recursive: true });
      await git(['init', '--bare', '--quiet', dir]);
      fs.writeFileSync(path.join(dir, 'berth-source'), repository + '\n');
    } catch (e) {
      throw new BerthError([problem('FILE_WRITE_FAILED', { path: dir, message: `cannot create the gitops cache ${dir}: ${(e as Error).message}` })]);
    }
  }
  return dir;
}

async function fetchGit(spec: Extract<SourceSpec, { kind: 'git' }>, opts: FetchOptions): Promise<SourceRevision> {
  const cache = await cacheRepo(opts.cacheDir, spec.repository);
  const local = `refs/berth/source`;
  const t0 = Date.now();
  opts.progress?.(`fetching ${spec.repository} ${spec.ref}`);
  try {
    await git(['-C', cache, 'fetch', '--quiet', '--force', '--no-tags', '--no-write-fetch-head', '--', spec.repository, `+${spec.ref}:${local}`]);
  } catch (e) {
    throw new BerthError([problem(GITOPS_SOURCE_UNREACHABLE, { path: spec.repository, value: spec.ref, message: `cannot fetch ${spec.ref} from ${spec.repository}: ${(e as Error).message}` })]);
  }
  let commit: string;
  try {
    commit = String((await git(['-C', cache, 'rev-parse', '--verify', '--quiet', `${local}^{commit}`])).stdout).trim();
  } catch {
    throw new BerthError([problem(GITOPS_SOURCE_UNREACHABLE, { path: spec.repository, value: spec.ref, message: `${spec.ref} of ${spec.repository} does not name a commit` })]);
  }
  const looked = spec.path ? [spec.path] : DEFAULT_CIB_PATHS;
  // One `cat-file --batch` for the commit, the candidate CIB paths and their settings files.
  const names = [commit, ...looked.flatMap((p) => [`${commit}:${p}`, `${commit}:${settingsPathFor(p)}`])];
  const objects = parseBatch((await git(['-C', cache, 'cat-file', '--batch'], { input: names.join('\n') + '\n' })).stdout, names);
  const problems: Problem[] = [];
  const text = (name: string, what: string): string | undefined => {
    const o = objects.get(name);
    if (!o || o.type !== 'blob') return undefined;
    if (o.size > maxCibBytes()) {
      problems.push(problem('FILE_TOO_LARGE', { path: what, value: String(o.size), allowed: `at most ${maxCibBytes()} bytes (BERTH_MAX_CIB_BYTES)`, message: `${what} is ${o.size} bytes, more than the limit of ${maxCibBytes()} bytes` }));
      return '';
    }
    try {
      return decodeUtf8(o.content, what);
    } catch (e) {
      if (!(e instanceof BerthError)) throw e;
      problems.push(...e.problems);
      return '';
    }
  };
  const short = shortRevision(commit);
  const found = looked.find((p) => objects.get(`${commit}:${p}`)?.type === 'blob');
  const head = String(objects.get(commit)?.content ?? '');
  const date = /^committer .* (\d+) [+-]\d{4}$/m.exec(head)?.[1];
  const subject = head.split('\n\n')[1]?.split('\n')[0];
  const rev: SourceRevision = { revision: commit, short, looked, problems, ...(subject ? { subject } : {}), ...(date ? { date: new Date(Number(date) * 1000).toISOString() } : {}) };
  if (found !== undefined) {
    rev.cib = { path: found, text: text(`${commit}:${found}`, `${found} at ${short}`) ?? '' };
    const sp = settingsPathFor(found);
    const st = text(`${commit}:${sp}`, `${sp} at ${short}`);
    if (st !== undefined) rev.settings = { path: sp, text: st };
  }
  opts.progress?.(`fetched revision ${short}${subject ? ` "${subject}"` : ''} in ${Date.now() - t0} ms`);
  return rev;
}

interface GitObject {
  type: string;
  size: number;
  content: Buffer;
}

/** Output of `git cat-file --batch` for `names`, in order: `<oid> <type> <size>\n<content>\n` or `<name> missing\n`. */
function parseBatch(out: Buffer, names: string[]): Map<string, GitObject> {
  const found = new Map<string, GitObject>();
  let at = 0;
  for (const name of names) {
    const nl = out.indexOf(0x0a, at);
    if (nl < 0) break;
    const header = out.subarray(at, nl).toString('utf8');
    at = nl + 1;
    const m = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header);
    if (!m) continue; // "<name> missing" or "ambiguous"
    const size = Number(m[2]);
    found.set(name, { type: m[1], size, content: out.subarray(at, at + size) });
    at += size + 1;
  }
  return found;
}
