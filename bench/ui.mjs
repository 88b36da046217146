// The status page at scale: 100 nodes, 1,000 bundles, 10,000 replicas (the in-memory cluster of
// bench/scale.mjs, test/helpers/fake-nodes.ts), the page's server and hub as the controller runs
// them (src/ui/controller-page.ts, fed with each pass), and the page open in Debian's chromium.
//
// Figures: time from a replica's state change (its container exits on a node) to the page showing
// it: the controller's pass that observes it, then the patch through the event stream to the page
// drawing it (goal <= 1 s); the page's JS heap with 10,000 replicas (puppeteer's JSHeapUsedSize);
// the controller's CPU for the page (per change, and while nothing changes with the page open);
// the first snapshot a page gets (its size and time).
// Reference: the same change seen by polling `berth cluster status --json` every second, as an
// operator's `watch` would: modelled in this process as the leader's status endpoint makes its
// answer (clusterStatus over the same pass, JSON encoded) and the client decodes it, polled every
// 1 s from a random phase; the CLI's start-up and the HTTP round trip are left out, in the
// reference's favour, and so is the view, made once per pass and shared as the controller does. Ends with: ui: ours_ms=X ref_ms=Y ratio=X/Y (median latency, lower is better).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { launch } from 'puppeteer-core';
import { finalLine, loadTestHelper, median, sleep } from './lib.mjs';

const NODES = Number(process.env.NODES ?? 100);
const PER_BUNDLE = 10;
const BUNDLES = NODES * 10;
const ROUNDS = Number(process.env.ROUNDS ?? 10);
const say = (s) => console.log(s);
const ms = () => Number(process.hrtime.bigint()) / 1e6;

function cibXml(nodes) {
  const n = nodes.map((name, i) => `<node id="${i + 1}" uname="${name}"/>`).join('');
  const b = Array.from({ length: BUNDLES }, (_, i) =>
    `<bundle id="b${i}"><docker image="berth-test/httpd:1" replicas="${PER_BUNDLE}" replicas-per-host="2"/>`
    + `<network ip-range-start="10.${100 + ((i >> 8) & 127)}.${i & 255}.1" host-netmask="32" host-interface="eth0"><port-mapping id="b${i}-port" port="80"/></network></bundle>`).join('');
  return `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes>${n}</nodes><resources>${b}</resources><constraints/></configuration><status/></cib>`;
}

const kit = await loadTestHelper('scale-kit');
const names = Array.from({ length: NODES }, (_, i) => `n${String(i).padStart(3, '0')}`);
const c = kit.fakeCluster(names);
c.deps.memo = {};
c.setCib(cibXml(names));
let r;
let passes = 0;
do { r = await c.pass(); passes++; } while (r.nodes.some((n) => kit.planChanges(n.plan).length) && passes < 10);
r = await c.pass();
const replicas = BUNDLES * PER_BUNDLE;

// As the controller keeps it: a pass's end time is fixed once the pass ends, its view made once.
const passes_ = new Map();
const passOf = (result, number) => {
  if (!passes_.has(number)) {
    const at = Date.now();
    let view;
    passes_.set(number, { number, at, key: String(number), result, status: () => (view ??= kit.clusterStatus(result, at)) });
  }
  return passes_.get(number);
};
const state = (result, number) => ({
  cluster: 'bench-cluster',
  membership: {
    controller: { id: 'bench', url: 'http://127.0.0.1:7441' }, leading: true, term: 1, leader: { id: 'bench', url: 'http://127.0.0.1:7441' }, passes: number, ui: null,
    nodes: names.map((name) => ({ name, liveness: c.state.get(name), standby: false, url: null, lostBy: null })),
  },
  pass: passOf(result, number),
});
const key = randomBytes(32);
const page = await kit.startControllerPage({
  listen: { host: '127.0.0.1', port: 0 }, key, actions: false, self: 'http://127.0.0.1:7441', log: () => {},
  cib: { where: 'bench', read: async () => '', clusterId: async () => 'bench-cluster' },
});
let number = passes + 1;
const t0 = ms();
page.onState(state(r, number));
const firstSnapshotMs = ms() - t0;
const snapshotBytes = Buffer.byteLength(JSON.stringify(page.hub.snapshot()));

const profile = mkdtempSync(join(tmpdir(), 'berth-bench-chromium-'));
const browser = await launch({
  executablePath: '/usr/bin/chromium', headless: true, userDataDir: profile,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', `--user-data-dir=${profile}`],
});
try {
  const tab = await browser.newPage();
  await tab.setViewport({ width: 1440, height: 900 });
  const tl = ms();
  await tab.goto(`${page.url}#token=${kit.uiToken(key)}`);
  await tab.waitForFunction((n) => document.querySelector('#f-count')?.textContent === `${n} of ${n}`, { timeout: 60_000 }, replicas);
  const loadMs = ms() - tl;
  const heap = (await tab.metrics()).JSHeapUsedSize / 2 ** 20;

  // One change per round: a running replica's container exits on its node.
  const running = () => c.nodes.flatMap((n) => [...n.containers.values()].filter((k) => k.state === 'running').map((k) => ({ node: n, k })));
  const ours = [], passMs = [], deliverMs = [], refs = [], cpuPerChange = [], viewMs = [];
  for (let i = 0; i < ROUNDS; i++) {
    const all = running();
    const { node, k } = all[Math.floor(Math.random() * all.length)];
    const name = `${k.bundle}-${k.replica}`;
    await tab.$eval('#f-q', (e, v) => { e.value = v; e.dispatchEvent(new Event('input')); }, name);
    await tab.waitForFunction((q) => document.querySelector('#f-count')?.textContent?.startsWith('1 of'), {}, name);
    const shown = tab.waitForFunction((sel) => {
      const row = document.querySelector(sel);
      return row && row.children[4].textContent === 'exited' ? Date.now() : false;
    }, { polling: 'mutation', timeout: 10_000 }, `[data-key="${name}@${node.name}"]`);
    // The reference: a poller every 1 s from a random phase, over what the leader's last pass shows.
    let last = passOf(r, number);
    const phase = Math.random() * 1000;
    const changedAt = Date.now() + 50;
    const polled = (async () => {
      await sleep(50 + phase);
      for (;;) {
        const answer = JSON.parse(JSON.stringify({ leading: true, cluster: last.status() }));
        const row = answer.cluster.bundles.find((b) => b.id === k.bundle)?.replicaStatus.find((x) => x.name === name);
        if (row?.container?.state === 'exited') return Date.now();
        await sleep(1000);
      }
    })();
    await sleep(50);
    k.state = 'exited'; k.status = 'Exited (1) 1 second ago';
    const start = Date.now();
    // The pass the engine event wakes: it observes the exit (and restarts it: the next pass sees it run).
    const p0 = ms();
    r = await c.pass();
    passMs.push(ms() - p0);
    last = passOf(r, ++number);
    const d0 = ms();
    // The view of the pass, as `cluster status` makes it (made once per pass, shared with the page).
    const v0 = ms();
    last.status();
    viewMs.push(ms() - v0);
    const cpu0 = process.cpuUsage();
    page.onState(state(r, number));
    const cpu = process.cpuUsage(cpu0);
    cpuPerChange.push((cpu.user + cpu.system) / 1000);
    const seen = await (await shown).jsonValue();
    deliverMs.push(seen - (Date.now() - (ms() - d0)));
    ours.push(seen - start);
    refs.push((await polled) - changedAt);
    r = await c.pass();
    last = passOf(r, ++number);
    page.onState(state(r, number));
  }
  // Nothing changing, the page open: what the controller spends on it (offers every 500 ms, pings).
  const idle0 = process.cpuUsage();
  const i0 = ms();
  let inOffers = 0;
  const offer = setInterval(() => {
    const u = process.cpuUsage();
    page.onState(state(r, number));
    const d = process.cpuUsage(u);
    inOffers += (d.user + d.system) / 1000;
  }, 500);
  await sleep(10_000);
  clearInterval(offer);
  const idle = process.cpuUsage(idle0);
  const window = ms() - i0;
  const idlePct = (100 * inOffers) / window;
  const processPct = (100 * (idle.user + idle.system) / 1000) / window;
  const heapAfter = (await tab.metrics()).JSHeapUsedSize / 2 ** 20;

  say(`${NODES} nodes, ${BUNDLES} bundles, ${replicas} replicas; page loaded with every row in ${loadMs.toFixed(0)} ms (first snapshot ${(snapshotBytes / 2 ** 20).toFixed(1)} MiB, made in ${firstSnapshotMs.toFixed(0)} ms)`);
  say(`state change -> page: median ${median(ours).toFixed(0)} ms, max ${Math.max(...ours).toFixed(0)} ms over ${ROUNDS} changes (goal <= 1000): the pass that observes it ${median(passMs).toFixed(0)} ms, then its view, the patch, the stream and the drawing ${median(deliverMs).toFixed(0)} ms`);
  say(`reference, cluster status --json polled every 1 s: median ${median(refs).toFixed(0)} ms, max ${Math.max(...refs).toFixed(0)} ms (in-process model; CLI start-up and HTTP left out)`);
  say(`page JS heap: ${heap.toFixed(1)} MiB after load, ${heapAfter.toFixed(1)} MiB after ${ROUNDS} changes`);
  say(`controller CPU for the page: ${median(cpuPerChange).toFixed(1)} ms per change (snapshot, diff, send to the page), besides the pass's view that \`cluster status\` makes too (${median(viewMs).toFixed(0)} ms); ${idlePct.toFixed(2)} % of a core with the page open and nothing changing (this whole process, puppeteer's side of the browser included: ${processPct.toFixed(1)} %)`);
  finalLine('ui', 'ms', median(ours), median(refs));
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
  await page.close();
}
