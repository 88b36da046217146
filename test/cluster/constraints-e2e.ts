// Colocation and order on a real cluster: three namespaced nodes with their own engines, `berth
// agent` on each, one `berth controller`. Bundles db and web (two replicas each, one per node),
// `colocation add web with db INFINITY` and `order start db then start web`, written with pcs's
// grammar through berth -f:
//   - web's containers start only after db's run: every web container's start time (the engine's
//     own record) is later than every db container's;
//   - every running web replica is beside a running db replica, in every sample (50 ms) taken
//     while the node of one of them is powered off and both move;
//   - db disabled: every web container stops before every db container (the engines' FinishedAt);
//   - a db container killed: berth starts it again and every web replica restarts after it.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { berthSync, ensureBuilt } from '../helpers/cli';
import { startBerth } from '../helpers/berth-cluster';
import { until } from '../helpers/wait';
import { TestCluster, startCluster } from '../helpers/cluster';

async function running(c: TestCluster): Promise<{ bundle: string; name: string; node: string; id: string }[]> {
  const out: { bundle: string; name: string; node: string; id: string }[] = [];
  await Promise.all(c.nodes.map(async (n) => {
    for (const k of await c.berthContainers(n.name).catch(() => [])) {
      if (k.state === 'running') out.push({ bundle: k.labels['berth.bundle'], name: k.name, node: n.name, id: k.id });
    }
  }));
  return out;
}

t.test('colocation web with db INFINITY and order start db then start web, through a power-off', { timeout: 300_000 }, async (t) => {
  ensureBuilt();
  const names = ['n1', 'n2', 'n3'];
  const c = await startCluster({ nodes: names, t });
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-constraints-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cib = path.join(dir, 'cib.xml');
  writeFileSync(cib, `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="5" num_updates="0" admin_epoch="0"><configuration><crm_config/>
<nodes>${names.map((n, i) => `<node id="${i + 1}" uname="${n}"/>`).join('')}</nodes><resources/><constraints/></configuration><status/></cib>\n`);
  // The configuration, with pcs's grammar, offline on the file the controller reads.
  const edit = (...words: string[]) => t.equal(berthSync(['-f', cib, ...words]).code, 0, `berth -f cib.xml ${words.join(' ')}`);
  edit('resource', 'bundle', 'create', 'db', 'container', 'docker', 'image=berth-test/httpd:1', 'replicas=2', 'network', `ip-range-start=${c.subnet}.100`, 'host-interface=eth0', 'host-netmask=24', 'port-map', 'port=80');
  edit('resource', 'bundle', 'create', 'web', 'container', 'docker', 'image=berth-test/httpd:1', 'replicas=2', 'network', `ip-range-start=${c.subnet}.110`, 'host-interface=eth0', 'host-netmask=24', 'port-map', 'port=80');
  edit('constraint', 'colocation', 'add', 'web', 'with', 'db', 'INFINITY');
  edit('constraint', 'order', 'start', 'db', 'then', 'start', 'web');

  const berth = startBerth(t, c, { dir, cib });
  const agents = new Map<string, ChildProcess>();
  for (const n of names) agents.set(n, berth.startAgent(n));
  t.teardown(() => { for (const a of agents.values()) a.kill('SIGKILL'); });

  const settled = async () => {
    const r = await running(c);
    return r.filter((x) => x.bundle === 'db').length === 2 && r.filter((x) => x.bundle === 'web').length === 2 ? r : undefined;
  };
  const first = await until('two db and two web replicas run', settled, 90_000, 200);

  // The order, from the engines' own start times.
  const startedAt = (x: { node: string; id: string }) => Date.parse(execFileSync('docker', ['-H', c.node(x.node).dockerHost, 'inspect', '-f', '{{.State.StartedAt}}', x.id], { encoding: 'utf8' }).trim());
  const dbStarts = first.filter((x) => x.bundle === 'db').map(startedAt);
  const webStarts = first.filter((x) => x.bundle === 'web').map(startedAt);
  t.ok(Math.min(...webStarts) > Math.max(...dbStarts), `every web container started (${webStarts.map((s) => new Date(s).toISOString()).join(', ')}) after every db container (${dbStarts.map((s) => new Date(s).toISOString()).join(', ')})`);
  t.match(berth.controllerLog(), /waiting: start web-\d after every db replica is started \(order order-db-web-mandatory\)/, 'the controller said web waited for db');

  // The colocation, sampled through a power-off.
  let samples = 0;
  let apart = 0;
  let sampling = true;
  t.teardown(() => { sampling = false; });
  const sampler = (async () => {
    while (sampling) {
      const r = await running(c);
      samples++;
      for (const w of r.filter((x) => x.bundle === 'web')) {
        if (!r.some((d) => d.bundle === 'db' && d.node === w.node)) {
          apart++;
          t.fail(`${w.name} runs on ${w.node} with no db replica there`);
        }
      }
      await new Promise((res) => setTimeout(res, 50));
    }
  })();
  for (const w of first.filter((x) => x.bundle === 'web')) t.ok(first.some((d) => d.bundle === 'db' && d.node === w.node), `${w.name} is beside a db replica on ${w.node}`);
  const victim = first.find((x) => x.bundle === 'web')!.node;
  await c.powerOff(victim);
  const after = await until('both bundles run their two replicas again, off the powered-off node', async () => {
    const r = await settled();
    return r && r.every((x) => x.node !== victim) ? r : undefined;
  }, 60_000, 200);
  for (const w of after.filter((x) => x.bundle === 'web')) t.ok(after.some((d) => d.bundle === 'db' && d.node === w.node), `after the power-off ${w.name} is beside a db replica on ${w.node}`);
  sampling = false;
  await sampler;
  t.ok(samples > 10, `${samples} samples`);
  t.equal(apart, 0, 'never a web replica without a db replica beside it');

  // The cascade of the Mandatory order, without the colocation (with it, web is no longer placed
  // once db stops, and its containers are removed). db disabled (pcs resource disable): web's
  // containers stop before db's — the engines' own FinishedAt.
  const inspect = (x: { node: string; id: string }, field: string) => Date.parse(execFileSync('docker', ['-H', c.node(x.node).dockerHost, 'inspect', '-f', `{{.State.${field}}}`, x.id], { encoding: 'utf8' }).trim());
  edit('constraint', 'delete', 'colocation-web-db-INFINITY');
  await new Promise((res) => setTimeout(res, 3000));
  t.strictSame((await running(c)).map((x) => x.id).sort(), after.map((x) => x.id).sort(), 'without the colocation the same containers run');
  edit('resource', 'disable', 'db');
  await until('neither db nor web runs', async () => ((await running(c)).length === 0 ? true : undefined), 60_000, 200);
  const dbStops = after.filter((x) => x.bundle === 'db').map((x) => inspect(x, 'FinishedAt'));
  const webStops = after.filter((x) => x.bundle === 'web').map((x) => inspect(x, 'FinishedAt'));
  t.ok(Math.max(...webStops) < Math.min(...dbStops), `every web container stopped (${webStops.map((s) => new Date(s).toISOString()).join(', ')}) before every db container (${dbStops.map((s) => new Date(s).toISOString()).join(', ')})`);
  t.match(berth.controllerLog(), /stop web-\d: db has no replica that runs or can start \(order order-db-web-mandatory, Mandatory\)/, 'the controller said why web stopped');

  // db back; then one db container killed: berth starts it again and restarts every web replica
  // (no interleave) after it is up.
  edit('resource', 'enable', 'db');
  const again = await until('db and web run again', settled, 90_000, 200);
  const victimDb = again.find((x) => x.bundle === 'db')!;
  const webBefore = new Map(again.filter((x) => x.bundle === 'web').map((x) => [x.id, inspect(x, 'StartedAt')]));
  execFileSync('docker', ['-H', c.node(victimDb.node).dockerHost, 'kill', victimDb.id]);
  const recovered = await until('db recovered and every web replica started again after it', async () => {
    const r = await settled();
    if (!r) return undefined;
    const dbUp = inspect(r.find((x) => x.name === victimDb.name)!, 'StartedAt');
    const webs = r.filter((x) => x.bundle === 'web');
    return webs.every((w) => inspect(w, 'StartedAt') > (webBefore.get(w.id) ?? 0)) && dbUp > 0 ? { r, dbUp, webs } : undefined;
  }, 90_000, 200);
  for (const w of recovered.webs) t.ok(inspect(w, 'StartedAt') > recovered.dbUp, `${w.name} started again after ${victimDb.name} was up`);
  t.match(berth.controllerLog(), /stop web-\d: restarts because db-\d (restarts|was restarted by the engine) \(order order-db-web-mandatory, Mandatory\)/, 'the controller said why web restarted');
});
