#!/usr/bin/env node
// Golden placement fixtures made by the REAL Pacemaker scheduler, and pcs node-edit fixtures.
//
//     node scripts/crm-simulate-fixtures.mjs            # all cases
//     node scripts/crm-simulate-fixtures.mjs standby    # only cases whose name contains a filter
//
// Needs, on PATH: crm_simulate and cibadmin (Debian pacemaker-cli-utils 2.1.5) and pcs 0.11.5.
//
// Placement cases (test/fixtures/crm_simulate/<NN-name>/):
//   1. the configuration is built from `cibadmin --empty` plus <node id uname/> entries (what
//      Pacemaker's controller writes when members join) and stonith-enabled=false, then edited
//      with the real `pcs -f` (bundle create, constraints, defaults, node standby, ...);
//   2. <status> is written here: a node_state per node (online: in_ccm/crmd online, joined;
//      offline: cleanly down) and, for replicas that "run", a successful start of
//      `<bundle>-docker-<i>` (and of its `<bundle>-ip-<address>`) on their node. The ops carry no
//      op-digest, so Pacemaker also restarts them ("due to resource definition change"): that
//      does not change where they run;
//   3. the real crm_simulate runs on it (stderr must be empty), `--set-datetime T` when the case
//      has a clock: `--simulate` as crm_simulate.txt (for people), `--simulate --output-as=xml` as
//      crm_simulate.xml (what the test reads: node states, where each replica runs before and
//      after), and `--run --show-scores` as scores.txt (why).
// test/scheduler/crm-simulate.ts reads both and compares berth's placement with Pacemaker's.
// Order cases (80 upwards) also save the transition graph (`--run --save-graph` as graph.xml):
// test/scheduler/crm-simulate-order.ts compares the order of container starts and stops.
//
// pcs node cases (test/fixtures/crm_simulate/pcs-node/<NN-name>/): input.xml, the argv of
// `pcs -f FILE node ...`, its exit code and stderr, and expected.xml (the file afterwards).
// test/scheduler/multi-node.ts runs berth's nodeStandby/nodeUnstandby on the same input.
//
// Deterministic: nothing depends on the clock or on the temp path.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENV, baseCib as emptyCib, ipv4Add, pcsOn, recordedTools, tempDir, toolRunner } from './crm-simulate-cib.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.resolve(HERE, '..', 'test', 'fixtures', 'crm_simulate');
const filters = process.argv.slice(2);
const run = toolRunner('crm-simulate-fixtures');
const TOOLS = recordedTools('crm-simulate-fixtures', run, ['crm_simulate']);
const tmp = tempDir('berth-crm-simulate-');

// ---- building a CIB ----

const baseCib = (nodes) => emptyCib(run, nodes);
const pcs = (file, argv) => pcsOn(run, file, argv);

const op = (rsc, node) =>
  `<lrm_rsc_op id="${rsc}_last_0" operation_key="${rsc}_start_0" operation="start" crm-debug-origin="berth-fixture" crm_feature_set="3.16.1" transition-key="1:0:0:00000000-0000-0000-0000-000000000000" transition-magic="0:0;1:0:0:00000000-0000-0000-0000-000000000000" exit-reason="" on_node="${node}" call-id="1" rc-code="0" op-status="0" interval="0" last-rc-change="1700000000" exec-time="0" queue-time="0"/>`;

function statusXml(xml, c) {
  const names = Object.keys(c.nodes);
  const starts = new Map(); // bundle id -> ip-range-start
  for (const m of xml.matchAll(/<bundle id="([^"]+)">[\s\S]*?<\/bundle>/g)) {
    const ip = /ip-range-start="([^"]+)"/.exec(m[0]);
    if (ip) starts.set(m[1], ip[1]);
  }
  const states = names.map((n, i) => {
    const id = i + 1;
    const online = c.nodes[n] !== 'offline';
    const attrs = online ? 'in_ccm="true" crmd="online" join="member" expected="member"' : 'in_ccm="false" crmd="offline" join="down" expected="down"';
    const inner = [];
    const transient = c.transient?.[n];
    if (transient) {
      const pairs = Object.entries(transient).map(([k, v]) => `          <nvpair id="status-${id}-${k}" name="${k}" value="${v}"/>`).join('\n');
      inner.push(`      <transient_attributes id="${id}">\n        <instance_attributes id="status-${id}">\n${pairs}\n        </instance_attributes>\n      </transient_attributes>`);
    }
    const here = Object.entries(c.running ?? {}).filter(([, node]) => node === n).map(([replica]) => replica);
    if (here.length) {
      const rscs = [];
      for (const replica of here) {
        const m = /^(.*)-(\d+)$/.exec(replica);
        const [bundle, index] = [m[1], Number(m[2])];
        const start = starts.get(bundle);
        if (start) {
          const ip = `${bundle}-ip-${ipv4Add(start, index)}`;
          rscs.push(`          <lrm_resource id="${ip}" class="ocf" provider="heartbeat" type="IPaddr2">\n            ${op(ip, n)}\n          </lrm_resource>`);
        }
        const docker = `${bundle}-docker-${index}`;
        rscs.push(`          <lrm_resource id="${docker}" class="ocf" provider="heartbeat" type="docker">\n            ${op(docker, n)}\n          </lrm_resource>`);
      }
      inner.push(`      <lrm id="${id}">\n        <lrm_resources>\n${rscs.join('\n')}\n        </lrm_resources>\n      </lrm>`);
    }
    const open = `    <node_state id="${id}" uname="${n}" ${attrs} crm-debug-origin="berth-fixture"`;
    return inner.length ? `${open}>\n${inner.join('\n')}\n    </node_state>` : `${open}/>`;
  });
  return xml.replace(/<status\/>|<status>[\s\S]*<\/status>/, `<status>\n${states.join('\n')}\n  </status>`);
}

// ---- the placement cases ----

const N3 = { node1: 'online', node2: 'online', node3: 'online' };
const N4 = { ...N3, node4: 'online' };
const DB_IP = '192.168.122.151';
const CACHE_IP = '192.168.122.171';
const API_IP = '192.168.122.191';
const bundle = (id, replicas, perHost, { ip = '192.168.122.131', network = [], extra = [] } = {}) => [
  'resource', 'bundle', 'create', id, 'container', 'docker', `image=registry.example.com/${id}:1`, `replicas=${replicas}`, `replicas-per-host=${perHost}`,
  'network', `ip-range-start=${ip}`, ...network, 'port-map', 'port=80', ...extra,
];

const strategy = (name) => [['property', 'set', `placement-strategy=${name}`]];
const capacity = (nodes, ...values) => Object.keys(nodes).map((n) => ['node', 'utilization', n, ...values]);
/** the bundle's inner primitive (ocf:heartbeat:Dummy) with utilization: Pacemaker moves it to each container */
const inner = (bundleId, ...values) => [['resource', 'create', `${bundleId}-app`, 'ocf:heartbeat:Dummy', 'bundle', bundleId], ['resource', 'utilization', `${bundleId}-app`, ...values]];

const CASES = [
  { name: 'spread-three-nodes', description: 'three replicas, one per host, over three nodes', nodes: N3, pcs: [bundle('web', 3, 1)] },
  { name: 'spread-six-per-host-two', description: 'six replicas, two per host: two on each node, round robin', nodes: N3, pcs: [bundle('web', 6, 2)] },
  { name: 'per-host-two-uneven', description: 'four replicas, two per host on three nodes: the fourth goes to the node first by name', nodes: N3, pcs: [bundle('web', 4, 2)] },
  { name: 'more-replicas-than-capacity', description: 'five replicas, one per host, three nodes: two cannot be placed', nodes: N3, pcs: [bundle('web', 5, 1)] },
  { name: 'standby-node', description: 'node2 in standby (pcs node standby): it gets nothing', nodes: N3, pcs: [bundle('web', 3, 2), ['node', 'standby', 'node2']] },
  { name: 'offline-node', description: 'node3 offline: one replica per host leaves one replica unplaced', nodes: { ...N3, node3: 'offline' }, pcs: [bundle('web', 3, 1)] },
  { name: 'standby-moves-running', description: 'replicas run on all three nodes; node2 goes to standby: its replica moves to the least loaded node', nodes: N3, pcs: [bundle('web', 3, 2), ['node', 'standby', 'node2']], running: { 'web-0': 'node1', 'web-1': 'node2', 'web-2': 'node3' } },
  { name: 'node-returns-no-stickiness', description: 'node3 was down so node1 ran two replicas; node3 is back and stickiness is 0: one replica moves to it (rebalance)', nodes: N3, pcs: [bundle('web', 3, 2)], running: { 'web-0': 'node1', 'web-1': 'node2', 'web-2': 'node1' } },
  { name: 'node-returns-sticky-bundle', description: 'as node-returns-no-stickiness with resource-stickiness=100 on the bundle: nothing moves', nodes: N3, pcs: [bundle('web', 3, 2, { extra: ['meta', 'resource-stickiness=100'] })], running: { 'web-0': 'node1', 'web-1': 'node2', 'web-2': 'node1' } },
  { name: 'node-returns-sticky-defaults', description: 'as node-returns-no-stickiness with rsc_defaults resource-stickiness=1: nothing moves', nodes: N3, pcs: [bundle('web', 3, 2), ['resource', 'defaults', 'update', 'resource-stickiness=1']], running: { 'web-0': 'node1', 'web-1': 'node2', 'web-2': 'node1' } },
  { name: 'prefers', description: 'prefers node3=50: the first replica goes there, the next by load then name', nodes: N3, pcs: [bundle('web', 2, 1), ['constraint', 'location', 'web', 'prefers', 'node3=50']] },
  { name: 'prefers-infinity-two-per-host', description: 'prefers node2 (INFINITY), two per host: node2 fills up first', nodes: N3, pcs: [bundle('web', 3, 2), ['constraint', 'location', 'web', 'prefers', 'node2']] },
  { name: 'avoids-infinity', description: 'avoids node1 (-INFINITY): never used, one replica unplaced', nodes: N3, pcs: [bundle('web', 3, 1), ['constraint', 'location', 'web', 'avoids', 'node1']] },
  { name: 'avoids-finite', description: 'avoids node2=100 (score -100): a negative score also keeps replicas off the node', nodes: N3, pcs: [bundle('web', 3, 1), ['constraint', 'location', 'web', 'avoids', 'node2=100']] },
  { name: 'ban-moves-running', description: 'a replica runs on node3, then avoids node3 (-INFINITY): it moves', nodes: N3, pcs: [bundle('web', 3, 2), ['constraint', 'location', 'web', 'avoids', 'node3']], running: { 'web-0': 'node1', 'web-1': 'node2', 'web-2': 'node3' } },
  { name: 'stickiness-beats-weaker-prefers', description: 'stickiness 100 against prefers node3=50: running replicas stay', nodes: N3, pcs: [bundle('web', 2, 1, { extra: ['meta', 'resource-stickiness=100'] }), ['constraint', 'location', 'web', 'prefers', 'node3=50']], running: { 'web-0': 'node1', 'web-1': 'node2' } },
  { name: 'stronger-prefers-beats-stickiness', description: 'stickiness 100 against prefers node3=200: one replica moves to node3', nodes: N3, pcs: [bundle('web', 2, 1, { extra: ['meta', 'resource-stickiness=100'] }), ['constraint', 'location', 'web', 'prefers', 'node3=200']], running: { 'web-0': 'node1', 'web-1': 'node2' } },
  { name: 'stopped-bundle', description: 'target-role=Stopped (pcs resource disable): running replicas stop, none is placed', nodes: N3, pcs: [bundle('web', 3, 1), ['resource', 'disable', 'web']], running: { 'web-0': 'node1', 'web-1': 'node2' } },
  { name: 'two-bundles-share-load', description: 'two bundles: the second starts on the nodes the first left empty', nodes: N3, pcs: [bundle('web', 2, 1), bundle('db', 2, 1, { ip: '192.168.122.151' })] },
  { name: 'bundle-with-resource', description: 'a bundle with a resource inside (ip-range-start and control-port, as Pacemaker requires) and a standby node', nodes: N3, pcs: [bundle('web', 3, 1, { network: ['control-port=3121'] }), ['resource', 'create', 'web-httpd', 'ocf:heartbeat:apache', 'bundle', 'web'], ['node', 'standby', 'node1']] },
  { name: 'asymmetric-cluster', description: 'symmetric-cluster=false: only nodes a constraint enables can run replicas', nodes: N3, pcs: [bundle('web', 3, 1), ['property', 'set', 'symmetric-cluster=false'], ['constraint', 'location', 'web', 'prefers', 'node2=10', 'node3=20']] },
  { name: 'transient-standby', description: 'node3 standby as a transient attribute in <status> (crm_standby -l reboot) overrides the permanent standby=off', nodes: N3, pcs: [bundle('web', 3, 2), ['node', 'attribute', 'node3', 'standby=off']], transient: { node3: { standby: 'on' } } },
  { name: 'running-high-index-over-capacity', description: 'four replicas, one per host, three nodes; replica 3 runs: it keeps its place and replica 2 is the one left out', nodes: N3, pcs: [bundle('web', 4, 1)], running: { 'web-3': 'node2' } },
  { name: 'rule-uname', description: 'a location rule: score=500 where #uname eq node3', nodes: N3, pcs: [bundle('web', 2, 1), ['constraint', 'location', 'web', 'rule', 'score=500', '#uname', 'eq', 'node3']] },
  { name: 'rule-date', description: 'a rule banning node1 after a date; crm_simulate runs at 2025-06-01 12:00 UTC', nodes: N3, pcs: [bundle('web', 3, 1), ['constraint', 'location', 'web', 'rule', 'score=-INFINITY', '#uname', 'eq', 'node1', 'and', 'date', 'gt', '2025-01-01']], now: '2025-06-01 12:00:00Z' },
  { name: 'rule-date-not-yet', description: 'rule-date at 2024-06-01: the rule does not apply yet', nodes: N3, pcs: [bundle('web', 3, 1), ['constraint', 'location', 'web', 'rule', 'score=-INFINITY', '#uname', 'eq', 'node1', 'and', 'date', 'gt', '2025-01-01']], now: '2024-06-01 12:00:00Z' },
  { name: 'all-nodes-down-but-one-standby', description: 'node1 offline, node2 offline, node3 standby: nothing can run', nodes: { node1: 'offline', node2: 'offline', node3: 'online' }, pcs: [bundle('web', 2, 1), ['node', 'standby', 'node3']] },
  { name: 'failover-keeps-survivors', description: 'node2 fails (offline): its replica restarts on the least loaded survivor, the others stay put', nodes: { node1: 'online', node2: 'offline', node3: 'online', node4: 'online' }, pcs: [bundle('web', 3, 2)], running: { 'web-0': 'node1', 'web-1': 'node2', 'web-2': 'node3' } },
  {
    name: 'mixed-bundles-load',
    description: 'bundles with and without ip-range-start: Pacemaker counts a replica with an address as two resources when it balances, berth as one replica',
    nodes: N3,
    pcs: [
      bundle('app', 1, 1),
      ['resource', 'bundle', 'create', 'cache', 'container', 'docker', 'image=registry.example.com/cache:1', 'replicas=1'],
      ['resource', 'bundle', 'create', 'web', 'container', 'docker', 'image=registry.example.com/web:1', 'replicas=2'],
    ],
  },
  { name: 'priority-first', description: 'db has priority=10: it is placed before web although web comes first in the CIB', nodes: N3, pcs: [bundle('web', 2, 1), bundle('db', 2, 1, { ip: '192.168.122.151', extra: ['meta', 'priority=10'] })] },
  { name: 'unmanaged-stays', description: 'is-managed=false (pcs resource unmanage): replicas stay where they run, even on a standby node, and nothing starts', nodes: N3, pcs: [bundle('web', 3, 1), ['resource', 'unmanage', 'web'], ['node', 'standby', 'node2']], running: { 'web-0': 'node1', 'web-1': 'node2' } },
  { name: 'swap-without-stickiness', description: 'stickiness 0, prefers node2 (INFINITY), three per host: web-0 runs on node1 and node2 holds three; Pacemaker moves web-0 to node2 and web-3 to node1, a swap for nothing', nodes: N3, pcs: [bundle('web', 4, 3), ['constraint', 'location', 'web', 'prefers', 'node2']], running: { 'web-0': 'node1', 'web-1': 'node2', 'web-2': 'node2', 'web-3': 'node2' } },
  { name: 'stickiness-against-avoids', description: 'avoids node2=50 (score -50) with stickiness 100: the replica running on node2 still moves (no instance runs where its bundle scores below 0) and goes first', nodes: N3, pcs: [bundle('web', 3, 1, { extra: ['meta', 'resource-stickiness=100'] }), ['constraint', 'location', 'web', 'avoids', 'node2=50']], running: { 'web-1': 'node2' } },
  // Colocation between bundles (pcmk__bundle_apply_coloc_score: replicas with replicas).
  { name: 'colocation-infinity', description: 'db with web INFINITY: each db replica goes where a web replica runs', nodes: N4, pcs: [bundle('web', 2, 1), bundle('db', 2, 1, { ip: DB_IP }), ['constraint', 'colocation', 'add', 'db', 'with', 'web', 'INFINITY']] },
  { name: 'colocation-infinity-more-dependents', description: 'db (3 replicas) with web (2) INFINITY, one per host: the third db replica has no web replica to pair with', nodes: N4, pcs: [bundle('web', 2, 1), bundle('db', 3, 1, { ip: DB_IP }), ['constraint', 'colocation', 'add', 'db', 'with', 'web', 'INFINITY']] },
  { name: 'colocation-minus-infinity', description: 'db with web -INFINITY on four nodes: db replicas avoid the web replicas', nodes: N4, pcs: [bundle('web', 2, 1), bundle('db', 2, 1, { ip: DB_IP }), ['constraint', 'colocation', 'add', 'db', 'with', 'web', '-INFINITY']] },
  { name: 'colocation-minus-infinity-crowded', description: 'db with web -INFINITY, three nodes, two web replicas: each db replica avoids only the web replica it is paired with', nodes: N3, pcs: [bundle('web', 2, 1), bundle('db', 2, 1, { ip: DB_IP }), ['constraint', 'colocation', 'add', 'db', 'with', 'web', '-INFINITY']] },
  { name: 'colocation-soft-positive', description: 'db with web 50 beats db prefers node3=20', nodes: N3, pcs: [bundle('web', 1, 1), bundle('db', 1, 1, { ip: DB_IP }), ['constraint', 'colocation', 'add', 'db', 'with', 'web', '50'], ['constraint', 'location', 'db', 'prefers', 'node3=20']] },
  { name: 'colocation-soft-weaker-than-location', description: 'db with web 50 loses to db prefers node3=100', nodes: N3, pcs: [bundle('web', 1, 1), bundle('db', 1, 1, { ip: DB_IP }), ['constraint', 'colocation', 'add', 'db', 'with', 'web', '50'], ['constraint', 'location', 'db', 'prefers', 'node3=100']] },
  { name: 'colocation-soft-negative', description: 'db with web -50 against db prefers node1=30: db keeps off the web node', nodes: N3, pcs: [bundle('web', 1, 1), bundle('db', 1, 1, { ip: DB_IP }), ['constraint', 'location', 'web', 'prefers', 'node1=10'], ['constraint', 'colocation', 'add', 'db', 'with', 'web', '-50'], ['constraint', 'location', 'db', 'prefers', 'node1=30']] },
  { name: 'colocation-chain', description: 'cache with db with web, INFINITY: all three follow web, whose replica prefers node3', nodes: N3, pcs: [bundle('web', 1, 1), bundle('db', 1, 1, { ip: DB_IP }), bundle('cache', 1, 1, { ip: CACHE_IP }), ['constraint', 'colocation', 'add', 'cache', 'with', 'db', 'INFINITY'], ['constraint', 'colocation', 'add', 'db', 'with', 'web', 'INFINITY'], ['constraint', 'location', 'web', 'prefers', 'node3=10']] },
  { name: 'colocation-dependent-pulls-primary', description: 'db with web INFINITY and db prefers node3=100: web (one replica, fewer than nodes) is placed where db wants to be', nodes: N3, pcs: [bundle('web', 1, 1), bundle('db', 1, 1, { ip: DB_IP }), ['constraint', 'colocation', 'add', 'db', 'with', 'web', 'INFINITY'], ['constraint', 'location', 'db', 'prefers', 'node3=100']] },
  { name: 'colocation-dependent-bans-primary', description: 'db with web INFINITY and db avoids node1: web keeps off node1 too', nodes: N3, pcs: [bundle('web', 2, 1), bundle('db', 2, 1, { ip: DB_IP }), ['constraint', 'colocation', 'add', 'db', 'with', 'web', 'INFINITY'], ['constraint', 'location', 'db', 'avoids', 'node1']] },
  { name: 'colocation-dependent-no-pull-when-everywhere', description: 'db with web 100, db prefers node3=50, web has a replica per node: db does not pull web (every node gets one)', nodes: N3, pcs: [bundle('web', 3, 1), bundle('db', 1, 1, { ip: DB_IP }), ['constraint', 'location', 'web', 'prefers', 'node1=10'], ['constraint', 'colocation', 'add', 'db', 'with', 'web', '100'], ['constraint', 'location', 'db', 'prefers', 'node2=50']] },
  { name: 'colocation-per-host-two', description: 'db (2 per host) with web (4 replicas, 2 per host) INFINITY on three nodes', nodes: N3, pcs: [bundle('web', 4, 2), bundle('db', 4, 2, { ip: DB_IP }), ['constraint', 'colocation', 'add', 'db', 'with', 'web', 'INFINITY']] },
  { name: 'colocation-fewer-dependents', description: 'db (1 replica) with web (3) INFINITY: db goes to a web node', nodes: N4, pcs: [bundle('web', 3, 1), bundle('db', 1, 1, { ip: DB_IP }), ['constraint', 'colocation', 'add', 'db', 'with', 'web', 'INFINITY'], ['constraint', 'location', 'db', 'prefers', 'node4=100']] },
  { name: 'colocation-standby', description: 'db with web INFINITY, node2 in standby', nodes: N4, pcs: [bundle('web', 2, 1), bundle('db', 2, 1, { ip: DB_IP }), ['constraint', 'colocation', 'add', 'db', 'with', 'web', 'INFINITY'], ['node', 'standby', 'node2']] },
  { name: 'colocation-failover', description: 'db with web INFINITY; node2 fails: web-1 moves and db-1 follows it', nodes: { ...N4, node2: 'offline' }, pcs: [bundle('web', 2, 1), bundle('db', 2, 1, { ip: DB_IP }), ['constraint', 'colocation', 'add', 'db', 'with', 'web', 'INFINITY']], running: { 'web-0': 'node1', 'web-1': 'node2', 'db-0': 'node1', 'db-1': 'node2' } },
  { name: 'colocation-stickiness', description: 'db with web 100, db stickiness 200 on node2 (counted twice: the address is sticky too): db stays away from web', nodes: N3, pcs: [bundle('web', 1, 1), bundle('db', 1, 1, { ip: DB_IP, extra: ['meta', 'resource-stickiness=200'] }), ['constraint', 'colocation', 'add', 'db', 'with', 'web', '100']], running: { 'web-0': 'node1', 'db-0': 'node2' } },
  { name: 'colocation-stickiness-loses', description: 'db with web 500, db stickiness 200 on node2 (400 with the address\'s): db moves to web', nodes: N3, pcs: [bundle('web', 1, 1), bundle('db', 1, 1, { ip: DB_IP, extra: ['meta', 'resource-stickiness=200'] }), ['constraint', 'colocation', 'add', 'db', 'with', 'web', '500']], running: { 'web-0': 'node1', 'db-0': 'node2' } },
  { name: 'colocation-node-attribute', description: 'db with web INFINITY node-attribute=rack: db replicas go to nodes in a rack that holds a web replica', nodes: N4, pcs: [bundle('web', 1, 1), bundle('db', 2, 1, { ip: DB_IP }), ['node', 'attribute', 'node1', 'rack=r1'], ['node', 'attribute', 'node2', 'rack=r2'], ['node', 'attribute', 'node3', 'rack=r1'], ['node', 'attribute', 'node4', 'rack=r2'], ['constraint', 'location', 'web', 'prefers', 'node2=10'], ['constraint', 'colocation', 'add', 'db', 'with', 'web', 'INFINITY', 'node-attribute=rack']] },
  { name: 'colocation-set', description: 'a colocation set (web db cache), sequential: db with web, cache with db', nodes: N3, pcs: [bundle('web', 1, 1), bundle('db', 1, 1, { ip: DB_IP }), bundle('cache', 1, 1, { ip: CACHE_IP }), ['constraint', 'location', 'web', 'prefers', 'node2=10'], ['constraint', 'colocation', 'set', 'web', 'db', 'cache', 'setoptions', 'score=INFINITY']] },
  { name: 'colocation-set-negative', description: 'a colocation set with -INFINITY: no two of web, db, cache together', nodes: N3, pcs: [bundle('web', 1, 1), bundle('db', 1, 1, { ip: DB_IP }), bundle('cache', 1, 1, { ip: CACHE_IP }), ['constraint', 'colocation', 'set', 'web', 'db', 'cache', 'setoptions', 'score=-INFINITY']] },
  { name: 'colocation-two-sets', description: 'two non-sequential sets: each of db and cache with each of web and api (INFINITY)', nodes: N4, pcs: [bundle('web', 1, 1), bundle('api', 1, 1, { ip: API_IP }), bundle('db', 1, 1, { ip: DB_IP }), bundle('cache', 1, 1, { ip: CACHE_IP }), ['constraint', 'location', 'web', 'prefers', 'node3=10'], ['constraint', 'colocation', 'set', 'db', 'cache', 'sequential=false', 'set', 'web', 'api', 'sequential=false', 'setoptions', 'score=INFINITY']] },
  { name: 'colocation-influence-running', description: 'db with web INFINITY, db prefers node3=100; web runs on node1 without stickiness: db pulls it to node3', nodes: N3, pcs: [bundle('web', 1, 1), bundle('db', 1, 1, { ip: DB_IP }), ['constraint', 'colocation', 'add', 'db', 'with', 'web', 'INFINITY'], ['constraint', 'location', 'db', 'prefers', 'node3=100']], running: { 'web-0': 'node1' } },
  { name: 'colocation-influence-false', description: 'as colocation-influence-running with influence=false: web stays on node1 and db joins it', nodes: N3, pcs: [bundle('web', 1, 1), bundle('db', 1, 1, { ip: DB_IP }), ['constraint', 'colocation', 'add', 'db', 'with', 'web', 'INFINITY', 'influence=false'], ['constraint', 'location', 'db', 'prefers', 'node3=100']], running: { 'web-0': 'node1' } },
  { name: 'colocation-influence-false-partly-running', description: 'db with web INFINITY influence=false, db prefers node3=100; web-0 runs on node1, web-1 does not: web runs, so db moves neither replica', nodes: N4, pcs: [bundle('web', 2, 1), bundle('db', 1, 1, { ip: DB_IP }), ['constraint', 'colocation', 'add', 'db', 'with', 'web', 'INFINITY', 'influence=false'], ['constraint', 'location', 'db', 'prefers', 'node3=100']], running: { 'web-0': 'node1' } },
  { name: 'colocation-not-critical', description: 'db with web INFINITY, db critical=false (influence defaults to it), db prefers node3=100, web runs on node1: web stays', nodes: N3, pcs: [bundle('web', 1, 1), bundle('db', 1, 1, { ip: DB_IP, extra: ['meta', 'critical=false'] }), ['constraint', 'colocation', 'add', 'db', 'with', 'web', 'INFINITY'], ['constraint', 'location', 'db', 'prefers', 'node3=100']], running: { 'web-0': 'node1' } },
  { name: 'colocation-primary-stopped', description: 'db with web INFINITY, web disabled: db cannot run', nodes: N3, pcs: [bundle('web', 2, 1), bundle('db', 2, 1, { ip: DB_IP }), ['constraint', 'colocation', 'add', 'db', 'with', 'web', 'INFINITY'], ['resource', 'disable', 'web']] },
  { name: 'colocation-chain-soft', description: 'cache with db 100, db with web 100, cache prefers node3=500: the preference reaches web through db', nodes: N3, pcs: [bundle('web', 1, 1), bundle('db', 1, 1, { ip: DB_IP }), bundle('cache', 1, 1, { ip: CACHE_IP }), ['constraint', 'colocation', 'add', 'cache', 'with', 'db', '100'], ['constraint', 'colocation', 'add', 'db', 'with', 'web', '100'], ['constraint', 'location', 'cache', 'prefers', 'node3=500']] },
  // Priority, utilization and placement-strategy (pcmk__sort_resources, pcmk__ban_insufficient_capacity,
  // compare_nodes). A bundle's replicas use its inner primitive's utilization: Pacemaker moves it to each container.
  { name: 'priority-last-slot', description: 'placement-strategy=utilization, cpu=2 per node, each replica uses cpu=2: db (priority 10, second in the CIB) takes two of the three slots, web gets the last', nodes: N3, pcs: [...strategy('utilization'), ...capacity(N3, 'cpu=2'), bundle('web', 2, 1), ...inner('web', 'cpu=2'), bundle('db', 2, 1, { ip: DB_IP, extra: ['meta', 'priority=10'] }), ...inner('db', 'cpu=2')] },
  { name: 'priority-stops-lower', description: 'web runs on all three nodes (cpu=2 each, its replicas use cpu=2); db (priority 10) needs one slot: it takes node1 and web-0 stops', nodes: N3, pcs: [...strategy('utilization'), ...capacity(N3, 'cpu=2'), bundle('web', 3, 1), ...inner('web', 'cpu=2'), bundle('db', 1, 1, { ip: DB_IP, extra: ['meta', 'priority=10'] }), ...inner('db', 'cpu=2')], running: { 'web-0': 'node1', 'web-1': 'node2', 'web-2': 'node3' } },
  { name: 'priority-beats-stickiness', description: 'as priority-stops-lower with web resource-stickiness=100: db is placed first, so stickiness does not keep web-0 on node1', nodes: N3, pcs: [...strategy('utilization'), ...capacity(N3, 'cpu=2'), bundle('web', 3, 1, { extra: ['meta', 'resource-stickiness=100'] }), ...inner('web', 'cpu=2'), bundle('db', 1, 1, { ip: DB_IP, extra: ['meta', 'priority=10'] }), ...inner('db', 'cpu=2')], running: { 'web-0': 'node1', 'web-1': 'node2', 'web-2': 'node3' } },
  { name: 'priority-equal-current-location', description: 'equal priorities, placement-strategy=utilization: db runs on node1 where it scores 50, so it is placed before web (cmp_resources: current location) and web loses a replica', nodes: N3, pcs: [...strategy('utilization'), ...capacity(N3, 'cpu=2'), bundle('web', 3, 1), ...inner('web', 'cpu=2'), bundle('db', 1, 1, { ip: DB_IP }), ...inner('db', 'cpu=2'), ['constraint', 'location', 'db', 'prefers', 'node1=50']], running: { 'db-0': 'node1' } },
  { name: 'priority-with-colocation', description: 'placement-strategy=utilization, cpu=2 per node: db (priority 10) with web INFINITY places web first; cache (priority 5, cpu=2) gets what is left', nodes: N3, pcs: [...strategy('utilization'), ...capacity(N3, 'cpu=2'), bundle('web', 2, 1), ...inner('web', 'cpu=1'), bundle('db', 2, 1, { ip: DB_IP, extra: ['meta', 'priority=10'] }), ...inner('db', 'cpu=1'), bundle('cache', 2, 1, { ip: CACHE_IP, extra: ['meta', 'priority=5'] }), ...inner('cache', 'cpu=2'), ['constraint', 'colocation', 'add', 'db', 'with', 'web', 'INFINITY']] },
  { name: 'utilization-capacity-exhausted', description: 'placement-strategy=utilization, node1 cpu=4, node2 cpu=2, node3 none; four replicas (cpu=2 each, four per host): one has no room', nodes: N3, pcs: [...strategy('utilization'), ['node', 'utilization', 'node1', 'cpu=4'], ['node', 'utilization', 'node2', 'cpu=2'], bundle('web', 4, 4), ...inner('web', 'cpu=2')] },
  { name: 'utilization-spreads', description: 'placement-strategy=utilization, cpu=4 per node, four replicas (cpu=1, four per host): spread by resources placed, as default', nodes: N3, pcs: [...strategy('utilization'), ...capacity(N3, 'cpu=4'), bundle('web', 4, 4), ...inner('web', 'cpu=1')] },
  { name: 'minimal-fills-first-node', description: 'placement-strategy=minimal, cpu=4 per node, four replicas (cpu=1, four per host): all on node1', nodes: N3, pcs: [...strategy('minimal'), ...capacity(N3, 'cpu=4'), bundle('web', 4, 4), ...inner('web', 'cpu=1')] },
  { name: 'minimal-overflows', description: 'placement-strategy=minimal, cpu=2 per node, five replicas (cpu=1, four per host): node1 and node2 fill, node3 takes one', nodes: N3, pcs: [...strategy('minimal'), ...capacity(N3, 'cpu=2'), bundle('web', 5, 4), ...inner('web', 'cpu=1')] },
  { name: 'balanced-most-free', description: 'placement-strategy=balanced, node1 cpu=8, node2 and node3 cpu=4, four replicas (cpu=1, four per host): the most free capacity first', nodes: N3, pcs: [...strategy('balanced'), ['node', 'utilization', 'node1', 'cpu=8'], ['node', 'utilization', 'node2', 'cpu=4'], ['node', 'utilization', 'node3', 'cpu=4'], bundle('web', 4, 4), ...inner('web', 'cpu=1')] },
  { name: 'balanced-two-values', description: 'placement-strategy=balanced, node1 cpu=8 mem=2, node2 and node3 cpu=4 mem=4, replicas use cpu=1 mem=1: capacities compared value by value', nodes: N3, pcs: [...strategy('balanced'), ['node', 'utilization', 'node1', 'cpu=8', 'mem=2'], ['node', 'utilization', 'node2', 'cpu=4', 'mem=4'], ['node', 'utilization', 'node3', 'cpu=4', 'mem=4'], bundle('web', 5, 4), ...inner('web', 'cpu=1', 'mem=1')] },
  { name: 'balanced-with-stickiness', description: 'placement-strategy=balanced, cpu=4 per node, web-0 runs on node3 with stickiness 10: it stays, the others go where most is free', nodes: N3, pcs: [...strategy('balanced'), ...capacity(N3, 'cpu=4'), bundle('web', 3, 3, { extra: ['meta', 'resource-stickiness=10'] }), ...inner('web', 'cpu=2')], running: { 'web-0': 'node3' } },
  { name: 'utilization-colocation-no-room', description: 'placement-strategy=utilization, cpu=3 per node: db with web INFINITY, each uses cpu=2: no node holds both, so db stays stopped', nodes: N3, pcs: [...strategy('utilization'), ...capacity(N3, 'cpu=3'), bundle('web', 1, 1), ...inner('web', 'cpu=2'), bundle('db', 1, 1, { ip: DB_IP }), ...inner('db', 'cpu=2'), ['constraint', 'colocation', 'add', 'db', 'with', 'web', 'INFINITY']] },
  { name: 'utilization-colocation-fits', description: 'placement-strategy=utilization, node1 cpu=2, node2 cpu=4, node3 cpu=3: db with web INFINITY, each uses cpu=2: web goes where both fit', nodes: N3, pcs: [...strategy('utilization'), ['node', 'utilization', 'node1', 'cpu=2'], ['node', 'utilization', 'node2', 'cpu=4'], ['node', 'utilization', 'node3', 'cpu=3'], bundle('web', 1, 1), ...inner('web', 'cpu=2'), bundle('db', 1, 1, { ip: DB_IP }), ...inner('db', 'cpu=2'), ['constraint', 'colocation', 'add', 'db', 'with', 'web', 'INFINITY']] },
  { name: 'utilization-default-ignores', description: 'placement-strategy=default: utilization is not checked (node cpu=1, replicas use cpu=2)', nodes: N3, pcs: [...capacity(N3, 'cpu=1'), bundle('web', 3, 1), ...inner('web', 'cpu=2')] },
  { name: 'discovery-exclusive', description: 'resource-discovery=exclusive on node2 and node3 (score 0): web runs only there', nodes: N4, pcs: [bundle('web', 3, 1), ['constraint', 'location', 'add', 'l-web-2', 'web', 'node2', '0', 'resource-discovery=exclusive'], ['constraint', 'location', 'add', 'l-web-3', 'web', 'node3', '10', 'resource-discovery=exclusive']] },
  { name: 'discovery-never', description: 'resource-discovery=never on node2 with score 0: it only stops probes, web still runs there', nodes: N3, pcs: [bundle('web', 3, 1), ['constraint', 'location', 'add', 'l-web-2', 'web', 'node2', '0', 'resource-discovery=never']] },
];

// ---- the order cases (80 upwards), with the transition graph ----
// graph.xml (crm_simulate --run --save-graph) holds every action of the transition and what each
// waits for (<inputs>): test/scheduler/crm-simulate-order.ts compares the order of the replicas'
// container starts and stops in it with the passes berth takes.
const APP_IP = '192.168.122.211';
const ONE_EACH = [bundle('web', 1, 1), bundle('db', 1, 1, { ip: DB_IP })];
const TWO_EACH = [bundle('web', 2, 1), bundle('db', 2, 1, { ip: DB_IP })];
const TWO_EACH_INTERLEAVED = [bundle('web', 2, 1, { extra: ['meta', 'interleave=true'] }), bundle('db', 2, 1, { ip: DB_IP }), ['constraint', 'colocation', 'add', 'web', 'with', 'db', 'INFINITY']];
/** the clock of the converging and injecting runs: the history they write is the same every time */
const CONVERGE_AT = '2026-01-01 00:00:00Z';
const AT = Date.parse('2026-01-01T00:00:00Z') / 1000;
const ORDER_CASES = [
  { name: 'order-start-then-start', description: 'start db then start web (Mandatory, symmetrical): web starts after db', nodes: N3, pcs: [bundle('web', 1, 1), bundle('db', 1, 1, { ip: DB_IP }), ['constraint', 'order', 'start', 'db', 'then', 'start', 'web']] },
  { name: 'order-chain', description: 'db then app, app then web: three waves', nodes: N3, pcs: [bundle('web', 1, 1), bundle('app', 1, 1, { ip: APP_IP }), bundle('db', 1, 1, { ip: DB_IP }), ['constraint', 'order', 'db', 'then', 'app'], ['constraint', 'order', 'app', 'then', 'web']] },
  { name: 'order-stop-reverse', description: 'db then web, both running, both disabled: web stops first, db after it (symmetrical)', nodes: N3, pcs: [bundle('web', 1, 1), bundle('db', 1, 1, { ip: DB_IP }), ['constraint', 'order', 'db', 'then', 'web'], ['resource', 'disable', 'db', 'web']], running: { 'db-0': 'node1', 'web-0': 'node2' } },
  { name: 'order-mandatory-first-stopped', description: 'db then web (Mandatory), db disabled: web does not start', nodes: N3, pcs: [bundle('web', 1, 1), bundle('db', 1, 1, { ip: DB_IP }), ['constraint', 'order', 'db', 'then', 'web'], ['resource', 'disable', 'db']] },
  { name: 'order-optional-first-stopped', description: 'db then web kind=Optional, db disabled: web starts', nodes: N3, pcs: [bundle('web', 1, 1), bundle('db', 1, 1, { ip: DB_IP }), ['constraint', 'order', 'db', 'then', 'web', 'kind=Optional'], ['resource', 'disable', 'db']] },
  { name: 'order-set', description: 'an order set db app web (sequential): three waves', nodes: N3, pcs: [bundle('web', 1, 1), bundle('app', 1, 1, { ip: APP_IP }), bundle('db', 1, 1, { ip: DB_IP }), ['constraint', 'order', 'set', 'db', 'app', 'web']] },
  { name: 'order-two-replicas-each', description: 'db (2) then web (2) over three nodes: every web replica after every db replica', nodes: N3, pcs: [bundle('web', 2, 1), bundle('db', 2, 1, { ip: DB_IP }), ['constraint', 'order', 'db', 'then', 'web']] },
  { name: 'order-interleave', description: 'db (2) then web (2) with interleave=true on web, colocated: each web replica after the db replica on its node', nodes: N3, pcs: [bundle('web', 2, 1, { extra: ['meta', 'interleave=true'] }), bundle('db', 2, 1, { ip: DB_IP }), ['constraint', 'colocation', 'add', 'web', 'with', 'db', 'INFINITY'], ['constraint', 'order', 'db', 'then', 'web']] },
  { name: 'order-interleave-no-peer', description: 'db (1, on node1) then web (2, one per host) with interleave=true on web: the web replica on a node without a db replica', nodes: N3, pcs: [bundle('web', 2, 1, { extra: ['meta', 'interleave=true'] }), bundle('db', 1, 1, { ip: DB_IP }), ['constraint', 'location', 'db', 'prefers', 'node1'], ['constraint', 'location', 'web', 'prefers', 'node1=10'], ['constraint', 'order', 'db', 'then', 'web']] },
  // What a Mandatory order does to a then that runs when first stops or restarts (89 upwards): the
  // cluster is first converged by crm_simulate itself (`converge`: every start simulated, so the
  // history carries Pacemaker's own op-digests and nothing restarts "due to resource definition
  // change"), then changed (`pcs`), then the event injected (`inject`: crm_simulate --op-inject /
  // --node-fail, saved with --save-output) into cib.xml.
  { name: 'order-first-disabled-stops-then', description: 'db then web, both running; db disabled: web stops first, then db', nodes: N3, converge: [...ONE_EACH, ['constraint', 'order', 'db', 'then', 'web']], pcs: [['resource', 'disable', 'db']] },
  { name: 'order-first-recovered-restarts-then', description: 'db then web, both running; db-0 fails on node2 and is recovered in place: web stops, db stops and starts, web starts', nodes: N3, converge: [...ONE_EACH, ['constraint', 'order', 'db', 'then', 'web']], pcs: [], inject: ['--op-inject', 'db-docker-0_monitor_60000@node2=7'] },
  { name: 'order-interleave-restarts-peer-only', description: 'db (2) then web (2, interleave=true), colocated; db-1 fails: only web-1, on its node, restarts', nodes: N3, converge: [...TWO_EACH_INTERLEAVED, ['constraint', 'order', 'db', 'then', 'web']], pcs: [], inject: ['--op-inject', 'db-docker-1_monitor_60000@node2=7'] },
  { name: 'order-restarts-every-then', description: 'db (2) then web (2), no interleave; db-1 fails: every web replica restarts', nodes: N3, converge: [...TWO_EACH, ['constraint', 'order', 'db', 'then', 'web']], pcs: [], inject: ['--op-inject', 'db-docker-1_monitor_60000@node1=7'] },
  { name: 'order-symmetrical-false-no-cascade', description: 'db then web symmetrical=false, both running; db disabled: web keeps running', nodes: N3, converge: [...ONE_EACH, ['constraint', 'order', 'db', 'then', 'web', 'symmetrical=false']], pcs: [['resource', 'disable', 'db']] },
  { name: 'order-optional-no-cascade', description: 'db then web kind=Optional, both running; db-0 fails and is recovered: web keeps running', nodes: N3, converge: [...ONE_EACH, ['constraint', 'order', 'db', 'then', 'web', 'kind=Optional']], pcs: [], inject: ['--op-inject', 'db-docker-0_monitor_60000@node2=7'] },
  { name: 'order-first-node-lost', description: 'db then web; db\'s node2 fails: db starts on node3 and web restarts after it', nodes: N3, converge: [...ONE_EACH, ['constraint', 'order', 'db', 'then', 'web']], pcs: [], inject: ['--node-fail', 'node2'] },
  { name: 'order-first-node-lost-nowhere', description: 'db then web, db may run on node2 only; node2 fails: web stops (db cannot run)', nodes: N3, converge: [...ONE_EACH, ['constraint', 'location', 'db', 'prefers', 'node2'], ['constraint', 'location', 'db', 'avoids', 'node1', 'node3'], ['constraint', 'order', 'db', 'then', 'web']], pcs: [], inject: ['--node-fail', 'node2'] },
  { name: 'order-first-moves-restarts-then', description: 'db then web; db banned from node2: db moves to node3, web stops before and starts after', nodes: N3, converge: [...ONE_EACH, ['constraint', 'order', 'db', 'then', 'web']], pcs: [['constraint', 'location', 'db', 'avoids', 'node2']] },
  { name: 'order-interleave-peer-moves-away', description: 'db (2) then web (2, interleave=true), both on node1 and node2; db banned from node2: db-1 moves to node3, web-1 (no db replica left on node2) stops, web-0 stays', nodes: N3, converge: [bundle('web', 2, 1, { extra: ['meta', 'interleave=true'] }), bundle('db', 2, 1, { ip: DB_IP }), ['constraint', 'location', 'db', 'prefers', 'node1', 'node2'], ['constraint', 'location', 'web', 'prefers', 'node1', 'node2'], ['constraint', 'order', 'db', 'then', 'web']], pcs: [['constraint', 'location', 'db', 'avoids', 'node2']] },
  { name: 'order-stop-then-stop', description: 'stop db then stop web, both running; db disabled: web stops after db and starts again', nodes: N3, converge: [...ONE_EACH, ['constraint', 'order', 'stop', 'db', 'then', 'stop', 'web']], pcs: [['resource', 'disable', 'db']] },
];

function makeCase(c, i) {
  const dir = path.join(OUT, `${String(i + 1).padStart(2, '0')}-${c.name}`);
  const file = path.join(tmp, `${c.name}.xml`);
  fs.writeFileSync(file, baseCib(c.nodes));
  let cib;
  if (c.converge) {
    fs.mkdirSync(dir, { recursive: true });
    ({ cib, running: c.running } = convergedCib(c, file, dir));
  } else {
    for (const argv of c.pcs) pcs(file, argv);
    cib = statusXml(fs.readFileSync(file, 'utf8'), c);
  }
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'cib.xml'), cib);
  const dt = c.now ? ['--set-datetime', c.now] : [];
  const runs = {
    'crm_simulate.txt': ['--xml-file', 'cib.xml', '--simulate', ...dt],
    'crm_simulate.xml': ['--xml-file', 'cib.xml', '--simulate', '--output-as=xml', ...dt],
    'scores.txt': ['--xml-file', 'cib.xml', '--run', '--show-scores', ...dt],
  };
  for (const [out, args] of Object.entries(runs)) {
    const r = spawnSync('crm_simulate', args, { cwd: dir, env: ENV, encoding: 'utf8' });
    if (r.status !== 0 || r.stderr.trim()) throw new Error(`${c.name}: crm_simulate exit ${r.status}: ${r.stderr}`);
    fs.writeFileSync(path.join(dir, out), r.stdout);
  }
  if (c.graph) {
    const args = ['--xml-file', 'cib.xml', '--run', '--save-graph', 'graph.xml', ...dt];
    const r = spawnSync('crm_simulate', args, { cwd: dir, env: ENV, encoding: 'utf8' });
    if (r.status !== 0 || r.stderr.trim()) throw new Error(`${c.name}: crm_simulate exit ${r.status}: ${r.stderr}`);
    runs['graph.xml'] = args;
  }
  const info = {
    name: c.name,
    description: c.description,
    tools: { crm_simulate: TOOLS.crm_simulate, pcs: TOOLS.pcs },
    ...(c.converge ? { converge: c.converge.map((a) => ['pcs', '-f', 'cib.xml', ...a].join(' ')), convergedBy: ['crm_simulate', '--xml-file', 'cib.xml', '--simulate', '--save-output', 'cib.xml', '--set-datetime', CONVERGE_AT] } : {}),
    pcs: c.pcs.map((a) => ['pcs', '-f', 'cib.xml', ...a].join(' ')),
    ...(c.inject ? { inject: ['crm_simulate', '--xml-file', 'cib.xml', ...c.inject, '--save-output', 'cib.xml', '--set-datetime', CONVERGE_AT] } : {}),
    nodes: c.nodes,
    ...(c.transient ? { transient: c.transient } : {}),
    ...(c.running ? { running: c.running } : {}),
    ...(c.now ? { now: c.now } : {}),
    crm_simulate: Object.fromEntries(Object.entries(runs).map(([out, args]) => [out, ['crm_simulate', ...args]])),
  };
  fs.writeFileSync(path.join(dir, 'case.json'), JSON.stringify(info, null, 2) + '\n');
  console.log(`${path.basename(dir)}`);
}

/** The cluster converged by crm_simulate on the `converge` configuration, then changed with `pcs`
 * and, with `inject`, the event injected (crm_simulate --save-output without --simulate writes
 * the injected history and schedules nothing). Returns the CIB and where each replica ran. */
function convergedCib(c, file, dir) {
  for (const argv of c.converge) pcs(file, argv);
  fs.writeFileSync(file, statusXml(fs.readFileSync(file, 'utf8'), { nodes: c.nodes }));
  const simulate = (args) => {
    const r = spawnSync('crm_simulate', ['--xml-file', file, ...args, '--save-output', file, '--set-datetime', CONVERGE_AT, '--quiet'], { env: ENV, encoding: 'utf8' });
    if (r.status !== 0 || r.stderr.trim()) throw new Error(`${c.name}: crm_simulate ${args.join(' ')} exit ${r.status}: ${r.stderr}`);
    // the history's times are the clock's, not --set-datetime's: fixed to CONVERGE_AT (no
    // failure-timeout here, so they decide nothing)
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/last-rc-change="\d+"/g, `last-rc-change="${AT}"`).replace(/(name="last-failure-[^"]*" value=")\d+"/g, `$1${AT}"`));
  };
  simulate(['--simulate']);
  // before.xml: the converged cluster before the change, whose configuration the order test
  // converges berth's in-memory nodes with
  fs.copyFileSync(file, path.join(dir, 'before.xml'));
  const shown = spawnSync('crm_simulate', ['--xml-file', file], { env: ENV, encoding: 'utf8' }).stdout;
  const running = Object.fromEntries([...shown.matchAll(/\* (\S+)-docker-(\d+) .*\sStarted (\S+)$/gm)].map((m) => [`${m[1]}-${m[2]}`, m[3]]));
  for (const argv of c.pcs) pcs(file, argv);
  if (c.inject) simulate(c.inject);
  return { cib: fs.readFileSync(file, 'utf8'), running };
}

// ---- the pcs node cases ----

const PCS_INPUT = `<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="5" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config/>
    <nodes>
      <node id="1" uname="node1"/>
      <node id="2" uname="node2">
        <utilization id="nodes-2-utilization">
          <nvpair id="nodes-2-utilization-cpu" name="cpu" value="4"/>
        </utilization>
      </node>
      <node id="3" uname="node3">
        <instance_attributes id="nodes-3">
          <nvpair id="nodes-3-rack" name="rack" value="r1"/>
        </instance_attributes>
      </node>
      <node id="4" uname="node4">
        <instance_attributes id="nodes-4">
          <nvpair id="nodes-4-standby" name="standby" value="off"/>
        </instance_attributes>
      </node>
    </nodes>
    <resources>
      <primitive id="nodes-1" class="ocf" provider="heartbeat" type="Dummy"/>
    </resources>
    <constraints/>
  </configuration>
  <status>
    <node_state id="3" uname="node3" in_ccm="true" crmd="online" join="member" expected="member">
      <transient_attributes id="3">
        <instance_attributes id="status-3">
          <nvpair id="status-3-standby" name="standby" value="on"/>
        </instance_attributes>
      </transient_attributes>
    </node_state>
  </status>
</cib>
`;

const STANDBY_ALL = PCS_INPUT.replace('<node id="1" uname="node1"/>', `<node id="1" uname="node1">
        <instance_attributes id="nodes-1-1">
          <nvpair id="nodes-1-1-standby" name="standby" value="on"/>
        </instance_attributes>
      </node>`);

const PCS_CASES = [
  { name: 'standby-bare-node', description: 'a node without attributes; the set id nodes-1 is taken by a resource', argv: ['node', 'standby', 'node1'] },
  { name: 'standby-after-utilization', description: 'the new set goes after the utilization set', argv: ['node', 'standby', 'node2'] },
  { name: 'standby-existing-set', description: 'the first instance_attributes set gets the nvpair', argv: ['node', 'standby', 'node3'] },
  { name: 'standby-off-to-on', description: 'standby=off becomes on in place', argv: ['node', 'standby', 'node4'] },
  { name: 'standby-several', description: 'several nodes at once', argv: ['node', 'standby', 'node1', 'node2'] },
  { name: 'standby-all', description: '--all', argv: ['node', 'standby', '--all'] },
  { name: 'standby-twice', description: 'already in standby: nothing changes', input: STANDBY_ALL, argv: ['node', 'standby', 'node1'] },
  { name: 'unstandby', description: 'the nvpair goes, the emptied set stays', input: STANDBY_ALL, argv: ['node', 'unstandby', 'node1'] },
  { name: 'unstandby-bare-node', description: 'nothing to remove: no empty set is added', argv: ['node', 'unstandby', 'node1'] },
  { name: 'unstandby-all', description: '--all removes permanent standby only (node3 keeps its transient standby)', input: STANDBY_ALL, argv: ['node', 'unstandby', '--all'] },
  { name: 'standby-unknown-nodes', description: 'unknown nodes: all reported, nothing changed', argv: ['node', 'standby', 'node1', 'nodeX', 'nodeY'] },
  { name: 'standby-all-and-node', description: '--all with a node list', argv: ['node', 'standby', '--all', 'node1'] },
  { name: 'standby-no-node', description: 'no node under -f', argv: ['node', 'standby'] },
];

function makePcsCase(c, i) {
  const dir = path.join(OUT, 'pcs-node', `${String(i + 1).padStart(2, '0')}-${c.name}`);
  fs.mkdirSync(dir, { recursive: true });
  const input = c.input ?? PCS_INPUT;
  const file = path.join(tmp, `pcs-${c.name}.xml`);
  fs.writeFileSync(file, input);
  const r = run('pcs', ['-f', file, ...c.argv]);
  fs.writeFileSync(path.join(dir, 'input.xml'), input);
  fs.writeFileSync(path.join(dir, 'expected.xml'), fs.readFileSync(file, 'utf8'));
  const info = { name: c.name, description: c.description, tool: `pcs ${TOOLS.pcs} / ${TOOLS.crm_simulate.replace('Pacemaker ', 'Pacemaker ')}`, argv: c.argv, exit: r.status, stdout: r.stdout, stderr: r.stderr };
  fs.writeFileSync(path.join(dir, 'case.json'), JSON.stringify(info, null, 2) + '\n');
  console.log(`pcs-node/${path.basename(dir)}`);
}

const wanted = (name) => !filters.length || filters.some((f) => name.includes(f));
CASES.forEach((c, i) => wanted(c.name) && makeCase(c, i));
ORDER_CASES.forEach((c, i) => wanted(c.name) && makeCase({ ...c, graph: true }, 79 + i));
PCS_CASES.forEach((c, i) => wanted(c.name) && makePcsCase(c, i));
