// The agent's orders are scoped (src/agent/scope.ts): a real agent server on the real engine,
// driven through remoteNode with the cluster's key, refuses every order outside its scope — other
// containers, its own state files, system paths, specs asking for host access it does not allow —
// and the engine and files are as they were. Each case is a row: the op, its arguments, the
// refusal code and what must be unchanged. Then the same creates allowed by the agent's flags,
// and a garbage fencing record as a coded start error of `berth agent`.
import t from 'tap';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { RemoteNode, remoteNode } from '../../src/agent/client';
import { generateAuthKey, writeAuthKeyFile } from '../../src/agent/authkey';
import { AgentServer, startAgentServer } from '../../src/agent/server';
import { TermGuard } from '../../src/agent/term-guard';
import { DEFAULT_HOST_POLICY, HostPolicy } from '../../src/agent/scope';
import { nodeFiles } from '../../src/controller/node-files';
import type { AddressTable } from '../../src/runtime/addresses';
import { ContainerSpec, dockerEngine } from '../../src/runtime/engine';
import { dockerTestScope, ensureDocker } from '../helpers/docker';
import { berthSync } from '../helpers/cli';

const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

ensureDocker();
const scope = dockerTestScope(t);
const node = `scope-${scope.runId}`;
const cluster = `c-${scope.runId}`;
const bundle = `${node}-web`;
const key = generateAuthKey();
const local = dockerEngine();
const dir = t.testdir({});
const stateDir = path.join(dir, 'state');
const hostsDir = path.join(stateDir, 'clusters', cluster, 'hosts');
const termFile = path.join(stateDir, 'agent-term.json');
const leaseFile = path.join(stateDir, 'agent-lease.json');
const addresses: AddressTable = { list: async () => [], add: async () => {}, remove: async () => {} };

const labels = (over: Record<string, string | undefined> = {}) => Object.fromEntries(Object.entries({
  ...scope.labels, 'berth.cluster': cluster, 'berth.node': node, 'berth.bundle': bundle, 'berth.replica': '0', ...over,
}).filter(([, v]) => v !== undefined)) as Record<string, string>;

const spec = (over: Partial<ContainerSpec> = {}, host: ContainerSpec['HostConfig'] = {}): ContainerSpec => ({
  name: `${bundle}-0`,
  Image: 'berth-test/httpd:1',
  Labels: labels(),
  ...over,
  HostConfig: { Init: true, NetworkMode: 'none', ...host },
});

async function agent(policy: HostPolicy = DEFAULT_HOST_POLICY): Promise<{ server: AgentServer; remote: RemoteNode }> {
  const server = await startAgentServer({
    node, host: '127.0.0.1', port: 0, key, engine: local, addresses, files: nodeFiles(stateDir),
    terms: new TermGuard(termFile), cluster: () => cluster, hostPolicy: policy, log: () => {},
  });
  const remote = remoteNode({ url: server.url, key, term: () => 1, node });
  t.teardown(async () => { remote.close(); await server.close(); });
  return { server, remote };
}

/** Containers made beside the agent, directly on the engine: berth's and others'. */
const foreign = {
  plain: `${node}-plain`,
  otherNode: `${node}-othernode`,
  otherCluster: `${node}-othercluster`,
};

// Were the agent to carry out what it must refuse, these would exist: removed even then.
t.teardown(() => { for (const p of [`/etc/berth-${scope.runId}`, `/root/berth-${scope.runId}`]) rmSync(p, { recursive: true, force: true }); });

t.before(async () => {
  mkdirSync(hostsDir, { recursive: true });
  writeFileSync(termFile, '{"highest":1}\n');
  writeFileSync(leaseFile, '{"until":0}\n');
  writeFileSync(path.join(hostsDir, bundle), '127.0.0.1 localhost\n');
  symlinkSync(termFile, path.join(hostsDir, 'link-to-term'));
  symlinkSync('/etc', path.join(dir, 'link-to-etc'));
  await local.create({ name: foreign.plain, Image: 'berth-test/httpd:1', Labels: scope.labels, HostConfig: { NetworkMode: 'none' } });
  await local.create({ name: foreign.otherNode, Image: 'berth-test/httpd:1', Labels: labels({ 'berth.node': `${node}-b` }), HostConfig: { NetworkMode: 'none' } });
  await local.create({ name: foreign.otherCluster, Image: 'berth-test/httpd:1', Labels: labels({ 'berth.cluster': `${cluster}-b` }), HostConfig: { NetworkMode: 'none' } });
});

/** What a refused order must leave as it was: the containers, the agent's files, the paths. */
async function snapshot(paths: string[]) {
  const containers = (await local.listContainers({ labels: scope.labels })).map((c) => `${c.name} ${c.state}`).sort();
  const files = [termFile, leaseFile, path.join(hostsDir, bundle)].map((f) => readFileSync(f, 'utf8'));
  return { containers, files, paths: paths.map((p) => existsSync(p)) };
}

interface Row {
  name: string;
  op: (r: RemoteNode) => Promise<unknown>;
  code: string;
  /** paths that must not come to exist */
  paths?: string[];
}

const s = spec;
const rows: Row[] = [
  ...(['plain', 'otherNode', 'otherCluster'] as const).flatMap((k): Row[] => [
    { name: `start ${k}`, op: (r) => r.engine.start(foreign[k]), code: 'AGENT_SCOPE_REFUSED' },
    { name: `stop ${k}`, op: (r) => r.engine.stop(foreign[k], 0), code: 'AGENT_SCOPE_REFUSED' },
    { name: `remove ${k}`, op: (r) => r.engine.remove(foreign[k], { force: true }), code: 'AGENT_SCOPE_REFUSED' },
    { name: `rename ${k}`, op: (r) => r.engine.rename!(foreign[k], `${bundle}-0`), code: 'AGENT_SCOPE_REFUSED' },
    { name: `inspect ${k}`, op: (r) => r.engine.inspect(foreign[k]), code: 'AGENT_SCOPE_REFUSED' },
  ]),
  { name: 'write the fencing record', op: (r) => r.files.write(termFile, '{"highest":0}\n'), code: 'AGENT_SCOPE_REFUSED' },
  { name: 'write the lease record', op: (r) => r.files.write(leaseFile, '{"until":99999999999999}\n'), code: 'AGENT_SCOPE_REFUSED' },
  { name: 'read the fencing record', op: (r) => r.files.read(termFile), code: 'AGENT_SCOPE_REFUSED' },
  { name: 'read the fencing record among hosts files', op: (r) => r.files.readMany([path.join(hostsDir, 'web'), termFile]), code: 'AGENT_SCOPE_REFUSED' },
  { name: 'write through a link in the hosts dir to the fencing record', op: (r) => r.files.write(path.join(hostsDir, 'link-to-term'), '{"highest":0}\n'), code: 'AGENT_SCOPE_REFUSED' },
  { name: "write another cluster's hosts file", op: (r) => r.files.write(path.join(stateDir, 'clusters', `${cluster}-b`, 'hosts', 'web'), 'x'), code: 'AGENT_SCOPE_REFUSED', paths: [path.join(stateDir, 'clusters', `${cluster}-b`)] },
  { name: 'write /etc', op: (r) => r.files.write(`/etc/berth-${scope.runId}`, 'x'), code: 'AGENT_SCOPE_REFUSED', paths: [`/etc/berth-${scope.runId}`] },
  { name: 'make a directory in /etc', op: (r) => r.files.ensureDir(`/etc/berth-${scope.runId}`), code: 'AGENT_SCOPE_REFUSED', paths: [`/etc/berth-${scope.runId}`] },
  { name: 'make a directory in /root', op: (r) => r.files.ensureDir(`/root/berth-${scope.runId}`), code: 'AGENT_SCOPE_REFUSED', paths: [`/root/berth-${scope.runId}`] },
  { name: 'make a directory through a link to /etc', op: (r) => r.files.ensureDir(path.join(dir, 'link-to-etc', `berth-${scope.runId}`)), code: 'AGENT_SCOPE_REFUSED', paths: [`/etc/berth-${scope.runId}`] },
  { name: "make a directory in the agent's own state", op: (r) => r.files.ensureDir(path.join(stateDir, 'mine')), code: 'AGENT_SCOPE_REFUSED', paths: [path.join(stateDir, 'mine')] },
  { name: 'create without berth labels', op: (r) => r.engine.create(s({ Labels: scope.labels })), code: 'AGENT_SCOPE_REFUSED' },
  { name: "create another node's replica", op: (r) => r.engine.create(s({ Labels: labels({ 'berth.node': `${node}-b` }) })), code: 'AGENT_SCOPE_REFUSED' },
  { name: "create another cluster's replica", op: (r) => r.engine.create(s({ Labels: labels({ 'berth.cluster': `${cluster}-b` }) })), code: 'AGENT_SCOPE_REFUSED' },
  { name: 'create under a name that is not the replica', op: (r) => r.engine.create(s({ name: `${node}-other` })), code: 'AGENT_SCOPE_REFUSED' },
  { name: 'rename a replica to another name', op: async (r) => { const id = await local.create(s()); try { await r.engine.rename!(id, `${node}-evil`); } finally { await local.remove(id, { force: true }); } }, code: 'AGENT_SCOPE_REFUSED' },
  { name: 'create privileged', op: (r) => r.engine.create(s({}, { Privileged: true })), code: 'AGENT_HOST_ACCESS_DENIED' },
  { name: 'create with the host pid namespace', op: (r) => r.engine.create(s({}, { PidMode: 'host' })), code: 'AGENT_HOST_ACCESS_DENIED' },
  { name: 'create with the host ipc namespace', op: (r) => r.engine.create(s({}, { IpcMode: 'host' })), code: 'AGENT_HOST_ACCESS_DENIED' },
  { name: 'create with a device', op: (r) => r.engine.create(s({}, { Devices: [{ PathOnHost: '/dev/mem', PathInContainer: '/dev/mem', CgroupPermissions: 'rwm' }] })), code: 'AGENT_HOST_ACCESS_DENIED' },
  { name: 'create with SYS_ADMIN', op: (r) => r.engine.create(s({}, { CapAdd: ['SYS_ADMIN'] })), code: 'AGENT_HOST_ACCESS_DENIED' },
  { name: 'create with seccomp unconfined', op: (r) => r.engine.create(s({}, { SecurityOpt: ['seccomp=unconfined'] })), code: 'AGENT_HOST_ACCESS_DENIED' },
  { name: 'create with a bind of /', op: (r) => r.engine.create(s({}, { Binds: ['/:/host'] })), code: 'AGENT_HOST_ACCESS_DENIED' },
  { name: 'create with a bind of /etc/ssh', op: (r) => r.engine.create(s({}, { Binds: ['/etc/ssh:/x:ro'] })), code: 'AGENT_HOST_ACCESS_DENIED' },
  { name: 'create with a bind of /var (it holds the docker socket)', op: (r) => r.engine.create(s({}, { Binds: ['/var:/x'] })), code: 'AGENT_HOST_ACCESS_DENIED' },
  { name: 'create with a bind of the docker socket as a mount', op: (r) => r.engine.create(s({}, { Mounts: [{ Type: 'bind', Source: '/var/run/docker.sock', Target: '/s' }] })), code: 'AGENT_HOST_ACCESS_DENIED' },
  { name: 'create with a bind through a link to /etc', op: (r) => r.engine.create(s({}, { Binds: [`${path.join(dir, 'link-to-etc')}:/x`] })), code: 'AGENT_HOST_ACCESS_DENIED' },
  { name: "create with a bind of the agent's fencing record", op: (r) => r.engine.create(s({}, { Binds: [`${termFile}:/t`] })), code: 'AGENT_HOST_ACCESS_DENIED' },
  { name: "create with a bind of the agent's state dir", op: (r) => r.engine.create(s({}, { Binds: [`${stateDir}:/s`] })), code: 'AGENT_HOST_ACCESS_DENIED' },
];

t.test('orders outside the scope are refused, and nothing changes', async (t) => {
  const { remote } = await agent();
  for (const row of rows) {
    const before = await snapshot(row.paths ?? []);
    const e = await failure(row.op(remote));
    t.match(e, { name: 'AgentRefusal', code: row.code }, row.name);
    t.strictSame(await snapshot(row.paths ?? []), before, `${row.name}: engine and files unchanged`);
  }
  t.equal(await local.inspect(`${bundle}-0`), undefined, 'no replica was created');
  t.strictSame(new TermGuard(termFile).highest, 1, 'the fencing record is as it was');
});

t.test("this agent's replicas, its hosts file and storage are in scope; host-net by default", async (t) => {
  const { remote } = await agent();
  const storage = path.join(dir, 'storage', `${bundle}-0`);
  await remote.files.ensureDir(storage);
  t.ok(statSync(storage).isDirectory(), 'a storage directory');
  await remote.files.write(path.join(hostsDir, bundle), '127.0.0.1 localhost\n10.0.0.1 web-0\n');
  const id = await remote.engine.create(s({ name: `${bundle}-0.next` }, { NetworkMode: 'host', Binds: [`${storage}:/data`, `${path.join(hostsDir, bundle)}:/etc/hosts:ro`] }));
  t.teardown(() => local.remove(id, { force: true }));
  t.match(await remote.engine.inspect(id), { id, name: `${bundle}-0.next` });
  await remote.engine.rename!(id, `${bundle}-0`);
  await remote.engine.start(id);
  await remote.engine.stop(id, 0);
  await remote.engine.remove(id, { force: true });
  t.equal(await local.inspect(id), undefined, 'created, renamed, started, stopped and removed through the agent');
});

t.test('host access is allowed by the agent flags, and host-net can be denied', async (t) => {
  const { remote: strict } = await agent({ allow: new Set(), mounts: [] });
  t.match(await failure(strict.engine.create(s({}, { NetworkMode: 'host' }))), { code: 'AGENT_HOST_ACCESS_DENIED', message: /host-net/ }, '--deny host-net');
  const { remote: open } = await agent({ allow: new Set(['privileged', 'host-pid']), mounts: ['/'] });
  const rows: [string, ContainerSpec['HostConfig']][] = [
    ['privileged', { Privileged: true }],
    ['host pid', { PidMode: 'host' }],
    ['a bind of /', { Binds: ['/:/host:ro'] }],
  ];
  for (const [name, host] of rows) {
    const id = await open.engine.create(s({}, host));
    const d = await local.inspect(id);
    await local.remove(id, { force: true });
    t.match(d?.raw.HostConfig, host, `${name}: created as asked`);
  }
  t.match(await failure(open.files.ensureDir(path.join(stateDir, 'mine'))), { code: 'AGENT_SCOPE_REFUSED', message: /own state/ }, "the agent's own state stays out of reach");
  t.notOk(existsSync(path.join(stateDir, 'mine')));
  t.match(await failure(open.engine.create(s({}, { Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/x', CgroupPermissions: 'r' }] }))), { code: 'AGENT_HOST_ACCESS_DENIED', message: /--allow devices/ }, 'what is not allowed stays refused');
});

t.test('a garbage fencing record is a coded start error of berth agent, not a crash', async (t) => {
  const state = path.join(dir, 'garbage');
  mkdirSync(state);
  writeFileSync(path.join(state, 'agent-term.json'), 'garbage');
  const keyFile = path.join(dir, 'authkey');
  writeAuthKeyFile(keyFile, key);
  const r = berthSync(['agent', '--json', '--node', node, '--listen', '127.0.0.1:0', '--controller', 'http://127.0.0.1:9', '--authkey', keyFile, '--state-dir', state]);
  t.equal(r.code, 2, 'exit 2: cannot start');
  t.match(r.stdout + r.stderr, /AGENT_STATE_INVALID/);
  t.equal(readFileSync(path.join(state, 'agent-term.json'), 'utf8'), 'garbage', 'the record is left for a person to look at');
});

t.test('every container of this test is gone', async (t) => {
  scope.cleanup();
  t.strictSame(await local.listContainers({ labels: scope.labels }), []);
});
