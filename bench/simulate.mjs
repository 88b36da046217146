// `berth cluster simulate` beside `crm_simulate --simulate` on the same CIB: 20 nodes, 500 bundles
// (1-3 replicas each), 250 colocations and 250 orders between them, every node online, a third of
// the replicas already running (so the transition moves and starts some). Wall time of the whole
// command, median of a few runs each, interleaved. Goal: ours <= 0.25 x crm_simulate.
// Env: NODES, BUNDLES, RUNS, REF_RUNS (defaults 20, 500, 3, 1), REF_TIMEOUT_S (default 1800):
// crm_simulate takes far longer than berth at this size (over 40 CPU minutes on this 2-core
// machine); stopped at the limit, its time is printed as a lower bound and the ratio as an upper
// bound, and said so.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { berth, finalLine, median, timeRun } from './lib.mjs';

const NODES = Number(process.env.NODES ?? 20);
const BUNDLES = Number(process.env.BUNDLES ?? 500);
const RUNS = Number(process.env.RUNS ?? 3);
const REF_RUNS = Number(process.env.REF_RUNS ?? 1);
const REF_TIMEOUT_S = Number(process.env.REF_TIMEOUT_S ?? 1800);
let refStopped = false;

function cibXml() {
  const nodes = [];
  const states = [];
  const lrm = Array.from({ length: NODES }, () => []);
  for (let n = 1; n <= NODES; n++) nodes.push(`<node id="${n}" uname="node${n}"/>`);
  const bundles = [];
  const constraints = [];
  let call = 10;
  for (let b = 0; b < BUNDLES; b++) {
    const replicas = 1 + (b % 3);
    bundles.push(`<bundle id="b${b}"><docker image="registry.example.com/app${b % 7}:1" replicas="${replicas}" replicas-per-host="1"/></bundle>`);
    // A third of the bundles already run, spread over the nodes.
    if (b % 3 === 0) {
      for (let i = 0; i < replicas; i++) {
        const node = (b + i * 7) % NODES;
        lrm[node].push(`<lrm_resource id="b${b}-docker-${i}" class="ocf" provider="heartbeat" type="docker"><lrm_rsc_op id="b${b}-docker-${i}_last_0" operation_key="b${b}-docker-${i}_start_0" operation="start" crm-debug-origin="bench" crm_feature_set="3.16.1" transition-key="1:0:0:00000000-0000-0000-0000-000000000000" transition-magic="0:0;1:0:0:00000000-0000-0000-0000-000000000000" exit-reason="" on_node="node${node + 1}" call-id="${call++}" rc-code="0" op-status="0" interval="0" last-rc-change="1700000000" exec-time="10" queue-time="0" op-digest="00000000000000000000000000000000"/></lrm_resource>`);
      }
    }
    if (b > 0 && b % 2 === 0) constraints.push(`<rsc_colocation id="c${b}" rsc="b${b}" with-rsc="b${b - 1}" score="${b % 4 === 0 ? 'INFINITY' : '100'}"/>`);
    if (b % 2 === 1 && b + 1 < BUNDLES) constraints.push(`<rsc_order id="o${b}" first="b${b}" then="b${b + 1}" kind="Optional"/>`);
  }
  for (let n = 1; n <= NODES; n++) {
    states.push(`<node_state id="${n}" uname="node${n}" in_ccm="true" crmd="online" join="member" expected="member" crm-debug-origin="bench"><lrm id="${n}"><lrm_resources>${lrm[n - 1].join('')}</lrm_resources></lrm></node_state>`);
  }
  return `<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="5" num_updates="0" admin_epoch="0" have-quorum="1" dc-uuid="1">
<configuration><crm_config><cluster_property_set id="cib-bootstrap-options"><nvpair id="o-stonith" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
<nodes>${nodes.join('')}</nodes><resources>${bundles.join('')}</resources><constraints>${constraints.join('')}</constraints></configuration>
<status>${states.join('')}</status></cib>
`;
}

const dir = mkdtempSync(join(tmpdir(), 'berth-simulate-bench-'));
const file = join(dir, 'cib.xml');
writeFileSync(file, cibXml());
console.log(`${NODES} nodes, ${BUNDLES} bundles, a third running; berth ${RUNS} runs, crm_simulate ${REF_RUNS}, interleaved`);
const ours = [], ref = [];
const env = { ...process.env, TZ: 'UTC', LC_ALL: 'C.UTF-8' };
timeRun(berth, ['-f', file, 'cluster', 'simulate'], { allowFail: true }); // warm the page and code caches
for (let i = 0; i < RUNS; i++) {
  const o = timeRun(berth, ['-f', file, 'cluster', 'simulate', '--json'], { allowFail: true, maxBuffer: 1 << 28 });
  if (o.r.status !== 1) throw new Error(`berth cluster simulate: exit ${o.r.status}: ${o.r.stderr.slice(0, 2000)}`);
  ours.push(o.ms);
  if (i >= REF_RUNS) continue;
  const p = timeRun('crm_simulate', ['--xml-file', file, '--simulate'], { env, maxBuffer: 1 << 28, timeout: REF_TIMEOUT_S * 1000, killSignal: 'SIGKILL', allowFail: true });
  if (p.r.signal === 'SIGKILL' || p.r.error) {
    refStopped = true;
    ref.push(REF_TIMEOUT_S * 1000);
    console.log(`crm_simulate did not finish within ${REF_TIMEOUT_S} s (stopped): its time below is a lower bound, the ratio an upper bound`);
    continue;
  }
  if (p.r.status !== 0) throw new Error(`crm_simulate failed (${p.r.status}): ${p.r.stderr.slice(0, 2000)}`);
  ref.push(p.ms);
  if (i === 0) {
    const actions = JSON.parse(o.r.stdout).actions.length;
    const theirs = (p.r.stdout.match(/^\s+\* (Start|Stop|Move|Recover|Restart)\s/gm) ?? []).length;
    console.log(`transition: berth ${actions} actions, crm_simulate ${theirs} lines (its Restart lines come from the synthesized history)`);
  }
}
console.log(`berth cluster simulate: median ${median(ours).toFixed(0)} ms (min ${Math.min(...ours).toFixed(0)})`);
console.log(`crm_simulate --simulate: median ${refStopped ? 'more than ' : ''}${median(ref).toFixed(0)} ms (min ${Math.min(...ref).toFixed(0)})`);
finalLine('simulate', 'ms', median(ours), median(ref));
