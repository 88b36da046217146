// Every module the command line loads late, in one place. berth is one esbuild bundle
// (dist/berth.js); esbuild wraps a module that is require()d, rather than imported, in a lazy
// initialiser, so its top-level code, and the packages it needs (dockerode, ajv, etcd's client, the
// controller), run only when a getter here is first called. A command thus pays only for what it
// uses: `berth --version` loads nothing but src/cli/main.ts and what it imports, and
// `berth -f FILE property set` no engine, store, schema or controller. Importing this file costs
// nothing: it has no imports.
//
// Rules: in src/cli, load a module late only through a getter here (typed by the module itself),
// never with a require() of its own; a module stays late only while nothing on the start-up path
// imports it statically. Getters are named after the module's path: store/open -> storeOpen.
// Below src/cli nothing imports this file (it names every layer, so importing it would make any
// module depend on all of berth); a package an adapter loads on first use is required there, once,
// with a comment: dockerode (runtime/engine.ts), ajv (cib/schema.ts), fast-xml-parser on the error
// path (cib/xml.ts) and the etcd client (store/open.ts).

export const lazy = {
  /** `berth --version` */
  packageJson: () => require('../../package.json') as typeof import('../../package.json'),

  // ---- the command line: one module per group of commands (routes in cli/main.ts) ----
  cliAuthkeyCommands: () => require('./authkey-commands') as typeof import('./authkey-commands'),
  cliCibCommands: () => require('./cib-commands') as typeof import('./cib-commands'),
  cliCibDiffCommands: () => require('./cib-diff-commands') as typeof import('./cib-diff-commands'),
  cliClusterCommands: () => require('./cluster-commands') as typeof import('./cluster-commands'),
  cliClusterRuntimeCommands: () => require('./cluster-runtime-commands') as typeof import('./cluster-runtime-commands'),
  cliHelp: () => require('./help') as typeof import('./help'),
  cliHelpTexts: () => require('./help-texts') as typeof import('./help-texts'),
  cliManPage: () => require('./man-page') as typeof import('./man-page'),
  cliCompletion: () => require('./completion') as typeof import('./completion'),
  cliSimulateCommands: () => require('./simulate-commands') as typeof import('./simulate-commands'),
  controllerSimulate: () => require('../controller/simulate') as typeof import('../controller/simulate'),
  cliEditCommands: () => require('./edit-commands') as typeof import('./edit-commands'),
  cliGitopsCommands: () => require('./gitops-commands') as typeof import('./gitops-commands'),
  cliRuntimeCommands: () => require('./runtime-commands') as typeof import('./runtime-commands'),
  cliWaitProgress: () => require('./wait-progress') as typeof import('./wait-progress'),
  cliResourceOpsCommands: () => require('./resource-ops-commands') as typeof import('./resource-ops-commands'),

  // ---- library commands ----
  commandsBundle: () => require('../commands/bundle') as typeof import('../commands/bundle'),
  commandsClusterCib: () => require('../commands/cluster-cib') as typeof import('../commands/cluster-cib'),
  commandsConstraint: () => require('../commands/constraint') as typeof import('../commands/constraint'),
  commandsNode: () => require('../commands/node') as typeof import('../commands/node'),
  commandsUtilization: () => require('../commands/utilization') as typeof import('../commands/utilization'),
  commandsProperty: () => require('../commands/property') as typeof import('../commands/property'),
  commandsResource: () => require('../commands/resource') as typeof import('../commands/resource'),
  commandsFailures: () => require('../commands/failures') as typeof import('../commands/failures'),
  commandsResourceMove: () => require('../commands/resource-move') as typeof import('../commands/resource-move'),
  commandsResourceConfig: () => require('../commands/resource-config') as typeof import('../commands/resource-config'),
  commandsResourceCreate: () => require('../commands/resource-create') as typeof import('../commands/resource-create'),
  commandsRscDefaults: () => require('../commands/rsc-defaults') as typeof import('../commands/rsc-defaults'),

  // ---- gitops ----
  gitopsDaemon: () => require('../gitops/daemon') as typeof import('../gitops/daemon'),
  gitopsDrift: () => require('../gitops/drift') as typeof import('../gitops/drift'),
  gitopsSource: () => require('../gitops/source') as typeof import('../gitops/source'),
  gitopsState: () => require('../gitops/state') as typeof import('../gitops/state'),
  gitopsSync: () => require('../gitops/sync') as typeof import('../gitops/sync'),

  // ---- cluster, controller, agent ----
  clusterController: () => require('../cluster/cluster-controller') as typeof import('../cluster/cluster-controller'),
  clusterControllerServer: () => require('../cluster/controller-server') as typeof import('../cluster/controller-server'),
  uiControllerPage: () => require('../ui/controller-page') as typeof import('../ui/controller-page'),
  uiAuth: () => require('../ui/auth') as typeof import('../ui/auth'),
  clusterControllerClient: () => require('../cluster/controller-client') as typeof import('../cluster/controller-client'),
  clusterHeartbeatService: () => require('../cluster/heartbeat-service') as typeof import('../cluster/heartbeat-service'),
  agentSignedHttp: () => require('../agent/signed-http') as typeof import('../agent/signed-http'),
  controllerDeps: () => require('../controller/deps') as typeof import('../controller/deps'),
  controllerEngineWrites: () => require('../controller/engine-writes') as typeof import('../controller/engine-writes'),
  controllerNodeFiles: () => require('../controller/node-files') as typeof import('../controller/node-files'),
  innerOpenPools: () => require('../inner/open-pools') as typeof import('../inner/open-pools'),
  innerNodeExecutors: () => require('../inner/node-executors') as typeof import('../inner/node-executors'),
  agentAuthkey: () => require('../agent/authkey') as typeof import('../agent/authkey'),
  agentDaemon: () => require('../agent/daemon') as typeof import('../agent/daemon'),
  agentFenceGuard: () => require('../agent/fence-guard') as typeof import('../agent/fence-guard'),
  clusterMonotonicClock: () => require('../cluster/monotonic-clock') as typeof import('../cluster/monotonic-clock'),
  reconcileStatus: () => require('../reconcile/status') as typeof import('../reconcile/status'),
  controllerLoop: () => require('../controller/loop') as typeof import('../controller/loop'),
  controllerFailures: () => require('../controller/failures') as typeof import('../controller/failures'),
  controllerRestart: () => require('../controller/restart') as typeof import('../controller/restart'),
  modelNodes: () => require('../model/nodes') as typeof import('../model/nodes'),
  controllerPass: () => require('../controller/pass') as typeof import('../controller/pass'),
  controllerDaemon: () => require('../controller/daemon') as typeof import('../controller/daemon'),
  reconcilePlan: () => require('../reconcile/plan') as typeof import('../reconcile/plan'),
  reconcileSummary: () => require('../reconcile/summary') as typeof import('../reconcile/summary'),
  reconcileProgress: () => require('../reconcile/progress') as typeof import('../reconcile/progress'),

  // ---- the CIB, its store, the engine ----
  cib: () => require('../cib/cib') as typeof import('../cib/cib'),
  validateCib: () => require('../validate/cib-check') as typeof import('../validate/cib-check'),
  commandsCibValidate: () => require('../commands/cib-validate') as typeof import('../commands/cib-validate'),
  cibFile: () => require('../cib/cib-file') as typeof import('../cib/cib-file'),
  modelModel: () => require('../model/model') as typeof import('../model/model'),
  schedulerPlacement: () => require('../scheduler/placement') as typeof import('../scheduler/placement'),
  storeOpen: () => require('../store/open') as typeof import('../store/open'),
  runtimeDockerOptions: () => require('../runtime/docker-options') as typeof import('../runtime/docker-options'),
  runtimeEngine: () => require('../runtime/engine') as typeof import('../runtime/engine'),
  runtimeAddresses: () => require('../runtime/addresses') as typeof import('../runtime/addresses'),
};
