// An agent restarted while its state directory is full (a small tmpfs filled to ENOSPC, as the
// chaos run's disk-full fault does): the lease record is still written (in place, lease-record.ts),
// so the new start finds the lease that holds and keeps the node's replicas; a start that finds
// the lease ended stops them (fencing: the cluster may have placed them elsewhere) and says why.
import t from 'tap';
import type { Test } from 'tap';
import http from 'node:http';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { startAgent } from '../../src/agent/daemon';
import { LEASE_FILE, readLeaseRecord } from '../../src/agent/lease-record';
import { signedHandler } from '../../src/agent/signed-http';
import { HEARTBEAT_PATH } from '../../src/cluster/controller-server';
import { nodeFiles } from '../../src/controller/node-files';
import { BERTH_LABELS } from '../../src/runtime/engine';
import { monotonicMs } from '../../src/cluster/monotonic-clock';
import { fakeNode } from '../helpers/fake-nodes';
import { sleep, until } from '../helpers/wait';

const LEASE = { leaseMs: 2000, heartbeatMs: 100, fenceMarginMs: 600 };

/** A 1 MiB tmpfs of its own, unmounted at teardown. */
function smallDisk(t: Test): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-disk-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0755', 'tmpfs', dir]);
  t.teardown(() => { execFileSync('umount', ['-l', dir]); rmSync(dir, { recursive: true, force: true }); });
  return dir;
}

/** Writes a file into `dir` until the disk is full; asserts that a new file cannot be made. */
function fill(t: Test, dir: string): void {
  const chunk = Buffer.alloc(4096, 1);
  try {
    for (;;) appendFileSync(path.join(dir, 'filler'), chunk);
  } catch (e) {
    t.equal((e as NodeJS.ErrnoException).code, 'ENOSPC', 'the state directory is full');
  }
  t.throws(() => writeFileSync(path.join(dir, 'probe'), 'x'.repeat(8192)), { code: 'ENOSPC' }, 'nothing new can be written');
}

async function controllerStub(t: Test, key: Buffer, grant: () => boolean): Promise<string> {
  const server = http.createServer(signedHandler({ key, log: () => {}, routes: { [HEARTBEAT_PATH]: async () => (grant() ? { granted: true, ...LEASE, cluster: 'c1' } : { granted: false, ...LEASE }) } }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => { server.closeAllConnections(); server.close(); });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function replica(node: ReturnType<typeof fakeNode>, name: string): Promise<void> {
  const [bundle, index] = [name.slice(0, name.lastIndexOf('-')), name.slice(name.lastIndexOf('-') + 1)];
  const id = await node.deps.engine.create({ name, Image: 'berth-test/httpd:1', Labels: { [BERTH_LABELS.cluster]: 'c1', [BERTH_LABELS.bundle]: bundle, [BERTH_LABELS.replica]: index, [BERTH_LABELS.node]: 'n1' } });
  await node.deps.engine.start(id);
}

/** A node on a small disk, a controller that grants its heartbeats while `grant(true)`, and agent
 * starts on them, each logging into the list it is given. */
async function rig(t: Test) {
  const dir = smallDisk(t);
  const key = randomBytes(256);
  let granting = true;
  const controller = await controllerStub(t, key, () => granting);
  const node = fakeNode('n1');
  const start = (log: string[]) => startAgent({
    node: 'n1', listen: { host: '127.0.0.1', port: 0 }, controllers: [controller], key, stateDir: dir,
    engine: node.deps.engine, addresses: node.deps.addresses, files: nodeFiles(dir), log: (l) => log.push(l),
  });
  return { dir, node, start, grant: (on: boolean) => { granting = on; } };
}

t.test('restarted on a full state directory within the lease: the replicas are kept', { timeout: 60_000 }, async (t) => {
  const { dir, node, start, grant } = await rig(t);
  await replica(node, 'web-0');
  await replica(node, 'web-1');
  const firstLog: string[] = [];
  const first = await start(firstLog);
  await until('the first start holds a lease', () => (first.state() === 'leased' ? true : undefined), 5000, 10);
  const recordFile = path.join(dir, LEASE_FILE);
  const mine = readLeaseRecord(recordFile)!.incarnation;

  fill(t, dir);
  // Heartbeats go on for longer than a lease: the record is rewritten, though nothing new can be
  // written (a record left as it was before the disk filled would have ended by now).
  const before = readLeaseRecord(recordFile)!.until;
  await sleep(LEASE.leaseMs + 500);
  const after = readLeaseRecord(recordFile)!;
  t.ok(after.until > before, `the record moves on with the lease on a full disk (${after.until - before} ms)`);
  t.notOk(firstLog.some((l) => l.startsWith('cannot record the lease')), 'nothing says the lease cannot be recorded');

  // The agent dies (its last record is the last granted heartbeat's) and starts again at once.
  await first.stop();
  const secondLog: string[] = [];
  const second = await start(secondLog);
  t.teardown(() => second.stop());
  t.equal(second.state(), 'leased', 'the new start holds the recorded lease');
  t.match(secondLog, [/the lease recorded before this start still holds for \d+ ms: keeping this node's replicas/]);
  t.strictSame([...node.containers.values()].map((c) => [c.name, c.state]).sort(), [['web-0', 'running'], ['web-1', 'running']], 'the replicas run on');
  await until('the new start records itself', () => { const r = readLeaseRecord(recordFile); return r && r.incarnation !== mine ? true : undefined; }, 5000, 10);
  t.ok(readLeaseRecord(recordFile)!.until > monotonicMs(), 'and its lease, on the full disk');

  // No grant any more: the lease ends and the node fences itself, as always.
  grant(false);
  await until('the node fences itself', () => (second.state() === 'fenced' ? true : undefined), 5000, 10);
  t.strictSame([...node.containers.values()], [], 'the replicas are gone at the lease\'s end');
  t.equal(readLeaseRecord(recordFile)!.until, 0, 'the record says no lease');
});

t.test('restarted after the recorded lease ended: the replicas are stopped, and the log says why', { timeout: 60_000 }, async (t) => {
  const { dir, node, start, grant } = await rig(t);
  const first = await start([]);
  await until('the first start holds a lease', () => (first.state() === 'leased' ? true : undefined), 5000, 10);
  fill(t, dir);
  grant(false);
  await first.stop(); // recorded as it stops: the lease it held
  await replica(node, 'web-0'); // still running when the agent comes back (no guard in this test)
  await sleep(LEASE.leaseMs + 200);
  const log: string[] = [];
  const second = await start(log);
  t.teardown(() => second.stop());
  t.match(log, [/joining empty: the lease recorded in .*agent-lease\.json ended \d+ ms ago: the cluster may have placed this node's replicas elsewhere, so they are stopped here \(fencing\)/]);
  t.strictSame([...node.containers.values()], [], 'the replica is stopped and removed');
});
