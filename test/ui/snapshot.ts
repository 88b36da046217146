// The page's data from a real cluster pass over in-memory nodes (makeSnapshot through pageInputs,
// as the controller feeds it), what changes between two snapshots (the patch and the timeline), and
// the session rules. The browser side is test/ui/page.ts; a real cluster test/ui/cluster-page.ts.
import t from 'tap';
import path from 'node:path';
import { pageInputs, startControllerPage } from '../../src/ui/controller-page';
import { openStore } from '../../src/store/open';
import { stateKey, updateState, withResult } from '../../src/gitops/state';
import { EVENTS_PER_CHANGE, UiSnapshot, diffSnapshots, makeSnapshot } from '../../src/ui/snapshot';
import { FAILED_LOGINS_PER_MINUTE, Session, Sessions, uiToken, SESSION_IDLE_MS } from '../../src/ui/auth';
import type { ControllerState } from '../../src/cluster/cluster-controller';
import type { PassResult } from '../../src/controller/pass';
import { clusterStatus } from '../../src/reconcile/status';
import { fakeCluster, wipe } from '../helpers/fake-nodes';
import { alive, handInputs } from '../helpers/ui-inputs';

const NAMES = ['n1', 'n2', 'n3'];
function cibXml(replicas: number, epoch = 1): string {
  const nodes = NAMES.map((n, i) => `<node id="${i + 1}" uname="${n}"/>`).join('');
  return `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="${epoch}" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes>${nodes}</nodes><resources><bundle id="web"><docker image="berth-test/httpd:1" replicas="${replicas}" replicas-per-host="${replicas}"/><network ip-range-start="10.0.0.100" host-interface="eth0" host-netmask="24"/></bundle></resources><constraints/></configuration><status/></cib>`;
}

type Liveness = Record<string, { liveness: string; lostBy?: string }>;
function state(r: PassResult, n: number, live: Liveness = {}, term = 1): ControllerState {
  return {
    cluster: 'fake-cluster',
    membership: {
      controller: { id: 'c1', url: 'http://10.0.0.1:7441' }, leading: true, term, leader: { id: 'c1', url: 'http://10.0.0.1:7441' }, passes: n, lastPassMs: 5, ui: null,
      nodes: NAMES.map((name) => ({ name, liveness: live[name]?.liveness ?? 'alive', standby: false, url: null, lostBy: live[name]?.lostBy ?? null })),
    },
    pass: { number: n, at: 1_000_000 + n, key: String(n), result: r, status: () => clusterStatus(r, 1_000_000 + n) },
  };
}
const snap = (s: ControllerState) => makeSnapshot(pageInputs(s, null, 2_000_000));
const where = (s: UiSnapshot) => s.replicas.filter((r) => r.state === 'running').map((r) => `${r.name}@${r.node}`).sort();

t.test('a converged cluster: every replica once, counts, nothing to patch, nothing told', async (t) => {
  const c = fakeCluster(NAMES);
  c.setCib(cibXml(6));
  const first = snap(state(await c.pass(), 1));
  t.equal(first.converged, false, 'the first pass had work');
  t.ok(first.plan.some((p) => p.kind === 'create' && p.outcome === 'done'), 'its plan: creates, done');
  const s1 = snap(state(await c.pass(), 2));
  t.equal(s1.converged, true);
  t.same(s1.counts, { online: 3, standby: 0, lost: 0, otherNodes: 0, running: 6, notRunning: 0, failed: 0 });
  t.equal(s1.replicas.length, 6, 'a row per replica');
  t.same(s1.nodes.map((n) => n.replicas).reduce((a, b) => a + b), 6, 'each on one node');
  t.equal(s1.epoch, '0.1');
  const again = snap(state(await c.pass(), 3));
  const d = diffSnapshots(s1, again);
  t.same([d.patch.upsert, d.patch.remove, d.events], [[], [], []], 'a no-op pass: no rows to send, no event');
});

t.test('a node lost: told, its replicas move, the rows patched', async (t) => {
  const c = fakeCluster(NAMES);
  c.setCib(cibXml(6));
  await c.pass();
  const before = snap(state(await c.pass(), 2));
  const victim = c.nodes[0];
  const moved = before.replicas.filter((r) => r.node === victim.name).map((r) => r.name);
  t.ok(moved.length > 0);
  wipe(victim);
  c.state.set(victim.name, 'lost');
  await c.pass(); // places and starts them elsewhere; the next pass observes them running
  const after = snap(state(await c.pass(), 4, { [victim.name]: { liveness: 'lost', lostBy: 'lease' } }));
  const { patch, events } = diffSnapshots(before, after);
  t.equal(after.nodes.find((n) => n.name === victim.name)?.state, 'lost');
  t.equal(after.counts.lost, 1);
  t.ok(events.some((e) => e.kind === 'node' && e.text.startsWith(`node ${victim.name} lost`)), 'the loss is told');
  for (const r of moved) {
    const now = after.replicas.find((x) => x.name === r && x.state === 'running');
    t.ok(now && now.node !== victim.name, `${r} runs elsewhere`);
    t.ok(events.some((e) => e.kind === 'move' && e.text === `${r} moved ${victim.name} -> ${now!.node}`), `${r}'s move is told`);
    t.ok(patch.upsert.some((x) => x.name === r), `${r}'s new row is sent`);
  }
  t.same(where(after).length, 6, 'all running again');
  // Applying the patch to the old rows gives the new ones (what the page does).
  const rows = new Map(before.replicas.map((r) => [r.key, r]));
  for (const k of patch.remove) rows.delete(k);
  for (const r of patch.upsert) rows.set(r.key, r);
  t.same([...rows.values()].sort((a, b) => a.key.localeCompare(b.key)), [...after.replicas].sort((a, b) => a.key.localeCompare(b.key)), 'old rows + patch = new rows');
  const fenced = snap(state(await c.pass(), 5, { [victim.name]: { liveness: 'lost', lostBy: 'fence-command' } }));
  t.equal(fenced.nodes.find((n) => n.name === victim.name)?.state, 'fenced', 'lost by the fence command: fenced');
  t.ok(diffSnapshots(after, fenced).events.some((e) => e.kind === 'fencing'), 'and told as fencing');
});

t.test('many replica changes at once: some told, the rest counted; pushes and leaders told', async (t) => {
  const c = fakeCluster(NAMES);
  c.setCib(cibXml(2));
  await c.pass();
  const small = snap(state(await c.pass(), 2));
  c.setCib(cibXml(40, 2));
  await c.pass();
  const big = snap(state(await c.pass(), 4, {}, 2));
  const { events } = diffSnapshots(small, big);
  const told = events.filter((e) => (e.kind === 'placement' || e.kind === 'move' || e.kind === 'replica') && !e.text.startsWith('and '));
  t.equal(told.length, EVENTS_PER_CHANGE, 'replica changes told up to the limit');
  t.ok(told.every((e) => / started on n\d$/.test(e.text)), 'each a start');
  t.ok(events.some((e) => e.text === `and ${38 - EVENTS_PER_CHANGE} more replica changes`), 'the rest counted');
  t.ok(events.some((e) => e.kind === 'push' && e.text === 'CIB changed: epoch 0.1 -> 0.2'), 'the push');
  t.ok(events.some((e) => e.kind === 'leader' && /term 2/.test(e.text)), 'the new term');
});

t.test('sessions: the token of the authkey or the password; CSRF per session', async (t) => {
  const key = Buffer.alloc(32, 7);
  t.equal(uiToken(key), uiToken(Buffer.alloc(32, 7)), 'the token is a function of the key');
  t.not(uiToken(key), uiToken(Buffer.alloc(32, 8)), 'another key, another token');
  t.notOk(uiToken(key).includes(key.toString('base64url')), 'the token is not the key');
  let now = 0;
  const s = new Sessions([uiToken(key), 'a long password'], () => now);
  t.equal(s.login('nope'), undefined, 'a wrong secret opens nothing');
  t.equal(s.login(''), undefined);
  const a = s.login(uiToken(key)) as Session;
  const b = s.login('a long password') as Session;
  t.ok(a && b && a.id !== b.id && a.csrf !== b.csrf, 'each login its own session and CSRF token');
  t.equal(s.of(`other=1; berth_ui=${a.id}`)?.id, a.id, 'found by its cookie');
  t.ok(s.csrfOk(a, a.csrf));
  t.notOk(s.csrfOk(a, b.csrf), "another session's CSRF token is refused");
  t.notOk(s.csrfOk(a, undefined));
  now += SESSION_IDLE_MS + 1;
  t.equal(s.of(`berth_ui=${a.id}`), undefined, 'an idle session ends');
  for (let i = 0; i < FAILED_LOGINS_PER_MINUTE; i++) t.equal(s.login(`guess ${i}`), undefined);
  t.equal(s.login('guess'), 'throttled', `after ${FAILED_LOGINS_PER_MINUTE} failures in a minute, every login waits`);
  t.equal(s.login(uiToken(key)), 'throttled', 'even the right one');
  now += 60_001;
  t.type(s.login(uiToken(key)), 'object', 'a minute later it logs in');
});

t.test('GitOps on the page: the record in the store, read by the page of the controller', async (t) => {
  const dir = t.testdir({});
  const store = openStore(path.join(dir, 'store'));
  t.teardown(() => store.close());
  const page = await startControllerPage({
    listen: { host: '127.0.0.1', port: 0 }, key: Buffer.alloc(32, 1), actions: false, self: 'http://127.0.0.1:7441', log: () => {}, store, gitopsEveryMs: 50,
    cib: { where: 'test', read: async () => '', clusterId: async () => 'fake-cluster' },
  });
  t.teardown(() => page.close());
  const c = fakeCluster(NAMES);
  c.setCib(cibXml(2));
  const r = await c.pass();
  let n = 0;
  const gitopsNow = async () => { await new Promise((res) => setTimeout(res, 150)); page.onState(state(r, ++n)); return page.hub.snapshot()!.gitops; };
  t.same(await gitopsNow(), { state: 'not configured' }, 'no record: not configured');
  const key = stateKey();
  const at = '2026-12-06T08:00:00.000Z';
  await updateState(store, key, (s) => withResult({ ...s, source: { kind: 'dir', dir: '/srv/cib' }, applied: { revision: 'abc123', at, cib: '<cib/>', owned: [], settings: {} as never } }, { revision: 'abc123', at, result: 'applied', message: 'applied' }));
  t.same(await gitopsNow(), { state: 'in sync', revision: 'abc123', source: '/srv/cib', at });
  await updateState(store, key, (s) => withResult(s, { revision: 'def456', at, result: 'refused', message: 'bundle web: <b>refused</b>' }));
  t.match(await gitopsNow(), { state: 'refused', revision: 'abc123', lastError: 'bundle web: <b>refused</b>' }, 'a refused revision, with its message');
  await updateState(store, key, (s) => withResult({ ...s, drift: { at, items: [{ path: 'x' } as never], repaired: false } }, { at, result: 'unchanged', message: '' }));
  t.match(await gitopsNow(), { state: 'drift' });
  await updateState(store, key, (s) => ({ ...s, suspended: { at } }));
  t.match(await gitopsNow(), { state: 'suspended' });
});

t.test('the resource inside: its role change is told, its failure listed', async (t) => {
  const res = (role: string, lastFailure?: string) => ({ id: 'db', agent: 'ocf:pacemaker:Stateful', role, failcount: lastFailure ? 1 : 0, ...(lastFailure ? { lastFailure } : {}) });
  const spec = (role: string, lastFailure?: string) => ({ nodes: [alive('n1')], rows: [{ bundle: 'db', index: 0, node: 'n1', state: 'running', resource: res(role, lastFailure) }] });
  const a = makeSnapshot(handInputs(spec('Unpromoted')));
  const b = makeSnapshot(handInputs(spec('Promoted')));
  t.same(b.replicas[0].resource, res('Promoted'), 'the row carries the resource as status tells it');
  const d = diffSnapshots(a, b);
  t.same(d.patch.upsert.map((r) => r.key), ['db-0@n1'], 'the row is sent again');
  t.same(d.events.map((e) => e.text), ['db in db-0 on n1: Unpromoted -> Promoted']);
  const c = makeSnapshot(handInputs(spec('FAILED Promoted', 'monitor (10s) returned 7 (not running)')));
  t.same(c.failures.map((f) => [f.kind, f.message]), [['resource', 'db in db-0 on n1: monitor (10s) returned 7 (not running) (fail count 1)']]);
});
