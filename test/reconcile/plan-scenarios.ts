// Golden scenarios, as Pacemaker's cts/scheduler: an input CIB and an observed node → the plan's
// readable summary, compared with test/reconcile/golden/<name>.txt. After a deliberate change,
// regenerate with BERTH_UPDATE_GOLDEN=1 and review the diff. A missing golden is a failure: the
// test never writes one on its own, or a new scenario would pass by construction.
import t from 'tap';
import { readFileSync, readdirSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { computePlan } from '../../src/reconcile/plan';
import { formatPlan } from '../../src/reconcile/summary';
import { NODE, Seen, T0, berthAddress, bundle, cib, currentOf, currentOfSeen, desiredOf, observedOf } from './scenario-kit';
import type { HostAddress } from '../../src/reconcile/observed';

const GOLDEN = path.join(__dirname, 'golden');
const UPDATE = process.env.BERTH_UPDATE_GOLDEN === '1';
const HOW_TO_CREATE = 'create it with BERTH_UPDATE_GOLDEN=1 npx tap test/reconcile/plan-scenarios.ts, then review it';
const all = (n: number, extra: Partial<Seen> = {}, b = 'httpd-bundle'): Seen[] => Array.from({ length: n }, (_, i) => ({ replica: `${b}-${i}`, ...extra }));

interface Scenario {
  name: string;
  what: string;
  cib: string;
  seen: Seen[];
  addresses?: HostAddress[];
  files?: Record<string, string | null>;
  now?: number;
}

const scenarios: Scenario[] = [
  { name: 's1-fresh', what: 'S1 from nothing: hosts file, three addresses, three containers', cib: cib(bundle()), seen: [], files: {} },
  { name: 's1-converged', what: 'S1 running as desired: nothing to do', cib: cib(bundle()), seen: all(3) },
  { name: 's5-scale-out', what: '3 → 5: the next two indexes, with the next addresses', cib: cib(bundle({ replicas: 5, perHost: 5 })), seen: all(3) },
  {
    name: 's5-scale-in', what: '5 → 2: replicas 4, 3, 2 removed with their addresses, highest first', cib: cib(bundle({ replicas: 2 })),
    seen: [...all(2), ...[2, 3, 4].map((i) => ({ replica: `httpd-bundle-${i}`, spec: 'old', address: `127.0.1.${131 + i}/32@lo` }))],
    addresses: [131, 132, 133, 134, 135].map((i) => berthAddress(`127.0.1.${i}`)),
  },
  { name: 's5-image-change', what: 'image :1 → :2: one replica replaced, the others wait', cib: cib(bundle({ image: 'berth-test/httpd:2' })), seen: all(3, { spec: 'berth-test/httpd:1' }) },
  {
    name: 's5-rolling-waits-for-health', what: 'replica 0 is on the new spec but its health check is starting: the rest wait',
    cib: cib(bundle({ image: 'berth-test/httpd:2', options: '--health-cmd=true' })),
    seen: [{ replica: 'httpd-bundle-0', health: 'starting' }, { replica: 'httpd-bundle-1', spec: 'berth-test/httpd:1' }, { replica: 'httpd-bundle-2', spec: 'berth-test/httpd:1' }],
  },
  {
    name: 's5-rolling-next', what: 'replica 0 is on the new spec and healthy: replica 1 is next',
    cib: cib(bundle({ image: 'berth-test/httpd:2', options: '--health-cmd=true' })),
    seen: [{ replica: 'httpd-bundle-0', health: 'healthy' }, { replica: 'httpd-bundle-1', spec: 'berth-test/httpd:1' }, { replica: 'httpd-bundle-2', spec: 'berth-test/httpd:1' }],
  },
  { name: 'target-role-stopped', what: 'target-role=Stopped: containers stopped, addresses removed', cib: cib(bundle({ meta: { 'target-role': 'Stopped' } })), seen: all(3).map((s, i) => ({ ...s, address: `127.0.1.${131 + i}/32@lo` })) },
  { name: 'target-role-started-again', what: 'started again after berth stopped it: not a failure', cib: cib(bundle()), seen: all(3, { state: 'exited', ledger: { stoppedByBerth: true }, run: { exitCode: 0 } }), addresses: [] },
  { name: 'unmanaged-drift', what: 'is-managed=false: a missing container is reported, nothing done', cib: cib(bundle({ meta: { 'is-managed': 'false' } })), seen: all(2) },
  { name: 'maintenance-mode', what: 'cluster maintenance-mode: every bundle only observed', cib: cib(bundle({ image: 'berth-test/httpd:2' }), { 'maintenance-mode': 'true' }), seen: all(3, { spec: 'berth-test/httpd:1' }) },
  {
    name: 's2-killed', what: 'a container exited outside berth (docker kill): started again, failure counted',
    cib: cib(bundle({ meta: { 'migration-threshold': '3' } })),
    seen: [...all(2), { replica: 'httpd-bundle-2', state: 'exited', run: { exitCode: 137, finishedAt: T0 - 5000 } }],
    addresses: [berthAddress('127.0.1.131'), berthAddress('127.0.1.132'), berthAddress('127.0.1.133')],
  },
  {
    name: 's2-exit-grace', what: 'exited a moment ago: the engine\'s restart policy goes first (also while the engine shuts down)',
    cib: cib(bundle()),
    seen: [...all(2), { replica: 'httpd-bundle-2', state: 'exited', run: { exitCode: 143, finishedAt: T0 - 500 } }],
  },
  {
    name: 's2-threshold-at-exit', what: 'the third exit reaches migration-threshold=3: not started, its address removed',
    cib: cib(bundle({ meta: { 'migration-threshold': '3', 'failure-timeout': '10s' } })),
    seen: [...all(2), { replica: 'httpd-bundle-2', state: 'exited', run: { exitCode: 137, finishedAt: T0 - 3000 }, ledger: { extra: 2, count: 2, lastFailureAt: T0 - 8000 } }],
    addresses: [berthAddress('127.0.1.131'), berthAddress('127.0.1.132'), berthAddress('127.0.1.133')],
  },
  {
    name: 's2-threshold-reached', what: 'the engine restarted it 3 times: migration-threshold=3 stops it',
    cib: cib(bundle({ meta: { 'migration-threshold': '3', 'failure-timeout': '60s' } })),
    seen: [...all(2), { replica: 'httpd-bundle-2', state: 'restarting', run: { restartCount: 3, exitCode: 1, finishedAt: T0 - 2000 } }],
  },
  {
    name: 's2-threshold-expired', what: 'failure-timeout passed: failures forgotten, started again',
    cib: cib(bundle({ meta: { 'migration-threshold': '3', 'failure-timeout': '60s' } })),
    seen: [...all(2), { replica: 'httpd-bundle-2', state: 'exited', run: { restartCount: 3, exitCode: 1, finishedAt: T0 - 61_000 }, ledger: { count: 3, lastFailureAt: T0 - 61_000, stoppedByBerth: true } }],
    addresses: [berthAddress('127.0.1.131'), berthAddress('127.0.1.132')],
  },
  {
    name: 's8-address-in-use', what: 'an address held by something else: a clear problem, that replica not created',
    cib: cib(bundle()), seen: [], files: {},
    addresses: [{ ip: '127.0.1.132', prefix: 32, interface: 'lo', label: 'lo:bt77' }],
  },
  { name: 'replicas-per-host', what: 'single node, replicas-per-host=1: replica 0 runs, 1 and 2 reported as unplaceable', cib: cib(bundle({ perHost: 1 })), seen: [], files: {} },
  {
    name: 'bundle-deleted', what: 'bundle gone from the CIB: its containers and addresses removed', cib: cib(''),
    seen: all(2, { spec: 'old', address: undefined }).map((s, i) => ({ ...s, address: `127.0.1.${131 + i}/32@lo` })),
  },
  {
    name: 'drift-leftover-and-address', what: 'a leftover second container is removed; a missing address is added back',
    cib: cib(bundle()), seen: [...all(3), { replica: 'httpd-bundle-1', name: 'httpd-bundle-1.next', id: 'c-leftover', spec: 'old', state: 'created' }],
    addresses: [berthAddress('127.0.1.131'), berthAddress('127.0.1.133')],
  },
  { name: 'other-node', what: 'containers labelled for another node are not this node\'s business', cib: cib(''), seen: all(2, { node: 'node2' }) },
  { name: 'interface-derived', what: 'no host-interface: the interface whose subnet holds the address', cib: cib(bundle({ iface: null, replicas: 1 })), seen: [], files: {} },
];

for (const s of scenarios) {
  t.test(`${s.name}: ${s.what}`, async (t) => {
    // As the pass: observe, then place knowing what runs where.
    const observed = observedOf(desiredOf(s.cib, NODE, undefined, currentOfSeen(s.seen)), s.seen, { ...(s.addresses ? { addresses: s.addresses } : {}), ...(s.files ? { files: s.files } : {}) });
    const desired = desiredOf(s.cib, NODE, undefined, currentOf(observed));
    const plan = computePlan(desired, observed, s.now ?? T0);
    const text = `# ${s.what}\n` + formatPlan(plan);
    const file = path.join(GOLDEN, `${s.name}.txt`);
    const shown = path.relative(process.cwd(), file);
    if (UPDATE) {
      mkdirSync(GOLDEN, { recursive: true });
      writeFileSync(file, text);
      t.pass(`wrote ${shown} (BERTH_UPDATE_GOLDEN=1): review the diff`);
      return;
    }
    t.ok(existsSync(file), `golden ${shown} exists (${HOW_TO_CREATE})`);
    if (!existsSync(file)) return;
    t.equal(text, readFileSync(file, 'utf8'), `plan summary matches ${shown}`);
  });
}

t.test('every golden file belongs to a scenario', async (t) => {
  const names = new Set(scenarios.map((s) => `${s.name}.txt`));
  const stale = readdirSync(GOLDEN).filter((f) => !names.has(f));
  t.strictSame(stale, [], 'no golden left behind by a renamed or removed scenario (delete it)');
  t.equal(names.size, scenarios.length, 'scenario names are unique');
});

t.test('the node is a parameter: the same CIB planned for another node', async (t) => {
  const nodes = ['node1', 'node2', 'node3'];
  const desired = desiredOf(cib(bundle({ perHost: 1 })), 'node2', nodes);
  t.strictSame(desired.replicas.map((r) => r.name), ['httpd-bundle-1']);
  t.equal(desired.node, 'node2');
  const onDefault = desiredOf(cib(bundle({ perHost: 1 })), NODE, nodes);
  t.strictSame([onDefault.node, onDefault.replicas.map((r) => r.name)], ['node1', ['httpd-bundle-0']], 'the same CIB on the default node gives that node its own replica');
});
