// nodeEngines routes each call to the right engine: creates by the spec's berth.container label
// and podman's presence, everything else to the engine that holds the container; listings and
// events cover both engines. Two recording fakes stand for Docker and podman.
import t from 'tap';
import { BERTH_LABELS, ContainerDetails, ContainerEngine, ContainerSpec, EngineError, EngineEvent, ObservedContainer } from '../../src/runtime/engine';
import { nodeEngines, podmanSocketOf, PODMAN_SOCKET, wantedEngine } from '../../src/runtime/node-engines';

interface Fake extends ContainerEngine {
  calls: string[];
  containers: Map<string, ObservedContainer>;
  emit(e: EngineEvent): void;
  endEvents(): void;
}

function fake(prefix: string): Fake {
  const containers = new Map<string, ObservedContainer>();
  const calls: string[] = [];
  let n = 0;
  const listeners = new Set<{ push: (e: EngineEvent) => void; end: () => void }>();
  const find = (ref: string) => containers.get(ref) ?? [...containers.values()].find((c) => c.name === ref);
  return {
    calls,
    containers,
    emit: (e) => { for (const l of listeners) l.push(e); },
    endEvents: () => { for (const l of listeners) l.end(); },
    ping: async () => {},
    listContainers: async () => { calls.push('list'); return [...containers.values()]; },
    inspect: async (ref) => { calls.push(`inspect ${ref}`); const c = find(ref); return c ? ({ ...c } as ContainerDetails) : undefined; },
    create: async (spec) => {
      const id = `${prefix}${++n}`;
      calls.push(`create ${spec.name}`);
      containers.set(id, { id, name: spec.name, image: spec.Image, state: 'created', health: 'none', status: 'Created', labels: spec.Labels ?? {}, bundle: spec.Labels?.[BERTH_LABELS.bundle] ?? '', created: 0 });
      return id;
    },
    start: async (ref) => { calls.push(`start ${ref}`); },
    stop: async (ref) => { calls.push(`stop ${ref}`); },
    remove: async (ref) => { calls.push(`remove ${ref}`); const c = find(ref); if (c) containers.delete(c.id); },
    rename: async (ref, name) => { calls.push(`rename ${ref} ${name}`); const c = find(ref); if (c) c.name = name; },
    events: (_f, signal) => ({
      [Symbol.asyncIterator]: async function* () {
        const queue: EngineEvent[] = [];
        let ended = false;
        let wake: (() => void) | undefined;
        const l = { push: (e: EngineEvent) => { queue.push(e); wake?.(); }, end: () => { ended = true; wake?.(); } };
        listeners.add(l);
        signal.addEventListener('abort', l.end, { once: true });
        try {
          while (true) {
            while (queue.length) yield queue.shift()!;
            if (ended) return;
            await new Promise<void>((r) => (wake = r));
          }
        } finally {
          listeners.delete(l);
        }
      },
    }),
  };
}

const spec = (name: string, container?: 'podman'): ContainerSpec => ({
  name,
  Image: 'berth-test/httpd:1',
  Labels: { [BERTH_LABELS.bundle]: name.replace(/-\d+$/, ''), ...(container ? { [BERTH_LABELS.container]: container } : {}) },
});

function setup(present = true) {
  const docker = fake('d');
  const podman = fake('p');
  const state = { present };
  const engine = nodeEngines({ docker, podman: { engine: podman, present: () => state.present } });
  return { docker, podman, state, engine };
}

t.test('the podman socket setting', async (t) => {
  const cases: [string | undefined, string | undefined][] = [
    [undefined, PODMAN_SOCKET],
    ['', PODMAN_SOCKET],
    ['off', undefined],
    ['/tmp/p.sock', '/tmp/p.sock'],
    ['unix:///tmp/p.sock', '/tmp/p.sock'],
  ];
  for (const [setting, want] of cases) t.equal(podmanSocketOf(setting), want, String(setting));
  t.equal(wantedEngine(spec('a-0', 'podman')), 'podman');
  t.equal(wantedEngine(spec('a-0')), 'docker');
});

t.test('creates: a <podman> bundle on podman when it is present, else on Docker; <docker> always on Docker', async (t) => {
  const { docker, podman, state, engine } = setup();
  t.equal(await engine.create(spec('p-0', 'podman')), 'p1');
  t.equal(await engine.create(spec('d-0')), 'd1');
  state.present = false;
  t.equal(await engine.create(spec('p-1', 'podman')), 'd2');
  t.same(docker.calls, ['create d-0', 'create p-1']);
  t.same(podman.calls, ['create p-0']);
  t.same(await engine.kinds!(), ['docker']);
  state.present = true;
  t.same(await engine.kinds!(), ['docker', 'podman']);
});

t.test('listings cover both engines, each container tagged with its engine; podman absent: Docker only', async (t) => {
  const { podman, state, engine } = setup();
  await engine.create(spec('p-0', 'podman'));
  await engine.create(spec('d-0'));
  const listed = await engine.listContainers({});
  t.same(listed.map((c) => [c.name, c.engine]).sort(), [['d-0', 'docker'], ['p-0', 'podman']]);
  // podman's socket goes while p-0 runs there: not taken for gone (a second copy on Docker)
  state.present = false;
  await t.rejects(engine.listContainers({}), { name: 'EngineError', kind: 'unreachable', message: /podman's API socket is gone/ });
  state.present = true;
  t.same((await engine.listContainers({})).length, 2, 'podman back: listed again');
  // p-0 removed behind berth's back: podman holds nothing of this node any more
  podman.containers.clear();
  await engine.listContainers({});
  state.present = false;
  t.same((await engine.listContainers({})).map((c) => [c.name, c.engine]), [['d-0', 'docker']]);
  // a process that never saw podman hold a replica: Docker only
  const fresh = setup(false);
  await fresh.docker.create(spec('d-1'));
  t.same((await fresh.engine.listContainers({})).map((c) => [c.name, c.engine]), [['d-1', 'docker']]);
});

t.test('podman set to the Docker socket: each container listed once, on Docker', async (t) => {
  const docker = fake('d');
  const engine = nodeEngines({ docker, podman: { engine: docker, present: () => true } });
  await docker.create(spec('d-0'));
  t.same((await engine.listContainers({})).map((c) => [c.name, c.engine]), [['d-0', 'docker']]);
});

t.test('every other call goes to the engine that holds the container', async (t) => {
  const { docker, podman, engine } = setup();
  const p = await engine.create(spec('p-0', 'podman'));
  const d = await engine.create(spec('d-0'));
  await engine.start(p);
  await engine.stop(d, 3);
  await engine.rename!(p, 'p-0.x');
  await engine.remove(d, { force: true });
  t.same(podman.calls, ['create p-0', `start ${p}`, `rename ${p} p-0.x`]);
  t.same(docker.calls, ['create d-0', `stop ${d}`, `remove ${d}`]);
});

t.test('a container this process has not seen: found by inspecting Docker, then podman', async (t) => {
  const { docker, podman, engine } = setup();
  podman.containers.set('px', { id: 'px', name: 'x-0', image: 'i', state: 'running', health: 'none', status: 'Up', labels: {}, bundle: 'x', created: 0 });
  await engine.stop('px');
  t.same(docker.calls, ['inspect px']);
  t.same(podman.calls, ['inspect px', 'stop px']);
  // unknown to both: Docker (removing a missing container is not an error)
  await engine.remove('nothing');
  t.same(docker.calls.slice(-1), ['remove nothing']);
});

t.test('podman gone: nothing is sent to it', async (t) => {
  const { podman, state, engine } = setup();
  const p = await engine.create(spec('p-0', 'podman'));
  state.present = false;
  await engine.start(p);
  t.same(podman.calls, ['create p-0']);
});

t.test('rename on an engine without it is an EngineError', async (t) => {
  const docker = fake('d');
  delete (docker as Partial<Fake>).rename;
  const engine = nodeEngines({ docker });
  const e = await engine.rename!('x', 'y').then(() => undefined, (e: unknown) => e);
  t.ok(e instanceof EngineError);
  t.match(e, { kind: 'failed', operation: 'rename', target: 'x' });
});

const event = (id: string): EngineEvent => ({ action: 'start', id, attributes: {}, time: 0 });

/** Follows the node's events, then each fake emits one (d1, p1); `done` when the stream ends. */
async function followAndEmit(engine: ContainerEngine, docker: Fake, podman: Fake) {
  const seen: string[] = [];
  const done = (async () => { for await (const e of engine.events({}, new AbortController().signal)) seen.push(e.id); })();
  await new Promise((r) => setTimeout(r, 20));
  docker.emit(event('d1'));
  podman.emit(event('p1'));
  return { seen, done };
}

t.test('events: both engines in one stream, which ends when either ends', async (t) => {
  const { docker, podman, engine } = setup();
  const { seen, done } = await followAndEmit(engine, docker, podman);
  await new Promise((r) => setTimeout(r, 20));
  podman.endEvents();
  await done;
  t.same(seen.sort(), ['d1', 'p1']);
});

t.test('events: podman absent, Docker only; the stream ends when podman appears', async (t) => {
  const { docker, podman, state, engine } = setup(false);
  const { seen, done } = await followAndEmit(engine, docker, podman);
  state.present = true;
  const started = Date.now();
  await done;
  t.same(seen, ['d1']);
  t.ok(Date.now() - started < 3000, 'ended within the 2 s check');
});
