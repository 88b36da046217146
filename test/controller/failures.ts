// resource failcount show / cleanup over several nodes' ledgers (src/controller/failures.ts), as
// the leader runs them: in-memory nodes (test/helpers/fake-nodes.ts), one that cannot be reached,
// one whose agent does not answer. Tables of cases; the ledgers afterwards are asserted whole.
import t from 'tap';
import { parseCib } from '../../src/cib/cib';
import { BerthError } from '../../src/errors/registry';
import type { FailureRecord } from '../../src/reconcile/observed';
import { LedgerNode, cibNodeNames, cleanupFailures, readFailcounts, requireKnownNode, unreachedProblem } from '../../src/controller/failures';
import type { FailuresRequest } from '../../src/commands/failures';
import { FAKE_CLUSTER, fakeCluster } from '../helpers/fake-nodes';

const CIB = parseCib(`<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config/>`
  + `<nodes><node id="1" uname="n1"/><node id="2" uname="n2"/><node id="3" uname="n3"/></nodes><resources>`
  + `<bundle id="web"><docker image="i" replicas="2"/><primitive id="httpd" class="ocf" provider="heartbeat" type="apache"/></bundle>`
  + `<bundle id="db"><docker image="i" replicas="1"/></bundle><primitive id="lone" class="ocf" provider="heartbeat" type="Dummy"/>`
  + `</resources><constraints/></configuration><status/></cib>`);

const rec = (count: number, more: Partial<FailureRecord> = {}): FailureRecord => ({ baseline: 0, extra: 0, count, lastFailureAt: 1000 * count, ...more });

/** n1 and n2 answer with ledgers; n3 is lost (no files). */
async function cluster() {
  const c = fakeCluster(['n1', 'n2', 'n3']);
  await c.node('n1').deps.files.writeLedger(FAKE_CLUSTER, { c1: rec(2, { replica: 'web-0' }), 'replica:web:1': rec(3), c9: rec(1, { replica: 'db-0' }) });
  await c.node('n2').deps.files.writeLedger(FAKE_CLUSTER, { c2: rec(1, { replica: 'web-1' }), ok: rec(0, { replica: 'web-0', lastFailureAt: undefined }) });
  const nodes: LedgerNode[] = [
    { name: 'n1', files: c.node('n1').deps.files },
    { name: 'n2', files: c.node('n2').deps.files },
    { name: 'n3', why: 'lost (by lease)' },
  ];
  const ledgers = async () => Object.fromEntries(await Promise.all(['n1', 'n2'].map(async (n) => [n, await c.node(n).deps.files.readLedger(FAKE_CLUSTER)])));
  return { c, nodes, ledgers };
}

t.test('failcount show: every node\'s counts, filtered as pcs filters them; unreached nodes said apart', async (t) => {
  const { nodes } = await cluster();
  const cases: [FailuresRequest, string[]][] = [
    [{}, ['web-0@n1=2', 'web-1@n1=3', 'db-0@n1=1', 'web-1@n2=1']],
    [{ resource: 'web' }, ['web-0@n1=2', 'web-1@n1=3', 'web-1@n2=1']],
    // the resource inside: the failures of its operations only (none here: these are containers')
    [{ resource: 'httpd' }, []],
    [{ resource: 'web-1' }, ['web-1@n1=3', 'web-1@n2=1']],
    [{ resource: 'web', node: 'n2' }, ['web-1@n2=1']],
    [{ resource: 'lone' }, []],
    [{ resource: 'nope' }, []],
  ];
  for (const [req, want] of cases) {
    const r = await readFailcounts(CIB, FAKE_CLUSTER, nodes, req);
    const lost = req.resource === 'lone' || req.resource === 'nope' || req.node === 'n2' ? [] : [{ node: 'n3', message: 'lost (by lease)' }];
    t.same({ counts: r.failcounts.map((f) => `${f.resource}@${f.node}=${f.count}`), unreachable: r.unreachable }, { counts: want, unreachable: lost }, JSON.stringify(req));
  }
});

t.test('cleanup: the chosen replicas on the chosen nodes, written with the ledger they came from', async (t) => {
  interface Case { req: FailuresRequest; lines: string[]; n1: string[]; n2: string[] }
  // What remains counted on each node afterwards (key=count, counted entries only).
  const cases: Case[] = [
    { req: { resource: 'web-1' }, lines: ['Cleaned up web-1 on n1', 'Cleaned up web-1 on n2'], n1: ['c1=2', 'c9=1'], n2: [] },
    { req: { resource: 'web', node: 'n1' }, lines: ['Cleaned up web-0 on n1', 'Cleaned up web-1 on n1'], n1: ['c9=1'], n2: ['c2=1'] },
    { req: { resource: 'db' }, lines: ['Cleaned up db-0 on n1'], n1: ['c1=2', 'replica:web:1=3'], n2: ['c2=1'] },
    { req: {}, lines: ['Cleaned up db-0 on n1', 'Cleaned up web-0 on n1', 'Cleaned up web-1 on n1', 'Cleaned up web-1 on n2'], n1: [], n2: [] },
  ];
  for (const k of cases) {
    const { nodes, ledgers } = await cluster();
    const r = await cleanupFailures(CIB, FAKE_CLUSTER, nodes, k.req);
    const after = await ledgers();
    const counted = (l: Record<string, FailureRecord>) => Object.entries(l).filter(([, v]) => v.count > 0).map(([key, v]) => `${key}=${v.count}`).sort();
    t.same(
      { lines: r.lines, unreachable: r.unreachable.map((u) => u.node), n1: counted(after.n1), n2: counted(after.n2) },
      { lines: k.lines, unreachable: k.req.node === 'n1' ? [] : ['n3'], n1: k.n1, n2: k.n2 },
      JSON.stringify(k.req),
    );
  }
  const { nodes, ledgers } = await cluster();
  await cleanupFailures(CIB, FAKE_CLUSTER, nodes, { resource: 'web-0' });
  t.same((await ledgers()).n1.c1, { baseline: 2, extra: 0, count: 0, replica: 'web-0' }, 'a container\'s engine restarts already seen become its baseline');
});

t.test('cleanup refuses what it cannot act on before any ledger is read', async (t) => {
  const cases: [FailuresRequest, string][] = [
    [{ resource: 'nope' }, 'ID_NOT_FOUND resource nope'],
    [{ resource: 'lone' }, 'ID_WRONG_KIND resource lone'],
  ];
  for (const [req, want] of cases) {
    const { nodes, ledgers } = await cluster();
    const before = await ledgers();
    const got = await cleanupFailures(CIB, FAKE_CLUSTER, nodes, req).then(() => 'no error', (e: BerthError) => e.problems.map((p) => `${p.code} ${p.path} ${p.value}`).join('; '));
    t.same({ got, unchanged: JSON.stringify(await ledgers()) === JSON.stringify(before) }, { got: want, unchanged: true }, JSON.stringify(req));
  }
  const names = cibNodeNames(CIB).map((name) => ({ name }));
  t.same(names.map((n) => n.name), ['n1', 'n2', 'n3']);
  const unknown = (() => { try { requireKnownNode(names, 'n9'); return 'no error'; } catch (e) { return (e as BerthError).problems.map((p) => `${p.code} ${p.path} ${p.value} [${p.allowed}]`).join(); } })();
  t.equal(unknown, 'ID_NOT_FOUND node n9 [n1, n2, n3]');
  t.doesNotThrow(() => requireKnownNode(names, 'n2'));
  t.doesNotThrow(() => requireKnownNode(names, undefined));
});

t.test('a node whose agent does not answer: the others are cleaned, it is named with why', async (t) => {
  const { c, nodes, ledgers } = await cluster();
  c.node('n2').unreachable = true;
  const r = await cleanupFailures(CIB, FAKE_CLUSTER, nodes, { resource: 'web' });
  t.same(r.lines, ['Cleaned up web-0 on n1', 'Cleaned up web-1 on n1']);
  t.same(r.unreachable.map((u) => u.node), ['n2', 'n3']);
  t.match(r.unreachable[0].message, /its ledger cannot be read: node n2 does not answer/);
  c.node('n2').unreachable = false;
  t.equal((await ledgers()).n2.c2.count, 1, 'n2 untouched');
  const p = unreachedProblem(r.unreachable, 'resource cleanup');
  t.same({ code: p.code, path: p.path, value: p.value }, { code: 'AGENT_UNREACHABLE', path: 'node', value: 'n2, n3' });
});

t.test('a node that does not answer in time is not waited for past the deadline', async (t) => {
  const { nodes } = await cluster();
  const slow: LedgerNode = { name: 'n2', files: { readLedger: () => new Promise(() => {}), writeLedger: async () => {} } };
  const t0 = Date.now();
  const r = await readFailcounts(CIB, FAKE_CLUSTER, [nodes[0], slow], {}, 100);
  t.ok(Date.now() - t0 < 2000, 'within the deadline');
  t.same(r.unreachable, [{ node: 'n2', message: 'its ledger cannot be read: no answer within 100 ms' }]);
  t.same(r.failcounts.map((f) => f.node), ['n1', 'n1', 'n1']);
});

t.test('a cleanup is kept by a controller that writes what it computed before it (mergeLedger on the agent)', async (t) => {
  const { c, nodes } = await cluster();
  // The fake node replaces its ledger; the real node files merge: use a merging stand-in.
  const { mergeLedger } = await import('../../src/reconcile/failures');
  let disk: Record<string, FailureRecord> = await c.node('n1').deps.files.readLedger(FAKE_CLUSTER);
  const files = { readLedger: async () => ({ ...disk }), writeLedger: async (_c: string, l: Record<string, FailureRecord>, base?: Record<string, FailureRecord>) => { disk = base ? mergeLedger(base, l, disk) : { ...l }; } };
  const seen = await files.readLedger(); // the pass observed
  await cleanupFailures(CIB, FAKE_CLUSTER, [{ name: 'n1', files }, nodes[2]], { resource: 'web' });
  await files.writeLedger(FAKE_CLUSTER, { ...seen, c9: rec(2, { replica: 'db-0' }) }, seen); // the pass writes: db-0 failed again
  t.same(Object.fromEntries(Object.entries(disk).map(([k, v]) => [k, v.count])), { c1: 0, c9: 2 }, 'web cleaned, db counted by the controller');
});
