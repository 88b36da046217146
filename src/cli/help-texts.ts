// Help texts, by the command's words (the tree in command-tree.ts says which command shows which).
// Plain strings, no work at load; loaded only to show help.

/** The flags of every command that edits the CIB. */
const CIB_FLAGS = `CIB flags:
  -f FILE      edit this CIB file (XML or JSON; created empty when missing); without -f, the live CIB
  --store URL  the live CIB's store (default $BERTH_STORE, else file:///var/lib/berth)
  --force      turn forceable errors into warnings, as pcs does`;
const CIB_READ_FLAGS = `CIB flags:
  -f FILE      read this CIB file (XML or JSON); without -f, the live CIB
  --store URL  the live CIB's store (default $BERTH_STORE, else file:///var/lib/berth)`;

export const EXIT = `Exit codes: 0 success, 1 the command failed (every problem is printed, nothing is written),
  2 usage error (unknown command, missing or malformed arguments).`;

export const HELP = `berth — declarative cluster resource manager for containers, speaking Pacemaker's CIB
and pcs's grammar.

Usage: berth [-f FILE] COMMAND... [--force] [--json] [--help]

CIB file editing (pcs grammar, see 'berth help resource bundle create'):
  resource bundle create|update|reset   create or change a bundle
  resource create RID AGENT ... bundle ID
                                        create a resource (inside a bundle)
  resource delete|enable|disable ID...  delete / start / stop resources
  resource config [ID...] [--output-format text|cmd|json] [--json]
                                        show resources as pcs does
  resource defaults [config] | update NAME=VALUE...
                                        meta attributes every resource inherits (stickiness, ...)
  property set|unset|config             cluster properties (maintenance-mode, ...)
  constraint location|colocation add|order|delete|remove|config
                                        placement and ordering constraints
  node add NODE [id=N] | remove NODE... | standby|unstandby [--all | NODE...]
                                        cluster nodes in the CIB
The live CIB (in the store: --store URL or $BERTH_STORE; default file:///var/lib/berth):
  cluster cib [FILE]                    pull the live CIB
  cluster cib-push FILE [diff-against=ORIG] [--config]
                                        push a CIB, or only the changes ORIG -> FILE
  (the editing commands above change the live CIB when -f is not given)
Running bundles on this node (a real Docker engine; see docs/reconciler.md):
  plan [--json]                         what would change (exit 0 converged, 1 changes pending)
  apply [--wait]                        one pass: create, start, stop, replace, remove
  status [--json] [--watch]             bundles, replicas, addresses, health, failures
  controller                            the daemon: level-triggered passes on every change
  (desired state: the live CIB, or --cib FILE; --node NAME, --state-dir DIR)
A cluster of nodes (src/cluster/README.md):
  authkey generate [FILE]               the shared key that signs controller <-> agent traffic
  agent [--controller URL,...]          on every node: serves its engine, heartbeats, self-fences
  controller --listen HOST:PORT         places replicas on the CIB's nodes, fails them over;
                                        several with --store etcd://... elect a leader
  cluster status [--controller URL,...] [--watch]
                                        leader, nodes, every replica in the cluster
  ui [--controller URL,...] [--open]    the address of the leader's live status page
                                        (controller --ui-listen; docs/ui.md)
  cluster simulate [--node-fail N] [--op-fail OP] [--show-scores]
                                        what the cluster would do, as crm_simulate shows it
GitOps (the CIB kept in git or a directory; see src/gitops/README.md):
  gitops run --source SRC [--ref REF] [--path P] [--interval 30s] [--once] [--report-only]
  gitops status [--json] | diff | suspend | resume
CIB files:
  cib validate FILE [--json]            schema and semantic checks
  cib convert FILE --to json|xml [-o OUT]
  cib diff ORIG NEW [--format xml|text] Pacemaker patch (format 2) from ORIG to NEW
  cib patch ORIG PATCH [-o OUT]         apply a patch made by 'cib diff' or crm_diff

Help and the shell:
  help [COMMAND...] | COMMAND... --help  every command and group explains itself
  completion bash|zsh                   TAB completion of commands and flags

Flags (each command lists the ones it takes in its help; any other is a usage error):
  -f FILE      work on this CIB file (XML or JSON; created empty when missing)
  --store URL  the live CIB's store: file:///DIR, DIR, or etcd://HOST:PORT[,HOST:PORT...]/PREFIX
  --force      turn forceable errors into warnings, as pcs does
  --json       machine-readable output; errors as JSON (every command)
  --color, --no-color   colour on a terminal is the default; NO_COLOR=1 turns it off too
  -h, --help   help for any command, e.g. 'berth resource bundle create --help'
  --version    print the version

${EXIT}
`;

export const TOPICS: Record<string, string> = {
  help: `Usage: berth help [COMMAND...] | berth help options | berth help --man
       berth COMMAND... --help

Help on any command or group of commands: a group lists the commands under it, a command shows
its words, flags, exit codes and examples. 'berth help options' lists the docker run options a
bundle's options="..." may hold. --man prints the manual page, berth(1), in roff.

Example:
  berth help resource bundle create
  berth resource --help

${EXIT}
`,
  'resource bundle create': `Usage: berth [-f FILE] resource bundle create ID container docker|podman OPT=V...
         [network OPT=V...] [port-map OPT=V...]... [storage-map OPT=V...]...
         [meta OPT=V...] [--disabled] [--force]

Create a bundle. Sections:
  container   image=IMAGE (required), replicas=N (default: promoted-max if > 0, else 1),
              replicas-per-host=N (default 1), promoted-max=N (default 0; 'masters' is the
              deprecated name), network=NET (docker network: host, none, NAME),
              run-command=CMD, options="DOCKER RUN OPTIONS" (checked: see 'berth help options')
  network     ip-range-start=IPv4 (replica i gets start+i), host-netmask=1..32 (default 32),
              host-interface=IF, control-port=PORT (default 3121), add-host=true|false
  port-map    id=ID, port=PORT or range=FIRST-LAST, internal-port=PORT (defaults to port)
  storage-map id=ID, source-dir=PATH or source-dir-root=PATH, target-dir=PATH (required),
              options=MOUNT_OPTIONS (rw, ro, ...)
  meta        meta attributes: target-role, is-managed, resource-stickiness, ...

Generated ids: <bundle>-port-map-<port|range>, <bundle>-storage-map, <bundle>-meta_attributes;
a taken id gets -1, -2, ... appended.
berth checks more than pcs: ip-range-start must be IPv4 and the replicas' range must not
overflow; one host port may be exposed once; storage paths must be absolute without '..'.

Example:
  berth -f cib.xml resource bundle create httpd-bundle container docker image=berth-test/httpd:1 \\
    replicas=3 network ip-range-start=127.0.1.131 host-interface=lo port-map port=80 \\
    storage-map source-dir-root=/srv/www target-dir=/var/www/html options=rw

${CIB_FLAGS}

${EXIT}
`,
  'resource bundle update': `Usage: berth [-f FILE] resource bundle update ID [container OPT=V...] [network OPT=V...]
         [port-map add OPT=V... | port-map delete|remove ID...]...
         [storage-map add OPT=V... | storage-map delete|remove ID...]... [meta OPT=V...] [--force]

Change a bundle. OPT= (empty value) removes an option. Maps are removed before new ones are added.
Example: berth -f cib.xml resource bundle update httpd-bundle container replicas=5 port-map add port=8080

${CIB_FLAGS}

${EXIT}
`,
  'resource bundle reset': `Usage: berth [-f FILE] resource bundle reset ID [container OPT=V...] [network OPT=V...]
         [port-map OPT=V...]... [storage-map OPT=V...]... [meta OPT=V...] [--disabled] [--force]

Replace a bundle's configuration: only its id, the container image and the resource inside are
kept, then the given sections are applied as in create.

${CIB_FLAGS}

${EXIT}
`,
  'resource create': `Usage: berth [-f FILE] resource create RID CLASS:PROVIDER:TYPE [OPT=V...] [op NAME OPT=V...]...
         [meta OPT=V...] [bundle BUNDLE_ID] [--disabled] [--force]

Create a resource, inside a bundle with 'bundle ID' (a bundle holds at most one). Operations not
given are taken from the agent's OCF metadata, as pcs does. An unknown agent, a missing required
or an unknown parameter is an error unless --force.
Example: berth -f cib.xml resource create httpd ocf:heartbeat:apache op monitor interval=20s bundle httpd-bundle

Flags:
  --disabled         create it stopped (target-role=Stopped)
  --no-default-ops   take only the monitor operations from the agent's metadata
  --group G, --before RID, --after RID, --agent-validation
                     pcs's; refused with a coded error (berth has no groups, and does not run
                     the agent's validate-all)

${CIB_FLAGS}

${EXIT}
`,
  'resource delete': `Usage: berth [-f FILE] resource delete|remove ID... [--force]

Delete resources. A bundle goes with the resource inside it; constraints and tag references
naming a deleted resource are removed too.

${CIB_FLAGS}

${EXIT}
`,
  'resource enable': `Usage: berth [-f FILE] resource enable ID... [--force]

Let resources run: removes meta target-role (of a bundle and the resource inside it).

${CIB_FLAGS}

${EXIT}
`,
  'resource disable': `Usage: berth [-f FILE] resource disable ID... [--force]

Stop resources: sets meta target-role=Stopped.

${CIB_FLAGS}

${EXIT}
`,
  'resource config': `Usage: berth [-f FILE] resource config [--output-format=text|cmd|json] [ID...] [--json]

Show resources as pcs 0.11.5 does: primitives, then groups, clones and bundles, each with what is
inside it. With IDs, those resources (an unknown id is an error).
  --output-format=text   pcs's text (the default)
  --output-format=cmd    the pcs commands that recreate the resources
  --output-format=json   pcs's JSON (its ListCibResourcesDto: primitives, clones, groups, bundles)
  --json                 berth's own shape, {"resources": [{"kind": ..., ...}]}; not with --output-format

Examples:
  berth -f cib.xml resource config
  berth -f cib.xml resource config --output-format=cmd httpd-bundle
  berth -f cib.xml resource config --output-format json web-group vip

${CIB_READ_FLAGS}

${EXIT}
`,
  'resource defaults': `Usage: berth [-f FILE] resource defaults [config] [--json]
       berth [-f FILE] resource defaults update NAME=VALUE... [--force]

The meta attributes every resource inherits unless it sets its own (<rsc_defaults>), as
'pcs resource defaults' writes them: the first meta_attributes set, created as
rsc_defaults-meta_attributes; NAME= removes one. Without -f, the live CIB is changed.
The values berth acts on are checked (pcs takes anything); --force takes them anyway:
  resource-stickiness   a score (integer, INFINITY, -INFINITY): a running replica's preference
                        for staying where it is (0 by default: replicas may move to rebalance)
  migration-threshold   INFINITY or a whole number: failures on a node before a replica leaves it
  failure-timeout       a duration (60s, 5min, PT1M): when failures are forgotten
  target-role           Started, Stopped, Promoted, Unpromoted
  is-managed            a boolean
  priority              an integer
'berth resource defaults NAME=VALUE...' (pcs's deprecated form) still updates them.

Example:
  berth -f cib.xml resource defaults update resource-stickiness=1
  berth -f cib.xml resource defaults

${CIB_FLAGS}

${EXIT}
`,
  property: `Usage: berth [-f FILE] property set NAME=VALUE... [--force]
       berth [-f FILE] property unset NAME...
       berth [-f FILE] property config [--all | --defaults] [--json]

Cluster properties (cib-bootstrap-options), e.g. maintenance-mode=true, stonith-enabled=false.
Names and values are checked against Pacemaker's metadata; unknown names need --force.

Flags of property config:
  --all        every property with its value, defaults included
  --defaults   the defaults only

${CIB_FLAGS}

${EXIT}
`,
  constraint: `Usage: berth [-f FILE] constraint location RID prefers|avoids NODE[=SCORE]...
       berth [-f FILE] constraint colocation add [ROLE] SRC with [ROLE] TGT [SCORE] [id=ID]
       berth [-f FILE] constraint order [ACTION] A then [ACTION] B [kind=K] [symmetrical=B] [id=ID]
       berth [-f FILE] constraint delete|remove ID...
       berth [-f FILE] constraint config [--full] [--all] [--json]

Scores are integers or INFINITY / -INFINITY (default INFINITY).
Colocation between bundles is honoured by placement (replica with replica, as Pacemaker pairs
instances; 'berth plan' shows where replicas go). A ROLE other than Started on a bundle, or a
loop of colocations, is refused (CONSTRAINT_NOT_SUPPORTED).
Order between bundles is honoured by every pass, as Pacemaker 2.1.5 orders bundles: a start of
B waits until every replica of A that is to start runs (and is healthy), stops go in reverse
(symmetrical, the default but for kind=Serialize); kind=Optional orders only what happens in the
same pass; 'berth plan' shows what waits ("start web-0 after db-0 is started"). A Mandatory
symmetrical order also stops B's running replicas before A's when A can no longer run, and
restarts them when a replica of A is recovered, moved or started (with interleave=true on B,
only B's replica on that node). ACTION is start
or stop: promote/demote, or a loop of orders, is refused (CONSTRAINT_NOT_SUPPORTED).
Examples:
  berth -f cib.xml constraint colocation add db with web INFINITY node-attribute=rack
  berth -f cib.xml constraint order start db then start web
  berth -f cib.xml constraint order db then web kind=Optional symmetrical=false

Flags of constraint config:
  --full       show the constraints' ids
  --all        pcs's: also expired rules (berth shows every rule: it has no clock here)

${CIB_FLAGS}

${EXIT}
`,
  node: `Usage: berth [-f FILE] node add NODE [id=N]
       berth [-f FILE] node remove NODE...
       berth [-f FILE] node standby|unstandby [--all | NODE...]
       berth [-f FILE] node utilization NODE NAME=VALUE...
       berth [-f FILE] node utilization [NODE] [--name NAME]

Cluster nodes listed in the CIB (<nodes>). standby/unstandby write what 'pcs node standby'
writes (instance attribute standby=on); a node in standby gets no replicas. add writes
<node id uname/> with the lowest free id; remove deletes the node and its status, as
'crm_node --remove' does (constraints naming it are kept and listed in a warning).
utilization sets a node's capacity as 'pcs node utilization' writes it (<utilization> set
nodes-ID-utilization; integer values; NAME= removes a value); with a node or none it prints the
values as pcs does. Capacity is checked when placement-strategy is utilization, balanced or minimal.

Examples:
  berth -f cib.xml node utilization node1 cpu=8 memory=16384
  berth -f cib.xml node utilization node1 memory=
  berth -f cib.xml node utilization --name cpu

Flags of node standby|unstandby:
  --all        every node of the CIB

Flags of node utilization:
  --name NAME  print only this value

${CIB_FLAGS}

${EXIT}
`,
  'resource utilization': `Usage: berth [-f FILE] resource utilization RESOURCE NAME=VALUE...
       berth [-f FILE] resource utilization [RESOURCE]

What a resource uses of a node's capacity, as 'pcs resource utilization' writes it (<utilization>
set RESOURCE-utilization; integer values; NAME= removes a value); with a resource or none, the
values as pcs prints them. RESOURCE is a primitive: give the resource inside a bundle (a bundle has
no utilization of its own; Pacemaker moves its resource's utilization to each replica's container,
and berth places replicas by it when placement-strategy is utilization, balanced or minimal).

Examples:
  berth -f cib.xml resource utilization web-app cpu=2 memory=512
  berth -f cib.xml property set placement-strategy=balanced
  berth -f cib.xml resource utilization

${CIB_FLAGS}

${EXIT}
`,
  'cib validate': `Usage: berth cib validate FILE [--json]

Check a CIB (XML or JSON): the JSON Schema (schemas/cib.schema.json), ids, bundle rules, constraint
references. Every problem at once, in file order, worded as the command line words the same fact,
each with its code, path, value and what is allowed. A valid CIB also gets a warning (NOT_HONOURED)
for each part berth keeps and writes back but does not act on: resources that are no bundle,
ticket constraints, attribute sets with rules, ACLs, alerts, fencing levels (docs/migration.md).

Examples:
  berth cib validate cib.xml
  berth cib validate cib.json --json | jq '.problems[].code'

Exit codes: 0 valid, 1 invalid or the file cannot be read (that error alone), 2 usage error.
`,
  'cib convert': `Usage: berth cib convert FILE --to json|xml [-o OUT]

Convert a CIB between XML and the JSON form (lossless both ways). Writes to stdout without -o
(-o, --output OUT: to OUT, atomically).
${EXIT}
`,
};
