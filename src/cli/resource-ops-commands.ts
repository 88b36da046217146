// `resource ban / move-with-constraint / move / clear` (pcs 0.11.5's words): the CIB edits of
// src/commands/resource-move.ts, on a file (-f) or on the live CIB, with the clock read here.
// `resource failcount show / cleanup`: this node's failure ledger (src/commands/failures.ts),
// changed under the ledger's lock so that a running controller keeps the change.
import { hostname } from 'node:os';
import { parseCib } from '../cib/cib';
import { BerthError, problem } from '../errors/registry';
import type { EditCommand, EditResult } from '../commands/edit';
import type { CleanupAnswer, FailcountsAnswer, LedgerNode, UnreachedNode } from '../controller/failures';
import { Command, Invocation, editFlags, flagString } from './invocation';
import { lazy } from './lazy';

/** The flags these commands read beyond the edit flags every command has. */
const withOpsFlags = (inv: Invocation, edit: EditCommand): EditCommand => (ctx) =>
  edit({ ...ctx, flags: { ...ctx.flags, promoted: inv.flags.promoted === true, expired: inv.flags.expired === true } });

/** With -f the file; without it the live CIB through the store. */
function runOnCib(inv: Invocation, edit: EditCommand): number | Promise<number> {
  const e = withOpsFlags(inv, edit);
  return inv.flags.file ? lazy.cliEditCommands().runEdit(inv, e) : lazy.cliClusterCommands().runEditLive(inv, e);
}

export const resourceBanCmd: Command = (inv) => runOnCib(inv, lazy.commandsResourceMove().resourceBanAt(Date.now()));
export const resourceMoveWithConstraintCmd: Command = (inv) => runOnCib(inv, lazy.commandsResourceMove().resourceMoveWithConstraintAt(Date.now()));
export const resourceClearCmd: Command = (inv) => runOnCib(inv, lazy.commandsResourceMove().resourceClearAt(Date.now()));

/** pcs 0.11's `resource move` needs the live cluster: it waits for the move, then removes its constraint. */
export const resourceMoveCmd: Command = (inv) => {
  if (inv.flags.file) {
    throw new BerthError([problem('USAGE', {
      path: '-f', value: String(inv.flags.file),
      message: "Specified option '-f' is not supported in this command: 'resource move' waits for the cluster to move the resource and then removes its constraint; 'resource move-with-constraint' writes the constraint alone",
    })]);
  }
  const promoted = inv.flags.promoted === true;
  return lazy.cliClusterCommands().runReadLive(inv, ({ cib, args }) => {
    lazy.commandsResourceMove().resourceMoveChecks(cib, args, promoted);
    return '';
  });
};

export const resourceBanHelp = `Usage: berth [-f FILE] resource ban RSC NODE [lifetime=LIFETIME] [--promoted]

Keep RSC off NODE: writes the location constraint cli-ban-RSC-on-NODE with score -INFINITY
(role Started, or Promoted with --promoted), as pcs 0.11.5 / crm_resource do. With a lifetime
(an ISO 8601 duration: PT1H, P1D, P2W, P1Y2M; a leading number gets a P: 1D is P1D) the
constraint is a rule that ends at now + LIFETIME; the controller places the replicas again then.
NODE is required: berth does not look up where RSC runs. RSC is a bundle; the resource inside a
bundle, a primitive, group or clone is accepted as pcs does, with a warning that it moves nothing
berth runs. Remove the constraint with 'resource clear'.

  --promoted   only the Promoted role (RSC must be a promotable clone)
  -f FILE      edit this CIB file (XML or JSON); without -f, the live CIB
  --store URL  the live CIB's store (default $BERTH_STORE, else file:///var/lib/berth)
  --force      turn forceable errors into warnings, as pcs does

Examples:
  berth resource ban web n2
  berth -f cib.xml resource ban web n2 lifetime=PT30M
`;

export const resourceMoveWithConstraintHelp = `Usage: berth [-f FILE] resource move-with-constraint RSC NODE [lifetime=LIFETIME] [--promoted]

Prefer NODE for RSC: writes cli-prefer-RSC with score INFINITY (the earlier cli-prefer-RSC and
a cli-ban-RSC-on-NODE go), as pcs 0.11.5 does. As in pcs, a bundle or a clone cannot be moved
(ban it from nodes instead); the constraint stays until 'resource clear' or its lifetime ends.

  --promoted   only the Promoted role (RSC must be a promotable clone)
  -f FILE      edit this CIB file (XML or JSON); without -f, the live CIB
  --store URL  the live CIB's store (default $BERTH_STORE, else file:///var/lib/berth)
  --force      turn forceable errors into warnings, as pcs does

Examples:
  berth -f cib.xml resource move-with-constraint R1 n1
  berth -f cib.xml resource move-with-constraint R1 n1 lifetime=P1D
`;

export const resourceMoveHelp = `Usage: berth resource move RSC [NODE] [--promoted] [--store URL]

pcs 0.11's move: needs the live cluster (refused with -f, as pcs does). As in pcs, bundles and
clones cannot be moved; berth runs nothing else, so berth checks RSC as pcs does and refuses.
Use 'resource ban BUNDLE NODE' to move a bundle's replicas off a node, or
'resource move-with-constraint' to write a preference without waiting.

Example:
  berth resource ban web n1      # the replicas on n1 move elsewhere
`;

export const resourceClearHelp = `Usage: berth [-f FILE] resource clear RSC [NODE] [--expired] [--promoted]

Remove the constraints ban and move-with-constraint made for RSC (cli-ban-RSC-on-NODE,
cli-prefer-RSC), on NODE or on every node of the CIB, as crm_resource --clear does: a ban on a
node that is not in the CIB stays (remove it with 'constraint delete ID').

  --expired    only constraints whose lifetime has ended
  --promoted   RSC must be a promotable clone (pcs's check; both roles are cleared)
  -f FILE      edit this CIB file (XML or JSON); without -f, the live CIB
  --store URL  the live CIB's store (default $BERTH_STORE, else file:///var/lib/berth)
  --force      turn forceable errors into warnings, as pcs does

Examples:
  berth resource clear web
  berth -f cib.xml resource clear web n2
  berth resource clear web --expired
`;

// ---- failcount show / cleanup: this node's ledger, or every node's through the leader ----

/**
 * Where failcount show, cleanup and restart act: this node, or the cluster through its leading
 * controller. The cluster with --controller; this node with --cib, --store, --state-dir or --node;
 * otherwise the cluster when a controller is configured (BERTH_CONTROLLER, the client config),
 * else this node (as before clusters existed).
 */
type Target = { mode: 'node' } | { mode: 'cluster'; urls: string[]; key: Buffer };

const NODE_FLAGS = ['cib', 'store', 'state-dir', 'node'];

function targetOf(inv: Invocation, verb: string, clusterTakes: readonly string[]): Target {
  const given = (f: string) => inv.flags[f] !== undefined && inv.flags[f] !== false;
  const rt = lazy.cliClusterRuntimeCommands();
  const cluster = (): Target => {
    const client = rt.clusterClient({ controller: flagString(inv.flags, 'controller'), authkey: flagString(inv.flags, 'authkey') });
    return { mode: 'cluster', urls: rt.controllersOf(client), key: rt.authKey(client) };
  };
  if (given('controller')) {
    const wrong = NODE_FLAGS.filter((f) => given(f) && !clusterTakes.includes(f));
    if (wrong.length) {
      throw new BerthError([problem('USAGE', {
        path: `--${wrong[0]}`, value: String(inv.flags[wrong[0]]), allowed: clusterTakes.length ? clusterTakes.map((f) => `--${f}`).join(', ') : 'none of --cib, --store, --state-dir, --node',
        message: `--${wrong.join(', --')} cannot be used with --controller: with it, resource ${verb} works on the whole cluster through the leading controller, which reaches every node through its agent; --${wrong[0]} is for this node alone (without --controller)`,
      })]);
    }
    return cluster();
  }
  if (NODE_FLAGS.some(given)) return { mode: 'node' };
  const configured = rt.clusterClient({});
  return configured.controllers ? cluster() : { mode: 'node' };
}

/** -f names a CIB file: berth's failures are not in the CIB. */
function refuseFile(inv: Invocation, verb: string): void {
  if (inv.flags.file) {
    throw new BerthError([problem('USAGE', {
      path: '-f', value: String(inv.flags.file),
      message: `Specified option '-f' is not supported in this command: berth's failures are not in the CIB but in each node's failure ledger; give the CIB the controller runs with as --cib FILE or --store URL, or --controller URL for the cluster (resource ${verb})`,
    })]);
  }
}

interface LedgerContext {
  cib: ReturnType<typeof parseCib>;
  cluster: string;
  /** this node's name (--node, else the host name), as the controller on it is started */
  node: string;
  /** this node's ledger */
  ledgers: LedgerNode[];
}

/** The CIB (for the cluster id and the resource ids) from --cib FILE or the store, and this node's ledger. */
async function ledgerContext(inv: Invocation): Promise<LedgerContext> {
  const { fileCibSource, storeCibSource } = lazy.controllerDeps();
  const { DEFAULT_STATE_DIR, nodeFiles } = lazy.controllerNodeFiles();
  const cibFile = flagString(inv.flags, 'cib');
  const source = cibFile ? fileCibSource(cibFile) : storeCibSource(lazy.storeOpen().openStore(flagString(inv.flags, 'store')));
  try {
    const text = await source.read();
    const node = flagString(inv.flags, 'node') ?? hostname();
    const stateDir = flagString(inv.flags, 'state-dir') ?? process.env.BERTH_STATE_DIR ?? DEFAULT_STATE_DIR;
    return { cib: parseCib(text, source.where), cluster: await source.clusterId(), node, ledgers: [{ name: node, files: nodeFiles(stateDir) }] };
  } finally {
    await source.close?.();
  }
}

/** A node other than this one: berth reads this node's ledger only (each node keeps its own). */
function elsewhere(inv: Invocation, ctx: LedgerContext, node: string | undefined): boolean {
  if (node === undefined || node === ctx.node) return false;
  inv.io.err(`Note: this is node '${ctx.node}'; each node keeps its own failure ledger: run this on '${node}' (or give --node ${node} where the controller runs as ${node}), or ask the cluster with --controller URL\n`);
  return true;
}

/** Nodes whose ledgers could not be reached: the command fails after saying what it did elsewhere. */
function failIfUnreached(unreachable: readonly UnreachedNode[], verb: string): void {
  if (unreachable.length) throw new BerthError([lazy.controllerFailures().unreachedProblem(unreachable, verb)]);
}

/** How long a cluster request may take: the leader reads (and writes) every node's ledger. */
const clusterCallMs = () => lazy.clusterHeartbeatService().CALL_TIMEOUT_MS + 5000;

export const resourceFailcountShowCmd: Command = async (inv) => {
  const { parseFailureWords, failcountText } = lazy.commandsFailures();
  refuseFile(inv, 'failcount show');
  const req = parseFailureWords(inv.args, undefined);
  const target = targetOf(inv, 'failcount show', []);
  if (target.mode === 'cluster') {
    const { askTheLeader } = lazy.clusterControllerClient();
    const { url, cluster, result } = await askTheLeader<FailcountsAnswer>(target.urls, lazy.cliClusterRuntimeCommands().controllerPost(target.key), lazy.clusterControllerServer().FAILCOUNTS_PATH, req, clusterCallMs());
    if (inv.flags.json) inv.io.out(JSON.stringify({ cluster, controller: url, failcounts: result.failcounts, unreachable: result.unreachable }, null, 2) + '\n');
    else inv.io.out(failcountText(result.failcounts, req, inv.flags.full === true));
    failIfUnreached(result.unreachable, 'resource failcount show');
    return 0;
  }
  const ctx = await ledgerContext(inv);
  elsewhere(inv, ctx, req.node);
  const { failcounts } = await lazy.controllerFailures().readFailcounts(ctx.cib, ctx.cluster, ctx.ledgers, req);
  if (inv.flags.json) inv.io.out(JSON.stringify({ cluster: ctx.cluster, node: ctx.node, failcounts }, null, 2) + '\n');
  else inv.io.out(failcountText(failcounts, req, inv.flags.full === true));
  return 0;
};

export const resourceCleanupCmd: Command = async (inv) => {
  const { parseFailureWords, requireReplicaFilter } = lazy.commandsFailures();
  refuseFile(inv, 'cleanup');
  const req = parseFailureWords(inv.args, undefined);
  const target = targetOf(inv, 'cleanup', []);
  const nothing = (where: string) => `No failures to clean up${req.resource !== undefined ? ` for resource '${req.resource}'` : ''} ${where}\n`;
  if (target.mode === 'cluster') {
    const { askTheLeader } = lazy.clusterControllerClient();
    const { url, cluster, result } = await askTheLeader<CleanupAnswer>(target.urls, lazy.cliClusterRuntimeCommands().controllerPost(target.key), lazy.clusterControllerServer().CLEANUP_PATH, req, clusterCallMs());
    if (inv.flags.json) inv.io.out(JSON.stringify({ cluster, controller: url, cleaned: result.cleaned, unreachable: result.unreachable }, null, 2) + '\n');
    else if (result.lines.length) inv.io.err(result.lines.join('\n') + `\nThe leading controller (${url}) passes again now and may place these replicas there again.\n`);
    else inv.io.err(nothing(req.node !== undefined ? `on node '${req.node}'` : 'in the cluster'));
    failIfUnreached(result.unreachable, 'resource cleanup');
    return 0;
  }
  const ctx = await ledgerContext(inv);
  if (req.resource !== undefined) requireReplicaFilter(ctx.cib, req.resource);
  if (elsewhere(inv, ctx, req.node)) return 0;
  const r = await lazy.controllerFailures().cleanupFailures(ctx.cib, ctx.cluster, ctx.ledgers, req);
  if (inv.flags.json) inv.io.out(JSON.stringify({ cluster: ctx.cluster, node: ctx.node, cleaned: r.cleaned.flatMap((c) => c.replicas) }, null, 2) + '\n');
  else if (r.lines.length) inv.io.err(r.lines.join('\n') + '\nA controller on this node (berth controller) passes again within a second and may place these replicas here again.\n');
  else inv.io.err(nothing(`on node '${ctx.node}'`));
  failIfUnreached(r.unreachable, 'resource cleanup');
  return 0;
};

const LEDGER_FLAGS = `The cluster (every node's ledger, through the leading controller and the nodes' agents):
  --controller URLS          the controllers, comma-separated; the leader is asked (default
                             $BERTH_CONTROLLER, else the client config: $BERTH_CONFIG, else
                             /etc/berth/client.json, which 'berth agent' writes on its node)
  --authkey FILE             the cluster authkey (default $BERTH_AUTHKEY, else the client config's,
                             else /etc/berth/authkey)
This node (its own ledger only):
  --cib FILE | --store URL   the CIB the controller on this node runs with (it names the cluster
                             whose ledger this is; default: the store, $BERTH_STORE)
  --state-dir DIR            berth's files on this node (default $BERTH_STATE_DIR, else /var/lib/berth/node)
  --node NAME                this node's name, as its controller was started (default: the host name)
  --json                     print data

Which one: the cluster with --controller; this node with --cib, --store, --state-dir or --node
(not with --controller); with none of them, the cluster when a controller is configured
($BERTH_CONTROLLER or the client config), else this node.`;

export const resourceFailcountShowHelp = `Usage: berth resource failcount show [RESOURCE] [node=NODE] [--full] [--controller URLS] [--authkey FILE]
                                     [--cib FILE | --store URL] [--state-dir DIR] [--node NAME] [--json]

Show the fail counts of the failure ledgers as pcs 0.11.5 prints them: per replica (BUNDLE-N, as
'berth status' names them) and node. RESOURCE is a bundle (all its replicas), the resource inside
one, or a replica; node=NODE only that node's. On a cluster the leading controller reads every
node's ledger through its agent; a node it cannot reach (lost, not heard from) is named after the
counts and the command exits 1 (AGENT_UNREACHABLE). On this node alone, only its own ledger.
A replica whose count reaches migration-threshold is kept off the node until failure-timeout
passes or 'resource cleanup' clears it.

  --full                     also the time of the last failure (pcs: per operation; berth counts
                             container failures, it has no operations)
${LEDGER_FLAGS}

Examples:
  berth resource failcount show                      on a node of a cluster: every node's counts
  berth resource failcount show web node=n2 --controller http://10.0.0.1:7441
  berth resource failcount show web --full --cib /etc/berth/cib.xml     this node only
`;

export const resourceCleanupHelp = `Usage: berth resource cleanup [RESOURCE] [node=NODE] [--controller URLS] [--authkey FILE]
                              [--cib FILE | --store URL] [--state-dir DIR] [--node NAME] [--json]

Forget the failures of RESOURCE's replicas (a bundle, the resource inside one, or a replica
BUNDLE-N; all replicas without RESOURCE), on node=NODE or on every node, as pcs's cleanup does:
replicas kept off a node by migration-threshold may be placed there again. On a cluster the
leading controller changes every node's ledger through its agent and passes again at once; a node
it cannot reach (lost, not heard from) is named and the command exits 1 (AGENT_UNREACHABLE) after
cleaning the others. On this node alone, its own ledger, changed under its lock: the controller on
the node notices within a second. Either way a controller writing the ledger meanwhile keeps the
cleanup. An unknown RESOURCE (on the cluster also an unknown node=NODE) is refused and nothing
changes.

${LEDGER_FLAGS}

Examples:
  berth resource cleanup web                         on a node of a cluster: every node
  berth resource cleanup web-1 node=n2 --controller http://10.0.0.1:7441,http://10.0.0.2:7441
  berth resource cleanup web --cib /etc/berth/cib.xml --state-dir /var/lib/berth/node   this node only
`;

// ---- restart: through the CIB, waiting on this node's engine or on the leader's status ----

function timeoutMs(inv: Invocation): number {
  const v = flagString(inv.flags, 'timeout');
  if (v === undefined) return 300_000;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new BerthError([problem('USAGE', { path: '--timeout', value: v, allowed: 'a number of seconds', message: `'${v}' is not a valid --timeout, use a number of seconds` })]);
  return n * 1000;
}

export const resourceRestartCmd: Command = async (inv) => {
  if (inv.flags.file) {
    throw new BerthError([problem('USAGE', {
      path: '-f', value: String(inv.flags.file),
      message: "Specified option '-f' is not supported in this command: a restart needs the running cluster (a controller running with --cib FILE: give --cib FILE)",
    })]);
  }
  const limit = timeoutMs(inv);
  const target = targetOf(inv, 'restart', ['cib', 'store']);
  const { fileCibSource, storeCibSource, localNodeDeps, singleNodePassDeps } = lazy.controllerDeps();
  const { DEFAULT_STATE_DIR } = lazy.controllerNodeFiles();
  const { restartBundle, passObserver } = lazy.controllerRestart();
  const node = flagString(inv.flags, 'node') ?? hostname();
  const cibFile = flagString(inv.flags, 'cib');
  const store = cibFile ? undefined : lazy.storeOpen().openStore(flagString(inv.flags, 'store'));
  const source = cibFile ? fileCibSource(cibFile) : storeCibSource(store!);
  // The one difference between a node and a cluster: where "the replicas running now" come from.
  const observe = target.mode === 'cluster'
    ? lazy.clusterControllerClient().leaderObserver(target.urls, lazy.cliClusterRuntimeCommands().controllerPost(target.key), lazy.clusterControllerServer().STATUS_PATH)
    : passObserver(singleNodePassDeps({ node, deps: localNodeDeps({ node, stateDir: flagString(inv.flags, 'state-dir') ?? process.env.BERTH_STATE_DIR ?? DEFAULT_STATE_DIR, provider: false }), cib: source }));
  const edit = async (e: EditCommand) => {
    let result: EditResult = { warnings: [] };
    const keep: EditCommand = (ctx) => (result = e(ctx));
    if (cibFile) lazy.cliEditCommands().runEdit({ ...inv, args: [], flags: { ...inv.flags, file: cibFile } }, keep);
    else await lazy.commandsClusterCib().editLive(store!, keep, [], editFlags(inv.flags));
    return result;
  };
  try {
    const r = await restartBundle({
      read: async () => {
        const cib = parseCib(await source.read(), source.where);
        if (target.mode === 'cluster') return cib;
        const others = lazy.modelNodes().readNodes(cib).map((n) => n.name).filter((n) => n !== node);
        if (others.length) {
          throw new BerthError([problem('CLUSTER_MODE_UNSUPPORTED', {
            path: 'nodes', value: others.join(', '),
            message: `the CIB has other nodes (${others.join(', ')}): on this node alone (--cib, --store, --state-dir or --node without --controller) resource restart waits on this node's engine and cannot see replicas there; ask the cluster: give --controller URL (or run it where the client config names the controllers)`,
          })]);
        }
        return cib;
      },
      edit,
      observe,
      now: () => Date.now(),
      sleep: (ms) => new Promise((res) => setTimeout(res, ms)),
      log: (line) => { if (!inv.flags.json) inv.io.err(line + '\n'); },
    }, inv.args, { timeoutMs: limit, pollMs: 500 });
    if (inv.flags.json) inv.io.out(JSON.stringify(r) + '\n');
    else inv.io.out(`${r.bundle} restarted: ${r.running} replica${r.running === 1 ? '' : 's'} stopped after ${(r.stoppedAfterMs / 1000).toFixed(1)} s, running again after ${(r.startedAfterMs / 1000).toFixed(1)} s\n`);
    return 0;
  } finally {
    await source.close?.();
  }
};

export const resourceRestartHelp = `Usage: berth resource restart BUNDLE [--controller URLS] [--authkey FILE] [--cib FILE | --store URL]
                              [--node NAME] [--state-dir DIR] [--timeout SECONDS] [--json]

Restart every replica of BUNDLE as crm_resource --restart (which pcs 0.11.5 runs) does it, through
the CIB: set target-role=Stopped, wait until the controller has stopped every replica, put the
bundle's meta attributes back exactly as they were, wait until as many replicas run as before.
Needs the running controller (refused with -f). If the replicas do not stop within the timeout,
the target-role it set is undone (the CIB is as before) and it exits 1 (WAIT_TIMEOUT). A
target-role someone else changes meanwhile is left as they set it.

On a cluster it edits the live CIB (the store, or --cib FILE when the controllers run with one)
and waits on the leading controller's status ('berth cluster status'): stopped when no replica's
container runs on any node and every node can be observed; a leader hand-over is waited out. On
this node alone it waits on this node's engine, and a CIB with other nodes is refused
(CLUSTER_MODE_UNSUPPORTED).

The cluster:
  --controller URLS          the controllers, comma-separated; the leader is asked (default
                             $BERTH_CONTROLLER, else the client config: $BERTH_CONFIG, else
                             /etc/berth/client.json)
  --authkey FILE             the cluster authkey (default $BERTH_AUTHKEY, else the client config's,
                             else /etc/berth/authkey)
  --cib FILE | --store URL   the CIB the controllers run with (default: the store, $BERTH_STORE)
This node alone:
  --cib FILE | --store URL   the CIB the controller on this node runs with
  --node NAME                this node's name, as its controller was started (default: the host name)
  --state-dir DIR            berth's files on this node (default $BERTH_STATE_DIR, else /var/lib/berth/node)
Both:
  --timeout SECONDS          for the stop and the start together (default 300)
  --json                     print the report as data

Which one: the cluster with --controller (--node and --state-dir are then refused); this node
with --cib, --store, --state-dir or --node; with none of them, the cluster when a controller is
configured ($BERTH_CONTROLLER or the client config), else this node.

Examples:
  berth resource restart web                          on a node of a cluster (the client config)
  BERTH_STORE=etcd://10.0.0.1:2379/berth berth resource restart web --controller http://10.0.0.1:7441
  berth resource restart web --cib /etc/berth/cib.xml --timeout 60      this node alone
`;
