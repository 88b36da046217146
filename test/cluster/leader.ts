// Controller HA on a real etcd: three `berth controller --listen` processes share the live CIB;
// one leads. Two agents (on loopback, sharing this machine's engine: the hand-over is between
// controllers, so one engine is enough here; the namespaced nodes prove fail-over of nodes in
// failover.ts) run 4 replicas. The leader is SIGKILLed: another leads within seconds, the replicas
// keep running untouched (same containers, same start times), and the agents now refuse orders of
// the dead leader's term. An agent with another authkey is refused by the controllers and logs it.
import t from 'tap';
import { spawn, ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { berthAsync, berthBin, berthSync, ensureBuilt } from '../helpers/cli';
import { until } from '../helpers/wait';
import { freePort, startEtcd } from '../helpers/etcd';
import { ensureDocker } from '../helpers/docker';
import { remoteNode, AgentRefusal } from '../../src/agent/client';
import { readAuthKey } from '../../src/agent/authkey';



const docker = (args: string[]) => new Promise<string>((resolve) => {
  const p = spawn('docker', args);
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  p.on('close', () => resolve(out));
});

t.test('the leader is killed: a follower leads within seconds, replicas untouched, the old term refused', { timeout: 300_000 }, async (t) => {
  ensureBuilt();
  ensureDocker();
  const etcd = await startEtcd(t);
  const run = `ha${process.pid}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-ha-'));
  const procs: ChildProcess[] = [];
  t.teardown(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    const ids = (await docker(['ps', '-aq', '--filter', `label=berth.bundle=${run}`])).trim().split('\n').filter(Boolean);
    if (ids.length) await docker(['rm', '-f', ...ids]);
    rmSync(dir, { recursive: true, force: true });
  });
  const key = path.join(dir, 'authkey');
  t.equal(berthSync(['authkey', 'generate', key]).code, 0);
  const store = etcd.storeUrl(`/${run}`);
  const cib = path.join(dir, 'cib.xml');
  writeFileSync(cib, `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="5" num_updates="0" admin_epoch="0"><configuration><crm_config/>
<nodes><node id="1" uname="${run}-a"/><node id="2" uname="${run}-b"/></nodes>
<resources><bundle id="${run}"><docker image="berth-test/httpd:1" replicas="4" replicas-per-host="2"/></bundle></resources><constraints/></configuration><status/></cib>\n`);
  t.equal(berthSync(['--store', store, 'cluster', 'cib-push', cib]).code, 0, 'the CIB is pushed to etcd');

  const start = (name: string, args: string[]) => {
    const log = path.join(dir, `${name}.log`);
    const fd = openSync(log, 'a');
    // The client config the daemons write stays in the test's directory, not /etc/berth.
    const p = spawn(process.execPath, [berthBin, ...args], { stdio: ['ignore', fd, fd], env: { ...process.env, BERTH_CONFIG: path.join(dir, 'client.json') } });
    procs.push(p);
    return { p, log, text: () => readFileSync(log, 'utf8') };
  };
  const ports = [await freePort(), await freePort(), await freePort()];
  const urls = ports.map((p) => `http://127.0.0.1:${p}`);
  const controllers = ports.map((port, i) => start(`c${i}`, ['controller', '--listen', `127.0.0.1:${port}`, '--store', store, '--authkey', key]));
  const agentPorts = [await freePort(), await freePort()];
  const agents = ['a', 'b'].map((n, i) => start(`agent-${n}`, ['agent', '--node', `${run}-${n}`, '--listen', `127.0.0.1:${agentPorts[i]}`, '--controller', urls.join(','), '--authkey', key, '--state-dir', path.join(dir, `state-${n}`)]));

  const running = async () => (await docker(['ps', '--filter', `label=berth.bundle=${run}`, '--format', '{{.ID}}'])).trim().split('\n').filter(Boolean);
  await until('4 running replicas', async () => ((await running()).length === 4 ? true : undefined), 90_000, 200);
  // Who leads now: the controllers whose last word on it is "leading" (under load a lead may
  // have changed hands already; never two at once).
  const leadsNow = (c: { text(): string }) => /leading with term/.test(c.text().split('\n').filter((l) => /leading with term|no longer leading/.test(l)).pop() ?? '');
  const li = await until('one leader', () => (controllers.filter(leadsNow).length === 1 ? controllers.findIndex(leadsNow) : undefined), 10_000);
  t.equal(controllers.filter(leadsNow).length, 1, 'exactly one controller leads');
  const oldTerm = Number([...controllers[li].text().matchAll(/leading with term (\d+)/g)].pop()![1]);

  const inspect = async () => (await docker(['inspect', '-f', '{{.Id}} {{.State.StartedAt}} {{.RestartCount}}', ...(await running())])).trim().split('\n').sort();
  const before = await inspect();
  const t0 = Date.now();
  controllers[li].p.kill('SIGKILL');
  const others = controllers.filter((_, i) => i !== li).map((c) => ({ ...c, from: c.text().length }));
  const next = await until('a new leader\'s first pass', () => others.find((c) => /first pass as leader/.test(c.text().slice(c.from))), 20_000);
  const took = Date.now() - t0;
  t.ok(took < 6000, `a follower led and completed a pass ${took} ms after the leader was killed`);
  const newTerm = Number([...next.text().matchAll(/leading with term (\d+)/g)].pop()![1]);
  t.ok(newTerm > oldTerm, `the new term ${newTerm} is newer than ${oldTerm}`);
  await new Promise((r) => setTimeout(r, 1500));
  t.same(await inspect(), before, 'the replicas kept running untouched (same containers, start times and restart counts)');
  for (const a of agents) t.notMatch(a.text(), /fencing this node/, 'no agent fenced itself during the hand-over');

  // `cluster status` given every controller, the dead leader first, then the follower: the first
  // that answers names the new leader, which is asked; it shows the new term and the replicas.
  const ni = controllers.findIndex((c) => c.p === next.p);
  const fi = [0, 1, 2].find((i) => i !== li && i !== ni)!;
  const order = [urls[li], urls[fi], urls[ni]];
  const st = await until('cluster status from the new leader', async () => {
    const r = await berthAsync(['cluster', 'status', '--json', '--controller', order.join(','), '--authkey', key]);
    const s = r.code === 0 ? JSON.parse(r.stdout) : undefined;
    return s?.leading && s.term === newTerm && s.cluster?.converged ? s : undefined;
  }, 15_000, 300);
  t.equal(st.cluster.bundles[0].running, 4, 'cluster status, past the dead leader: the new leader shows 4 of 4 running');
  t.same(st.nodes.map((n: { liveness: string }) => n.liveness), ['alive', 'alive'], 'and both nodes alive');
  // --watch redraws until interrupted, past the controller that does not answer.
  const watch = start('status-watch', ['cluster', 'status', '--watch', '--interval', '0.3', '--controller', order.join(','), '--authkey', key]);
  await until('12 rounds of --watch', () => ((watch.text().match(/Ctrl-C to stop/g) ?? []).length >= 12 ? true : undefined), 20_000, 100);
  t.notMatch(watch.text(), /MaxListenersExceeded|Warning/, 'no warning after 12 rounds (a listener per round would leak)');
  const watchEnded = new Promise<number | null>((r) => watch.p.once('exit', (code) => r(code)));
  watch.p.kill('SIGINT');
  t.equal(await watchEnded, 0, '--watch ends with exit 0 on Ctrl-C');
  t.match(watch.text(), new RegExp(`controller ${urls[ni].replace(/[.]/g, '\\.')}: leading, term ${newTerm}`), '--watch shows the new leader');

  // An order from the dead leader's term is refused by the agents (fencing by term).
  const authkey = readAuthKey(key);
  const stale = remoteNode({ url: `http://127.0.0.1:${agentPorts[0]}`, key: authkey, term: () => oldTerm, node: `${run}-a`, timeoutMs: 5000 });
  const refused = await stale.engine.listContainers({ labels: { 'berth.bundle': run } }).then(() => undefined, (e: Error) => e);
  t.ok(refused instanceof AgentRefusal && refused.code === 'AGENT_TERM_STALE', `an order of term ${oldTerm} is refused: ${refused?.message}`);
  stale.close();

  // A heartbeat signed with another key is refused by the controllers, and the agent says so.
  const otherKey = path.join(dir, 'other-key');
  t.equal(berthSync(['authkey', 'generate', otherKey]).code, 0);
  const rogue = start('agent-rogue', ['agent', '--node', `${run}-rogue`, '--listen', `127.0.0.1:${await freePort()}`, '--controller', urls.join(','), '--authkey', otherKey, '--state-dir', path.join(dir, 'state-rogue')]);
  await until('the rogue agent to be refused', () => (/heartbeat: .*(signature|refused)/i.test(rogue.text()) ? true : undefined), 15_000, 100);
  t.match(next.text(), /refused POST \/v1\/heartbeat .*AGENT_AUTH_FAILED/, 'the controller logged the refusal');
  t.notMatch(rogue.text(), /heartbeat is granted/, 'the rogue agent never got a lease');
});
