// applyPlan against a fake engine that records every call and fails where told: an error on one
// replica does not stop the others, and what a failed chain made is undone (nothing half-made).
// The real engine proves the same end to end (test/e2e/s8-bad-input.ts).
import t from 'tap';
import { ApplyEngine, applyPlan } from '../../src/controller/apply';
import type { NodeFiles } from '../../src/controller/node-files';
import { computePlan } from '../../src/reconcile/plan';
import type { AddressTable, HostAddressSpec } from '../../src/runtime/addresses';
import { ContainerDetails, ContainerSpec, EngineError } from '../../src/runtime/engine';
import { T0, bundle, cib, desiredOf, observedOf } from '../reconcile/scenario-kit';

function fakes(fail: { create?: string[]; start?: string[]; remove?: string[] } = {}) {
  const calls: string[] = [];
  const containers = new Map<string, { name: string; running: boolean }>();
  let n = 0;
  const engine: ApplyEngine = {
    ping: async () => {},
    listContainers: async () => [],
    // Enough of an inspect for a replace whose old container cannot be removed.
    inspect: async (id) => { const c = containers.get(id); return c ? ({ id, name: c.name, running: c.running, state: c.running ? 'running' : 'dead', raw: { GraphDriver: { Data: { MergedDir: `/var/lib/docker/overlay2/layer-${id}/merged` } } } } as unknown as ContainerDetails) : undefined; },
    create: async (spec: ContainerSpec) => {
      calls.push(`create ${spec.name}`);
      if (fail.create?.includes(spec.name)) throw new EngineError('not-found', 'create', spec.name, 'No such image');
      // As Docker: one engine holds a name once.
      if ([...containers.values()].some((c) => c.name === spec.name)) throw new EngineError('conflict', 'create', spec.name, `Conflict. The container name "/${spec.name}" is already in use`, 409);
      const id = `id${++n}`;
      containers.set(id, { name: spec.name, running: false });
      return id;
    },
    start: async (id) => {
      const c = containers.get(id);
      calls.push(`start ${c?.name ?? id}`);
      if (c && fail.start?.includes(c.name)) throw new EngineError('failed', 'start', id, 'port is already allocated');
      if (c) c.running = true;
    },
    stop: async (id) => { calls.push(`stop ${containers.get(id)?.name ?? id}`); const c = containers.get(id); if (c) c.running = false; },
    remove: async (id) => {
      const c = containers.get(id);
      calls.push(`remove ${c?.name ?? id}`);
      // As Docker's EBUSY: a force removal kills it, and then cannot remove its filesystem.
      if (c && fail.remove?.includes(c.name)) { c.running = false; throw new EngineError('failed', 'remove', id, 'driver "overlay2" failed to remove root filesystem: device or resource busy'); }
      containers.delete(id);
    },
    rename: async (id, name) => {
      calls.push(`rename ${containers.get(id)?.name} ${name}`);
      if ([...containers.entries()].some(([k, c]) => k !== id && c.name === name)) throw new EngineError('conflict', 'rename', id, `Conflict. The container name "/${name}" is already in use`, 409);
      const c = containers.get(id);
      if (c) c.name = name;
    },
    events: () => ({ [Symbol.asyncIterator]: async function* () {} }),
  };
  const held = new Set<string>();
  const addresses: AddressTable = {
    list: async () => [],
    add: async (a: HostAddressSpec) => { calls.push(`add ${a.ip}`); held.add(a.ip); },
    remove: async (a: HostAddressSpec) => { calls.push(`del ${a.ip}`); held.delete(a.ip); },
  };
  const written = new Map<string, string>();
  const files: NodeFiles = {
    stateDir: '/state', read: async (f) => written.get(f) ?? null, readMany: async (fs) => fs.map((f) => written.get(f) ?? null), write: async (f, c) => { written.set(f, c); }, ensureDir: async () => {},
    readLedger: async () => ({}), writeLedger: async () => {},
  };
  return { engine, addresses, files, calls, containers, held };
}

t.test('an engine error on one replica does not stop the others; its chain is undone', async (t) => {
  const desired = desiredOf(cib(bundle()));
  const plan = computePlan(desired, observedOf(desired, [], { files: {} }), T0);
  const f = fakes({ start: ['httpd-bundle-1'], create: ['httpd-bundle-2'] });
  const r = await applyPlan(plan, f, { ledger: {}, cluster: 'c-test' });
  t.match(r.problems, [{ code: 'ENGINE_FAILED' }, { code: 'ENGINE_FAILED' }]);
  t.strictSame([...f.containers.values()].map((c) => [c.name, c.running]), [['httpd-bundle-0', true]], 'only replica 0 exists, running');
  t.strictSame([...f.held], ['127.0.1.131'], 'the addresses of the failed replicas are removed again');
  t.ok(f.calls.includes('remove httpd-bundle-1'), 'the container that did not start is removed');
  t.strictSame(r.outcomes.filter((o) => !o.ok).map((o) => [o.action, o.replica]).sort(), [['create', 'httpd-bundle-1'], ['create', 'httpd-bundle-2']]);
  // Per replica, the address comes before the container.
  t.ok(f.calls.indexOf('add 127.0.1.131') < f.calls.indexOf('create httpd-bundle-0'));
});

t.test('replace: the new container is made before the old one stops; a failure leaves the old one', async (t) => {
  const desired = desiredOf(cib(bundle({ replicas: 1, image: 'berth-test/httpd:2' })));
  const observed = observedOf(desired, [{ replica: 'httpd-bundle-0', spec: 'berth-test/httpd:1', id: 'old' }]);
  const plan = computePlan(desired, observed, T0);
  t.equal(plan.replace.length, 1);

  const ok = fakes();
  ok.containers.set('old', { name: 'httpd-bundle-0', running: true });
  t.strictSame((await applyPlan(plan, ok, { ledger: {}, cluster: 'c-test' })).problems, []);
  t.strictSame(ok.calls, ['create httpd-bundle-0.next', 'stop httpd-bundle-0', 'start httpd-bundle-0.next', 'remove httpd-bundle-0', 'rename httpd-bundle-0.next httpd-bundle-0']);
  t.strictSame([...ok.containers.values()], [{ name: 'httpd-bundle-0', running: true }]);

  const noImage = fakes({ create: ['httpd-bundle-0.next'] });
  noImage.containers.set('old', { name: 'httpd-bundle-0', running: true });
  t.match((await applyPlan(plan, noImage, { ledger: {}, cluster: 'c-test' })).problems, [{ code: 'ENGINE_FAILED' }]);
  t.strictSame(noImage.calls, ['create httpd-bundle-0.next'], 'the old replica is not touched');

  const noStart = fakes({ start: ['httpd-bundle-0.next'] });
  noStart.containers.set('old', { name: 'httpd-bundle-0', running: true });
  t.match((await applyPlan(plan, noStart, { ledger: {}, cluster: 'c-test' })).problems, [{ code: 'ENGINE_FAILED' }]);
  t.strictSame(noStart.calls, ['create httpd-bundle-0.next', 'stop httpd-bundle-0', 'start httpd-bundle-0.next', 'start httpd-bundle-0', 'remove httpd-bundle-0.next']);
  t.strictSame([...noStart.containers.values()], [{ name: 'httpd-bundle-0', running: true }], 'the old replica runs again, the new one is gone');
});

t.test('replace of a stopped replica: the old container is removed before the new one starts (it may hold its ports)', async (t) => {
  const desired = desiredOf(cib(bundle({ replicas: 1, image: 'berth-test/httpd:2' })));
  const observed = observedOf(desired, [{ replica: 'httpd-bundle-0', spec: 'berth-test/httpd:1', id: 'old', state: 'exited' }]);
  const plan = computePlan(desired, observed, T0);
  t.match(plan.replace, [{ containerId: 'old', running: false }]);

  // An engine that, like Docker after a restart, refuses to start a container whose port a
  // stopped container of the same address still holds.
  const f = fakes();
  f.containers.set('old', { name: 'httpd-bundle-0', running: false });
  const start = f.engine.start;
  f.engine.start = async (id) => {
    if (f.containers.has('old') && id !== 'old') throw new EngineError('failed', 'start', id, 'Bind for 127.0.1.131:80 failed: port is already allocated');
    return start(id);
  };
  t.strictSame((await applyPlan(plan, f, { ledger: {}, cluster: 'c-test' })).problems, []);
  t.strictSame(f.calls, ['add 127.0.1.131', 'create httpd-bundle-0.next', 'remove httpd-bundle-0', 'start httpd-bundle-0.next', 'rename httpd-bundle-0.next httpd-bundle-0']);
  t.strictSame([...f.containers.values()], [{ name: 'httpd-bundle-0', running: true }]);

  // The new one does not start: no container is left for the replica (the next pass creates it).
  // Its address, held from before, stays for that pass: kept if the replica is placed here again,
  // swept (and the replica held elsewhere until it is gone) if not.
  const desiredHeld = desiredOf(cib(bundle({ replicas: 1, image: 'berth-test/httpd:2' })));
  const heldPlan = computePlan(desiredHeld, observedOf(desiredHeld, [{ replica: 'httpd-bundle-0', spec: 'berth-test/httpd:1', id: 'old', state: 'exited' }], { addresses: [{ ip: '127.0.1.131', prefix: 32, interface: 'lo', label: 'lo:berth' }] }), T0);
  t.strictSame(heldPlan.addAddress, [], 'the address is on the host already');
  const noStart = fakes({ start: ['httpd-bundle-0.next'] });
  noStart.containers.set('old', { name: 'httpd-bundle-0', running: false });
  noStart.held.add('127.0.1.131');
  noStart.addresses.list = async () => [...noStart.held].map((ip) => ({ ip, prefix: 32, interface: 'lo', label: 'lo:berth' }));
  t.match((await applyPlan(heldPlan, noStart, { ledger: {}, cluster: 'c-test' })).problems, [{ code: 'ENGINE_FAILED' }]);
  t.strictSame(noStart.calls, ['create httpd-bundle-0.next', 'remove httpd-bundle-0', 'start httpd-bundle-0.next', 'remove httpd-bundle-0.next']);
  t.strictSame([...noStart.containers.values()], []);
  const leftover = { addresses: [{ ip: '127.0.1.131', prefix: 32, interface: 'lo', label: 'lo:berth' }] };
  t.match(computePlan(desiredHeld, observedOf(desiredHeld, [], leftover), T0), { create: [{ replica: 'httpd-bundle-0' }], addAddress: [], removeAddress: [] }, 'placed here again: the address is kept for the new container');
  const elsewhere = desiredOf(cib(bundle({ replicas: 1, image: 'berth-test/httpd:2' })), 'node1', ['node1', 'node2'], [{ bundle: 'httpd-bundle', index: 0, node: 'node2' }]);
  const sweep = computePlan(elsewhere, observedOf(elsewhere, [], leftover), T0);
  t.match(sweep, { create: [], removeAddress: [{ replica: 'httpd-bundle-0', address: { ip: '127.0.1.131' }, sweep: true }] }, 'placed elsewhere: the next pass removes it');
  t.strictSame((await applyPlan(sweep, noStart, { ledger: {}, cluster: 'c-test' })).problems, []);
  t.strictSame([...noStart.held], [], 'no address is left on the host');
});

t.test('scale in: stop before remove, then the address; the data directories are not touched', async (t) => {
  const desired = desiredOf(cib(bundle({ replicas: 1 })));
  const observed = observedOf(desired, [{ replica: 'httpd-bundle-0' }, { replica: 'httpd-bundle-1', spec: 'old', id: 'c1', address: '127.0.1.132/32@lo' }]);
  const plan = computePlan(desired, observed, T0);
  const f = fakes();
  f.containers.set('c1', { name: 'httpd-bundle-1', running: true });
  f.held.add('127.0.1.132');
  await applyPlan(plan, f, { ledger: {}, cluster: 'c-test' });
  t.strictSame(f.calls, ['stop httpd-bundle-1', 'remove httpd-bundle-1', 'del 127.0.1.132']);
});

t.test('a converged plan makes no call at all', async (t) => {
  const desired = desiredOf(cib(bundle()));
  const observed = observedOf(desired, desired.replicas.map((r) => ({ replica: r.name })));
  const f = fakes();
  const r = await applyPlan(computePlan(desired, observed, T0), f, { ledger: {}, cluster: 'c-test' });
  t.strictSame(f.calls, []);
  t.strictSame(r.outcomes, []);
});

t.test('replace of a container stuck in removal: the replica runs as .next, the old one stays, CONTAINER_NOT_REMOVABLE', async (t) => {
  const desired = desiredOf(cib(bundle({ replicas: 1, perHost: 1 })));
  const observed = observedOf(desired, [{ replica: 'httpd-bundle-0', id: 'old', state: 'dead', run: { running: false } }]);
  const plan = computePlan(desired, observed, T0);
  t.strictSame(plan.replace.map((a) => [a.containerId, a.running]), [['old', false]]);

  const f = fakes({ remove: ['httpd-bundle-0'] });
  f.containers.set('old', { name: 'httpd-bundle-0', running: false });
  const r = await applyPlan(plan, f, { ledger: {}, cluster: 'c-test' });
  t.match(r.problems, [{ code: 'CONTAINER_NOT_REMOVABLE', path: 'httpd-bundle-0', value: 'old' }]);
  t.match(r.problems[0]?.message, /container httpd-bundle-0 \(old\) is dead .*device or resource busy.*runs as httpd-bundle-0\.next meanwhile.*grep layer-old \/proc\/\*\/mountinfo/, 'says what holds it, and where to look');
  t.ok(r.outcomes.every((o) => o.ok), 'the replace itself went through');
  t.strictSame(f.calls.filter((c) => !c.startsWith('add ')), ['create httpd-bundle-0.next', 'remove httpd-bundle-0', 'start httpd-bundle-0.next']);
  t.strictSame([...f.containers.values()], [{ name: 'httpd-bundle-0', running: false }, { name: 'httpd-bundle-0.next', running: true }], 'no rename while the old one holds the name');
});

t.test('replace: an old container that cannot be removed and RUNS is never run beside: the new one goes', async (t) => {
  const desired = desiredOf(cib(bundle({ replicas: 1, perHost: 1 })));
  const plan = computePlan(desired, observedOf(desired, [{ replica: 'httpd-bundle-0', id: 'old', state: 'dead', run: { running: false } }]), T0);
  const f = fakes({ remove: ['httpd-bundle-0'] });
  f.containers.set('old', { name: 'httpd-bundle-0', running: false });
  // Started again behind berth's back between the plan and the removal, which does not kill it.
  f.engine.remove = async (id) => { f.calls.push(`remove ${f.containers.get(id)?.name}`); if (id === 'old') { f.containers.get(id)!.running = true; throw new EngineError('failed', 'remove', id, 'device or resource busy'); } f.containers.delete(id); };
  const r = await applyPlan(plan, f, { ledger: {}, cluster: 'c-test' });
  t.match(r.problems, [{ code: 'ENGINE_FAILED' }]);
  t.strictSame([...f.containers.values()], [{ name: 'httpd-bundle-0', running: true }], 'the new container is removed, never started');
  t.notOk(f.calls.includes('start httpd-bundle-0.next'));
});

t.test('the retried removal of a stuck container and the rename of .next run in one chain; a failure skips the rename', async (t) => {
  const desired = desiredOf(cib(bundle({ replicas: 1, perHost: 1 })));
  const seen = [
    { replica: 'httpd-bundle-0', id: 'old', state: 'dead' as const, run: { running: false }, ledger: { removal: { attempts: 1, lastAt: T0 - 60_000 } } },
    { replica: 'httpd-bundle-0', id: 'new', name: 'httpd-bundle-0.next' },
  ];
  const plan = computePlan(desired, observedOf(desired, seen), T0);
  t.strictSame(plan.remove.map((a) => [a.containerId, a.stuck]), [['old', true]]);
  t.strictSame(plan.rename.map((a) => [a.containerId, a.to]), [['new', 'httpd-bundle-0']]);
  for (const stillStuck of [true, false]) {
    const f = fakes(stillStuck ? { remove: ['httpd-bundle-0'] } : {});
    f.containers.set('old', { name: 'httpd-bundle-0', running: false });
    f.containers.set('new', { name: 'httpd-bundle-0.next', running: true });
    const r = await applyPlan(plan, f, { ledger: {}, cluster: 'c-test' });
    t.strictSame(f.calls.filter((c) => !c.startsWith('add ')), stillStuck ? ['remove httpd-bundle-0'] : ['remove httpd-bundle-0', 'rename httpd-bundle-0.next httpd-bundle-0'], 'no graceful stop of a stuck container');
    t.strictSame([...f.containers.values()].map((c) => c.name), stillStuck ? ['httpd-bundle-0', 'httpd-bundle-0.next'] : ['httpd-bundle-0']);
    t.equal(r.problems.length, stillStuck ? 1 : 0);
  }
});

// The chaos run's seed 1210 (forced faults): `db-0` stuck in removal, the replica running as
// `db-0.next`, which a later fault stopped. Its replace created `db-0`, a name the stuck container
// holds: "Conflict ... already in use" at every pass, and the replica never ran again.
t.test('a replace never makes a container under a name another container holds (a stuck one holds the replica\'s name)', async (t) => {
  const desired = desiredOf(cib(bundle({ replicas: 1, perHost: 1 })));
  const stuck = { replica: 'httpd-bundle-0', id: 'old', state: 'dead' as const, run: { running: false }, ledger: { removal: { attempts: 1, lastAt: T0 - 1_000 } } };
  for (const running of [false, true]) {
    // `.next` on an old spec (an image change): replaced, stopped or running.
    const next = { replica: 'httpd-bundle-0', id: 'nx', name: 'httpd-bundle-0.next', spec: 'old', state: running ? ('running' as const) : ('exited' as const) };
    const plan = computePlan(desired, observedOf(desired, [stuck, next]), T0);
    t.strictSame(plan.replace.map((a) => [a.containerId, a.as, a.takeName]), [['nx', 'httpd-bundle-0.next', false]], `${running ? 'running' : 'stopped'}: the new container takes the old one's name`);
    const f = fakes({ remove: ['httpd-bundle-0'] });
    f.containers.set('old', { name: 'httpd-bundle-0', running: false });
    f.containers.set('nx', { name: 'httpd-bundle-0.next', running });
    const r = await applyPlan(plan, f, { ledger: {}, cluster: 'c-test' });
    t.strictSame(r.problems, [], 'no conflict');
    t.strictSame(f.calls.filter((c) => !c.startsWith('add ')), ['stop httpd-bundle-0.next', 'remove httpd-bundle-0.next', 'create httpd-bundle-0.next', 'start httpd-bundle-0.next'], 'the old one goes first');
    t.strictSame([...f.containers.values()], [{ name: 'httpd-bundle-0', running: false }, { name: 'httpd-bundle-0.next', running: true }]);
  }
});

t.test('a replace of a .next whose stuck predecessor is gone makes the replica\'s own name at once', async (t) => {
  const desired = desiredOf(cib(bundle({ replicas: 1, perHost: 1 })));
  const plan = computePlan(desired, observedOf(desired, [{ replica: 'httpd-bundle-0', id: 'nx', name: 'httpd-bundle-0.next', spec: 'old', state: 'running' }]), T0);
  t.strictSame(plan.replace.map((a) => [a.containerId, a.as, a.takeName]), [['nx', 'httpd-bundle-0', false]]);
  const f = fakes();
  f.containers.set('nx', { name: 'httpd-bundle-0.next', running: true });
  const r = await applyPlan(plan, f, { ledger: {}, cluster: 'c-test' });
  t.strictSame(r.problems, []);
  t.strictSame(f.calls.filter((c) => !c.startsWith('add ')), ['create httpd-bundle-0', 'stop httpd-bundle-0.next', 'start httpd-bundle-0', 'remove httpd-bundle-0.next'], 'made first, no rename');
  t.strictSame([...f.containers.values()], [{ name: 'httpd-bundle-0', running: true }]);
});

t.test('a rolling replace: made as .next beside the old one, and takes the name once the old one is gone', async (t) => {
  const desired = desiredOf(cib(bundle({ replicas: 1, perHost: 1 })));
  const plan = computePlan(desired, observedOf(desired, [{ replica: 'httpd-bundle-0', id: 'old', spec: 'old', state: 'running' }]), T0);
  t.strictSame(plan.replace.map((a) => [a.containerId, a.as, a.takeName]), [['old', 'httpd-bundle-0.next', true]]);
  const f = fakes();
  f.containers.set('old', { name: 'httpd-bundle-0', running: true });
  await applyPlan(plan, f, { ledger: {}, cluster: 'c-test' });
  t.strictSame(f.calls.filter((c) => !c.startsWith('add ')), ['create httpd-bundle-0.next', 'stop httpd-bundle-0', 'start httpd-bundle-0.next', 'remove httpd-bundle-0', 'rename httpd-bundle-0.next httpd-bundle-0']);
  t.strictSame([...f.containers.values()], [{ name: 'httpd-bundle-0', running: true }]);
});

t.test('an engine that cannot rename: the old container goes first and the new one takes the replica\'s name at once', async (t) => {
  const desired = desiredOf(cib(bundle({ replicas: 1, perHost: 1 })));
  const plan = computePlan(desired, observedOf(desired, [{ replica: 'httpd-bundle-0', id: 'old', spec: 'old', state: 'running' }]), T0);
  t.strictSame(plan.replace.map((a) => [a.as, a.takeName]), [['httpd-bundle-0.next', true]]);
  const f = fakes();
  delete f.engine.rename;
  f.containers.set('old', { name: 'httpd-bundle-0', running: true });
  const r = await applyPlan(plan, f, { ledger: {}, cluster: 'c-test' });
  t.strictSame(r.problems, []);
  t.strictSame(f.calls.filter((c) => !c.startsWith('add ')), ['stop httpd-bundle-0', 'remove httpd-bundle-0', 'create httpd-bundle-0', 'start httpd-bundle-0']);
  t.strictSame([...f.containers.values()], [{ name: 'httpd-bundle-0', running: true }], 'never left as .next, which it could not rename');
});
