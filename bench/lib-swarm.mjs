// Docker Swarm as the same-run reference of the fail-over benchmarks: a swarm on three engines of
// the namespaced test cluster (test/helpers/cluster.ts), with Swarm's default timings throughout
// (dispatcher heartbeat 5 s, raft election after 10 ticks of 1 s, restart delay 5 s), and the same
// power-off as berth gets (every process of the node SIGKILLed, its engine and containers too).
//
//   swarmFailover       node fail-over: 1 manager + 2 workers, one service of `replicas` tasks;
//                       a worker is powered off; ms until every task answers HTTP again elsewhere.
//   swarmLeaderFailover manager fail-over: 3 managers; the leader's node is powered off; ms until
//                       a surviving manager names a new leader and accepts a service update.
//
// Each starts and always destroys its own cluster, and throws when Swarm cannot be built here (the
// benchmarks then print the published figure instead). SWARM_ROUNDS rounds (default 1: a round
// takes 20 s and more), median returned; not ROUNDS, which the benchmarks use for berth's own
// rounds and which would multiply the time spent on the reference.
import * as http from 'node:http';
import { loadTestHelper, median, sleep, until } from './lib.mjs';

const ROUNDS = Number(process.env.SWARM_ROUNDS ?? 1);
const IMAGE = 'berth-test/httpd:1';
const SERVICE = 'web';


/** One request to a node's engine API on its socket; rejects on transport errors and non-2xx. */
function engine(node, method, urlPath, body, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({ socketPath: node.socket, method, path: urlPath, agent: false, timeout: timeoutMs,
      headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        if ((res.statusCode ?? 0) >= 300) reject(new Error(`${method} ${urlPath} on ${node.name}: HTTP ${res.statusCode}: ${text.trim()}`));
        else resolve(text ? JSON.parse(text) : undefined);
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath} on ${node.name}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(data);
  });
}

const filters = (f) => `filters=${encodeURIComponent(JSON.stringify(f))}`;

async function docker(c, name, args) {
  const r = await c.docker(name, args);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} on ${name}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout.trim();
}

/** A swarm on the cluster's nodes: the first initialises it, the rest join as `roles[i]`. Returns
 * the swarm node id of each cluster node, by name. */
async function buildSwarm(c, say, roles) {
  const [first, ...rest] = c.nodes;
  const listen = (n) => ['--advertise-addr', n.ip, '--listen-addr', `${n.ip}:2377`];
  try {
    await docker(c, first.name, ['swarm', 'init', ...listen(first)]);
    const tokens = {
      worker: await docker(c, first.name, ['swarm', 'join-token', '-q', 'worker']),
      manager: await docker(c, first.name, ['swarm', 'join-token', '-q', 'manager']),
    };
    for (const [i, n] of rest.entries()) await docker(c, n.name, ['swarm', 'join', '--token', tokens[roles[i]], ...listen(n), `${first.ip}:2377`]);
    const ids = {};
    for (const n of c.nodes) ids[n.name] = (await engine(n, 'GET', '/info')).Swarm.NodeID;
    await until('every swarm node ready', async () => (await engine(first, 'GET', '/nodes')).filter((x) => x.Status.State === 'ready').length === c.nodes.length, 30_000, 200);
    say(`swarm: ${first.name} manager, ${rest.map((n, i) => `${n.name} ${roles[i]}`).join(', ')}`);
    return ids;
  } catch (e) {
    throw new Error(`Docker Swarm could not be brought up on the test cluster: ${e.message}`);
  }
}

async function withCluster(prefix, f) {
  const { startCluster } = await loadTestHelper('cluster');
  const c = await startCluster({ nodes: [1, 2, 3].map((i) => `${prefix}${i}`) });
  try {
    return await f(c);
  } finally {
    await c.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// Node fail-over.
//
// Design: one replicated service of `replicas` tasks, each publishing container port 80 in host
// mode on a host port the engine picks (`--publish mode=host,target=80`): a fixed published port
// would allow only one task per node, and the ingress routing mesh would hide which task answers.
// The manager (node 1) runs tasks too but is never powered off, as berth's controller lives outside
// the nodes; the worker with the most tasks is. A task counts as answering when a GET to
// <node ip>:<its host port> returns 200, its port read from the surviving node's own engine
// (not from the manager, whose view lags); done when `replicas` tasks answer on surviving nodes.

/** Running tasks of the service on `node`, as host ports, from the node's engine. */
async function taskPorts(node) {
  const list = await engine(node, 'GET', `/containers/json?${filters({ label: [`com.docker.swarm.service.name=${SERVICE}`], status: ['running'] })}`, undefined, 2000);
  return list.flatMap((k) => (k.Ports ?? []).filter((p) => p.PrivatePort === 80 && p.PublicPort && !String(p.IP).includes(':')).map((p) => p.PublicPort));
}

/** How many tasks answer HTTP 200 on the given nodes. */
async function answering(c, nodes) {
  const counts = await Promise.all(nodes.map(async (n) => {
    let ports;
    try {
      ports = await taskPorts(n);
    } catch {
      return 0;
    }
    const got = await Promise.all(ports.map((p) => c.httpGet(n.ip, p, 400)));
    return got.filter((g) => g?.status === 200).length;
  }));
  return counts.reduce((a, b) => a + b, 0);
}

export async function swarmFailover({ say = () => {}, replicas = 9 } = {}) {
  return withCluster('s', async (c) => {
    const [manager, ...workers] = c.nodes;
    const ids = await buildSwarm(c, say, ['worker', 'worker']);
    // --no-resolve-image: there is no registry here; each engine has the image loaded.
    await docker(c, manager.name, ['service', 'create', '-d', '--name', SERVICE, '--replicas', String(replicas),
      '--publish', 'mode=host,target=80', '--no-resolve-image', IMAGE]);
    const all = () => c.nodes.filter((n) => c.isOn(n.name));
    await until(`${replicas} tasks answer`, async () => (await answering(c, all())) >= replicas, 90_000, 200);
    say(`swarm: service ${SERVICE} of ${replicas} tasks answers (host-mode ports)`);

    const times = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const counts = await Promise.all(workers.map(async (w) => (await taskPorts(w)).length));
      const victim = workers[counts.indexOf(Math.max(...counts))];
      const moved = Math.max(...counts);
      if (!moved) throw new Error('swarm: no worker runs a task of the service');
      const survivors = c.nodes.filter((n) => n !== victim);
      const t0 = Date.now();
      await c.powerOff(victim.name);
      // When the manager marks the node down, for the breakdown: detection, then restart delay and start.
      let downMs;
      await until(`the ${moved} tasks of ${victim.name} answering on other nodes`, async () => {
        if (downMs === undefined && (await engine(manager, 'GET', `/nodes/${ids[victim.name]}`, undefined, 2000).catch(() => undefined))?.Status.State === 'down') downMs = Date.now() - t0;
        return (await answering(c, survivors)) >= replicas;
      }, 120_000, 50);
      const ms = Date.now() - t0;
      times.push(ms);
      say(`swarm round ${round}: powered off ${victim.name} (${moved} tasks); the manager marked it down after ${downMs ?? '?'} ms; ${replicas} tasks answer on the other nodes after ${ms} ms`);
      if (round < ROUNDS) {
        await c.powerOn(victim.name);
        await until(`${victim.name} ready in the swarm again`, async () => (await engine(manager, 'GET', `/nodes/${ids[victim.name]}`)).Status.State === 'ready', 60_000, 200);
        await sleep(1000);
      }
    }
    const ms = median(times);
    say(`swarm: node fail-over median ${ms} ms over ${times.length} round(s) (${times.join(', ')}); Swarm defaults (heartbeat 5 s)`);
    return ms;
  });
}

// ---------------------------------------------------------------------------------------------
// Manager (leader) fail-over: three managers, the leader's node powered off. Measured: the time
// until a surviving manager reports a leader other than the old one (`docker node ls`), and until
// it accepts a service update (a label change) — the point where the swarm can act again, which is
// what berth's figure (a new leader's first pass done) corresponds to; the latter is returned.

async function leaderOf(n) {
  const nodes = await engine(n, 'GET', '/nodes', undefined, 2000);
  return nodes.find((x) => x.ManagerStatus?.Leader)?.ID;
}

async function updateAccepted(n, label) {
  try {
    const svc = await engine(n, 'GET', `/services/${SERVICE}`, undefined, 2000);
    const spec = { ...svc.Spec, Labels: { ...svc.Spec.Labels, 'bench.round': label } };
    await engine(n, 'POST', `/services/${svc.ID}/update?version=${svc.Version.Index}`, spec, 2000);
    return true;
  } catch {
    return false;
  }
}

export async function swarmLeaderFailover({ say = () => {} } = {}) {
  return withCluster('m', async (c) => {
    const ids = await buildSwarm(c, say, ['manager', 'manager']);
    const byId = (id) => c.nodes.find((n) => ids[n.name] === id);
    await docker(c, c.nodes[0].name, ['service', 'create', '-d', '--name', SERVICE, '--replicas', '3', '--no-resolve-image', IMAGE]);
    const times = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const on = () => c.nodes.filter((n) => c.isOn(n.name));
      const oldId = await until('a leader', async () => leaderOf(on()[0]).catch(() => undefined), 30_000, 200);
      const victim = byId(oldId);
      const survivors = c.nodes.filter((n) => n !== victim);
      const t0 = Date.now();
      await c.powerOff(victim.name);
      const newLeader = await until('a new leader', async () => {
        for (const n of survivors) {
          const id = await leaderOf(n).catch(() => undefined);
          if (id && id !== oldId) return byId(id);
        }
        return undefined;
      }, 120_000, 50);
      const leaderMs = Date.now() - t0;
      await until('a service update accepted', () => updateAccepted(survivors[0], `${round}`), 60_000, 50);
      const ms = Date.now() - t0;
      times.push(ms);
      say(`swarm round ${round}: powered off leader ${victim.name}; ${newLeader.name} reported as leader after ${leaderMs} ms, a service update accepted after ${ms} ms`);
      if (round < ROUNDS) {
        await c.powerOn(victim.name);
        await until(`${victim.name} reachable as manager again`, async () => {
          const n = await engine(newLeader, 'GET', `/nodes/${oldId}`).catch(() => undefined);
          return n?.Status.State === 'ready' && n.ManagerStatus?.Reachability === 'reachable';
        }, 60_000, 200);
        await sleep(1000);
      }
    }
    const ms = median(times);
    say(`swarm: leader fail-over median ${ms} ms over ${times.length} round(s) (${times.join(', ')}); Swarm defaults (election after 10 × 1 s ticks)`);
    return ms;
  });
}
