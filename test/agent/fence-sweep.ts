// The fence sweep and a container the engine cannot remove (issue 17): the sweep goes on with the
// others, the container is at least not running (killed again if the failed removal left it
// running), and the log says so. The real engine's case is in test/e2e/stuck-removal.ts.
import t from 'tap';
import { fenceSweep } from '../../src/agent/fence-sweep';
import { ContainerDetails, EngineError, ObservedContainer } from '../../src/runtime/engine';
import { BERTH_LABELS } from '../../src/runtime/labels';

function world(stuck: string, leftRunning: boolean) {
  const containers = new Map<string, { name: string; running: boolean }>([['a', { name: 'web-0', running: true }], ['b', { name: stuck, running: true }]]);
  const calls: string[] = [];
  const labels = { [BERTH_LABELS.node]: 'n1', [BERTH_LABELS.cluster]: 'c1', [BERTH_LABELS.bundle]: 'web' };
  const listed = (id: string): ObservedContainer => {
    const c = containers.get(id)!;
    return { id, name: c.name, image: 'i', state: c.running ? 'running' : 'dead', health: 'none', status: '', labels, bundle: 'web', node: 'n1', cluster: 'c1', created: 0 };
  };
  const engine = {
    listContainers: async () => [...containers.keys()].map(listed),
    inspect: async (id: string) => (containers.has(id) ? ({ ...listed(id), running: containers.get(id)!.running } as unknown as ContainerDetails) : undefined),
    stop: async (id: string) => { calls.push(`stop ${containers.get(id)?.name}`); containers.get(id)!.running = false; },
    remove: async (id: string) => {
      const c = containers.get(id)!;
      calls.push(`remove ${c.name}`);
      if (c.name === stuck) {
        c.running = leftRunning;
        throw new EngineError('failed', 'remove', id, 'driver "overlay2" failed to remove root filesystem: device or resource busy');
      }
      containers.delete(id);
    },
  };
  const log: string[] = [];
  const sweep = () => fenceSweep({ node: 'n1', cluster: 'c1', engine, addresses: { list: async () => [], remove: async () => {} }, log: (l) => log.push(l), now: () => 0 }, 'self-fence');
  return { containers, calls, log, sweep };
}

t.test('a container that cannot be removed is left not running, and the log says so', async (t) => {
  const w = world('db-1', false);
  await w.sweep();
  t.strictSame([...w.containers.values()], [{ name: 'db-1', running: false }], 'web-0 removed, db-1 left, not running');
  t.match(w.log.join('\n'), /self-fence: cannot remove db-1: .*device or resource busy; it does not run \(dead\)/);
  t.match(w.log.at(-1), /; 1 container removed after \d+ ms, 1 could not be \(above\)$/);
});

t.test('one the failed removal left running is killed again', async (t) => {
  const w = world('db-1', true);
  await w.sweep();
  t.strictSame([...w.containers.values()], [{ name: 'db-1', running: false }]);
  t.ok(w.calls.lastIndexOf('stop db-1') > w.calls.indexOf('remove db-1'), 'stopped after the failed removal');
  t.match(w.log.join('\n'), /cannot remove db-1: .*; it does not run/);
});
