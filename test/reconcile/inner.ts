// The plan of a replica's resource inside (src/reconcile/inner.ts), pure: what the executor
// reported, the ledger and the role in → the operations in order, the failures counted once, and
// on-fail, migration-threshold, failure-timeout and start-failure-is-fatal as Pacemaker applies them.
import t from 'tap';
import { parseCib } from '../../src/cib/cib';
import { readModel } from '../../src/model/model';
import type { InnerSpec } from '../../src/model/inner';
import { FAILCOUNT_INFINITY, InnerObserved, InnerReplicaInput, innerLedgerKey, planInnerReplica, stopBeforeContainer } from '../../src/reconcile/inner';
import type { FailureRecord } from '../../src/reconcile/observed';

function specOf(primitiveExtra = '', bundleMeta = '', containerAttrs = ''): InnerSpec {
  const cib = parseCib(`<cib validate-with="pacemaker-3.9" admin_epoch="0" epoch="1" num_updates="0"><configuration><crm_config/><nodes/><resources>
<bundle id="web"><docker image="i" replicas="2" ${containerAttrs}/><network control-port="3121"/>
<primitive id="web-d" class="ocf" provider="pacemaker" type="Dummy">${primitiveExtra}</primitive>${bundleMeta}</bundle>
</resources><constraints/></configuration><status/></cib>`);
  return readModel(cib).bundles[0].resource!;
}

const OPS = `<operations><op id="m" name="monitor" interval="10s" timeout="5s"/><op id="s" name="start" interval="0s" timeout="7s"/></operations>`;
const C = 'c0ffee';
const up = (o: Partial<InnerObserved>): InnerObserved => ({ container: C, link: 'up', incarnation: 'i1', state: 'started', failures: [], ...o });
const input = (spec: InnerSpec, observed: InnerObserved | undefined, ledger: Record<string, FailureRecord> = {}, extra: Partial<InnerReplicaInput> = {}): InnerReplicaInput => ({
  bundle: 'web', index: 0, replica: 'web-0', container: C, spec, goal: 'Started', params: (op) => ({ CRM_meta_name: op.name }), ...(observed ? { observed } : {}), ledger, now: 1_000_000, ...extra,
});
const kinds = (r: ReturnType<typeof planInnerReplica>) => r.chain?.steps.map((s) => (s.kind === 'monitor' ? `monitor ${s.op.intervalMs}` : s.kind)) ?? [];
const monitorFailure = (seq: number, at = 999_000) => ({ seq, op: 'monitor_10000', name: 'monitor', intervalMs: 10_000, rc: 7, status: 'done', at, message: `monitor (10s) on web-0 returned 'not running' (7) at T after 3 ms` });

t.test('waits for the executor: connecting, probing, busy; a wrong key is a problem', async (t) => {
  const spec = specOf(OPS);
  t.match(planInnerReplica(input(spec, undefined)), { waiting: /connecting to its executor/ });
  t.match(planInnerReplica(input(spec, up({ state: 'unknown' }))), { waiting: /probing/ });
  t.match(planInnerReplica(input(spec, up({ busy: 'start' }))), { waiting: /start under way/ });
  const down = planInnerReplica(input(spec, up({ link: 'down', state: 'unknown', linkProblem: { code: 'REMOTE_KEY_REFUSED', message: 'the executor refused the key' } })));
  t.match(down, { problem: { code: 'REMOTE_KEY_REFUSED' }, waiting: /cannot be reached/ });
  t.notOk(down.chain);
  t.match(planInnerReplica(input(spec, up({ container: 'other' }))), { waiting: /connecting/ }, 'an observation of an older container does not count');
});

t.test('a stopped instance is started and its monitor run; a running one only gets its monitor', async (t) => {
  const spec = specOf(OPS);
  const r = planInnerReplica(input(spec, up({ state: 'stopped' })));
  t.strictSame(kinds(r), ['start', 'monitor 10000']);
  t.equal(r.chain!.steps[0].kind === 'start' && r.chain!.steps[0].op.timeoutMs, 7000, 'the start op of the CIB');
  t.strictSame(kinds(planInnerReplica(input(spec, up({ state: 'started' })))), ['monitor 10000']);
  t.notOk(planInnerReplica(input(spec, up({ state: 'started', monitor: 'monitor_10000' }))).chain, 'converged: nothing to do');
  t.strictSame(kinds(planInnerReplica(input(spec, up({ state: 'started', monitor: 'monitor_10000' }), {}, { goal: 'Stopped' }))), ['stop']);
});

t.test('a failed monitor: counted once, restarted in its container (on-fail=restart)', async (t) => {
  const spec = specOf(OPS);
  const obs = up({ state: 'failed', failed: monitorFailure(1), failures: [monitorFailure(1)] });
  const r = planInnerReplica(input(spec, obs));
  t.strictSame(kinds(r), ['stop', 'start', 'monitor 10000']);
  t.match(r.chain!.reason, /returned 'not running'.*recovered in its container/);
  t.equal(r.ledger.length, 1);
  t.match(r.ledger[0], { key: innerLedgerKey(C, 'monitor_10000'), record: { count: 1, seen: 'i1:1', resource: 'web-d', op: 'monitor_10000', onFail: 'restart' } });
  t.equal(r.failcount, 1);
  // The ledger has it: not counted again.
  const ledger = { [r.ledger[0].key]: r.ledger[0].record! };
  const again = planInnerReplica(input(spec, obs, ledger));
  t.strictSame(again.ledger, [], 'the same failure is counted once');
  t.equal(again.failcount, 1);
  // A second failure of the same connection counts; a new connection's seq 1 counts too.
  t.match(planInnerReplica(input(spec, up({ ...obs, failures: [monitorFailure(1), monitorFailure(2)] }), ledger)).ledger, [{ record: { count: 2, seen: 'i1:2' } }]);
  t.match(planInnerReplica(input(spec, up({ ...obs, incarnation: 'i2' }), ledger)).ledger, [{ record: { count: 2, seen: 'i2:1' } }]);
});

t.test('migration-threshold: the instance stays stopped in its container', async (t) => {
  const spec = specOf(OPS + `<meta_attributes id="pm"><nvpair id="pm-1" name="migration-threshold" value="2"/></meta_attributes>`);
  const ledger = { [innerLedgerKey(C, 'monitor_10000')]: { baseline: 0, extra: 1, count: 1, lastFailureAt: 998_000, seen: 'i1:1', onFail: 'restart', op: 'monitor_10000', resource: 'web-d' } };
  const obs = up({ state: 'failed', failed: monitorFailure(2), failures: [monitorFailure(1), monitorFailure(2)] });
  const r = planInnerReplica(input(spec, obs, ledger));
  t.strictSame(kinds(r), ['stop'], 'the second failure reaches the threshold: stopped, not started again');
  t.match(r.reports.join('\n'), /stays stopped: 2 failures \(migration-threshold=2\)/);
  t.equal(r.failcount, 2);
});

t.test('failure-timeout forgets the failures; recheck when it ends', async (t) => {
  const spec = specOf(OPS + `<meta_attributes id="pm"><nvpair id="pm-1" name="migration-threshold" value="1"/><nvpair id="pm-2" name="failure-timeout" value="60s"/></meta_attributes>`);
  const key = innerLedgerKey(C, 'monitor_10000');
  const ledger = { [key]: { baseline: 0, extra: 1, count: 1, lastFailureAt: 950_000, seen: 'i1:1', onFail: 'restart', op: 'monitor_10000', resource: 'web-d' } };
  const stopped = up({ state: 'stopped', monitor: undefined });
  const held = planInnerReplica(input(spec, stopped, ledger));
  t.notOk(held.chain, 'still within failure-timeout: stays stopped');
  t.equal(held.recheckAt, 1_010_000);
  const later = planInnerReplica(input(spec, stopped, ledger, { now: 1_010_000 }));
  t.strictSame(kinds(later), ['start', 'monitor 10000'], 'expired: started again');
  t.match(later.ledger, [{ key, record: { count: 0, seen: 'i1:1' } }], 'the count is forgotten, the failure stays known');
});

t.test('start-failure-is-fatal: one failed start keeps it stopped; false: counted as one', async (t) => {
  const startFail = { seq: 1, op: 'start_0', name: 'start', intervalMs: 0, rc: 1, status: 'done', at: 999_000, message: "start on web-0 returned 'generic error' (1)" };
  const obs = up({ state: 'failed', failed: startFail, failures: [startFail] });
  const fatal = planInnerReplica(input(specOf(OPS), obs));
  t.equal(fatal.failcount, FAILCOUNT_INFINITY);
  t.strictSame(kinds(fatal), ['stop'], 'stopped (cleaned up), never started again here');
  t.match(fatal.reports.join('\n'), /its start failed \(start-failure-is-fatal\)/);
  const lenient = planInnerReplica(input(specOf(OPS + `<meta_attributes id="pm"><nvpair id="pm-1" name="start-failure-is-fatal" value="false"/></meta_attributes>`), obs));
  t.equal(lenient.failcount, 1);
  t.strictSame(kinds(lenient), ['stop', 'start', 'monitor 10000']);
});

t.test('on-fail: ignore, block, stop, fence', async (t) => {
  const withOnFail = (v: string) => specOf(`<operations><op id="m" name="monitor" interval="10s" on-fail="${v}"/></operations>`);
  const obs = up({ state: 'failed', failed: monitorFailure(1), failures: [monitorFailure(1)], monitor: 'monitor_10000' });
  const ignore = planInnerReplica(input(withOnFail('ignore'), obs));
  t.notOk(ignore.chain, 'ignore: nothing done');
  t.equal(ignore.failcount, 0, 'ignored failures do not count toward migration-threshold');
  t.notOk(planInnerReplica(input(withOnFail('block'), obs)).chain, 'block: nothing done');
  const stop = planInnerReplica(input(withOnFail('stop'), obs));
  t.strictSame(kinds(stop), ['stop']);
  const ledger = { [stop.ledger[0].key]: stop.ledger[0].record! };
  const after = planInnerReplica(input(withOnFail('stop'), up({ state: 'stopped', failures: [monitorFailure(1)] }), ledger));
  t.notOk(after.chain, 'on-fail=stop: stays stopped while the failure is recorded');
  t.match(after.reports.join('\n'), /on-fail=stop.*resource cleanup web-d/);
  t.strictSame(kinds(planInnerReplica(input(withOnFail('fence'), obs))), ['fence'], 'fence: the guest is fenced by recovering its container');
  t.strictSame(kinds(planInnerReplica(input(specOf(OPS), up({ state: 'failed', failed: { ...monitorFailure(1), op: 'stop_0', name: 'stop', intervalMs: 0 }, failures: [] })))), ['fence'], 'a failed stop fences by default (stonith-enabled)');
});

t.test('promoted roles: start then promote, demote before stop, monitors per role', async (t) => {
  const spec = specOf(`<operations><op id="m1" name="monitor" interval="10s" role="Promoted"/><op id="m2" name="monitor" interval="11s" role="Unpromoted"/></operations>`, '', 'promoted-max="1"');
  t.strictSame(kinds(planInnerReplica(input(spec, up({ state: 'stopped' }), {}, { goal: 'Promoted' }))), ['start', 'promote', 'monitor 10000']);
  t.strictSame(kinds(planInnerReplica(input(spec, up({ state: 'stopped' }), {}, { goal: 'Unpromoted' }))), ['start', 'monitor 11000']);
  t.strictSame(kinds(planInnerReplica(input(spec, up({ state: 'started', monitor: 'monitor_11000' }), {}, { goal: 'Promoted' }))), ['promote', 'monitor 10000']);
  t.strictSame(kinds(planInnerReplica(input(spec, up({ state: 'promoted', monitor: 'monitor_10000' }), {}, { goal: 'Unpromoted' }))), ['demote', 'monitor 11000']);
  t.strictSame(kinds(planInnerReplica(input(spec, up({ state: 'promoted', monitor: 'monitor_10000' }), {}, { goal: 'Stopped' }))), ['demote', 'stop']);
  const stop = stopBeforeContainer({ bundle: 'web', index: 0, replica: 'web-0', container: C, spec, observed: up({ state: 'promoted' }), params: () => ({}), why: 'is removed' });
  t.strictSame(stop?.steps.map((s) => s.kind), ['demote', 'stop']);
  t.equal(stop?.before, true);
  t.notOk(stopBeforeContainer({ bundle: 'web', index: 0, replica: 'web-0', container: C, spec, observed: up({ state: 'stopped' }), params: () => ({}), why: 'stops' }), 'nothing runs: nothing to stop');
});
