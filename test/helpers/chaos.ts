// The chaos run (issue 17), in the spirit of Pacemaker's CTS: a real namespaced cluster
// (cluster.ts: three nodes, each a netns with its own dockerd), two `berth controller`s sharing
// the live CIB in a real etcd (one member), a `berth agent` per node, a few bundles (addresses,
// storage), a writer pushing CIB changes with diff-against throughout, and faults chosen at random
// from a printed seed. After each fault and its recovery the audits run; any finding fails the run.
//
// Terms: a *fault* is one injected failure and its repair (the node powered on again, the killed
// daemon started again, as systemd would); *recovery* is the time from the fault's start until the
// leader reports the cluster converged with every node alive; an *audit* is a check that fails
// the run (see AUDITS in docs/chaos.md). Entry: scripts/chaos.sh → scripts/chaos.mjs → main().
import { ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';
import { berthAsync, berthBin, berthSync, ensureBuilt } from './cli';
import { clusterTraces, startCluster } from './cluster';
import { startEtcd, TestEtcd } from './etcd';
import { prng } from './prng';
import { sleep, until } from './wait';

const NODES = ['n1', 'n2', 'n3'];
const CONTROLLER_PORTS = [7441, 7442];
const AGENT_PORT = 7440;
const SAMPLE_MS = 75;
/** a fault's recovery must end within this */
const RECOVERY_BUDGET_MS = 60_000;
const INTERNAL_ERROR = /internal error|exit(?:ed)? (?:code )?70\b|^\s+at .+:\d+:\d+\)?$/im;

export interface ChaosOptions {
  seed: number;
  minutes: number;
  /** one line of output */
  say(line: string): void;
}

type Fault = 'agent-kill' | 'leader-kill' | 'follower-kill' | 'container-kill' | 'process-kill' | 'power-off' | 'partition' | 'dockerd-restart' | 'etcd-kill';
const FAULTS: Fault[] = ['agent-kill', 'leader-kill', 'follower-kill', 'container-kill', 'process-kill', 'power-off', 'partition', 'dockerd-restart', 'etcd-kill'];

interface Row { name: string; node: string; address?: string; container?: { state: string } }
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
<network ip-range-start="${subnet}.150" host-interface="eth0" host-netmask="24"><port-mapping id="api-port" port="80"/></network></bundle></resources>
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
    const c = await startCluster({ nodes: NODES, t: td.t });
    clusterId = c.id;
    const etcd: TestEtcd = await startEtcd(td.t);
    const store = etcd.storeUrl('/chaos');
    const key = path.join(dir, 'authkey');
    if (berthSync(['authkey', 'generate', key]).code !== 0) throw new Error('berth authkey generate failed');
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
      const fd = openSync(logOf(`controller${i}`), 'a');
      appendFileSync(logOf(`controller${i}`), `=== ${new Date().toISOString()} start\n`);
      const p = spawn(process.execPath, [berthBin, 'controller', '--listen', `${c.bridgeIp}:${CONTROLLER_PORTS[i]}`, '--store', store, '--authkey', key], { stdio: ['ignore', fd, fd] });
      procs.add(p);
      p.on('exit', () => procs.delete(p));
      controllers[i] = p;
    };
    const agents = new Map<string, ChildProcess>();
    const startAgent = (n: string) => {
      const p = c.spawnOnNode(n, process.execPath, [berthBin, 'agent', '--node', n, '--listen', `${c.node(n).ip}:${AGENT_PORT}`, '--controller', urls.join(','), '--authkey', key, '--state-dir', path.join(c.node(n).dir, 'berth')],
        { log: 'agent.log', env: { BERTH_CONFIG: path.join(c.node(n).dir, 'client.json') } });
      procs.add(p);
      p.on('exit', () => procs.delete(p));
      agents.set(n, p);
    };
    CONTROLLER_PORTS.forEach((_, i) => startController(i));
    NODES.forEach(startAgent);

    const status = async (controllerUrls = urls): Promise<Status | undefined> => {
      const r = await berthAsync(['cluster', 'status', '--json', '--controller', controllerUrls.join(','), '--authkey', key]);
      return r.code === 0 ? JSON.parse(r.stdout) as Status : undefined;
    };

    // ---- the sampler: never two running copies of one replica on any sample ----
    let sampling = true;
    let samples = 0;
    const runningWhere = async () => {
      const out = new Map<string, string[]>();
      await Promise.all(c.nodes.map(async (n) => {
        for (const k of await c.berthContainers(n.name).catch(() => [])) {
          if (k.state === 'running') out.set(k.name, [...(out.get(k.name) ?? []), n.name]);
        }
      }));
      return out;
    };
    const sampler = (async () => {
      while (sampling) {
        for (const [replica, on] of await runningWhere()) if (on.length > 1) fail(`${replica} runs on ${on.join(' and ')} at once`);
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
    let lastMisplaced: string[] = [];
    let lastStatus: Status | undefined;
    const converged = async (): Promise<Status | undefined> => until('the cluster converged with every node alive', async () => {
      const s = await status();
      if (!s?.leading || !s.cluster?.converged) return undefined;
      if (s.nodes.some((n) => n.liveness !== 'alive')) return undefined;
      lastMisplaced = await misplaced(s);
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

    // ---- the writer: scale and standby through cib-push diff-against, all the time ----
    let writing = true;
    let writerBusy: Promise<void> = Promise.resolve();
    let paused = false;
    let writes = 0;
    let refusedWrites = 0;
    /** writes since the last acknowledged one that failed without saying whether they landed */
    let unsure: string[] = [];
    const writerDir = path.join(dir, 'writer');
    mkdirSync(writerDir);
    const writeOnce = async () => {
      const orig = path.join(writerDir, 'orig.xml');
      const next = path.join(writerDir, 'next.xml');
      const got = await berthAsync(['--store', store, 'cluster', 'cib', orig]);
      if (got.code !== 0) { refusedWrites++; return; }
      copyFileSync(orig, next);
      const current = readFileSync(orig, 'utf8');
      const inStandby = NODES.filter((n) => new RegExp(`<node id="\\d+" uname="${n}"[^/]*>\\s*<instance_attributes[^>]*>\\s*<nvpair[^>]*name="standby" value="on"`).test(current));
      const r = writerRng();
      const edit = r < 0.35 ? ['resource', 'bundle', 'update', 'web', 'container', `replicas=${3 + Math.floor(writerRng() * 3)}`]
        : r < 0.6 ? ['resource', 'bundle', 'update', 'api', 'container', `replicas=${1 + Math.floor(writerRng() * 3)}`]
          : inStandby.length ? ['node', 'unstandby', ...inStandby]
            : ['node', 'standby', pick(NODES, writerRng)];
      const e = await berthAsync(['-f', next, ...edit]);
      if (e.code !== 0) { fail(`writer: berth -f ${edit.join(' ')} failed: ${e.stderr.trim()}`); return; }
      const p = await berthAsync(['--store', store, 'cluster', 'cib-push', next, `diff-against=${orig}`]);
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
      // logs free of internal errors
      for (const [who, text] of logs()) {
        const m = INTERNAL_ERROR.exec(text);
        if (m && !reported.has(`${who}${m.index}`)) {
          reported.add(`${who}${m.index}`);
          fail(`${who} log: ${text.slice(Math.max(0, m.index - 200), m.index + 300)}`);
        }
      }
    };

    // ---- faults ----
    const leaderIndex = async () => {
      const s = await until('a leader', async () => ((await status())?.leading ? await status() : undefined), 20_000, 250);
      return urls.indexOf(s.controller?.url?.replace(/\/$/, '') ?? '');
    };
    const inject = async (f: Fault): Promise<string> => {
      const node = pick(NODES);
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
          // The only member: the live CIB and the election are gone for a while.
          await etcd.kill();
          await sleep(2000 + rng() * 3000);
          await etcd.restart();
          return 'SIGKILL of etcd (the one member), started again on its data after 2-5 s';
        }
      }
    };

    o.say(`${at()} setup: cluster ${c.id} (${NODES.join(', ')}), etcd ${etcd.endpoint} (one member), controllers ${urls.join(', ')}`);
    await pauseWriter();
    if (await converged()) await audit();
    paused = false;
    o.say(`${at()} converged; faults until ${o.minutes} min`);
    const end = t0 + o.minutes * 60_000;
    let n = 0;
    while (Date.now() < end && findings.length === 0) {
      const f = pick(FAULTS);
      const f0 = Date.now();
      const what = await inject(f);
      // The writer runs while the fault is in force and between faults; it pauses while the
      // cluster recovers and is audited, so that "converged" is not a moving target.
      await pauseWriter();
      if (!(await converged())) {
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
    o.say(`${at()} ${samples} samples, ${writes} writes acknowledged, ${refusedWrites} refused`);
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
