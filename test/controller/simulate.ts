// `berth cluster simulate` against the real crm_simulate (Pacemaker 2.1.5) on every fixture of
// test/fixtures/crm_simulate: the cluster it reads from the CIB's <status> is the one crm_simulate
// read (nodes, running replicas); its placement is the scheduler's (which test/scheduler/
// crm-simulate.ts holds to Pacemaker's, with its documented differences); its transition has the
// same Start / Stop / Move of each replica's container as crm_simulate's Transition Summary
// wherever the placement is the same. Then node failures through the real crm_simulate, and the
// command line.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseCib } from '../../src/cib/cib';
import { XmlElement, child, elements, parseXml } from '../../src/cib/xml';
import { pacemakerView as view } from '../helpers/crm-simulate-view';
import { simulate, TransitionAction } from '../../src/controller/simulate';
import { readModel } from '../../src/model/model';
import { nodeStates } from '../../src/scheduler/nodes';
import { parseRuleDate, placeModel } from '../../src/scheduler/placement';
import { main } from '../../src/cli/main';
import type { Io } from '../../src/cli/invocation';

const dir = path.join(__dirname, '..', 'fixtures', 'crm_simulate');
const cases = fs.readdirSync(dir).filter((d) => /^\d\d-/.test(d) && fs.existsSync(path.join(dir, d, 'case.json'))).sort();
const hasCrmSimulate = spawnSync('crm_simulate', ['--version']).status === 0;

/** The container actions of crm_simulate's Transition Summary (Restart "due to resource definition change" is not one:
 * the fixtures' synthesized history has no op digests, see their README; a Restart an order asks
 * for is). */
function containerActions(text: string): string[] {
  const out: string[] = [];
  const summary = text.slice(text.indexOf('Transition Summary:'), text.indexOf('Executing Cluster Transition:') >= 0 ? text.indexOf('Executing Cluster Transition:') : undefined);
  for (const m of summary.matchAll(/^\s+\* (Start|Stop|Move|Recover|Restart)\s+(\S+)-docker-(\d+)\s+\(\s*(\S+)(?:\s+->\s+(\S+))?\s*\)(.*)$/gm)) {
    if (m[6].includes('due to resource definition change')) continue;
    const replica = `${m[2]}-${m[3]}`;
    out.push(m[1] === 'Move' ? `move ${replica} ${m[4]}->${m[5]}` : `${m[1].toLowerCase()} ${replica} ${m[4]}`);
  }
  return out.sort();
}

const ours = (actions: TransitionAction[]) => actions.map((a) => (a.action === 'move' ? `move ${a.replica} ${a.from}->${a.to}` : `${a.action} ${a.replica} ${a.node}`)).sort();
const sorted = (m: ReadonlyMap<string, string>) => Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : 1)));
const NO_CHANGES = { up: [], down: [], fail: [], opFail: [] };

/** Transitions berth makes differently on purpose, with the same placement: why, and berth's own
 * (asserted both ways). */
const TRANSITION_DIFFERENCES: Record<string, { why: string; berth: string[] }> = {
  '99-order-stop-then-stop': { why: 'a stop-then-stop order cascades nothing in berth (Pacemaker restarts web because db stops; see test/scheduler/crm-simulate-order.ts)', berth: ['stop db-0 node2'] },
};

t.ok(cases.length >= 40, `${cases.length} crm_simulate cases`);
let sameTransitions = 0;
let differentPlacements = 0;

for (const name of cases) {
  t.test(name, async (t) => {
    const file = (f: string) => fs.readFileSync(path.join(dir, name, f), 'utf8');
    const info = JSON.parse(file('case.json')) as { now?: string };
    const now = info.now === undefined ? Date.parse('2026-01-01T00:00:00Z') : parseRuleDate(info.now)!;
    const cib = parseCib(file('cib.xml'));
    const result = parseXml(file('crm_simulate.xml'));
    const before = view(child(result, 'cluster_status')!);
    const after = view(child(result, 'revised_cluster_status')!);
    const sim = simulate(cib, { ...NO_CHANGES, now });

    t.strictSame(Object.fromEntries(sim.nodes.map((n) => [n.name, n.before !== 'offline'])), Object.fromEntries([...before.nodes].map(([n, st]) => [n, st.online])), 'the node states crm_simulate read');
    t.strictSame(Object.fromEntries(sim.before.map((r) => [r.replica, r.node]).sort(([a], [b]) => (a < b ? -1 : 1))), sorted(before.replicas), 'the running replicas crm_simulate read');
    // The placement is the scheduler's, on the same input (the pass's own step).
    const model = readModel(cib);
    const direct = placeModel(model, { nodes: nodeStates(model.nodes, new Set([...before.nodes].filter(([, st]) => st.online).map(([n]) => n))), current: sim.before.map((r) => ({ bundle: r.bundle, index: Number(r.replica.slice(r.bundle.length + 1)), node: r.node })), now });
    // ... less the replicas an order stops because their first cannot run (the pass holds them)
    const orderStops = new Set(sim.actions.filter((a) => a.action === 'stop' && / \(order \S+, Mandatory/.test(a.reason)).map((a) => a.replica));
    t.strictSame(sorted(sim.after), sorted(new Map([...direct.placements].filter(([r]) => !orderStops.has(r)))), "the controller's placement step");
    if (JSON.stringify(sorted(sim.after)) === JSON.stringify(sorted(after.replicas))) {
      const diff = TRANSITION_DIFFERENCES[name];
      if (diff) {
        t.notSame(ours(sim.actions), containerActions(file('crm_simulate.txt')), `differs on purpose: ${diff.why}`);
        t.strictSame(ours(sim.actions), diff.berth, "berth's own transition");
      } else {
        t.strictSame(ours(sim.actions), containerActions(file('crm_simulate.txt')), "crm_simulate's transition");
        sameTransitions++;
      }
    } else {
      differentPlacements++;
      t.comment('placement differs on purpose (test/scheduler/crm-simulate.ts documents why): the transition is not compared');
    }
  });
}

t.test('most transitions are compared', async (t) => {
  t.ok(sameTransitions >= cases.length - 5, `${sameTransitions} of ${cases.length} transitions equal crm_simulate's (${differentPlacements} placements differ on purpose)`);
});

// Node failures and downs: the real crm_simulate with the same change on the same CIB.
const CHANGES: { fixture: string; flag: 'fail' | 'down'; node: string }[] = [
  { fixture: '01-spread-three-nodes', flag: 'fail', node: 'node1' },
  { fixture: '28-failover-keeps-survivors', flag: 'fail', node: 'node3' },
  { fixture: '09-node-returns-sticky-bundle', flag: 'down', node: 'node1' },
  { fixture: '15-ban-moves-running', flag: 'fail', node: 'node1' },
  { fixture: '19-two-bundles-share-load', flag: 'down', node: 'node2' },
];

t.test('a node that fails or goes down: the same as crm_simulate --node-fail / --node-down', { skip: !hasCrmSimulate && 'crm_simulate is not installed' }, async (t) => {
  for (const c of CHANGES) {
    const at = path.join(dir, c.fixture);
    if (!fs.existsSync(at)) { t.fail(`${c.fixture} is missing`); continue; }
    const r = spawnSync('crm_simulate', ['--xml-file', 'cib.xml', '--simulate', `--node-${c.flag}=${c.node}`, '--output-as=xml'], { cwd: at, encoding: 'utf8', env: { ...process.env, TZ: 'UTC', LC_ALL: 'C.UTF-8' } });
    t.equal(r.status, 0, `${c.fixture}: crm_simulate ran`);
    const theirs = view(child(parseXml(r.stdout), 'revised_cluster_status')!).replicas;
    const sim = simulate(parseCib(fs.readFileSync(path.join(at, 'cib.xml'), 'utf8')), { ...NO_CHANGES, [c.flag]: [c.node], now: Date.parse('2026-01-01T00:00:00Z') });
    t.strictSame(sorted(sim.after), sorted(theirs), `${c.fixture} --node-${c.flag} ${c.node}: same placement`);
    const text = spawnSync('crm_simulate', ['--xml-file', 'cib.xml', '--simulate', `--node-${c.flag}=${c.node}`], { cwd: at, encoding: 'utf8', env: { ...process.env, TZ: 'UTC', LC_ALL: 'C.UTF-8' } }).stdout;
    t.strictSame(ours(sim.actions), containerActions(text), `${c.fixture} --node-${c.flag} ${c.node}: same transition`);
  }
});

async function berth(argv: string[]) {
  let out = '';
  let err = '';
  const io: Io = { out: (s) => { out += s; }, err: (s) => { err += s; } };
  return { code: await main(argv, io), out, err };
}

t.test('the command: text, JSON, exit codes, bad input', async (t) => {
  const cib = path.join(dir, '09-node-returns-sticky-bundle', 'cib.xml');
  const before = fs.readFileSync(cib, 'utf8');
  const quiet = await berth(['-f', cib, 'cluster', 'simulate']);
  t.equal(quiet.code, 0, 'nothing to do: exit 0');
  t.match(quiet.out, /Transition Summary:\n {2}\(nothing to do\)/);
  const fail = await berth(['-f', cib, 'cluster', 'simulate', '--node-fail', 'node1', '--show-scores']);
  t.equal(fail.code, 1, 'actions: exit 1');
  t.match(fail.out, /Failing node node1/);
  t.match(fail.out, /\* Start\s+web-0\s+\( node[23] \)\s+it ran on node1, which is fenced/);
  t.match(fail.out, /web-0 allocation score on node1: -INFINITY/);
  const j = await berth(['-f', cib, 'cluster', 'simulate', '--node-down=node2', '--node-down', 'node3', '--json']);
  t.equal(j.code, 0, 'web-1 goes with node2 and has no place left: nothing to do');
  const data = JSON.parse(j.out) as { actions: TransitionAction[]; after: Record<string, string>; nodes: { name: string; after: string }[]; unplaced: { replica: string }[] };
  t.strictSame(data.nodes.filter((n) => n.after === 'offline').map((n) => n.name), ['node2', 'node3'], 'a comma list and a repeated flag');
  t.ok(Object.values(data.after).every((n) => n === 'node1'), 'everything left runs on node1');
  t.strictSame(data.unplaced.map((u) => u.replica), ['web-1']);
  const one = JSON.parse((await berth(['-f', cib, 'cluster', 'simulate', '--node-down', 'node2', '--json'])).out) as { actions: TransitionAction[] };
  t.strictSame(one.actions.map((a) => `${a.action} ${a.replica}`), ['start web-1'], 'node2 down: web-1 starts elsewhere, as crm_simulate says');
  const op = await berth(['-f', cib, 'cluster', 'simulate', '--op-fail', 'web-docker-0_monitor_30000@node1=7', '--json']);
  const opData = JSON.parse(op.out) as { actions: TransitionAction[] };
  t.strictSame(opData.actions.map((a) => a.action), ['recover'], 'below migration-threshold a failed monitor recovers in place');
  const bad: [string[], RegExp][] = [
    [['--node-fail', 'node9'], /'node9' is not a node of the CIB/],
    [['--op-fail', 'web-0_stop_0@node1=1'], /'stop' failures are not simulated/],
    [['--op-fail', 'nope'], /is not an operation failure/],
    [['--op-fail', 'db-0_start_0@node1=1'], /'db-0' is not a replica/],
    [['--set-datetime', 'yesterday'], /'yesterday' is not a date and time/],
    [['extra'], /unexpected argument 'extra'/],
  ];
  for (const [args, says] of bad) {
    const r = await berth(['-f', cib, 'cluster', 'simulate', ...args]);
    t.equal(r.code, 2, `${args.join(' ')}: exit 2`);
    t.match(r.err, says);
  }
  t.equal(fs.readFileSync(cib, 'utf8'), before, 'the CIB is only read');
});

t.test('migration-threshold: a replica that failed as often as it allows moves, as the controller bans it', async (t) => {
  const cib = parseCib(fs.readFileSync(path.join(dir, '09-node-returns-sticky-bundle', 'cib.xml'), 'utf8'));
  const bundle = elements(child(child(cib, 'configuration')!, 'resources')!, 'bundle')[0];
  const meta = elements(bundle, 'meta_attributes')[0];
  t.ok(meta, 'the bundle has meta attributes');
  meta.children.push({ tag: 'nvpair', attrs: { id: 'web-mt', name: 'migration-threshold', value: '2' }, children: [] } as unknown as XmlElement);
  const running = simulate(cib, { ...NO_CHANGES, now: 0 }).before.find((r) => r.replica === 'web-0');
  t.ok(running, 'web-0 runs');
  if (!running) return;
  const once = { spec: 'x', bundle: 'web', index: 0, operation: 'monitor', node: running.node, rc: 7 };
  t.strictSame(simulate(cib, { ...NO_CHANGES, opFail: [once], now: 0 }).actions.map((a) => a.action), ['recover'], 'one failure of two: recovered in place');
  const twice = simulate(cib, { ...NO_CHANGES, opFail: [once, once], now: 0 });
  t.strictSame(twice.actions.map((a) => a.action), ['move'], 'two of two: moved');
  t.match(twice.actions[0].action === 'move' ? twice.actions[0].reason : '', /migration-threshold=2/);
  t.match(twice.bans[0].reason, /migration-threshold=2/);
});
