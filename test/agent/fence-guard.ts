// The fence guard's decisions (src/agent/fence-guard.ts guardStep) and the guard itself on an
// in-memory node: it fences when its agent is gone and the recorded lease has reached its fence
// moment, waits while it has not, and gives way to a newer agent start.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { EventEmitter } from 'node:events';
import { GuardStep, guardStep, runFenceGuard } from '../../src/agent/fence-guard';
import { LEASE_FILE, LeaseRecord, bootId, readLeaseRecord, writeLeaseRecord } from '../../src/agent/lease-record';
import { monotonicMs } from '../../src/cluster/monotonic-clock';
import { fakeNode } from '../helpers/fake-nodes';

const rec = (incarnation: string, until: number): LeaseRecord => ({ until, boot: 'b', incarnation, cluster: 'c1' });

t.test('guardStep', async (t) => {
  const rows: { name: string; record: LeaseRecord | undefined; agentGone: boolean; want: GuardStep }[] = [
    { name: 'agent alive, its lease held', record: rec('mine', 2000), agentGone: false, want: 'watch' },
    { name: 'agent alive, lease ended (it fences itself)', record: rec('mine', 500), agentGone: false, want: 'watch' },
    { name: 'agent gone, lease still before its fence moment', record: rec('mine', 1500), agentGone: true, want: 'watch' },
    { name: 'agent gone, fence moment reached', record: rec('mine', 1000), agentGone: true, want: 'fence' },
    { name: 'agent gone, no lease (0)', record: rec('mine', 0), agentGone: true, want: 'fence' },
    { name: 'agent gone, no record', record: undefined, agentGone: true, want: 'fence' },
    { name: 'the previous start\'s record, not yet replaced', record: rec('prev', 1500), agentGone: false, want: 'watch' },
    { name: 'the previous start\'s record, agent gone at its end', record: rec('prev', 900), agentGone: true, want: 'fence' },
    { name: 'a newer start holds the lease', record: rec('newer', 3000), agentGone: true, want: 'exit-taken-over' },
    { name: 'a newer start joined empty', record: rec('newer', 0), agentGone: false, want: 'exit-taken-over' },
  ];
  for (const r of rows) t.equal(guardStep({ record: r.record, mine: 'mine', previous: 'prev', agentGone: r.agentGone, now: 1000 }), r.want, r.name);
});

t.test('lease record: another boot holds no lease', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-lease-rec-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, LEASE_FILE);
  writeLeaseRecord(file, { until: 12345, boot: bootId(), incarnation: 'a1', cluster: 'c1' });
  t.same(readLeaseRecord(file), { until: 12345, boot: bootId(), incarnation: 'a1', cluster: 'c1' }, 'this boot: as written');
  t.same(readLeaseRecord(file, 'another-boot'), { until: 0, boot: 'another-boot', incarnation: 'a1', cluster: 'c1' }, 'another boot: until 0');
});

async function guardWorld(t: { teardown: (f: () => void) => void }, untilIn: number, failingLists = 0) {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-guard-unit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, LEASE_FILE);
  const node = fakeNode('n1');
  const labels = (cluster: string) => ({ 'berth.bundle': 'web', 'berth.replica': '0', 'berth.node': 'n1', 'berth.cluster': cluster });
  for (const cluster of ['c1', 'c2']) {
    const id = await node.deps.engine.create({ name: `web-0-${cluster}`, Image: 'x', Labels: labels(cluster) });
    await node.deps.engine.start(id);
  }
  writeLeaseRecord(file, { until: monotonicMs() + untilIn, boot: bootId(), incarnation: 'mine', cluster: 'c1' });
  const input = new PassThrough();
  const log: string[] = [];
  const running = () => [...node.containers.values()].filter((c) => c.state === 'running').map((c) => c.name).sort();
  // Filtered by labels, as the engine filters them (the in-memory engine lists everything).
  let fails = failingLists;
  const engine = { ...node.deps.engine, listContainers: async (f: { labels?: Record<string, string> }) => { if (fails > 0) { fails--; throw new Error('engine down'); } return node.deps.engine.listContainers(f); } };
  const filtered = { ...engine, listContainers: async (f: { labels?: Record<string, string> }) => (await engine.listContainers(f)).filter((c) => Object.entries(f.labels ?? {}).every(([k, v]) => c.labels[k] === v)) };
  const done = runFenceGuard({ node: 'n1', stateDir: dir, engine: filtered, addresses: node.deps.addresses, input, log: (l) => log.push(l), now: monotonicMs, pollMs: 5, signals: new EventEmitter() });
  input.write('mine\n');
  return { file, input, log, running, done };
}

t.test('the agent gone: the guard fences its cluster\'s replicas at the fence moment, not before', async (t) => {
  const w = await guardWorld(t, 300);
  await new Promise((r) => setTimeout(r, 100));
  const goneAt = monotonicMs();
  w.input.end();
  await new Promise((r) => setTimeout(r, 100));
  t.same(w.running(), ['web-0-c1', 'web-0-c2'], 'nothing killed before the fence moment');
  t.equal(await w.done, 0, 'the guard exits 0');
  t.ok(monotonicMs() - goneAt >= 180, 'it waited for the fence moment');
  t.same(w.running(), ['web-0-c2'], "its cluster's replica killed, another cluster's left");
  t.match(w.log.join('\n'), /fence guard \(the agent died holding a lease\): killed 1 replica/);
});

t.test('a newer start records itself: the guard exits and touches nothing', async (t) => {
  const w = await guardWorld(t, 300);
  await new Promise((r) => setTimeout(r, 50));
  w.input.end();
  writeLeaseRecord(w.file, { until: monotonicMs() + 2000, boot: bootId(), incarnation: 'newer', cluster: 'c1' });
  t.equal(await w.done, 0, 'the guard exits 0');
  await new Promise((r) => setTimeout(r, 400));
  t.same(w.running(), ['web-0-c1', 'web-0-c2'], 'nothing killed');
  t.match(w.log.join('\n'), /agent start newer holds the node now: this guard exits/);
});

t.test('an engine that fails at the fence moment is asked again', async (t) => {
  const w = await guardWorld(t, 0, 2);
  w.input.end();
  t.equal(await w.done, 0, 'the guard exits 0');
  t.same(w.running(), ['web-0-c2'], "its cluster's replica killed on the third try");
  t.match(w.log.join('\n'), /the fence failed: engine down; retrying/);
});
