// `berth agent`, `berth controller --listen` (a controller of a cluster) and `berth cluster
// status`: flags → dependencies → one library call (src/agent/daemon.ts, src/cluster) → output.
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { BerthError, problem } from '../errors/registry';
import { Command, Invocation, flagString, untilStopped, valueFlags } from './invocation';
import { lazy } from './lazy';
import { paintStates, renderProblems } from './render';
import { DEFAULT_HOST_ACCESS, HOST_ACCESS, HostAccess, parseHostAccessList } from '../runtime/host-access';
import type { ClusterStatusAnswer, ControllerPost } from '../cluster/controller-client';
import { HEARTBEAT_RANGE_MS, LivenessPolicy, livenessFor } from '../cluster/liveness';
import { ClientConfig, ClusterClient, agentClientConfig, controllerClientConfig, controllersMissing, resolveClusterClient, writeClientConfig } from './client-config';

export const agentHelp = `Usage: berth agent [--controller URL[,URL...]] [--listen HOST:PORT] [--advertise URL]
                   [--node NAME] [--authkey FILE] [--state-dir DIR]
                   [--allow ACCESS[,ACCESS...]] [--deny host-net] [--allow-mount DIR[,DIR...]]

Run the node agent: it serves this node's Docker engine ($DOCKER_HOST or /var/run/docker.sock)
and podman's API for <podman> bundles ($BERTH_PODMAN_SOCKET, else /run/podman/podman.sock),
its addresses and berth's files on it to the leading controller over HTTP, every request and
answer signed with the cluster authkey ('berth authkey generate'). Orders from a leader older
than the newest one seen are refused (fencing by term).

The agent holds a lease by sending a heartbeat to the controllers every 300 ms. When no
heartbeat has been granted for 1.4 s it fences itself: it refuses orders, kills and removes this
node's replicas and removes their addresses, so that the controller (which declares the node
lost after 2 s) can start them elsewhere without two copies ever running. When heartbeats are
granted again the node rejoins empty. The timings come from the controller.

Each start leaves a fence guard beside it ('berth agent-fence-guard', a process of its own that
the agent's death does not end): when the agent dies holding a lease (killed, crashed, stopped),
the guard fences the node at the moment the agent would have, unless a new agent start takes the
lease over first (an agent restarted within its lease keeps its replicas). Leases are counted on
the monotonic clock: a step of the wall clock does not move them.

Once started it writes the client config ($BERTH_CONFIG, else /etc/berth/client.json; mode
0600, only when missing or different): the controllers and the authkey, so that 'berth cluster
status' on this node needs neither flag (see docs/client-config.md).

Flags:
  --controller URLS  the controllers' URLs (their --listen), comma-separated (default
                     $BERTH_CONTROLLER, else the client config)
  --listen HOST:PORT where to serve the controller (default 0.0.0.0:7440)
  --advertise URL    the URL the controllers use to reach this agent (default from --listen;
                     required when --listen is 0.0.0.0)
  --node NAME        this node's name as in the CIB's <nodes> (default: the host name)
  --authkey FILE     the cluster authkey (default $BERTH_AUTHKEY, else the client config's, else
                     /etc/berth/authkey)
  --state-dir DIR    berth's files on this node (default $BERTH_STATE_DIR, else /var/lib/berth/node)
  --allow ACCESS     host access created containers may ask for, comma-separated: privileged,
                     host-pid, host-ipc, host-uts, host-userns, devices, cap-add (capabilities
                     beyond Docker's default set, IPC_LOCK and SYS_NICE), unconfined (seccomp,
                     apparmor, label or systempaths unconfined), mount-system (binds of /, /etc,
                     /proc, /sys, /dev, /boot, /root, /usr, /bin, /sbin, /lib, /var/lib/docker,
                     the docker socket or this agent's state dir). Default: none but host-net
  --deny host-net    refuse containers on the host network too (allowed by default: Pacemaker
                     bundles often use network="host")
  --allow-mount DIRS directories containers may bind (and the agent create) even in a system path

Orders are scoped: only containers labelled for this node and this agent's cluster, named as
replicas, only berth's node files of that cluster, never the agent's own state (agent-term.json,
agent-lease.json). Anything else is refused (AGENT_SCOPE_REFUSED, AGENT_HOST_ACCESS_DENIED).

Exit codes: 0 stopped by a signal (replicas keep running while the lease holds: started again
within it, the agent keeps them; otherwise its fence guard kills them), 2 cannot start
(flags, authkey, state files, engine).
`;

export const clusterControllerHelp = `Usage: berth controller --listen HOST:PORT [--advertise URL] [--store URL | --cib FILE]
                        [--authkey FILE] [--fence-command CMD] [--interval SECONDS]
                        [--stop-timeout SECONDS] [--leader-ttl SECONDS]
                        [--heartbeat-interval SECONDS]
                        [--ui-listen [HOST:]PORT [--ui-actions] [--ui-password-file FILE]]

With --listen, the controller runs a cluster: every node runs 'berth agent', and the controller
places the replicas on the CIB's nodes (<nodes>, 'berth node add'), drives each node through its
agent, takes the agents' heartbeats, declares a node lost 2 s after its last one (its agent has
fenced itself by then; 6.7 heartbeats with --heartbeat-interval) and starts its replicas elsewhere, with the same name, address and data.
A replica never runs on two nodes at once: a move removes the old copy before the new one starts.

Several controllers share the live CIB in etcd (--store etcd://...): one leads, elected with an
etcd lease (--leader-ttl, default 2 s); the others take heartbeats and take over when it stops.

Once listening it adds its URL (--advertise) to the client config ($BERTH_CONFIG, else
/etc/berth/client.json; mode 0600), written when missing, so that 'berth cluster status' on this
machine needs no flags (see docs/client-config.md).

Flags:
  --listen HOST:PORT   where agents send heartbeats
  --advertise URL      the URL agents use (default from --listen)
  --store URL          the live CIB and the election (etcd://HOST:PORT/PREFIX for several
                       controllers; default $BERTH_STORE, else file:///var/lib/berth)
  --cib FILE           the desired state from a file instead of the store
  --authkey FILE       the cluster authkey (default $BERTH_AUTHKEY, else the client config's,
                       else /etc/berth/authkey)
  --fence-command CMD  run as 'CMD NODE' when a node has been silent for 1 s; exit 0 confirms the
                       node is off and its replicas move at once
  --interval S         resync every S seconds (default 30)
  --stop-timeout S     seconds a replica gets to stop before it is killed
  --leader-ttl S       the leader's etcd lease (default 2)
  --heartbeat-interval S  how often agents send heartbeats (default 0.3, from 0.1 to 10); the
                       lease (6.7 heartbeats: 2 s at 0.3), the self-fence (2 heartbeats before
                       it ends) and --fence-command's silence (3.3 heartbeats) scale with it.
                       A longer interval for clusters of about 100 nodes and more (1 s: a node
                       is declared lost 6.7 s after its last heartbeat). Give every controller
                       the same value
  --ui-listen [HOST:]PORT  also serve the live status page there (HOST default 127.0.0.1: give
                       another address only behind a network you trust); 'berth ui' prints its
                       address with the login token (derived from the authkey); see docs/ui.md
  --ui-actions         let logged-in operators act from the page: node standby/unstandby,
                       resource enable/disable, resource cleanup (read-only without it)
  --ui-password-file FILE  a password that logs in too (the file's first line)

Exit codes: 0 stopped by a signal, 2 cannot start (flags, authkey, store, state files).
`;

export const uiHelp = `Usage: berth ui [--controller URL[,URL...]] [--authkey FILE] [--open] [--json]

Print the address of the live status page of the leading controller ('berth controller
--listen ... --ui-listen [HOST:]PORT'), with the login token in the address's fragment (after
'#', which the browser does not send; the page logs in with it and removes it). The token is
derived from the cluster authkey: whoever can read the authkey can open the page. The
controllers are asked in order and the leader they name is followed, as 'cluster status' does.

The page shows the cluster live: nodes, bundles and replicas, failures, recent events and the
plan of the last pass; with --ui-actions, standby/unstandby, enable/disable and cleanup, each
the same as the berth command it shows. See docs/ui.md.

Flags:
  --controller URL[,URL...]  the controllers to ask (default $BERTH_CONTROLLER, else the client
                  config)
  --authkey FILE  the cluster authkey (default $BERTH_AUTHKEY, else the client config's, else
                  /etc/berth/authkey)
  --open          also open the address with xdg-open (when there is one)
  --json          {"url", "controller", "leading"} (the url with its token)

Exit codes: 0 printed, 1 no controller answers or the leader serves no page (UI_NOT_SERVED),
  2 usage error.
`;

export const clusterStatusHelp = `Usage: berth cluster status [--controller URL[,URL...]] [--authkey FILE] [--json]
                           [--watch [--interval SECONDS]]

Ask a controller who leads, the term, and each node's state: alive, suspect (silent for 1 s),
lost (its lease ended or it was fenced), unknown (not heard from since this leader started);
and standby when the CIB puts it in standby.
The leader also shows every bundle and each of its replicas across the cluster, as its last pass
saw them (as crm_mon does): the node running it, address, container state, health, failure
count, and why it is not running ('unknown': placed on a node that cannot be observed now).
A follower names the leader, and is not asked for more: the leader is asked instead.

Flags:
  --controller URL[,URL...]  the controllers to ask, in order: the first that answers (and,
                  when it follows, the leader it names). Default: $BERTH_CONTROLLER, else the
                  client config ($BERTH_CONFIG, else /etc/berth/client.json), which 'berth agent'
                  and 'berth controller --listen' write on their node
  --authkey FILE  the cluster authkey (default $BERTH_AUTHKEY, else the client config's, else
                  /etc/berth/authkey)
  --watch         redraw every --interval seconds (default 2) until interrupted; controllers
                  that do not answer are shown so and asked again (to watch a leader hand-over)
  --json          the answer as data (one JSON object per round with --watch)

Examples:
  berth cluster status                      on a node: the controllers from the client config
  berth cluster status --watch
  BERTH_CONTROLLER=http://10.0.0.1:7441,http://10.0.0.2:7441 berth cluster status --json

Exit codes: 0 shown, 1 the controller does not answer or the client config is invalid, 2 usage
  error (no controller given anywhere: the error names the three ways).
`;

function hostPort(v: string, flag: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new BerthError([problem('USAGE', { path: flag, value: v, allowed: 'HOST:PORT', message: `'${v}' is not a valid ${flag}, use HOST:PORT (e.g. 0.0.0.0:7440)` })]);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

function urlList(v: string | undefined, flag: string): string[] {
  if (!v) throw new BerthError([problem('USAGE', { path: flag, message: `${flag} is required` })]);
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const u of list) {
    if (!/^https?:\/\/[^\s/]+\/?$/.test(u)) throw new BerthError([problem('USAGE', { path: flag, value: u, allowed: 'http://HOST:PORT', message: `'${u}' is not a valid URL for ${flag}, use http://HOST:PORT` })]);
  }
  return list.map((u) => u.replace(/\/$/, ''));
}

function seconds(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new BerthError([problem('USAGE', { path: `--${name}`, value: v, allowed: 'a positive number of seconds', message: `'${v}' is not a valid --${name}, use a positive number of seconds` })]);
  return n;
}

/** --heartbeat-interval: the liveness policy for heartbeats that often (liveness.ts livenessFor). */
function heartbeatInterval(v: string | undefined): LivenessPolicy | undefined {
  const s = seconds(v, 'heartbeat-interval');
  if (s === undefined) return undefined;
  const ms = Math.round(s * 1000);
  if (ms < HEARTBEAT_RANGE_MS.min || ms > HEARTBEAT_RANGE_MS.max) {
    const allowed = `${HEARTBEAT_RANGE_MS.min / 1000} to ${HEARTBEAT_RANGE_MS.max / 1000} seconds`;
    throw new BerthError([problem('USAGE', { path: '--heartbeat-interval', value: v, allowed, message: `'${v}' is not a valid --heartbeat-interval, use ${allowed}` })]);
  }
  return livenessFor(ms);
}

/** A daemon that cannot listen is a start error (exit 2) that names the address, not a crash. */
async function listening<T>(start: () => Promise<T>, flag: string, where: { host: string; port: number }): Promise<T> {
  try {
    return await start();
  } catch (e) {
    const m = /(EADDRINUSE|EADDRNOTAVAIL|EACCES)/.exec((e as Error).message);
    if (!m) throw e;
    const why = m[1] === 'EADDRINUSE' ? 'the port is in use (another berth daemon?)' : m[1] === 'EADDRNOTAVAIL' ? 'the address is not on this host' : 'permission denied';
    throw new BerthError([problem('USAGE', { path: flag, value: `${where.host}:${where.port}`, message: `cannot listen on ${where.host}:${where.port}: ${why}` })]);
  }
}

/**
 * A daemon that cannot start exits 2, whatever stopped it (bad flags, the authkey, a state file,
 * the engine), as docs/cluster.md says; `start` returns how to run until stopped (exit 0).
 */
async function exit2AtStart(inv: Invocation, start: () => Promise<() => Promise<number>>): Promise<number> {
  let run: () => Promise<number>;
  try {
    run = await start();
  } catch (e) {
    const { EngineError } = lazy.runtimeEngine();
    if (!(e instanceof BerthError) && !(e instanceof EngineError)) throw e; // a bug: the internal-error exit
    renderProblems(e instanceof BerthError ? e.problems : [problem('ENGINE_UNREACHABLE', { message: `cannot start: ${e.message}` })], inv.io, inv.flags.json);
    return 2;
  }
  return run();
}

const logTo = (inv: Invocation) => (line: string) => inv.io.out(`${new Date().toISOString()} ${line}\n`);

/** The controllers and the authkey: flags, then BERTH_CONTROLLER / BERTH_AUTHKEY, then the client
 * config (src/cli/client-config.ts). */
export const clusterClient = (values: Record<string, string | undefined>): ClusterClient =>
  resolveClusterClient({ ...(values.controller !== undefined ? { controller: values.controller } : {}), ...(values.authkey !== undefined ? { authkey: values.authkey } : {}) }, process.env);

/** The controllers' URLs, or the error naming the three ways to give them. */
export function controllersOf(c: ClusterClient): string[] {
  if (!c.controllers) throw controllersMissing(c.file);
  return urlList(c.controllers.value, c.controllers.from === '--controller' ? '--controller' : `--controller (from ${c.controllers.from})`);
}

/** The key, or AUTHKEY_INVALID saying where its path came from when not from --authkey. */
export function authKey(c: ClusterClient): Buffer {
  const { readAuthKey } = lazy.agentAuthkey();
  try {
    return readAuthKey(c.authkey.value);
  } catch (e) {
    if (!(e instanceof BerthError) || c.authkey.from === '--authkey') throw e;
    throw new BerthError(e.problems.map((p) => ({ ...p, message: `${p.message} (the path is from ${c.authkey.from}; give another with --authkey FILE, BERTH_AUTHKEY or 'authkey' in ${c.file})` })));
  }
}

/** A daemon that started writes the client config for the commands run on its node; a failure to
 * write is a warning (the daemon runs on). */
function noteClientConfig(log: (line: string) => void, file: string, next: (current: ClientConfig | undefined) => ClientConfig): void {
  try {
    if (writeClientConfig(file, next) === 'written') log(`client config ${file} written: 'berth cluster status' on this node needs no --controller or --authkey`);
  } catch (e) {
    log(`warning: client config ${file} not written: ${e instanceof BerthError ? e.problems.map((p) => p.message).join('; ') : (e as Error).message}`);
  }
}

/** --allow, --deny and --allow-mount: what created containers may ask of this host. */
function hostPolicyOf(values: Record<string, string | undefined>): { allow: ReadonlySet<HostAccess>; mounts: string[] } {
  const list = (flag: 'allow' | 'deny'): HostAccess[] => {
    const v = values[flag];
    if (v === undefined) return [];
    const parsed = parseHostAccessList(v);
    if (!parsed.ok) throw new BerthError([problem('USAGE', { path: `--${flag}`, value: v, allowed: HOST_ACCESS.join(', '), message: `'${parsed.unknown.join(',')}' is not a kind of host access for --${flag}, use a comma list of ${HOST_ACCESS.join(', ')}` })]);
    return parsed.access;
  };
  const allow = new Set<HostAccess>([...DEFAULT_HOST_ACCESS, ...list('allow')]);
  for (const a of list('deny')) allow.delete(a);
  const mounts = (values['allow-mount'] ?? '').split(',').map((d) => d.trim()).filter(Boolean);
  for (const d of mounts) {
    if (!d.startsWith('/')) throw new BerthError([problem('USAGE', { path: '--allow-mount', value: d, allowed: 'absolute directories', message: `'${d}' is not a valid --allow-mount directory, use an absolute path` })]);
  }
  return { allow, mounts };
}

export const agentFenceGuardHelp = `Usage: berth agent-fence-guard --node NAME --state-dir DIR

Internal: 'berth agent' starts it, its stdin a pipe from the agent that names the agent's start.
When that pipe ends (the agent is gone) or on SIGTERM, it waits for the moment the agent would
have fenced itself (the lease recorded in DIR/agent-lease.json) and then kills this node's
replicas of the agent's cluster (on every engine: Docker, podman) and removes their addresses,
as the agent's self-fence does, and exits. It exits without touching anything when a newer agent
start records itself in DIR/agent-lease.json.

Flags:
  --node NAME        the agent's node name
  --state-dir DIR    the agent's state dir

Exit codes: 0 fenced, or taken over by a newer agent start; 1 the engine failed every try to
fence for 30 s.
`;

/** The engine socket DOCKER_HOST names (unix://PATH), for the agent and its guard alike. */
const dockerSocketFromEnv = (): string | undefined => (process.env.DOCKER_HOST?.startsWith('unix://') ? process.env.DOCKER_HOST.slice('unix://'.length) : undefined);

/** \`berth agent-fence-guard\`: the agent's fence guard (src/agent/fence-guard.ts). */
export const agentFenceGuardCmd: Command = async (inv) => {
  const values = valueFlags(inv, ['node', 'state-dir']);
  const { DEFAULT_STATE_DIR } = lazy.controllerNodeFiles();
  const { localEngines } = lazy.controllerDeps();
  const { ipAddressTable } = lazy.runtimeAddresses();
  const { monotonicMs } = lazy.clusterMonotonicClock();
  const socket = dockerSocketFromEnv();
  return lazy.agentFenceGuard().runFenceGuard({
    node: values.node ?? hostname(),
    stateDir: values['state-dir'] ?? process.env.BERTH_STATE_DIR ?? DEFAULT_STATE_DIR,
    engine: localEngines(socket ? { socketPath: socket } : {}),
    addresses: ipAddressTable(),
    input: process.stdin,
    log: logTo(inv),
    now: monotonicMs,
  });
};

export const agentCmd: Command = (inv) => exit2AtStart(inv, async () => {
  const values = valueFlags(inv, ['controller', 'listen', 'advertise', 'node', 'authkey', 'state-dir', 'allow', 'deny', 'allow-mount']);
  const hostPolicy = hostPolicyOf(values);
  const client = clusterClient(values);
  const controllers = controllersOf(client);
  const listen = hostPort(values.listen ?? '0.0.0.0:7440', '--listen');
  if (values.advertise) urlList(values.advertise, '--advertise');
  if (!values.advertise && (listen.host === '0.0.0.0' || listen.host === '::')) {
    throw new BerthError([problem('USAGE', { path: '--advertise', message: `--listen ${listen.host} does not say which address controllers reach this agent at: give --advertise http://ADDRESS:${listen.port}` })]);
  }
  const key = authKey(client);
  const { DEFAULT_STATE_DIR } = lazy.controllerNodeFiles();
  const { localNodeDeps } = lazy.controllerDeps();
  const { SETTLE_MS } = lazy.innerNodeExecutors();
  const { startAgent } = lazy.agentDaemon();
  const stateDir = values['state-dir'] ?? process.env.BERTH_STATE_DIR ?? DEFAULT_STATE_DIR;
  const socket = dockerSocketFromEnv();
  const log = logTo(inv);
  const node = values.node ?? hostname();
  // This node's engine (its events with the executors' changes), addresses, files and the
  // executors in its replica containers: the same as a single node's.
  const deps = localNodeDeps({ node, stateDir, ...(socket ? { socketPath: socket } : {}), settleMs: SETTLE_MS, log });
  const agent = await listening(() => startAgent({
    node,
    listen,
    ...(values.advertise ? { advertise: values.advertise.replace(/\/$/, '') } : {}),
    controllers,
    key,
    stateDir,
    engine: deps.engine,
    addresses: deps.addresses,
    files: deps.files,
    ...(deps.inner ? { inner: deps.inner } : {}),
    hostPolicy,
    log,
    ...(process.argv[1] ? { guardExec: process.argv[1] } : {}),
  }), '--listen', listen);
  noteClientConfig(log, client.file, agentClientConfig(controllers, client.authkey.value));
  return () => untilStopped(agent.done, () => { log('stopping (replicas keep running while the lease holds; then the fence guard kills them unless the agent is started again)'); void agent.stop(); });
});

/** --ui-listen: HOST:PORT, or PORT alone on the loopback address. */
function uiListenOf(v: string): { host: string; port: number } {
  return /^\d{1,5}$/.test(v) ? hostPort(`127.0.0.1:${v}`, '--ui-listen') : hostPort(v, '--ui-listen');
}

/** The first line of --ui-password-file. */
function uiPassword(file: string): string {
  const { readTextFile } = lazy.cibFile();
  const first = readTextFile(file, 'password file').split('\n')[0].trim();
  if (first.length < 8) throw new BerthError([problem('USAGE', { path: '--ui-password-file', value: file, allowed: 'a first line of at least 8 characters', message: `the password in ${file} is shorter than 8 characters` })]);
  return first;
}

export const clusterControllerCmd: Command = (inv) => exit2AtStart(inv, async () => {
  const values = valueFlags(inv, ['listen', 'advertise', 'store', 'cib', 'authkey', 'fence-command', 'interval', 'stop-timeout', 'leader-ttl', 'heartbeat-interval', 'node', 'state-dir', 'ui-listen', 'ui-password-file']);
  const heartbeat = heartbeatInterval(values['heartbeat-interval']);
  const uiListen = values['ui-listen'] !== undefined ? uiListenOf(values['ui-listen']) : undefined;
  if (!uiListen && (inv.flags['ui-actions'] || values['ui-password-file'] !== undefined)) {
    throw new BerthError([problem('USAGE', { path: inv.flags['ui-actions'] ? '--ui-actions' : '--ui-password-file', message: `${inv.flags['ui-actions'] ? '--ui-actions' : '--ui-password-file'} is about the status page: give --ui-listen [HOST:]PORT too` })]);
  }
  const password = values['ui-password-file'] !== undefined ? uiPassword(values['ui-password-file']) : undefined;
  const listen = hostPort(values.listen ?? '', '--listen');
  if (values.advertise) urlList(values.advertise, '--advertise');
  const self = values.advertise?.replace(/\/$/, '') ?? `http://${listen.host === '0.0.0.0' ? hostname() : listen.host}:${listen.port}`;
  const client = clusterClient(values);
  const key = authKey(client);
  const { openStore } = lazy.storeOpen();
  const store = openStore(values.store ?? flagString(inv.flags, 'store'));
  const { fileCibSource, storeCibSource } = lazy.controllerDeps();
  // The store is closed by the controller itself (it also holds the election there).
  const cib = values.cib ? fileCibSource(values.cib) : { ...storeCibSource(store), close: undefined };
  const { startClusterController } = lazy.clusterController();
  const log = logTo(inv);
  const interval = seconds(values.interval, 'interval');
  const stopTimeout = seconds(values['stop-timeout'], 'stop-timeout');
  const ttl = seconds(values['leader-ttl'], 'leader-ttl');
  const page = uiListen ? await listening(() => lazy.uiControllerPage().startControllerPage({
    listen: uiListen, key, actions: inv.flags['ui-actions'] === true, cib, store, self, log,
    ...(password ? { password } : {}),
  }), '--ui-listen', uiListen) : undefined;
  const c = await listening(() => startClusterController({
    store, cib, key, listen, log,
    self: { id: `${hostname()}-${process.pid}`, url: self },
    // Heartbeats in a process of their own (bin/berth controller-heartbeats): see heartbeat-service.ts.
    ...(process.argv[1] ? { heartbeatExec: process.argv[1] } : {}),
    ...(values['fence-command'] ? { fenceCommand: values['fence-command'] } : {}),
    ...(interval ? { resyncMs: interval * 1000 } : {}),
    ...(stopTimeout !== undefined ? { stopTimeoutSeconds: stopTimeout } : {}),
    ...(ttl ? { leaderTtlSeconds: Math.ceil(ttl) } : {}),
    ...(heartbeat ? { liveness: heartbeat } : {}),
    ...(page ? { pageUrl: page.url, onState: page.onState } : {}),
  }), '--listen', listen);
  page?.bind(c);
  log(`berth controller: listening on ${c.url} (agents use ${self}), CIB from ${cib.where}`);
  if (page) log(`status page on ${page.url} (${inv.flags['ui-actions'] ? 'actions enabled' : 'read-only'}; 'berth ui' prints the address with its token)`);
  noteClientConfig(log, client.file, controllerClientConfig(self, client.authkey.value));
  return () => untilStopped(c.done, () => { log('stopping (replicas keep running)'); void c.stop().then(() => page?.close()).then(() => store.close()); });
});

/** The status from the leader, or from the first controller that answers when none leads. */
async function askControllers(urls: string[], key: Buffer): Promise<{ url: string; s: ClusterStatusAnswer }> {
  const { askLeader, STATUS_TIMEOUT_MS } = lazy.clusterControllerClient();
  const { url, answer } = await askLeader<ClusterStatusAnswer>(urls, controllerPost(key), lazy.clusterControllerServer().STATUS_PATH, {}, STATUS_TIMEOUT_MS);
  return { url, s: answer };
}

/** Signed POSTs to the controllers with the cluster's authkey. */
export const controllerPost = (key: Buffer): ControllerPost => (url, path, body, timeoutMs) => lazy.agentSignedHttp().postSigned(url, path, key, body, timeoutMs, { maxAnswerBytes: lazy.clusterControllerClient().CONTROLLER_ANSWER_BYTES });

export function formatClusterStatus(url: string, s: ClusterStatusAnswer): string {
  const out = [`controller ${url}: ${s.leading ? `leading, term ${s.term}, ${s.passes} passes` : `following ${s.leader?.url ?? '(no leader yet)'}`}`];
  for (const n of s.nodes ?? []) {
    out.push(`  ${n.name.padEnd(16)} ${(n.liveness + (n.standby ? ', standby' : '')).padEnd(17)} ${n.url ?? '-'}${n.lostBy ? ` (lost by ${n.lostBy})` : ''}`);
    if (n.leaseUnrecorded) out.push(`    its agent cannot record its lease (${n.leaseUnrecorded}): it keeps its replicas, but a restart of it would stop them; make its state directory writable`);
  }
  if (!s.leading) out.push('  (node states are known by the leader: ask it)');
  if (s.leading && s.cluster) {
    const { formatBundles } = lazy.reconcileStatus();
    const c = s.cluster;
    const state = c.converged ? 'converged'
      : c.done || c.failed ? `${c.done} change${c.done === 1 ? '' : 's'} made${c.failed ? `, ${c.failed} failed` : ''} (the next pass observes the result)`
      : 'changes pending';
    out.push('', `Last pass ${c.at}: ${state}`, ...formatBundles(c.bundles), ...c.problems.map((p) => `Problem [${p.code}]: ${p.message}`));
  } else if (s.leading) out.push('', `(${s.clusterError ?? 'no pass completed yet in this term'})`);
  return out.join('\n') + '\n';
}

export const clusterStatusCmd: Command = async (inv) => {
  const values = valueFlags(inv, ['controller', 'authkey', 'interval']);
  const client = clusterClient(values);
  const urls = controllersOf(client);
  const key = authKey(client);
  if (!inv.flags.watch) {
    const { url, s } = await askControllers(urls, key);
    inv.io.out(inv.flags.json ? JSON.stringify(s) + '\n' : paintStates(formatClusterStatus(url, s), inv.io));
    return 0;
  }
  // --watch: redraw until interrupted; a controller that stops answering (a leader being
  // replaced) is shown as such, and the next round asks again.
  const interval = (seconds(values.interval, 'interval') ?? 2) * 1000;
  const stopped = new AbortController();
  const signal = stopped.signal;
  const loop = (async () => {
    while (!signal.aborted) {
      let text: string;
      try {
        const { url, s } = await askControllers(urls, key);
        text = inv.flags.json ? JSON.stringify(s) + '\n' : paintStates(formatClusterStatus(url, s), inv.io);
      } catch (e) {
        if (!(e instanceof BerthError)) throw e;
        text = inv.flags.json ? JSON.stringify({ problems: e.problems }) + '\n' : `${e.problems.map((p) => p.message).join('\n')}\n`;
      }
      inv.io.out(inv.flags.json ? text : `\x1b[H\x1b[2J${new Date().toISOString()}  (every ${interval / 1000}s; Ctrl-C to stop)\n${text}`);
      await sleep(interval, undefined, { signal }).catch(() => {});
    }
  })();
  return untilStopped(loop, () => stopped.abort());
};

/** `berth ui`: the leader's page address, with the token in its fragment. */
export const uiCmd: Command = async (inv) => {
  const values = valueFlags(inv, ['controller', 'authkey']);
  const client = clusterClient(values);
  const urls = controllersOf(client);
  const key = authKey(client);
  const { url, s } = await askControllers(urls, key);
  if (!s.ui) {
    throw new BerthError([problem('UI_NOT_SERVED', { path: '--controller', value: url, message: `${url}${s.leading ? '' : ` (it does not lead; the leader is ${s.leader?.url ?? 'not known yet'})`} serves no status page: start the controller with --ui-listen [HOST:]PORT` })]);
  }
  const address = `${s.ui}#token=${lazy.uiAuth().uiToken(key)}`;
  inv.io.out(inv.flags.json ? JSON.stringify({ url: address, controller: url, leading: s.leading }) + '\n' : `${address}\n`);
  if (!s.leading) inv.io.err(`warning: ${url} does not lead now (no leader answered): its page shows what it knows\n`);
  if (inv.flags.open) {
    const child = spawn('xdg-open', [address], { stdio: 'ignore', detached: true });
    child.on('error', () => inv.io.err('xdg-open is not available: open the address yourself\n'));
    child.unref();
  }
  return 0;
};
