// An agent whose lease record cannot be written (its place taken: a full disk alone no longer
// does it, test/agent/restart-disk-full.ts) keeps its lease and says so once, not with every
// heartbeat (3 lines a second on a node short of space), and once more when the record is written
// again; meanwhile its heartbeats say why, and `berth cluster status` shows it under the node.
import t from 'tap';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { startAgent } from '../../src/agent/daemon';
import { LEASE_FILE } from '../../src/agent/lease-record';
import { signedHandler } from '../../src/agent/signed-http';
import { HEARTBEAT_PATH, parseHeartbeat } from '../../src/cluster/controller-server';
import type { Heartbeat } from '../../src/cluster/liveness';
import { formatClusterStatus } from '../../src/cli/cluster-runtime-commands';
import type { ClusterStatusAnswer } from '../../src/cluster/controller-client';
import { nodeFiles } from '../../src/controller/node-files';
import { fakeNode } from '../helpers/fake-nodes';
import { sleep, until } from '../helpers/wait';

const LEASE = { leaseMs: 2000, heartbeatMs: 100, fenceMarginMs: 600 };

t.test('a lease record that cannot be written: the lease holds, said once, and once when written again', { timeout: 30_000 }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-lease-unrecorded-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const key = randomBytes(256);
  let grants = 0;
  let last: Heartbeat | undefined;
  const server = http.createServer(signedHandler({ key, log: () => {}, routes: { [HEARTBEAT_PATH]: async (body) => { grants++; last = parseHeartbeat(body); return { granted: true, ...LEASE, cluster: 'c1' }; } } }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => { server.closeAllConnections(); server.close(); });
  const node = fakeNode('n1');
  const log: string[] = [];
  const agent = await startAgent({
    node: 'n1', listen: { host: '127.0.0.1', port: 0 }, controllers: [`http://127.0.0.1:${(server.address() as AddressInfo).port}`], key, stateDir: dir,
    engine: node.deps.engine, addresses: node.deps.addresses, files: nodeFiles(dir), log: (l) => log.push(l),
  });
  t.teardown(() => agent.stop());
  await until('the agent holds a lease', () => (agent.state() === 'leased' ? true : undefined), 5000, 10);
  // The record's place taken by a directory: every write of it fails, as on a full disk.
  const record = path.join(dir, LEASE_FILE);
  rmSync(record, { force: true });
  mkdirSync(record);
  const from = grants;
  await sleep(1000);
  t.ok(grants - from >= 5, `${grants - from} heartbeats granted meanwhile`);
  t.equal(agent.state(), 'leased', 'the lease holds');
  t.equal(log.filter((l) => l.startsWith('cannot record the lease')).length, 1, 'said once');
  t.match(log.find((l) => l.startsWith('cannot record the lease')), /a restart of this agent would find an older lease and join empty \(stop them\).*make .*agent-lease\.json writable/);
  t.match(last?.leaseUnrecorded, /EISDIR|is a directory/, 'the heartbeat says why');
  const shown = formatClusterStatus('http://c1', { leading: false, nodes: [{ name: 'n1', liveness: 'alive', url: agent.url, lostBy: null, ...(last?.leaseUnrecorded ? { leaseUnrecorded: last.leaseUnrecorded } : {}) }] } as ClusterStatusAnswer);
  t.match(shown, /\n    its agent cannot record its lease \(.*is a directory.*\): it keeps its replicas, but a restart of it would stop them; make its state directory writable/, 'cluster status shows it under the node');
  rmSync(record, { recursive: true });
  await until('the record is written again', () => (log.some((l) => /lease is recorded .* again/.test(l)) ? true : undefined), 5000, 10);
  await sleep(300);
  t.equal(log.filter((l) => l.startsWith('cannot record the lease')).length, 1, 'and not again');
  t.equal(last?.leaseUnrecorded, undefined, 'the heartbeat no longer says it');
});
