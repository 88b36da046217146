// resource failcount show / cleanup / restart against a cluster, through the real pieces but no
// Docker: a cluster controller (its endpoint, the election on a file store, the passes) and two
// real `berth agent`s on 127.0.0.1 serving in-memory engines (test/helpers/fake-nodes.ts) and
// real node files; the commands run as the CLI runs them (main) with --controller and --authkey.
// Twice: with the endpoint in the controller's process, and in the forked heartbeat process
// (bin/berth controller-heartbeats, as `berth controller --listen` runs it), which passes the
// requests to the controller's process.
import t, { Test } from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateAuthKey, writeAuthKeyFile } from '../../src/agent/authkey';
import { Agent, startAgent } from '../../src/agent/daemon';
import { startClusterController } from '../../src/cluster/cluster-controller';
import { fileCibSource } from '../../src/controller/deps';
import { nodeFiles } from '../../src/controller/node-files';
import { fileClusterId } from '../../src/store/cluster-id';
import { openStore } from '../../src/store/open';
import { parseCib, section } from '../../src/cib/cib';
import { serializeXml } from '../../src/cib/xml';
import type { FailureRecord } from '../../src/reconcile/observed';
import { FakeNode, fakeNode } from '../helpers/fake-nodes';
import { berthBin, berthInProcess, ensureBuilt, problemCodes } from '../helpers/cli';
import { freePort } from '../helpers/etcd';
import { until } from '../helpers/wait';

const CIB = `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config/>
<nodes><node id="1" uname="n1"/><node id="2" uname="n2"/></nodes><resources>
    <bundle id="web">
      <docker image="berth-test/httpd:1" replicas="2" replicas-per-host="2"/>
      <meta_attributes id="web-meta"><nvpair id="web-meta-mt" name="migration-threshold" value="1"/></meta_attributes>
    </bundle>
  </resources><constraints/></configuration><status/></cib>
`;

const berth = berthInProcess;
const codes = problemCodes;

/** Where each replica's running container is: `web-0@n2`. */
const running = (nodes: FakeNode[]) => nodes.flatMap((n) => [...n.containers.values()].filter((c) => c.state === 'running').map((c) => `${c.bundle}-${c.replica}@${n.name}`)).sort();

async function world(t: Test, forked: boolean) {
  // One teardown, in order: the agents and the controller stop before their files go (a write
  // under way would make the removal fail, and a teardown that fails leaves the rest running).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-failures-'));
  const stops: (() => Promise<void>)[] = [];
  t.teardown(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const cibFile = path.join(dir, 'cib.xml');
  fs.writeFileSync(cibFile, CIB);
  const cluster = fileClusterId(cibFile);
  const keyFile = path.join(dir, 'authkey');
  const key = generateAuthKey();
  writeAuthKeyFile(keyFile, key);
  // The client config is the test's, empty: only the flags name the controller.
  const env = { BERTH_CONFIG: process.env.BERTH_CONFIG, BERTH_CONTROLLER: process.env.BERTH_CONTROLLER };
  process.env.BERTH_CONFIG = path.join(dir, 'client.json');
  delete process.env.BERTH_CONTROLLER;
  stops.push(async () => { for (const [k, v] of Object.entries(env)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; } });

  // web-0 failed once on each node (migration-threshold=1): it is kept off both, web-1 runs.
  const stateDirs = { n1: path.join(dir, 'n1'), n2: path.join(dir, 'n2') };
  const rec = (count: number): FailureRecord => ({ baseline: 0, extra: 0, count, lastFailureAt: Date.now() - 1000 });
  await nodeFiles(stateDirs.n1).writeLedger(cluster, { 'replica:web:0': rec(1) });
  await nodeFiles(stateDirs.n2).writeLedger(cluster, { 'replica:web:0': rec(2) });

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const log: string[] = [];
  if (forked) ensureBuilt();
  const controller = await startClusterController({
    store: openStore(path.join(dir, 'store')), cib: fileCibSource(cibFile, 50), key,
    self: { id: 'c1', url }, listen: { host: '127.0.0.1', port },
    resyncMs: 60_000, busyMs: 50, log: (l) => log.push(l),
    ...(forked ? { heartbeatExec: berthBin } : {}),
  });
  stops.push(() => controller.stop());
  const nodes = ['n1', 'n2'].map((n) => fakeNode(n));
  const agents: Record<string, Agent> = {};
  for (const n of nodes) {
    // Engine events: none, but the stream stays open (as Docker's does) until the follower stops.
    // stop is looked up at each call: a test may make the engine refuse it.
    const engine = { ...n.deps.engine, stop: (id: string, secs?: number) => n.deps.engine.stop(id, secs), events: (_f: unknown, signal?: AbortSignal) => ({ [Symbol.asyncIterator]: async function* () { await new Promise((r) => signal?.addEventListener('abort', r)); } }) };
    agents[n.name] = await startAgent({
      node: n.name, listen: { host: '127.0.0.1', port: 0 }, controllers: [url], key,
      stateDir: stateDirs[n.name as 'n1' | 'n2'], engine, addresses: n.deps.addresses, files: nodeFiles(stateDirs[n.name as 'n1' | 'n2']), log: () => {},
    });
    stops.push(() => agents[n.name].stop());
  }
  const C = ['--controller', url, '--authkey', keyFile];
  await until('web-1 to run (web-0 is kept off both nodes)', () => (running(nodes).length === 1 && running(nodes)[0].startsWith('web-1@')) || undefined, 15_000, 50);
  return { dir, cibFile, cluster, keyFile, url, nodes, agents, stateDirs, C, log, ledger: (n: 'n1' | 'n2') => nodeFiles(stateDirs[n]).readLedger(cluster) };
}

for (const forked of [false, true]) {
  t.test(`failcount show and cleanup ask the leader, which reaches every node (${forked ? 'forked heartbeat process' : 'one process'})`, { timeout: 90_000 }, async (t) => {
    const w = await world(t, forked);
    const before = { n1: await w.ledger('n1'), n2: await w.ledger('n2') };

    const show = await berth(['resource', 'failcount', 'show', ...w.C]);
    t.same(show, { code: 0, stdout: "Failcounts for resource 'web-0'\n  n1: 1\n  n2: 2\n", stderr: '' }, 'every node\'s counts, as pcs prints them');
    const json = await berth(['resource', 'failcount', 'show', 'web', 'node=n2', ...w.C, '--json']);
    t.match(JSON.parse(json.stdout), { cluster: w.cluster, controller: w.url, failcounts: [{ resource: 'web-0', node: 'n2', count: 2 }], unreachable: [] });

    // Refused, and nothing changes.
    const refusals: [string, string[], number, string[]][] = [
      ['an unknown resource', ['resource', 'cleanup', 'nope', ...w.C], 1, ['ID_NOT_FOUND']],
      ['operation= (berth counts container failures, not operations)', ['resource', 'cleanup', 'web', 'operation=start', ...w.C], 1, ['OPTION_UNKNOWN']],
      ['a node not in the CIB', ['resource', 'cleanup', 'web', 'node=n9', ...w.C], 1, ['ID_NOT_FOUND']],
      ['--state-dir with --controller', ['resource', 'cleanup', 'web', ...w.C, '--state-dir', w.stateDirs.n1], 2, ['USAGE']],
      ['--cib with --controller', ['resource', 'failcount', 'show', ...w.C, '--cib', w.cibFile], 2, ['USAGE']],
      ['another authkey', ['resource', 'cleanup', 'web', '--controller', w.url, '--authkey', (() => { const f = path.join(w.dir, 'other-key'); writeAuthKeyFile(f, generateAuthKey()); return f; })()], 1, ['AGENT_UNREACHABLE']],
    ];
    for (const [name, argv, code, problems] of refusals) {
      const r = await berth([...argv, '--json']);
      t.same({ code: r.code, problems: codes(r.stderr) }, { code, problems }, name);
    }
    t.same({ n1: await w.ledger('n1'), n2: await w.ledger('n2') }, before, 'the ledgers are as they were');
    // (from the forked heartbeat process the log line comes over IPC, maybe after the answer)
    await until('the refusal to be logged', () => /refused POST \/v1\/cleanup .*AGENT_AUTH_FAILED/.test(w.log.join('\n')) || undefined, 5000, 50);
    t.pass('the other key is refused by the controller, and logged');

    // Cleaned on n2 only: web-0 may run there again, and does at once (the next resync is a minute away).
    const t0 = Date.now();
    const clean = await berth(['resource', 'cleanup', 'web-0', 'node=n2', ...w.C]);
    t.same({ code: clean.code, stderr: clean.stderr.split('\n')[0] }, { code: 0, stderr: 'Cleaned up web-0 on n2' });
    t.same({ n1: await w.ledger('n1'), n2: await w.ledger('n2') }, { n1: before.n1, n2: {} }, 'n2\'s record is gone, n1\'s stays');
    await until('web-0 to run on n2', () => running(w.nodes).includes('web-0@n2') || undefined, 5000, 50);
    t.ok(Date.now() - t0 < 5000, `web-0 runs on n2 ${Date.now() - t0} ms after the cleanup`);
    t.match(w.log.join('\n'), /resource cleanup: Cleaned up web-0 on n2/, 'the leader says what it cleaned');

    const again = await berth(['resource', 'cleanup', 'web-0', 'node=n2', ...w.C]);
    t.same(again, { code: 0, stdout: '', stderr: "No failures to clean up for resource 'web-0' on node 'n2'\n" });
    const rest = await berth(['resource', 'failcount', 'show', 'web', ...w.C]);
    t.equal(rest.stdout, "Failcounts for resource 'web-0'\n  n1: 1\n");

    // A node that is gone: the others are reached, it is named, exit 1.
    await w.agents.n2.stop();
    await until('n2 to be lost', () => /node n2 is lost/.test(w.log.join('\n')) || undefined, 10_000, 50);
    const partial = await berth(['resource', 'failcount', 'show', ...w.C, '--json']);
    t.same({ code: partial.code, problems: codes(partial.stderr), counts: (JSON.parse(partial.stdout) as { failcounts: { node: string }[] }).failcounts.map((f) => f.node) }, { code: 1, problems: ['AGENT_UNREACHABLE'], counts: ['n1'] });
    const cleanAll = await berth(['resource', 'cleanup', ...w.C]);
    t.equal(cleanAll.code, 1);
    t.match(cleanAll.stderr, /^Cleaned up web-0 on n1\n[\s\S]*resource cleanup did not reach n2 \(lost/);
    t.same(await w.ledger('n1'), {}, 'n1 cleaned');
  });
}

t.test('restart on a cluster: Stopped through the CIB, waits on the leader\'s status, the CIB ends as it was', { timeout: 90_000 }, async (t) => {
  const w = await world(t, false);
  await berth(['resource', 'cleanup', ...w.C]);
  await until('both replicas to run', () => running(w.nodes).length === 2 || undefined, 5000, 50);
  const ids = w.nodes.flatMap((n) => [...n.containers.keys()]).sort();
  const resources = (text: string) => serializeXml(section(parseCib(text), 'resources'));
  const text = fs.readFileSync(w.cibFile, 'utf8');

  // What the restart waits on: the leader's status, as `cluster status` shows it.
  type Status = { leading: boolean; cluster: { bundles: { id: string; running: number }[] } | null };
  const status = await until('the leader\'s status to show both running', async () => {
    const s = JSON.parse((await berth(['cluster', 'status', ...w.C, '--json'])).stdout) as Status;
    return s.cluster?.bundles[0]?.running === 2 ? s : undefined;
  }, 5000, 50);
  t.match(status, { leading: true, cluster: { bundles: [{ id: 'web', running: 2 }] } });

  // One node alone cannot restart a bundle of the cluster.
  const alone = await berth(['resource', 'restart', 'web', '--cib', w.cibFile, '--node', 'n1', '--json']);
  t.same({ code: alone.code, problems: codes(alone.stderr) }, { code: 1, problems: ['CLUSTER_MODE_UNSUPPORTED'] });
  const bad = await berth(['resource', 'restart', 'web', ...w.C, '--node', 'n1', '--json']);
  t.same({ code: bad.code, problems: codes(bad.stderr) }, { code: 2, problems: ['USAGE'] }, '--node with --controller');

  const r = await berth(['resource', 'restart', 'web', ...w.C, '--cib', w.cibFile, '--timeout', '30', '--json']);
  t.equal(r.code, 0, r.stderr);
  t.match(JSON.parse(r.stdout), { bundle: 'web', running: 2 });
  t.equal(resources(fs.readFileSync(w.cibFile, 'utf8')), resources(text), 'the resources section is as it was, byte for byte');
  t.same(w.nodes.flatMap((n) => [...n.containers.keys()]).sort(), ids, 'the same containers, stopped and started again');
  t.equal(running(w.nodes).length, 2);
  t.match(w.log.join('\n'), /n\d: stop web-0/, 'the leader stopped them');
  t.match(w.log.join('\n'), /n\d: stop web-1/);

  // The engines do not stop the replicas: the leader's status never shows them stopped, and the
  // Stopped the restart set is undone.
  for (const n of w.nodes) n.deps.engine.stop = async () => { throw new Error('the engine does not stop it'); };
  const slow = await berth(['resource', 'restart', 'web', ...w.C, '--cib', w.cibFile, '--timeout', '2', '--json']);
  t.same({ code: slow.code, problems: codes(slow.stderr) }, { code: 1, problems: ['WAIT_TIMEOUT'] });
  t.equal(resources(fs.readFileSync(w.cibFile, 'utf8')), resources(text), 'the target-role it set is undone');
});
