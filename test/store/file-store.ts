// What only the file store has: kill -9 in the middle of writes, the poll that finds a directory
// made later, the files it leaves, key files. The shared contract is in contract.ts.
import t from 'tap';
import { codesOf } from '../helpers/problems';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EMPTY_CIB_XML, parseCib, section } from '../../src/cib/cib';
import { el, serializeXml } from '../../src/cib/xml';
import { BerthError } from '../../src/errors/registry';
import { FileStore, STORE_KEY_INVALID } from '../../src/store/file-store';
import { StoredCib } from '../../src/store/store';
import { privateDir, storeBundleForChildren } from '../helpers/etcd';


function cibWithBundles(n: number): string {
  const cib = parseCib(EMPTY_CIB_XML);
  const resources = section(cib, 'resources');
  for (let i = 0; i < n; i++) resources.children.push(el('bundle', { id: `b${i}` }, [el('docker', { image: `registry.example.com/app-${i}:1.0`, replicas: '3' })]));
  return serializeXml(cib);
}

// A CIB of about 256 KB that parses fast (the bulk is one comment), so that a writer spends its time
// writing and a kill lands in the middle of a write.
const padded = (epoch: number) => EMPTY_CIB_XML.replace('epoch="1"', `epoch="${epoch}"`).replace('<resources/>', `<resources/>\n    <!--${'x'.repeat(1 << 18)}-->`);

// Swaps the CIB between two versions as fast as it can, until killed.
const WRITE_FOREVER = `
const m = require(process.env.BUNDLE);
const fs = require('fs');
const [a, b] = [fs.readFileSync(process.env.A, 'utf8'), fs.readFileSync(process.env.B, 'utf8')];
const store = new m.FileStore(process.env.DIR);
(async () => {
  for (let said = false; ;) {
    const cur = await store.read();
    const r = await store.compareAndSwap(cur.revision, cur.text === a ? b : a);
    if (r.ok && !said) { said = true; process.stdout.write('writing\\n'); }
  }
})().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
`;

t.test('kill -9 in the middle of writes never leaves a torn cib.xml', async (t) => {
  const fixtures = privateDir(t, { 'a.xml': padded(2), 'b.xml': padded(3) });
  const dir = path.join(fixtures, 'store');
  const store = new FileStore(dir);
  t.teardown(() => store.close());
  t.ok((await store.compareAndSwap(null, padded(2))).ok);
  const env = { ...process.env, BUNDLE: storeBundleForChildren(), DIR: dir, A: path.join(fixtures, 'a.xml'), B: path.join(fixtures, 'b.xml') };
  let hitMidWrite = 0;
  const running = new Set<ReturnType<typeof spawn>>();
  t.teardown(() => { for (const c of running) c.kill('SIGKILL'); });
  // Two lanes of writers (so one starts while the other writes), 10 kills each.
  const lane = async (name: string) => {
    for (let round = 0; round < 10; round++) {
      const child = spawn(process.execPath, ['-e', WRITE_FOREVER], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      running.add(child);
      child.once('exit', () => running.delete(child));
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      const exited = new Promise((r) => child.once('exit', r));
      await new Promise<void>((resolve, reject) => {
        child.stdout.once('data', () => resolve());
        child.once('exit', () => reject(new Error(`writer exited early: ${err}`)));
      });
      await new Promise((r) => setTimeout(r, Math.random() * 50));
      child.kill('SIGKILL');
      await exited;
      if (fs.readdirSync(dir).some((f) => f.startsWith(`.cib.xml.${child.pid}.`))) hitMidWrite++;
      const text = fs.readFileSync(path.join(dir, 'cib.xml'), 'utf8');
      t.ok(text === padded(2) || text === padded(3), `${name} ${round}: cib.xml is one of the two versions, whole`);
      t.equal(await store.read().then((c) => c.text === padded(2) || c.text === padded(3)), true, `${name} ${round}: the store reads it`);
    }
  };
  await Promise.all([lane('lane A, kill'), lane('lane B, kill')]);
  t.comment(`${hitMidWrite} of 20 kills left a temp file behind (hit during a write)`);
  const cur = await store.read();
  t.ok((await new FileStore(dir).compareAndSwap(cur.revision, padded(4))).ok, 'a later writer takes over a dead lock');
  t.same(fs.readdirSync(dir), ['cib.xml'], 'no temp or lock files left after the next write');
});

t.test('a watch sees the directory made later by another writer, and the CIB removed', async (t) => {
  const dir = path.join(privateDir(t), 'later', 'store');
  const watcher = new FileStore(dir, { pollMs: 50 });
  t.teardown(() => watcher.close());
  const changes: StoredCib[] = [];
  const errors: Error[] = [];
  watcher.watch((c) => changes.push(c), (e) => errors.push(e));
  const until = async (n: number) => {
    for (let i = 0; i < 200 && changes.length < n; i++) await new Promise((r) => setTimeout(r, 25));
  };
  const w = await new FileStore(dir).compareAndSwap(null, EMPTY_CIB_XML);
  await until(1);
  t.same(changes, [{ text: EMPTY_CIB_XML, revision: w.ok ? w.revision : 'refused' }]);
  fs.rmSync(path.join(dir, 'cib.xml'));
  await until(2);
  t.same(changes[1], { text: EMPTY_CIB_XML, revision: null }, 'removed: the empty CIB, nothing stored');
  fs.writeFileSync(path.join(dir, 'cib.xml'), '<cib');
  await new Promise((r) => setTimeout(r, 300));
  t.equal(changes.length, 2, 'content that is not a CIB is not delivered as a change...');
  t.equal(errors.length, 1, '...but reported once');
  t.same(errors.map((e) => (e as BerthError).problems[0].code), [(await codesOf(watcher.read()))[0]]);
});

t.test('files: cib.xml in the directory, side keys in keys/, nothing before the first write', async (t) => {
  const dir = path.join(privateDir(t), 'store');
  const store = new FileStore(dir);
  t.equal(store.url, `file://${dir}`);
  await store.read();
  await store.readKey('a');
  t.notOk(fs.existsSync(dir), 'reads create nothing');
  await store.compareAndSwapKey('gitops/state', null, 'x');
  await store.compareAndSwapKey('gitops', null, 'y');
  t.same(fs.readdirSync(path.join(dir, 'keys')).sort(), ['gitops', 'gitops%2Fstate']);
  t.notOk(fs.existsSync(path.join(dir, 'cib.xml')), 'keys do not create the CIB');
  const bad = ['', '.hidden', 'a//b', '../x', 'a/../b', 'a b', 'x/', 'k'.repeat(201)];
  for (const key of bad) t.same(await codesOf(store.readKey(key)), [STORE_KEY_INVALID], JSON.stringify(key));
  for (const key of bad) t.same(await codesOf(store.compareAndSwapKey(key, null, 'v')), [STORE_KEY_INVALID], JSON.stringify(key));
});

t.test("the lock: a dead owner's or an abandoned empty lock is taken over; a live one is waited for", async (t) => {
  const saved = process.env.BERTH_LOCK_TIMEOUT_MS;
  process.env.BERTH_LOCK_TIMEOUT_MS = '300';
  t.teardown(() => { if (saved === undefined) delete process.env.BERTH_LOCK_TIMEOUT_MS; else process.env.BERTH_LOCK_TIMEOUT_MS = saved; });
  const old = new Date(Date.now() - 60_000);
  const cases: [string, string, Date | undefined, string][] = [
    ['a dead process', '999999', undefined, 'ok'],
    ['an empty lock of a writer killed right after creating it', '', old, 'ok'],
    ['a live process (this one)', String(process.pid), undefined, 'FILE_LOCKED'],
    ['an empty lock being written just now', '', undefined, 'FILE_LOCKED'],
  ];
  for (const [what, content, mtime, want] of cases) {
    const dir = privateDir(t, { 'cib.xml': EMPTY_CIB_XML, '.cib.xml.lock': content });
    if (mtime) fs.utimesSync(path.join(dir, '.cib.xml.lock'), mtime, mtime);
    const store = new FileStore(dir);
    const cur = await store.read();
    t.same(await codesOf(store.compareAndSwap(cur.revision, EMPTY_CIB_XML.replace('epoch="1"', 'epoch="2"'))), [want], what);
    t.same(fs.readdirSync(dir).filter((f) => f !== 'cib.xml'), want === 'ok' ? [] : ['.cib.xml.lock'], `${what}: lock files left`);
  }
});

t.test('a store directory that cannot be made is a clean error', async (t) => {
  const root = privateDir(t, { plain: 'a file' });
  const store = new FileStore(path.join(root, 'plain', 'store'));
  t.same(await codesOf(store.compareAndSwap(null, EMPTY_CIB_XML)), ['FILE_WRITE_FAILED']);
  t.same(await codesOf(store.read()), ['ok'], 'reads as empty: nothing there');
});

t.test('a CIB over the size limit is refused before it is written', async (t) => {
  const store = new FileStore(path.join(privateDir(t), 'store'));
  const saved = process.env.BERTH_MAX_CIB_BYTES;
  process.env.BERTH_MAX_CIB_BYTES = '1000';
  t.teardown(() => { if (saved === undefined) delete process.env.BERTH_MAX_CIB_BYTES; else process.env.BERTH_MAX_CIB_BYTES = saved; });
  t.same(await codesOf(store.compareAndSwap(null, cibWithBundles(10))), ['FILE_TOO_LARGE']);
  t.same(await store.read(), { text: EMPTY_CIB_XML, revision: null });
});
