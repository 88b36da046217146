// How far a node is from converged (what apply --wait waits for and shows), from one pass's
// desired state, observed state and plan: a table of observed nodes.
import t from 'tap';
import { computePlan } from '../../src/reconcile/plan';
import { isConverged, waitProgress } from '../../src/reconcile/progress';
import { Seen, T0, bundle, cib, desiredOf, observedOf } from './scenario-kit';

const r = (i: number, extra: Partial<Seen> = {}): Seen => ({ replica: `httpd-bundle-${i}`, ...extra });

const cases: { what: string; cib: string; seen: Seen[]; ready: number; total: number; pending: [string, RegExp][]; converged: boolean }[] = [
  { what: 'all running on the spec', cib: cib(bundle()), seen: [r(0), r(1), r(2)], ready: 3, total: 3, pending: [], converged: true },
  {
    what: 'nothing yet', cib: cib(bundle({ replicas: 2 })), seen: [], ready: 0, total: 2, converged: false,
    pending: [['httpd-bundle-0', /^create: no container for this replica$/], ['httpd-bundle-1', /^create: no container/]],
  },
  {
    what: 'health check starting, another created', cib: cib(bundle({ options: '--health-cmd=true' })), converged: false,
    seen: [r(0, { health: 'healthy' }), r(1, { health: 'starting' }), r(2, { state: 'created' })], ready: 1, total: 3,
    pending: [['httpd-bundle-1', /^container running, health check starting$/], ['httpd-bundle-2', /^start: the container was created but never started$/]],
  },
  {
    what: 'rolling update: one replaced, the others wait', cib: cib(bundle({ image: 'berth-test/httpd:2' })), converged: false,
    seen: [r(0, { spec: 'berth-test/httpd:1' }), r(1, { spec: 'berth-test/httpd:1' }), r(2, { spec: 'berth-test/httpd:1' })], ready: 0, total: 3,
    pending: [['httpd-bundle-0', /^replace: image berth-test\/httpd:1 → berth-test\/httpd:2$/], ['httpd-bundle-1', /^rolling update: one replica at a time/], ['httpd-bundle-2', /^rolling update/]],
  },
  {
    what: 'unmanaged: only reported, not waited for', cib: cib(bundle({ meta: { 'is-managed': 'false' } })), converged: true,
    seen: [r(0, { state: 'exited' })], ready: 0, total: 0, pending: [],
  },
];

t.test('progress of a node', async (t) => {
  for (const c of cases) {
    const desired = desiredOf(c.cib);
    const observed = observedOf(desired, c.seen);
    const p = waitProgress(desired, observed, computePlan(desired, observed, T0));
    t.same([p.ready, p.total], [c.ready, c.total], `${c.what}: ready/total`);
    t.same(p.pending.map((x) => x.replica), c.pending.map(([x]) => x), `${c.what}: pending replicas`);
    c.pending.forEach(([, why], i) => t.match(p.pending[i]?.why, why, `${c.what}: why ${i}`));
    t.equal(isConverged(p), c.converged, `${c.what}: converged`);
  }
});
