// The agent counts its lease on the monotonic clock: a step of the wall clock (Date.now) forward
// or back, right when heartbeats stop being granted, does not change when the agent fences
// itself (1.4 s after its last granted heartbeat was sent: lease 2 s less the 600 ms margin).
// Before, a step forward of 55 s fenced it at once and a step back made it fence 55 s late.
import t from 'tap';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { startAgent } from '../../src/agent/daemon';
import { signedHandler } from '../../src/agent/signed-http';
import { HEARTBEAT_PATH } from '../../src/cluster/controller-server';
import { nodeFiles } from '../../src/controller/node-files';
import { fakeNode } from '../helpers/fake-nodes';
import { until } from '../helpers/wait';

const LEASE = { leaseMs: 2000, heartbeatMs: 100, fenceMarginMs: 600 };

for (const [name, stepMs] of [['no step', 0], ['a step forward of 55 s', 55_000], ['a step back of 55 s', -55_000]] as const) {
  t.test(`${name} when heartbeats stop: the agent fences 1.3-1.4 s later all the same`, { timeout: 30_000 }, async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'berth-lease-clock-'));
    const realNow = Date.now;
    t.teardown(() => { Date.now = realNow; rmSync(dir, { recursive: true, force: true }); });
    const key = randomBytes(256);
    let granting = true;
    let lastGrant = 0;
    const server = http.createServer(signedHandler({
      key, log: () => {},
      routes: { [HEARTBEAT_PATH]: async () => { if (granting) lastGrant = performance.now(); return { granted: granting, ...LEASE, cluster: 'c1' }; } },
    }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.teardown(() => { server.closeAllConnections(); server.close(); });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const node = fakeNode('n1');
    const log: string[] = [];
    const agent = await startAgent({
      node: 'n1', listen: { host: '127.0.0.1', port: 0 }, controllers: [url], key, stateDir: dir,
      engine: node.deps.engine, addresses: node.deps.addresses, files: nodeFiles(dir), log: (l) => log.push(l),
    });
    t.teardown(() => agent.stop());
    await until('the agent holds a lease', () => (agent.state() === 'leased' ? true : undefined), 5000, 10);
    await new Promise((r) => setTimeout(r, 500));

    granting = false;
    const stoppedAt = performance.now();
    // The step: every later Date.now() in this process (the agent's and the controller's side of
    // the request signature alike) is off by stepMs.
    Date.now = () => realNow() + stepMs;
    const fencedAfter = await until('the agent fences itself', () => (agent.state() === 'fenced' ? performance.now() - stoppedAt : undefined), 10_000, 5);
    const afterLastGrant = stoppedAt + fencedAfter - lastGrant;
    // The last grant was for a heartbeat sent at most 100 ms (one period) before the stop.
    t.ok(afterLastGrant >= 1300 && afterLastGrant <= 1650, `fenced ${Math.round(afterLastGrant)} ms after the last grant (${Math.round(fencedAfter)} ms after the stop)`);
    t.match(log.join('\n'), /no heartbeat granted for 1[34]\d\d ms: fencing this node/, 'the agent says how long it went without a grant, on the monotonic clock');
  });
}
