// The chaos run (issue 17), in the spirit of Pacemaker's CTS: a real namespaced cluster
// (cluster.ts: three nodes, each a netns with its own dockerd), two `berth controller`s sharing
// the live CIB in a real etcd of three members, a `berth agent` per node, a few bundles (addresses,
// storage), a writer pushing CIB changes with diff-against throughout, and faults chosen at random
// from a printed seed. After each fault and its recovery the audits run; any finding fails the run.
// The audits over what was recorded (needless moves, stale orders) are in chaos-audits.ts.
//
// Terms: a *fault* is one injected failure and its repair (the node powered on again, the killed
// daemon started again, as systemd would); *recovery* is the time from the fault's start until the
// leader reports the cluster converged with every node alive; an *audit* is a check that fails
// the run (see AUDITS in docs/chaos.md). Entry: scripts/chaos.sh → scripts/chaos.mjs → main().
import { ChildProcess, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';
import { berthAsync, berthBin, berthSync, ensureBuilt } from './cli';
import { Excuse, lateRefusals, MoveRecord, needlessMoves, recordSample, replicaOf, rolesUnsettled, staleOrders, staleRefusals } from './chaos-audits';
import { clusterTraces, startCluster } from './cluster';
import { etcdGet, etcdPut, startEtcd, TestEtcd } from './etcd';
import { prng } from './prng';
import { pidOfContainer, statefulRole } from './stateful-role';
import { sleep, until } from './wait';

const NODES = ['n1', 'n2', 'n3'];
const CONTROLLER_PORTS = [7441, 7442];
const AGENT_PORT = 7440;
const SAMPLE_MS = 75;
/** a fault's recovery must end within this */
const RECOVERY_BUDGET_MS = 60_000;
const INTERNAL_ERROR = /internal error|exit(?:ed)? (?:code )?70\b|^\s+at .+:\d+:\d+\)?$/im;
/** a replica away from a node and back within this, unexplained, is a needless move */
const FLIP_WINDOW_MS = 60_000;
/** how long after a write or a fault's recovery a move is still its doing */
const EXCUSE_MS = 20_000;
/** the controller's order timeout (cluster-controller.ts): an order answered later is FAILED */
const ORDER_ANSWER_MS = 10_000;
const ETCD_MEMBERS = 3;
const IMAGES = ['berth-test/httpd:1', 'berth-test/httpd:2'];
/** bundle db: ocf:pacemaker:Stateful through pacemaker-remoted (test/cluster/inner-resources.ts) */
const PCMK_IMAGE = 'berth-test/pcmk:1';
const DB_PROMOTED_MAX = 1;
/** db's resource inside: its Stateful agent keeps each replica's role in a file of its own */
const DB_RESOURCE = 'db-state';
/** libfaketime (Debian faketime): preloaded into every agent, so that one node's clock can step */
const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1';

/** Installs faketime when libfaketime is missing (Debian); throws with apt's output when it cannot. */
function ensureFaketime(): void {
  if (existsSync(LIBFAKETIME)) return;
  const r = spawnSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime'], { encoding: 'utf8', timeout: 10 * 60 * 1000 });
  if (r.status !== 0 || !existsSync(LIBFAKETIME)) throw new Error(`libfaketime is not installed and apt-get install faketime failed:\n${r.stderr}${r.stdout}`);
}

export interface ChaosOptions {
  seed: number;
  minutes: number;
  /** one line of output */
  say(line: string): void;
}

type Fault = 'agent-kill' | 'leader-kill' | 'follower-kill' | 'container-kill' | 'process-kill' | 'power-off' | 'partition' | 'dockerd-restart' | 'etcd-kill' | 'etcd-member-kill' | 'controller-partition' | 'clock-step' | 'corrupt-term-file' | 'disk-full' | 'corrupt-store';
const FAULTS: Fault[] = ['agent-kill', 'leader-kill', 'follower-kill', 'container-kill', 'process-kill', 'power-off', 'partition', 'dockerd-restart', 'etcd-kill', 'etcd-member-kill', 'controller-partition', 'clock-step', 'corrupt-term-file', 'disk-full', 'corrupt-store'];
/** each agent's state directory is a tmpfs of this size (the disk-full fault fills it) */
const STATE_DIR_SIZE = '16m';

/** The faults to draw from: all, or those BERTH_CHAOS_FAULTS names (comma-separated; for forcing
 * one fault in a test run); an unknown name throws. */
export function faultList(env = process.env.BERTH_CHAOS_FAULTS): Fault[] {
  if (!env) return FAULTS;
  const named = env.split(',').map((f) => f.trim()).filter(Boolean);
  const unknown = named.filter((f) => !FAULTS.includes(f as Fault));
  if (unknown.length || !named.length) throw new Error(`BERTH_CHAOS_FAULTS: unknown fault ${unknown.join(', ') || '(none named)'}; known: ${FAULTS.join(', ')}`);
  return named as Fault[];
}
/** what a fault disturbs, for the needless-move audit: one node (the one it picked), or all */
const NODE_FAULTS = new Set<Fault>(['agent-kill', 'container-kill', 'process-kill', 'power-off', 'partition', 'dockerd-restart', 'clock-step']);
/** Faults that may depose the leader: its lease lapses (and its in-flight orders go out with no
 * term, refused) a moment before it logs "no longer leading", so each counts as a change of
 * leader from its start for the late-refusal audit. */
const LEAD_FAULTS = new Set<Fault>(['leader-kill', 'follower-kill', 'controller-partition', 'etcd-kill', 'etcd-member-kill']);

interface Row { name: string; node: string; address?: string; container?: { state: string }; resource?: { role: string } }
interface Status {
  leading: boolean;
  term: number | null;
  controller?: { url: string };
  nodes: { name: string; liveness: string; standby?: boolean }[];
  cluster?: { converged: boolean; bundles: { id: string; running: number; replicaStatus: Row[] }[] };
}

function cibXml(subnet: string, dataRoot: string): string {
  const nodeXml = NODES.map((n, i) => `<node id="${i + 1}" uname="${n}"/>`).join('');
  return `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="5" num_updates="0" admin_epoch="0"><configuration><crm_config/>
<nodes>${nodeXml}</nodes>
<resources><bundle id="web"><docker image="berth-test/httpd:1" replicas="4" replicas-per-host="2"/>
<network ip-range-start="${subnet}.100" host-interface="eth0" host-netmask="24"><port-mapping id="web-port" port="80"/></network>
<storage><storage-mapping id="web-data" source-dir-root="${dataRoot}" target-dir="/var/www/html" options="rw"/></storage></bundle>
<bundle id="api"><docker image="berth-test/httpd:1" replicas="2" replicas-per-host="1"/>
<network ip-range-start="${subnet}.150" host-interface="eth0" host-netmask="24"><port-mapping id="api-port" port="80"/></network></bundle>
<bundle id="db"><docker image="${PCMK_IMAGE}" replicas="3" replicas-per-host="1" promoted-max="${DB_PROMOTED_MAX}"/>
<network ip-range-start="${subnet}.200" host-interface="eth0" host-netmask="24" control-port="3121"/>
<primitive id="${DB_RESOURCE}" class="ocf" provider="pacemaker" type="Stateful"><operations>
<op id="db-m1" name="monitor" interval="2s" role="Promoted"/><op id="db-m2" name="monitor" interval="3s" role="Unpromoted"/>
</operations></primitive></bundle></resources>
<constraints/><rsc_defaults><meta_attributes id="rsc_defaults-meta_attributes"><nvpair id="rsc_defaults-meta_attributes-resource-stickiness" name="resource-stickiness" value="1"/></meta_attributes></rsc_defaults></configuration><status/></cib>\n`;
}

/** The configuration section, whitespace between tags dropped: what a write changes. */
const configurationOf = (xml: string) => (/<configuration>[\s\S]*<\/configuration>/.exec(xml)?.[0] ?? '').replace(/>\s+</g, '><');

/** The tap-like handle the helpers want for their teardowns, run in reverse order at the end. */
function teardowns(): { t: Test; run(): Promise<string[]> } {
  const fns: (() => unknown)[] = [];
  const t = { teardown: (f: () => unknown) => fns.push(f) } as unknown as Test;
  return {
    t,
    async run() {
      const problems: string[] = [];
      for (const f of fns.reverse()) {
        try {
          await f();
        } catch (e) {
          problems.push((e as Error).message);
        }
      }
      return problems;
    },
  };
}

export async function runChaos(o: ChaosOptions): Promise<boolean> {
  ensureBuilt();
  const faults = faultList();
  // The faults' draws and the writer's are apart, so that the writer's timing cannot change the
  // sequence of faults a seed gives.
  const rng = prng(o.seed);
  const writerRng = prng(o.seed ^ 0x5eed);
  const pick = <T>(xs: readonly T[], r = rng): T => xs[Math.floor(r() * xs.length)];
  const t0 = Date.now();
  const at = () => `+${((Date.now() - t0) / 1000).toFixed(1)}s`;
  const findings: string[] = [];
  const fail = (what: string) => {
    findings.push(what);
    o.say(`${at()} FINDING: ${what}`);
  };
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-chaos-'));
  // The daemons and the CLI write their client config here, not to /etc/berth.
  process.env.BERTH_CONFIG = path.join(dir, 'client.json');
  const td = teardowns();
  let clusterId = '';
  const procs = new Set<ChildProcess>();
  td.t.teardown(() => { for (const p of procs) p.kill('SIGKILL'); });
  const faultLines: { fault: string; ms: number }[] = [];
  /** the daemons' logs by file name, read when a finding keeps them */
  let logFiles: () => [string, string][] = () => [];
  try {
    const tSetup = Date.now();
    const c = await startCluster({ nodes: NODES, t: td.t, images: [PCMK_IMAGE] });
    clusterId = c.id;
    const clusterMs = Date.now() - tSetup;
    // Three members; on loopback a leader is elected again within a second (etcd's default
    // election timeout of 1 s makes it ~1.5 s, near the agents' 1.4 s self-fence).
    const etcd: TestEtcd = await startEtcd(td.t, { members: ETCD_MEMBERS, heartbeatMs: 50, electionTimeoutMs: 500 });
    const store = etcd.storeUrl('/chaos');
    /** the live CIB's etcd key (src/store/etcd-store.ts: <prefix>/cib) */
    const cibKey = '/chaos/cib';
    const key = path.join(dir, 'authkey');
    if (berthSync(['authkey', 'generate', key]).code !== 0) throw new Error('berth authkey generate failed');
    // pacemaker-remoted's key for db's connections (the agents pass it on: docs/inner-resources.md)
    const pcmkKey = path.join(dir, 'pacemaker-authkey');
    writeFileSync(pcmkKey, randomBytes(256), { mode: 0o400 });
    const dataRoot = path.join(dir, 'data');
    for (let i = 0; i < 8; i++) {
      mkdirSync(path.join(dataRoot, `web-${i}`), { recursive: true });
      writeFileSync(path.join(dataRoot, `web-${i}`, 'index.html'), `data of web-${i}\n`);
    }
    const cib0 = path.join(dir, 'cib.xml');
    writeFileSync(cib0, cibXml(c.subnet, dataRoot));
    const pushed = berthSync(['--store', store, 'cluster', 'cib-push', cib0]);
    if (pushed.code !== 0) throw new Error(`the first cib-push failed: ${pushed.stderr}`);
    let lastAcked = configurationOf(readFileSync(cib0, 'utf8'));

    // ---- daemons ----
    const urls = CONTROLLER_PORTS.map((p) => `http://${c.bridgeIp}:${p}`);
    const logOf = (name: string) => path.join(dir, `${name}.log`);
    const controllers: (ChildProcess | undefined)[] = [];
    const startController = (i: number) => {
      appendFileSync(logOf(`controller${i}`), `=== ${new Date().toISOString()} start\n`);
      // In a cgroup of its own, so that a controller-partition can cut it off alone.
      const p = c.spawnOnHost(`ctl${i}`, process.execPath, [berthBin, 'controller', '--listen', `${c.bridgeIp}:${CONTROLLER_PORTS[i]}`, '--store', store, '--authkey', key], { log: logOf(`controller${i}`) });
      procs.add(p);
      p.on('exit', () => procs.delete(p));
      controllers[i] = p;
    };
    const agents = new Map<string, ChildProcess>();
    // Each agent's wall clock is the host's plus the offset in its node's file ("+0"; a
    // clock-step writes another); its monotonic clock is the host's.
    ensureFaketime();
    const clockFile = (n: string) => path.join(c.node(n).dir, 'faketime');
    for (const n of NODES) writeFileSync(clockFile(n), '+0\n');
    const stateDir = (n: string) => path.join(c.node(n).dir, 'berth');
    const clockEnv = (n: string) => ({ LD_PRELOAD: LIBFAKETIME, FAKETIME_TIMESTAMP_FILE: clockFile(n), FAKETIME_CACHE_DURATION: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1' });
    const agentArgs = (n: string, port: number, stateDir: string) => [berthBin, 'agent', '--node', n, '--listen', `${c.node(n).ip}:${port}`, '--controller', urls.join(','), '--authkey', key, '--state-dir', stateDir];
    const startAgent = (n: string) => {
      const p = c.spawnOnNode(n, process.execPath, agentArgs(n, AGENT_PORT, stateDir(n)),
        { log: 'agent.log', env: { BERTH_CONFIG: path.join(c.node(n).dir, 'client.json'), PCMK_authkey_location: pcmkKey, ...clockEnv(n) } });
      procs.add(p);
      p.on('exit', () => procs.delete(p));
      agents.set(n, p);
    };
    // Each agent's state directory on a small disk of its own (a tmpfs under the node's data
    // directory: it outlives a power-off as a disk would; the cluster's teardown unmounts it).
    for (const n of NODES) {
      mkdirSync(stateDir(n), { recursive: true });
      const m = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${STATE_DIR_SIZE},mode=0755`, `berth-state-${n}`, stateDir(n)], { encoding: 'utf8' });
      if (m.status !== 0) throw new Error(`mount of a tmpfs on ${stateDir(n)}: ${m.stderr}`);
    }
    CONTROLLER_PORTS.forEach((_, i) => startController(i));
    NODES.forEach(startAgent);

    const status = async (controllerUrls = urls): Promise<Status | undefined> => {
      const r = await berthAsync(['cluster', 'status', '--json', '--controller', controllerUrls.join(','), '--authkey', key]);
      return r.code === 0 ? JSON.parse(r.stdout) as Status : undefined;
    };

    // ---- the sampler: never two running copies of one replica on any sample ----
    let sampling = true;
    let samples = 0;
    /** where each replica ran, stretch by stretch, and what explains a move (needless moves) */
    const moves: MoveRecord = new Map();
    const excuses: Excuse[] = [];
    const leadFaults: number[] = [];
    /** every node's berth containers, listed at once */
    type Listing = { node: string; containers: Awaited<ReturnType<typeof c.berthContainers>> }[];
    const listing = async (): Promise<Listing> => Promise.all(c.nodes.map(async (n) => ({ node: n.name, containers: await c.berthContainers(n.name).catch(() => []) })));
    const runningWhere = async (l?: Listing) => {
      const out = new Map<string, string[]>();
      for (const { node, containers } of l ?? await listing()) {
        for (const k of containers) if (k.state === 'running') { const r = replicaOf(k); out.set(r, [...(out.get(r) ?? []), node]); }
      }
      return out;
    };
    /** each running db container's role, read from its own state file through its main process's
     * root (checked to be that container's process: pids are reused); pids kept by container id */
    const dbPids = new Map<string, number>();
    const dbRoles = async (l?: Listing) => {
      const out: { name: string; node: string; role: string }[] = [];
      await Promise.all((l ?? await listing()).map(async (n) => {
        for (const k of n.containers) {
          if (k.state !== 'running' || k.labels['berth.bundle'] !== 'db') continue;
          let pid = dbPids.get(k.id) ?? 0;
          if (!pid || !pidOfContainer(pid, k.id)) {
            pid = Number((await c.docker(n.node, ['inspect', '-f', '{{.State.Pid}}', k.id])).stdout.trim());
            if (!(pid > 0)) continue;
            dbPids.set(k.id, pid);
          }
          const role = statefulRole(pid, k.id, DB_RESOURCE);
          if (role !== undefined) out.push({ name: k.name, node: n.node, role });
        }
      }));
      return out;
    };
    let dbSamples = 0;
    const sampler = (async () => {
      while (sampling) {
        const l = await listing();
        const [where, roles] = [await runningWhere(l), await dbRoles(l)];
        for (const [replica, on] of where) if (on.length > 1) fail(`${replica} runs on ${on.join(' and ')} at once`);
        const promoted = roles.filter((r) => r.role === 'Promoted');
        if (promoted.length > DB_PROMOTED_MAX) fail(`${promoted.length} replicas of db Promoted at once (promoted-max ${DB_PROMOTED_MAX}): ${promoted.map((r) => `${r.name} on ${r.node}`).join(', ')}`);
        if (roles.length) dbSamples++;
        recordSample(moves, Date.now(), where);
        samples++;
        await sleep(SAMPLE_MS);
      }
    })();

    // ---- recovery: the leader says converged with every node alive, and the engines agree ----
    /** What differs between the leader's placement and the engines: each a sentence. */
    const misplaced = async (s: Status): Promise<string[]> => {
      const out: string[] = [];
      const where = await runningWhere();
      const rows = (s.cluster?.bundles ?? []).flatMap((b) => b.replicaStatus);
      for (const r of rows) {
        if (r.container?.state !== 'running') continue;
        if (!(where.get(r.name) ?? []).includes(r.node)) out.push(`${r.name}: the leader says running on ${r.node}, the engines say ${(where.get(r.name) ?? ['nowhere']).join(', ')}`);
      }
      for (const [name, on] of where) if (!rows.some((r) => r.name === name && on.includes(r.node))) out.push(`${name} runs on ${on.join(', ')} but the leader does not place it there`);
      for (const n of NODES) {
        const a = await c.exec(n, 'ip', ['-4', '-j', 'addr', 'show', 'dev', 'eth0']);
        const addrs = (JSON.parse(a.stdout || '[]') as { addr_info?: { local: string }[] }[]).flatMap((x) => x.addr_info ?? []).map((x) => x.local).filter((ip) => ip !== c.node(n).ip);
        for (const ip of addrs) if (!rows.some((r) => r.address === ip && r.node === n && r.container?.state === 'running')) out.push(`address ${ip} is on ${n} with no replica of it running there`);
      }
      return out;
    };
    /** db's roles, unless settled: every running replica Promoted or Unpromoted, exactly
     * promoted-max Promoted, and each replica's own state file saying the same */
    const dbUnsettled = async (s: Status): Promise<string[]> => {
      const rows = (s.cluster?.bundles ?? []).find((b) => b.id === 'db')?.replicaStatus.filter((r) => r.container?.state === 'running') ?? [];
      return rolesUnsettled(rows, await dbRoles(), DB_PROMOTED_MAX);
    };
    let lastMisplaced: string[] = [];
    let lastStatus: Status | undefined;
    const converged = async (): Promise<Status | undefined> => until('the cluster converged with every node alive', async () => {
      const s = await status();
      if (!s?.leading || !s.cluster?.converged) return undefined;
      if (s.nodes.some((n) => n.liveness !== 'alive')) return undefined;
      lastMisplaced = [...await misplaced(s), ...await dbUnsettled(s)];
      lastStatus = s;
      if (lastMisplaced.length) return undefined;
      // every controller answers and names the same leader
      const leaders = await Promise.all(urls.map(async (u) => (await status([u]))?.controller?.url ?? '(no answer)'));
      if (new Set(leaders).size !== 1) lastMisplaced.push(`the controllers disagree on the leader: ${urls.map((u, i) => `${u} → ${leaders[i]}`).join(', ')}`);
      return lastMisplaced.length ? undefined : s;
    }, RECOVERY_BUDGET_MS, 1000).catch(async (e: Error) => {
      // What the engines hold and what the leader said, kept with the logs.
      const held = await Promise.all(NODES.map(async (n) => `== ${n}\n${(await c.docker(n, ['ps', '-a', '--format', '{{.Names}} {{.State}} {{.Status}}'])).stdout}`));
      writeFileSync(path.join(dir, 'engines.txt'), `${held.join('')}\n== last status\n${JSON.stringify(lastStatus, null, 1)}\n`);
      fail(`no recovery within ${RECOVERY_BUDGET_MS} ms: ${e.message}${lastMisplaced.length ? `; still: ${lastMisplaced.join('; ')}` : ''}`);
      return undefined;
    });

    // ---- the writer: scale, standby, image and constraints through cib-push diff-against ----
    let writing = true;
    let writerBusy: Promise<void> = Promise.resolve();
    let paused = false;
    let writes = 0;
    let refusedWrites = 0;
    /** while the corrupt-store fault is in force: since when (0: not), and the writer's refusals */
    let corruptSince = 0;
    let corruptRefused = 0;
    /** writes since the last acknowledged one that failed without saying whether they landed */
    let unsure: string[] = [];
    const writerDir = path.join(dir, 'writer');
    mkdirSync(writerDir);
    const writeOnce = async () => {
      const orig = path.join(writerDir, 'orig.xml');
      const next = path.join(writerDir, 'next.xml');
      const got = await berthAsync(['--store', store, 'cluster', 'cib', orig]);
      const corrupt = corruptSince > 0;
      if (corrupt) {
        if (got.code === 0) fail('writer: berth cluster cib read a corrupt store and exited 0');
        else if (!got.stderr.includes('STORE_CORRUPT')) fail(`writer: berth cluster cib on a corrupt store failed without STORE_CORRUPT: ${got.stderr.trim()}`);
        else corruptRefused++;
        // and a push of a change made on the copy saved before: refused with the same code
        const saved = path.join(dir, 'good-cib.xml');
        copyFileSync(saved, next);
        if ((await berthAsync(['-f', next, 'resource', 'bundle', 'update', 'web', 'container', `replicas=${3 + Math.floor(writerRng() * 3)}`])).code !== 0) return;
        const p = await berthAsync(['--store', store, 'cluster', 'cib-push', next, `diff-against=${saved}`]);
        if (p.code === 0) fail('writer: a push onto a corrupt store exited 0');
        else if (!p.stderr.includes('STORE_CORRUPT')) fail(`writer: a push onto a corrupt store failed without STORE_CORRUPT: ${p.stderr.trim()}`);
        else corruptRefused++;
        return;
      }
      if (got.code !== 0) { refusedWrites++; return; }
      copyFileSync(orig, next);
      const current = readFileSync(orig, 'utf8');
      const inStandby = NODES.filter((n) => new RegExp(`<node id="\\d+" uname="${n}"[^/]*>\\s*<instance_attributes[^>]*>\\s*<nvpair[^>]*name="standby" value="on"`).test(current));
      const constraints = [...current.matchAll(/<rsc_(?:location|colocation)\b[^>]*\sid="([^"]+)"/g)].map((m) => m[1]);
      const r = writerRng();
      let edit: string[];
      /** what the change may move: nodes (standby) or bundles */
      let touches: Pick<Excuse, 'nodes' | 'bundle'>[];
      if (r < 0.25) {
        edit = ['resource', 'bundle', 'update', 'web', 'container', `replicas=${3 + Math.floor(writerRng() * 3)}`];
        touches = [{ bundle: 'web' }];
      } else if (r < 0.45) {
        edit = ['resource', 'bundle', 'update', 'api', 'container', `replicas=${1 + Math.floor(writerRng() * 3)}`];
        touches = [{ bundle: 'api' }];
      } else if (r < 0.65) {
        edit = inStandby.length ? ['node', 'unstandby', ...inStandby] : ['node', 'standby', pick(NODES, writerRng)];
        touches = [{ nodes: inStandby.length ? inStandby : [edit[2]] }];
      } else if (r < 0.85) {
        // A location or a colocation added, or (one at a time) removed: both bundles may move.
        edit = constraints.length ? ['constraint', 'delete', ...constraints]
          : writerRng() < 0.5 ? ['constraint', 'location', 'api', 'prefers', `${pick(NODES, writerRng)}=50`]
            : ['constraint', 'colocation', 'add', 'api', 'with', 'web', '100'];
        touches = [{ bundle: 'web' }, { bundle: 'api' }];
      } else {
        // The other test image: every replica of the bundle is replaced, in place.
        const b = pick(['web', 'api'], writerRng);
        const now = new RegExp(`<bundle id="${b}"[^>]*>\\s*<docker [^>]*image="([^"]+)"`).exec(current)?.[1];
        edit = ['resource', 'bundle', 'update', b, 'container', `image=${IMAGES.find((i) => i !== now)}`];
        touches = [{ bundle: b }];
      }
      const e = await berthAsync(['-f', next, ...edit]);
      if (e.code !== 0) { fail(`writer: berth -f ${edit.join(' ')} failed: ${e.stderr.trim()}`); return; }
      const p = await berthAsync(['--store', store, 'cluster', 'cib-push', next, `diff-against=${orig}`]);
      // A push that failed may still have landed (see below): its change explains moves as well.
      const t1 = Date.now();
      for (const x of touches) excuses.push({ from: t1 - 2000, to: t1 + EXCUSE_MS, why: edit.join(' '), ...x });
      if (p.code === 0) {
        lastAcked = configurationOf(readFileSync(next, 'utf8'));
        unsure = [];
        writes++;
      } else {
        // A push that failed while the store was away may have landed or not (etcd's answer can be
        // lost after the commit): the live CIB may be it, but nothing else.
        unsure.push(configurationOf(readFileSync(next, 'utf8')));
        refusedWrites++;
        o.say(`${at()} writer: push refused (${edit.join(' ')}): ${p.stderr.trim().split('\n')[0]}`);
      }
    };
    const writer = (async () => {
      while (writing) {
        if (!paused) {
          writerBusy = writeOnce();
          await writerBusy;
        }
        await sleep(1500 + writerRng() * 2500);
      }
    })();
    const pauseWriter = async () => { paused = true; await writerBusy; };

    // ---- the audits after each recovery ----
    const logs = () => [...CONTROLLER_PORTS.map((_, i) => [`controller${i}`, readFileSync(logOf(`controller${i}`), 'utf8')]),
      ...NODES.map((n) => [`agent ${n}`, readFileSync(path.join(c.node(n).dir, 'agent.log'), 'utf8')])] as [string, string][];
    logFiles = () => [['engines.txt', path.join(dir, 'engines.txt')], ...CONTROLLER_PORTS.map((_, i) => [`controller${i}.log`, logOf(`controller${i}`)]), ...NODES.map((n) => [`agent-${n}.log`, path.join(c.node(n).dir, 'agent.log')])] as [string, string][];
    const reported = new Set<string>();
    const audit = async () => {
      // the live CIB is the last acknowledged write (the writer is paused: see below)
      const live = await berthAsync(['--store', store, 'cluster', 'cib']);
      if (live.code !== 0) fail(`berth cluster cib failed: ${live.stderr.trim()}`);
      else if (unsure.includes(configurationOf(live.stdout))) {
        lastAcked = configurationOf(live.stdout);
        unsure = [];
      } else if (configurationOf(live.stdout) !== lastAcked) fail(`the live CIB's configuration is not the last acknowledged write:\nlive:  ${configurationOf(live.stdout)}\nacked: ${lastAcked}`);
      // no replica placed away and back for nothing
      for (const m of needlessMoves(moves, excuses, FLIP_WINDOW_MS)) {
        const k = `move ${m.replica} ${m.left}`;
        if (reported.has(k)) continue;
        reported.add(k);
        fail(`needless move: ${m.replica} left ${m.away} at ${new Date(m.left).toISOString()} for ${m.to} and was back on ${m.away} at ${new Date(m.back).toISOString()}, with no fault on either node nor a change of its bundle`);
      }
      // no order of a deposed leader carried out (the agents refuse a stale term), and none sent
      // long after the lead changed
      const controllerLogs = CONTROLLER_PORTS.map((_, i) => ({ name: `controller${i}`, text: readFileSync(logOf(`controller${i}`), 'utf8') }));
      for (const o of staleOrders(controllerLogs, ORDER_ANSWER_MS)) {
        const k = `stale ${o.controller} ${o.line}`;
        if (reported.has(k)) continue;
        reported.add(k);
        fail(`an order of a stale term was carried out: ${o.controller} (term ${o.term < 0 ? 'none: not leading' : o.term}) "${o.line}" after ${o.newer.controller} (term ${o.newer.term}) "${o.newer.line}"`);
      }
      const late = lateRefusals(NODES.map((n) => readFileSync(path.join(c.node(n).dir, 'agent.log'), 'utf8')), controllerLogs, ORDER_ANSWER_MS + 5000, leadFaults).filter((l) => !reported.has(l));
      for (const l of late) reported.add(l);
      if (late.length) fail(`${late.length} requests of a stale term refused by the agents more than ${(ORDER_ANSWER_MS + 5000) / 1000} s after the last change of leader (a deposed controller still sending), e.g. ${late[0]}`);
      // logs free of internal errors
      for (const [who, text] of logs()) {
        const m = INTERNAL_ERROR.exec(text);
        if (m && !reported.has(`${who}${m.index}`)) {
          reported.add(`${who}${m.index}`);
          fail(`${who} log: ${text.slice(Math.max(0, m.index - 200), m.index + 300)}`);
        }
      }
    };

    /** The containers running in `before` that no longer run in `after` (stopped, removed or
     * replaced), unless a write since `from` (or shortly before: its orders may still be under
     * way) changed their bundle or their node: each a sentence. */
    const stoppedSince = (before: Listing, after: Listing, from: number): string[] => {
      const out: string[] = [];
      for (const { node: n, containers } of before) {
        for (const k of containers.filter((x) => x.state === 'running')) {
          const now = after.find((a) => a.node === n)?.containers.find((x) => x.id === k.id);
          const excused = excuses.some((e) => e.to >= from && e.from <= Date.now() && (e.nodes?.includes(n) || (e.bundle !== undefined && k.name.startsWith(`${e.bundle}-`))));
          if (now?.state !== 'running' && !excused) out.push(`${k.name} on ${n} ${now ? now.state : 'removed'}`);
        }
      }
      return out;
    };

    // ---- faults ----
    const leaderIndex = async () => {
      const s = await until('a leader', async () => ((await status())?.leading ? await status() : undefined), 20_000, 250);
      return urls.indexOf(s.controller?.url?.replace(/\/$/, '') ?? '');
    };
    /** ms from `from` until `f` holds (polled), or undefined after `timeoutMs` */
    const within = (what: string, from: number, f: () => Promise<unknown>, timeoutMs: number) => until(what, async () => ((await f()) ? true : undefined), timeoutMs, 100).then(() => Date.now() - from, () => undefined);
    const etcdPorts = etcd.endpoints.map((e) => Number(e.split(':')[1]));
    let writesDuringMemberKill = 0;
    const inject = async (f: Fault, node: string): Promise<string> => {
      switch (f) {
        case 'agent-kill': {
          agents.get(node)?.kill('SIGKILL');
          await sleep(1000);
          startAgent(node);
          return `SIGKILL of the agent on ${node}, started again after 1 s`;
        }
        case 'leader-kill':
        case 'follower-kill': {
          const li = await leaderIndex();
          if (li < 0) throw new Error('no controller URL leads');
          const i = f === 'leader-kill' ? li : 1 - li;
          controllers[i]?.kill('SIGKILL');
          await sleep(2000);
          startController(i);
          return `SIGKILL of the ${f === 'leader-kill' ? 'leading' : 'following'} controller ${urls[i]}, started again after 2 s`;
        }
        case 'container-kill':
        case 'process-kill': {
          const running = (await c.berthContainers(node)).filter((k) => k.state === 'running');
          if (!running.length) return `${f}: nothing runs on ${node}`;
          const k = pick(running);
          if (f === 'container-kill') {
            await c.docker(node, ['kill', '--signal', 'KILL', k.id]);
            return `docker kill of ${k.name} on ${node}`;
          }
          const pid = Number((await c.docker(node, ['inspect', '-f', '{{.State.Pid}}', k.id])).stdout.trim());
          if (pid > 0) process.kill(pid, 'SIGKILL');
          return `SIGKILL of ${k.name}'s main process (pid ${pid}) on ${node}`;
        }
        case 'power-off': {
          await c.powerOff(node);
          await sleep(4000 + rng() * 4000);
          await c.powerOn(node);
          startAgent(node);
          return `power-off of ${node}, on again`;
        }
        case 'partition': {
          await c.partition(node);
          await sleep(5000 + rng() * 4000);
          await c.heal(node);
          return `partition of ${node}, healed`;
        }
        case 'dockerd-restart': {
          await c.restartEngine(node);
          return `dockerd restart on ${node}`;
        }
        case 'etcd-kill': {
          // Every member: the live CIB and the election are gone for a while.
          await etcd.kill();
          await sleep(2000 + rng() * 3000);
          await etcd.restart();
          return `SIGKILL of every etcd member (${ETCD_MEMBERS}), started again on their data after 2-5 s`;
        }
        case 'etcd-member-kill': {
          // One member of three, the leading one or another: the two left elect a leader and
          // the cluster goes on (the live CIB reads, a controller leads, writes are acknowledged).
          const [coin, other, hold] = [rng(), rng(), rng()];
          const led = await etcd.leader();
          const rest = [...Array(ETCD_MEMBERS).keys()].filter((i) => i !== led);
          const i = led >= 0 && coin < 0.5 ? led : rest[Math.floor(other * rest.length)];
          const k0 = Date.now();
          const writes0 = writes;
          await etcd.killMember(i);
          const etcdLed = await within('an etcd leader', k0, async () => (await etcd.leader()) >= 0, 10_000);
          const read = await within('the live CIB read', k0, async () => (await berthAsync(['--store', store, 'cluster', 'cib'])).code === 0, 10_000);
          const ctlLed = await within('a controller leading', k0, async () => (await status())?.leading, 15_000);
          if (etcdLed === undefined) fail(`etcd member ${i} of ${ETCD_MEMBERS} killed: the two left elected no leader within 10 s`);
          if (read === undefined) fail(`etcd member ${i} of ${ETCD_MEMBERS} killed: the live CIB could not be read within 10 s`);
          if (ctlLed === undefined) fail(`etcd member ${i} of ${ETCD_MEMBERS} killed: no controller led within 15 s`);
          await sleep(Math.max(0, 2000 + hold * 3000 - (Date.now() - k0)));
          writesDuringMemberKill += writes - writes0;
          await etcd.restartMember(i);
          return `SIGKILL of etcd member ${i} of ${ETCD_MEMBERS} (${i === led ? 'the leader' : 'a follower'}): etcd led again after ${etcdLed} ms, the CIB read after ${read} ms, a controller led after ${ctlLed} ms, ${writes - writes0} writes acknowledged; started again`;
        }
        case 'clock-step': {
          // The node's wall clock (its agent's) jumps 30-120 s ahead or back, and back after 5-9 s.
          const [sign, size, hold] = [rng(), rng(), rng()];
          const step = `${sign < 0.5 ? '-' : '+'}${30 + Math.floor(size * 91)}s`;
          writeFileSync(clockFile(node), `${step}\n`);
          await sleep(5000 + hold * 4000);
          writeFileSync(clockFile(node), '+0\n');
          return `the clock of ${node}'s agent stepped ${step}, back after 5-9 s`;
        }
        case 'corrupt-term-file': {
          // A second agent on a copy of the node's state directory whose fencing record
          // (agent-term.json) is garbage: it must refuse to start (exit 2, AGENT_STATE_INVALID)
          // before it touches anything on the node (with the copied lease it would sweep the
          // node's replicas otherwise: the other audits would see them gone).
          const kinds: [string, string | Buffer][] = [['empty', ''], ['not JSON', '{"highest": 7'], ['not a term', '{"highest": "7"}\n'], ['negative', '{"highest": -1}\n'], ['binary', Buffer.from([0, 159, 146, 150, 255, 10])]];
          const [kind, text] = pick(kinds);
          const copy = path.join(c.node(node).dir, 'berth-corrupt');
          rmSync(copy, { recursive: true, force: true });
          cpSync(stateDir(node), copy, { recursive: true });
          writeFileSync(path.join(copy, 'agent-term.json'), text);
          const log = path.join(c.node(node).dir, 'agent-corrupt.log');
          const from = existsSync(log) ? readFileSync(log, 'utf8').length : 0;
          const p = c.spawnOnNode(node, process.execPath, agentArgs(node, AGENT_PORT + 1, copy), { log: 'agent-corrupt.log', env: { BERTH_CONFIG: path.join(dir, `corrupt-${node}.json`) } });
          procs.add(p);
          const code = await new Promise<number | string | null>((resolve) => {
            const timer = setTimeout(() => { p.kill('SIGKILL'); resolve('still running after 20 s'); }, 20_000);
            p.on('exit', (k, sig) => { clearTimeout(timer); procs.delete(p); resolve(k ?? sig); });
          });
          const said = readFileSync(log, 'utf8').slice(from);
          if (code !== 2 || !said.includes('AGENT_STATE_INVALID')) fail(`an agent on ${node} with a corrupt agent-term.json (${kind}) did not refuse to start with AGENT_STATE_INVALID and exit 2: exit ${code}: ${said.trim().slice(0, 500)}`);
          rmSync(copy, { recursive: true, force: true });
          return `a second agent on ${node} with a corrupt agent-term.json (${kind}): exit ${code}, AGENT_STATE_INVALID`;
        }
        case 'disk-full': {
          // The node's agent state directory fills up (a file written until ENOSPC), freed after
          // 5-9 s. Nothing of the node may stop or move for it, and its agent must stay up.
          const hold = rng();
          const before = await c.berthContainers(node);
          const filler = path.join(stateDir(node), 'filler');
          const f0 = Date.now();
          const dd = spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { encoding: 'utf8' });
          if (!/No space left on device/.test(dd.stderr)) fail(`disk-full on ${node}: dd did not end with ENOSPC: ${dd.stderr.trim()}`);
          await sleep(Math.max(0, 5000 + hold * 4000 - (Date.now() - f0)));
          rmSync(filler, { force: true });
          const agent = agents.get(node);
          if (agent && (agent.exitCode !== null || agent.signalCode !== null)) {
            const said = readFileSync(path.join(c.node(node).dir, 'agent.log'), 'utf8').split('\n').slice(-5).join('\n');
            fail(`disk-full on ${node}: the agent exited (${agent.exitCode ?? agent.signalCode}): ${said}`);
            startAgent(node);
          }
          // the node's replicas: still the same containers, running
          for (const l of stoppedSince([{ node, containers: before }], await listing(), f0)) fail(`disk-full on ${node}: ${l} while the state directory was full`);
          return `the agent state directory of ${node} full (${STATE_DIR_SIZE}) for ${((Date.now() - f0) / 1000).toFixed(1)} s, freed`;
        }
        case 'corrupt-store': {
          // Garbage in the live CIB's etcd key, written past berth. Controllers must go on with
          // the last good CIB (nothing stops or moves) and say STORE_CORRUPT; the writer's reads
          // and pushes are refused with it; nothing overwrites it. Then the operator's repair:
          // `cluster cib-push GOOD --force` puts the CIB saved before back.
          const [kindDraw, hold] = [rng(), rng()];
          await pauseWriter();
          const good = path.join(dir, 'good-cib.xml');
          const saved = await berthAsync(['--store', store, 'cluster', 'cib', good]);
          if (saved.code !== 0) throw new Error(`corrupt-store: berth cluster cib failed: ${saved.stderr}`);
          const text = readFileSync(good, 'utf8');
          const kinds: [string, string | Buffer][] = [['truncated XML', text.slice(0, Math.floor(text.length / 2))], ['binary', Buffer.from([0, 159, 146, 150, 255, 10, 60])], ['empty', ''], ['not a CIB', '<html><body>hello</body></html>\n']];
          const [kind, garbage] = kinds[Math.floor(kindDraw * kinds.length)];
          const before = await listing();
          const logsFrom = CONTROLLER_PORTS.map((_, i) => readFileSync(logOf(`controller${i}`), 'utf8').length);
          const k0 = Date.now();
          const refused0 = corruptRefused;
          await etcdPut(etcd.endpoints[0], cibKey, garbage);
          corruptSince = k0;
          paused = false;
          await sleep(5000 + hold * 4000);
          await pauseWriter();
          corruptSince = 0;
          // the controllers said so, with the code, and left every replica where it was
          const said = CONTROLLER_PORTS.filter((_, i) => readFileSync(logOf(`controller${i}`), 'utf8').slice(logsFrom[i]).includes('STORE_CORRUPT'));
          if (!said.length) fail(`corrupt-store (${kind}): no controller log says STORE_CORRUPT`);
          const st = await berthAsync(['cluster', 'status', '--controller', urls.join(','), '--authkey', key]);
          if (!st.stdout.includes('STORE_CORRUPT')) fail(`corrupt-store (${kind}): berth cluster status does not say STORE_CORRUPT: ${st.stdout.slice(0, 400)}${st.stderr.slice(0, 400)}`);
          for (const l of stoppedSince(before, await listing(), k0)) fail(`corrupt-store (${kind}): ${l} while the store was corrupt`);
          const still = await etcdGet(etcd.endpoints[0], cibKey);
          if (!still?.equals(Buffer.from(garbage))) fail(`corrupt-store (${kind}): the corrupt value was overwritten before the repair`);
          // the repair an operator does: push the CIB saved before, over the corrupt value
          const repair = await berthAsync(['--store', store, 'cluster', 'cib-push', good, '--force']);
          if (repair.code !== 0) fail(`corrupt-store (${kind}): berth cluster cib-push ${good} --force failed: ${repair.stderr.trim()}`);
          return `${kind} written into the live CIB's key for ${((Date.now() - k0) / 1000).toFixed(1)} s (${corruptRefused - refused0} writer requests refused with STORE_CORRUPT), the CIB saved before pushed back with cib-push --force`;
        }
        case 'controller-partition': {
          // A controller runs on but is cut off: from etcd only (it answers agents, but holds no
          // lease), or from everything. The other one leads (takes over, or keeps the lead); the
          // cut one acts no more (its orders carry a stale term: the stale-order audit).
          const [coin, etcdOnlyCoin, hold] = [rng(), rng(), rng()];
          const li = await leaderIndex();
          if (li < 0) throw new Error('no controller URL leads');
          const cut = coin < 0.5 ? li : 1 - li;
          const etcdOnly = etcdOnlyCoin < 0.5;
          const k0 = Date.now();
          await c.cutOff(`ctl${cut}`, etcdOnly ? etcdPorts : undefined);
          const took = await within('the other controller leading', k0, async () => (await status([urls[1 - cut]]))?.leading, 15_000);
          if (took === undefined) fail(`controller ${urls[cut]} cut off${etcdOnly ? ' from etcd' : ''}: the other did not lead within 15 s`);
          await sleep(Math.max(0, 5000 + hold * 4000 - (Date.now() - k0)));
          await c.reconnect(`ctl${cut}`);
          return `${etcdOnly ? 'etcd' : 'everything'} cut off from the ${cut === li ? 'leading' : 'following'} controller ${urls[cut]} for ${((Date.now() - k0) / 1000).toFixed(1)} s (the other led after ${took} ms), reconnected`;
        }
      }
    };

    o.say(`${at()} setup: cluster ${c.id} (${NODES.join(', ')}, ${PCMK_IMAGE} loaded: ${clusterMs} ms), etcd ${etcd.endpoints.join(', ')} (${ETCD_MEMBERS} members), controllers ${urls.join(', ')}`);
    await pauseWriter();
    if (await converged()) await audit();
    paused = false;
    o.say(`${at()} converged (db: one Promoted); faults until ${o.minutes} min`);
    const end = t0 + o.minutes * 60_000;
    let n = 0;
    while (Date.now() < end && findings.length === 0) {
      const f = pick(faults);
      const node = pick(NODES);
      const f0 = Date.now();
      if (LEAD_FAULTS.has(f)) leadFaults.push(f0);
      const what = await inject(f, node);
      // The writer runs while the fault is in force and between faults; it pauses while the
      // cluster recovers and is audited, so that "converged" is not a moving target.
      await pauseWriter();
      const ok = await converged();
      // Moves while a fault is in force and a while after are its doing: on its node, or on
      // every node when all of etcd was away (every agent fences itself).
      if (NODE_FAULTS.has(f)) excuses.push({ from: f0, to: Date.now() + EXCUSE_MS, why: f, nodes: [node] });
      if (f === 'etcd-kill') excuses.push({ from: f0, to: Date.now() + EXCUSE_MS, why: f });
      if (!ok) {
        o.say(`${at()} fault ${n + 1} ${f}: ${what}; NOT recovered`);
        break;
      }
      const ms = Date.now() - f0;
      n++;
      faultLines.push({ fault: f, ms });
      o.say(`${at()} fault ${n} ${f}: ${what}; recovered in ${ms} ms`);
      await audit();
      paused = false;
      await sleep(2000 + rng() * 3000);
    }
    writing = false;
    await writer;
    if (!findings.length && (await converged())) await audit();
    sampling = false;
    await sampler;
    o.say(`${at()} ${samples} samples (${dbSamples} with db's roles), ${writes} writes acknowledged (${writesDuringMemberKill} with an etcd member down), ${refusedWrites} refused; ${staleRefusals(NODES.map((n) => readFileSync(path.join(c.node(n).dir, 'agent.log'), 'utf8')))} orders of a stale term refused by the agents`);
    // Stopped daemons, then the cluster: nothing of it may be left.
    for (const p of procs) p.kill('SIGKILL');
  } catch (e) {
    fail(`the run stopped: ${(e as Error).stack ?? e}`);
  } finally {
    for (const p of [...procs]) p.kill('SIGKILL');
    const keep = path.join(tmpdir(), `berth-chaos-logs-${o.seed}-${process.pid}`);
    mkdirSync(keep, { recursive: true });
    for (const [name, file] of logFiles()) try { copyFileSync(file, path.join(keep, name)); } catch { /* not started, or no finding wrote it */ }
    const problems = await td.run();
    for (const p of problems) fail(`teardown: ${p}`);
    if (clusterId) for (const left of clusterTraces(clusterId)) fail(`leaked after the run: ${left}`);
    o.say(`logs kept in ${keep}`);
    rmSync(dir, { recursive: true, force: true });
  }
  const byFault = new Map<string, number[]>();
  for (const l of faultLines) byFault.set(l.fault, [...(byFault.get(l.fault) ?? []), l.ms]);
  const sorted = faultLines.map((l) => l.ms).sort((a, b) => a - b);
  const quantile = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  if (sorted.length) o.say(`recovery: median ${quantile(0.5)} ms, p90 ${quantile(0.9)} ms, max ${sorted[sorted.length - 1]} ms`);
  o.say(`summary: ${faultLines.length} faults in ${((Date.now() - t0) / 60_000).toFixed(1)} min; ${[...byFault].map(([f, ms]) => `${f} ×${ms.length} (max ${Math.max(...ms)} ms)`).join(', ') || 'none'}; ${findings.length} finding${findings.length === 1 ? '' : 's'}`);
  if (findings.length) o.say(`FAILED; replay with: scripts/chaos.sh --seed ${o.seed} --minutes ${o.minutes}`);
  else o.say('PASSED');
  return findings.length === 0;
}

/** scripts/chaos.sh's arguments: [--seed N] [--minutes M]; the exit code. */
export async function main(argv: string[]): Promise<number> {
  let seed = Math.floor(Math.random() * 2 ** 31);
  let minutes = 10;
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    if (argv[i] === '--seed' && /^\d+$/.test(v ?? '')) { seed = Number(v); i++; }
    else if (argv[i] === '--minutes' && /^\d+(\.\d+)?$/.test(v ?? '') && Number(v) > 0) { minutes = Number(v); i++; }
    else { process.stderr.write(`usage: scripts/chaos.sh [--seed N] [--minutes M] (got '${argv[i]}')\n`); return 2; }
  }
  const say = (l: string) => process.stdout.write(`${l}\n`);
  say(`chaos: seed=${seed} minutes=${minutes}`);
  return (await runChaos({ seed, minutes, say })) ? 0 : 1;
}
