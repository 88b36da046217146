// berth's placement against the real Pacemaker 2.1.5 scheduler on random clusters of colocated
// bundles (not only the hand-picked fixtures of crm-simulate.ts): 2-6 nodes (some offline or in
// standby, a rack attribute), 2-4 bundles (replicas, replicas-per-host, addresses, stickiness,
// priority, now and then stopped), colocations (±INFINITY, finite, node-attribute, influence=false, resource sets),
// location constraints, an asymmetric cluster now and then, replicas already running. Each CIB
// goes through `crm_simulate --simulate --output-as=xml` and `--run --show-scores`, and through
// berth with Pacemaker's own choices (keepRunning and strictAntiColocation off): the same
// placement, the same allocation scores. CIBs validation refuses (loops) are counted, not run.
// Needs crm_simulate (Pacemaker 2.1.5); without it this is a reported skip.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCib } from '../../src/cib/cib';
import { XmlElement, child, elements, parseXml } from '../../src/cib/xml';
import { readModel } from '../../src/model/model';
import { readNodes } from '../../src/model/nodes';
import { INFINITY } from '../../src/model/score';
import { nodeStates } from '../../src/scheduler/nodes';
import { placeReplicasWithScores, placementConfig } from '../../src/scheduler/placement';
import { cibProblems } from '../../src/validate/cib-rules';
import { prng } from '../helpers/prng';

const version = spawnSync('crm_simulate', ['--version'], { encoding: 'utf8' });
const usable = version.status === 0 && /Pacemaker 2\.1\.5/.test(version.stdout);
const ROUNDS = 120;
const UTILIZATION_ROUNDS = 120;

interface Bundle { id: string; replicas: number; perHost: number; ip?: string; stick: number; prio: number; stopped: boolean }

/** One random cluster as a CIB with a <status> like scripts/crm-simulate-fixtures.mjs writes;
 * `utilization`: also a placement-strategy other than default, node capacities and an inner
 * primitive with utilization in each bundle (Pacemaker moves it to the containers; it needs the
 * bundle to have addresses: "Cannot control ... without either ip-range-start or control-port"). */
function randomCib(rnd: () => number, utilization = false): string {
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(a: T[]) => a[int(a.length)];
  const nodes = Array.from({ length: 2 + int(5) }, (_, i) => ({ name: `node${i + 1}`, state: int(7) === 0 ? 'offline' : int(7) === 0 ? 'standby' : 'online', rack: `r${int(2)}` }));
  const names = ['web', 'db', 'cache', 'api'].slice(0, 2 + int(3));
  const bundles: Bundle[] = names.map((id, k) => ({ id, replicas: 1 + int(3), perHost: 1 + int(2), ...(int(3) || utilization ? { ip: `192.168.${122 + k}.10` } : {}), stick: pick([0, 0, 50, 200]), prio: pick([0, 0, 0, 5]), stopped: int(8) === 0 }));
  const cons: string[] = [];
  const asymmetric = int(3) === 0;
  if (asymmetric) for (const b of bundles) for (const n of nodes) if (int(3)) cons.push(`<rsc_location id="a-${b.id}-${n.name}" rsc="${b.id}" node="${n.name}" score="${pick(['0', '10', 'INFINITY'])}"/>`);
  let id = 0;
  for (let k = int(3) + 1; k > 0; k--) {
    const d = pick(names);
    const p = pick(names);
    if (d === p) continue;
    cons.push(`<rsc_colocation id="c${id++}" rsc="${d}" with-rsc="${p}" score="${pick(['INFINITY', '-INFINITY', '100', '-100', '30'])}"${int(4) ? '' : ' node-attribute="rack"'}${int(5) ? '' : ' influence="false"'}/>`);
  }
  if (int(4) === 0) {
    const members = names.filter(() => int(2) === 0);
    if (members.length >= 2) cons.push(`<rsc_colocation id="s${id++}" score="${pick(['INFINITY', '-INFINITY', '40'])}"><resource_set id="set${id++}"${int(3) ? '' : ' sequential="false"'}>${members.map((m) => `<resource_ref id="${m}"/>`).join('')}</resource_set></rsc_colocation>`);
  }
  for (let k = int(3); k > 0; k--) cons.push(`<rsc_location id="l${id++}" rsc="${pick(names)}" node="${pick(nodes).name}" score="${pick(['INFINITY', '-INFINITY', '50', '-20', '200'])}"/>`);
  const running: [string, number, string][] = [];
  for (const b of bundles) for (let i = 0; i < b.replicas; i++) if (int(3) === 0) { const n = pick(nodes); if (n.state !== 'offline') running.push([b.id, i, n.name]); }

  const strategy = utilization ? pick(['utilization', 'balanced', 'minimal']) : undefined;
  const capacity = (id: string) => `<utilization id="${id}-u"><nvpair id="${id}-u-cpu" name="cpu" value="${int(7)}"/>${int(2) ? `<nvpair id="${id}-u-mem" name="mem" value="${int(5)}"/>` : ''}</utilization>`;
  const nodeUtil = nodes.map((n) => (utilization && int(6) ? capacity(n.name) : ''));
  const inner = (b: Bundle) => (utilization ? `<primitive id="${b.id}-app" class="ocf" provider="heartbeat" type="Dummy"><utilization id="${b.id}-app-u"><nvpair id="${b.id}-app-u-cpu" name="cpu" value="${1 + int(3)}"/>${int(3) ? '' : `<nvpair id="${b.id}-app-u-mem" name="mem" value="${int(3)}"/>`}</utilization></primitive>` : '');
  const bundleXml = bundles.map((b) => `<bundle id="${b.id}"><docker image="registry.example.com/${b.id}:1" replicas="${b.replicas}" replicas-per-host="${b.perHost}"/>`
    + (b.ip ? `<network ip-range-start="${b.ip}"><port-mapping port="80" id="${b.id}-pm"/></network>` : '') + inner(b)
    + `<meta_attributes id="${b.id}-meta"><nvpair id="${b.id}-meta-s" name="resource-stickiness" value="${b.stick}"/><nvpair id="${b.id}-meta-p" name="priority" value="${b.prio}"/>`
    + `${b.stopped ? `<nvpair id="${b.id}-meta-t" name="target-role" value="Stopped"/>` : ''}</meta_attributes></bundle>`).join('');
  const nodeXml = nodes.map((n, i) => `<node id="${i + 1}" uname="${n.name}"><instance_attributes id="na-${i}"><nvpair id="na-${i}-rack" name="rack" value="${n.rack}"/>${n.state === 'standby' ? `<nvpair id="na-${i}-sb" name="standby" value="on"/>` : ''}</instance_attributes>${nodeUtil[i]}</node>`).join('');
  const op = (rsc: string, node: string) => `<lrm_rsc_op id="${rsc}_last_0" operation_key="${rsc}_start_0" operation="start" crm-debug-origin="berth-test" crm_feature_set="3.16.1" transition-key="1:0:0:00000000-0000-0000-0000-000000000000" transition-magic="0:0;1:0:0:00000000-0000-0000-0000-000000000000" exit-reason="" on_node="${node}" call-id="1" rc-code="0" op-status="0" interval="0" last-rc-change="1700000000" exec-time="0" queue-time="0"/>`;
  const lrm = (rsc: string, type: string, node: string) => `<lrm_resource id="${rsc}" class="ocf" provider="heartbeat" type="${type}">${op(rsc, node)}</lrm_resource>`;
  const ipOf = (b: Bundle, i: number) => { const p = b.ip!.split('.').map(Number); return `${p[0]}.${p[1]}.${p[2]}.${p[3] + i}`; };
  const status = nodes.map((n, i) => {
    const attrs = n.state !== 'offline' ? 'in_ccm="true" crmd="online" join="member" expected="member"' : 'in_ccm="false" crmd="offline" join="down" expected="down"';
    const rs = running.filter((r) => r[2] === n.name).flatMap(([bid, idx]) => {
      const b = bundles.find((x) => x.id === bid)!;
      return [lrm(`${bid}-docker-${idx}`, 'docker', n.name), ...(b.ip ? [lrm(`${bid}-ip-${ipOf(b, idx)}`, 'IPaddr2', n.name)] : [])];
    }).join('');
    return `<node_state id="${i + 1}" uname="${n.name}" ${attrs} crm-debug-origin="berth-test">${rs ? `<lrm id="${i + 1}"><lrm_resources>${rs}</lrm_resources></lrm>` : ''}</node_state>`;
  }).join('');
  return `<cib have-quorum="1" crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="4" num_updates="0" admin_epoch="0"><configuration><crm_config><cluster_property_set id="o"><nvpair id="o-s" name="stonith-enabled" value="false"/>`
    + `${asymmetric ? '<nvpair id="o-a" name="symmetric-cluster" value="false"/>' : ''}${strategy ? `<nvpair id="o-ps" name="placement-strategy" value="${strategy}"/>` : ''}</cluster_property_set></crm_config><nodes>${nodeXml}</nodes><resources>${bundleXml}</resources>`
    + `<constraints>${cons.join('')}</constraints></configuration><status>${status}</status></cib>`;
}

/** Where each bundle replica's container runs in one of crm_simulate's status sections. */
function replicasIn(st: XmlElement): Map<string, string> {
  const m = new Map<string, string>();
  for (const b of elements(child(st, 'resources')!, 'bundle')) {
    for (const r of elements(b, 'replica')) {
      const d = elements(r, 'resource').find((x) => x.attrs.id === `${b.attrs.id}-docker-${r.attrs.id}`);
      if (d && d.attrs.active === 'true') m.set(`${b.attrs.id}-${r.attrs.id}`, elements(d, 'node')[0].attrs.name);
    }
  }
  return m;
}

const word = (v: number) => (v >= INFINITY ? 'INFINITY' : v <= -INFINITY ? '-INFINITY' : String(v));

const compare = (rounds: number, utilization: boolean) => async (t: Test) => {
  const ROUNDS = rounds;
  const dir = t.testdir({});
  const file = path.join(dir, 'cib.xml');
  const rnd = prng(utilization ? 20261207 : 20261206);
  let compared = 0;
  let refused = 0;
  const failures: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const xml = randomCib(rnd, utilization);
    const cib = parseCib(xml);
    if (cibProblems(cib).some((p) => p.severity === 'error')) { refused++; continue; }
    fs.writeFileSync(file, xml);
    const env = { ...process.env, TZ: 'UTC', LC_ALL: 'C.UTF-8' };
    const sim = spawnSync('crm_simulate', ['--xml-file', file, '--simulate', '--output-as=xml'], { encoding: 'utf8', env });
    const shown = spawnSync('crm_simulate', ['--xml-file', file, '--run', '--show-scores'], { encoding: 'utf8', env });
    const result = parseXml(sim.stdout);
    const before = replicasIn(child(result, 'cluster_status')!);
    const after = replicasIn(child(result, 'revised_cluster_status')!);
    const online = new Set(elements(child(child(result, 'cluster_status')!, 'nodes')!, 'node').filter((n) => n.attrs.online === 'true').map((n) => n.attrs.name));
    const current = [...before].map(([r, node]) => ({ bundle: r.slice(0, r.lastIndexOf('-')), index: Number(r.slice(r.lastIndexOf('-') + 1)), node }));
    const model = readModel(cib, { readFile: () => '', lookupEnv: () => undefined });
    const ours = placeReplicasWithScores({ ...placementConfig(model), nodes: nodeStates(readNodes(cib), online), current, keepRunning: false, strictAntiColocation: false });
    const theirScores = new Map<string, string>();
    // A bundle with a resource inside makes guest nodes (`web-0`, ...); a container's score on one
    // is -INFINITY (Pacemaker lists them only when it bans a stopped bundle's containers
    // everywhere). berth has no guest nodes: those lines are left out.
    const members = new Set(elements(child(child(result, 'cluster_status')!, 'nodes')!, 'node').filter((n) => n.attrs.type === 'member').map((n) => n.attrs.name));
    for (const m of shown.stdout.matchAll(/^pcmk__primitive_assign: (\S+)-docker-(\d+) allocation score on (\S+): (\S+)$/gm)) if (members.has(m[3]) || m[4] !== '-INFINITY') theirScores.set(`${m[1]}-${m[2]} on ${m[3]}`, m[4]);
    const ourScores = new Map<string, string>();
    for (const [r, m] of ours.scores.replicas) for (const [n, v] of m) ourScores.set(`${r} on ${n}`, word(v));
    const placementsDiffer = JSON.stringify([...after].sort()) !== JSON.stringify([...ours.placements].sort());
    const scoresDiffer = theirScores.size !== ourScores.size || [...theirScores].some(([k, v]) => ourScores.get(k) !== v);
    const onlyTheirs = [...theirScores.keys()].filter((k) => !ourScores.has(k));
    const onlyOurs = [...ourScores.keys()].filter((k) => !theirScores.has(k));
    if (placementsDiffer || scoresDiffer) failures.push(`round ${round}: only crm_simulate ${onlyTheirs.slice(0, 5)} only berth ${onlyOurs.slice(0, 5)}; crm_simulate ${JSON.stringify([...after].sort())}, berth ${JSON.stringify([...ours.placements].sort())}\n${xml}`);
    compared++;
  }
  t.strictSame(failures.slice(0, 2), [], `the same placements and allocation scores (${failures.length} of ${compared} differ)`);
  t.ok(compared >= ROUNDS * 0.8 && refused > 0, `${compared} clusters compared, ${refused} refused by validation (loops)`);
};

const skip = !usable && 'crm_simulate (Pacemaker 2.1.5) is not installed';
t.test(`${ROUNDS} random clusters of colocated bundles: the same as crm_simulate`, { skip }, compare(ROUNDS, false));
// placement-strategy utilization, balanced or minimal; capacities and the bundles' utilization random
t.test(`${UTILIZATION_ROUNDS} random clusters with utilization: the same as crm_simulate`, { skip }, compare(UTILIZATION_ROUNDS, true));
