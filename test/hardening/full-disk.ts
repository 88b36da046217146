// A real full disk: a 1 MiB tmpfs mounted for the test (root only; unmounted in teardown, also
// when an assert fails). Every writer fails with FILE_WRITE_FAILED / ENOSPC, exits non-zero,
// leaves the old file byte for byte and no temp file.
import t from 'tap';
import type { Test } from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { main } from '../../src/cli/main';
import { EMPTY_CIB_XML } from '../../src/cib/cib';
import { FileStore } from '../../src/store/file-store';
import { generateAuthKey, writeAuthKeyFile } from '../../src/agent/authkey';
import { TermGuard } from '../../src/agent/term-guard';
import { BerthError } from '../../src/errors/registry';

const notRoot = process.getuid?.() !== 0 ? 'mounting a tmpfs needs root' : false;

/** A CIB of about `bytes` bytes (a comment pads it). */
const paddedCib = (bytes: number, epoch = 1) =>
  EMPTY_CIB_XML.replace('epoch="1"', `epoch="${epoch}"`).replace('<resources/>', `<resources>\n<!-- ${'x'.repeat(bytes - EMPTY_CIB_XML.length)} -->\n</resources>`);

/** A 1 MiB tmpfs at a new directory, unmounted when the test ends however it ends. */
function smallDisk(t: Test): string {
  // Not a t.testdir: tap removes that before teardowns run, while it is still a mount point.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-full-disk-'));
  t.teardown(() => fs.rmdirSync(dir));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
  t.teardown(() => execFileSync('umount', [dir])); // teardowns run last-registered first
  return dir;
}

/** Fill the disk to the last byte. */
function fill(t: Test, dir: string): void {
  t.throws(() => fs.writeFileSync(path.join(dir, 'filler'), Buffer.alloc(2 << 20, 1)), { code: 'ENOSPC' }, 'the disk is full');
}

function problemOf(f: () => unknown): { code: string; value?: string } {
  try {
    f();
  } catch (e) {
    if (e instanceof BerthError) return { code: e.problems[0].code, ...(e.problems[0].value ? { value: e.problems[0].value } : {}) };
    throw e;
  }
  return { code: 'ok' };
}

t.test('berth -f on a full disk: exit 1, FILE_WRITE_FAILED ENOSPC, the file as it was', { skip: notRoot }, async (t) => {
  const disk = smallDisk(t);
  const file = path.join(disk, 'big.xml');
  fs.writeFileSync(file, paddedCib(600_000)); // fits once, not twice
  const before = fs.readFileSync(file);
  let err = '';
  const code = await main(['--json', '-f', file, 'property', 'set', 'no-quorum-policy=ignore'], { out: () => {}, err: (s) => (err += s) });
  t.equal(code, 1, 'exit 1');
  t.match(JSON.parse(err).problems, [{ code: 'FILE_WRITE_FAILED', value: 'ENOSPC', path: file }]);
  t.same(fs.readFileSync(file), before, 'the old file, byte for byte');
  t.same(fs.readdirSync(disk), ['big.xml'], 'no temp or lock file left');
  // With room again the same edit goes through.
  fs.writeFileSync(file, paddedCib(300_000));
  t.equal(await main(['-f', file, 'property', 'set', 'no-quorum-policy=ignore'], { out: () => {}, err: () => {} }), 0, 'with room, written');
  t.match(fs.readFileSync(file, 'utf8'), /no-quorum-policy/);
});

t.test('the file store on a full disk: the write refused, the stored CIB readable as before', { skip: notRoot }, async (t) => {
  const disk = smallDisk(t);
  const store = new FileStore(disk);
  t.teardown(() => store.close());
  const first = await store.compareAndSwap(null, paddedCib(600_000));
  t.ok(first.ok, 'the first CIB fits');
  const before = fs.readFileSync(path.join(disk, 'cib.xml'));
  const cur = await store.read();
  let failure: unknown;
  await store.compareAndSwap(cur.revision, paddedCib(600_000, 2)).catch((e) => (failure = e));
  t.ok(failure instanceof BerthError, 'refused');
  t.match((failure as BerthError).problems, [{ code: 'FILE_WRITE_FAILED', value: 'ENOSPC' }]);
  t.same(fs.readFileSync(path.join(disk, 'cib.xml')), before, 'cib.xml byte for byte');
  t.same((await store.read()).revision, cur.revision, 'still readable, not STORE_CORRUPT');
  t.same(fs.readdirSync(disk).sort(), ['cib.xml'], 'no temp or lock file left');
});

t.test('agent state and keys on a full disk', { skip: notRoot }, async (t) => {
  const disk = smallDisk(t);
  const termFile = path.join(disk, 'term.json');
  const guard = new TermGuard(termFile);
  guard.check(5);
  const key = path.join(disk, 'authkey');
  writeAuthKeyFile(key, generateAuthKey());
  const keyBefore = fs.readFileSync(key);
  fill(t, disk);
  t.same(problemOf(() => guard.check(6)), { code: 'FILE_WRITE_FAILED', value: 'ENOSPC' }, 'a new term cannot be recorded');
  t.equal(guard.highest, 5, 'and is not taken');
  t.same(JSON.parse(fs.readFileSync(termFile, 'utf8')), { highest: 5 }, 'the term file as it was');
  t.same(problemOf(() => writeAuthKeyFile(key, generateAuthKey(), { force: true })), { code: 'FILE_WRITE_FAILED', value: 'ENOSPC' }, 'a key cannot be replaced');
  t.same(fs.readFileSync(key), keyBefore, 'the old key, byte for byte');
  t.same(problemOf(() => writeAuthKeyFile(path.join(disk, 'new-key'), generateAuthKey())), { code: 'FILE_WRITE_FAILED', value: 'ENOSPC' }, 'a new key is not written');
  t.same(fs.readdirSync(disk).sort(), ['authkey', 'filler', 'term.json'], 'no partial key, no temp file');
});
