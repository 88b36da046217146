// The ordering decisions, pure (src/scheduler/order.ts): which of a pass's starts and stops wait,
// for what, by kind, symmetry (stops in reverse), interleave, sets with require-all=false; and the
// cascade (orderCascade): which then replicas that run stop or restart because of first.
import t from 'tap';
import type { OrderPair } from '../../src/model/order';
import { OrderCandidate, OrderReplica, orderCascade, orderWaits } from '../../src/scheduler/order';

const pair = (over: Partial<OrderPair> = {}): OrderPair => ({ id: 'o', constraint: 'o', first: ['db'], anyOf: false, firstAction: 'start', then: 'web', thenAction: 'start', kind: 'Mandatory', requiresFirst: true, inverse: false, impliesThen: true, interleave: false, ...over });
const inverse = (over: Partial<OrderPair> = {}) => pair({ first: ['web'], firstAction: 'stop', then: 'db', thenAction: 'stop', requiresFirst: false, inverse: true, impliesThen: false, ...over });
/** a replica: up (running, ready), starting (placed, to start), stopping, or down; on a node */
const rep = (replica: string, state: 'up' | 'starting' | 'stopping' | 'down', node = 'n1'): OrderReplica => ({
  bundle: replica.replace(/-\d+$/, ''), replica,
  ...(state !== 'down' ? { placedOn: node } : {}),
  ...(state === 'up' || state === 'stopping' ? { runningOn: node } : {}),
  up: state === 'up', starting: state === 'starting', stopping: state === 'stopping',
});
const start = (replica: string, node = 'n1'): OrderCandidate => ({ bundle: replica.replace(/-\d+$/, ''), replica, node, action: 'start' });
const stop = (replica: string, node = 'n1'): OrderCandidate => ({ bundle: replica.replace(/-\d+$/, ''), replica, node, action: 'stop' });

interface Case { name: string; pairs: OrderPair[]; replicas: OrderReplica[]; candidates: OrderCandidate[]; waits: string[] }
const CASES: Case[] = [
  { name: 'Mandatory: web waits for db starting', pairs: [pair()], replicas: [rep('db-0', 'starting')], candidates: [start('web-0')], waits: ['start web-0 after db-0 is started (order o)'] },
  { name: 'Mandatory: db up, web goes', pairs: [pair()], replicas: [rep('db-0', 'up')], candidates: [start('web-0')], waits: [] },
  { name: 'Mandatory: db cannot start, web does not either', pairs: [pair()], replicas: [rep('db-0', 'down')], candidates: [start('web-0')], waits: ['start web-0 after db is started: db has no replica that runs or can start (order o)'] },
  { name: 'Mandatory: one db replica up, another that cannot be placed: web goes', pairs: [pair()], replicas: [rep('db-0', 'up'), rep('db-1', 'down')], candidates: [start('web-0')], waits: [] },
  { name: 'Optional: waits for db starting in the same transition', pairs: [pair({ kind: 'Optional', requiresFirst: false })], replicas: [rep('db-0', 'starting')], candidates: [start('web-0')], waits: ['start web-0 after db-0 is started (order o, Optional)'] },
  { name: 'Optional: db not in the transition (cannot start): web goes', pairs: [pair({ kind: 'Optional', requiresFirst: false })], replicas: [rep('db-0', 'down')], candidates: [start('web-0')], waits: [] },
  { name: 'Serialize: not at the same time as db\'s start', pairs: [pair({ kind: 'Serialize', requiresFirst: false })], replicas: [rep('db-0', 'starting')], candidates: [start('web-0')], waits: ['start web-0 after db-0 is started (order o, Serialize)'] },
  { name: 'without interleave: every web replica after every db replica', pairs: [pair()], replicas: [rep('db-0', 'starting', 'n1'), rep('db-1', 'starting', 'n2')], candidates: [start('web-0', 'n1'), start('web-1', 'n2')],
    waits: ['start web-0 after every db replica is started (order o)', 'start web-1 after every db replica is started (order o)'] },
  { name: 'without interleave: the one db replica still starting holds web on any node', pairs: [pair()], replicas: [rep('db-0', 'up', 'n1'), rep('db-1', 'starting', 'n2')], candidates: [start('web-0', 'n1')], waits: ['start web-0 after db-1 is started (order o)'] },
  { name: 'interleave: the bundles\' own order stays (Pacemaker 2.1.5): web on n1 waits for db starting on n2 too', pairs: [pair({ interleave: true })], replicas: [rep('db-0', 'up', 'n1'), rep('db-1', 'starting', 'n2')], candidates: [start('web-0', 'n1'), start('web-1', 'n2')],
    waits: ['start web-0 after db-1 is started (order o, interleave)', 'start web-1 after db-1 is started (order o, interleave)'] },
  { name: 'interleave, Mandatory: no db replica on web\'s node', pairs: [pair({ interleave: true })], replicas: [rep('db-0', 'up', 'n1')], candidates: [start('web-1', 'n2')], waits: ['start web-1 after db is started: no db replica runs or can start on n2 (order o, interleave)'] },
  { name: 'interleave, Optional: no db replica on web\'s node: web goes', pairs: [pair({ interleave: true, kind: 'Optional', requiresFirst: false })], replicas: [rep('db-0', 'up', 'n1')], candidates: [start('web-1', 'n2')], waits: [] },
  { name: 'symmetrical: db stops after web stops', pairs: [pair(), inverse()], replicas: [rep('web-0', 'stopping'), rep('db-0', 'stopping')], candidates: [stop('web-0'), stop('db-0')], waits: ['stop db-0 after web-0 is stopped (order o)'] },
  { name: 'symmetrical: web not stopping, db stops', pairs: [pair(), inverse()], replicas: [rep('web-0', 'up'), rep('db-0', 'stopping')], candidates: [stop('db-0')], waits: [] },
  { name: 'asymmetrical: stops are not ordered', pairs: [pair()], replicas: [rep('web-0', 'stopping'), rep('db-0', 'stopping')], candidates: [stop('web-0'), stop('db-0')], waits: [] },
  { name: 'interleaved stops: db waits for every web stop too', pairs: [inverse({ interleave: true })], replicas: [rep('web-0', 'stopping', 'n1'), rep('web-1', 'stopping', 'n2')], candidates: [stop('db-1', 'n2')], waits: ['stop db-1 after every web replica is stopped (order o, interleave)'] },
  { name: 'interleave, Mandatory: db up on the node, none starting: web goes', pairs: [pair({ interleave: true })], replicas: [rep('db-0', 'up', 'n1'), rep('db-1', 'up', 'n2')], candidates: [start('web-1', 'n2')], waits: [] },
  { name: 'require-all=false: any one first bundle up suffices', pairs: [pair({ first: ['db', 'cache'], anyOf: true })], replicas: [rep('db-0', 'starting'), rep('cache-0', 'up')], candidates: [start('web-0')], waits: [] },
  { name: 'require-all=false: none up, some starting: waits for one', pairs: [pair({ first: ['db', 'cache'], anyOf: true })], replicas: [rep('db-0', 'starting'), rep('cache-0', 'down')], candidates: [start('web-0')], waits: ['start web-0 after db or cache is started (order o)'] },
  { name: 'require-all=false, Mandatory: none can start', pairs: [pair({ first: ['db', 'cache'], anyOf: true })], replicas: [rep('db-0', 'down'), rep('cache-0', 'down')], candidates: [start('web-0')], waits: ['start web-0 after db or cache is started: none has a replica that can start (order o)'] },
  { name: 'a chain: app waits for db, web for app (app starting)', pairs: [pair({ then: 'app' }), pair({ id: 'p', constraint: 'p', first: ['app'] })], replicas: [rep('db-0', 'starting'), rep('app-0', 'starting')], candidates: [start('db-0'), start('app-0'), start('web-0')],
    waits: ['start app-0 after db-0 is started (order o)', 'start web-0 after app-0 is started (order p)'] },
  { name: 'only then\'s action is held: a stop of web is not held by a start order', pairs: [pair()], replicas: [rep('db-0', 'starting'), rep('web-0', 'stopping')], candidates: [stop('web-0')], waits: [] },
];

t.test('which starts and stops wait, and why', async (t) => {
  for (const c of CASES) t.strictSame(orderWaits(c.pairs, c.replicas, c.candidates).map((w) => w.message), c.waits, c.name);
});

t.test('a wait says what it waits for, as data', async (t) => {
  t.strictSame(orderWaits([pair()], [rep('db-0', 'starting'), rep('db-1', 'up')], [start('web-0', 'n2')]), [
    { bundle: 'web', replica: 'web-0', node: 'n2', action: 'start', constraint: 'o', after: [{ bundle: 'db', replica: 'db-0', action: 'start' }], message: 'start web-0 after db-0 is started (order o)' },
  ]);
  t.strictSame(orderWaits([pair()], [], [start('web-0')])[0].after, [], 'nothing to wait for: it cannot happen now');
});

// The cascade: which then replicas that run stop or restart because of first, and why.
const recovering = (replica: string, node = 'n1'): OrderReplica => ({ ...rep(replica, 'starting', node), exists: true });
interface CascadeCase { name: string; pairs: OrderPair[]; replicas: OrderReplica[]; seen?: { unseen?: ReadonlySet<string>; blind?: boolean }; cascade: string[] }
const CASCADES: CascadeCase[] = [
  { name: 'db up, web up: nothing', pairs: [pair(), inverse()], replicas: [rep('db-0', 'up'), rep('web-0', 'up', 'n2')], cascade: [] },
  { name: 'db disabled (stopping): web stops', pairs: [pair(), inverse()], replicas: [rep('db-0', 'stopping'), rep('web-0', 'up', 'n2')], cascade: ['stop web-0 on n2: db has no replica that runs or can start (order o, Mandatory)'] },
  { name: 'db gone, nowhere to go: web stops', pairs: [pair()], replicas: [rep('db-0', 'down'), rep('web-0', 'up', 'n2')], cascade: ['stop web-0 on n2: db has no replica that runs or can start (order o, Mandatory)'] },
  { name: 'db-0 recovered in place: web restarts', pairs: [pair()], replicas: [recovering('db-0'), rep('web-0', 'up', 'n2')], cascade: ['restart web-0 on n2: db-0 restarts (order o, Mandatory) because start db-0'] },
  { name: 'the engine restarted db-0 since the last pass (a failure counted now): web restarts, after nothing', pairs: [pair()], replicas: [{ ...rep('db-0', 'up'), restarted: true }, rep('web-0', 'up', 'n2')], cascade: ['restart web-0 on n2: db-0 was restarted by the engine (order o, Mandatory) because start db-0'] },
  { name: 'a new db replica starts: web restarts (Pacemaker: db_start_0 implies web_start_0)', pairs: [pair()], replicas: [rep('db-0', 'up'), rep('db-1', 'starting', 'n3'), rep('web-0', 'up', 'n2')], cascade: ['restart web-0 on n2: db-1 starts (order o, Mandatory) because start db-1'] },
  { name: 'without interleave: every web replica restarts', pairs: [pair()], replicas: [rep('db-0', 'up', 'n1'), recovering('db-1', 'n2'), rep('web-0', 'up', 'n1'), rep('web-1', 'up', 'n2')],
    cascade: ['restart web-0 on n1: db-1 restarts (order o, Mandatory) because start db-1', 'restart web-1 on n2: db-1 restarts (order o, Mandatory) because start db-1'] },
  { name: 'interleave: only the web replica on db-1\'s node restarts', pairs: [pair({ interleave: true })], replicas: [rep('db-0', 'up', 'n1'), recovering('db-1', 'n2'), rep('web-0', 'up', 'n1'), rep('web-1', 'up', 'n2')],
    cascade: ['restart web-1 on n2: db-1 restarts (order o, Mandatory, interleave) because start db-1'] },
  { name: 'interleave: no db replica left on web-1\'s node: it stops', pairs: [pair({ interleave: true })], replicas: [rep('db-0', 'up', 'n1'), rep('db-1', 'down'), rep('web-0', 'up', 'n1'), rep('web-1', 'up', 'n2')],
    cascade: ['stop web-1 on n2: no db replica runs or can start on n2 (order o, Mandatory, interleave)'] },
  { name: 'symmetrical=false: nothing', pairs: [pair({ impliesThen: false })], replicas: [rep('db-0', 'stopping'), rep('web-0', 'up', 'n2')], cascade: [] },
  { name: 'Optional: nothing', pairs: [pair({ kind: 'Optional', requiresFirst: false, impliesThen: false })], replicas: [recovering('db-0'), rep('web-0', 'up', 'n2')], cascade: [] },
  { name: 'stop then stop: nothing (berth cascades start-then-start orders only)', pairs: [pair({ firstAction: 'stop', thenAction: 'stop' })], replicas: [rep('db-0', 'stopping'), rep('web-0', 'up', 'n2')], cascade: [] },
  { name: 'web not running yet: nothing to restart', pairs: [pair()], replicas: [recovering('db-0'), rep('web-0', 'starting', 'n2')], cascade: [] },
  { name: 'a chain: db restarts, app restarts, web restarts', pairs: [pair({ then: 'app' }), pair({ id: 'p', constraint: 'p', first: ['app'] })], replicas: [recovering('db-0'), rep('app-0', 'up', 'n2'), rep('web-0', 'up', 'n3')],
    cascade: ['restart app-0 on n2: db-0 restarts (order o, Mandatory) because start db-0', 'restart web-0 on n3: app-0 restarts (order p, Mandatory) because start app-0'] },
  { name: 'db-0 may still run on a node that cannot be observed: nothing', pairs: [pair()], replicas: [rep('db-0', 'starting', 'n3'), rep('web-0', 'up', 'n2')], seen: { unseen: new Set(['db-0']) }, cascade: [] },
  { name: 'a node not known at all: nothing', pairs: [pair()], replicas: [rep('db-0', 'down'), rep('web-0', 'up', 'n2')], seen: { blind: true }, cascade: [] },
];

t.test('which running then replicas stop or restart because of first, and why', async (t) => {
  for (const c of CASCADES) {
    const got = orderCascade(c.pairs, c.replicas, c.seen).map((k) => `${k.action} ${k.replica} on ${k.node}: ${k.why}${k.because.length ? ` because ${k.because.map((b) => `${b.action} ${b.replica}`).join(', ')}` : ''}`);
    t.strictSame(got, c.cascade, c.name);
  }
});

t.test('a recovered first waits for the then replicas it restarts to stop; a created one does not', async (t) => {
  const replicas = [recovering('db-0'), { ...rep('web-0', 'stopping', 'n2'), starting: true }];
  const cascade = orderCascade([pair()], [recovering('db-0'), rep('web-0', 'up', 'n2')]);
  t.strictSame(orderWaits([pair()], replicas, [start('db-0')], cascade, new Set(['db-0'])), [
    { bundle: 'db', replica: 'db-0', node: 'n1', action: 'start', constraint: 'o', after: [{ bundle: 'web', replica: 'web-0', action: 'stop' }], message: 'start db-0 after web-0 is stopped: it restarts with it (order o, Mandatory)' },
  ]);
  t.strictSame(orderWaits([pair()], replicas, [start('db-0')], cascade, new Set()), [], 'a new container (moved, node lost): no stop of it to wait behind');
  t.equal(cascade[0].message, 'restarts because db-0 restarts (order o, Mandatory)', 'the stop\'s reason');
});
