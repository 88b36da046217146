// S7 — two (or twenty) operators at once, through `berth cluster cib` / `cib-push`, against both
// stores: the file store and a real etcd. Disjoint edits all land; overlapping edits: exactly one
// lands, the others are refused naming the conflict, and the live CIB is byte-identical to what
// the winner left. kill -9 during pushes never leaves a torn CIB.
import t, { Test } from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { berthAsync, berthBin } from '../helpers/cli';
import { main } from '../../src/cli/main';
import { etcdGet, etcdPut, startEtcd } from '../helpers/etcd';
import { parseCib, section } from '../../src/cib/cib';
import { elements } from '../../src/cib/xml';

/** In-process CLI for the sequential steps (the concurrent ones are real processes). */
async function berth(args: string[]) {
  let stdout = '', stderr = '';
  const code = await main(args, { out: (x) => { stdout += x; }, err: (x) => { stderr += x; } });
  return { code, stdout, stderr };
}

const bundleIds = (text: string) => elements(section(parseCib(text), 'resources'), 'bundle').map((b) => b.attrs.id).sort();

async function suite(t: Test, storeUrl: string) {
  const dir = t.testdir({});
  const S = ['--store', storeUrl];
  const live = async () => (await berth(['cluster', 'cib', ...S])).stdout;

  // a base bundle everyone starts from
  const base = path.join(dir, 'base.xml');
  t.equal((await berth(['cluster', 'cib', base, ...S])).code, 0, 'pull from an empty store');
  t.equal((await berth(['-f', base, 'property', 'set', 'stonith-enabled=false'])).code, 0);
  t.equal((await berth(['-f', base, 'resource', 'bundle', 'create', 'shared', 'container', 'docker', 'image=img:1', 'replicas=2'])).code, 0);
  let r = await berth(['cluster', 'cib-push', base, ...S]);
  t.equal(r.code, 0, `first whole push: ${r.stderr}`);
  r = await berth(['cluster', 'cib-push', base, ...S]);
  t.equal(r.code, 1, 'the same version again is refused');
  t.match(r.stderr, /not newer/);
  t.match(r.stderr, /diff-against/, 'and diff-against is suggested');

  // nothing to push
  const same = path.join(dir, 'same.xml');
  await berth(['cluster', 'cib', same, ...S]);
  fs.copyFileSync(same, same + '.orig');
  r = await berth(['cluster', 'cib-push', same, `diff-against=${same}.orig`, ...S]);
  t.equal(r.code, 0);
  t.match(r.stderr, /Nothing to push/);

  // 20 operators, disjoint edits, concurrently
  const files = Array.from({ length: 20 }, (_, i) => path.join(dir, `op${i}.xml`));
  for (const f of files) {
    t.equal((await berth(['cluster', 'cib', f, ...S])).code, 0);
    fs.copyFileSync(f, f + '.orig');
  }
  for (const [i, f] of files.entries()) t.equal((await berth(['-f', f, 'resource', 'bundle', 'create', `b${i}`, 'container', 'docker', 'image=img:1'])).code, 0);
  const pushes = await Promise.all(files.map((f) => berthAsync(['cluster', 'cib-push', f, `diff-against=${f}.orig`, ...S])));
  t.same(pushes.map((p) => p.code), Array(20).fill(0), pushes.map((p) => p.stderr).join(''));
  t.same(bundleIds(await live()), ['shared', ...files.map((_, i) => `b${i}`)].sort(), 'all 20 disjoint edits present');

  // 20 operators change the same thing from the same base: exactly one lands
  const rivals = Array.from({ length: 20 }, (_, i) => path.join(dir, `rival${i}.xml`));
  for (const f of rivals) {
    await berth(['cluster', 'cib', f, ...S]);
    fs.copyFileSync(f, f + '.orig');
  }
  for (const [i, f] of rivals.entries()) t.equal((await berth(['-f', f, 'resource', 'bundle', 'update', 'shared', 'container', `replicas=${i + 3}`])).code, 0);
  const results = await Promise.all(rivals.map((f) => berthAsync(['cluster', 'cib-push', f, `diff-against=${f}.orig`, ...S])));
  const winners = results.map((p, i) => (p.code === 0 ? i : -1)).filter((i) => i >= 0);
  t.equal(winners.length, 1, 'exactly one overlapping push lands');
  for (const [i, p] of results.entries()) {
    if (i === winners[0]) continue;
    t.equal(p.code, 1);
    t.match(p.stderr, /PATCH_CONFLICT/, 'the refusal names the conflict');
    t.match(p.stderr, /shared/, 'and where');
  }
  // byte-identical to what the winner left: the winner's edit applied to the live CIB before it
  const after = await live();
  t.match(after, `replicas="${winners[0] + 3}"`);
  const again = await live();
  t.equal(after, again);

  // without -f, the editing commands change the live CIB itself (read, edit, compare-and-swap)
  r = await berth(['resource', 'bundle', 'create', 'live-edit', 'container', 'docker', 'image=img:1', ...S]);
  t.equal(r.code, 0, r.stderr);
  t.ok(bundleIds(await live()).includes('live-edit'), 'an edit without -f lands in the live CIB');
  r = await berth(['resource', 'bundle', 'create', 'live-edit', 'container', 'docker', 'image=img:1', ...S]);
  t.equal(r.code, 1, 'and a bad one is refused');
  const untouched = await live();
  t.match(untouched, 'id="live-edit"');
  r = await berth(['resource', 'delete', 'live-edit', ...S]);
  t.equal(r.code, 0);
  t.notOk(bundleIds(await live()).includes('live-edit'));
  return after;
}

/** A corrupt store (garbage planted past berth): refused by every read and push, left as it is,
 * until `cluster cib-push FILE --force` puts a valid CIB in its place. */
async function repair(t: Test, storeUrl: string, plant: (b: Buffer) => Promise<void>, raw: () => Promise<Buffer | null>) {
  const dir = t.testdir({});
  const S = ['--store', storeUrl];
  const good = path.join(dir, 'good.xml');
  await berth(['cluster', 'cib', good, ...S]);
  t.equal((await berth(['-f', good, 'resource', 'bundle', 'create', 'kept', 'container', 'docker', 'image=img:1'])).code, 0);
  t.equal((await berth(['cluster', 'cib-push', good, ...S])).code, 0, 'a good CIB pushed');
  for (const garbage of [Buffer.from('<cib><configuration><resources>'), Buffer.from([0, 159, 146, 150, 255])]) {
    await plant(garbage);
    const read = await berth(['cluster', 'cib', ...S, '--json']);
    t.equal(read.code, 1, 'the live CIB cannot be read');
    t.match(read.stdout + read.stderr, /STORE_CORRUPT/);
    const plain = await berth(['cluster', 'cib-push', good, ...S]);
    t.equal(plain.code, 1, 'a push without --force is refused');
    t.match(plain.stderr, /cib-push FILE --force' \[STORE_CORRUPT\]/, 'with the code, and the repair named');
    t.match(await berth(['cluster', 'cib-push', good, `diff-against=${good}`, '--force', ...S]), { code: 2, stderr: /not with diff-against/ }, '--force with diff-against is a usage error');
    t.match(await berth(['cluster', 'cib-push', good, '--config', '--force', ...S]), { code: 2 }, '--force with --config too');
    t.same(await raw(), garbage, 'the corrupt value is left as it was');
    const fixed = await berth(['cluster', 'cib-push', good, '--force', ...S]);
    t.equal(fixed.code, 0, `cib-push --force repairs: ${fixed.stderr}`);
    t.match(fixed.stderr, /corrupt live CIB .* was replaced by/);
    t.equal((await berth(['cluster', 'cib', ...S])).stdout, fs.readFileSync(good, 'utf8'), 'the live CIB is the file pushed');
  }
  const again = await berth(['cluster', 'cib-push', good, '--force', ...S]);
  t.equal(again.code, 1, 'on a valid store --force replaces nothing: the version must still be newer');
  t.match(again.stderr, /not newer/);
}

t.test('file store', async (t) => {
  const dir = t.testdir({});
  await suite(t, path.join(dir, 'store'));
  const store = path.join(dir, 'repaired');
  await t.test('a corrupt store repaired with cib-push --force', (t) => repair(t, store,
    async (b) => fs.writeFileSync(path.join(store, 'cib.xml'), b), async () => fs.readFileSync(path.join(store, 'cib.xml'))));
});

t.test('etcd store', async (t) => {
  const etcd = await startEtcd(t);
  await suite(t, etcd.storeUrl('/berth-test'));
  await t.test('a corrupt store repaired with cib-push --force', (t) => repair(t, etcd.storeUrl('/repaired'),
    (b) => etcdPut(etcd.endpoint, '/repaired/cib', b), () => etcdGet(etcd.endpoint, '/repaired/cib')));
});

t.test('kill -9 during pushes never leaves a torn CIB (file store)', async (t) => {
  const dir = t.testdir({});
  const store = path.join(dir, 'store');
  const f = path.join(dir, 'mine.xml');
  await berth(['cluster', 'cib', f, '--store', store]);
  await berth(['-f', f, 'property', 'set', 'stonith-enabled=false']);
  for (let i = 0; i < 200; i++) await berth(['-f', f, 'resource', 'bundle', 'create', `k${i}`, 'container', 'docker', 'image=img:1']);
  for (let round = 0; round < 12; round++) {
    const p = spawn(process.execPath, [berthBin, 'cluster', 'cib-push', f, '--store', store, '--config']);
    await new Promise((res) => setTimeout(res, 20 + Math.random() * 120));
    p.kill('SIGKILL');
    await new Promise((res) => p.on('close', res));
    const r = await berth(['cluster', 'cib', '--store', store]);
    t.equal(r.code, 0, `round ${round}: the live CIB reads`);
    t.doesNotThrow(() => parseCib(r.stdout), 'and parses');
  }
});
