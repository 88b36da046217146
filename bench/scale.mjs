// Scale: 100 nodes, 1,000 bundles, 10,000 replicas at the top size, printed at 10, 30 and 100
// nodes (SIZES=10,30,100) so that growth is visible. Two sections:
//
// 1. Through the real controllers. Two `berth controller --listen` processes (bin/berth) on one
//    real etcd (loopback, started here), and the many-node rig (test/helpers/sim-agents.ts): one
//    process per 25 nodes, serving each through a real `berth agent` (signed protocol, term guard,
//    scope checks, heartbeats, leases) on its own loopback port, over an engine stand-in that keeps
//    containers and addresses in memory and emits engine events. Real: controllers, etcd,
//    election, heartbeats, the agent protocol, placement, planning, node files, the CLI.
//    Simulated: the engines and addresses (no containers run). See docs/scale.md. Per size: converge from empty (the CIB pushed with every bundle, until
//    every replica runs; placements per second), a no-op pass (the leader's own duration of its
//    last pass, `lastPassMs` in `cluster status --json`, resync every 2 s), `berth cluster status
//    --json` and `berth cluster cib-push FILE diff-against=ORIG` of one change (wall time of the
//    command), the CPU of the leader and of its heartbeat process and etcd's writes per second
//    while converged (HEARTBEAT_INTERVAL=1: the controllers' --heartbeat-interval), the leader's memory (VmRSS and VmHWM of it and of its heartbeat process), a node
//    powered off (declared lost; its replicas placed, as the leader logs it: the pass that put them elsewhere sent its orders, with that pass's steps; running elsewhere; the lease alone is 2 s), the leader killed
//    (SIGKILL, until the other's first pass as leader is done).
// 2. In one process (test/helpers/scale-kit.ts): the pass over in-memory nodes, without agents,
//    HTTP or etcd: berth's own work alone. IN_PROCESS=0 skips it.
//
// Goals: no-op pass <= 1 s, node lost -> placed <= 3 s, memory <= 1 GiB. Reference: Nomad's
// published placement rates (C1M: 3,750/s, C2M: 1,500/s; not measured here). Ends with:
// scale: ours_pps=X ref_pps=3750 ratio=Z (through the real controllers, at the largest size).
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { finalLine, loadTestHelper, median, sleep, until } from './lib.mjs';

const SIZES = (process.env.SIZES ?? '10,30,100').split(',').map(Number);
// The controllers' --leader-ttl (default: theirs, 2 s); see docs/scale.md.
const LEADER_TTL = process.env.LEADER_TTL;
// The controllers' --heartbeat-interval (default: theirs, 0.3 s); see docs/cluster.md.
const HEARTBEAT_INTERVAL = process.env.HEARTBEAT_INTERVAL;
// Node's flags for the controllers, their heartbeat processes and the rig, e.g.
// NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' (NODE_OPTIONS may not carry --cpu-prof).
const NODE_ARGS = process.env.NODE_ARGS?.split(' ').filter(Boolean);
const PER_BUNDLE = 10;
const now = () => Number(process.hrtime.bigint()) / 1e6;
const say = (s) => console.log(s);
const nodeNames = (n) => Array.from({ length: n }, (_, i) => `n${String(i).padStart(3, '0')}`);

function cibXml(nodes, bundles, { epoch = 1, stickiness = false } = {}) {
  const n = nodes.map((name, i) => `<node id="${i + 1}" uname="${name}"/>`).join('');
  const b = Array.from({ length: bundles }, (_, i) =>
    `<bundle id="b${i}"><docker image="berth-test/httpd:1" replicas="${PER_BUNDLE}" replicas-per-host="2" options="--init"/>`
    + `<network ip-range-start="10.${100 + ((i >> 8) & 127)}.${i & 255}.1" host-netmask="32" host-interface="eth0"><port-mapping id="b${i}-port" port="80"/></network></bundle>`).join('');
  const defaults = stickiness ? '<rsc_defaults><meta_attributes id="rsc_defaults-meta_attributes"><nvpair id="rsc_defaults-meta_attributes-resource-stickiness" name="resource-stickiness" value="1"/></meta_attributes></rsc_defaults>' : '';
  return `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="${epoch}" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes>${n}</nodes><resources>${b}</resources><constraints/>${defaults}</configuration><status/></cib>`;
}

// ---- 1. through the real controllers ----

const procs = new Set();
let keepLogs = false;
// In memory when the machine has /dev/shm: the agents' lease and term files (written with every
// granted heartbeat) and etcd's data; the disk is shared with whatever else runs here.
const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'berth-scale-bench-'));

async function startEtcd(sim) {
  const [client, peer] = [await sim.freePort(), await sim.freePort()];
  const log = openSync(join(dir, 'etcd.log'), 'a');
  const p = spawn('etcd', ['--name', 's', '--data-dir', join(dir, 'etcd'), '--listen-client-urls', `http://127.0.0.1:${client}`, '--advertise-client-urls', `http://127.0.0.1:${client}`,
    '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`, '--initial-cluster', `s=http://127.0.0.1:${peer}`, '--log-level', 'warn',
    '--quota-backend-bytes', String(4 * 2 ** 30)], { stdio: ['ignore', log, log] });
  procs.add(p);
  return `127.0.0.1:${client}`;
}

/** VmRSS and VmHWM of a process, MiB. */
function memoryOf(pid) {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}
/** Writes etcd has committed so far (raft proposals: a transaction is one, however many keys it writes). */
async function etcdWrites(etcd) {
  const text = await (await fetch(`http://${etcd}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  return Number(/^etcd_server_proposals_committed_total (\S+)$/m.exec(text)?.[1] ?? NaN);
}
/** CPU time (user + system) a process has used, ms (clock ticks of 10 ms). */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}
const childrenOf = (pid) => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);

/** The time (ms since the epoch) of the first line matching `re` in `text` (lines start with an ISO time). */
function loggedAt(text, re) {
  for (const line of text.split('\n')) if (re.test(line)) return Date.parse(line.slice(0, line.indexOf(' ')));
  return undefined;
}

async function realSize(sim, etcd, nodesN) {
  const names = nodeNames(nodesN);
  const bundles = nodesN * 10;
  const replicas = bundles * PER_BUNDLE;
  const sdir = join(dir, `n${nodesN}`);
  mkdirSync(sdir, { recursive: true });
  const store = `etcd://${etcd}/scale${nodesN}`;
  const c = await sim.startSimCluster({ nodes: names, dir: sdir, store, controllers: 2, controllerArgs: ['--interval', '2', ...(LEADER_TTL ? ['--leader-ttl', LEADER_TTL] : []), ...(HEARTBEAT_INTERVAL ? ['--heartbeat-interval', HEARTBEAT_INTERVAL] : [])], ...(NODE_ARGS ? { nodeArgs: NODE_ARGS } : {}) });
  let lagMs = 0;
  // What went wrong, when something did: the leader changes and the agents that fenced themselves.
  const troubled = (e) => {
    const terms = [0, 1].map((i) => (c.controllerLog(i).match(/leading with term/g) ?? []).length).reduce((a, b) => a + b, 0);
    const fenced = (c.agentsLog().match(/fencing this node/g) ?? []).length;
    return new Error(`${e.message} (${terms} terms led, ${fenced} agent self-fences, the rig's event loop held up ${lagMs} ms at most; logs in ${sdir})`);
  };
  try {
    const cib = join(sdir, 'cib.xml');
    // The nodes first: every agent joins (its heartbeats granted, the leader observes it).
    writeFileSync(cib, cibXml(names, 0, { epoch: 5, stickiness: true }));
    const first = c.berth(['--store', store, 'cluster', 'cib-push', cib]);
    if (first.code !== 0) throw new Error(`cib-push: ${first.stderr}`);
    await until(`${nodesN} nodes alive`, () => { const s = c.status(); return s.leading && s.nodes.length === nodesN && s.nodes.every((n) => n.liveness === 'alive') && s.cluster?.converged; }, 60_000, 300);

    // Converge from empty: every bundle pushed at once, until every replica runs.
    writeFileSync(cib, cibXml(names, bundles, { epoch: 6, stickiness: true }));
    const t0 = now();
    const push = c.berth(['--store', store, 'cluster', 'cib-push', cib]);
    if (push.code !== 0) throw new Error(`cib-push: ${push.stderr}`);
    let counts;
    const countNow = async () => { const k = await c.agents.counts(); lagMs = Math.max(lagMs, k.lagMs); return k; };
    await until(`${replicas} replicas running`, async () => { counts = await countNow(); return counts.running >= replicas; }, 180_000, 100);
    const converge = now() - t0;
    if (counts.copies !== 1 || counts.running !== replicas) throw new Error(`converged with ${counts.running} running, ${counts.copies} copies of one replica`);
    const pps = replicas / (converge / 1000);
    // Said at once: a later step that fails must not hide it.
    say(`  ${nodesN} nodes: converged from empty in ${converge.toFixed(0)} ms (${pps.toFixed(0)} placements/s), load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);

    // No-op passes: the leader's own figure for three passes that found nothing to do (resync
    // every 2 s). Then the leader's CPU while converged, over 6 s without a status request (load
    // on the machine stretches wall times, not this): passes and taking every heartbeat.
    const noop = new Map();
    await until('three no-op passes', () => {
      const s = c.status();
      if (s.cluster?.converged && s.lastPassMs !== null && s.passes > 0) noop.set(s.passes, s.lastPassMs);
      return noop.size >= 3;
    }, 60_000, 1500);
    const noopMs = median([...noop.values()]);
    const s1 = c.status();
    const leaderPid = c.controllers[c.urls.indexOf(s1.controller.url)].pid;
    const hbPid0 = childrenOf(leaderPid)[0];
    const cpu0 = cpuMs(leaderPid);
    const hbCpu0 = cpuMs(hbPid0);
    const writes0 = await etcdWrites(etcd);
    const w0 = now();
    await sleep(6000);
    const cpuShare = (cpuMs(leaderPid) - cpu0) / (now() - w0);
    // The heartbeat process's CPU and etcd's writes while converged: taking every heartbeat.
    const hbCpuShare = (cpuMs(hbPid0) - hbCpu0) / (now() - w0);
    const writesPerS = ((await etcdWrites(etcd)) - writes0) / ((now() - w0) / 1000);
    const idlePasses = c.status().passes - s1.passes;
    const cpuPerPass = ((cpuMs(leaderPid) - cpu0) / Math.max(1, idlePasses));

    // The CLI against the cluster: status, and a diff-against push of one change.
    const statusMs = median([0, 1, 2].map(() => c.berth(['cluster', 'status', '--json', '--controller', c.urls.join(','), '--authkey', c.key]).ms));
    const live = join(sdir, 'live.xml');
    if (c.berth(['--store', store, 'cluster', 'cib', live]).code !== 0) throw new Error('cluster cib failed');
    copyFileSync(live, `${live}.orig`);
    const edit = c.berth(['-f', live, 'property', 'set', `pe-input-series-max=${4000 + nodesN}`]);
    if (edit.code !== 0) throw new Error(`property set: ${edit.stderr}`);
    const diffPush = c.berth(['--store', store, 'cluster', 'cib-push', live, `diff-against=${live}.orig`]);
    if (diffPush.code !== 0) throw new Error(`cib-push diff-against: ${diffPush.stderr}`);

    // The leader's memory, and its heartbeat process's.
    const s0 = c.status();
    const li = c.urls.indexOf(s0.controller.url);
    const leader = c.controllers[li];
    const mem = memoryOf(leader.pid);
    const hbPid = childrenOf(leader.pid)[0];
    const hbMem = hbPid ? memoryOf(hbPid) : { rss: NaN, hwm: NaN };

    // A node powered off: until its replicas run elsewhere (no replica twice meanwhile).
    const victim = names[0];
    const lostReplicas = counts.perNode[victim];
    const logOff = c.controllerLog(li).length;
    const tl = Date.now();
    const tlHr = now();
    await c.agents.lose(victim);
    let twice = 0;
    await until(`${victim}'s replicas elsewhere`, async () => { const k = await countNow(); twice = Math.max(twice, k.copies); return k.running >= replicas; }, 60_000, 50);
    const lostMs = now() - tlHr;
    if (twice > 1) throw new Error('a replica ran twice after the node was lost');
    const declared = loggedAt(c.controllerLog(li).slice(logOff), new RegExp(`\\[NODE_LOST\\] node ${victim} is lost`));
    const declaredMs = declared !== undefined ? declared - tl : NaN;
    // Placed: the leader's first pass after the declaration placed the node's replicas elsewhere
    // and sent its orders, as the leader logs it (ms after the declaration, and the pass's steps).
    const placedLine = await until(`${victim}'s replicas placed (the leader's log)`, () => c.controllerLog(li).slice(logOff).split('\n').find((l) => l.includes(`node ${victim}'s replicas placed:`)), 10_000, 100);
    const sentMs = Number(/orders sent (\d+) ms after the declaration/.exec(placedLine)?.[1] ?? NaN);
    const placedMs = declaredMs + sentMs;
    const placedSteps = /\(the pass started (.*)\)$/.exec(placedLine)?.[1] ?? '?';

    // The leader killed: until the other controller's first pass as leader is done.
    const other = 1 - li;
    const otherOff = c.controllerLog(other).length;
    const tk = Date.now();
    leader.kill('SIGKILL');
    c.controllers[li] = undefined;
    const firstDone = await until('the new leader\'s first pass', () => loggedAt(c.controllerLog(other).slice(otherOff), /first pass as leader/), 60_000, 100);
    const firstLine = c.controllerLog(other).slice(otherOff).split('\n').find((l) => /first pass as leader/.test(l)) ?? '';
    const handOverMs = firstDone - tk;
    const after = await countNow();
    const fences = (c.agentsLog().match(/fencing this node/g) ?? []).length;
    if (after.running !== replicas || after.copies !== 1) throw new Error(`after the hand-over: ${after.running} running, ${after.copies} copies of one replica`);

    say(`${String(nodesN).padStart(3)} nodes, ${String(bundles).padStart(4)} bundles, ${String(replicas).padStart(5)} replicas: `
      + `converge ${converge.toFixed(0)} ms (${pps.toFixed(0)} placements/s); no-op pass ${noopMs.toFixed(0)} ms (converged, the leader used ${(cpuShare * 100).toFixed(0)}% of a core: ${idlePasses} passes in 6 s, ~${cpuPerPass.toFixed(0)} ms CPU each with the heartbeats; its heartbeat process ${(hbCpuShare * 100).toFixed(0)}% of a core, etcd ${writesPerS.toFixed(0)} writes/s); `
      + `cluster status --json ${statusMs.toFixed(0)} ms; cib-push diff-against ${diffPush.ms.toFixed(0)} ms; `
      + `leader RSS ${mem.rss.toFixed(0)} MiB (peak ${mem.hwm.toFixed(0)}), its heartbeat process ${hbMem.rss.toFixed(0)} MiB; `
      + `node lost (${lostReplicas} replicas): declared lost after ${declaredMs.toFixed(0)} ms, its replicas placed (orders sent) after ${placedMs.toFixed(0)} ms (the pass started ${placedSteps}), running elsewhere after ${lostMs.toFixed(0)} ms; `
      + `leader killed: the other's first pass done after ${handOverMs} ms (${/done (\d+ ms)/.exec(firstLine)?.[1] ?? '?'} after taking the lead); `
      + `the rig: its event loop held up ${lagMs} ms at most, ${fences} agent${fences === 1 ? '' : 's'} fenced itself`);
    return { pps, noopMs, cpuPerPass, lostMs, declaredMs, placedMs, handOverMs, statusMs, pushMs: diffPush.ms, rss: mem.hwm };
  } catch (e) {
    throw troubled(e);
  } finally {
    await c.stop();
  }
}

// ---- 2. in one process ----

const changes = (r, kit) => r.nodes.reduce((k, n) => k + kit.planChanges(n.plan).length, 0);

async function inProcessSize(kit, nodesN) {
  const names = Array.from({ length: nodesN }, (_, i) => `n${String(i).padStart(3, '0')}`);
  const bundles = nodesN * 10;
  const replicas = bundles * PER_BUNDLE;
  const c = kit.fakeCluster(names);
  c.deps.memo = {}; // as the controllers keep it: an unchanged CIB is not read again
  c.setCib(cibXml(names, bundles));
  // Converge from empty.
  const t0 = now();
  let passes = 0;
  let r;
  do { r = await c.pass(); passes++; } while (changes(r, kit) > 0 && passes < 10);
  const converge = now() - t0;
  const running = [...kit.runningCopies(c.nodes).values()].reduce((k, v) => k + v.length, 0);
  if (running !== replicas) throw new Error(`${nodesN} nodes: ${running} of ${replicas} running after ${passes} passes`);
  const pps = replicas / (converge / 1000);
  // No-op passes.
  const noop = [];
  for (let i = 0; i < 5; i++) { const t = now(); r = await c.pass(); noop.push(now() - t); if (changes(r, kit)) throw new Error('a no-op pass planned changes'); }
  // The cluster status view.
  const ts = now(); const view = kit.clusterStatus(r, Date.now()); const statusMs = now() - ts;
  if (!view.converged) throw new Error('status: not converged');
  // A node lost: its replicas placed (and started) elsewhere in one pass.
  const victim = c.nodes[0];
  const lostReplicas = [...victim.containers.values()].length;
  kit.wipe(victim);
  c.state.set(victim.name, 'lost');
  const tl = now(); r = await c.pass(); const lostMs = now() - tl;
  const lt = r.timings;
  const after = [...kit.runningCopies(c.nodes).values()].reduce((k, v) => k + v.length, 0);
  if (after !== replicas) throw new Error(`node lost: ${after} of ${replicas} running after one pass`);
  // A new leader: nothing remembered (no memo, no memory), the cluster converged.
  c.memory.clear();
  c.deps.memo = {};
  const tf = now(); r = await c.pass(); const firstMs = now() - tf;
  if (changes(r, kit)) throw new Error('a new leader\'s first pass planned changes');
  global.gc?.();
  const heap = process.memoryUsage().heapUsed / 2 ** 20;
  say(`${String(nodesN).padStart(3)} nodes, ${String(bundles).padStart(4)} bundles, ${String(replicas).padStart(5)} replicas: `
    + `converge ${converge.toFixed(0)} ms in ${passes} passes (${pps.toFixed(0)} placements/s); no-op pass ${median(noop).toFixed(0)} ms; `
    + `node lost (${lostReplicas} replicas) placed and started in ${lostMs.toFixed(0)} ms (observed ${lt?.observed}, kept answer checked ${lt?.kept ?? '-'}, placed ${lt?.placed ?? '-'}, planned ${lt?.planned ?? '-'}, orders sent ${lt?.ordersSent ?? '-'} ms); new leader's first pass ${firstMs.toFixed(0)} ms; `
    + `status view ${statusMs.toFixed(0)} ms; heap ${heap.toFixed(0)} MiB`);
  return { pps, noop: median(noop), lostMs, firstMs, heap };
}

async function main() {
  const sim = await loadTestHelper('sim-cluster');
  const etcd = await startEtcd(sim);
  await until('etcd', () => spawnSync(sim.berthBin, ['--store', `etcd://${etcd}/probe`, 'cluster', 'cib'], { encoding: 'utf8', env: { ...process.env, BERTH_CONFIG: join(dir, 'client.json') } }).status === 0, 30_000, 200);
  const { loadavg, cpus } = await import('node:os');
  say(`machine: ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} at the start`);
  say(`through the real controllers (2 on etcd${LEADER_TTL ? `, --leader-ttl ${LEADER_TTL}` : ''}${HEARTBEAT_INTERVAL ? `, --heartbeat-interval ${HEARTBEAT_INTERVAL}` : ''}; every node a real agent over an in-memory engine, 25 agents to a process):`);
  let last;
  let lastSize;
  for (const n of SIZES) {
    try {
      last = await realSize(sim, etcd, n);
      lastSize = n;
    } catch (e) {
      // Said, with what the controllers and agents went through, and the next size is tried.
      say(`${String(n).padStart(3)} nodes: FAILED: ${e.message}`);
      keepLogs = true;
    }
  }
  if (!last) throw new Error('no size completed');
  say(`goals at ${lastSize} nodes: no-op pass ${last.noopMs.toFixed(0)} ms (<= 1000), node lost -> placed ${last.placedMs.toFixed(0)} ms from the power-off (<= 3000; declared after ${last.declaredMs.toFixed(0)} ms, placed ${(last.placedMs - last.declaredMs).toFixed(0)} ms after that), running elsewhere after ${last.lostMs.toFixed(0)} ms, leader memory ${last.rss.toFixed(0)} MiB (<= 1024)`);
  say(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} at the end of this section`);
  if (process.env.IN_PROCESS !== '0') {
    say('in one process (the pass over in-memory nodes: no agents, no HTTP, no etcd):');
    const kit = await loadTestHelper('scale-kit');
    for (const n of SIZES) await inProcessSize(kit, n);
  }
  say('reference: Nomad\'s published placement rate on C1M, 3,750 placements/s (C2M: 1,500/s), on far larger hardware; not measured here');
  finalLine('scale', 'pps', last.pps, 3750);
}

async function cleanup() {
  for (const p of procs) p.kill('SIGKILL');
  await sleep(300);
  if (keepLogs) say(`logs kept in ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}

main().then(cleanup, async (e) => { console.error(e.stack ?? e); say(`logs kept in ${dir}`); for (const p of procs) p.kill('SIGKILL'); process.exit(1); });
