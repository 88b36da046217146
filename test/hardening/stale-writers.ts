// Killed writers and recycled pids: a lock or temp file whose writer is gone is recovered by the
// next writer; one whose writer runs is left alone, even when only the start time tells them apart.
import t from 'tap';
import type { Test } from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ChildProcess, spawn } from 'node:child_process';
import { main } from '../../src/cli/main';
import { EMPTY_CIB_XML } from '../../src/cib/cib';
import { bootId, processStart } from '../../src/cib/process-identity';
import { sweepTempFiles } from '../../src/cib/file-write';

/** A live process that is not a berth writer: the "recycled pid". */
function bystander(t: Test): ChildProcess & { pid: number } {
  const p = spawn('sleep', ['60'], { stdio: 'ignore' });
  t.teardown(() => { p.kill('SIGKILL'); });
  return p as ChildProcess & { pid: number };
}

async function edit(file: string, env: Record<string, string> = {}): Promise<{ code: number; problems: string[] }> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  let err = '';
  try {
    const code = await main(['--json', '-f', file, 'property', 'set', "no-quorum-policy=ignore"], { out: () => {}, err: (s) => (err += s) });
    return { code, problems: err ? JSON.parse(err).problems.map((p: { code: string }) => p.code) : [] };
  } finally {
    for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k];
  }
}

t.test('the lock file: recovered when its owner is gone, kept while it runs', async (t) => {
  const other = bystander(t);
  const start = processStart(other.pid);
  t.ok(start, 'the start time is read from /proc');
  const hourAgo = new Date(Date.now() - 3600_000);
  const rows: { name: string; lock: string; mtime?: Date; want: { code: number; problems: string[] }; lockLeft: boolean }[] = [
    { name: 'a dead pid', lock: '999999', want: { code: 0, problems: [] }, lockLeft: false },
    { name: 'a recycled pid: live, another start time', lock: `${other.pid} 1 ${bootId()}`, want: { code: 0, problems: [] }, lockLeft: false },
    { name: 'a recycled pid: live, from another boot', lock: `${other.pid} ${start} 00000000-0000-0000-0000-000000000000`, want: { code: 0, problems: [] }, lockLeft: false },
    { name: 'an old pid-only lock, its pid now a process started after it', lock: String(other.pid), mtime: hourAgo, want: { code: 0, problems: [] }, lockLeft: false },
    { name: 'the live owner itself', lock: `${other.pid} ${start} ${bootId()}`, want: { code: 1, problems: ['FILE_LOCKED'] }, lockLeft: true },
    { name: 'a pid-only lock of a process that started before it', lock: String(other.pid), want: { code: 1, problems: ['FILE_LOCKED'] }, lockLeft: true },
  ];
  for (const [i, row] of rows.entries()) {
    const dir = path.join(t.testdir({}), String(i));
    fs.mkdirSync(dir);
    const file = path.join(dir, 'cib.xml');
    fs.writeFileSync(file, EMPTY_CIB_XML);
    const lock = path.join(dir, '.cib.xml.lock');
    fs.writeFileSync(lock, row.lock);
    if (row.mtime) fs.utimesSync(lock, row.mtime, row.mtime);
    const before = fs.readFileSync(file);
    t.same(await edit(file, { BERTH_LOCK_TIMEOUT_MS: '300' }), row.want, row.name);
    t.equal(fs.existsSync(lock), row.lockLeft, `${row.name}: lock ${row.lockLeft ? 'kept' : 'recovered'}`);
    if (row.want.code !== 0) t.same(fs.readFileSync(file), before, `${row.name}: the file untouched`);
  }
});

t.test('temp files: swept when their writer is gone, kept while it runs', async (t) => {
  const other = bystander(t);
  const start = processStart(other.pid)!;
  const dir = t.testdir({ 'cib.xml': EMPTY_CIB_XML, 'other.xml': EMPTY_CIB_XML });
  const hourAgo = new Date(Date.now() - 3600_000);
  const rows: [string, string, Date | undefined, boolean][] = [
    ['a dead writer', '.cib.xml.999999-12345.abc12300.tmp', undefined, false],
    ['a recycled pid: live, another start time', `.cib.xml.${other.pid}-1.abc12301.tmp`, undefined, false],
    ['an old-style name, its pid now a process started after it', `.cib.xml.${other.pid}.1700000000000.tmp`, hourAgo, false],
    ['a live writer', `.cib.xml.${other.pid}-${start}.abc12302.tmp`, undefined, true],
    ['an old-style name of a live writer started before it', `.cib.xml.${other.pid}.1700000000000.tmp`, undefined, true],
    ["another file's temp file (swept by that file's writer)", '.other.xml.999999-1.abc12303.tmp', undefined, true],
  ];
  for (const [i, [name, temp, mtime, kept]] of rows.entries()) {
    const sub = path.join(dir, `case${i}`);
    fs.mkdirSync(sub);
    fs.writeFileSync(path.join(sub, 'cib.xml'), EMPTY_CIB_XML);
    fs.writeFileSync(path.join(sub, temp), 'partial');
    if (mtime) fs.utimesSync(path.join(sub, temp), mtime, mtime);
    t.same(await edit(path.join(sub, 'cib.xml')), { code: 0, problems: [] }, `${name}: the edit`);
    t.equal(fs.existsSync(path.join(sub, temp)), kept, `${name}: ${kept ? 'kept' : 'swept'}`);
  }
  t.equal(sweepTempFiles(dir), 0, 'nothing to sweep at the top');
});

t.test('a writer killed with SIGKILL while it holds the lock and a temp file', async (t) => {
  const dir = t.testdir({ 'cib.xml': EMPTY_CIB_XML });
  const file = path.join(dir, 'cib.xml');
  // A writer that takes the lock, starts a temp file the way the writer names it, and hangs.
  const script = `
    const { withFileLock } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'src', 'cib', 'file-lock.ts'))});
    const { tempName } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'src', 'cib', 'file-write.ts'))});
    const fs = require('node:fs');
    withFileLock(${JSON.stringify(file)}, () => {
      fs.writeFileSync(tempName(${JSON.stringify(file)}), 'half a CI');
      process.stdout.write('holding\\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000);
    });`;
  const writer = spawn(process.execPath, [...process.execArgv, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => { writer.kill('SIGKILL'); });
  await new Promise<void>((resolve, reject) => {
    writer.stdout!.on('data', (d) => String(d).includes('holding') && resolve());
    writer.on('exit', (c) => reject(new Error(`the writer exited with ${c}`)));
  });
  const left = fs.readdirSync(dir).sort();
  t.equal(left.length, 3, `the writer holds a lock and a temp file: ${left.join(' ')}`);
  t.same(await edit(file, { BERTH_LOCK_TIMEOUT_MS: '300' }), { code: 1, problems: ['FILE_LOCKED'] }, 'while it runs: locked');
  writer.kill('SIGKILL');
  await new Promise((r) => writer.once('exit', r));
  t.same(await edit(file, { BERTH_LOCK_TIMEOUT_MS: '2000' }), { code: 0, problems: [] }, 'once killed: the next edit goes through');
  t.same(fs.readdirSync(dir), ['cib.xml'], 'its lock and temp file are gone');
});
