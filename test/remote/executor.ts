// RemoteExecutor against the real pacemaker-remoted 2.1.5 on loopback: the handshake and each way
// it fails, ocf:pacemaker:Dummy through start, a recurring monitor's change, cancel and stop, an
// operation's timeout, ocf:pacemaker:Stateful's promotion score through the IPC proxy, and a
// killed executor. One pacemaker-remoted at a time (see test/helpers/remoted.ts).
import t from 'tap';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { BerthError, type ProblemCode } from '../../src/errors/registry';
import { RemoteExecutor, type ConnectOptions } from '../../src/remote/executor';
import { actionParams, type ExecRequest, type OpResult } from '../../src/remote/messages';
import { EXEC } from '../../src/remote/results';
import type { AttributeUpdate } from '../../src/remote/proxy';
import { freePort, REMOTED, startRemoted, type Remoted } from '../helpers/remoted';
import { until } from '../helpers/wait';

const NODE = 'db-bundle-0';

if (!fs.existsSync(REMOTED)) t.fail(`${REMOTED} is not installed (scripts/setup.sh installs pacemaker-remote)`);

/** The code of the BerthError a promise rejects with. */
async function codeOf(p: Promise<unknown>): Promise<ProblemCode | string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return e instanceof BerthError ? e.problems[0].code : `not a BerthError: ${String(e)}`;
  }
}

/** An operation with the CRM_meta_* the cluster passes, as the reconciler will send it. */
function op(action: string, intervalMs: number, timeoutMs: number, params: Record<string, string>): ExecRequest {
  return { action, intervalMs, timeoutMs, params: { ...params, ...actionParams({ node: NODE, action, intervalMs, timeoutMs }) } };
}

const pick = (r: OpResult) => ({ action: r.action, rc: r.rc, rcName: r.rcName, status: r.statusName });

t.test('pacemaker-remoted', async (t) => {
  const dir = t.testdir({});
  const remoted: Remoted = await startRemoted(dir);
  t.teardown(() => remoted.kill());
  const opts = (over: Partial<ConnectOptions> = {}): ConnectOptions => ({ host: '127.0.0.1', port: remoted.port, key: remoted.key, nodeName: NODE, timeoutMs: 5000, ...over });

  t.test('the handshake and its failures', async (t) => {
    const ex = await RemoteExecutor.connect(opts());
    t.equal(ex.peerVersion, '1.1', 'signed on; the executor speaks protocol 1.1');
    await ex.poke();
    ex.close();

    const silent = net.createServer(() => { /* accepts, never speaks TLS */ });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const babbler = net.createServer((s) => s.end('hello, this is not TLS\n'));
    await new Promise<void>((r) => babbler.listen(0, '127.0.0.1', r));
    t.teardown(() => { silent.close(); babbler.close(); });
    const cases: { name: string; over: Partial<ConnectOptions>; code: ProblemCode }[] = [
      { name: 'another key', over: { key: randomBytes(256) }, code: 'REMOTE_KEY_REFUSED' },
      { name: 'a 4096-byte key (dd bs=4096)', over: { key: randomBytes(4096) }, code: 'REMOTE_KEY_INVALID' },
      { name: 'an empty key', over: { key: Buffer.alloc(0) }, code: 'REMOTE_KEY_INVALID' },
      { name: 'nothing listening', over: { port: await freePort() }, code: 'REMOTE_UNREACHABLE' },
      { name: 'a listener that never answers', over: { port: (silent.address() as net.AddressInfo).port, timeoutMs: 500 }, code: 'REMOTE_TIMEOUT' },
      { name: 'a listener that is not TLS', over: { port: (babbler.address() as net.AddressInfo).port }, code: 'REMOTE_PROTOCOL' },
    ];
    for (const c of cases) t.equal(await codeOf(RemoteExecutor.connect(opts(c.over))), c.code, c.name);
  });

  t.test('ocf:pacemaker:Dummy: start, a recurring monitor notices a change, cancel, stop', async (t) => {
    const ex = await RemoteExecutor.connect(opts());
    t.teardown(() => ex.close());
    const state = path.join(dir, 'dummy.state');
    const params = { state };
    await ex.registerResource({ id: 'dummy', class: 'ocf', provider: 'pacemaker', type: 'Dummy' });
    t.same(await ex.resourceInfo('dummy'), { id: 'dummy', class: 'ocf', provider: 'pacemaker', type: 'Dummy' }, 'registered');
    t.equal(await ex.resourceInfo('nothing'), undefined, 'an unknown resource has no info');
    t.equal(await codeOf(ex.exec('nothing', op('start', 0, 5000, {}))), 'REMOTE_REFUSED', 'an operation of an unregistered resource is refused');

    t.same(pick(await ex.exec('dummy', op('start', 0, 5000, params))), { action: 'start', rc: 0, rcName: 'ok', status: 'done' }, 'started');
    t.ok(fs.existsSync(state), 'the agent made its state file');

    const changes: OpResult[] = [];
    const first = await ex.exec('dummy', op('monitor', 1000, 5000, params), (r) => changes.push(r));
    t.same(pick(first), { action: 'monitor', rc: 0, rcName: 'ok', status: 'done' }, 'the first monitor result');
    t.same(await ex.recurringOps('dummy'), [{ rscId: 'dummy', action: 'monitor', intervalMs: 1000, timeoutMs: 5000 }], 'the executor runs it');
    await new Promise((r) => setTimeout(r, 1300));
    t.equal(changes.length, 0, 'an unchanged result is not reported again');

    fs.rmSync(state);
    await until('the monitor to report the change', () => changes.length > 0 || undefined, 5000, 50);
    t.same(pick(changes[0]), { action: 'monitor', rc: 7, rcName: 'not running', status: 'done' }, 'the change: not running');

    await ex.cancel('dummy', 'monitor', 1000);
    await until('the cancellation', () => changes.length > 1 || undefined, 5000, 50);
    t.equal(changes[1].status, EXEC.CANCELLED, 'the last result is the cancellation');
    t.same(await ex.recurringOps('dummy'), [], 'no recurring operation left');
    t.equal(await codeOf(ex.cancel('dummy', 'monitor', 1000)), 'REMOTE_REFUSED', 'cancelling it again is refused');

    t.same(pick(await ex.exec('dummy', op('stop', 0, 5000, params))), { action: 'stop', rc: 0, rcName: 'ok', status: 'done' }, 'stopped');
    await ex.unregisterResource('dummy');
    t.equal(await ex.resourceInfo('dummy'), undefined, 'unregistered');
  });

  t.test('an operation that outlives its timeout', async (t) => {
    const ex = await RemoteExecutor.connect(opts());
    t.teardown(() => ex.close());
    await ex.registerResource({ id: 'slow', class: 'ocf', provider: 'pacemaker', type: 'Dummy' });
    const r = await ex.exec('slow', op('start', 0, 1000, { state: path.join(dir, 'slow.state'), op_sleep: '5' }));
    t.same({ status: r.status, statusName: r.statusName }, { status: EXEC.TIMEOUT, statusName: 'timed out' }, 'the executor reports a timeout');
  });

  t.test('ocf:pacemaker:Stateful: promotion scores reach berth through the IPC proxy', async (t) => {
    const ex = await RemoteExecutor.connect(opts());
    t.teardown(() => ex.close());
    const updates: AttributeUpdate[] = [];
    ex.onAttribute((u) => updates.push(u));
    const params = { state: path.join(dir, 'stateful.state') };
    await ex.registerResource({ id: 'db', class: 'ocf', provider: 'pacemaker', type: 'Stateful' });

    t.same(pick(await ex.exec('db', op('start', 0, 10_000, params))), { action: 'start', rc: 0, rcName: 'ok', status: 'done' }, 'started unpromoted');
    t.same(updates.map((u) => [u.node, u.name, u.value]), [[NODE, 'master-db', '5']], 'crm_attribute --promotion -v 5 reached berth');

    const promote = await ex.exec('db', op('promote', 0, 10_000, params));
    t.same(pick(promote), { action: 'promote', rc: 0, rcName: 'ok', status: 'done' }, 'promoted: crm_attribute inside succeeded');
    t.same(updates.at(-1), { node: NODE, name: 'master-db', value: '10', task: 'update' }, 'the promoted score, 10');

    t.same(pick(await ex.exec('db', op('monitor', 0, 10_000, params))), { action: 'monitor', rc: 8, rcName: 'running promoted', status: 'done' }, 'a promoted monitor: rc 8');

    t.same(pick(await ex.exec('db', op('demote', 0, 10_000, params))), { action: 'demote', rc: 0, rcName: 'ok', status: 'done' }, 'demoted');

    // crm_attribute itself, as an agent runs it: through pacemaker-remoted's IPC to berth and back
    const env = { ...process.env, OCF_RESOURCE_INSTANCE: 'db', OCF_RESKEY_CRM_meta_on_node: NODE };
    // (asynchronously: berth answers the IPC in this process while crm_attribute waits)
    const crmAttribute = (args: string[]) => new Promise<{ status: number; stderr: string }>((resolve) =>
      execFile('crm_attribute', args, { env, timeout: 10_000 }, (e, _out, stderr) => resolve({ status: e ? Number(e.code ?? -1) : 0, stderr })));
    t.same(await crmAttribute(['--promotion', '-v', '7']), { status: 0, stderr: '' }, 'crm_attribute --promotion -v 7 exits 0');
    const other = await crmAttribute(['-N', 'another-node', '-n', 'x', '-v', '1', '-l', 'reboot']);
    t.same({ status: other.status, said: /Could not map name=another-node/.test(other.stderr) }, { status: 105, said: true }, `a node that is not this guest node is refused: ${other.stderr.trim()}`);

    t.same(pick(await ex.exec('db', op('stop', 0, 10_000, params))), { action: 'stop', rc: 0, rcName: 'ok', status: 'done' }, 'stopped');
    t.same(updates.map((u) => [u.name, u.value ?? null]), [
      ['master-db', '5'], // start
      ['master-db', '10'], // promote
      ['master-db', '10'], // a probe (monitor, interval 0) restores the score
      ['master-db', '5'], // demote
      ['master-db', '7'], // crm_attribute by hand
      ['master-db', null], // stop: crm_attribute --promotion -D
    ], 'every score update, in order; the stop removes it');
  });

  t.test('a killed executor is noticed at once', async (t) => {
    const ex = await RemoteExecutor.connect(opts({ keepaliveMs: 0 }));
    const closed = new Promise<{ code: string; ms: number }>((resolve) => {
      const start = Date.now();
      ex.onClose((why) => resolve({ code: why.code, ms: Date.now() - start }));
    });
    await remoted.kill('SIGKILL');
    const c = await closed;
    t.equal(c.code, 'REMOTE_DISCONNECTED', 'close event: disconnected');
    t.ok(c.ms < 2000, `within 2 s (${c.ms} ms)`);
    t.equal(await codeOf(ex.poke()), 'REMOTE_DISCONNECTED', 'a request after it is refused at once');
  });
});
