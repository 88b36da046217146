// End to end: a real agent server on 127.0.0.1 serving the real Docker engine, driven through
// remoteNode exactly as the controller drives a remote node; then every kind of refusal on both
// sides (wrong key, replay, stale term, fenced, oversized, garbage; unsigned, forged and oversized
// answers; an agent that is not there or does not answer). Containers are labelled with the test
// scope's label and removed at teardown, even when a test fails.
import t, { Test } from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { RemoteNode, remoteNode } from '../../src/agent/client';
import { signEventLine, signRequest, signResponse, verifyResponse } from '../../src/agent/auth';
import { generateAuthKey } from '../../src/agent/authkey';
import { AgentServer, startAgentServer } from '../../src/agent/server';
import { TermGuard } from '../../src/agent/term-guard';
import { EVENTS_PATH, RPC_PATH } from '../../src/agent/protocol';
import { nodeFiles } from '../../src/controller/node-files';
import { AddressError, AddressTable, HostAddressSpec } from '../../src/runtime/addresses';
import { ContainerSpec, EngineEvent, dockerEngine } from '../../src/runtime/engine';
import type { HostAddress } from '../../src/reconcile/observed';
import { dockerTestScope, ensureDocker } from '../helpers/docker';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** What a promise rejects with (undefined if it resolves), to match as data. */
const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

async function until<T>(what: string, f: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = f();
    if (v !== undefined) return v;
    await sleep(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One raw HTTP request, as an attacker or a broken peer would send it. */
function raw(url: string, p: string, body: Buffer, headers: http.OutgoingHttpHeaders, method = 'POST'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const all = Object.fromEntries(Object.entries({ 'content-length': body.length, ...headers }).filter(([, v]) => v !== undefined));
    const req = http.request(`${url}${p}`, { method, headers: all, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const codeOf = (r: Raw) => (JSON.parse(r.body.toString()) as { error?: { code?: string } }).error?.code;

/** An address table that records what it is asked and holds addresses in memory. */
function recordingAddresses() {
  const held: HostAddress[] = [{ ip: '127.0.0.1', prefix: 8, interface: 'lo', label: 'lo' }];
  const calls: string[] = [];
  const table: AddressTable = {
    list: async () => held.map((a) => ({ ...a })),
    add: async (a: HostAddressSpec) => {
      calls.push(`add ${a.ip}/${a.prefix} ${a.interface}`);
      if (held.some((h) => h.ip === a.ip)) throw new AddressError('add', `${a.ip}/${a.prefix} on ${a.interface}`, 'the address is already on the host');
      held.push({ ...a, label: `${a.interface}:berth` });
    },
    remove: async (a: HostAddressSpec) => {
      calls.push(`remove ${a.ip}/${a.prefix} ${a.interface}`);
      const i = held.findIndex((h) => h.ip === a.ip);
      if (i >= 0) held.splice(i, 1);
    },
  };
  return { table, calls };
}

ensureDocker();
const scope = dockerTestScope(t);
const node = `agent-${scope.runId}`;
const cluster = `c-${scope.runId}`;
const key = generateAuthKey();
const local = dockerEngine();
const dir = t.testdir({});
const stateDir = path.join(dir, 'state');
const termFile = path.join(dir, 'agent', 'term.json');
const logs: string[] = [];
const addresses = recordingAddresses();
let fenced: string | undefined;
let term = 1;
let server: AgentServer;
let remote: RemoteNode;
/** what requests to the test's agent are signed for */
const self = () => ({ node, incarnation: server.incarnation });

const spec = (suffix: string): ContainerSpec => ({
  name: `${node}-${suffix}-0`,
  Image: 'berth-test/httpd:1',
  Labels: { ...scope.labels, 'berth.cluster': cluster, 'berth.bundle': `${node}-${suffix}`, 'berth.replica': '0', 'berth.node': node },
  // --init: busybox httpd as PID 1 ignores SIGTERM, a stop would take 10 s
  HostConfig: { Init: true, NetworkMode: 'none' },
});

t.before(async () => {
  server = await startAgentServer({
    node,
    host: '127.0.0.1',
    port: 0,
    key,
    engine: local,
    addresses: addresses.table,
    files: nodeFiles(stateDir),
    terms: new TermGuard(termFile),
    cluster: () => cluster,
    gate: () => fenced,
    status: () => ({ lease: fenced ? 'expired' : 'held' }),
    log: (l) => logs.push(l),
  });
  remote = remoteNode({ url: server.url, key, term: () => term, node });
});
t.teardown(async () => {
  remote?.close();
  await server?.close();
});

t.test('a container through the agent: create, start (and its event), list, inspect, rename, stop, remove', async (t) => {
  const since = Date.now() - 1000;
  const id = await remote.engine.create(spec('web'));
  t.match(id, /^[0-9a-f]{64}$/);
  t.match(await failure(remote.engine.create(spec('web'))), { name: 'EngineError', kind: 'conflict', operation: 'create', target: `${node}-web-0`, statusCode: 409 }, 'the engine error comes back as itself');

  const events: EngineEvent[] = [];
  const stop = new AbortController();
  t.teardown(() => stop.abort());
  const following = (async () => {
    for await (const e of remote.engine.events({ labels: { 'berth.node': node }, since }, stop.signal)) events.push(e);
  })();

  await remote.engine.start(id);
  const started = await until('a start event', () => events.find((e) => e.action === 'start' && e.id === id), 15_000);
  t.match(started, { id, name: `${node}-web-0`, bundle: `${node}-web`, replica: 0, attributes: { 'berth.node': node } });
  t.ok(events.some((e) => e.action === 'create' && e.id === id), 'the create before it, replayed from `since`');

  const listed = await remote.engine.listContainers({ labels: { 'berth.node': node } });
  t.match(listed, [{ id, name: `${node}-web-0`, state: 'running', bundle: `${node}-web`, node }]);
  const details = await remote.engine.inspect(id);
  t.match(details, { id, state: 'running', running: true, node });
  t.equal(details?.raw.Id, id, 'the raw inspect answer survives JSON');
  t.equal(details?.raw.Config.Labels['berth.node'], node);
  t.equal(details?.raw.HostConfig.Init, true);

  await remote.engine.rename!(id, `${node}-web-0.next`);
  t.equal((await local.inspect(id))?.name, `${node}-web-0.next`);
  await remote.engine.stop(`${node}-web-0.next`, 5);
  await remote.engine.stop(`${node}-web-0.next`); // stopped already: not an error, nor an undefined timeout
  t.match(await remote.engine.inspect(id), { state: 'exited', running: false });
  await remote.engine.remove(id, { force: true });
  await remote.engine.remove(id); // gone already: not an error
  t.equal(await remote.engine.inspect(id), undefined, 'a missing container is undefined, as locally');
  t.match(await failure(remote.engine.start(`${node}-nothing`)), { name: 'EngineError', kind: 'not-found', operation: 'start', target: `${node}-nothing` });

  stop.abort();
  await following; // ends quietly on abort
  t.pass('the events iterator ended on abort');
});

t.test('addresses, files and status through the agent', async (t) => {
  const a = { ip: '10.9.0.5', prefix: 24, interface: 'eth9' };
  await remote.addresses.add(a);
  t.match(await remote.addresses.list(), [{ ip: '127.0.0.1' }, { ...a, label: 'eth9:berth' }]);
  const taken = await failure(remote.addresses.add(a));
  t.match(taken, { name: 'AddressError', operation: 'add', address: '10.9.0.5/24 on eth9' });
  t.match((taken as Error).message, /already on the host/, 'the message apply maps to ADDRESS_IN_USE');
  await remote.addresses.remove(a);
  t.strictSame(addresses.calls, ['add 10.9.0.5/24 eth9', 'add 10.9.0.5/24 eth9', 'remove 10.9.0.5/24 eth9']);

  const status = await remote.status();
  t.match(status, { node, stateDir, term, lease: 'held' });
  t.equal(remote.files.stateDir, stateDir, 'learned from status');
  const hosts = path.join(stateDir, 'clusters', cluster, 'hosts', 'web');
  t.equal(await remote.files.read(hosts), null);
  await remote.files.write(hosts, '127.0.0.1 web-0\n');
  t.equal(readFileSync(hosts, 'utf8'), '127.0.0.1 web-0\n');
  t.equal(await remote.files.read(hosts), '127.0.0.1 web-0\n');
  t.strictSame(await remote.files.readMany([hosts, `${hosts}-missing`, hosts]), ['127.0.0.1 web-0\n', null, '127.0.0.1 web-0\n'], 'several files in one request, in order, a missing one null');
  t.match(await failure(remote.files.write('/etc/passwd', 'x')), { name: 'AgentRefusal', code: 'AGENT_SCOPE_REFUSED', message: /not one of berth's node files/ });
  t.match(await failure(remote.files.read(path.join(stateDir, 'clusters', cluster, '..', '..', '..', 'agent', 'term.json'))), { code: 'AGENT_SCOPE_REFUSED' }, "'..' does not leave the cluster's files");
  await remote.files.ensureDir(path.join(dir, 'storage', 'web-0'));
  t.ok(statSync(path.join(dir, 'storage', 'web-0')).isDirectory());
  const ledger = { abc: { baseline: 1, extra: 2, count: 3, lastFailureAt: 1700000000000 } };
  await remote.files.writeLedger(cluster, ledger);
  t.strictSame(await remote.files.readLedger(cluster), ledger);
  t.match(await failure(remote.files.readLedger('c-other')), { code: 'AGENT_SCOPE_REFUSED' }, 'only the ledger of the cluster the agent serves');
  t.match(await failure(remote.files.writeLedger('c-other', {})), { code: 'AGENT_SCOPE_REFUSED' });
  t.match(await failure(remote.files.readLedger('../x')), { code: 'AGENT_BAD_MESSAGE' }, 'a cluster id is one safe path segment');
});

t.test('a wrong key is refused and nothing is created', async (t) => {
  const intruder = remoteNode({ url: server.url, key: generateAuthKey(), term: () => term, node });
  t.teardown(() => intruder.close());
  logs.length = 0;
  t.match(await failure(intruder.engine.create(spec('intruder'))), { name: 'AgentRefusal', code: 'AGENT_AUTH_FAILED' });
  t.match(await failure(intruder.engine.listContainers()), { code: 'AGENT_AUTH_FAILED' }, 'reads too');
  t.equal(await local.inspect(`${node}-intruder-0`), undefined, 'nothing created');
  t.match(logs[0], /refused 127\.0\.0\.1:\d+ POST \/v1\/rpc: AGENT_AUTH_FAILED \(bad-signature\)/);
});

t.test('a captured request sent again is refused', async (t) => {
  const body = Buffer.from(JSON.stringify({ term, op: 'engine.create', args: [spec('replay')] }));
  const headers = signRequest(key, { method: 'POST', path: RPC_PATH, body, to: self() });
  const first = await raw(server.url, RPC_PATH, body, headers);
  t.equal(first.status, 200);
  t.ok(verifyResponse(key, headers['x-berth-nonce'], 200, first.headers, first.body).ok, 'the answer is signed');
  const id = (JSON.parse(first.body.toString()) as { result: string }).result;
  logs.length = 0;
  const second = await raw(server.url, RPC_PATH, body, headers);
  t.equal(second.status, 401);
  t.equal(codeOf(second), 'AGENT_AUTH_FAILED');
  t.match(logs[0], /AGENT_AUTH_FAILED \(replayed\)/);
  t.match(await local.listContainers({ labels: { 'berth.node': node } }), [{ id, name: `${node}-replay-0` }], 'created once');
  await local.remove(id, { force: true });
});

interface Captured {
  path: string;
  headers: http.OutgoingHttpHeaders;
  body: Buffer;
}

/** A proxy in front of an agent that keeps every request as it was sent (what an attacker on
 * the wire would capture) and passes it on. */
async function capturingProxy(t: Test, target: string): Promise<{ url: string; captured: Captured[] }> {
  const captured: Captured[] = [];
  const proxy = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const headers: http.OutgoingHttpHeaders = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k.startsWith('x-berth-') || k === 'content-type'));
      captured.push({ path: req.url ?? '', headers, body });
      const on = http.request(`${target}${req.url}`, { method: req.method, headers: { ...headers, 'content-length': body.length }, agent: false }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      on.on('error', () => res.destroy());
      on.end(body);
    });
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => { proxy.closeAllConnections(); proxy.close(() => r()); }));
  return { url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, captured };
}

t.test('a captured order is refused by another node, and by the same agent after a restart', async (t) => {
  const agentOf = (name: string, port = 0) => startAgentServer({
    node: name, host: '127.0.0.1', port, key, engine: local, addresses: addresses.table, files: nodeFiles(stateDir),
    terms: new TermGuard(), cluster: () => cluster, log: (l) => logs.push(l),
  });
  const first = await agentOf(node);
  const proxy = await capturingProxy(t, first.url);
  const client = remoteNode({ url: proxy.url, key, term: () => term, node });
  const learned = remoteNode({ url: first.url, key, term: () => term, node });
  const given = remoteNode({ url: first.url, key, term: () => term, node, incarnation: first.incarnation });
  t.teardown(() => { client.close(); learned.close(); given.close(); });
  const id = await client.engine.create(spec('captured'));
  await client.engine.start(id);
  await learned.engine.ping();
  await given.engine.ping();
  const orders = proxy.captured.filter((c) => /"op":"engine\.(create|start)"/.test(c.body.toString()));
  t.equal(orders.length, 2, 'the create and the start were captured');
  t.equal(proxy.captured[0].headers['x-berth-node'], node, 'signed for the node');
  t.equal(orders[0].headers['x-berth-incarnation'], first.incarnation, 'and for the incarnation, learned from agent.status');
  await local.remove(id, { force: true });
  await first.close();

  const other = await agentOf(`${node}-b`);
  const again = await agentOf(node, first.port);
  t.teardown(async () => { await other.close(); await again.close(); });
  t.not(again.incarnation, first.incarnation, 'a restarted agent has a new incarnation');
  const replays: [string, AgentServer, string][] = [['another node', other, 'wrong-node'], ['the same agent after a restart', again, 'wrong-incarnation']];
  for (const [name, target, reason] of replays) {
    logs.length = 0;
    const answers = [];
    for (const c of orders) answers.push(await raw(target.url, c.path, c.body, c.headers));
    t.strictSame(answers.map((r) => ({ status: r.status, code: codeOf(r) })), orders.map(() => ({ status: 401, code: 'AGENT_AUTH_FAILED' })), `${name}: create and start refused`);
    t.strictSame(logs.map((l) => /AGENT_AUTH_FAILED \(([a-z-]+)\)/.exec(l)?.[1]), [reason, reason], `${name}: logged with why`);
    t.equal(await local.inspect(`${node}-captured-0`), undefined, `${name}: nothing created`);
  }

  const body = Buffer.from(JSON.stringify({ term, op: 'engine.create', args: [spec('unbound')] }));
  const unbound = await raw(again.url, RPC_PATH, body, signRequest(key, { method: 'POST', path: RPC_PATH, body, to: { node } }));
  t.strictSame({ status: unbound.status, code: codeOf(unbound) }, { status: 401, code: 'AGENT_AUTH_FAILED' }, 'an order that names no incarnation is refused');
  t.equal(await local.inspect(`${node}-unbound-0`), undefined, 'nothing created');

  t.match(await failure(given.engine.ping()), { name: 'AgentRefusal', code: 'AGENT_AUTH_FAILED', message: /incarnation/ }, 'a client given the old incarnation is refused (the controller makes a new one from the next heartbeat)');
  t.match(await failure(given.engine.ping()), { code: 'AGENT_AUTH_FAILED' }, 'and stays refused');
  t.match(await failure(learned.engine.ping()), { code: 'AGENT_AUTH_FAILED' }, 'a client that learned the old incarnation is refused once');
  await learned.engine.ping();
  t.pass('then it learns the new one');
});

t.test('an order of an older term is refused, and the newest term survives a restart', async (t) => {
  term = 10;
  await remote.engine.ping();
  t.strictSame(JSON.parse(readFileSync(termFile, 'utf8')), { highest: 10 }, 'recorded before the order is carried out');
  const deposed = remoteNode({ url: server.url, key, term: () => 9, node });
  t.teardown(() => deposed.close());
  const refused = await failure(deposed.engine.create(spec('stale')));
  t.match(refused, { name: 'AgentRefusal', code: 'AGENT_TERM_STALE', message: /term 9 is older than term 10/ });
  t.match(await failure(deposed.engine.listContainers()), { code: 'AGENT_TERM_STALE' }, 'every op is checked, reads too');
  t.match(await failure(deposed.files.writeLedger(cluster, {})), { code: 'AGENT_TERM_STALE' });
  t.equal(await local.inspect(`${node}-stale-0`), undefined, 'nothing created');
  t.equal(new TermGuard(termFile).highest, 10, 'a restarted agent reads the newest term back');
  const stream = deposed.engine.events({}, new AbortController().signal)[Symbol.asyncIterator]();
  t.match(await failure(stream.next()), { code: 'AGENT_TERM_STALE' }, 'the events stream too');
});

t.test('a newer term that cannot be recorded (a full disk): the order fails as an operation, nothing is done, the server goes on', async (t) => {
  // A term file whose directory becomes a regular file: every write of it fails (ENOTDIR), as on a full disk.
  const blocked = path.join(dir, 'not-a-dir');
  mkdirSync(blocked);
  const terms = new TermGuard(path.join(blocked, 'term.json'));
  rmSync(blocked, { recursive: true });
  writeFileSync(blocked, '');
  logs.length = 0;
  const unwritable = await startAgentServer({
    node, host: '127.0.0.1', port: 0, key, engine: local, addresses: addresses.table, files: nodeFiles(stateDir),
    terms, cluster: () => cluster, log: (l) => logs.push(l),
  });
  const client = remoteNode({ url: unwritable.url, key, term: () => 5, node });
  t.teardown(async () => { client.close(); await unwritable.close(); });
  t.match(await failure(client.engine.create(spec('unrecorded'))), { message: /FILE_WRITE_FAILED|cannot write term file/ }, 'the create fails, saying why');
  t.equal(await local.inspect(`${node}-unrecorded-0`), undefined, 'nothing created');
  t.notMatch(logs.join('\n'), /error serving|\n\s+at /, 'no stack trace, no broken request in the log');
  rmSync(blocked);
  mkdirSync(blocked);
  t.ok(Array.isArray(await client.engine.listContainers()), 'once the term can be recorded, the same agent takes orders');
  t.strictSame(JSON.parse(readFileSync(path.join(blocked, 'term.json'), 'utf8')), { highest: 5 }, 'and records the term first');
});

t.test('a fenced agent refuses writes and still serves reads', async (t) => {
  fenced = 'the lease expired 3 s ago';
  t.teardown(() => { fenced = undefined; });
  t.match(await failure(remote.engine.create(spec('fenced'))), { name: 'AgentRefusal', code: 'AGENT_FENCED', message: /engine.create refused: the lease expired/ });
  t.match(await failure(remote.addresses.add({ ip: '10.9.0.6', prefix: 24, interface: 'eth9' })), { code: 'AGENT_FENCED' });
  t.match(await failure(remote.files.write(path.join(stateDir, 'clusters', cluster, 'x'), 'y')), { code: 'AGENT_FENCED' });
  t.equal(await local.inspect(`${node}-fenced-0`), undefined, 'nothing created');
  t.ok(Array.isArray(await remote.engine.listContainers()), 'reads work');
  t.match(await remote.status(), { lease: 'expired' });
  t.equal(await remote.files.read(path.join(stateDir, 'clusters', cluster, 'x')), null);
});

t.test('oversized, garbage and malformed requests are refused cleanly; the server goes on', async (t) => {
  const signed = (body: Buffer, p = RPC_PATH) => signRequest(key, { method: 'POST', path: p, body, to: self() });
  const big = Buffer.alloc(2 * 1024 * 1024, 'a');
  const rows: { name: string; send: () => Promise<Raw>; status: number; code: string; signed: boolean }[] = [
    { name: '2 MiB body', send: () => raw(server.url, RPC_PATH, big, signed(big)), status: 413, code: 'AGENT_BAD_MESSAGE', signed: false },
    { name: '2 MiB body, chunked', send: () => raw(server.url, RPC_PATH, big, { ...signed(big), 'content-length': undefined, 'transfer-encoding': 'chunked' }), status: 413, code: 'AGENT_BAD_MESSAGE', signed: false },
    { name: 'garbage JSON, unsigned', send: () => raw(server.url, RPC_PATH, Buffer.from('{nope'), {}), status: 401, code: 'AGENT_AUTH_FAILED', signed: false },
    ...[
      ['garbage JSON', '{nope'],
      ['not an object', '[1,2]'],
      ['an unknown op', `{"term":${term},"op":"engine.exec","args":[]}`],
      ['too many args', `{"term":${term},"op":"engine.ping","args":[1]}`],
      ['a wrong arg type', `{"term":${term},"op":"engine.start","args":[42]}`],
      ['a container id that walks the URL space', `{"term":${term},"op":"engine.inspect","args":["../images/json"]}`],
      ['a negative term', '{"term":-1,"op":"engine.ping","args":[]}'],
      ['a relative path', `{"term":${term},"op":"files.ensureDir","args":["tmp/x"]}`],
      ['an address spec with a shell in it', `{"term":${term},"op":"addresses.add","args":[{"ip":"1.2.3.4;reboot","prefix":24,"interface":"lo"}]}`],
      ['an events filter of the wrong shape', `{"term":${term},"filter":{"labels":[1]}}`, EVENTS_PATH],
    ].map(([name, text, p = RPC_PATH]) => ({
      name,
      send: () => raw(server.url, p, Buffer.from(text), signed(Buffer.from(text), p)),
      status: 400,
      code: 'AGENT_BAD_MESSAGE',
      signed: true,
    })),
    { name: 'a GET', send: () => raw(server.url, RPC_PATH, Buffer.alloc(0), {}, 'GET'), status: 404, code: 'AGENT_BAD_MESSAGE', signed: false },
    { name: 'an unknown path', send: () => raw(server.url, '/v1/other', Buffer.alloc(0), {}), status: 404, code: 'AGENT_BAD_MESSAGE', signed: false },
  ];
  for (const row of rows) {
    const r = await row.send();
    t.strictSame({ status: r.status, code: codeOf(r), signed: typeof r.headers['x-berth-signature'] === 'string' }, { status: row.status, code: row.code, signed: row.signed }, row.name);
  }
  t.match(logs.filter((l) => /oversized/.test(l)).length, 2, 'refusals are logged');
  await remote.engine.ping();
  t.pass('the server still answers');
});

t.test('oversized headers are cut off; the server goes on', async (t) => {
  const r = await raw(server.url, RPC_PATH, Buffer.alloc(0), { 'x-filler': 'a'.repeat(20_000) });
  t.strictSame({ status: r.status, code: codeOf(r) }, { status: 431, code: 'AGENT_BAD_MESSAGE' }, 'headers larger than 16 KiB');
  const many: http.OutgoingHttpHeaders = {};
  for (let i = 0; i < 100; i++) many[`x-h${i}`] = 'v';
  const body = Buffer.from(JSON.stringify({ term, op: 'engine.ping', args: [] }));
  logs.length = 0;
  const r2 = await raw(server.url, RPC_PATH, body, { ...many, ...signRequest(key, { method: 'POST', path: RPC_PATH, body, to: self() }) });
  t.strictSame({ status: r2.status, code: codeOf(r2) }, { status: 431, code: 'AGENT_BAD_MESSAGE' }, 'too many headers, even signed');
  t.match(logs, [/refused 127\.0\.0\.1:\d+ POST \/v1\/rpc: AGENT_BAD_MESSAGE \(headers\): \d+ headers, more than 32/]);
  await remote.engine.ping();
});

t.test('a slow sender is cut off', async (t) => {
  const started = Date.now();
  const status = await new Promise<number | string>((resolve) => {
    const req = http.request(`${server.url}${RPC_PATH}`, { method: 'POST', headers: { 'content-length': 100 }, agent: false }, (res) => resolve(res.statusCode ?? 0));
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    req.write('{"te'); // and nothing more
  });
  t.ok([408, 'ECONNRESET'].includes(status), `cut off (${status})`);
  t.ok(Date.now() - started < 15_000, 'within the request timeout and its check interval');
  await remote.engine.ping();
});

/** A fake agent that answers every request with `answer(nonce)`. */
async function fakeAgent(t: Test, answer: (nonce: string, res: http.ServerResponse) => void): Promise<string> {
  const fake = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => answer(String(req.headers['x-berth-nonce']), res));
  });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => { fake.closeAllConnections(); fake.close(() => r()); }));
  return `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
}

t.test('answers that are unsigned, forged, too large or not the protocol are refused cleanly', async (t) => {
  const otherKey = generateAuthKey();
  const send = (res: http.ServerResponse, status: number, body: Buffer, headers: http.OutgoingHttpHeaders) => res.writeHead(status, { 'content-length': body.length, ...headers }).end(body);
  const ok = Buffer.from('{"ok":true,"result":[]}');
  const rows: { name: string; answer: (nonce: string, res: http.ServerResponse) => void }[] = [
    { name: 'unsigned', answer: (_n, res) => send(res, 200, ok, {}) },
    { name: 'forged with another key', answer: (n, res) => send(res, 200, ok, signResponse(otherKey, n, 200, ok)) },
    { name: 'signed for another request', answer: (_n, res) => send(res, 200, ok, signResponse(key, 'f'.repeat(32), 200, ok)) },
    { name: 'an unsigned refusal other than authentication', answer: (_n, res) => send(res, 409, Buffer.from('{"ok":false,"error":{"type":"agent","code":"AGENT_TERM_STALE","message":"x"}}'), {}) },
    { name: 'signed, not JSON', answer: (n, res) => send(res, 200, Buffer.from('<html>'), signResponse(key, n, 200, Buffer.from('<html>'))) },
    { name: 'signed, a result of the wrong shape', answer: (n, res) => { const b = Buffer.from('{"ok":true,"result":"hello"}'); send(res, 200, b, signResponse(key, n, 200, b)); } },
    { name: 'signed, an unknown error type', answer: (n, res) => { const b = Buffer.from('{"ok":false,"error":{"type":"boom","message":"x"}}'); send(res, 200, b, signResponse(key, n, 200, b)); } },
    { name: 'a declared 40 MiB answer', answer: (_n, res) => { res.writeHead(200, { 'content-length': 40 * 1024 * 1024 }); res.write(Buffer.alloc(1024 * 1024)); } },
    {
      name: 'a 40 MiB answer, chunked',
      answer: (_n, res) => {
        res.writeHead(200);
        const chunk = Buffer.alloc(1024 * 1024, 'x');
        let sent = 0;
        const more = () => { while (sent < 40 && !res.destroyed) { sent++; if (!res.write(chunk)) return void res.once('drain', more); } res.end(); };
        res.on('error', () => {});
        more();
      },
    },
  ];
  for (const row of rows) {
    const url = await fakeAgent(t, row.answer);
    const client = remoteNode({ url, key, term: () => term, node: 'fake' });
    const e = await failure(client.engine.listContainers());
    t.match(e, { name: 'EngineError', kind: 'failed', operation: 'list containers', message: /AGENT_BAD_MESSAGE: the agent of node fake at .* answered .*; refused/ }, row.name);
    const a = await failure(client.addresses.list());
    t.match(a, { name: 'AddressError', message: /AGENT_BAD_MESSAGE/ }, `${row.name}: address ops as AddressError`);
    client.close();
  }
});

t.test('an events stream with a bad line is refused', async (t) => {
  const line = (n: string, seq: number, event: object, k = key) => {
    const payload = JSON.stringify({ seq, event });
    return `${JSON.stringify({ seq, event, sig: signEventLine(k, n, seq, payload) })}\n`;
  };
  const ev = { action: 'start', id: 'abc', attributes: {}, time: 1 };
  const streams: [string, (n: string) => string, RegExp][] = [
    ['a forged line', (n) => line(n, 1, ev, generateAuthKey()), /bad signature/],
    ['a line out of sequence', (n) => line(n, 1, ev) + line(n, 3, ev), /line 3 where 2 was due/],
    ['a repeated line', (n) => line(n, 1, ev) + line(n, 1, ev), /line 1 where 2 was due/],
    ['a tampered event', (n) => line(n, 1, ev).replace('"start"', '"die"'), /bad signature/],
    ['garbage', () => 'hello\n', /not the protocol/],
  ];
  for (const [name, body, why] of streams) {
    const url = await fakeAgent(t, (n, res) => {
      res.writeHead(200, signResponse(key, n, 200, Buffer.alloc(0)));
      res.end(body(n));
    });
    const client = remoteNode({ url, key, term: () => term, node: 'fake', incarnation: 'fa4e0001' });
    const seen: EngineEvent[] = [];
    const e = await failure((async () => { for await (const x of client.engine.events({}, new AbortController().signal)) seen.push(x); })());
    t.match(e, { name: 'EngineError', kind: 'failed', operation: 'events', message: why }, name);
    t.ok(seen.length <= 1, `${name}: nothing past the bad line`);
  }
});

t.test('an agent that is not there, or does not answer, is unreachable', async (t) => {
  const closed = http.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  const gone = remoteNode({ url: `http://127.0.0.1:${port}`, key, term: () => term, node: 'gone' });
  t.match(await failure(gone.engine.ping()), { name: 'EngineError', kind: 'unreachable', operation: 'ping', message: /AGENT_UNREACHABLE: .*ECONNREFUSED/ });
  t.match(await failure(gone.addresses.list()), { name: 'AddressError', message: /AGENT_UNREACHABLE/ });
  t.match(await failure(gone.files.readLedger(cluster)), { name: 'EngineError', kind: 'unreachable' });
  const stream = gone.engine.events({}, new AbortController().signal)[Symbol.asyncIterator]();
  t.match(await failure(stream.next()), { kind: 'unreachable', operation: 'events' });

  const url = await fakeAgent(t, () => { /* never answers */ });
  const silent = remoteNode({ url, key, term: () => term, node: 'silent', timeoutMs: 300 });
  t.teardown(() => silent.close());
  t.match(await failure(silent.engine.ping()), { kind: 'unreachable', message: /no answer within 300 ms/ });

  // A stream that answered but then stays silent (no heartbeat) is given up.
  const quiet = await fakeAgent(t, (n, res) => { res.writeHead(200, signResponse(key, n, 200, Buffer.alloc(0))); res.flushHeaders(); });
  const q = remoteNode({ url: quiet, key, term: () => term, node: 'quiet', incarnation: 'fa4e0002', eventsIdleMs: 300 });
  const it = q.engine.events({}, new AbortController().signal)[Symbol.asyncIterator]();
  t.match(await failure(it.next()), { kind: 'unreachable', message: /silent for 300 ms/ });
});

t.test('the events stream sends signed heartbeats that the client skips', async (t) => {
  const beating = await startAgentServer({
    node, host: '127.0.0.1', port: 0, key, engine: local, addresses: addresses.table, files: nodeFiles(stateDir),
    terms: new TermGuard(), log: () => {}, heartbeatMs: 100,
  });
  t.teardown(() => beating.close());
  const client = remoteNode({ url: beating.url, key, term: () => term, node, eventsIdleMs: 400 });
  const stop = new AbortController();
  const events: EngineEvent[] = [];
  const following = (async () => { for await (const e of client.engine.events({ labels: { 'berth.node': `${node}-none` } }, stop.signal)) events.push(e); })();
  await sleep(1200);
  stop.abort();
  await following;
  t.strictSame(events, [], 'beats are not events, and kept the quiet stream alive past eventsIdleMs');
});

t.test('close() ends the event streams', async (t) => {
  const closing = await startAgentServer({
    node, host: '127.0.0.1', port: 0, key, engine: local, addresses: addresses.table, files: nodeFiles(stateDir),
    terms: new TermGuard(), log: () => {},
  });
  const client = remoteNode({ url: closing.url, key, term: () => term, node });
  const stop = new AbortController();
  t.teardown(() => stop.abort());
  const following = (async () => { for await (const _ of client.engine.events({}, stop.signal)) { /* none expected */ } })();
  await sleep(300);
  const t0 = Date.now();
  await closing.close();
  t.ok(Date.now() - t0 < 3000, 'promptly');
  await following;
  t.pass('the stream ended');
});

t.test('every container of this test is gone', async (t) => {
  scope.cleanup();
  t.strictSame(await local.listContainers({ labels: { 'berth.node': node } }), []);
});
