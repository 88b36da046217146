// End to end on the real Docker engine: the dockerode implementation of ContainerEngine, and the
// options parser's output as the engine really applies it. Traffic goes only to 127.0.1.50 on lo.
import t from 'tap';
import { hostname } from 'node:os';
import { BERTH_LABELS, ContainerSpec, EngineError, EngineEvent, berthLabels, dockerEngine } from '../../src/runtime/engine';
import { parseDockerOptions } from '../../src/runtime/docker-options';
import { dockerTestScope, ensureDocker } from '../helpers/docker';

const ADDRESS = '127.0.1.50';
const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** What a promise rejects with (undefined if it resolves), to match as data. */
const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

async function until<T>(what: string, f: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await sleep(200);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

async function getPage(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
  return res.text();
}

const dockerodeLoaded = () => Object.keys(require.cache).some((k) => k.includes('/node_modules/dockerode/'));

t.test('importing engine.ts does not load dockerode; the first call does', async (t) => {
  t.equal(dockerodeLoaded(), false);
  const engine = dockerEngine({ socketPath: '/nonexistent/docker.sock' });
  t.equal(dockerodeLoaded(), false);
  await failure(engine.ping());
  t.equal(dockerodeLoaded(), true);
});

t.test('an engine that is not there is unreachable, not a crash', async (t) => {
  const engine = dockerEngine({ socketPath: '/nonexistent/docker.sock' });
  t.match(await failure(engine.ping()), { name: 'EngineError', kind: 'unreachable', operation: 'ping' });
  t.match(await failure(engine.listContainers()), { kind: 'unreachable' });
});

t.test('a replica container on the real engine, from create to remove', async (t) => {
  ensureDocker();
  const scope = dockerTestScope(t);
  const engine = dockerEngine();
  await engine.ping();
  scope.addLoopbackAddress(ADDRESS);

  // Events first, so that the whole life of the container is seen.
  const events: EngineEvent[] = [];
  const stopEvents = new AbortController();
  t.teardown(() => stopEvents.abort());
  const following = (async () => {
    for await (const e of engine.events({ labels: scope.labels }, stopEvents.signal)) events.push(e);
  })();

  const options = parseDockerOptions(
    `-e GREETING='hello world' -e "QUOTED=a \\"b\\"" -m 64m --label tier=web ` +
      `--health-cmd 'wget -q -O /dev/null http://127.0.0.1/ || exit 1' --health-interval 500ms --health-retries 3 --health-timeout 2s`,
  );
  t.strictSame(options.problems, []);
  const node = hostname();
  const name = `berth-test-web-${scope.runId}`;
  const spec: ContainerSpec = {
    ...options.create,
    name,
    Image: 'berth-test/httpd:1',
    Hostname: 'web-0',
    Labels: { ...options.create.Labels, ...scope.labels, ...berthLabels({ cluster: 'c-test', bundle: 'web', replica: 0, node, specHash: 'h1' }) },
    ExposedPorts: { '80/tcp': {} },
    HostConfig: { ...options.create.HostConfig, PortBindings: { '80/tcp': [{ HostIp: ADDRESS, HostPort: '80' }] } },
  };
  const id = await engine.create(spec);
  t.match(id, /^[0-9a-f]{64}$/);
  t.match(await failure(engine.create(spec)), { kind: 'conflict', operation: 'create', target: name }, 'the name is taken');

  const created = await engine.inspect(name);
  t.match(created, { id, name, state: 'created', running: false, bundle: 'web', replica: 0, node, specHash: 'h1' });

  await engine.start(id);
  await engine.start(id); // already running: not an error
  const page = await until('the page', () => getPage(`http://${ADDRESS}/`), 15_000);
  t.match(page, 'berth-test/httpd:1');

  // What the parsed options asked for is what the engine applied.
  const details = await until('a healthy container', async () => {
    const d = await engine.inspect(id);
    return d?.health === 'healthy' ? d : undefined;
  }, 20_000);
  t.ok(details.raw.Config.Env.includes('GREETING=hello world'));
  t.ok(details.raw.Config.Env.includes('QUOTED=a "b"'));
  t.equal(details.raw.HostConfig.Memory, 64 * MiB);
  t.strictSame(details.raw.Config.Healthcheck, {
    Test: ['CMD-SHELL', 'wget -q -O /dev/null http://127.0.0.1/ || exit 1'],
    Interval: 500e6,
    Timeout: 2e9,
    Retries: 3,
  });
  t.match(details, { state: 'running', running: true, exitCode: 0, restartCount: 0 });
  t.equal(details.raw.Config.Hostname, 'web-0');
  t.equal(details.labels.tier, 'web');

  // Listing: berth's containers only, with berth's labels read back.
  const plain = await engine.create({ name: `berth-test-plain-${scope.runId}`, Image: 'berth-test/httpd:1', Labels: scope.labels });
  scope.removeContainerAtEnd(plain);
  const listed = await engine.listContainers({ labels: scope.labels });
  t.strictSame(listed.map((c) => c.id), [id], 'a container without berth.bundle is not listed');
  t.match(listed[0], {
    name, image: 'berth-test/httpd:1', state: 'running', health: 'healthy', bundle: 'web', replica: 0, node, specHash: 'h1',
    labels: { [BERTH_LABELS.bundle]: 'web', [BERTH_LABELS.replica]: '0', tier: 'web' },
  });
  t.strictSame(await engine.listContainers({ labels: { ...scope.labels, [BERTH_LABELS.bundle]: 'other' } }), []);

  await engine.stop(id, 2);
  await engine.stop(id, 2); // already stopped: not an error
  t.match(await engine.inspect(id), { state: 'exited', running: false });
  t.ok(await failure(getPage(`http://${ADDRESS}/`)) instanceof Error, 'nothing answers once it is stopped');
  await engine.remove(id);
  await engine.remove(id); // already gone: not an error
  t.equal(await engine.inspect(id), undefined);

  // The events of its life, in order, for berth's container only (the plain one has no berth.bundle).
  await until('the destroy event', async () => (events.some((e) => e.action === 'destroy') ? true : undefined), 10_000);
  stopEvents.abort();
  await following;
  const mine = events.filter((e) => e.id === id);
  t.strictSame(events.filter((e) => e.id !== id), []);
  const actions = mine.map((e) => e.action).filter((a) => !a.startsWith('exec_'));
  for (const a of ['create', 'start', 'health_status: healthy', 'die', 'stop', 'destroy']) t.ok(actions.includes(a), `event ${a}`);
  t.ok(actions.indexOf('create') < actions.indexOf('start') && actions.indexOf('die') < actions.indexOf('destroy'), actions.join(', '));
  t.match(mine[0], { bundle: 'web', replica: 0, name, attributes: { [BERTH_LABELS.node]: node } });
  t.ok(mine.every((e) => e.time > Date.now() - 120_000 && e.time <= Date.now()));
});

t.test('engine errors say what kind they are', async (t) => {
  ensureDocker();
  const scope = dockerTestScope(t);
  const engine = dockerEngine();
  t.equal(await engine.inspect(`berth-test-missing-${scope.runId}`), undefined);
  const err = await failure(engine.create({ name: `berth-test-noimage-${scope.runId}`, Image: 'berth-test/not-built:0', Labels: scope.labels }));
  t.ok(err instanceof EngineError);
  t.match(err, { kind: 'not-found', operation: 'create', statusCode: 404 });
  t.match(await failure(engine.start(`berth-test-missing-${scope.runId}`)), { kind: 'not-found' });

  // A running container is not removed without force.
  const id = await engine.create({ name: `berth-test-busy-${scope.runId}`, Image: 'berth-test/httpd:2', Labels: { ...scope.labels, ...berthLabels({ cluster: 'c-test', bundle: 'busy', replica: 3, node: 'n1', specHash: 'x' }) }, HostConfig: { NetworkMode: 'none' } });
  await engine.start(id);
  t.match(await failure(engine.remove(id)), { kind: 'conflict', operation: 'remove' });
  await engine.remove(id, { force: true });
  t.equal(await engine.inspect(id), undefined);
});
