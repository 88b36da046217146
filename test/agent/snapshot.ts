// `node.snapshot` through a real agent server and remoteNode (src/controller/node-snapshot.ts): the
// whole observation with a digest; `unchanged` for the same digest while nothing changed, also when
// only a listing's "Up ..." text moved; the whole again after a change by hand that no engine event
// tells (a hosts file, an address); a hosts file that links out of the state dir refused, as
// files.readMany refuses it; another cluster's files refused. Engine in memory, files real.
import t from 'tap';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { remoteNode } from '../../src/agent/client';
import { generateAuthKey } from '../../src/agent/authkey';
import { startAgentServer } from '../../src/agent/server';
import { TermGuard } from '../../src/agent/term-guard';
import { nodeFiles } from '../../src/controller/node-files';
import { hostsFilePath } from '../../src/model/bundle';
import type { SnapshotAnswer } from '../../src/controller/node-snapshot';
import { fakeNode, FAKE_CLUSTER } from '../helpers/fake-nodes';

const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Error);

t.test('node.snapshot: whole, unchanged, whole again after a change by hand', async (t) => {
  const dir = t.testdir({});
  const stateDir = path.join(dir, 'state');
  const node = fakeNode('n1', { stateDir });
  const key = generateAuthKey();
  const files = nodeFiles(stateDir);
  const server = await startAgentServer({
    node: 'n1', host: '127.0.0.1', port: 0, key, engine: node.deps.engine, addresses: node.deps.addresses, files,
    terms: new TermGuard(path.join(stateDir, 'agent-term.json')), cluster: () => FAKE_CLUSTER, log: () => {},
  });
  const remote = remoteNode({ url: server.url, key, term: () => 1, node: 'n1' });
  t.teardown(async () => { remote.close(); await server.close(); });

  await node.deps.engine.create({ name: 'web-0', Image: 'berth-test/httpd:1', Labels: { 'berth.cluster': FAKE_CLUSTER, 'berth.node': 'n1', 'berth.bundle': 'web', 'berth.replica': '0' } });
  const web = hostsFilePath(stateDir, FAKE_CLUSTER, 'web');
  await files.write(web, '10.9.1.1\tweb-0\n');
  const whole = (a: SnapshotAnswer) => ('snapshot' in a ? a.snapshot : t.fail('a whole snapshot') as never);

  const first = await remote.snapshot(FAKE_CLUSTER);
  const s = whole(first);
  t.strictSame(s.containers.map((c) => c.name), ['web-0'], 'the listing');
  t.strictSame(s.hosts, { [web]: '10.9.1.1\tweb-0\n' }, 'every hosts file of the cluster, by path');
  t.strictSame(s.ledger, {}, 'the ledger');
  t.strictSame(s.addresses.map((a) => a.ip), ['10.0.0.1'], 'the addresses');

  t.strictSame(await remote.snapshot(FAKE_CLUSTER, first.digest), { digest: first.digest, unchanged: true }, 'nothing changed: unchanged, and nothing else');
  for (const c of node.containers.values()) c.status = 'Created 5 minutes ago';
  t.strictSame(await remote.snapshot(FAKE_CLUSTER, first.digest), { digest: first.digest, unchanged: true }, 'only the status text moved: unchanged');
  t.ok('snapshot' in await remote.snapshot(FAKE_CLUSTER, 'another digest'), 'another digest: the whole');

  writeFileSync(web, '# by hand\n');
  const edited = await remote.snapshot(FAKE_CLUSTER, first.digest);
  t.equal(whole(edited).hosts[web], '# by hand\n', 'a hosts file changed by hand: the whole, with it');
  node.addresses = [];
  const bare = await remote.snapshot(FAKE_CLUSTER, edited.digest);
  t.strictSame(whole(bare).addresses, [], 'an address removed by hand: the whole, without it');

  const outside = path.join(dir, 'secret');
  writeFileSync(outside, 'secret\n');
  symlinkSync(outside, hostsFilePath(stateDir, FAKE_CLUSTER, 'api'));
  const refused = await failure(remote.snapshot(FAKE_CLUSTER));
  t.match(refused, { code: 'AGENT_SCOPE_REFUSED' }, 'a hosts file that links out of the state dir: refused, nothing sent');

  mkdirSync(path.join(stateDir, 'clusters', 'other'), { recursive: true });
  t.match(await failure(remote.snapshot('other')), { code: 'AGENT_SCOPE_REFUSED' }, "another cluster's files: refused");
});
