// Every berth command, once: its words, a one-line summary, the flags it takes and where its code
// and help text are. The parser (argv.ts), the help (help.ts), completion and the man page all read
// this tree, so a command, a flag or a summary is declared in one place. Data only: no work at load.
import type { Command } from './invocation';
import { lazy } from './lazy';

/** A flag: takes a value (`value` names it in help: FILE, URL...) or not. */
export interface FlagSpec {
  /** the value's name in usage lines; absent: a switch (`--force`) */
  value?: string;
  /** `--wait[=N]`: the value only with `=`, never from the next word */
  optionalValue?: boolean;
  /** a one-letter form: `-f` */
  short?: string;
  /** may be given several times: the values arrive as a list (`flagList`) */
  repeat?: boolean;
}

/**
 * Every flag berth knows, by long name. One name is a switch everywhere or takes a value
 * everywhere, so words can be told from flag values before the command is known.
 */
export const FLAGS: Record<string, FlagSpec> = {
  help: { short: 'h' },
  json: {},
  color: {},
  'no-color': {},
  version: {},
  file: { value: 'FILE', short: 'f' },
  force: {},
  store: { value: 'URL' },
  all: {},
  defaults: {},
  full: {},
  disabled: {},
  'no-default-ops': {},
  'agent-validation': {},
  group: { value: 'GROUP' },
  before: { value: 'RID' },
  after: { value: 'RID' },
  'output-format': { value: 'FORMAT' },
  config: {},
  output: { value: 'OUT', short: 'o' },
  to: { value: 'FORMAT' },
  format: { value: 'FORMAT' },
  'no-version': {},
  'check-version': {},
  cib: { value: 'FILE' },
  node: { value: 'NAME' },
  'state-dir': { value: 'DIR' },
  'stop-timeout': { value: 'SECONDS' },
  timeout: { value: 'SECONDS' },
  interval: { value: 'SECONDS' },
  wait: {},
  watch: {},
  listen: { value: 'HOST:PORT' },
  advertise: { value: 'URL' },
  authkey: { value: 'FILE' },
  'fence-command': { value: 'CMD' },
  'leader-ttl': { value: 'SECONDS' },
  'heartbeat-interval': { value: 'SECONDS' },
  'ui-listen': { value: 'HOST:PORT' },
  'ui-actions': {},
  'ui-password-file': { value: 'FILE' },
  open: {},
  controller: { value: 'URLS' },
  allow: { value: 'ACCESS' },
  deny: { value: 'ACCESS' },
  'allow-mount': { value: 'DIRS' },
  source: { value: 'SRC' },
  ref: { value: 'REF' },
  path: { value: 'P' },
  name: { value: 'NAME' },
  'cache-dir': { value: 'DIR' },
  once: {},
  'report-only': {},
  'no-prune': {},
  man: {},
  'node-up': { value: 'NODE', repeat: true },
  'node-down': { value: 'NODE', repeat: true },
  'node-fail': { value: 'NODE', repeat: true },
  'op-fail': { value: 'RSC_OP_INTERVAL@NODE=RC', repeat: true },
  'set-datetime': { value: 'DATETIME' },
  'show-scores': {},
  promoted: {},
  expired: {},
};

/** Flags every command takes. */
export const GLOBAL_FLAGS = ['help', 'json', 'color', 'no-color'];

export interface CommandNode {
  /** one line, shown in the parent's list of commands */
  summary: string;
  /** the flags it takes besides GLOBAL_FLAGS */
  flags?: readonly string[];
  /** the code that runs it; absent for a group that only holds commands */
  run?: () => Command;
  /** its help text (usage, what it does, flags, exit codes, examples); a group's is generated */
  help?: () => string;
  children?: Record<string, CommandNode>;
  /** left out of lists, help and completion (internal, or another name for a listed command) */
  hidden?: boolean;
  /** flags it does not take although a user may expect them, and why (said with the usage error) */
  refuses?: Record<string, string>;
}

const edit = () => lazy.cliEditCommands();
const helpText = (key: string) => () => lazy.cliHelpTexts().TOPICS[key];

/** -f FILE, or the live CIB through --store */
const CIB_EDIT = ['file', 'store', 'force'];
const CIB_READ = ['file', 'store'];
const LOCAL = ['cib', 'store', 'node', 'state-dir'];
const GITOPS_COMMON = ['store', 'name'];
const GITOPS_SOURCE = ['source', 'ref', 'path', 'cache-dir'];

const ops = () => lazy.cliResourceOpsCommands();
const NO_FILE_LEDGER = "berth's fail counts are kept in each node's failure ledger, not in the CIB: give --controller URLS for the cluster, or the CIB this node's controller runs with as --cib FILE or --store URL";
/** failcount show, cleanup, restart: the cluster (--controller, --authkey) or this node (the rest) */
const LEDGER = ['controller', 'authkey', 'cib', 'store', 'state-dir', 'node'];
const failcountShow: CommandNode = { summary: 'show fail counts per replica and node, as pcs does', flags: [...LEDGER, 'full'], run: () => ops().resourceFailcountShowCmd, help: () => ops().resourceFailcountShowHelp, refuses: { file: NO_FILE_LEDGER } };

const resourceDelete: CommandNode = { summary: 'delete resources (a bundle with the resource inside it)', flags: CIB_EDIT, run: () => edit().resourceDeleteCmd, help: helpText('resource delete') };

export const TREE: CommandNode = {
  summary: "declarative cluster resource manager for containers, speaking Pacemaker's CIB and pcs's grammar",
  flags: ['version'],
  help: () => lazy.cliHelpTexts().HELP,
  children: {
    resource: {
      summary: 'bundles and the resources inside them, in the CIB (pcs grammar)',
      children: {
        bundle: {
          summary: 'create or change bundles',
          children: {
            create: { summary: 'create a bundle', flags: [...CIB_EDIT, 'disabled'], run: () => edit().bundleCreateCmd, help: helpText('resource bundle create') },
            update: { summary: "change a bundle's options, port and storage maps", flags: CIB_EDIT, run: () => edit().bundleUpdateCmd, help: helpText('resource bundle update') },
            reset: { summary: "replace a bundle's configuration", flags: [...CIB_EDIT, 'disabled'], run: () => edit().bundleResetCmd, help: helpText('resource bundle reset') },
          },
        },
        create: { summary: 'create a resource (inside a bundle)', flags: [...CIB_EDIT, 'disabled', 'no-default-ops', 'agent-validation', 'group', 'before', 'after'], run: () => edit().resourceCreateCmd, help: helpText('resource create') },
        delete: resourceDelete,
        remove: { ...resourceDelete, hidden: true },
        enable: { summary: 'let resources run (remove target-role)', flags: CIB_EDIT, run: () => edit().resourceEnableCmd, help: helpText('resource enable') },
        disable: { summary: 'stop resources (target-role=Stopped)', flags: CIB_EDIT, run: () => edit().resourceDisableCmd, help: helpText('resource disable') },
        config: { summary: 'show resources as pcs does', flags: [...CIB_READ, 'output-format'], run: () => edit().resourceConfigCmd, help: helpText('resource config') },
        utilization: { summary: 'set or show what a resource uses of a node (placement-strategy)', flags: CIB_EDIT, run: () => edit().resourceUtilizationCmd, help: helpText('resource utilization') },
        ban: { summary: 'keep a resource off a node (cli-ban constraint)', flags: [...CIB_EDIT, 'promoted'], run: () => ops().resourceBanCmd, help: () => ops().resourceBanHelp },
        move: { summary: 'move a resource to a node now (pcs 0.11: the constraint goes once it runs there)', flags: ['store', 'promoted'], run: () => ops().resourceMoveCmd, help: () => ops().resourceMoveHelp, refuses: { file: 'a move needs the running cluster; resource move-with-constraint writes the constraint into a file' } },
        'move-with-constraint': { summary: 'prefer a node for a resource (cli-prefer constraint)', flags: [...CIB_EDIT, 'promoted'], run: () => ops().resourceMoveWithConstraintCmd, help: () => ops().resourceMoveWithConstraintHelp },
        clear: { summary: 'remove the constraints of ban and move', flags: [...CIB_EDIT, 'expired', 'promoted'], run: () => ops().resourceClearCmd, help: () => ops().resourceClearHelp },
        cleanup: { summary: 'forget failures so replicas may run where they failed', flags: LEDGER, run: () => ops().resourceCleanupCmd, help: () => ops().resourceCleanupHelp, refuses: { file: NO_FILE_LEDGER } },
        failcount: { ...failcountShow, children: { show: failcountShow } },
        restart: { summary: "stop a bundle's replicas and start them again", flags: [...LEDGER, 'timeout'], run: () => ops().resourceRestartCmd, help: () => ops().resourceRestartHelp, refuses: { file: 'a restart needs the running cluster: give the CIB its controller runs with as --cib FILE or --store URL' } },
        defaults: {
          summary: 'meta attributes every resource inherits (rsc_defaults)',
          flags: CIB_EDIT,
          run: () => edit().defaultsCmd,
          help: helpText('resource defaults'),
          children: {
            config: { summary: 'show the resource defaults', flags: CIB_READ, run: () => edit().defaultsConfigCmd, help: helpText('resource defaults') },
            update: { summary: 'set or remove resource defaults', flags: CIB_EDIT, run: () => edit().defaultsUpdateCmd, help: helpText('resource defaults') },
          },
        },
      },
    },
    property: {
      summary: 'cluster properties (maintenance-mode, stop-all-resources, ...)',
      help: helpText('property'),
      children: {
        set: { summary: 'set cluster properties', flags: CIB_EDIT, run: () => edit().propertySetCmd, help: helpText('property') },
        unset: { summary: 'remove cluster properties', flags: CIB_EDIT, run: () => edit().propertyUnsetCmd, help: helpText('property') },
        config: { summary: 'show cluster properties', flags: [...CIB_READ, 'all', 'defaults'], run: () => edit().propertyConfigCmd, help: helpText('property') },
      },
    },
    constraint: {
      summary: 'location, colocation and order constraints',
      help: helpText('constraint'),
      children: {
        location: { summary: 'prefer or avoid nodes: RID prefers|avoids NODE[=SCORE]...', flags: CIB_EDIT, run: () => edit().constraintLocationCmd, help: helpText('constraint') },
        colocation: {
          summary: 'keep resources together or apart',
          help: helpText('constraint'),
          children: {
            add: { summary: 'add a colocation: SRC with TGT [SCORE]', flags: CIB_EDIT, run: () => edit().constraintColocationCmd, help: helpText('constraint') },
          },
        },
        order: { summary: 'order actions: [ACTION] A then [ACTION] B', flags: CIB_EDIT, run: () => edit().constraintOrderCmd, help: helpText('constraint') },
        delete: { summary: 'delete constraints by id', flags: CIB_EDIT, run: () => edit().constraintDeleteCmd, help: helpText('constraint') },
        remove: { summary: 'delete constraints by id', flags: CIB_EDIT, run: () => edit().constraintDeleteCmd, help: helpText('constraint'), hidden: true },
        config: { summary: 'show constraints as pcs does', flags: [...CIB_READ, 'full', 'all'], run: () => edit().constraintConfigCmd, help: helpText('constraint') },
      },
    },
    node: {
      summary: 'cluster nodes in the CIB',
      help: helpText('node'),
      children: {
        add: { summary: 'add a node: NODE [id=N]', flags: CIB_EDIT, run: () => edit().nodeAddCmd, help: helpText('node') },
        remove: { summary: 'remove nodes and their status', flags: CIB_EDIT, run: () => edit().nodeRemoveCmd, help: helpText('node') },
        standby: { summary: 'put nodes in standby: no replicas run there', flags: [...CIB_EDIT, 'all'], run: () => edit().nodeStandbyCmd, help: helpText('node') },
        unstandby: { summary: 'take nodes out of standby', flags: [...CIB_EDIT, 'all'], run: () => edit().nodeUnstandbyCmd, help: helpText('node') },
        utilization: { summary: "set or show a node's capacity (placement-strategy)", flags: [...CIB_EDIT, 'name'], run: () => edit().nodeUtilizationCmd, help: helpText('node') },
      },
    },
    cluster: {
      summary: 'the live CIB and the cluster',
      children: {
        cib: { summary: 'pull the live CIB into a file', flags: ['store'], run: () => lazy.cliClusterCommands().clusterCibCmd, help: () => lazy.cliClusterCommands().clusterCibHelp },
        'cib-push': { summary: 'push a CIB file, or only its changes (diff-against=ORIG)', flags: ['store', 'config', 'force'], run: () => lazy.cliClusterCommands().clusterCibPushCmd, help: () => lazy.cliClusterCommands().clusterCibPushHelp },
        simulate: { summary: 'where every replica would run after nodes or operations fail (as crm_simulate)', flags: [...CIB_READ, 'node-up', 'node-down', 'node-fail', 'op-fail', 'set-datetime', 'show-scores'], run: () => lazy.cliSimulateCommands().simulateCmd, help: () => lazy.cliSimulateCommands().simulateHelp },
        status: { summary: 'leader, nodes and every replica in the cluster', flags: ['controller', 'authkey', 'watch', 'interval'], run: () => lazy.cliClusterRuntimeCommands().clusterStatusCmd, help: () => lazy.cliClusterRuntimeCommands().clusterStatusHelp },
      },
    },
    plan: { summary: 'what apply would change on this node (exit 1: changes pending)', flags: LOCAL, run: () => lazy.cliRuntimeCommands().planCmd, help: () => lazy.cliRuntimeCommands().planHelp },
    apply: { summary: 'one reconcile pass on this node; --wait until converged', flags: [...LOCAL, 'wait', 'timeout', 'stop-timeout'], run: () => lazy.cliRuntimeCommands().applyCmd, help: () => lazy.cliRuntimeCommands().applyHelp },
    status: { summary: "this node's bundles and replicas", flags: [...LOCAL, 'watch', 'interval'], run: () => lazy.cliRuntimeCommands().statusCmd, help: () => lazy.cliRuntimeCommands().statusHelp },
    controller: {
      summary: 'the reconciler daemon (with --listen: of a cluster of agents)',
      flags: [...LOCAL, 'interval', 'stop-timeout', 'listen', 'advertise', 'authkey', 'fence-command', 'leader-ttl', 'heartbeat-interval', 'ui-listen', 'ui-actions', 'ui-password-file'],
      // With --listen it controls a cluster of agents; without, this node's engine alone.
      run: () => (inv) => (inv.flags.listen !== undefined ? lazy.cliClusterRuntimeCommands().clusterControllerCmd(inv) : lazy.cliRuntimeCommands().controllerCmd(inv)),
      help: () => `${lazy.cliRuntimeCommands().controllerHelp}\n${lazy.cliClusterRuntimeCommands().clusterControllerHelp}`,
    },
    ui: { summary: "the address of the leader's live status page (controller --ui-listen)", flags: ['controller', 'authkey', 'open'], run: () => lazy.cliClusterRuntimeCommands().uiCmd, help: () => lazy.cliClusterRuntimeCommands().uiHelp },
    // The heartbeat process that `berth controller --listen` forks.
    'controller-heartbeats': { summary: 'internal', hidden: true, run: () => () => lazy.clusterHeartbeatService().runHeartbeatProcess() },
    'agent-fence-guard': { summary: "internal: fences the node when its agent dies holding a lease", hidden: true, flags: ['node', 'state-dir'], run: () => lazy.cliClusterRuntimeCommands().agentFenceGuardCmd, help: () => lazy.cliClusterRuntimeCommands().agentFenceGuardHelp },
    agent: { summary: "on every node of a cluster: serves its engine to the controller", flags: ['controller', 'listen', 'advertise', 'node', 'authkey', 'state-dir', 'allow', 'deny', 'allow-mount'], run: () => lazy.cliClusterRuntimeCommands().agentCmd, help: () => lazy.cliClusterRuntimeCommands().agentHelp },
    authkey: {
      summary: 'the key that signs controller <-> agent traffic',
      children: {
        generate: { summary: 'write a new cluster authkey', flags: ['force'], run: () => lazy.cliAuthkeyCommands().authkeyGenerateCmd, help: () => lazy.cliAuthkeyCommands().authkeyGenerateHelp },
      },
    },
    gitops: {
      summary: 'keep the live CIB in step with a git repository or a directory',
      help: () => lazy.cliGitopsCommands().gitopsHelp,
      children: {
        run: { summary: 'sync now and every interval', flags: [...GITOPS_SOURCE, ...GITOPS_COMMON, 'interval', 'once', 'report-only', 'no-prune'], run: () => lazy.cliGitopsCommands().gitopsRunCmd, help: () => lazy.cliGitopsCommands().gitopsRunHelp },
        status: { summary: 'source and applied revision, drift, last error', flags: GITOPS_COMMON, run: () => lazy.cliGitopsCommands().gitopsStatusCmd, help: () => lazy.cliGitopsCommands().gitopsStatusHelp },
        diff: { summary: 'what a sync would change', flags: [...GITOPS_SOURCE, ...GITOPS_COMMON, 'report-only', 'no-prune'], run: () => lazy.cliGitopsCommands().gitopsDiffCmd, help: () => lazy.cliGitopsCommands().gitopsDiffHelp },
        suspend: { summary: 'stop pushing until resumed', flags: GITOPS_COMMON, run: () => lazy.cliGitopsCommands().gitopsSuspendCmd, help: () => lazy.cliGitopsCommands().gitopsSuspendHelp },
        resume: { summary: 'push again', flags: GITOPS_COMMON, run: () => lazy.cliGitopsCommands().gitopsResumeCmd, help: () => lazy.cliGitopsCommands().gitopsSuspendHelp },
      },
    },
    cib: {
      summary: 'CIB files: validate, convert, diff, patch',
      children: {
        validate: { summary: 'schema and semantic checks of a CIB file', run: () => lazy.cliCibCommands().validateCmd, help: helpText('cib validate') },
        convert: { summary: 'convert a CIB between XML and JSON', flags: ['to', 'output'], run: () => lazy.cliCibCommands().convertCmd, help: helpText('cib convert') },
        diff: { summary: 'Pacemaker patch (format 2) from ORIG to NEW', flags: ['format', 'no-version', 'output'], run: () => lazy.cliCibDiffCommands().runDiff, help: () => lazy.cliCibDiffCommands().diffHelp },
        patch: { summary: "apply a patch made by 'cib diff' or crm_diff", flags: ['output', 'check-version'], run: () => lazy.cliCibDiffCommands().runPatch, help: () => lazy.cliCibDiffCommands().patchHelp },
      },
    },
    help: { summary: "help on a command: 'berth help resource bundle create'", flags: ['man'], help: helpText('help'), run: () => lazy.cliHelp().helpCmd },
    completion: { summary: 'shell completion for bash or zsh', run: () => lazy.cliCompletion().completionCmd, help: () => lazy.cliCompletion().completionHelp },
    // What completion scripts call: the candidates for the words typed so far.
    __complete: { summary: 'internal', hidden: true, run: () => lazy.cliCompletion().completeCmd },
  },
};

/** The node the words name, as deep as they go: its path and the words after it. */
export function walk(words: readonly string[]): { node: CommandNode; path: string[]; rest: string[] } {
  let node = TREE;
  const path: string[] = [];
  let i = 0;
  for (; i < words.length; i++) {
    const next = node.children && Object.prototype.hasOwnProperty.call(node.children, words[i]) ? node.children[words[i]] : undefined;
    if (!next) break;
    node = next;
    path.push(words[i]);
  }
  return { node, path, rest: words.slice(i) };
}

/** The commands under a node, listed by their words below it, hidden ones left out. */
export function listCommands(node: CommandNode, prefix: string[] = []): { words: string[]; node: CommandNode }[] {
  const out: { words: string[]; node: CommandNode }[] = [];
  for (const [name, child] of Object.entries(node.children ?? {})) {
    if (child.hidden) continue;
    const words = [...prefix, name];
    if (child.run) out.push({ words, node: child });
    out.push(...listCommands(child, words));
  }
  return out;
}

/** The flags a command takes, global ones included. */
export function flagsOf(node: CommandNode): string[] {
  return [...GLOBAL_FLAGS, ...(node.flags ?? [])];
}
