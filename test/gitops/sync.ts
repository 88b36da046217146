// S6 through the CLI, on real git repositories made by the test and a file store: commits that
// change replicas, add and remove bundles, break validation; a manual live edit that survives;
// drift repaired and report-only; prune only what the source created; suspend/resume; conflicts;
// directory sources, tags and paths; the daemon.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BundleSpec, berth, bundleIds, cibXml, world } from './kit';
import { GITOPS_REVISION_REFUSED } from '../../src/gitops/problems';
import { startGitops } from '../../src/gitops/daemon';
import { FileStore } from '../../src/store/file-store';
import { stateKey } from '../../src/gitops/state';
import { startEtcd } from '../helpers/etcd';

const web = (replicas: number, extra: Partial<BundleSpec> = {}): BundleSpec => ({ id: 'web', replicas, ...extra });
const db = (replicas = 1): BundleSpec => ({ id: 'db', replicas, image: 'berth-test/httpd:2' });

t.test('commits that change replicas, add and remove a bundle', async (t) => {
  const w = world(t);
  const a = w.repo.commit({ 'cib.xml': cibXml([web(2), db()]) }, 'web and db');
  let r = await w.sync();
  t.equal(r.code, 0, r.err);
  t.match(r.out, /First sync/);
  t.match(r.out, /\+ bundle "web"/, 'the change is shown as cib diff --format text shows it');
  t.match(r.err, /fetching .* HEAD/, 'progress: fetching');
  t.match(r.err, /applied revision [0-9a-f]{12} \("web and db"\): \d+ changes?; first sync/);
  t.same(bundleIds(w.liveText()), ['db', 'web']);
  t.equal(w.replicas('web'), '2');
  let s = await w.state();
  t.equal(s.applied?.revision, a);
  t.same(s.applied?.owned, ['db', 'web'], 'both bundles were created by the source');
  t.equal(s.last?.result, 'applied');
  t.notOk(w.liveText().includes('kept in git'), 'comments of the source are not pushed');

  // replicas 2 → 3
  const b = w.repo.commit({ 'cib.xml': cibXml([web(3), db()]) }, 'web: 3 replicas');
  r = await w.sync();
  t.equal(r.code, 0, r.err);
  t.match(r.out, /~ replicas: "2" => "3"/);
  t.match(r.out, /1 added, 0 removed, 1 changed|0 added, 0 removed, 1 changed/);
  t.equal(w.replicas('web'), '3');
  t.equal((await w.state()).applied?.revision, b);

  // add cache, remove db (the source created db: pruned)
  w.repo.commit({ 'cib.xml': cibXml([web(3), { id: 'cache', replicas: 1 }]) }, 'cache in, db out');
  r = await w.sync();
  t.equal(r.code, 0, r.err);
  t.match(r.out, /\+ bundle "cache"/);
  t.match(r.out, /- bundle "db"/);
  t.match(r.err, /pruned db/);
  t.same(bundleIds(w.liveText()), ['cache', 'web']);
  s = await w.state();
  t.same(s.applied?.owned, ['cache', 'web']);

  // nothing new: no write at all
  const before = w.liveText();
  r = await w.sync();
  t.equal(r.code, 0);
  t.match(r.err, /is applied; no drift/);
  t.equal(w.liveText(), before, 'an unchanged revision writes nothing');
  const d = await w.gitops('diff');
  t.equal(d.code, 0, d.out + d.err);
  t.match(d.out, /In sync/);

  // a commit that does not touch the CIB is recorded, with no change
  const c = w.repo.commit({ 'README.md': 'docs\n' }, 'docs only');
  r = await w.sync();
  t.equal(r.code, 0);
  t.equal(w.liveText(), before);
  t.equal((await w.state()).applied?.revision, c);
});

t.test('a revision that breaks validation is refused and the cluster keeps what it runs', async (t) => {
  const w = world(t);
  const good = w.repo.commit({ 'cib.xml': cibXml([web(2)]) }, 'good');
  t.equal((await w.sync()).code, 0);
  const live = w.liveText();

  const cases: [string, Record<string, string | null>][] = [
    ['replicas=1.5', { 'cib.xml': cibXml([web(1.5)]) }],
    ['an address range that overflows', { 'cib.xml': cibXml([web(3, { start: '255.255.255.254' })]) }],
    ['malformed XML', { 'cib.xml': '<cib><configuration>' }],
    ['a JSON CIB that breaks the schema', { 'cib.xml': null, 'cib.json': JSON.stringify({ tag: 'cib', attrs: { epoch: 'x' }, children: [{ tag: 'configuration', children: [] }] }) }],
    ['no CIB at all', { 'cib.json': null }],
    ['bad settings', { 'cib.xml': cibXml([web(4)]), 'berth-gitops.json': '{"drift": "sometimes"}' }],
  ];
  for (const [what, files] of cases) {
    const bad = w.repo.commit(files, `break: ${what}`);
    const r = await w.sync();
    t.equal(r.code, 1, `${what}: exit 1`);
    t.match(r.err, new RegExp(`revision ${bad.slice(0, 12)} \\("break: ${what.replace(/[()]/g, '.')}"\\) is refused`), `${what}: the revision is named`);
    t.match(r.err, `[${GITOPS_REVISION_REFUSED}`, `${what}: with its code`);
    t.equal(w.liveText(), live, `${what}: the live CIB is unchanged`);
    const s = await w.state();
    t.equal(s.applied?.revision, good, `${what}: the applied revision stays`);
    t.equal(s.lastError?.result, 'refused');
    t.equal(s.lastError?.revision, bad);
    const d = await w.gitops('diff');
    t.equal(d.code, 2, `${what}: gitops diff exits 2 when the revision would be refused`);
    t.match(d.err, /is refused/, `${what}: gitops diff says so`);
    // asked again, the same refusal (not re-validated), still nothing pushed
    const again = await w.sync();
    t.equal(again.code, 1);
    t.equal(w.liveText(), live);
  }
  // and a good commit after them is applied
  w.repo.commit({ 'cib.xml': cibXml([web(4)]), 'berth-gitops.json': null }, 'fixed');
  const r = await w.sync();
  t.equal(r.code, 0, r.err);
  t.equal(w.replicas('web'), '4');
  const s = await w.state();
  t.equal(s.last?.result, 'applied');
  t.equal(s.lastError?.result, 'refused', 'the last error is kept for status');
  const st = await w.gitops('status');
  t.match(st.out, /last error:\s+refused at .*is refused/);
});

t.test('a manual live edit to something the source does not set survives the next sync', async (t) => {
  const w = world(t);
  w.repo.commit({ 'cib.xml': cibXml([web(2)]) }, 'web');
  t.equal((await w.sync()).code, 0);

  // by hand: a meta attribute on web, another bundle, a property
  t.equal((await w.live('resource', 'bundle', 'update', 'web', 'meta', 'resource-stickiness=100')).code, 0);
  t.equal((await w.live('resource', 'bundle', 'create', 'manual', 'container', 'docker', 'image=berth-test/httpd:1')).code, 0);
  t.equal((await w.live('property', 'set', 'maintenance-mode=false')).code, 0);
  const d = await w.gitops('diff');
  t.equal(d.code, 0, 'not drift: the source does not set them');

  w.repo.commit({ 'cib.xml': cibXml([web(3)]) }, 'web: 3');
  const r = await w.sync();
  t.equal(r.code, 0, r.err);
  t.equal(w.replicas('web'), '3', "the commit's change landed");
  t.match(w.liveText(), /name="resource-stickiness" value="100"/, 'the meta attribute survives');
  t.match(w.liveText(), /name="maintenance-mode" value="false"/, 'the property survives');
  t.same(bundleIds(w.liveText()), ['manual', 'web'], 'the bundle made by hand survives');
  t.same((await w.state()).applied?.owned, ['web'], 'and it is not the source\'s');

  // even a commit that removes everything leaves it alone
  w.repo.commit({ 'cib.xml': cibXml([]) }, 'nothing');
  t.equal((await w.sync()).code, 0);
  t.same(bundleIds(w.liveText()), ['manual']);
});

t.test('drift: detected, repaired, or only reported', async (t) => {
  const w = world(t);
  w.repo.commit({ 'cib.xml': cibXml([web(3), db()]) }, 'web 3, db');
  t.equal((await w.sync()).code, 0);

  // someone scales web by hand and deletes db
  t.equal((await w.live('resource', 'bundle', 'update', 'web', 'container', 'replicas=5', 'replicas-per-host=5')).code, 0);
  t.equal((await w.live('resource', 'delete', 'db')).code, 0);
  let d = await w.gitops('diff');
  t.equal(d.code, 1, 'diff: exit 1 on drift');
  t.match(d.out, /bundle\[@id='web'\]\/docker\/@replicas: source "3", live "5"/);
  t.match(d.out, /bundle\[@id='db'\]: missing in the live CIB/);
  const dj = JSON.parse((await w.gitops('diff', '--json')).out);
  t.equal(dj.inSync, false);
  t.ok(dj.drift.some((x: { attribute?: string; source: string; live: string }) => x.attribute === 'replicas' && x.source === '3' && x.live === '5'));

  // report-only: reported, not repaired
  let r = await w.sync('--report-only');
  t.equal(r.code, 0, 'report-only drift is not a failure');
  t.match(r.out, /Drift \(report-only\)/);
  t.equal(w.replicas('web'), '5');
  t.notOk(w.bundle('db'));
  let s = await w.state();
  t.ok((s.driftNow as unknown[]).length >= 3, 'status shows the drift');
  t.equal(s.drift?.items.length, (s.driftNow as unknown[]).length, 'and it is recorded');

  // report-only, and a commit that changes what drifted: a conflict, nothing pushed
  const liveBefore = w.liveText();
  w.repo.commit({ 'cib.xml': cibXml([web(4), db()]) }, 'web 4');
  r = await w.sync('--report-only');
  t.equal(r.code, 1, 'a conflict exits 1');
  t.match(r.err, /PATCH_CONFLICT/);
  t.match(r.err, /replicas/);
  t.equal(w.liveText(), liveBefore, 'nothing was pushed');
  t.equal((await w.state()).lastError?.result, 'conflict');

  // repair (default): drift put back, then the revision applied
  r = await w.sync();
  t.equal(r.code, 0, r.err);
  t.match(r.out, /Drift repaired/);
  t.match(r.out, /~ replicas: "5" => "3"/);
  t.equal(w.replicas('web'), '4');
  t.ok(w.bundle('db'), 'db is back');
  s = await w.state();
  t.same(s.driftNow, []);
  t.same(s.applied?.owned, ['db', 'web']);
  d = await w.gitops('diff');
  t.equal(d.code, 0);

  // the source asks for report-only (berth-gitops.json)
  w.repo.commit({ 'berth-gitops.json': '{"drift": "report-only"}\n' }, 'report-only');
  t.equal((await w.sync()).code, 0);
  t.equal((await w.live('resource', 'bundle', 'update', 'web', 'container', 'replicas=1', 'replicas-per-host=1')).code, 0);
  r = await w.sync();
  t.equal(r.code, 0);
  t.equal(w.replicas('web'), '1', 'not repaired: the source said report-only');
  t.match(r.err, /drift: \d+ difference.*report-only/);
  t.match((await w.gitops('status')).out, /drift mode:\s+report-only/);
});

t.test('prune removes only what the source created', async (t) => {
  const w = world(t);
  // legacy exists before gitops; the source adopts it
  t.equal((await w.live('resource', 'bundle', 'create', 'legacy', 'container', 'docker', 'image=berth-test/httpd:1', 'replicas=1')).code, 0);
  w.repo.commit({ 'cib.xml': cibXml([web(1), { id: 'legacy', replicas: 2 }]) }, 'adopt legacy');
  let r = await w.sync();
  t.equal(r.code, 0, r.err);
  t.equal(w.replicas('legacy'), '2', 'adopted: changed to match the source');
  t.same((await w.state()).applied?.owned, ['web']);

  w.repo.commit({ 'cib.xml': cibXml([]) }, 'remove both');
  r = await w.sync();
  t.equal(r.code, 0, r.err);
  t.same(bundleIds(w.liveText()), ['legacy'], 'web pruned, legacy released');
  t.match(r.err, /pruned web; released legacy/);
  t.same((await w.state()).applied?.owned, []);

  // --no-prune: a bundle the source created stays when it leaves the source
  w.repo.commit({ 'cib.xml': cibXml([web(1)]) }, 'web again');
  t.equal((await w.sync()).code, 0);
  t.same((await w.state()).applied?.owned, ['web']);
  // a manual change inside it does not block the prune either
  t.equal((await w.live('resource', 'bundle', 'update', 'web', 'meta', 'note=x')).code, 0);
  w.repo.commit({ 'cib.xml': cibXml([]) }, 'web out');
  r = await w.sync('--no-prune');
  t.equal(r.code, 0, r.err);
  t.same(bundleIds(w.liveText()), ['legacy', 'web'], '--no-prune: released');
  w.repo.commit({ 'cib.xml': cibXml([web(1)]) }, 'web back (adopted now)');
  t.equal((await w.sync()).code, 0);
  t.same((await w.state()).applied?.owned, [], 'a released bundle, adopted again, is not owned');
});

t.test('suspend and resume', async (t) => {
  const w = world(t);
  w.repo.commit({ 'cib.xml': cibXml([web(1)]) }, 'one');
  t.equal((await w.sync()).code, 0);
  let r = await w.gitops('suspend');
  t.equal(r.code, 0);
  t.match(r.err, /suspended/);
  t.ok((await w.state()).suspended);
  const live = w.liveText();
  const two = w.repo.commit({ 'cib.xml': cibXml([web(2)]) }, 'two');
  r = await w.sync();
  t.equal(r.code, 0);
  t.match(r.err, /suspended: nothing is pushed/);
  t.equal(w.liveText(), live, 'nothing pushed while suspended');
  t.equal((await w.live('resource', 'bundle', 'update', 'web', 'container', 'replicas=7', 'replicas-per-host=7')).code, 0);
  r = await w.sync();
  t.equal(w.replicas('web'), '7', 'no drift repair while suspended');
  t.match((await w.gitops('status')).out, /suspended:\s+yes/);
  const d = await w.gitops('diff');
  t.equal(d.code, 1, 'diff still shows what would change');
  t.match(d.out, /suspended/);

  r = await w.gitops('resume');
  t.equal(r.code, 0);
  t.match(r.err, /resumed/);
  r = await w.sync();
  t.equal(r.code, 0, r.err);
  t.equal(w.replicas('web'), '2');
  t.equal((await w.state()).applied?.revision, two);
  t.match((await w.gitops('status')).out, /suspended:\s+no/);
});

t.test('--ref (a tag, a branch) and --path (a CIB in a subdirectory, XML or JSON)', async (t) => {
  const w = world(t);
  const prod = 'clusters/prod/cib.xml';
  w.repo.commit({ [prod]: cibXml([web(2)]) }, 'prod v1');
  w.repo.git('tag', '-a', 'v1', '-m', 'release 1');
  w.repo.commit({ [prod]: cibXml([web(5)]) }, 'prod next');
  let r = await w.sync('--ref', 'v1', '--path', prod);
  t.equal(r.code, 0, r.err);
  t.equal(w.replicas('web'), '2', 'the tag, not the branch head');
  r = await w.sync('--ref', 'main', '--path', prod);
  t.equal(r.code, 0, r.err);
  t.equal(w.replicas('web'), '5');
  // a branch
  w.repo.git('checkout', '--quiet', '-b', 'staging');
  w.repo.commit({ 'staging/cib.json': JSON.stringify(require('../../src/cib/cib').toJson(require('../../src/cib/cib').parseCib(cibXml([web(6)])))) }, 'staging json');
  w.repo.git('checkout', '--quiet', 'main');
  r = await w.sync('--ref', 'staging', '--path', 'staging/cib.json');
  t.equal(r.code, 0, r.err);
  t.equal(w.replicas('web'), '6');
  // bad ones
  r = await w.sync('--ref', 'nope');
  t.equal(r.code, 1);
  t.match(r.err, /cannot fetch nope/);
  t.equal(w.replicas('web'), '6');
  const d = await w.gitops('diff', '--source', w.repo.dir, '--ref', 'nope');
  t.equal(d.code, 2, 'gitops diff: exit 2 when the source cannot be read');
  r = await w.sync('--path', '../etc/passwd');
  t.equal(r.code, 1);
  t.match(r.err, /not a valid --path/);
  r = await w.sync('--ref', '--upload-pack=x');
  t.not(r.code, 0);
  r = await berth('gitops', 'run', '--once', '--store', w.store);
  t.equal(r.code, 2, '--source is required');
  r = await berth('gitops', 'run', '--once', '--source', 'https://example.org/x.git', '--store', w.store);
  t.equal(r.code, 1);
  t.match(r.err, /not supported/);
  r = await w.sync('--interval', 'soon');
  t.equal(r.code, 2);
});

t.test('a plain directory source and a file:// repository', async (t) => {
  const w = world(t);
  const dir = path.join(w.store, '..', 'plain');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'cib.xml'), cibXml([web(1)]));
  const S = ['gitops', 'run', '--once', '--source', dir, '--store', w.store, '--cache-dir', w.cache];
  let r = await berth(...S);
  t.equal(r.code, 0, r.err);
  t.equal(w.replicas('web'), '1');
  const rev1 = (await w.state()).applied?.revision;
  t.match(rev1, /^sha256:[0-9a-f]{64}$/, 'a directory revision is its content hash');
  r = await berth(...S);
  t.match(r.err, /is applied; no drift/);
  fs.writeFileSync(path.join(dir, 'cib.xml'), cibXml([web(2)]));
  r = await berth(...S);
  t.equal(r.code, 0);
  t.equal(w.replicas('web'), '2');
  t.not((await w.state()).applied?.revision, rev1);
  // file:// URL of a git repository
  w.repo.commit({ 'cib.xml': cibXml([web(3)]) }, 'three');
  r = await berth('gitops', 'run', '--once', '--source', `file://${w.repo.dir}`, '--store', w.store, '--cache-dir', w.cache);
  t.equal(r.code, 0, r.err);
  t.equal(w.replicas('web'), '3');
  // gitops diff uses the source recorded by the last run
  w.repo.commit({ 'cib.xml': cibXml([web(4)]) }, 'four');
  const d = await w.gitops('diff');
  t.equal(d.code, 1);
  t.match(d.out, /would change the live CIB/);
  t.match(d.out, /~ replicas: "3" => "4"/);
});

t.test('a revision already in the live CIB (made by hand, or a sync that died after its push) is recorded, not refused', async (t) => {
  const w = world(t);
  w.repo.commit({ 'cib.xml': cibXml([web(1)]) }, 'one');
  t.equal((await w.sync()).code, 0);
  // the same change made by someone (or by a gitops that died before recording it)
  const rev = w.repo.commit({ 'cib.xml': cibXml([web(1), db()]) }, 'db');
  const f = path.join(w.store, '..', 'tmp.xml');
  t.equal((await w.live('cluster', 'cib', f)).code, 0);
  fs.copyFileSync(f, f + '.orig');
  t.equal((await berth('-f', f, 'resource', 'bundle', 'create', 'db', 'container', 'docker', 'image=berth-test/httpd:2', 'replicas=1', 'replicas-per-host=1')).code, 0);
  t.equal((await w.live('cluster', 'cib-push', f, `diff-against=${f}.orig`)).code, 0);
  const r = await w.sync();
  t.equal(r.code, 0, r.err);
  t.match(r.err, /: 0 changes/, 'nothing left to push');
  const s = await w.state();
  t.equal(s.applied?.revision, rev);
  t.same(s.applied?.owned, ['web'], 'db was already there: adopted, not owned (never pruned)');
});

t.test('the daemon: a commit lands within an interval; a manual edit is repaired soon after', async (t) => {
  const w = world(t);
  w.repo.commit({ 'cib.xml': cibXml([web(1)]) }, 'one');
  const store = new FileStore(w.store, { pollMs: 100 });
  const lines: string[] = [];
  const d = startGitops({
    store, key: stateKey(), cacheDir: w.cache, spec: { kind: 'git', repository: w.repo.dir, ref: 'HEAD' },
    options: { reportOnly: false, prune: true }, now: () => new Date(), progress: () => undefined,
  }, { intervalMs: 300, log: (l) => lines.push(l), settleMs: 50 });
  try {
    await daemonSteps();
  } finally {
    await d.stop();
    await store.close();
  }
  async function daemonSteps() {
  const until = async (what: string, f: () => boolean) => {
    for (let i = 0; i < 100 && !f(); i++) await new Promise((r) => setTimeout(r, 50));
    t.ok(f(), what);
  };
  await until('first sync', () => w.replicas('web') === '1');
  w.repo.commit({ 'cib.xml': cibXml([web(2)]) }, 'two');
  await until('the commit lands', () => w.replicas('web') === '2');
  t.equal((await w.live('resource', 'bundle', 'update', 'web', 'container', 'replicas=9', 'replicas-per-host=9')).code, 0);
  await until('the manual change is repaired', () => w.replicas('web') === '2');
  w.repo.commit({ 'cib.xml': cibXml([web(2.5)]) }, 'broken');
  await until('the bad revision is reported', () => lines.some((l) => /is refused/.test(l)));
  await new Promise((r) => setTimeout(r, 700));
  t.equal(lines.filter((l) => /is refused/.test(l)).length, 1, 'once, not every interval');
  t.equal(w.replicas('web'), '2');
  t.ok(lines.some((l) => /~ replicas: "1" => "2"/.test(l)), 'the change is logged');
  t.ok(lines.some((l) => /drift repaired/.test(l)));
  }
});

t.test('the same on an etcd store (the record is a side key there too)', async (t) => {
  const etcd = await startEtcd(t);
  const w = world(t);
  const url = etcd.storeUrl('/gitops-test');
  const run = (...a: string[]) => berth('gitops', 'run', '--once', '--source', w.repo.dir, '--store', url, '--cache-dir', w.cache, ...a);
  w.repo.commit({ 'cib.xml': cibXml([web(2)]) }, 'two');
  let r = await run();
  t.equal(r.code, 0, r.err);
  t.match((await berth('cluster', 'cib', '--store', url)).out, /replicas="2"/);
  t.equal((await berth('gitops', 'suspend', '--store', url)).code, 0);
  w.repo.commit({ 'cib.xml': cibXml([web(3)]) }, 'three');
  r = await run();
  t.match(r.err, /suspended/);
  t.match((await berth('cluster', 'cib', '--store', url)).out, /replicas="2"/);
  t.equal((await berth('gitops', 'resume', '--store', url)).code, 0);
  r = await run();
  t.equal(r.code, 0, r.err);
  t.match((await berth('cluster', 'cib', '--store', url)).out, /replicas="3"/);
  const s = JSON.parse((await berth('gitops', 'status', '--json', '--store', url)).out);
  t.equal(s.last.result, 'applied');
  t.same(s.applied.owned, ['web']);
});
