// The fence guard on real engines (src/agent/fence-guard.ts): a namespaced cluster of two nodes,
// one controller, a bundle of two replicas; a sampler lists both engines every 50 ms and fails the
// test the moment one replica runs on two nodes.
//   - an agent SIGKILLed and started again at once (within its lease) keeps its replicas: the same
//     containers, not restarted; its old guard gives way to the new start's;
//   - an agent SIGKILLed and not started again: its guard kills the node's replicas (engine's
//     `die` events) before the controller starts them on the other node (their StartedAt).
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { ensureBuilt } from '../helpers/cli';
import { startBerth } from '../helpers/berth-cluster';
import { sleep, until } from '../helpers/wait';
import { TestCluster, startCluster } from '../helpers/cluster';

/** Docker's RFC 3339 time with nanoseconds, as ms since the epoch. */
const dockerTimeMs = (s: string) => Date.parse(s.replace(/(\.\d{3})\d*/, '$1'));

async function startedAt(c: TestCluster, node: string, ids: string[]): Promise<Map<string, number>> {
  const r = await c.docker(node, ['inspect', '--format', '{{.Name}} {{.State.StartedAt}}', ...ids]);
  return new Map(r.stdout.trim().split('\n').map((l) => { const [n, at] = l.split(' '); return [n!.replace(/^\//, ''), dockerTimeMs(at!)]; }));
}

t.test('the fence guard: an agent killed and restarted keeps its replicas; killed for good, its node is fenced', { timeout: 300_000 }, async (t) => {
  ensureBuilt();
  const names = ['g1', 'g2'];
  const c = await startCluster({ nodes: names, t });
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-guard-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cib = path.join(dir, 'cib.xml');
  writeFileSync(cib, `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="5" num_updates="0" admin_epoch="0"><configuration><crm_config/>
<nodes>${names.map((n, i) => `<node id="${i + 1}" uname="${n}"/>`).join('')}</nodes>
<resources><bundle id="web"><docker image="berth-test/httpd:1" replicas="2" replicas-per-host="2"/>
<network ip-range-start="${c.subnet}.100" host-interface="eth0" host-netmask="24"><port-mapping id="web-port" port="80"/></network></bundle></resources>
<constraints/><rsc_defaults><meta_attributes id="d"><nvpair id="d-s" name="resource-stickiness" value="1"/></meta_attributes></rsc_defaults></configuration><status/></cib>\n`);
  const berth = startBerth(t, c, { dir, cib });
  const agents = new Map<string, ChildProcess>();
  for (const n of names) agents.set(n, berth.startAgent(n));
  t.teardown(() => { for (const a of agents.values()) a.kill('SIGKILL'); });
  const answers = async () => (await Promise.all([0, 1].map((i) => c.httpGet(`${c.subnet}.${100 + i}`, 80, 400)))).every((a) => a?.status === 200) ? true : undefined;
  await until('both replicas answer', answers, 90_000, 200);
  const running = async (n: string) => (await c.berthContainers(n)).filter((k) => k.state === 'running');

  let doubles = 0;
  let samples = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const where = new Map<string, string[]>();
      try {
        await Promise.all(names.map(async (n) => { for (const k of await running(n)) where.set(k.name, [...(where.get(k.name) ?? []), n]); }));
      } catch (e) {
        if (sampling) throw e;
        return; // the test ended (failed) and its cluster is gone
      }
      samples++;
      for (const [r, on] of where) if (on.length > 1) { doubles++; t.fail(`${r} runs on ${on.join(' and ')} at once`); }
      await sleep(50);
    }
  })();

  t.teardown(() => { sampling = false; });
  if (process.env.BERTH_TEST_LOG_DIR) t.teardown(() => { for (const n of names) writeFileSync(path.join(process.env.BERTH_TEST_LOG_DIR!, `fence-guard-${n}.log`), berth.agentLog(n)); });
  const victim = (await running('g1')).length ? 'g1' : 'g2';
  const survivor = victim === 'g1' ? 'g2' : 'g1';
  const logFrom = (mark: number) => berth.agentLog(victim).slice(mark);

  // ---- killed and started again at once: nothing restarts ----
  const before = await running(victim);
  t.ok(before.length > 0, `${victim} runs ${before.map((k) => k.name).join(', ')}`);
  const startedBefore = await startedAt(c, victim, before.map((k) => k.id));
  let mark = berth.agentLog(victim).length;
  agents.get(victim)!.kill('SIGKILL');
  agents.set(victim, berth.startAgent(victim));
  await until('the restarted agent serves', () => (/berth agent: node/.test(logFrom(mark)) ? true : undefined), 20_000, 50);
  await sleep(3000); // past the old lease and the controller's 2 s
  const after = await running(victim);
  t.same(after.map((k) => k.id).sort(), before.map((k) => k.id).sort(), 'the same containers run on the node');
  t.same(await startedAt(c, victim, after.map((k) => k.id)), startedBefore, 'none was restarted (StartedAt unchanged)');
  t.match(logFrom(mark), /still holds for \d+ ms: keeping this node's replicas/, 'the new start kept the lease');
  t.match(logFrom(mark), /fence guard: agent start [0-9a-f]+ holds the node now: this guard exits/, 'the old guard gave way');
  t.notMatch(logFrom(mark), /fence guard \(the agent died/, 'no guard fenced the node');
  t.same(await running(survivor).then((l) => l.filter((k) => before.some((b) => b.name === k.name))), [], `nothing of ${victim} started on ${survivor}`);

  // ---- killed for good: the guard fences before the replicas start elsewhere ----
  const moved = (await running(victim)).map((k) => k.name);
  mark = berth.agentLog(victim).length;
  const killedAt = Date.now();
  agents.get(victim)!.kill('SIGKILL');
  await until(`${moved.join(', ')} run on ${survivor}`, async () => ((await running(survivor)).filter((k) => moved.includes(k.name)).length === moved.length ? true : undefined), 20_000, 50);
  await until('both replicas answer again', answers, 20_000, 100);
  // The guard says so once it has removed the containers too, which may come after the above.
  await until('the guard to report its fence', () => (/fence guard \(the agent died holding a lease\): killed [1-9]\d* replicas?/.test(logFrom(mark)) ? true : undefined), 10_000, 50);
  t.pass('the guard fenced the node');
  t.same(await running(victim), [], `nothing runs on ${victim}`);
  const events = await c.docker(victim, ['events', '--since', String(Math.floor(killedAt / 1000) - 1), '--until', String(Math.ceil(Date.now() / 1000)), '--filter', 'event=die', '--format', '{{.Actor.Attributes.name}} {{.TimeNano}}']);
  const died = new Map(events.stdout.trim().split('\n').filter(Boolean).map((l) => { const [n, ns] = l.split(' '); return [n!, Number(BigInt(ns!) / 1_000_000n)]; }));
  const fresh = (await running(survivor)).filter((k) => moved.includes(k.name));
  const started = await startedAt(c, survivor, fresh.map((k) => k.id));
  for (const r of moved) {
    t.ok(died.has(r), `${r} died on ${victim} (${(died.get(r) ?? NaN) - killedAt} ms after the agent was killed)`);
    t.ok((died.get(r) ?? Infinity) < started.get(r)!, `${r} died on ${victim} before it started on ${survivor} (${started.get(r)! - (died.get(r) ?? NaN)} ms before)`);
  }

  sampling = false;
  await sampler;
  t.equal(doubles, 0, `no replica ran twice in ${samples} samples of both engines`);
  berth.controller.kill('SIGTERM');
});
