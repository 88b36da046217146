// A multi-node cluster on this one machine, for end-to-end tests of berth's cluster: each node is
// a network namespace `berth-<id>-<node>` with a veth `eth0` on a bridge `bb<id>` in the root
// namespace, and its own dockerd (own data root, exec root, socket, docker0) whose processes, its
// containers' included, live in one cgroup per node. So power-off is real (every process of the
// node gets SIGKILL and its mounts go, as in a reboot) and so is a partition (the node runs, but
// the bridge drops every frame to and from it).
//
// Terms: the *subnet* is a private /24 chosen per cluster (10.<200..249>.<b>); the bridge has .1,
// node i (1-based) has .(10+i), and tests put replica addresses at .100–.199 on a node's eth0.
// Tests send traffic only to loopback or into this subnet (httpGet refuses anything else).
//
// Everything is recorded in /run/berth-test/<id>.json before it is made; destroy() removes it all
// and runs at t.teardown, at process exit and on SIGINT/SIGTERM/SIGHUP; startCluster first removes
// what clusters of dead processes left (their pid and start time no longer match).
import { ChildProcess, execFile, spawn, spawnSync, SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { Test } from 'tap';
import { ensureDocker } from './docker';

export interface TestNode {
  name: string;
  /** network namespace name; its path is /run/netns/<ns> */
  ns: string;
  /** the node's own address on its eth0 (subnet.(10+i)) */
  ip: string;
  /** path of the node's engine socket */
  socket: string;
  /** unix://<socket>, for DOCKER_HOST */
  dockerHost: string;
  /** the node's disk: logs (dockerd.log, spawned processes' logs) and whatever the test keeps there;
   * it survives power-off, as a disk does */
  dir: string;
}

export interface ContainerOnNode {
  name: string;
  id: string;
  state: string;
  labels: Record<string, string>;
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface SpawnOnNodeOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** file name of the log in the node's dir (stdout and stderr, appended); default <command>.log */
  log?: string;
}

export interface TestCluster {
  id: string;
  /** the bridge's address: where agents reach a controller run by the test in the root namespace */
  bridgeIp: string;
  /** first three octets of the cluster's /24, e.g. '10.213.7' */
  subnet: string;
  nodes: TestNode[];
  node(name: string): TestNode;
  isOn(name: string): boolean;
  /** Pulls the plug: freezes the node's cgroup, SIGKILLs every process in it (engine, containers,
   * spawned agents), checks that none remains, drops the node's mounts and runtime directory, resets
   * its network namespace as a reboot would (addresses on eth0 other than the node's own, docker's
   * links and firewall rules, neighbours) and sets eth0 down. Idempotent. */
  powerOff(name: string): Promise<void>;
  /** eth0 up with the node address, dockerd started again on the same data root (the engine still
   * has the old containers, as after a reboot); resolves when the engine answers. A partitioned
   * node stays partitioned. */
  powerOn(name: string): Promise<void>;
  /** The node runs but no frame reaches it or leaves it (its link stays up). */
  partition(name: string): Promise<void>;
  heal(name: string): Promise<void>;
  /** Stops the node's dockerd with SIGTERM (it stops its containers, as a `systemctl restart
   * docker` without live-restore does) and starts it again; resolves when the engine answers. */
  restartEngine(name: string): Promise<void>;
  /** A process inside the node's netns and cgroup (power-off kills it), in its own session, env
   * DOCKER_HOST=<node's engine>, stdout and stderr appended to a log file in the node's dir. */
  spawnOnNode(name: string, command: string, args: string[], opts?: SpawnOnNodeOptions): ChildProcess;
  /** A process of the root namespace (a controller, which runs on the host) in a cgroup of the
   * cluster's own, `label` ([a-z0-9]{1,10}), so that cutOff can take it off the network. */
  spawnOnHost(label: string, command: string, args: string[], opts: { log: string; env?: Record<string, string> }): ChildProcess;
  /** Every packet the host process `label` sends is dropped (an iptables OUTPUT rule on its
   * cgroup), or only those to 127.0.0.1 on `ports` (etcd): it runs, but cannot be heard. */
  cutOff(label: string, ports?: number[]): Promise<void>;
  reconnect(label: string): Promise<void>;
  /** A short command in the node's netns (not in its cgroup), e.g. `ip addr add`. */
  exec(name: string, command: string, args: string[]): Promise<CommandResult>;
  /** The docker CLI against the node's engine. */
  docker(name: string, args: string[]): Promise<CommandResult>;
  /** Containers labelled berth.bundle on the node's engine, by name; [] at once when it is off. */
  berthContainers(name: string): Promise<ContainerOnNode[]>;
  /** Sends a gratuitous ARP for `ip` from the node's eth0 (`busybox arping -U -c 1 -I eth0 -s IP IP`),
   * as an agent does after adding an address that moved. */
  announce(name: string, ip: string): Promise<void>;
  /** Pids of the node: in its cgroups (every hierarchy) or in its network namespace. */
  pids(name: string): number[];
  /** A GET from the root namespace; undefined when it fails or takes longer than timeoutMs.
   * Only loopback and this cluster's subnet are allowed. */
  httpGet(ip: string, port: number, timeoutMs: number, urlPath?: string): Promise<{ status: number; body: string } | undefined>;
  /** Kills everything and removes every trace; idempotent. Throws listing what could not be removed. */
  destroy(): Promise<void>;
}

export interface ClusterOptions {
  /** short and unique: [a-z0-9]{1,10}; default: from the pid and a counter */
  id?: string;
  /** node names, [a-z0-9]{1,8} each, e.g. ['n1', 'n2', 'n3'] */
  nodes: string[];
  /** destroy at this test's teardown */
  t?: Test;
  /** images of the main engine loaded into every node's engine besides the test images
   * (e.g. berth-test/pcmk:1 for bundles that hold a resource) */
  images?: string[];
}

const RUN_ROOT = '/run/berth-test';
const DATA_ROOT = '/var/lib/berth-test';
/** the cgroup, in every hierarchy, under which each cluster has <id>/<node>/{engine,procs,containers} */
const CGROUP_TOP = 'berth-test';
const IMAGES = ['berth-test/httpd:1', 'berth-test/httpd:2'];
const ENGINE_START_MS = 60_000;
const PATH_ENV = `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/local/sbin:/usr/sbin:/sbin`;

// ---------------------------------------------------------------------------------------------
// The record of a cluster: written before anything it names is made, so a later run can remove
// all of it when the owner died.

interface Owner {
  pid: number;
  startTime: string;
}

interface NodeRecord {
  name: string;
  ns: string;
  /** the root-side end of the node's veth pair */
  veth: string;
  ip: string;
}

interface ClusterRecord {
  id: string;
  owner: Owner;
  bridge: string;
  /** set once claimed */
  subnet?: string;
  /** nft table (family bridge) holding the partition set */
  nftTable: string;
  /** comment of the iptables FORWARD rule that accepts bridged traffic between nodes */
  forwardComment: string;
  nodes: NodeRecord[];
}

const recordFile = (id: string) => path.join(RUN_ROOT, `${id}.json`);
const subnetClaim = (subnet: string) => path.join(RUN_ROOT, `subnet-${subnet}`);
const nodeRunDir = (id: string, node: string) => path.join(RUN_ROOT, id, node);
const nodeDataDir = (id: string, node: string) => path.join(DATA_ROOT, id, node);

function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

const ownerAlive = (o: Owner) => processStartTime(o.pid) === o.startTime;

function writeRecord(rec: ClusterRecord, create: boolean): void {
  const file = recordFile(rec.id);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(rec, null, 2));
  if (create) {
    // link fails when the file exists: two clusters can never share an id.
    try {
      fs.linkSync(tmp, file);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  } else {
    fs.renameSync(tmp, file);
  }
}

function readRecord(file: string): ClusterRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as ClusterRecord;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Commands

const ENV = { ...process.env, PATH: PATH_ENV };
const ENGINE_ENV = (() => {
  const e: NodeJS.ProcessEnv = { ...ENV };
  delete e.DOCKER_HOST;
  delete e.DOCKER_CONTEXT;
  return e;
})();

function tryRun(file: string, args: string[]): SpawnSyncReturns<string> {
  return spawnSync(file, args, { encoding: 'utf8', env: ENV, timeout: 60_000 });
}

function run(file: string, args: string[]): string {
  const r = tryRun(file, args);
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')}: ${r.error ? String(r.error) : `exit ${r.status ?? r.signal}`}\n${r.stderr}`);
  return r.stdout;
}

function runAsync(file: string, args: string[], env: NodeJS.ProcessEnv = ENV, timeoutMs = 120_000): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(file, args, { encoding: 'utf8', env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr: err && code === -1 ? `${stderr}${String(err)}` : stderr });
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function waitSync(cond: () => boolean, timeoutMs: number, everyMs = 10): boolean {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (cond()) return true;
    if (Date.now() >= deadline) return false;
    sleepSync(everyMs);
  }
}

// ---------------------------------------------------------------------------------------------
// Cgroups: a node's processes are in <v2>/berth-test/<id>/<node>/{engine,procs}; docker puts its
// containers, through --cgroup-parent, at berth-test/<id>/<node>/containers/<cid> in every
// hierarchy (v1 ones too, with the cgroupfs driver). Power-off uses the v2 hierarchy's
// cgroup.freeze and cgroup.kill (kernel ≥ 5.14), which act on the whole subtree and race no fork.

interface CgroupMounts {
  /** the cgroup2 mount (/sys/fs/cgroup/unified in hybrid mode, /sys/fs/cgroup in pure v2) */
  v2: string | undefined;
  /** every cgroup mount, v1 and v2 */
  all: string[];
}

function cgroupMounts(): CgroupMounts {
  const all: string[] = [];
  let v2: string | undefined;
  for (const line of fs.readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const [, mnt, type] = line.split(' ');
    if (type === 'cgroup' || type === 'cgroup2') all.push(mnt);
    if (type === 'cgroup2') v2 = mnt;
  }
  return { v2, all };
}

const nodeCgroupRel = (id: string, node: string) => path.join(CGROUP_TOP, id, node);
/** the cgroup-parent docker gets: absolute from each hierarchy's root */
const containersCgroupParent = (id: string, node: string) => `/${nodeCgroupRel(id, node)}/containers`;

function cgroupEvents(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  try {
    for (const l of fs.readFileSync(path.join(dir, 'cgroup.events'), 'utf8').split('\n')) {
      const [k, v] = l.split(' ');
      if (k) out[k] = Number(v);
    }
  } catch {
    /* gone */
  }
  return out;
}

function subtreeDirs(dir: string): string[] {
  const dirs: string[] = [];
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    dirs.push(d);
    for (const e of entries) if (e.isDirectory()) walk(path.join(d, e.name));
  };
  walk(dir);
  return dirs;
}

function cgroupPids(rel: string): number[] {
  const pids = new Set<number>();
  for (const mnt of cgroupMounts().all) {
    for (const d of subtreeDirs(path.join(mnt, rel))) {
      try {
        for (const p of fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8').split('\n')) if (p) pids.add(Number(p));
      } catch {
        /* gone */
      }
    }
  }
  return [...pids];
}

/** Removes the cgroup subtree `rel` in every hierarchy (deepest first); returns what stayed. */
function removeCgroups(rel: string): string[] {
  const left: string[] = [];
  for (const mnt of cgroupMounts().all) {
    for (const d of subtreeDirs(path.join(mnt, rel)).reverse()) {
      try {
        fs.rmdirSync(d);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') left.push(`${d}: ${(e as Error).message}`);
      }
    }
  }
  return left;
}

function netnsInode(ns: string): number | undefined {
  try {
    return fs.statSync(`/run/netns/${ns}`).ino;
  } catch {
    return undefined;
  }
}

function pidsInNetns(ns: string): number[] {
  const ino = netnsInode(ns);
  if (ino === undefined) return [];
  const want = `net:[${ino}]`;
  const found: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (fs.readlinkSync(`/proc/${e}/ns/net`) === want) found.push(Number(e));
    } catch {
      /* gone, or a kernel thread */
    }
  }
  return found;
}

/** the cgroup of a host process of the cluster (spawnOnHost), under the cluster's */
const hostCgroupRel = (id: string, label: string) => path.join(CGROUP_TOP, id, `host-${label}`);
const hostCutComment = (id: string) => `berth-test-${id}`;

/** The iptables OUTPUT rule (without the chain) that drops what a host process sends. */
function hostCutRule(id: string, label: string, ports?: number[]): string[] {
  const only = ports?.length ? ['-d', '127.0.0.1', '-p', 'tcp', '-m', 'multiport', '--dports', ports.join(',')] : [];
  return ['-m', 'cgroup', '--path', hostCgroupRel(id, label), ...only, '-m', 'comment', '--comment', hostCutComment(id), '-j', 'DROP'];
}

/** Kills what runs in the cluster's host-process cgroups (cgroup.kill: the whole subtree). */
function killHostProcesses(id: string): void {
  const { v2 } = cgroupMounts();
  const top = v2 && path.join(v2, CGROUP_TOP, id);
  if (!top || !fs.existsSync(top)) return;
  for (const d of fs.readdirSync(top)) {
    if (!d.startsWith('host-')) continue;
    const cg = path.join(top, d);
    fs.writeFileSync(path.join(cg, 'cgroup.kill'), '1');
    waitSync(() => cgroupEvents(cg).populated === 0, 10_000);
  }
}

/** Deletes the cluster's OUTPUT rules (of one host process, or all). */
function removeHostCuts(id: string, label?: string): void {
  const cuts = () => run('iptables', ['-S', 'OUTPUT']).split('\n').filter((l) => l.startsWith('-A ')).map((l) => l.slice(3).split(' ').map((w) => w.replace(/^"(.*)"$/, '$1')))
    .filter((w) => w.includes(hostCutComment(id)) && (label === undefined || w[w.indexOf('--path') + 1] === hostCgroupRel(id, label)));
  for (const rule of cuts()) run('iptables', ['-D', ...rule]);
  if (cuts().length) throw new Error(`iptables OUTPUT rules of ${label ?? 'the host processes'} of cluster ${id} are still there`);
}

function nodePids(id: string, node: NodeRecord): number[] {
  return [...new Set([...cgroupPids(nodeCgroupRel(id, node.name)), ...pidsInNetns(node.ns)])].sort((a, b) => a - b);
}

/** SIGKILLs every process of the node and waits until none is left; throws naming survivors.
 * `whileFrozen` runs when the node's processes are frozen and not yet killed. */
function killNode(id: string, node: NodeRecord, whileFrozen?: () => void): void {
  const { v2 } = cgroupMounts();
  const cg = v2 && path.join(v2, nodeCgroupRel(id, node.name));
  if (cg && fs.existsSync(cg)) {
    // Frozen first, so that nothing forks or reacts between the kill of one process and the next.
    fs.writeFileSync(path.join(cg, 'cgroup.freeze'), '1');
    waitSync(() => cgroupEvents(cg).frozen === 1, 2000);
    whileFrozen?.();
    fs.writeFileSync(path.join(cg, 'cgroup.kill'), '1');
    waitSync(() => cgroupEvents(cg).populated === 0, 10_000);
    fs.writeFileSync(path.join(cg, 'cgroup.freeze'), '0');
  }
  // Whatever is outside the v2 subtree but still the node's (a runtime that joined only v1
  // hierarchies, a process that entered the netns from outside) goes one by one.
  let left = nodePids(id, node).filter((p) => p !== process.pid);
  const deadline = Date.now() + 10_000;
  while (left.length && Date.now() < deadline) {
    for (const p of left) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    sleepSync(20);
    left = nodePids(id, node).filter((p) => p !== process.pid && processStartTime(p) !== undefined && !isZombie(p));
  }
  if (left.length) throw new Error(`power-off of ${node.name}: processes still alive: ${left.map(describePid).join(', ')}`);
}

function isZombie(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

function describePid(pid: number): string {
  try {
    return `${pid} (${fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, 120)})`;
  } catch {
    return String(pid);
  }
}

// ---------------------------------------------------------------------------------------------
// Mounts and directories

function mountsUnder(prefixes: string[]): string[] {
  const found: string[] = [];
  for (const line of fs.readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const mnt = line.split(' ')[1]?.replace(/\\040/g, ' ');
    if (mnt && prefixes.some((p) => mnt === p || mnt.startsWith(p + '/'))) found.push(mnt);
  }
  return found.sort((a, b) => b.length - a.length);
}

/** Lazily unmounts everything under the prefixes (deepest first); returns what stayed mounted. */
function unmountUnder(prefixes: string[]): string[] {
  for (let round = 0; round < 3; round++) {
    const mounts = mountsUnder(prefixes);
    if (!mounts.length) return [];
    tryRun('umount', ['-l', ...mounts]);
  }
  return mountsUnder(prefixes);
}

// ---------------------------------------------------------------------------------------------
// Network

/** Whether two IPv4 prefixes (a bare address is a /32) share an address. */
function ipv4Overlaps(a: string, b: string): boolean {
  const parse = (cidr: string): [number, number] => {
    const [addr, len] = cidr.split('/');
    return [addr.split('.').reduce((acc, o) => acc * 256 + Number(o), 0), len === undefined ? 32 : Number(len)];
  };
  const [na, la] = parse(a);
  const [nb, lb] = parse(b);
  const block = 2 ** (32 - Math.min(la, lb));
  return Math.floor(na / block) === Math.floor(nb / block);
}

function subnetInUse(subnet: string): boolean {
  const cidr = `${subnet}.0/24`;
  const routes = JSON.parse(run('ip', ['-4', '-j', 'route', 'show', 'table', 'all'])) as { dst?: string }[];
  for (const r of routes) if (r.dst && r.dst !== 'default' && /^\d/.test(r.dst) && ipv4Overlaps(r.dst, cidr)) return true;
  const links = JSON.parse(run('ip', ['-4', '-j', 'addr'])) as { addr_info?: { local?: string; prefixlen?: number }[] }[];
  for (const l of links) for (const a of l.addr_info ?? []) if (a.local && ipv4Overlaps(`${a.local}/${a.prefixlen ?? 32}`, cidr)) return true;
  return false;
}

function hash(s: string): number {
  let h = 2166136261;
  for (const c of s) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return h;
}

/** Claims a free 10.<200..249>.<b>/24 (a symlink naming the cluster, made atomically). */
function claimSubnet(id: string): string {
  const start = hash(id) % (50 * 256);
  for (let k = 0; k < 50 * 256; k++) {
    const n = (start + k) % (50 * 256);
    const subnet = `10.${200 + Math.floor(n / 256)}.${n % 256}`;
    if (subnetInUse(subnet)) continue;
    try {
      fs.symlinkSync(id, subnetClaim(subnet));
      return subnet;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  throw new Error('no free 10.200.0.0–10.249.255.0 /24 for the test cluster');
}

function linkExists(name: string, ns?: string): boolean {
  return tryRun('ip', [...(ns ? ['-n', ns] : []), 'link', 'show', 'dev', name]).status === 0;
}

const nsPath = (ns: string) => `/run/netns/${ns}`;

const iptablesIsNft = (() => {
  let v: boolean | undefined;
  return () => (v ??= tryRun('iptables', ['-V']).stdout.includes('nf_tables'));
})();

/** The link drops: nothing of the node is heard on the bridge any more. */
function unplug(node: NodeRecord): void {
  if (netnsInode(node.ns) !== undefined) tryRun('ip', ['-n', node.ns, 'link', 'set', 'eth0', 'down']);
}

/** As a reboot leaves it: no addresses on eth0 but the node's own, no links but lo and eth0, no
 * firewall rules, no neighbours, forwarding off; eth0 down. A handful of commands: `ip -batch`. */
function resetNodeNetwork(node: NodeRecord, prefix: number): void {
  if (netnsInode(node.ns) === undefined) return;
  const links = JSON.parse(run('ip', ['-n', node.ns, '-4', '-j', 'addr'])) as { ifname: string; addr_info?: { local: string; prefixlen: number }[] }[];
  const eth0 = links.find((l) => l.ifname === 'eth0')?.addr_info ?? [];
  const batch = ['link set eth0 down'];
  for (const a of eth0) if (a.local !== node.ip) batch.push(`addr del ${a.local}/${a.prefixlen} dev eth0`);
  if (!eth0.some((a) => a.local === node.ip)) batch.push(`addr add ${node.ip}/${prefix} dev eth0`);
  const all = JSON.parse(run('ip', ['-n', node.ns, '-j', 'link'])) as { ifname: string }[];
  for (const l of all) if (l.ifname !== 'lo' && l.ifname !== 'eth0') batch.push(`link del ${l.ifname}`);
  batch.push('neigh flush all');
  // -force: a container's veth may vanish on its own meanwhile.
  spawnSync('ip', ['-n', node.ns, '-force', '-batch', '-'], { input: batch.join('\n') + '\n', encoding: 'utf8', env: ENV });
  const firewall = iptablesIsNft()
    ? 'nft flush ruleset'
    : 'for t in filter nat mangle raw; do iptables -t $t -F; iptables -t $t -X; done 2>/dev/null; for c in INPUT FORWARD OUTPUT; do iptables -P $c ACCEPT; done';
  tryRun('nsenter', [`--net=${nsPath(node.ns)}`, '--', 'sh', '-c', `${firewall}; echo 0 > /proc/sys/net/ipv4/ip_forward`]);
}

// ---------------------------------------------------------------------------------------------
// Teardown, shared by destroy() and the sweep of dead runs' leftovers.

function teardown(rec: ClusterRecord): string[] {
  const problems: string[] = [];
  const attempt = (what: string, f: () => void) => {
    try {
      f();
    } catch (e) {
      problems.push(`${what}: ${(e as Error).message}`);
    }
  };
  for (const n of rec.nodes) attempt(`kill ${n.name}`, () => killNode(rec.id, n));
  const prefixes = [path.join(RUN_ROOT, rec.id), path.join(DATA_ROOT, rec.id)];
  for (const m of unmountUnder(prefixes)) problems.push(`still mounted: ${m}`);
  for (const n of rec.nodes) {
    if (netnsInode(n.ns) !== undefined) {
      const r = tryRun('ip', ['netns', 'del', n.ns]);
      if (r.status !== 0) problems.push(`ip netns del ${n.ns}: ${r.stderr.trim()}`);
    }
    if (linkExists(n.veth)) tryRun('ip', ['link', 'del', n.veth]);
  }
  if (linkExists(rec.bridge)) {
    const r = tryRun('ip', ['link', 'del', rec.bridge]);
    if (r.status !== 0) problems.push(`ip link del ${rec.bridge}: ${r.stderr.trim()}`);
  }
  const rule = ['FORWARD', '-i', rec.bridge, '-o', rec.bridge, '-m', 'comment', '--comment', rec.forwardComment, '-j', 'ACCEPT'];
  for (let i = 0; i < 10 && tryRun('iptables', ['-C', ...rule]).status === 0; i++) tryRun('iptables', ['-D', ...rule]);
  if (tryRun('nft', ['list', 'table', 'bridge', rec.nftTable]).status === 0) {
    const r = tryRun('nft', ['delete', 'table', 'bridge', rec.nftTable]);
    if (r.status !== 0) problems.push(`nft delete table bridge ${rec.nftTable}: ${r.stderr.trim()}`);
  }
  attempt('iptables OUTPUT rules of host processes', () => removeHostCuts(rec.id));
  attempt('kill host processes', () => killHostProcesses(rec.id));
  problems.push(...removeCgroups(path.join(CGROUP_TOP, rec.id)));
  for (const mnt of cgroupMounts().all) {
    try {
      fs.rmdirSync(path.join(mnt, CGROUP_TOP)); // only when no other cluster is in it
    } catch {
      /* absent or in use */
    }
  }
  if (rec.subnet) {
    try {
      if (fs.readlinkSync(subnetClaim(rec.subnet)) === rec.id) fs.rmSync(subnetClaim(rec.subnet));
    } catch {
      /* not claimed */
    }
  }
  if (!problems.length) {
    for (const p of prefixes) attempt(`rm -rf ${p}`, () => fs.rmSync(p, { recursive: true, force: true }));
  }
  // The record goes last, and only when nothing is left: otherwise the next sweep retries.
  if (!problems.length) fs.rmSync(recordFile(rec.id), { force: true });
  return problems;
}

let swept = false;
function sweepStale(): void {
  if (swept) return;
  swept = true;
  sweepStaleClusters();
}

/** Removes what clusters of dead processes left: records whose owner is gone, and directories,
 * namespaces, cgroups and subnet claims of ids with no record. startCluster runs it once per
 * process. */
export function sweepStaleClusters(): void {
  fs.mkdirSync(RUN_ROOT, { recursive: true });
  const ids = new Set<string>();
  for (const f of fs.readdirSync(RUN_ROOT)) {
    const m = /^([a-z0-9]+)\.json$/.exec(f);
    if (!m) continue;
    const rec = readRecord(path.join(RUN_ROOT, f));
    if (rec && ownerAlive(rec.owner)) {
      ids.add(m[1]);
      continue;
    }
    if (rec) {
      const problems = teardown(rec);
      if (problems.length) process.emitWarning(`leftovers of test cluster ${rec.id} (pid ${rec.owner.pid}) could not all be removed:\n${problems.join('\n')}`);
      else continue;
    }
    ids.add(m[1]); // unreadable or not removable: leave it alone
  }
  const orphan = (id: string) => /^[a-z0-9]+$/.test(id) && !ids.has(id);
  for (const f of fs.readdirSync(RUN_ROOT)) {
    const p = path.join(RUN_ROOT, f);
    const tar = /^images-(\d+)(?:-\d+)?\.tar$/.exec(f);
    if (tar && processStartTime(Number(tar[1])) === undefined) fs.rmSync(p, { force: true });
    if (f.startsWith('subnet-')) {
      let owner = '';
      try { owner = fs.readlinkSync(p); } catch { /* not a claim */ }
      if (orphan(owner)) fs.rmSync(p, { force: true });
    } else if (orphan(f) && fs.statSync(p).isDirectory()) {
      unmountUnder([p]);
      fs.rmSync(p, { recursive: true, force: true });
    }
  }
  if (fs.existsSync(DATA_ROOT)) {
    for (const f of fs.readdirSync(DATA_ROOT)) {
      if (!orphan(f)) continue;
      const p = path.join(DATA_ROOT, f);
      unmountUnder([p]);
      fs.rmSync(p, { recursive: true, force: true });
    }
  }
  for (const ns of fs.existsSync('/run/netns') ? fs.readdirSync('/run/netns') : []) {
    const m = /^berth-([a-z0-9]+)-[a-z0-9]+$/.exec(ns);
    if (m && orphan(m[1])) tryRun('ip', ['netns', 'del', ns]);
  }
  for (const mnt of cgroupMounts().all) {
    const top = path.join(mnt, CGROUP_TOP);
    for (const id of fs.existsSync(top) ? fs.readdirSync(top) : []) if (orphan(id) && fs.statSync(path.join(top, id)).isDirectory()) removeCgroups(path.join(CGROUP_TOP, id));
  }
}

// Cleanup at exit and on the signals a test runner or a person sends.
const live = new Map<string, () => void>();
let handlersInstalled = false;
function destroyAllLive(): void {
  for (const destroy of [...live.values()]) {
    try {
      destroy();
    } catch {
      /* the process is ending: the next sweep retries */
    }
  }
}
function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', destroyAllLive);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      destroyAllLive();
      process.removeListener(sig, onSignal);
      process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

// ---------------------------------------------------------------------------------------------
// Engines

function engineGet(socket: string, urlPath: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath: socket, path: urlPath, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${socket} within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

const engineAnswers = (socket: string) => engineGet(socket, '/_ping', 1000).then((r) => r.status === 200, () => false);

interface MainEngineFlags {
  storageDriver: string;
  iptables: boolean;
}

let mainFlags: MainEngineFlags | undefined;
/** The node engines run as the main one does: same storage driver, iptables as it has them. */
function mainEngineFlags(): MainEngineFlags {
  if (mainFlags) return mainFlags;
  const storageDriver = run('docker', ['info', '--format', '{{.Driver}}']).trim();
  let cmdline = '';
  try {
    cmdline = fs.readFileSync(`/proc/${fs.readFileSync('/var/run/docker.pid', 'utf8').trim()}/cmdline`, 'utf8');
  } catch {
    /* not ours to read: assume defaults */
  }
  mainFlags = { storageDriver, iptables: !cmdline.split('\0').includes('--iptables=false') };
  return mainFlags;
}

const imagesTars = new Map<string, string>();
/** `docker save` of the test images (and the extra ones a cluster asks for) from the main engine,
 * once per process and set of images. */
function savedImages(extra: readonly string[] = []): string {
  const images = [...IMAGES, ...extra];
  const key = images.join(' ');
  const known = imagesTars.get(key);
  if (known && fs.existsSync(known)) return known;
  const file = path.join(RUN_ROOT, `images-${process.pid}-${imagesTars.size}.tar`);
  run('docker', ['save', '-o', file, ...images]);
  process.once('exit', () => fs.rmSync(file, { force: true }));
  imagesTars.set(key, file);
  return file;
}

// ---------------------------------------------------------------------------------------------

let idSeq = 0;
const ID_RE = /^[a-z0-9]{1,10}$/;
const NODE_RE = /^[a-z0-9]{1,8}$/;

function checkPrerequisites(): void {
  if (process.getuid?.() !== 0) throw new Error('the test cluster needs root (namespaces, bridges, cgroups)');
  const missing = ['ip', 'nsenter', 'dockerd', 'docker', 'iptables', 'nft', 'umount', 'busybox'].filter((c) => tryRun('sh', ['-c', `command -v ${c}`]).status !== 0);
  if (missing.length) throw new Error(`the test cluster needs: ${missing.join(', ')} (packages iproute2, util-linux, docker.io, iptables, nftables, busybox-static)`);
  if (!cgroupMounts().v2) throw new Error('the test cluster needs a cgroup2 hierarchy (cgroup.kill); none is mounted');
}

export async function startCluster(opts: ClusterOptions): Promise<TestCluster> {
  const id = opts.id ?? `${process.pid.toString(36)}${(idSeq++).toString(36)}`;
  if (!ID_RE.test(id)) throw new Error(`cluster id '${id}': use 1 to 10 of a-z and 0-9`);
  const bad = opts.nodes.filter((n) => !NODE_RE.test(n));
  if (bad.length || !opts.nodes.length || new Set(opts.nodes).size !== opts.nodes.length || opts.nodes.length > 89) {
    throw new Error(`node names ${JSON.stringify(opts.nodes)}: 1 to 89 distinct names of 1 to 8 of a-z and 0-9`);
  }
  ensureDocker();
  checkPrerequisites();
  sweepStale();
  const t0 = Date.now();

  const rec: ClusterRecord = {
    id,
    owner: { pid: process.pid, startTime: processStartTime(process.pid) ?? '' },
    bridge: `bb${id}`,
    nftTable: `berth_${id}`,
    forwardComment: `berth-test-${id}`,
    nodes: opts.nodes.map((name, i) => ({ name, ns: `berth-${id}-${name}`, veth: `bv${id}-${i + 1}`, ip: '' })),
  };
  fs.mkdirSync(RUN_ROOT, { recursive: true });
  writeRecord(rec, true);

  const on = new Map<string, boolean>(rec.nodes.map((n) => [n.name, false]));
  let destroyed = false;
  const destroySync = () => {
    if (destroyed) return;
    const problems = teardown(rec);
    live.delete(id);
    destroyed = true;
    if (problems.length) throw new Error(`test cluster ${id}: could not remove everything:\n${problems.join('\n')}`);
  };
  live.set(id, destroySync);
  installExitHandlers();

  try {
    const subnet = claimSubnet(id);
    rec.subnet = subnet;
    for (const [i, n] of rec.nodes.entries()) n.ip = `${subnet}.${10 + i + 1}`;
    writeRecord(rec, false);
    const bridgeIp = `${subnet}.1`;

    // The bridge, and bridged traffic between nodes let through the host's FORWARD chain:
    // br_netfilter hands it to iptables, where docker's FORWARD policy is DROP.
    run('ip', ['link', 'add', rec.bridge, 'type', 'bridge']);
    run('ip', ['addr', 'add', `${bridgeIp}/24`, 'dev', rec.bridge]);
    run('ip', ['link', 'set', rec.bridge, 'up']);
    run('iptables', ['-I', 'FORWARD', '1', '-i', rec.bridge, '-o', rec.bridge, '-m', 'comment', '--comment', rec.forwardComment, '-j', 'ACCEPT']);
    // A partition is the node's veth in this set: the bridge drops its frames both ways, at every
    // hook, whatever happens to the link (a port disabled by hand would come back on a carrier change).
    const nftRules = `table bridge ${rec.nftTable} {
      set partitioned { type ifname; }
      chain forward { type filter hook forward priority -200; policy accept; iifname @partitioned drop; oifname @partitioned drop; }
      chain input { type filter hook input priority -200; policy accept; iifname @partitioned drop; }
      chain output { type filter hook output priority -200; policy accept; oifname @partitioned drop; }
    }`;
    const nft = spawnSync('nft', ['-f', '-'], { input: nftRules, encoding: 'utf8', env: ENV });
    if (nft.status !== 0) throw new Error(`nft: ${nft.stderr}`);

    for (const n of rec.nodes) {
      run('ip', ['netns', 'add', n.ns]);
      run('ip', ['link', 'add', n.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', n.ns]);
      run('ip', ['link', 'set', n.veth, 'master', rec.bridge, 'up']);
      run('ip', ['-n', n.ns, 'addr', 'add', `${n.ip}/24`, 'dev', 'eth0']);
      run('ip', ['-n', n.ns, 'link', 'set', 'lo', 'up']);
      run('ip', ['-n', n.ns, 'link', 'set', 'eth0', 'up']);
      fs.mkdirSync(nodeRunDir(id, n.name), { recursive: true });
      fs.mkdirSync(nodeDataDir(id, n.name), { recursive: true });
      const { v2 } = cgroupMounts();
      for (const leaf of ['engine', 'procs']) fs.mkdirSync(path.join(v2 as string, nodeCgroupRel(id, n.name), leaf), { recursive: true });
    }

    const nodes: TestNode[] = rec.nodes.map((n) => {
      const socket = path.join(nodeRunDir(id, n.name), 'docker.sock');
      return { name: n.name, ns: n.ns, ip: n.ip, socket, dockerHost: `unix://${socket}`, dir: nodeDataDir(id, n.name) };
    });
    const byName = (name: string): TestNode => {
      const n = nodes.find((x) => x.name === name);
      if (!n) throw new Error(`no node '${name}' in test cluster ${id} (${nodes.map((x) => x.name).join(', ')})`);
      return n;
    };
    const recOf = (name: string) => rec.nodes.find((x) => x.name === name) as NodeRecord;
    const procsFile = (name: string, leaf: 'engine' | 'procs') => path.join(cgroupMounts().v2 as string, nodeCgroupRel(id, name), leaf, 'cgroup.procs');

    /** Starts a process in the node's netns and cgroup leaf, in its own session. */
    const spawnIn = (name: string, leaf: 'engine' | 'procs', command: string, args: string[], logFile: string, env: NodeJS.ProcessEnv, cwd?: string) => {
      const out = fs.openSync(logFile, 'a');
      try {
        // The shell joins the cgroup, then becomes nsenter, which becomes the command: one pid.
        // nsenter, not `ip netns exec`: that one remounts /sys, and dockerd then finds no cgroups.
        return spawn('sh', ['-c', 'echo $$ > "$1" && ns="$2" && shift 2 && exec nsenter --net="$ns" -- "$@"', 'sh', procsFile(name, leaf), nsPath(recOf(name).ns), command, ...args],
          { detached: true, stdio: ['ignore', out, out], env, cwd });
      } finally {
        fs.closeSync(out);
      }
    };

    const startEngine = async (name: string) => {
      const n = byName(name);
      const runDir = nodeRunDir(id, name);
      fs.mkdirSync(runDir, { recursive: true });
      const pidfile = path.join(runDir, 'docker.pid');
      fs.rmSync(pidfile, { force: true }); // its pid is dead: the node lost power
      const flags = mainEngineFlags();
      const log = path.join(n.dir, 'dockerd.log');
      fs.appendFileSync(log, `=== ${new Date().toISOString()} power on\n`);
      const child = spawnIn(name, 'engine', 'dockerd', [
        '--data-root', path.join(n.dir, 'docker'), '--exec-root', path.join(runDir, 'exec'), '-H', n.dockerHost, '--pidfile', pidfile,
        '--cgroup-parent', containersCgroupParent(id, name), `--storage-driver=${flags.storageDriver}`,
        ...(flags.iptables ? [] : ['--iptables=false']),
      ], log, ENGINE_ENV);
      child.unref();
      const deadline = Date.now() + ENGINE_START_MS;
      while (!(await engineAnswers(n.socket))) {
        if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
          const why = child.exitCode !== null || child.signalCode !== null ? `exited (${child.exitCode ?? child.signalCode})` : `did not answer within ${ENGINE_START_MS} ms`;
          throw new Error(`dockerd of ${name} ${why}:\n${fs.readFileSync(log, 'utf8').slice(-3000)}`);
        }
        await sleep(50);
      }
      on.set(name, true);
    };

    const tStart = Date.now();
    await Promise.all(nodes.map((n) => startEngine(n.name)));
    const tEngines = Date.now();
    const tar = savedImages(opts.images);
    const loads = await Promise.all(nodes.map((n) => runAsync('docker', ['-H', n.dockerHost, 'load', '-i', tar], ENGINE_ENV)));
    loads.forEach((r, i) => { if (r.code !== 0) throw new Error(`docker load on ${nodes[i].name}: ${r.stderr}`); });
    if (process.env.BERTH_CLUSTER_VERBOSE) {
      process.stderr.write(`test cluster ${id}: network ${tStart - t0} ms, engines ${tEngines - tStart} ms, images ${Date.now() - tEngines} ms\n`);
    }

    const cluster: TestCluster = {
      id,
      bridgeIp,
      subnet,
      nodes,
      node: byName,
      isOn: (name) => { byName(name); return on.get(name) === true; },

      async powerOff(name) {
        const r = recOf(byName(name).name);
        on.set(name, false);
        const t1 = Date.now();
        killNode(id, r, () => unplug(r));
        const t2 = Date.now();
        // A reboot loses the mounts and /run: the engine finds only its data root again.
        const left = unmountUnder([nodeRunDir(id, name), path.join(nodeDataDir(id, name), 'docker')]);
        if (left.length) throw new Error(`power-off of ${name}: still mounted: ${left.join(', ')}`);
        fs.rmSync(nodeRunDir(id, name), { recursive: true, force: true });
        const t3 = Date.now();
        resetNodeNetwork(r, 24);
        if (process.env.BERTH_CLUSTER_VERBOSE) process.stderr.write(`power-off ${name}: kill ${t2 - t1} ms, mounts ${t3 - t2} ms, network ${Date.now() - t3} ms\n`);
      },

      async powerOn(name) {
        const r = recOf(byName(name).name);
        if (on.get(name)) return;
        const addrs = JSON.parse(run('ip', ['-n', r.ns, '-4', '-j', 'addr', 'show', 'dev', 'eth0'])) as { addr_info?: { local: string }[] }[];
        if (!(addrs[0]?.addr_info ?? []).some((a) => a.local === r.ip)) run('ip', ['-n', r.ns, 'addr', 'add', `${r.ip}/24`, 'dev', 'eth0']);
        run('ip', ['-n', r.ns, 'link', 'set', 'eth0', 'up']);
        await startEngine(name);
      },

      async partition(name) {
        run('nft', ['add', 'element', 'bridge', rec.nftTable, 'partitioned', `{ ${recOf(byName(name).name).veth} }`]);
      },

      spawnOnHost(label, command, args, opts) {
        if (!/^[a-z0-9]{1,10}$/.test(label)) throw new Error(`host process label '${label}' is not [a-z0-9]{1,10}`);
        const cg = path.join(cgroupMounts().v2 as string, hostCgroupRel(id, label));
        fs.mkdirSync(cg, { recursive: true });
        const out = fs.openSync(opts.log, 'a');
        try {
          // The shell joins the cgroup, then becomes the command: one pid.
          return spawn('sh', ['-c', 'echo $$ > "$1" && shift && exec "$@"', 'sh', path.join(cg, 'cgroup.procs'), command, ...args], { stdio: ['ignore', out, out], env: { ...process.env, ...(opts.env ?? {}) } });
        } finally {
          fs.closeSync(out);
        }
      },

      async cutOff(label, ports) {
        run('iptables', ['-I', 'OUTPUT', ...hostCutRule(id, label, ports)]);
      },

      async reconnect(label) {
        removeHostCuts(id, label);
      },

      async heal(name) {
        const veth = recOf(byName(name).name).veth;
        const listed = run('nft', ['list', 'set', 'bridge', rec.nftTable, 'partitioned']);
        if (listed.includes(`"${veth}"`)) run('nft', ['delete', 'element', 'bridge', rec.nftTable, 'partitioned', `{ ${veth} }`]);
      },

      async restartEngine(name) {
        byName(name);
        if (!on.get(name)) throw new Error(`node ${name} is powered off`);
        const pidfile = path.join(nodeRunDir(id, name), 'docker.pid');
        const pid = Number(fs.readFileSync(pidfile, 'utf8').trim());
        on.set(name, false);
        process.kill(pid, 'SIGTERM');
        const deadline = Date.now() + ENGINE_START_MS;
        while (fs.existsSync(`/proc/${pid}`)) {
          if (Date.now() > deadline) throw new Error(`dockerd of ${name} (pid ${pid}) did not stop within ${ENGINE_START_MS} ms`);
          await sleep(50);
        }
        await startEngine(name);
      },

      spawnOnNode(name, command, args, o = {}) {
        const n = byName(name);
        if (!on.get(name)) throw new Error(`node ${name} is powered off`);
        const log = path.join(n.dir, o.log ?? `${path.basename(command)}.log`);
        fs.appendFileSync(log, `=== ${new Date().toISOString()} ${command} ${args.join(' ')}\n`);
        return spawnIn(name, 'procs', command, args, log, { ...ENGINE_ENV, ...o.env, DOCKER_HOST: n.dockerHost }, o.cwd);
      },

      exec(name, command, args) {
        return runAsync('nsenter', [`--net=${nsPath(byName(name).ns)}`, '--', command, ...args]);
      },

      docker(name, args) {
        return runAsync('docker', ['-H', byName(name).dockerHost, ...args], ENGINE_ENV);
      },

      async berthContainers(name) {
        const n = byName(name);
        if (!on.get(name)) return [];
        const filters = encodeURIComponent(JSON.stringify({ label: ['berth.bundle'] }));
        const r = await engineGet(n.socket, `/containers/json?all=1&filters=${filters}`, 10_000);
        if (r.status !== 200) throw new Error(`engine of ${name}: HTTP ${r.status}: ${r.body}`);
        const list = JSON.parse(r.body) as { Id: string; Names?: string[]; State: string; Labels?: Record<string, string> }[];
        return list
          .map((c) => ({ name: (c.Names?.[0] ?? '').replace(/^\//, ''), id: c.Id, state: c.State, labels: c.Labels ?? {} }))
          .sort((a, b) => a.name.localeCompare(b.name));
      },

      async announce(name, ip) {
        if (!ip.startsWith(`${subnet}.`)) throw new Error(`${ip} is not in the cluster's subnet ${subnet}.0/24`);
        const r = await cluster.exec(name, 'busybox', ['arping', '-U', '-c', '1', '-I', 'eth0', '-s', ip, ip]);
        if (r.code !== 0) throw new Error(`arping on ${name}: ${r.stderr}${r.stdout}`);
      },

      pids(name) {
        return nodePids(id, recOf(byName(name).name));
      },

      httpGet(ip, port, timeoutMs, urlPath = '/') {
        if (!ip.startsWith(`${subnet}.`) && !/^127\.\d+\.\d+\.\d+$/.test(ip)) {
          return Promise.reject(new Error(`${ip}: tests send traffic only to loopback or to the cluster's subnet ${subnet}.0/24`));
        }
        return new Promise((resolve) => {
          let done = false;
          const finish = (v: { status: number; body: string } | undefined) => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            req.destroy();
            resolve(v);
          };
          const timer = setTimeout(() => finish(undefined), timeoutMs);
          const req = http.get({ host: ip, port, path: urlPath, agent: false }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => (body += d));
            res.on('end', () => finish({ status: res.statusCode ?? 0, body }));
            res.on('error', () => finish(undefined));
          });
          req.on('error', () => finish(undefined));
        });
      },

      async destroy() {
        destroySync();
      },
    };
    opts.t?.teardown(() => cluster.destroy());
    return cluster;
  } catch (e) {
    const problems = (() => {
      try {
        destroySync();
        return '';
      } catch (d) {
        return `\n(and cleaning up: ${(d as Error).message})`;
      }
    })();
    (e as Error).message += problems;
    throw e;
  }
}

/** What of cluster `id` exists on this machine (empty once it is destroyed): its record, its
 * directories, mounts, namespaces, links, cgroups, firewall entries and processes. */
export function clusterTraces(id: string): string[] {
  const found: string[] = [];
  if (fs.existsSync(recordFile(id))) found.push(`record ${recordFile(id)}`);
  for (const d of [path.join(RUN_ROOT, id), path.join(DATA_ROOT, id)]) if (fs.existsSync(d)) found.push(`directory ${d}`);
  for (const m of mountsUnder([path.join(RUN_ROOT, id), path.join(DATA_ROOT, id)])) found.push(`mount ${m}`);
  for (const ns of fs.existsSync('/run/netns') ? fs.readdirSync('/run/netns') : []) if (ns.startsWith(`berth-${id}-`)) found.push(`netns ${ns}`);
  const links = JSON.parse(run('ip', ['-j', 'link'])) as { ifname: string }[];
  for (const l of links) if (l.ifname === `bb${id}` || l.ifname.startsWith(`bv${id}-`)) found.push(`link ${l.ifname}`);
  for (const mnt of cgroupMounts().all) if (fs.existsSync(path.join(mnt, CGROUP_TOP, id))) found.push(`cgroup ${path.join(mnt, CGROUP_TOP, id)}`);
  if (run('iptables', ['-S', 'FORWARD']).includes(`berth-test-${id}`)) found.push(`iptables FORWARD rule berth-test-${id}`);
  if (run('iptables', ['-S', 'OUTPUT']).includes(hostCutComment(id))) found.push(`iptables OUTPUT rule ${hostCutComment(id)}`);
  if (tryRun('nft', ['list', 'table', 'bridge', `berth_${id}`]).status === 0) found.push(`nft table bridge berth_${id}`);
  for (const claim of fs.existsSync(RUN_ROOT) ? fs.readdirSync(RUN_ROOT) : []) {
    try {
      if (claim.startsWith('subnet-') && fs.readlinkSync(path.join(RUN_ROOT, claim)) === id) found.push(`subnet claim ${claim}`);
    } catch {
      /* not a claim */
    }
  }
  const pg = tryRun('pgrep', ['-af', `/berth-test/${id}/`]);
  for (const l of pg.stdout.split('\n')) if (l.trim() && !l.includes('pgrep')) found.push(`process ${l.trim()}`);
  return found;
}
