// resource failcount show / cleanup: pcs 0.11.5's text (recorded by
// test/fixtures/resource-failcount/gen.mjs), the ledger merge that keeps a cleanup against a
// running controller, and a replica kept off a node by its failures placed there again after it.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { parseCib } from '../../src/cib/cib';
import { walk, XmlElement } from '../../src/cib/xml';
import { BerthError } from '../../src/errors/registry';
import { FailCount, cleanupLedger, failCounts, failcountText, parseFailureWords, replicaFilter, requireReplicaFilter } from '../../src/commands/failures';
import { cleanedLedger, mergeLedger } from '../../src/reconcile/failures';
import type { FailureRecord } from '../../src/reconcile/observed';
import { nodeFiles, readLedgerOf, watchLedger } from '../../src/controller/node-files';
import { cleanupFailures } from '../../src/controller/failures';
import { FAKE_CLUSTER, fakeCluster } from '../helpers/fake-nodes';

const FIXTURES = path.join(__dirname, '../fixtures/resource-failcount');
const recorded: { tool: string; cases: { argv: string[]; exit: number; stdout: string; stderr: string }[] } = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'cases.json'), 'utf8'));

t.test("failcount show prints as pcs 0.11.5 does", async (t) => {
  t.equal(recorded.tool, 'pcs 0.11.5 / Pacemaker 2.1.5');
  // The status pcs read, as fail counts per resource, node and operation (pcs adds these up per node).
  const cib = parseCib(fs.readFileSync(path.join(FIXTURES, 'status.xml'), 'utf8'));
  const all: FailCount[] = [];
  walk(cib, (e: XmlElement) => {
    if (e.tag !== 'node_state') return;
    walk(e, (p: XmlElement) => {
      const m = p.tag === 'nvpair' ? /^fail-count-(.+)#/.exec(p.attrs.name) : null;
      if (m) all.push({ resource: m[1], node: e.attrs.uname, count: Number(p.attrs.value) });
    });
  });
  t.equal(all.length, 5, 'five fail counts in the recorded status');
  for (const c of recorded.cases) {
    const words = c.argv.slice(3);
    if (c.exit !== 0) {
      let problem: unknown;
      try { parseFailureWords(words, undefined); } catch (e) { problem = e instanceof BerthError ? { code: e.problems[0].code, path: e.problems[0].path } : e; }
      t.same(problem, { code: 'OPTION_UNKNOWN', path: 'foo' }, `pcs refused ${words.join(' ')}; so does berth`);
      continue;
    }
    const req = parseFailureWords(words, undefined);
    // pcs filters by the exact resource id (berth's filter by bundle is tested below)
    const counts = all.filter((x) => (req.resource === undefined || x.resource === req.resource) && (req.node === undefined || x.node === req.node));
    t.equal(failcountText(counts, req, false), c.stdout, `failcount show ${words.join(' ')}`);
  }
});

const rec = (count: number, more: Partial<FailureRecord> = {}): FailureRecord => ({ baseline: 0, extra: 0, count, ...(count ? { lastFailureAt: 1000 * count } : {}), ...more });

t.test('the words: pcs\'s, berth refuses what it has not', async (t) => {
  const table: [string[], string | undefined, unknown][] = [
    [[], undefined, {}],
    [['web'], undefined, { resource: 'web' }],
    [['node=n1'], undefined, { node: 'n1' }],
    [['web', 'node=n1'], 'n1', { resource: 'web', node: 'n1' }],
    [['web'], 'n2', { resource: 'web', node: 'n2' }],
    [['web', 'operation=start'], undefined, 'OPTION_UNKNOWN'],
    [['web', 'interval=10s'], undefined, 'OPTION_UNKNOWN'],
    [['web', 'n1'], undefined, 'USAGE'],
    [['web', 'node=n1'], 'n2', 'OPTION_CONFLICT'],
  ];
  for (const [words, flag, want] of table) {
    let got: unknown;
    try { got = parseFailureWords(words, flag); } catch (e) { got = e instanceof BerthError ? e.problems[0].code : e; }
    t.same(got, want, words.join(' ') + (flag ? ` --node ${flag}` : ''));
  }
});

t.test('resource ids: a bundle, the resource inside, a replica', async (t) => {
  const cib = parseCib(`<cib validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes/><resources>
    <bundle id="web"><docker image="i" replicas="2"/><network control-port="3121"/><primitive id="httpd" class="ocf" provider="heartbeat" type="apache"/></bundle>
    <primitive id="R1" class="ocf" provider="pacemaker" type="Dummy"/></resources><constraints/></configuration><status/></cib>`);
  t.same(replicaFilter(cib, 'web'), { bundle: 'web' });
  t.same(replicaFilter(cib, 'httpd'), { bundle: 'web', inner: 'httpd' });
  t.same(replicaFilter(cib, 'web-1'), { bundle: 'web', index: 1 });
  t.equal(replicaFilter(cib, 'R1'), undefined);
  const code = (id: string) => { try { requireReplicaFilter(cib, id); return 'ok'; } catch (e) { return (e as BerthError).problems[0].code; } };
  t.same(['web', 'R1', 'nope'].map(code), ['ok', 'ID_WRONG_KIND', 'ID_NOT_FOUND']);
  // failcount show over a ledger: by bundle, by replica, by node
  const ledger = { c1: rec(2, { replica: 'web-0' }), c2: rec(0, { replica: 'web-1', stoppedByBerth: true }), 'replica:web:1': rec(3), c3: rec(1) };
  const counts = (f: ReturnType<typeof replicaFilter>, node?: string) => failCounts([{ node: 'n1', ledger }], f, node).map((c) => `${c.resource}@${c.node}=${c.count}`);
  t.same(counts(undefined), ['web-0@n1=2', 'web-1@n1=3', 'c3@n1=1'], 'a record of no failures is not listed; one without a replica by its key');
  t.same(counts({ bundle: 'web' }), ['web-0@n1=2', 'web-1@n1=3']);
  t.same(counts({ bundle: 'web', index: 1 }), ['web-1@n1=3']);
  t.same(counts(undefined, 'n2'), []);
  t.equal(failcountText(failCounts([{ node: 'n1', ledger }], { bundle: 'web' }, undefined), { resource: 'web' }, true),
    "Failcounts for resource 'web-0'\n  n1:\n    container failures: 2 (last 1970-01-01T00:00:02.000Z)\nFailcounts for resource 'web-1'\n  n1:\n    container failures: 3 (last 1970-01-01T00:00:03.000Z)\n");
});

t.test('cleanup forgets what matches, and only that', async (t) => {
  const ledger = {
    c1: rec(2, { baseline: 1, replica: 'web-0' }),
    'replica:web:1': rec(3),
    c2: rec(1, { replica: 'db-0' }),
    c3: rec(0, { replica: 'web-1', stoppedByBerth: true }),
  };
  const table: [string, ReturnType<typeof replicaFilter>, string[], Record<string, FailureRecord>][] = [
    ['all', undefined, ['Cleaned up db-0 on n1', 'Cleaned up web-0 on n1', 'Cleaned up web-1 on n1'], {
      c1: { baseline: 3, extra: 0, count: 0, replica: 'web-0' }, c2: { baseline: 1, extra: 0, count: 0, replica: 'db-0' }, c3: ledger.c3,
    }],
    ['a bundle', { bundle: 'web' }, ['Cleaned up web-0 on n1', 'Cleaned up web-1 on n1'], { c1: { baseline: 3, extra: 0, count: 0, replica: 'web-0' }, c2: ledger.c2, c3: ledger.c3 }],
    ['a replica', { bundle: 'web', index: 1 }, ['Cleaned up web-1 on n1'], { c1: ledger.c1, c2: ledger.c2, c3: ledger.c3 }],
    ['nothing there', { bundle: 'other' }, [], ledger],
  ];
  for (const [name, filter, lines, want] of table) {
    const r = cleanupLedger({ node: 'n1', ledger }, filter);
    t.same({ lines: r.lines, ledger: r.ledger, changed: r.changed }, { lines, ledger: want, changed: lines.length > 0 }, name);
  }
  t.same(cleanedLedger({ c: rec(0, { stoppedByBerth: true }) }, {}).cleared, [], 'a container berth stopped itself has no failures to forget');
});

t.test('mergeLedger: the controller\'s write keeps what someone else changed since it read', async (t) => {
  const base = { a: rec(1), b: rec(2), gone: rec(1), cleaned: rec(3) };
  const mine = { a: rec(2), b: rec(2), cleaned: rec(4), fresh: rec(1) }; // a counted again, gone dropped, a new one
  const current = { a: rec(1), b: rec(2), gone: rec(1), cleaned: rec(0, { baseline: 3 }) }; // cleanup ran meanwhile
  t.same(mergeLedger(base, mine, current), { a: rec(2), b: rec(2), cleaned: rec(0, { baseline: 3 }), fresh: rec(1) });
  t.same(mergeLedger(base, mine, base), mine, 'nobody else wrote: the controller\'s ledger as it is');
  t.same(mergeLedger(base, {}, { ...base, cleaned: rec(0) }), { cleaned: rec(0) }, 'a removal by the controller does not undo a cleanup');
});

t.test('on disk: a cleanup between the controller\'s read and its write is not lost', async (t) => {
  const dir = t.testdir({});
  const files = nodeFiles(dir);
  await files.writeLedger('c1', { x: rec(3, { replica: 'web-0' }), y: rec(1, { replica: 'db-0' }) });
  const seen = await files.readLedger('c1'); // the pass observes
  // resource cleanup web runs now (as the command does on one node: this node's files)
  const cib = parseCib('<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes/><resources><bundle id="web"><docker image="i" replicas="1"/></bundle><bundle id="db"><docker image="i" replicas="1"/></bundle></resources><constraints/></configuration><status/></cib>');
  const r = await cleanupFailures(cib, 'c1', [{ name: 'n1', files: nodeFiles(dir) }], { resource: 'web' });
  t.same(r, { lines: ['Cleaned up web-0 on n1'], cleaned: [{ node: 'n1', replicas: ['web-0'], lines: ['Cleaned up web-0 on n1'] }], unreachable: [] });
  // the pass writes what it computed from what it saw: x counted once more, y unchanged
  await files.writeLedger('c1', { x: rec(4, { replica: 'web-0' }), y: rec(1, { replica: 'db-0' }) }, seen);
  t.same(readLedgerOf(dir, 'c1'), { x: { baseline: 3, extra: 0, count: 0, replica: 'web-0' }, y: rec(1, { replica: 'db-0' }) }, 'the cleanup stands; the rest is the controller\'s');
  t.same(fs.readdirSync(path.join(dir, 'clusters', 'c1')).sort(), ['failures.json'], 'no lock or temp file left behind');
});

t.test('a replica kept off its node by failures runs there again after cleanup', async (t) => {
  const cl = fakeCluster(['n1', 'n2']);
  cl.setCib(`<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config/>`
    + `<nodes><node id="1" uname="n1"/><node id="2" uname="n2"/></nodes>`
    + `<resources><bundle id="web"><docker image="berth-test/httpd:1" replicas="1"/><meta_attributes id="web-m"><nvpair id="web-m-1" name="migration-threshold" value="1"/></meta_attributes></bundle></resources>`
    + `<constraints><rsc_location id="web-on-n1" rsc="web" node="n1" score="INFINITY"/></constraints></configuration><status/></cib>`);
  const n1 = cl.node('n1');
  await n1.deps.files.writeLedger(FAKE_CLUSTER, { 'replica:web:0': rec(1) });
  let r = await cl.pass();
  t.equal(r.placements?.get('web-0'), 'n2', 'kept off n1 (failed there once, migration-threshold=1)');
  const ledger = await n1.deps.files.readLedger(FAKE_CLUSTER);
  const c = cleanupLedger({ node: 'n1', ledger }, { bundle: 'web' });
  t.same(c.lines, ['Cleaned up web-0 on n1']);
  await n1.deps.files.writeLedger(FAKE_CLUSTER, c.ledger, ledger);
  r = await cl.pass();
  t.equal(r.placements?.get('web-0'), 'n1', 'placed on n1 again');
});

t.test('the single-node controller is told when the ledger changes (watchLedger)', async (t) => {
  const dir = t.testdir({});
  let calls = 0;
  const stop = watchLedger(dir, 'c1', () => { calls++; }, 20);
  t.teardown(stop);
  // watchFile takes its first look asynchronously: a write before that look is the file as first
  // seen, not a change. So the ledger changes every 300 ms until one change is noticed.
  const end = Date.now() + 5000;
  for (let n = 1; !calls && Date.now() < end; n++) {
    await nodeFiles(dir).writeLedger('c1', { x: rec(n) });
    const next = Date.now() + 300;
    while (!calls && Date.now() < next) await new Promise((r) => setTimeout(r, 20));
  }
  t.ok(calls > 0, 'a cleanup is noticed');
});
