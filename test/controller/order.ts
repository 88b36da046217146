// Order constraints through the one pass, on in-memory nodes: db and web on different nodes, web's
// create held until db's container runs; stops in reverse; the next pass takes what waited.
import t from 'tap';
import { fakeCluster, runningCopies } from '../helpers/fake-nodes';
import { startController } from '../../src/controller/daemon';
import { until } from '../helpers/wait';
import type { PassResult } from '../../src/controller/pass';

interface Knobs {
  /** replicas of each bundle (default 1) */
  replicas?: Record<string, number>;
  meta?: Record<string, Record<string, string>>;
  /** node each bundle is kept on (rsc_location INFINITY) */
  on?: Record<string, string>;
  order?: string;
}

const BUNDLES = ['db', 'web'];

function cibXml(names: string[], k: Knobs, epoch: number): string {
  const nodes = names.map((n, i) => `<node id="${i + 1}" uname="${n}"/>`).join('');
  const bundles = BUNDLES.map((b) => {
    const meta = Object.entries(k.meta?.[b] ?? {}).map(([x, v]) => `<nvpair id="${b}-m-${x}" name="${x}" value="${v}"/>`).join('');
    return `<bundle id="${b}"><docker image="berth-test/${b}:1" replicas="${k.replicas?.[b] ?? 1}" replicas-per-host="2"/>${meta ? `<meta_attributes id="${b}-m">${meta}</meta_attributes>` : ''}</bundle>`;
  }).join('');
  const loc = Object.entries(k.on ?? {}).map(([b, n]) => `<rsc_location id="loc-${b}" rsc="${b}" node="${n}" score="INFINITY"/>`).join('');
  return `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="${epoch}" num_updates="0" admin_epoch="0"><configuration>`
    + `<crm_config/><nodes>${nodes}</nodes><resources>${bundles}</resources>`
    + `<constraints>${loc}${k.order ?? ''}</constraints></configuration><status/></cib>`;
}

/** Each node's actions of a pass as "node: kind replica", and every waiting note's message. */
function actions(r: PassResult): string[] {
  return r.nodes.flatMap((n) => [...n.plan.create, ...n.plan.start, ...n.plan.stop, ...n.plan.remove].map((a) => `${n.node}: ${a.kind} ${a.replica}`)).sort();
}
const waits = (r: PassResult) => r.nodes.flatMap((n) => n.plan.waiting.map((w) => `${n.node}: ${w.message}`)).sort();

function running(c: ReturnType<typeof fakeCluster>): string[] {
  return c.nodes.flatMap((n) => [...n.containers.values()].filter((x) => x.state === 'running').map((x) => `${n.name}: ${x.bundle}-${x.replica}`)).sort();
}

t.test('CIB problems: an order the pass takes is no longer "not honoured"', async (t) => {
  const c = fakeCluster(['n1', 'n2']);
  c.setCib(cibXml(['n1', 'n2'], { on: { db: 'n1', web: 'n2' }, order: '<rsc_order id="o1" first="db" then="web"/>' }, 1));
  const r = await c.pass(false);
  t.strictSame(r.cibProblems.filter((p) => p.severity === 'error'), []);
  t.strictSame(r.problems.map((p) => p.code), []);
  t.strictSame(r.model?.orders.map((o) => `${o.firstAction} ${o.first.join('|')} then ${o.thenAction} ${o.then}${o.inverse ? ' (inverse)' : ''}`), ['start db then start web', 'stop web then stop db (inverse)']);
});

t.test('start db then start web, on different nodes: web waits across passes; stops in reverse', async (t) => {
  const names = ['n1', 'n2'];
  const c = fakeCluster(names);
  const base: Knobs = { on: { db: 'n1', web: 'n2' }, order: '<rsc_order id="o1" first="db" then="web"/>' };
  c.setCib(cibXml(names, base, 1));
  let r = await c.pass();
  t.strictSame(actions(r), ['n1: create db-0'], 'pass 1: db only');
  t.strictSame(waits(r), ['n2: start web-0 after db-0 is started (order o1)']);
  const w = r.nodes.find((n) => n.node === 'n2')!.plan.waiting[0];
  t.strictSame(w.order, { constraint: 'o1', action: 'start', after: [{ bundle: 'db', replica: 'db-0', action: 'start' }] }, 'the wait as data');
  t.strictSame(running(c), ['n1: db-0']);
  r = await c.pass();
  t.strictSame(actions(r), ['n2: create web-0'], 'pass 2: web, db being up');
  t.strictSame(waits(r), []);
  t.strictSame(running(c), ['n1: db-0', 'n2: web-0']);
  r = await c.pass();
  t.strictSame(actions(r), [], 'converged');

  // both stopped: web stops first, db after it
  c.setCib(cibXml(names, { ...base, meta: { db: { 'target-role': 'Stopped' }, web: { 'target-role': 'Stopped' } } }, 2));
  r = await c.pass();
  t.strictSame(actions(r), ['n2: stop web-0']);
  t.strictSame(waits(r), ['n1: stop db-0 after web-0 is stopped (order o1)']);
  t.strictSame(running(c), ['n1: db-0']);
  r = await c.pass();
  t.strictSame(actions(r), ['n1: stop db-0']);
  t.strictSame(running(c), []);
});

t.test('Mandatory: web does not start while db cannot (target-role=Stopped); Optional: it does', async (t) => {
  const names = ['n1', 'n2'];
  for (const [kind, expected] of [['Mandatory', []], ['Optional', ['n2: create web-0']]] as const) {
    const c = fakeCluster(names);
    c.setCib(cibXml(names, { on: { db: 'n1', web: 'n2' }, meta: { db: { 'target-role': 'Stopped' } }, order: `<rsc_order id="o1" first="db" then="web" kind="${kind}"/>` }, 1));
    const r = await c.pass();
    t.strictSame(actions(r), expected, kind);
    t.strictSame(waits(r), kind === 'Mandatory' ? ['n2: start web-0 after db is started: db has no replica that runs or can start (order o1)'] : [], kind);
  }
});

t.test('every web replica waits for every db replica, with interleave too (Pacemaker 2.1.5 keeps the bundles\' order)', async (t) => {
  const names = ['n1', 'n2'];
  for (const [interleave, wait] of [[false, /start web-\d after every db replica is started \(order o1\)$/], [true, /start web-\d after every db replica is started \(order o1, interleave\)$/]] as const) {
    const c = fakeCluster(names);
    const k: Knobs = { replicas: { db: 2, web: 2 }, meta: { web: { interleave: String(interleave) } }, order: '<rsc_order id="o1" first="db" then="web"/>' };
    c.setCib(cibXml(names, k, 1));
    let r = await c.pass();
    t.strictSame(actions(r), ['n1: create db-0', 'n2: create db-1'], `interleave=${interleave}: pass 1`);
    t.equal(waits(r).length, 2);
    for (const x of waits(r)) t.match(x, wait, `interleave=${interleave}`);
    r = await c.pass();
    t.strictSame(actions(r).map((a) => a.replace(/n\d: /, '')).sort(), ['create web-0', 'create web-1'], `interleave=${interleave}: pass 2`);
  }
});

t.test('db on n2 then web on n1: two passes, as a simple order and as a sequential set', async (t) => {
  const names = ['n1', 'n2'];
  for (const order of [
    '<rsc_order id="o1" first="db" then="web"/>',
    '<rsc_order id="s"><resource_set id="s-1"><resource_ref id="db"/><resource_ref id="web"/></resource_set></rsc_order>',
  ]) {
    const c = fakeCluster(names);
    c.setCib(cibXml(names, { on: { db: 'n2', web: 'n1' }, order }, 1));
    let r = await c.pass();
    t.strictSame(actions(r), ['n2: create db-0']);
    r = await c.pass();
    t.strictSame(actions(r), ['n1: create web-0']);
  }
});

t.test('berth plan shows the waits; plan --json carries them as data', async (t) => {
  const { formatPlan, planJson } = await import('../../src/reconcile/summary');
  const names = ['n1', 'n2'];
  const c = fakeCluster(names);
  c.setCib(cibXml(names, { on: { db: 'n1', web: 'n2' }, order: '<rsc_order id="o1" first="db" then="web"/>' }, 1));
  const r = await c.pass(false);
  const n2 = r.nodes.find((n) => n.node === 'n2')!.plan;
  t.match(formatPlan(n2), /~ waiting +web-0 +start web-0 after db-0 is started \(order o1\)\n/);
  t.strictSame((planJson(n2).waiting as unknown[])[0], { bundle: 'web', replica: 'web-0', message: 'start web-0 after db-0 is started (order o1)', order: { constraint: 'o1', action: 'start', after: [{ bundle: 'db', replica: 'db-0', action: 'start' }] } });
  t.equal(planJson(n2).converged, true, 'nothing to do on n2 this pass');
});

t.test('the order command refuses promote on bundles; nothing is written', async (t) => {
  const { parseCib } = await import('../../src/cib/cib');
  const { constraintOrder } = await import('../../src/commands/constraint');
  const cib = parseCib(cibXml(['n1'], {}, 1));
  const before = JSON.stringify(cib);
  let thrown: unknown;
  try { constraintOrder({ cib, args: ['promote', 'db', 'then', 'start', 'web'], flags: {} } as never); } catch (e) { thrown = e; }
  t.match(thrown, { problems: [{ code: 'CONSTRAINT_NOT_SUPPORTED', path: "/cib/configuration/constraints/rsc_order[@id='order-db-web-mandatory']/@first-action", value: 'promote', allowed: 'start or stop; berth does not order promote or demote yet' }] });
  t.equal(JSON.stringify(cib), before, 'the CIB is unchanged');
});

t.test('the loop runs the graph by itself: work waiting makes it pass again soon (resync 60 s)', async (t) => {
  const names = ['n1', 'n2', 'n3'];
  const c = fakeCluster(names);
  c.setCib(cibXml(names, { on: { db: 'n1', web: 'n3' }, replicas: { db: 1, web: 1 }, order: `<rsc_order id="s"><resource_set id="s-1"><resource_ref id="db"/><resource_ref id="web"/></resource_set></rsc_order>` }, 1));
  // what runs when each container is created: web-0's create must find db-0 running
  const atCreate: [string, string[]][] = [];
  for (const n of c.nodes) {
    const create = n.deps.engine.create.bind(n.deps.engine);
    n.deps.engine.create = async (spec) => { atCreate.push([spec.name, [...runningCopies(c.nodes).keys()].sort()]); return create(spec); };
  }
  const controller = startController(c.deps, { log: () => {}, resyncMs: 60_000, busyMs: 100 });
  t.teardown(() => controller.stop());
  await until('db and web run', () => runningCopies(c.nodes).size === 2, 5000);
  t.strictSame(atCreate, [['db-0', []], ['web-0', ['db-0']]], 'db created first; web created once db-0 runs');
  t.strictSame([...runningCopies(c.nodes)].sort(), [['db-0', ['n1']], ['web-0', ['n3']]]);
});

// The cascade through the one pass: a Mandatory order stops web when db cannot run and restarts
// it when db restarts (test/fixtures/crm_simulate/89-98 hold the same against Pacemaker).
const converged = async (c: ReturnType<typeof fakeCluster>) => { for (let i = 0; i < 4; i++) await c.pass(); };

t.test('db\'s container fails: web stops, db starts again, web starts; then nothing more (no loop, no failure counted for web)', async (t) => {
  const names = ['n1', 'n2'];
  const c = fakeCluster(names);
  const base: Knobs = { on: { db: 'n1', web: 'n2' }, order: '<rsc_order id="o1" first="db" then="web"/>' };
  c.setCib(cibXml(names, base, 1));
  await converged(c);
  t.strictSame(running(c), ['n1: db-0', 'n2: web-0']);
  for (const x of c.node('n1').containers.values()) { x.state = 'exited'; x.status = 'Exited (1)'; }
  let r = await c.pass();
  t.strictSame(actions(r), ['n2: stop web-0'], 'pass 1: web stops first');
  const stop = r.nodes.find((n) => n.node === 'n2')!.plan.stop[0];
  t.equal(stop.reason, 'restarts because db-0 restarts (order o1, Mandatory)');
  t.strictSame(stop.order, { constraint: 'o1', restart: true, because: [{ bundle: 'db', replica: 'db-0', action: 'start' }] }, 'the cascade as data');
  t.strictSame(waits(r), [
    'n1: start db-0 after web-0 is stopped: it restarts with it (order o1, Mandatory)',
    'n2: start web-0 after db-0 is started and web-0 is stopped: it restarts (order o1, Mandatory)',
  ]);
  r = await c.pass();
  t.strictSame(actions(r), ['n1: start db-0'], 'pass 2: db starts');
  t.strictSame(waits(r), ['n2: start web-0 after db-0 is started (order o1)']);
  r = await c.pass();
  t.strictSame(actions(r), ['n2: start web-0'], 'pass 3: web starts after db');
  t.match(r.nodes.find((n) => n.node === 'n2')!.plan.start[0].reason, /^the container is stopped$/, 'berth stopped web: its exit is no failure');
  r = await c.pass();
  t.strictSame(actions(r), [], 'converged: the restarted web does not cascade again');
  t.strictSame(running(c), ['n1: db-0', 'n2: web-0']);
});

t.test('db disabled: web stops before db, then stays stopped (held) while db cannot run', async (t) => {
  const { formatPlan } = await import('../../src/reconcile/summary');
  const names = ['n1', 'n2'];
  const c = fakeCluster(names);
  const base: Knobs = { on: { db: 'n1', web: 'n2' }, order: '<rsc_order id="o1" first="db" then="web"/>' };
  c.setCib(cibXml(names, base, 1));
  await converged(c);
  c.setCib(cibXml(names, { ...base, meta: { db: { 'target-role': 'Stopped' } } }, 2));
  let r = await c.pass();
  t.strictSame(actions(r), ['n2: stop web-0']);
  t.match(formatPlan(r.nodes.find((n) => n.node === 'n2')!.plan), /\* stop +web-0 +db has no replica that runs or can start \(order o1, Mandatory\)\n/);
  t.strictSame(waits(r), ['n1: stop db-0 after web-0 is stopped (order o1)']);
  r = await c.pass();
  t.strictSame(actions(r), ['n1: stop db-0']);
  for (let i = 0; i < 2; i++) {
    r = await c.pass();
    t.strictSame(actions(r), [], 'nothing more');
    t.strictSame(waits(r), ['n2: start web-0 after db is started: db has no replica that runs or can start (order o1)']);
  }
  t.strictSame(running(c), []);
});

t.test('symmetrical=false and Optional: web keeps running while db stops', async (t) => {
  const names = ['n1', 'n2'];
  for (const extra of ['symmetrical="false"', 'kind="Optional"']) {
    const c = fakeCluster(names);
    const base: Knobs = { on: { db: 'n1', web: 'n2' }, order: `<rsc_order id="o1" first="db" then="web" ${extra}/>` };
    c.setCib(cibXml(names, base, 1));
    await converged(c);
    c.setCib(cibXml(names, { ...base, meta: { db: { 'target-role': 'Stopped' } } }, 2));
    const r = await c.pass();
    t.strictSame(actions(r), ['n1: stop db-0'], extra);
  }
});

t.test('db\'s node cannot be observed (suspect): web is not restarted for what may still run there', async (t) => {
  const names = ['n1', 'n2', 'n3'];
  const c = fakeCluster(names);
  const base: Knobs = { order: '<rsc_order id="o1" first="db" then="web"/>' };
  c.setCib(cibXml(names, base, 1));
  await converged(c);
  const dbNode = c.nodes.find((n) => [...n.containers.values()].some((x) => x.bundle === 'db'))!.name;
  c.state.set(dbNode, 'suspect');
  const r = await c.pass();
  t.strictSame(actions(r).filter((a) => a.includes('web')), [], 'web keeps running');
});
