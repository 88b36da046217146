#!/usr/bin/env node
// Golden promotion fixtures made by the REAL Pacemaker scheduler: which instances of a promotable
// resource inside a bundle (promoted-max) Pacemaker promotes, and the order of their actions.
//
//     node scripts/crm-simulate-promotion-fixtures.mjs            # all cases
//     node scripts/crm-simulate-promotion-fixtures.mjs tie        # only cases whose name contains a filter
//
// Needs, on PATH: crm_simulate, crm_resource and cibadmin (Debian pacemaker-cli-utils 2.1.5) and
// pcs 0.11.5.
//
// Each case (test/fixtures/crm_simulate_promotion/<NN-name>/):
//   1. the configuration: `cibadmin --empty` plus <node id uname/> entries and
//      stonith-enabled=false, then the real `pcs -f`: `resource bundle create db ... promoted-max=N`
//      (control-port, or ip-range-start with replicas-per-host > 1), `resource create db-state
//      ocf:pacemaker:Stateful bundle db`, constraints (a role=Promoted location needs `--force`:
//      pcs 0.11.5 only knows role on rules, and a node location with role is what berth reads);
//   2. <status>, written here as Pacemaker's own cts/scheduler bundle cases have it: a node_state
//      per host node (online, cleanly down, or lost uncleanly) whose lrm holds the started container
//      `db-docker-i`, its address `db-ip-A` (with ip-range-start) and its connection `db-i`
//      (ocf:pacemaker:remote, container=db-docker-i); a node_state remote_node="true" per guest
//      node `db-i` with the inner instance's history (start rc 0: Unpromoted; promote rc 0:
//      Promoted; a promoted monitor rc 9: failed Promoted; stop rc 0: stopped) and the
//      transient attribute `master-db-state` (the promotion score the agent set). Each op
//      carries the op-digest `crm_resource --digests` computes for it (a second pass), so that
//      Pacemaker sees no definition change and restarts nothing;
//   3. crm_simulate (stderr must be empty): `--simulate` as crm_simulate.txt (for people),
//      `--simulate --output-as=xml` as crm_simulate.xml (what the test reads: each replica's role
//      after the transition, and the transition's actions in order) and `--run --show-scores`
//      as scores.txt (the promotion scores: why).
// test/scheduler/crm-simulate-promotion.ts compares berth's decidePromotion and
// planInnerReplica with them.
//
// Deterministic: nothing depends on the clock or on the temp path.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENV, baseCib, ipv4Add, pcsOn, recordedTools, tempDir, toolRunner } from './crm-simulate-cib.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.resolve(HERE, '..', 'test', 'fixtures', 'crm_simulate_promotion');
const filters = process.argv.slice(2);
const run = toolRunner('crm-simulate-promotion-fixtures');
const TOOLS = recordedTools('crm-simulate-promotion-fixtures', run, ['crm_simulate', 'crm_resource']);
const tmp = tempDir('berth-crm-simulate-promotion-');

const BUNDLE = 'db';
const RSC = 'db-state';
/** Pacemaker's transition key: action:transition:expected rc:uuid (an rc other than expected is a failure) */
const tk = (expected) => `1:0:${expected}:00000000-0000-0000-0000-000000000000`;

/** One history entry; `digest(rsc, node)` gives the op-digest of a non-recurring op (or ''). */
function op(rsc, node, { id, name, interval = 0, rc = 0, expected = rc, call }, digest) {
  const key = `${rsc}_${name}_${interval}`;
  const d = interval === 0 && digest ? ` op-digest="${digest(rsc, node)}"` : '';
  return `<lrm_rsc_op id="${id ?? key}" operation_key="${key}" operation="${name}" crm-debug-origin="berth-fixture" crm_feature_set="3.16.1" transition-key="${tk(expected)}" transition-magic="0:${rc};${tk(expected)}" exit-reason="" on_node="${node}" call-id="${call}" rc-code="${rc}" op-status="0" interval="${interval}" last-rc-change="1700000000" exec-time="0" queue-time="0"${d}/>`;
}

/** The inner instance's history for a role (`id`: its lrm_resource id). */
const history = (id, role) => ({
  Unpromoted: [{ id: `${id}_last_0`, name: 'start', call: 2 }, { name: 'monitor', interval: 11000, call: 3 }],
  Promoted: [{ id: `${id}_last_0`, name: 'promote', call: 4 }, { name: 'monitor', interval: 10000, rc: 8, call: 5 }],
  FailedPromoted: [{ id: `${id}_last_0`, name: 'promote', call: 4 }, { name: 'monitor', interval: 10000, rc: 9, expected: 8, call: 5 }, { id: `${id}_last_failure_0`, name: 'monitor', interval: 10000, rc: 9, expected: 8, call: 5 }],
  Stopped: [{ id: `${id}_last_0`, name: 'stop', call: 6 }],
})[role];

function statusXml(xml, c, digest) {
  const names = Object.keys(c.nodes);
  const ip = /ip-range-start="([^"]+)"/.exec(xml)?.[1];
  // replicas-per-host > 1 makes the inner clone globally unique: its history is per instance (db-state:0).
  const unique = Number(/replicas-per-host="(\d+)"/.exec(xml)?.[1] ?? 1) > 1;
  const lrmResource = (id, cls, provider, type, ops, node, extra = '') =>
    `          <lrm_resource id="${id}" class="${cls}" provider="${provider}" type="${type}"${extra}>\n${ops.map((o) => `            ${op(id, node, o, digest)}`).join('\n')}\n          </lrm_resource>`;
  const hosts = names.map((n, i) => {
    const id = i + 1;
    // online; offline: cleanly down (its resources stopped with it); lost: gone while a member
    // (unclean: Pacemaker would fence it, and without stonith takes its resources as stopped)
    const attrs = { online: 'in_ccm="true" crmd="online" join="member" expected="member"', offline: 'in_ccm="false" crmd="offline" join="down" expected="down"', lost: 'in_ccm="false" crmd="offline" join="member" expected="member"' }[c.nodes[n]];
    const rscs = [];
    for (const [index, r] of Object.entries(c.replicas)) {
      if (r.host !== n || c.nodes[n] === 'offline') continue;
      if (ip) rscs.push(lrmResource(`${BUNDLE}-ip-${ipv4Add(ip, Number(index))}`, 'ocf', 'heartbeat', 'IPaddr2', [{ id: `${BUNDLE}-ip-${ipv4Add(ip, Number(index))}_last_0`, name: 'start', call: 1 }], n));
      rscs.push(lrmResource(`${BUNDLE}-docker-${index}`, 'ocf', 'heartbeat', 'docker', [{ id: `${BUNDLE}-docker-${index}_last_0`, name: 'start', call: 1 }], n));
      rscs.push(lrmResource(`${BUNDLE}-${index}`, 'ocf', 'pacemaker', 'remote', [{ id: `${BUNDLE}-${index}_last_0`, name: 'start', call: 1 }], n, ` container="${BUNDLE}-docker-${index}"`));
    }
    const open = `    <node_state id="${id}" uname="${n}" ${attrs} crm-debug-origin="berth-fixture"`;
    return rscs.length ? `${open}>\n      <lrm id="${id}">\n        <lrm_resources>\n${rscs.join('\n')}\n        </lrm_resources>\n      </lrm>\n    </node_state>` : `${open}/>`;
  });
  const guests = Object.entries(c.replicas).map(([index, r]) => {
    const g = `${BUNDLE}-${index}`;
    const inner = [];
    // A unique clone's instances each have their own promotion score attribute (master-db-state:0).
    const inst = unique ? `${RSC}:${index}` : RSC;
    if (r.score !== undefined) {
      inner.push(`      <transient_attributes id="${g}">\n        <instance_attributes id="status-${g}">\n          <nvpair id="status-${g}-master-${inst.replace(':', '-')}" name="master-${inst}" value="${r.score}"/>\n        </instance_attributes>\n      </transient_attributes>`);
    }
    inner.push(`      <lrm id="${g}">\n        <lrm_resources>\n${lrmResource(inst, 'ocf', 'pacemaker', 'Stateful', history(inst, r.role), g)}\n        </lrm_resources>\n      </lrm>`);
    return `    <node_state remote_node="true" id="${g}" uname="${g}" in_ccm="true" node_fenced="0" crm-debug-origin="berth-fixture">\n${inner.join('\n')}\n    </node_state>`;
  });
  return xml.replace(/<status\/>|<status>[\s\S]*<\/status>/, `<status>\n${[...hosts, ...guests].join('\n')}\n  </status>`);
}

/** The op-digest Pacemaker computes for a resource's non-recurring op on a node (its "all" digest). */
function digester(file) {
  const known = new Map();
  return (rsc, node) => {
    const k = `${rsc}@${node}`;
    if (!known.has(k)) {
      const r = run('crm_resource', ['--digests', '-r', rsc, '-N', node, '--output-as=xml'], { ...ENV, CIB_file: file });
      const m = /<digest type="all" hash="([0-9a-f]+)"/.exec(r.stdout);
      if (r.status !== 0 || !m) throw new Error(`crm_resource --digests -r ${rsc} -N ${node}: exit ${r.status}: ${r.stderr}${r.stdout}`);
      known.set(k, m[1]);
    }
    return known.get(k);
  };
}

// ---- the cases ----

const N2 = { node1: 'online', node2: 'online' };
const N3 = { ...N2, node3: 'online' };
/** pcs bundle create for db with a control port (one replica per host) or an address range */
const bundle = (replicas, promotedMax, { perHost = 1, extra = [] } = {}) => [
  'resource', 'bundle', 'create', BUNDLE, 'container', 'docker', 'image=registry.example.com/db:1', `replicas=${replicas}`, `replicas-per-host=${perHost}`, `promoted-max=${promotedMax}`,
  'network', ...(perHost > 1 ? ['ip-range-start=192.168.122.131'] : []), 'control-port=3121', ...extra,
];
const stateful = ['resource', 'create', RSC, 'ocf:pacemaker:Stateful', 'bundle', BUNDLE];
const promotedLocation = (node, score) => ['constraint', 'location', 'add', `l-promoted-${node}`, BUNDLE, node, score, 'role=Promoted', '--force'];
const one = (host, role, score) => ({ host, role, ...(score !== undefined ? { score } : {}) });
const three = (a, b, c) => ({ 0: one('node1', ...a), 1: one('node2', ...b), 2: one('node3', ...c) });

const CASES = [
  { name: 'no-scores', description: 'three Unpromoted instances, no promotion score: none is promoted', nodes: N3, pcs: [bundle(3, 1), stateful], replicas: three(['Unpromoted'], ['Unpromoted'], ['Unpromoted']) },
  { name: 'distinct-scores', description: 'scores 5, 10, 1: db-1 (the highest) is promoted', nodes: N3, pcs: [bundle(3, 1), stateful], replicas: three(['Unpromoted', 5], ['Unpromoted', 10], ['Unpromoted', 1]) },
  { name: 'tie-one-promoted', description: 'scores 5, 5, 5 with db-2 Promoted: it stays promoted', nodes: N3, pcs: [bundle(3, 1), stateful], replicas: three(['Unpromoted', 5], ['Unpromoted', 5], ['Promoted', 5]) },
  { name: 'tie-none-promoted', description: 'scores 5, 5, 5, none promoted: which one Pacemaker picks', nodes: N3, pcs: [bundle(3, 1), stateful], replicas: three(['Unpromoted', 5], ['Unpromoted', 5], ['Unpromoted', 5]) },
  { name: 'promoted-max-two', description: 'promoted-max=2 of 3, scores 1, 7, 3: db-1 and db-2', nodes: N3, pcs: [bundle(3, 2), stateful], replicas: three(['Unpromoted', 1], ['Unpromoted', 7], ['Unpromoted', 3]) },
  {
    name: 'promoted-node-max',
    description: 'four replicas, two per host on two nodes, promoted-max=2 (promoted-node-max: its default, 1): scores 9, 8 on node1 and 1, 2 on node2',
    nodes: N2,
    pcs: [bundle(4, 2, { perHost: 2 }), stateful],
    replicas: { 0: one('node1', 'Unpromoted', 9), 1: one('node1', 'Unpromoted', 8), 2: one('node2', 'Unpromoted', 1), 3: one('node2', 'Unpromoted', 2) },
  },
  { name: 'location-adds', description: 'scores 5, 10, 1 and a role=Promoted location of db on host node1 score 20', nodes: N3, pcs: [bundle(3, 1), stateful, promotedLocation('node1', '20')], replicas: three(['Unpromoted', 5], ['Unpromoted', 10], ['Unpromoted', 1]) },
  { name: 'location-minus-infinity', description: 'scores 5, 10, 1 and a role=Promoted location of db on host node2 -INFINITY', nodes: N3, pcs: [bundle(3, 1), stateful, promotedLocation('node2', '-INFINITY')], replicas: three(['Unpromoted', 5], ['Unpromoted', 10], ['Unpromoted', 1]) },
  { name: 'promoted-host-offline', description: 'db-0 Promoted (score 10) on node1, which is cleanly down (stonith-enabled=false); db-1 5, db-2 3: another is promoted', nodes: { ...N3, node1: 'offline' }, pcs: [bundle(3, 1), stateful], replicas: three(['Promoted', 10], ['Unpromoted', 5], ['Unpromoted', 3]) },
  { name: 'failed-promoted', description: 'db-0 Promoted (score 10) and its promoted monitor failed (rc 9); db-1 5, db-2 3', nodes: N3, pcs: [bundle(3, 1), stateful], replicas: three(['FailedPromoted', 10], ['Unpromoted', 5], ['Unpromoted', 3]) },
  { name: 'target-role-unpromoted', description: 'target-role=Unpromoted on the primitive; db-1 Promoted (score 10): it is demoted, none promoted', nodes: N3, pcs: [bundle(3, 1), stateful, ['resource', 'meta', RSC, 'target-role=Unpromoted']], replicas: three(['Unpromoted', 5], ['Promoted', 10], ['Unpromoted', 1]) },
  { name: 'stopped-bundle', description: 'the bundle disabled (target-role=Stopped); db-1 Promoted: demoted, then every instance and container stops', nodes: N3, pcs: [bundle(3, 1), stateful, ['resource', 'disable', BUNDLE]], replicas: three(['Unpromoted', 5], ['Promoted', 10], ['Unpromoted', 1]) },
  { name: 'higher-score-elsewhere', description: 'db-0 Promoted with score 1, db-1 scores 10: db-0 is demoted and db-1 promoted', nodes: N3, pcs: [bundle(3, 1), stateful], replicas: three(['Promoted', 1], ['Unpromoted', 10], ['Unpromoted', 5]) },
  { name: 'stopped-instance-highest', description: 'db-0\'s instance is stopped in its running container with score 10 kept; db-1 5, db-2 none', nodes: N3, pcs: [bundle(3, 1), stateful], replicas: three(['Stopped', 10], ['Unpromoted', 5], ['Unpromoted']) },
  { name: 'location-guest-node', description: 'scores 5, 10, 1 and a role=Promoted location of db on the guest node db-0 score 20: Pacemaker matches a promoted location against the instance\'s (guest) node', nodes: N3, pcs: [bundle(3, 1), stateful, promotedLocation('db-0', '20')], replicas: three(['Unpromoted', 5], ['Unpromoted', 10], ['Unpromoted', 1]) },
  { name: 'location-guest-minus-infinity', description: 'scores 5, 10, 1 and a role=Promoted location of db on the guest node db-1 -INFINITY', nodes: N3, pcs: [bundle(3, 1), stateful, promotedLocation('db-1', '-INFINITY')], replicas: three(['Unpromoted', 5], ['Unpromoted', 10], ['Unpromoted', 1]) },
  { name: 'promoted-host-lost', description: 'db-0 Promoted (score 10) on node1, which is lost uncleanly with its containers still in its history (stonith-enabled=false); db-1 5, db-2 3', nodes: { ...N3, node1: 'lost' }, pcs: [bundle(3, 1), stateful], replicas: three(['Promoted', 10], ['Unpromoted', 5], ['Unpromoted', 3]) },
];

function makeCase(c, i) {
  const dir = path.join(OUT, `${String(i + 1).padStart(2, '0')}-${c.name}`);
  const file = path.join(tmp, `${c.name}.xml`);
  fs.writeFileSync(file, baseCib(run, c.nodes));
  for (const argv of c.pcs) pcsOn(run, file, argv);
  const config = fs.readFileSync(file, 'utf8');
  // First the history without digests (crm_resource --digests needs it), then with them.
  fs.writeFileSync(file, statusXml(config, c));
  const cib = statusXml(config, c, digester(file));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'cib.xml'), cib);
  const runs = {
    'crm_simulate.txt': ['--xml-file', 'cib.xml', '--simulate'],
    'crm_simulate.xml': ['--xml-file', 'cib.xml', '--simulate', '--output-as=xml'],
    'scores.txt': ['--xml-file', 'cib.xml', '--run', '--show-scores'],
  };
  for (const [out, args] of Object.entries(runs)) {
    const r = spawnSync('crm_simulate', args, { cwd: dir, env: ENV, encoding: 'utf8' });
    if (r.status !== 0 || r.stderr.trim()) throw new Error(`${c.name}: crm_simulate exit ${r.status}: ${r.stderr}`);
    fs.writeFileSync(path.join(dir, out), r.stdout);
  }
  const info = {
    name: c.name,
    description: c.description,
    tools: TOOLS,
    pcs: c.pcs.map((a) => ['pcs', '-f', 'cib.xml', ...a].join(' ')),
    nodes: c.nodes,
    bundle: BUNDLE,
    resource: RSC,
    replicas: c.replicas,
    digests: 'crm_resource --digests -r RSC -N NODE --output-as=xml (the "all" digest), with CIB_file set to the CIB without them',
    crm_simulate: Object.fromEntries(Object.entries(runs).map(([out, args]) => [out, ['crm_simulate', ...args]])),
  };
  fs.writeFileSync(path.join(dir, 'case.json'), JSON.stringify(info, null, 2) + '\n');
  console.log(path.basename(dir));
}

const wanted = (name) => !filters.length || filters.some((f) => name.includes(f));
CASES.forEach((c, i) => wanted(c.name) && makeCase(c, i));
