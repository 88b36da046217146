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
import type { ExecRequest, OpResult } from '../../src/remote/messages';
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

/** An operation with the CRM_meta_* a cluster passes for a guest node on host node1 (src/model/inner.ts opParams makes them for berth). */
const op = (action: string, intervalMs: number, timeoutMs: number, params: Record<string, string>, meta: Record<string, string> = {}): ExecRequest => ({
  action, intervalMs, timeoutMs,
  params: { ...params, crm_feature_set: '3.16.2', CRM_meta_name: action, CRM_meta_interval: String(intervalMs), CRM_meta_timeout: String(timeoutMs), CRM_meta_on_node: NODE, CRM_meta_on_node_uuid: NODE, CRM_meta_physical_host: 'node1', ...meta },
});

const pick = (r: OpResult) => ({ action: r.action, rc: r.rc, rcName: r.rcName, status: r.statusName });

t.test('pacemaker-remoted', async (t) => {
  const dir = t.testdir({});
  const remoted: Remoted = await startRemoted(dir);
  t.teardown(() => remoted.kill());
  const opts = (over: Partial<ConnectOptions> = {}): ConnectOptions => ({ host: '127.0.0.1', port: remoted.port, key: remoted.key, nodeName: NODE, timeoutMs: 5000, ...over });

  t.test('the handshake and its failures', async (t) => {
    const ex = await RemoteExecutor.connect(opts());
    t.same({ version: ex.peerVersion, cipher: ex.cipher }, { version: '1.1', cipher: 'DHE-PSK-AES256-GCM-SHA384' }, 'signed on: protocol 1.1, TLS with DHE-PSK');
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

  t.test('a new connection after the last one closed: resources stay registered, recurring ops are gone', async (t) => {
    const first = await RemoteExecutor.connect(opts());
    const params = { state: path.join(dir, 'again.state') };
    await first.registerResource({ id: 'again', class: 'ocf', provider: 'pacemaker', type: 'Dummy' });
    await first.exec('again', op('start', 0, 5000, params));
    await first.exec('again', op('monitor', 1000, 5000, params));
    first.close();
    // The executor drops them when its last client goes: a connection made before it saw the first
    // one go keeps them, until that one goes too (fails by timing out if they are never dropped).
    const second = await until('a connection that finds the monitor dropped', async () => {
      const ex = await RemoteExecutor.connect(opts());
      if ((await ex.recurringOps()).length === 0) return ex;
      ex.close();
      return undefined;
    }, 5000, 100);
    t.teardown(() => second.close());
    t.same(await second.resourceInfo('again'), { id: 'again', class: 'ocf', provider: 'pacemaker', type: 'Dummy' }, 'still registered, its monitor dropped (registered with drop-recurring)');
    t.same(pick(await second.exec('again', op('stop', 0, 5000, params))), { action: 'stop', rc: 0, rcName: 'ok', status: 'done' }, 'stopped through the new connection');
  });

  t.test('an operation that outlives its timeout', async (t) => {
    const ex = await RemoteExecutor.connect(opts());
    t.teardown(() => ex.close());
    await ex.registerResource({ id: 'slow', class: 'ocf', provider: 'pacemaker', type: 'Dummy' });
    const r = await ex.exec('slow', op('start', 0, 1000, { state: path.join(dir, 'slow.state'), op_sleep: '5' }));
    t.same({ status: r.status, statusName: r.statusName }, { status: EXEC.TIMEOUT, statusName: 'timed out' }, 'the executor reports a timeout');
  });

  t.test('ocf:pacemaker:Stateful: promotion scores reach berth through the IPC proxy', async (t) => {
    const ex = await RemoteExecutor.connect(opts({ hostNode: 'node1' }));
    t.teardown(() => ex.close());
    const updates: AttributeUpdate[] = [];
    ex.onAttribute((u) => updates.push(u));
    const envfile = path.join(dir, 'stateful.env');
    const params = { state: path.join(dir, 'stateful.state'), envfile };
    await ex.registerResource({ id: 'db', class: 'ocf', provider: 'pacemaker', type: 'Stateful' });

    t.same(pick(await ex.exec('db', op('start', 0, 10_000, params))), { action: 'start', rc: 0, rcName: 'ok', status: 'done' }, 'started unpromoted');
    t.same(updates.map((u) => [u.node, u.name, u.value]), [[NODE, 'master-db', '5']], 'crm_attribute --promotion -v 5 reached berth');

    const promote = await ex.exec('db', op('promote', 0, 10_000, params, { CRM_meta_clone: '0', CRM_meta_clone_max: '3', CRM_meta_promoted_max: '1', CRM_meta_master_max: '1' }));
    t.same(pick(promote), { action: 'promote', rc: 0, rcName: 'ok', status: 'done' }, 'promoted: crm_attribute inside succeeded');
    t.same(updates.at(-1), { node: NODE, name: 'master-db', value: '10', task: 'update' }, 'the promoted score, 10');
    t.same(ex.nodeAttributes(), { [NODE]: { 'master-db': '10' } }, 'the state: the guest node has master-db=10');
    // The agent's environment at promote (Stateful's envfile): the parameters, as the executor exports them
    const promoteEnv = fs.readFileSync(envfile, 'utf8').split('### promote @').at(-1)!;
    const seen = Object.fromEntries(promoteEnv.split('\n').filter((l) => /^OCF_RESKEY_(CRM_meta_(on_node|interval|timeout|name|clone|clone_max|promoted_max|master_max|physical_host)|crm_feature_set|state)=/.test(l)).map((l) => l.split('=', 2)));
    t.same(seen, {
      OCF_RESKEY_CRM_meta_clone: '0', OCF_RESKEY_CRM_meta_clone_max: '3', OCF_RESKEY_CRM_meta_interval: '0', OCF_RESKEY_CRM_meta_master_max: '1',
      OCF_RESKEY_CRM_meta_name: 'promote', OCF_RESKEY_CRM_meta_on_node: NODE, OCF_RESKEY_CRM_meta_promoted_max: '1', OCF_RESKEY_CRM_meta_timeout: '10000', OCF_RESKEY_CRM_meta_physical_host: 'node1',
      OCF_RESKEY_crm_feature_set: '3.16.2', OCF_RESKEY_state: params.state,
    }, 'the agent saw every parameter as OCF_RESKEY_*');

    t.same(pick(await ex.exec('db', op('monitor', 0, 10_000, params))), { action: 'monitor', rc: 8, rcName: 'running promoted', status: 'done' }, 'a promoted monitor: rc 8');

    t.same(pick(await ex.exec('db', op('demote', 0, 10_000, params))), { action: 'demote', rc: 0, rcName: 'ok', status: 'done' }, 'demoted');

    // crm_attribute itself, as an agent runs it: through pacemaker-remoted's IPC to berth and back
    const env = { ...process.env, OCF_RESOURCE_INSTANCE: 'db', OCF_RESKEY_CRM_meta_on_node: NODE };
    // (asynchronously: berth answers the IPC in this process while crm_attribute waits)
    const run = (tool: string, args: string[]) => new Promise<{ status: number; stderr: string }>((resolve) =>
      execFile(tool, args, { env, timeout: 10_000 }, (e, _out, stderr) => resolve({ status: e ? Number(e.code ?? -1) : 0, stderr })));
    t.same(await run('crm_attribute', ['--promotion', '-v', '7']), { status: 0, stderr: '' }, 'crm_attribute --promotion -v 7 exits 0');
    t.same(await run('crm_master', ['-l', 'reboot', '-v', '3']), { status: 0, stderr: '' }, 'crm_master -l reboot -v 3 (ocf_promotion_score on older feature sets) exits 0');
    const forever = await run('crm_master', ['-v', '4']);
    t.same({ status: forever.status, denied: /Permission denied/.test(forever.stderr) }, { status: 4, denied: true }, `crm_master without -l reboot would write the CIB's nodes section: refused: ${forever.stderr.trim()}`);
    t.same(await run('attrd_updater', ['-n', 'pingd', '-U', '100']), { status: 0, stderr: '' }, 'attrd_updater -n pingd -U 100 (as ocf:pacemaker:ping) exits 0');
    // Agents that honour container-attribute-target=host (galera, rabbitmq-cluster, redis) name the
    // node themselves: crm_attribute -N "$(ocf_attribute_target)", the physical host
    const onHost = await run('crm_attribute', ['-N', 'node1', '-n', 'site', '-v', 'a', '-l', 'reboot']);
    t.same(onHost, { status: 0, stderr: '' }, 'crm_attribute -N <host node> (container-attribute-target=host): exits 0');
    const other = await run('crm_attribute', ['-N', 'another-node', '-n', 'x', '-v', '1', '-l', 'reboot']);
    t.same({ status: other.status, said: /Could not map name=another-node/.test(other.stderr) }, { status: 105, said: true }, `a node that is not this guest node is refused: ${other.stderr.trim()}`);

    t.same(pick(await ex.exec('db', op('stop', 0, 10_000, params))), { action: 'stop', rc: 0, rcName: 'ok', status: 'done' }, 'stopped');
    t.same(updates.filter((u) => u.name === 'pingd' || u.name === 'site'), [
      { node: NODE, name: 'pingd', value: '100', task: 'update' },
      { node: 'node1', name: 'site', value: 'a', task: 'update' },
    ], 'the ping attribute for the guest node, the host-targeted one for the host');
    t.same(updates.filter((u) => u.name === 'master-db').map((u) => [u.name, u.value ?? null]), [
      ['master-db', '5'], // start
      ['master-db', '10'], // promote
      ['master-db', '10'], // a probe (monitor, interval 0) restores the score
      ['master-db', '5'], // demote
      ['master-db', '7'], // crm_attribute by hand
      ['master-db', '3'], // crm_master -l reboot
      ['master-db', null], // stop: crm_attribute --promotion -D
    ], 'every score update, in order; the stop removes it');
    t.same(ex.nodeAttributes(), { [NODE]: { pingd: '100' }, node1: { site: 'a' } }, 'the state: no score left, the other attributes stay');
  });

  t.test('an executor that stops answering is noticed by the keepalive', async (t) => {
    const ex = await RemoteExecutor.connect(opts({ keepaliveMs: 200, timeoutMs: 400 }));
    const closed = new Promise<{ code: string; ms: number }>((resolve) => {
      const start = Date.now();
      ex.onClose((why) => resolve({ code: why.code, ms: Date.now() - start }));
    });
    process.kill(remoted.proc.pid!, 'SIGSTOP');
    try {
      const c = await closed;
      t.equal(c.code, 'REMOTE_TIMEOUT', 'close event: timed out');
      t.ok(c.ms < 3000, `within a keepalive and a timeout, 600 ms, with room for a loaded machine (${c.ms} ms)`);
    } finally {
      process.kill(remoted.proc.pid!, 'SIGCONT');
    }
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
  // after the suite's executor is gone: a second one would clash with its IPC names
  t.test('a stopping executor (SIGTERM, docker stop) exits at once, and berth hears why', async (t) => {
    const own = await startRemoted(t.testdir({}));
    t.teardown(() => own.kill());
    const ex = await RemoteExecutor.connect(opts({ port: own.port, key: own.key, keepaliveMs: 0 }));
    const closed = new Promise<{ code: string; message: string }>((resolve) => ex.onClose((why) => resolve({ code: why.code, message: why.message })));
    const start = Date.now();
    process.kill(own.proc.pid!, 'SIGTERM');
    const c = await closed;
    t.same(c, { code: 'REMOTE_DISCONNECTED', message: `the executor at 127.0.0.1:${own.port} stopped (it was sent SIGTERM)` }, 'close event names the stop');
    t.ok(Date.now() - start < 2000, 'at once: 2.1.5 does not wait for the cluster to stop resources');
  });
});
