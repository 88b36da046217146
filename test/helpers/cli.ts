// Running the built CLI (bin/berth) as users do, for tests that need real processes.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const root = path.join(__dirname, '..', '..');
export const berthBin = path.join(root, 'bin', 'berth');

/** Build dist/ once if it is missing (scripts/test.sh builds before the tests anyway). */
export function ensureBuilt(): void {
  if (!fs.existsSync(path.join(root, 'dist', 'berth.js'))) {
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--no-typecheck'], { cwd: root, stdio: 'inherit' });
  }
}

export function berthSync(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) {
  ensureBuilt();
  const r = spawnSync(process.execPath, [berthBin, ...args], { encoding: 'utf8', input: opts.input, env: { ...process.env, ...opts.env } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function berthAsync(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  ensureBuilt();
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [berthBin, ...args]);
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** berth in this process, as the CLI runs it: exit code and what it printed. */
export async function berthInProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { main } = require('../../src/cli/main') as typeof import('../../src/cli/main');
  let stdout = '', stderr = '';
  const code = await main(args, { out: (x) => { stdout += x; }, err: (x) => { stderr += x; } });
  return { code, stdout, stderr };
}

/** The problem codes of a --json error output (none when it is not one). */
export const problemCodes = (stderr: string): string[] => {
  try { return (JSON.parse(stderr) as { problems: { code: string }[] }).problems.map((p) => p.code); } catch { return []; }
};
