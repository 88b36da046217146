// Running the documentation's command lines for real (test/helpers/doc-blocks.ts reads them):
// each block's lines run in order with bash, in a directory of the document, with `berth` on the
// PATH as this checkout's bin/berth, a private live-CIB store (BERTH_STORE) and a private node state
// dir (BERTH_STATE_DIR), so nothing outside the directory is read or changed.
// - file blocks (test/docs/command-lines.ts): every line once; its exit code and `# shows:` text.
// - engine and cluster blocks (test/e2e/docs-live.ts): a line ending in `&` is a
//   daemon, started in the background and stopped (SIGTERM, then SIGKILL) when the block ends; any
//   other line is retried until it ends as annotated (replicas take time to converge), for up to
//   60 s. Afterwards every container of the clusters the block made (the private store's cluster
//   id, any store directory in the block's dir, any CIB file there) is removed, and so is every
//   loopback address berth added meanwhile (label lo:berth) or that those containers claimed.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Test } from 'tap';
import { parseArgv } from '../../src/cli/argv';
import { fileClusterId } from '../../src/store/cluster-id';
import { openStore } from '../../src/store/open';
import { ADDRESS_LABEL, BERTH_LABELS } from '../../src/runtime/labels';
import { berthArgv, commandsOf, commentStart, CommandLine, DocBlock } from './doc-blocks';
import { ensureBuilt, root } from './cli';

/** The documents whose command lines are checked: README.md and docs/*.md. */
export function documents(): string[] {
  const docs = fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => path.join('docs', f));
  return ['README.md', ...docs];
}

/**
 * The command words of a berth argv name a command of the CLI (for example-only lines, which are
 * not run). The one place that asks the CLI: the strict command tree (src/cli/argv.ts).
 */
export function commandExists(argv: string[]): { ok: true; path: string[] } | { ok: false; why: string } {
  try {
    // The strict command tree: an unknown command or flag throws, a group alone is not a command.
    const p = parseArgv(argv);
    return p.node.run || p.flags.help || p.flags.version ? { ok: true, path: p.path } : { ok: false, why: `'berth ${p.path.join(' ')}' is a group, not a command` };
  } catch (e) {
    return { ok: false, why: (e as Error).message };
  }
}

/** Every berth command of a line, as argv (a line may hold several: `a; berth x && berth y`). */
export function berthCommandsOf(l: CommandLine): string[][] {
  const at = commentStart(l.text);
  const code = at >= 0 ? l.text.slice(0, at) : l.text;
  return commandsOf(code).map(berthArgv).filter((a): a is string[] => a !== undefined);
}

export interface DocDir {
  /** where the lines run (the document's directory; blocks of one document share it) */
  dir: string;
  env: NodeJS.ProcessEnv;
}

/** A directory for one document's blocks, with `berth` on the PATH and private store and state. */
/** A directory for a document's lines: under `base` when given (the caller removes it), else the test's own. */
export function docDir(t: Test, name: string, base?: string): DocDir {
  ensureBuilt();
  const dir = path.join(base ?? t.testdir({}), name.replace(/[^A-Za-z0-9.-]+/g, '_'));
  const bin = path.join(dir, '.bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(bin, 'berth'), `#!/bin/sh\nexec "${path.join(root, 'bin', 'berth')}" "$@"\n`, { mode: 0o755 });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    BERTH_STORE: path.join(dir, '.live-store'),
    BERTH_STATE_DIR: path.join(dir, '.node-state'),
  };
  return { dir, env };
}

export interface LineResult {
  line: CommandLine;
  code: number;
  stdout: string;
  stderr: string;
  /** the exit code and `shows` text are as the document says */
  ok: boolean;
}

function runOnce(d: DocDir, text: string, timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn('bash', ['-o', 'pipefail', '-c', text], { cwd: d.dir, env: d.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (x) => (stdout += x));
    p.stderr.on('data', (x) => (stderr += x));
    const timer = setTimeout(() => { stderr += `\n(killed after ${timeoutMs} ms)`; p.kill('SIGKILL'); }, timeoutMs);
    p.on('close', (code, signal) => { clearTimeout(timer); resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr }); });
  });
}

// `shows` is what the reader sees on the terminal: standard output or error (problems go to the latter).
const matches = (l: CommandLine, r: { code: number; stdout: string; stderr: string }) => r.code === l.exit && (l.shows === undefined || r.stdout.includes(l.shows) || r.stderr.includes(l.shows));

/** Runs one line; with retryMs, again every 500 ms until it ends as the document says or time is up. */
export async function runLine(d: DocDir, l: CommandLine, retryMs = 0): Promise<LineResult> {
  const deadline = Date.now() + retryMs;
  for (;;) {
    const r = await runOnce(d, l.text, 120_000);
    if (matches(l, r) || Date.now() >= deadline) return { line: l, ...r, ok: matches(l, r) };
    await new Promise((res) => setTimeout(res, 500));
  }
}

/** Runs a file block's lines in order, each once. */
export async function runFileBlock(d: DocDir, block: DocBlock): Promise<LineResult[]> {
  const out: LineResult[] = [];
  for (const l of block.lines) out.push(await runLine(d, l));
  return out;
}

/** A daemon a block started (a line ending in `&`), with what it printed. */
export interface StartedDaemon {
  line: CommandLine;
  process: ChildProcess;
  log: () => string;
}

export function startDaemon(d: DocDir, l: CommandLine): StartedDaemon {
  const at = commentStart(l.text);
  const code = (at >= 0 ? l.text.slice(0, at) : l.text).trim().replace(/&$/, '').trim();
  // exec: the pid is berth's own (through the wrapper's exec). Its own process group, so that a
  // signal reaches whatever it started too (the controller's heartbeat process, say).
  const p = spawn('bash', ['-c', `exec ${code}`], { cwd: d.dir, env: d.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let log = '';
  p.stdout?.on('data', (x) => (log += x));
  p.stderr?.on('data', (x) => (log += x));
  // The test process may die first: take its daemons with it.
  const atExit = () => signalGroup(p, 'SIGKILL');
  process.once('exit', atExit);
  p.once('exit', () => process.removeListener('exit', atExit));
  return { line: l, process: p, log: () => log };
}

/** Signals a daemon's process group (the daemon and what it started). */
function signalGroup(p: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (p.pid !== undefined) process.kill(-p.pid, signal);
  } catch {
    // The group is gone already.
  }
}

/** Stops daemons and what they started: SIGTERM, then SIGKILL after 5 s. */
export async function stopDaemons(list: readonly StartedDaemon[]): Promise<void> {
  const alive = list.map((s) => s.process).filter((p) => p.exitCode === null && p.signalCode === null);
  const exited = alive.map((p) => new Promise<void>((res) => p.once('exit', () => res())));
  for (const p of alive) signalGroup(p, 'SIGTERM');
  const timer = setTimeout(() => { for (const p of alive) signalGroup(p, 'SIGKILL'); }, 5000);
  await Promise.all(exited);
  clearTimeout(timer);
  // What the daemons started and left behind (a child that ignored SIGTERM) goes too.
  for (const p of list.map((s) => s.process)) signalGroup(p, 'SIGKILL');
}

/**
 * Runs an engine or cluster block: lines ending in `&` start daemons (added to `started`, which
 * the caller stops), other lines are retried until they end as the document says, up to retryMs.
 */
export async function runLiveBlock(d: DocDir, block: DocBlock, started: StartedDaemon[], retryMs = 60_000): Promise<LineResult[]> {
  const results: LineResult[] = [];
  for (const l of block.lines) {
    if (l.background) started.push(startDaemon(d, l));
    else results.push(await runLine(d, l, retryMs));
  }
  return results;
}

const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' });

/** The loopback addresses berth labelled as its own (lo:berth), as ip/prefix. */
export function berthLoopbackAddresses(): Set<string> {
  const out = run('ip', ['-o', '-4', 'addr', 'show', 'dev', 'lo']).stdout ?? '';
  const found = new Set<string>();
  for (const line of out.split('\n')) {
    const m = /inet (127\.\d+\.\d+\.\d+\/\d+) .*?\blo:berth\b/.exec(line);
    if (m) found.add(m[1]);
  }
  return found;
}

/** The cluster ids a document directory made: its private store's, any store directory's, any CIB file's. */
export async function clusterIdsIn(d: DocDir): Promise<Set<string>> {
  const ids = new Set<string>();
  const stores = new Set<string>([d.env.BERTH_STORE!]);
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        // A file store: its CIB, or only its side keys (the cluster id is one).
        if (fs.existsSync(path.join(p, 'cib.xml')) || fs.existsSync(path.join(p, 'keys', 'cluster-id'))) stores.add(p);
        if (e.name !== '.bin') walk(p);
      } else if (/\.(xml|json)$/.test(e.name)) ids.add(fileClusterId(p));
    }
  };
  walk(d.dir);
  for (const s of stores) {
    if (!fs.existsSync(s)) continue;
    const store = openStore(s);
    try {
      const k = await store.readKey('cluster-id');
      if (k.revision !== null && k.text.trim()) ids.add(k.text.trim());
    } finally {
      await store.close();
    }
  }
  return ids;
}

/**
 * Removes every container of those clusters and the loopback addresses they claim or that berth
 * added since `before`; returns what it could not remove.
 */
export function removeClusters(ids: Set<string>, before: Set<string>): string[] {
  const errors: string[] = [];
  const list = run('docker', ['ps', '-a', '--filter', `label=${BERTH_LABELS.cluster}`, '--format', `{{.ID}}\t{{.Label "${BERTH_LABELS.cluster}"}}\t{{.Label "${ADDRESS_LABEL}"}}`]);
  if (list.status !== 0) return [`docker ps: ${list.stderr}`];
  const addresses = new Set<string>();
  const containers: string[] = [];
  for (const row of list.stdout.split('\n').filter(Boolean)) {
    const [id, cluster, address] = row.split('\t');
    if (!ids.has(cluster)) continue;
    containers.push(id);
    const m = /^(\d+\.\d+\.\d+\.\d+\/\d+)@(\S*)$/.exec(address ?? '');
    if (m) {
      if (m[2] === 'lo' || (m[2] === '' && m[1].startsWith('127.'))) addresses.add(m[1]);
      else errors.push(`container ${id} claims ${address}: documented engine and cluster blocks use loopback addresses only`);
    }
  }
  if (containers.length) {
    const r = run('docker', ['rm', '-f', '-v', ...containers]);
    if (r.status !== 0) errors.push(`docker rm: ${r.stderr}`);
  }
  for (const a of berthLoopbackAddresses()) if (!before.has(a)) addresses.add(a);
  const present = berthLoopbackAddresses();
  const all = (run('ip', ['-o', '-4', 'addr', 'show', 'dev', 'lo']).stdout ?? '');
  for (const a of addresses) {
    if (!present.has(a) && !all.includes(`inet ${a} `)) continue;
    const r = run('ip', ['addr', 'del', a, 'dev', 'lo']);
    if (r.status !== 0) errors.push(`ip addr del ${a} dev lo: ${r.stderr.trim()}`);
  }
  return errors;
}
