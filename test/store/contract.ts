// The CibStore contract, one table of cases run against each backend: the file store in a test
// directory and the etcd store on a real etcd started for this file. Other processes (`node -e`
// with the store code bundled) write concurrently and change what a watch must see.
import t, { Test } from 'tap';
import { codesOf } from '../helpers/problems';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EMPTY_CIB_XML, bumpEpoch, parseCib, section } from '../../src/cib/cib';
import { el, elements, serializeXml } from '../../src/cib/xml';
import { BerthError } from '../../src/errors/registry';
import { STORE_KEY_INVALID } from '../../src/store/file-store';
import { openStore } from '../../src/store/open';
import { CibStore, StoredCib } from '../../src/store/store';
import { etcdGet, etcdPut, privateDir, startEtcd, storeBundleForChildren, TestEtcd } from '../helpers/etcd';

/** One empty store location of a backend, and raw access to what it holds. */
interface Place {
  url: string;
  open(): CibStore;
  /** put bytes where the CIB lives, bypassing the store */
  plant(bytes: Buffer): Promise<void>;
  /** the bytes where the CIB lives, or null */
  raw(): Promise<Buffer | null>;
}

interface Backend {
  name: string;
  place(t: Test): Promise<Place>;
}

let prefixes = 0;
const backends: Backend[] = [
  {
    name: 'file store',
    async place(t) {
      const dir = path.join(privateDir(t), 'store'); // does not exist yet: made on the first write
      const file = path.join(dir, 'cib.xml');
      return {
        url: dir,
        open: () => openStore(dir),
        async plant(bytes) { fs.mkdirSync(dir, { recursive: true }); fs.writeFileSync(file, bytes); },
        async raw() { return fs.existsSync(file) ? fs.readFileSync(file) : null; },
      };
    },
  },
  {
    name: 'etcd store',
    async place(t) {
      const prefix = `contract/p${++prefixes}`;
      const url = etcd!.storeUrl(prefix);
      return {
        url,
        open: () => openStore(url),
        plant: (bytes) => etcdPut(etcd!.endpoint, `/${prefix}/cib`, bytes),
        raw: () => etcdGet(etcd!.endpoint, `/${prefix}/cib`),
      };
    },
  },
];
let etcd: TestEtcd | undefined;

// ---- helpers ----


const withBundle = (text: string, id: string) => {
  const cib = parseCib(text);
  section(cib, 'resources').children.push(el('bundle', { id }, [el('docker', { image: 'img:1' })]));
  bumpEpoch(cib);
  return serializeXml(cib);
};
const bundleIds = (text: string) => elements(section(parseCib(text), 'resources'), 'bundle').map((b) => b.attrs.id).sort();

/** Opens a store and closes it at teardown. */
const opened = (t: Test, place: Place) => {
  const store = place.open();
  t.teardown(() => store.close());
  return store;
};

// A child process with one writer per id in IDS, each its own store instance, adding bundle <id>
// with read → edit → compare-and-swap until it lands; prints the lost races and revisions.
const ADD_BUNDLES = `
const m = require(process.env.BUNDLE);
const addBundle = async (id) => {
  const store = m.openStore(process.env.STORE_URL);
  let conflicts = 0;
  for (;;) {
    const cur = await store.read();
    const cib = m.parseCib(cur.text);
    m.section(cib, 'resources').children.push(m.el('bundle', { id }, [m.el('docker', { image: 'img:1' })]));
    m.bumpEpoch(cib);
    const r = await store.compareAndSwap(cur.revision, m.serializeXml(cib));
    if (r.ok) { await store.close(); return { conflicts, revision: r.revision }; }
    conflicts++;
  }
};
Promise.all(process.env.IDS.split(',').map(addBundle))
  .then((done) => console.log(JSON.stringify(done)))
  .catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
`;

function addBundlesInChild(url: string, ids: string[]): Promise<{ code: number; err: string; done: { conflicts: number; revision: string }[] }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['-e', ADD_BUNDLES], { env: { ...process.env, BUNDLE: storeBundleForChildren(), STORE_URL: url, IDS: ids.join(',') } });
    let out = '', err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => resolve({ code: code ?? -1, err, done: code === 0 ? JSON.parse(out) : [] }));
  });
}

/** Resolves with the first change `pick` accepts; rejects after `ms`. */
function nextChange(store: CibStore, pick: (c: StoredCib) => boolean, ms = 10000): Promise<StoredCib> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { stop(); reject(new Error(`no matching change within ${ms} ms`)); }, ms);
    const stop = store.watch((c) => {
      if (!pick(c)) return;
      clearTimeout(timer);
      stop();
      resolve(c);
    });
  });
}

// ---- the cases ----

type Case = [name: string, run: (t: Test, place: Place) => Promise<void>];

const cases: Case[] = [
  ['a new store reads as the empty CIB, revision null; side keys read as empty', async (t, place) => {
    const store = opened(t, place);
    t.same(await store.read(), { text: EMPTY_CIB_XML, revision: null });
    t.same(await store.readKey('gitops/state'), { text: '', revision: null });
    t.equal(await place.raw(), null, 'reading creates nothing');
  }],

  ['compare-and-swap lands on the expected revision and returns the current value otherwise', async (t, place) => {
    const store = opened(t, place);
    const one = withBundle(EMPTY_CIB_XML, 'one');
    const first = await store.compareAndSwap(null, one);
    if (!first.ok) throw new Error('first write refused');
    t.same(await store.read(), { text: one, revision: first.revision });

    const two = withBundle(one, 'two');
    t.same(await store.compareAndSwap(null, two), { ok: false, current: { text: one, revision: first.revision } }, 'null is stale once written');
    t.same(await store.compareAndSwap('12345', two), { ok: false, current: { text: one, revision: first.revision } }, 'a foreign revision is stale');
    const second = await store.compareAndSwap(first.revision, two);
    if (!second.ok) throw new Error('second write refused');
    t.not(second.revision, first.revision);
    t.same(await store.compareAndSwap(first.revision, withBundle(one, 'three')), { ok: false, current: { text: two, revision: second.revision } });
    t.same(await place.open().read().then((c) => c.text), two, 'a second store instance reads the same');
  }],

  ['side keys are compare-and-swapped the same way, apart from the CIB', async (t, place) => {
    const store = opened(t, place);
    const a = await store.compareAndSwapKey('gitops/state', null, 'commit=abc');
    if (!a.ok) throw new Error('refused');
    t.same(await store.readKey('gitops/state'), { text: 'commit=abc', revision: a.revision });
    t.same(await store.compareAndSwapKey('gitops/state', null, 'x'), { ok: false, current: { text: 'commit=abc', revision: a.revision } });
    t.ok((await store.compareAndSwapKey('gitops/state', a.revision, 'commit=def')).ok);
    t.same(await store.read(), { text: EMPTY_CIB_XML, revision: null }, 'the CIB is untouched');
    t.same(await codesOf(store.readKey('../etc/passwd')), [STORE_KEY_INVALID]);
  }],

  ['20 concurrent writers (4 processes × 5 store instances), read → edit → CAS with retry: all 20 land', async (t, place) => {
    const ids = Array.from({ length: 20 }, (_, i) => `b${i}`);
    const runs = await Promise.all([0, 1, 2, 3].map((p) => addBundlesInChild(place.url, ids.slice(p * 5, p * 5 + 5))));
    t.same(runs.map((r) => r.code), [0, 0, 0, 0], runs.map((r) => r.err).join(''));
    const store = opened(t, place);
    const live = await store.read();
    t.same(bundleIds(live.text), [...ids].sort(), 'all 20 bundles present');
    t.equal(parseCib(live.text).attrs.epoch, '21', 'each write based on the one before');
    const done = runs.flatMap((r) => r.done);
    t.equal(new Set(done.map((d) => d.revision)).size, 20, '20 distinct revisions');
    t.comment(`${done.reduce((n, d) => n + d.conflicts, 0)} lost races retried`);
  }],

  ['a watch sees a change made by another process', async (t, place) => {
    const store = opened(t, place);
    await store.compareAndSwap(null, EMPTY_CIB_XML);
    const seen = nextChange(store, (c) => c.text.includes('from-child'));
    await new Promise((r) => setTimeout(r, 100)); // let the watch start
    const child = await addBundlesInChild(place.url, ['from-child']);
    t.equal(child.code, 0, child.err);
    const change = await seen;
    t.equal(change.revision, child.done[0].revision, 'the revision the writer got');
    t.same(bundleIds(change.text), ['from-child']);
  }],

  ['a store holding something that is not a CIB is reported and never overwritten', async (t, place) => {
    const contents: [string, Buffer][] = [
      ['malformed XML', Buffer.from('<cib><configuration>')],
      ['another root element', Buffer.from('<notacib/>')],
      ['not UTF-8', Buffer.from([0x3c, 0x63, 0x69, 0x62, 0xff, 0xfe, 0x2f, 0x3e])],
      ['plain text', Buffer.from('hello')],
    ];
    const store = opened(t, place);
    for (const [what, bytes] of contents) {
      await place.plant(bytes);
      let problem: BerthError['problems'][number] | undefined;
      try {
        await store.read();
      } catch (e) {
        if (!(e instanceof BerthError)) throw e;
        problem = e.problems[0];
        t.ok(e.problems.length >= 2, `${what}: the parse problem is included`);
      }
      t.equal(problem?.code, 'STORE_CORRUPT', what);
      t.match(problem?.message, /does not hold a valid CIB \(.+\)/, `${what}: says why`);
      t.match(problem?.path, /cib/, `${what}: names where`);
      const refused = await codesOf(store.compareAndSwap(null, EMPTY_CIB_XML));
      t.equal(refused[0], 'STORE_CORRUPT', `${what}: CAS from nothing refused`);
      t.same(refused, await codesOf(store.read()), `${what}: with the problems a read reports`);
      t.same(await place.raw(), bytes, `${what}: left as it was`);
    }
  }],

  ['replaceCorrupt puts a valid CIB in place of a corrupt value, and touches nothing else', async (t, place) => {
    const store = opened(t, place);
    t.match(await store.replaceCorrupt(EMPTY_CIB_XML), { ok: false }, 'an empty store: nothing to repair');
    t.equal(await place.raw(), null, 'nothing written');
    const first = await store.compareAndSwap(null, withBundle(EMPTY_CIB_XML, 'a'));
    t.ok(first.ok);
    t.match(await store.replaceCorrupt(withBundle(EMPTY_CIB_XML, 'b')), { ok: false, current: { revision: first.ok ? first.revision : '' } }, 'a valid CIB is not replaced');
    t.same(bundleIds((await store.read()).text), ['a']);
    await place.plant(Buffer.from('<cib><configuration>'));
    t.same(await codesOf(store.replaceCorrupt('<cib><oops')), ['XML_MALFORMED'], 'what replaces it must be a CIB');
    const fixed = await store.replaceCorrupt(withBundle(EMPTY_CIB_XML, 'c'));
    t.ok(fixed.ok, 'a corrupt value is replaced');
    const now = await store.read();
    t.same(bundleIds(now.text), ['c']);
    t.equal(now.revision, fixed.ok ? fixed.revision : '', 'with the revision it answered');
  }],

  ['text that is not a CIB is never stored', async (t, place) => {
    const store = opened(t, place);
    t.same(await codesOf(store.compareAndSwap(null, '<cib><oops')), ['XML_MALFORMED']);
    t.same(await codesOf(store.compareAndSwap(null, '<other/>')), ['CIB_NOT_A_CIB']);
    t.equal(await place.raw(), null, 'nothing written');
  }],
];

for (const backend of backends) {
  t.test(backend.name, async (t) => {
    if (backend.name === 'etcd store') etcd = await startEtcd(t);
    for (const [name, run] of cases) await t.test(name, async (t) => run(t, await backend.place(t)));
  });
}
