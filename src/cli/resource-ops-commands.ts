// `resource ban / move-with-constraint / move / clear` (pcs 0.11.5's words): the CIB edits of
// src/commands/resource-move.ts, on a file (-f) or on the live CIB, with the clock read here.
// `resource failcount show / cleanup`: this node's failure ledger (src/commands/failures.ts),
// changed under the ledger's lock so that a running controller keeps the change.
import { hostname } from 'node:os';
import { parseCib } from '../cib/cib';
import { BerthError, problem } from '../errors/registry';
import type { EditCommand, EditResult } from '../commands/edit';
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

// ---- failcount show / cleanup: this node's ledger ----

interface LedgerContext {
  cib: ReturnType<typeof parseCib>;
  cluster: string;
  stateDir: string;
  /** this node's name (--node, else the host name), as the controller on it is started */
  node: string;
}

/** The CIB (for the cluster id and the resource ids) from --cib FILE or the store, and this node's state directory. */
async function ledgerContext(inv: Invocation, verb: string): Promise<LedgerContext> {
  if (inv.flags.file) {
    throw new BerthError([problem('USAGE', {
      path: '-f', value: String(inv.flags.file),
      message: `Specified option '-f' is not supported in this command: berth's failures are not in the CIB but in each node's failure ledger; give the CIB the controller runs with as --cib FILE or --store URL (resource ${verb})`,
    })]);
  }
  const { fileCibSource, storeCibSource } = lazy.controllerDeps();
  const { DEFAULT_STATE_DIR } = lazy.controllerNodeFiles();
  const cibFile = flagString(inv.flags, 'cib');
  const source = cibFile ? fileCibSource(cibFile) : storeCibSource(lazy.storeOpen().openStore(flagString(inv.flags, 'store')));
  try {
    const text = await source.read();
    return {
      cib: parseCib(text, source.where),
      cluster: await source.clusterId(),
      stateDir: flagString(inv.flags, 'state-dir') ?? process.env.BERTH_STATE_DIR ?? DEFAULT_STATE_DIR,
      node: flagString(inv.flags, 'node') ?? hostname(),
    };
  } finally {
    await source.close?.();
  }
}

/** A node other than this one: berth reads this node's ledger only (each node keeps its own). */
function elsewhere(inv: Invocation, ctx: LedgerContext, node: string | undefined): boolean {
  if (node === undefined || node === ctx.node) return false;
  inv.io.err(`Note: this is node '${ctx.node}'; each node keeps its own failure ledger: run this on '${node}' (or give --node ${node} where the controller runs as ${node})\n`);
  return true;
}

export const resourceFailcountShowCmd: Command = async (inv) => {
  const { parseFailureWords, replicaFilter, failCounts, failcountText } = lazy.commandsFailures();
  const req = parseFailureWords(inv.args, undefined);
  const ctx = await ledgerContext(inv, 'failcount show');
  const filter = req.resource !== undefined ? replicaFilter(ctx.cib, req.resource) : undefined;
  const other = elsewhere(inv, ctx, req.node);
  const ledger = other ? {} : lazy.controllerNodeFiles().readLedgerOf(ctx.stateDir, ctx.cluster);
  // A resource that is no bundle's has no failures berth counts: pcs says "No failcounts" too.
  const counts = req.resource !== undefined && !filter ? [] : failCounts([{ node: ctx.node, ledger }], filter, req.node);
  if (inv.flags.json) inv.io.out(JSON.stringify({ cluster: ctx.cluster, node: ctx.node, failcounts: counts }, null, 2) + '\n');
  else inv.io.out(failcountText(counts, req, inv.flags.full === true));
  return 0;
};

export const resourceCleanupCmd: Command = async (inv) => {
  const { parseFailureWords, requireReplicaFilter, cleanupLedger } = lazy.commandsFailures();
  const req = parseFailureWords(inv.args, undefined);
  const ctx = await ledgerContext(inv, 'cleanup');
  const filter = req.resource !== undefined ? requireReplicaFilter(ctx.cib, req.resource) : undefined;
  if (elsewhere(inv, ctx, req.node)) return 0;
  const lines = lazy.controllerNodeFiles().updateLedgerFile(ctx.stateDir, ctx.cluster, (ledger) => {
    const r = cleanupLedger({ node: ctx.node, ledger }, filter);
    return { ledger: r.ledger, result: r.lines, changed: r.changed };
  });
  if (inv.flags.json) inv.io.out(JSON.stringify({ cluster: ctx.cluster, node: ctx.node, cleaned: lines.map((l) => l.replace(/^Cleaned up (\S+) on .*$/, '$1')) }, null, 2) + '\n');
  else if (lines.length) inv.io.err(lines.join('\n') + '\nA controller on this node (berth controller) passes again within a second and may place these replicas here again.\n');
  else inv.io.err(`No failures to clean up${req.resource !== undefined ? ` for resource '${req.resource}'` : ''} on node '${ctx.node}'\n`);
  return 0;
};

const LEDGER_FLAGS = `  --cib FILE | --store URL   the CIB the controller on this node runs with (it names the cluster
                             whose ledger this is; default: the store, $BERTH_STORE)
  --state-dir DIR            berth's files on this node (default $BERTH_STATE_DIR, else /var/lib/berth/node)
  --node NAME                this node's name, as its controller was started (default: the host name)
  --json                     print data`;

export const resourceFailcountShowHelp = `Usage: berth resource failcount show [RESOURCE] [node=NODE] [--full] [--cib FILE | --store URL]
                                     [--state-dir DIR] [--node NAME] [--json]

Show the fail counts of this node's failure ledger as pcs 0.11.5 prints them: per replica
(BUNDLE-N, as 'berth status' names them) and node. RESOURCE is a bundle (all its replicas), the
resource inside one, or a replica. Each node keeps its own ledger: run it on the node you ask about.
A replica whose count reaches migration-threshold is kept off the node until failure-timeout
passes or 'resource cleanup' clears it.

  --full                     also the time of the last failure (pcs: per operation; berth counts
                             container failures, it has no operations)
${LEDGER_FLAGS}

Examples:
  berth resource failcount show --cib /etc/berth/cib.xml
  berth resource failcount show web --full
`;

export const resourceCleanupHelp = `Usage: berth resource cleanup [RESOURCE] [node=NODE] [--cib FILE | --store URL] [--state-dir DIR]
                              [--node NAME] [--json]

Forget the failures of RESOURCE's replicas (a bundle, the resource inside one, or a replica
BUNDLE-N; all replicas without RESOURCE) on this node, as pcs's cleanup does: replicas kept off
the node by migration-threshold may be placed there again (the controller on the node notices the
change within a second; a cluster controller at its next pass). The
ledger is changed under its lock and a running controller keeps the change. In a cluster each node
keeps its own ledger (written by its agent): run this on each node concerned, with the agent's
--state-dir.
${LEDGER_FLAGS}

Examples:
  berth resource cleanup web --cib /etc/berth/cib.xml
  berth resource cleanup --store etcd://10.0.0.1:2379/berth --state-dir /var/lib/berth/node
`;

// ---- restart: through the CIB, waiting on this node's engine ----

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
  const { fileCibSource, storeCibSource, localNodeDeps, singleNodePassDeps } = lazy.controllerDeps();
  const { DEFAULT_STATE_DIR } = lazy.controllerNodeFiles();
  const { restartBundle, passObserver } = lazy.controllerRestart();
  const node = flagString(inv.flags, 'node') ?? hostname();
  const cibFile = flagString(inv.flags, 'cib');
  const store = cibFile ? undefined : lazy.storeOpen().openStore(flagString(inv.flags, 'store'));
  const source = cibFile ? fileCibSource(cibFile) : storeCibSource(store!);
  const pass = singleNodePassDeps({ node, deps: localNodeDeps({ node, stateDir: flagString(inv.flags, 'state-dir') ?? process.env.BERTH_STATE_DIR ?? DEFAULT_STATE_DIR }), cib: source });
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
        const others = lazy.modelNodes().readNodes(cib).map((n) => n.name).filter((n) => n !== node);
        if (others.length) {
          throw new BerthError([problem('CLUSTER_MODE_UNSUPPORTED', {
            path: 'nodes', value: others.join(', '),
            message: `the CIB has other nodes (${others.join(', ')}): resource restart waits on this node's engine only so far, and cannot see replicas there; use 'resource disable', wait for 'berth cluster status', then 'resource enable'`,
          })]);
        }
        return cib;
      },
      edit,
      observe: passObserver(pass),
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

export const resourceRestartHelp = `Usage: berth resource restart BUNDLE [--cib FILE | --store URL] [--node NAME] [--state-dir DIR]
                              [--timeout SECONDS] [--json]

Restart every replica of BUNDLE as crm_resource --restart (which pcs 0.11.5 runs) does it, through
the CIB: set target-role=Stopped, wait until the controller has stopped every replica, put the
bundle's meta attributes back exactly as they were, wait until as many replicas run as before.
Needs the running controller on this node (refused with -f). If the replicas do not stop within
the timeout, the target-role it set is undone (the CIB is as before) and it exits 1 (WAIT_TIMEOUT).
A target-role someone else changes meanwhile is left as they set it. So far single-node only: with
other nodes in the CIB it is refused (CLUSTER_MODE_UNSUPPORTED).

  --cib FILE | --store URL   the CIB the controller runs with (default: the store, $BERTH_STORE)
  --node NAME                this node's name, as its controller was started (default: the host name)
  --state-dir DIR            berth's files on this node (default $BERTH_STATE_DIR, else /var/lib/berth/node)
  --timeout SECONDS          for the stop and the start together (default 300)
  --json                     print the report as data

Examples:
  berth resource restart web --cib /etc/berth/cib.xml
  berth resource restart web --store etcd://127.0.0.1:2379/berth --timeout 60
`;
