// Batches (protocol.ts BATCH_PATH, client.ts, server.ts): the quick writes a pass sends one node at
// the same moment travel in one signed request; the agent checks each order on its own (term,
// lease, scope) and answers each in its own place, and a client facing an agent without batches
// (404) sends each order alone. A real agent server and remoteNode over an in-memory engine
// (test/helpers/fake-nodes.ts), with a counting proxy between them.
import t, { Test } from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { AgentRefusal, remoteNode } from '../../src/agent/client';
import { generateAuthKey } from '../../src/agent/authkey';
import { signRequest } from '../../src/agent/auth';
import { startAgentServer } from '../../src/agent/server';
import { TermGuard } from '../../src/agent/term-guard';
import { BATCH_PATH, LIMITS, RPC_PATH } from '../../src/agent/protocol';
import { nodeFiles } from '../../src/controller/node-files';
import type { ContainerSpec } from '../../src/runtime/engine';
import { fakeNode } from '../helpers/fake-nodes';

const key = generateAuthKey();
const cluster = 'c-batch';
const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

const spec = (node: string, replica: number, over: Partial<ContainerSpec> = {}): ContainerSpec => ({
  name: `web-${replica}`, Image: 'berth-test/httpd:1',
  Labels: { 'berth.cluster': cluster, 'berth.node': node, 'berth.bundle': 'web', 'berth.replica': String(replica) },
  HostConfig: { NetworkMode: 'none' }, ...over,
});

/** An agent over an in-memory engine, a proxy that counts the requests by path (and answers 404
 * to batches when `oldAgent`), and a client through the proxy. */
async function rig(t: Test, o: { oldAgent?: boolean; term?: () => number; fenced?: () => boolean } = {}) {
  const name = 'n1';
  const dir = t.testdir({});
  const stateDir = path.join(dir, 'state');
  const node = fakeNode(name, { stateDir, docker: true });
  const terms = new TermGuard(path.join(dir, 'term.json'));
  const server = await startAgentServer({
    node: name, host: '127.0.0.1', port: 0, key, engine: node.deps.engine, addresses: node.deps.addresses, files: nodeFiles(stateDir),
    terms, cluster: () => cluster, log: () => {}, gate: () => (o.fenced?.() ? 'fenced for the test' : undefined),
  });
  const requests: string[] = [];
  const proxy = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    if (o.oldAgent && req.url === BATCH_PATH) {
      req.resume();
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error: { type: 'agent', code: 'AGENT_BAD_MESSAGE', message: 'no such endpoint' } }));
      return;
    }
    const up = http.request(`${server.url}${req.url}`, { method: req.method, headers: req.headers }, (r) => { res.writeHead(r.statusCode ?? 500, r.headers); r.pipe(res); });
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const remote = remoteNode({ url, key, term: o.term ?? (() => 1), node: name, incarnation: server.incarnation, stateDir });
  t.teardown(async () => { remote.close(); proxy.closeAllConnections(); proxy.close(); await server.close(); });
  return { node, remote, requests, terms, server, url, stateDir };
}

const count = (list: string[], p: string) => list.filter((x) => x === p).length;

t.test('the writes of one moment go in one batch, each answered in its own place', async (t) => {
  const r = await rig(t);
  const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => r.remote.engine.create(spec('n1', i))));
  t.equal(new Set(ids).size, 20, 'twenty containers, each its own id');
  t.strictSame({ batches: count(r.requests, BATCH_PATH), singles: count(r.requests, RPC_PATH) }, { batches: 1, singles: 0 }, 'twenty creates in one request');
  await Promise.all(ids.map((id) => r.remote.engine.start(id)));
  t.equal(count(r.requests, BATCH_PATH), 2, 'then twenty starts in one more');
  t.equal([...r.node.containers.values()].filter((c) => c.state === 'running').length, 20);
  await r.remote.engine.start(ids[0]);
  t.strictSame({ batches: count(r.requests, BATCH_PATH), singles: count(r.requests, RPC_PATH) }, { batches: 2, singles: 1 }, 'an order alone goes alone');
});

t.test('more orders than a batch takes: several batches', async (t) => {
  const r = await rig(t);
  const n = LIMITS.batchOrders + 6;
  await Promise.all(Array.from({ length: n }, (_, i) => r.remote.files.write(path.join(r.stateDir, 'clusters', cluster, 'hosts', `f${i}`), `${i}\n`)));
  t.equal(count(r.requests, BATCH_PATH), 2, `${n} writes in 2 batches of at most ${LIMITS.batchOrders}`);
  t.equal(await r.remote.files.read(path.join(r.stateDir, 'clusters', cluster, 'hosts', `f${n - 1}`)), `${n - 1}\n`);
});

t.test('each order of a batch is checked on its own: one out of scope is refused, the others carried out', async (t) => {
  const r = await rig(t);
  const results = await Promise.all([
    failure(r.remote.engine.create(spec('n1', 0))),
    failure(r.remote.engine.create(spec('n1', 1, { Labels: { 'berth.cluster': cluster, 'berth.node': 'n2', 'berth.bundle': 'web', 'berth.replica': '1' } }))),
    failure(r.remote.files.write('/etc/berth-batch-test', 'x')),
    failure(r.remote.engine.create(spec('n1', 2))),
  ]);
  t.equal(count(r.requests, BATCH_PATH), 1, 'one request');
  t.strictSame(results.map((e) => (e instanceof AgentRefusal ? e.code : e)), [undefined, 'AGENT_SCOPE_REFUSED', 'AGENT_SCOPE_REFUSED', undefined]);
  t.strictSame([...r.node.containers.values()].map((c) => c.name).sort(), ['web-0', 'web-2'], "only the orders in scope changed the node");
});

t.test('a batch of an older term is refused whole; a fenced agent refuses each write', async (t) => {
  let term = 5;
  let fenced = false;
  const r = await rig(t, { term: () => term, fenced: () => fenced });
  await r.remote.engine.create(spec('n1', 0));
  term = 4;
  const stale = await Promise.all([0, 1].map((i) => failure(r.remote.files.write(path.join(r.stateDir, 'clusters', cluster, 'hosts', `s${i}`), 'x'))));
  t.strictSame(stale.map((e) => (e as AgentRefusal).code), ['AGENT_TERM_STALE', 'AGENT_TERM_STALE']);
  term = 5;
  fenced = true;
  const refused = await Promise.all([1, 2].map((i) => failure(r.remote.engine.create(spec('n1', i)))));
  t.strictSame(refused.map((e) => (e as AgentRefusal).code), ['AGENT_FENCED', 'AGENT_FENCED']);
  t.equal(r.node.containers.size, 1, 'nothing made by the refused batches');
});

t.test('an agent without batches (404): each order goes alone, then and from then on', async (t) => {
  const r = await rig(t, { oldAgent: true });
  const ids = await Promise.all([0, 1, 2].map((i) => r.remote.engine.create(spec('n1', i))));
  t.equal(new Set(ids).size, 3);
  await Promise.all(ids.map((id) => r.remote.engine.start(id)));
  t.strictSame({ batches: count(r.requests, BATCH_PATH), singles: count(r.requests, RPC_PATH) }, { batches: 1, singles: 6 }, 'one batch tried, then every order alone');
  t.equal([...r.node.containers.values()].filter((c) => c.state === 'running').length, 3);
});

t.test('a batch naming an order that is not batched, or none, is refused as not the protocol', async (t) => {
  const r = await rig(t);
  const send = async (body: object) => {
    const b = Buffer.from(JSON.stringify(body));
    const headers = signRequest(key, { method: 'POST', path: BATCH_PATH, body: b, to: { node: 'n1', incarnation: r.server.incarnation } });
    const res = await fetch(`${r.url}${BATCH_PATH}`, { method: 'POST', body: b, headers: headers as Record<string, string> });
    return { status: res.status, code: ((await res.json()) as { error?: { code?: string } }).error?.code };
  };
  t.strictSame(await send({ term: 1, orders: [{ op: 'engine.stop', args: ['web-0'] }] }), { status: 400, code: 'AGENT_BAD_MESSAGE' }, 'a stop goes alone');
  t.strictSame(await send({ term: 1, orders: [] }), { status: 400, code: 'AGENT_BAD_MESSAGE' });
  t.strictSame(await send({ term: 1, orders: Array.from({ length: LIMITS.batchOrders + 1 }, (_, i) => ({ op: 'engine.start', args: [`web-${i}`] })) }), { status: 400, code: 'AGENT_BAD_MESSAGE' }, 'too many orders');
  t.equal(r.node.containers.size, 0);
});

t.test('a batch that cannot be made (the term throws: the lead is lost) fails its orders, and later orders still go', async (t) => {
  let leading = true;
  const r = await rig(t, { term: () => { if (!leading) throw new Error('not leading'); return 1; } });
  await r.remote.engine.create(spec('n1', 0));
  leading = false;
  const lost = await Promise.all([1, 2].map((i) => failure(r.remote.engine.create(spec('n1', i)))));
  t.strictSame(lost.map((e) => (e as Error).message), ['not leading', 'not leading']);
  leading = true;
  const ids = await Promise.all([3, 4].map((i) => r.remote.engine.create(spec('n1', i))));
  t.equal(ids.length, 2, 'the next orders are carried out');
  t.strictSame([...r.node.containers.values()].map((c) => c.name).sort(), ['web-0', 'web-3', 'web-4']);
});
