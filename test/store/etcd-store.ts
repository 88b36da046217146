// What only the etcd store has: unreachable and lying endpoints, failover, a watch that survives
// etcd dying and resumes where it stopped, leases and campaign. The shared contract is in
// contract.ts. A real etcd is started for this file.
import t, { Test } from 'tap';
import { codesOf } from '../helpers/problems';
import * as http from 'node:http';
import * as net from 'node:net';
import { EMPTY_CIB_XML } from '../../src/cib/cib';
import { EtcdStore } from '../../src/store/etcd-store';
import { STORE_BAD_RESPONSE, STORE_REFUSED } from '../../src/store/file-store';
import { openStore, parseStoreUrl } from '../../src/store/open';
import { StoredCib } from '../../src/store/store';
import { freePort, startEtcd, TestEtcd } from '../helpers/etcd';


const epoch = (n: number) => EMPTY_CIB_XML.replace('epoch="1"', `epoch="${n}"`);

/** An EtcdStore on the given URL with a short deadline, closed at teardown. */
function store(tt: Test, url: string, timeoutMs = 1500): EtcdStore {
  const at = parseStoreUrl(url);
  if (at.kind !== 'etcd') throw new Error(url);
  const s = new EtcdStore(at.endpoints, at.prefix, { timeoutMs });
  tt.teardown(() => s.close());
  return s;
}

/** A local HTTP server that answers every request with `answer`; returns host:port. */
async function fakeServer(tt: Test, answer: (res: http.ServerResponse) => void): Promise<string> {
  const server = http.createServer((req, res) => { req.resume(); req.on('end', () => answer(res)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  tt.teardown(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

/** Accepts connections and never says a word. */
async function silentServer(tt: Test): Promise<string> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => { sockets.add(s); s.on('error', () => {}); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  tt.teardown(() => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }));
  return `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

/** A TCP proxy to `target` that a test can cut (connections dropped, nothing listening) and
 * reopen on the same port; returns its host:port. */
async function proxy(tt: Test, target: string): Promise<{ endpoint: string; cut(): Promise<void>; reopen(): Promise<void> }> {
  const [host, port] = target.split(':');
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => s.destroy()); };
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), host);
    track(client);
    track(upstream);
    client.pipe(upstream).pipe(client);
  });
  let listening = false;
  const listen = (p: number) => new Promise<void>((r) => server.listen(p, '127.0.0.1', () => { listening = true; r(); }));
  const cut = () => new Promise<void>((r) => {
    for (const s of sockets) s.destroy();
    if (!listening) return r();
    listening = false;
    server.close(() => r());
  });
  await listen(0);
  const own = (server.address() as net.AddressInfo).port;
  tt.teardown(cut);
  return { endpoint: `127.0.0.1:${own}`, cut, reopen: () => listen(own) };
}

async function etcdCall(endpoint: string, api: string, body: object): Promise<unknown> {
  const r = await fetch(`http://${endpoint}${api}`, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(5000) });
  return r.json();
}

let etcd: TestEtcd;
t.before(async () => { etcd = await startEtcd(t); });

t.test('etcd down: every operation fails quickly with a clean error', async (t) => {
  const nobody = `127.0.0.1:${await freePort()}`;
  const s = store(t, `etcd://${nobody}/x`);
  const started = Date.now();
  t.same(await codesOf(s.read()), ['STORE_UNREACHABLE']);
  t.same(await codesOf(s.compareAndSwap(null, EMPTY_CIB_XML)), ['STORE_UNREACHABLE']);
  t.same(await codesOf(s.readKey('k')), ['STORE_UNREACHABLE']);
  t.same(await codesOf(s.grantLease(5)), ['STORE_UNREACHABLE']);
  t.ok(Date.now() - started < 3000, `refused connections do not wait for the deadline (${Date.now() - started} ms)`);
  // a BerthError's message is its problems' messages
  await t.rejects(s.read(), { message: `cannot reach the store etcd://${nobody}/x` }, 'names the store');
  await t.rejects(s.read(), { message: /ECONNREFUSED/ }, 'and the reason');
});

t.test('an endpoint that accepts and never answers: the deadline ends the wait', async (t) => {
  const s = store(t, `etcd://${await silentServer(t)}/x`, 400);
  const started = Date.now();
  t.same(await codesOf(s.read()), ['STORE_UNREACHABLE']);
  t.same(await codesOf(s.compareAndSwap(null, EMPTY_CIB_XML)), ['STORE_UNREACHABLE']);
  const took = Date.now() - started;
  t.ok(took >= 700 && took < 3000, `two requests of a 400 ms deadline took ${took} ms`);
});

t.test('answers that are not etcd are refused, not believed', async (t) => {
  const answers: [string, (res: http.ServerResponse) => void][] = [
    ['plain text', (res) => res.end('hello')],
    ['an HTML 404', (res) => { res.statusCode = 404; res.end('<html>not found</html>'); }],
    ['a JSON 500 without a grpc code', (res) => { res.statusCode = 500; res.end('{"oops":true}'); }],
    ['JSON without a header', (res) => res.end('{}')],
    ['a revision that is not a number', (res) => res.end('{"header":{"revision":"x"},"kvs":[{"mod_revision":"1","value":"PGNpYi8+"}]}')],
    ['a value that is not base64', (res) => res.end('{"header":{"revision":"2"},"kvs":[{"mod_revision":"2","value":"%%%"}],"succeeded":false,"responses":[]}')],
    ['kvs that is not a list', (res) => res.end('{"header":{"revision":"2"},"kvs":"yes"}')],
    ['a JSON list', (res) => res.end('[1,2]')],
  ];
  for (const [what, answer] of answers) {
    const s = store(t, `etcd://${await fakeServer(t, answer)}/x`);
    t.same(await codesOf(s.read()), [STORE_BAD_RESPONSE], `read: ${what}`);
    t.same(await codesOf(s.compareAndSwap(null, EMPTY_CIB_XML)), [STORE_BAD_RESPONSE], `CAS: ${what}`);
    await t.rejects(s.read(), { message: /did not answer \/v3\/kv\/range as etcd does/ }, `says so: ${what}`);
  }
});

t.test('requests fail over to the next endpoint and stay with the one that answers', async (t) => {
  const dead = `127.0.0.1:${await freePort()}`;
  const liar = await fakeServer(t, (res) => res.end('not etcd'));
  const s = store(t, `etcd://${dead},${liar},${etcd.endpoint}/failover`);
  const w = await s.compareAndSwap(null, epoch(2));
  t.ok(w.ok, 'written through the third endpoint');
  t.same(await s.read(), { text: epoch(2), revision: w.ok ? w.revision : '' });
  t.equal(s.url, `etcd://${dead},${liar},${etcd.endpoint}/failover`);
});

t.test('etcd refusing a request is reported with its reason', async (t) => {
  const s = store(t, etcd.storeUrl('refused'));
  const codes = await codesOf(s.campaign('leader', 'me', '7587777777777'));
  t.same(codes, [STORE_REFUSED], 'a put on a lease that does not exist');
  await t.rejects(s.campaign('leader', 'me', '7587777777777'), { message: /requested lease not found/ }, "with etcd's reason");
});

t.test('a watch survives etcd dying and resumes after the last revision it saw', async (t) => {
  const url = etcd.storeUrl('resume');
  const watcher = store(t, url, 1000);
  const writer = store(t, url);
  const seen: StoredCib[] = [];
  watcher.watch((c) => seen.push(c));
  const until = async (n: number, ms = 15000) => {
    for (const end = Date.now() + ms; seen.length < n && Date.now() < end;) await new Promise((r) => setTimeout(r, 25));
  };
  await new Promise((r) => setTimeout(r, 300)); // the watch is created
  const one = await writer.compareAndSwap(null, epoch(2));
  await until(1);
  t.same(seen.map((c) => c.text), [epoch(2)]);

  await etcd.restart(); // kill -9 and start again on the same ports and data
  // Both writes land while the watcher is still reconnecting; it must get both, in order.
  const two = await writer.compareAndSwap(one.ok ? one.revision : '', epoch(3));
  const three = await writer.compareAndSwap(two.ok ? two.revision : '', epoch(4));
  await until(3);
  t.same(seen.map((c) => c.text), [epoch(2), epoch(3), epoch(4)], 'every change, once, in order');
  t.same(seen.map((c) => c.revision), [one, two, three].map((r) => (r.ok ? r.revision : 'refused')));
});

t.test('a watch cut off resumes from the last revision it saw, or catches up after a compaction', async (t) => {
  for (const compact of [false, true]) {
    const url = etcd.storeUrl(`cut-${compact}`);
    const link = await proxy(t, etcd.endpoint);
    const watcher = store(t, url.replace(etcd.endpoint, link.endpoint), 1000);
    const writer = store(t, url);
    const seen: string[] = [];
    watcher.watch((c) => seen.push(c.text));
    const until = async (n: number) => {
      for (const end = Date.now() + 10000; seen.length < n && Date.now() < end;) await new Promise((r) => setTimeout(r, 25));
    };
    await new Promise((r) => setTimeout(r, 300));
    const one = await writer.compareAndSwap(null, epoch(2));
    await until(1);
    await link.cut();
    const two = await writer.compareAndSwap(one.ok ? one.revision : '', epoch(3));
    const three = await writer.compareAndSwap(two.ok ? two.revision : '', epoch(4));
    if (compact && three.ok) await etcdCall(etcd.endpoint, '/v3/kv/compaction', { revision: three.revision });
    await new Promise((r) => setTimeout(r, 300)); // the watcher fails to reconnect meanwhile
    await link.reopen();
    await until(compact ? 2 : 3);
    await new Promise((r) => setTimeout(r, 200)); // and nothing more comes
    t.same(seen, compact ? [epoch(2), epoch(4)] : [epoch(2), epoch(3), epoch(4)], compact ? 'after a compaction: the current value' : 'the missed changes, in order');
  }
});

t.test('leases: grant, campaign, keep alive, revoke', async (t) => {
  const s = store(t, etcd.storeUrl('election'));
  const mine = await s.grantLease(10);
  const theirs = await s.grantLease(10);
  t.match(mine, /^[1-9][0-9]*$/);
  const won = await s.campaign('leader', 'node-a', mine);
  t.ok(won.ok, 'the first campaign wins');
  const lost = await s.campaign('leader', 'node-b', theirs);
  t.same(lost, { ok: false, current: { text: 'node-a', revision: won.ok ? won.revision : '' } }, 'the second sees the leader');
  const ttl = await s.keepAlive(mine);
  t.ok(ttl > 0 && ttl <= 10, `keep-alive leaves ${ttl} s`);
  await s.revoke(mine);
  t.same(await s.readKey('leader'), { text: '', revision: null }, 'revoking the lease removes the leader key');
  t.equal(await s.keepAlive(mine), 0, 'a revoked lease has no time left');
  await s.revoke(mine); // already gone: fine
  t.ok((await s.campaign('leader', 'node-b', theirs)).ok, 'now the other wins');
  t.rejects(s.grantLease(0), RangeError);
  await s.revoke(theirs);
});

t.test('several keys swapped in one transaction: all or none, and a refusal carries every key as it is', async (t) => {
  const s = store(t, etcd.storeUrl('group'));
  const first = await s.compareAndSwapKeys([{ key: 'a', expected: null, text: 'a1' }, { key: 'b', expected: null, text: 'b1' }]);
  if (!first.ok) throw new Error('the first group commit failed');
  t.same([await s.readKey('a'), await s.readKey('b')], [{ text: 'a1', revision: first.revision }, { text: 'b1', revision: first.revision }], 'both written at one revision');
  const other = await s.compareAndSwapKey('b', first.revision, 'b2');
  if (!other.ok) throw new Error('the single swap failed');
  const stale = await s.compareAndSwapKeys([{ key: 'a', expected: first.revision, text: 'a3' }, { key: 'b', expected: first.revision, text: 'b3' }, { key: 'c', expected: null, text: 'c3' }]);
  t.same(stale, { ok: false, current: [{ text: 'a1', revision: first.revision }, { text: 'b2', revision: other.revision }, { text: '', revision: null }] }, 'one stale revision refuses the whole group, with each key as it is now');
  t.same(await s.readKey('a'), { text: 'a1', revision: first.revision }, 'nothing of the refused group was written');
  t.same(await s.readKey('c'), { text: '', revision: null });
  const again = await s.compareAndSwapKeys([{ key: 'a', expected: first.revision, text: 'a3' }, { key: 'b', expected: other.revision, text: 'b3' }]);
  t.ok(again.ok, 'on the revisions it was told, the group is written');
  const many = await s.compareAndSwapKeys(Array.from({ length: 64 }, (_, i) => ({ key: `k${i}`, expected: null, text: String(i) })));
  t.ok(many.ok, '64 keys in one transaction (within etcd\'s default --max-txn-ops of 128)');
  t.same(await s.readKey('k63'), { text: '63', revision: many.ok ? many.revision : '' });
});

t.test('a lease that is not kept alive expires and frees the key', async (t) => {
  const s = store(t, etcd.storeUrl('expiry'));
  const lease = await s.grantLease(1);
  t.ok((await s.campaign('leader', 'gone-soon', lease)).ok);
  for (const end = Date.now() + 8000; Date.now() < end;) {
    if ((await s.readKey('leader')).revision === null) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  t.same(await s.readKey('leader'), { text: '', revision: null });
});

t.test('openStore gives an etcd store for etcd:// URLs', async (t) => {
  const s = openStore(etcd.storeUrl('/opened/here'));
  t.teardown(() => s.close());
  t.ok(s instanceof EtcdStore);
  t.equal((s as EtcdStore).cibKey, '/opened/here/cib');
  t.same(await s.read(), { text: EMPTY_CIB_XML, revision: null });
});

t.test('three members: with the leading member killed the store goes on (writes acknowledged, a leader re-elected); with two gone it refuses', async (t) => {
  const three = await startEtcd(t, { members: 3 });
  t.equal(three.endpoints.length, 3);
  const s = store(t, three.storeUrl('three'), 5000);
  const first = await s.compareAndSwap(null, epoch(2));
  t.ok(first.ok, 'a write with all three up');
  const led = await three.leader();
  t.ok(led >= 0, `member ${led} leads`);
  await three.killMember(led);
  const killed = Date.now();
  // The other two elect a leader among them (etcd's election timeout: 1 s by default); then a
  // write is acknowledged through the same store URL (the dead endpoint is skipped).
  let next = -1;
  while (Date.now() - killed < 10_000 && (next = await three.leader()) < 0) await new Promise((r) => setTimeout(r, 100));
  t.ok(next >= 0 && next !== led, `member ${next} leads ${Date.now() - killed} ms after the kill`);
  const second = await s.compareAndSwap(first.ok ? first.revision : null, epoch(3));
  t.ok(second.ok, 'a write with the leading member dead is acknowledged');
  t.same((await s.read()).text, epoch(3), 'and read back');
  await three.restartMember(led);
  const third = await s.compareAndSwap(second.ok ? second.revision : null, epoch(4));
  t.ok(third.ok, 'the member is back: writes go on');
  // Without a majority (two of three dead) nothing is acknowledged.
  const others = [0, 1, 2].filter((i) => i !== led);
  for (const i of others) await three.killMember(i);
  t.same(await codesOf(s.compareAndSwap(third.ok ? third.revision : null, epoch(5))), ['STORE_UNREACHABLE'], 'no quorum: refused');
  for (const i of others) await three.restartMember(i);
});
