// Scale: the one pass over many nodes — 100 nodes, 1,000 bundles, 10,000 replicas at the top size,
// printed at 10, 30 and 100 nodes so that growth is visible. Nodes are simulated in one process
// (test/helpers/fake-nodes.ts: each node's engine, addresses and files kept in memory, orders
// carried out at once): what is measured is berth's own work — reading the CIB into the model,
// observing, placing, planning, holding, applying — not Docker's or the network's.
//
// Figures per size: converge from empty (passes and time; placements per second), a no-op pass,
// a node lost (its replicas placed elsewhere in one pass), a new leader's first pass (nothing
// remembered), the cluster status view, heap in use. Goals: no-op pass <= 1 s, node lost ->
// placed <= 3 s, memory <= 1 GiB. Reference: Nomad's published placement rates (C1M: 3,750/s,
// C2M: 1,500/s; not measured here). Ends with: scale: ours_pps=X ref_pps=3750 ratio=Z (100 nodes).
import { finalLine, loadTestHelper, median } from './lib.mjs';

const SIZES = (process.env.SIZES ?? '10,30,100').split(',').map(Number);
const PER_BUNDLE = 10;
const now = () => Number(process.hrtime.bigint()) / 1e6;
const say = (s) => console.log(s);

function cibXml(nodes, bundles, epoch = 1) {
  const n = nodes.map((name, i) => `<node id="${i + 1}" uname="${name}"/>`).join('');
  const b = Array.from({ length: bundles }, (_, i) =>
    `<bundle id="b${i}"><docker image="berth-test/httpd:1" replicas="${PER_BUNDLE}" replicas-per-host="2" options="--init"/>`
    + `<network ip-range-start="10.${100 + ((i >> 8) & 127)}.${i & 255}.1" host-netmask="32" host-interface="eth0"><port-mapping id="b${i}-port" port="80"/></network></bundle>`).join('');
  return `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="${epoch}" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes>${n}</nodes><resources>${b}</resources><constraints/></configuration><status/></cib>`;
}

const changes = (r, kit) => r.nodes.reduce((k, n) => k + kit.planChanges(n.plan).length, 0);

async function size(kit, nodesN) {
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
    + `node lost (${lostReplicas} replicas) placed and started in ${lostMs.toFixed(0)} ms; new leader's first pass ${firstMs.toFixed(0)} ms; `
    + `status view ${statusMs.toFixed(0)} ms; heap ${heap.toFixed(0)} MiB`);
  return { pps, noop: median(noop), lostMs, firstMs, heap };
}

const kit = await loadTestHelper('scale-kit');
let last;
for (const n of SIZES) last = await size(kit, n);
say(`goals at ${SIZES[SIZES.length - 1]} nodes: no-op pass ${last.noop.toFixed(0)} ms (<= 1000), node lost ${last.lostMs.toFixed(0)} ms (<= 3000), heap ${last.heap.toFixed(0)} MiB (<= 1024)`);
say('reference: Nomad\'s published placement rate on C1M, 3,750 placements/s (C2M: 1,500/s), on far larger hardware; not measured here');
finalLine('scale', 'pps', last.pps, 3750);
