// Planner safety properties over random CIBs and random observed nodes: after the plan, never more
// than `replicas` containers of a bundle; a stopped bundle is never created or started; no replica
// gets two conflicting actions; at most one replacement per bundle per pass; removals highest index
// first; unmanaged bundles and maintenance-mode make no change; the planner does not mutate its input.
import t from 'tap';
import { computePlan, planChanges } from '../../src/reconcile/plan';
import { formatPlan } from '../../src/reconcile/summary';
import { Seen, T0, bundle, cib, desiredOf, observedOf } from './scenario-kit';
import type { ContainerState } from '../../src/runtime/engine';

function prng(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s % n;
  };
}
const STATES: ContainerState[] = ['running', 'running', 'running', 'exited', 'created', 'restarting', 'dead'];

t.test('planner properties hold for 400 random nodes', async (t) => {
  const rnd = prng(42);
  let plans = 0;
  const broken: { round: number; what: string; diag?: unknown }[] = [];
  for (let round = 0; round < 400; round++) {
    const fail = (what: string, diag?: unknown) => broken.push({ round, what, ...(diag === undefined ? {} : { diag }) });
    const bundles: string[] = [];
    const specs: { id: string; replicas: number; stopped: boolean; unmanaged: boolean }[] = [];
    for (let b = 0; b < 1 + rnd(3); b++) {
      const id = `b${b}`;
      const replicas = 1 + rnd(6);
      const stopped = rnd(5) === 0;
      const unmanaged = rnd(6) === 0;
      specs.push({ id, replicas, stopped, unmanaged });
      const meta: Record<string, string> = {};
      if (stopped) meta['target-role'] = 'Stopped';
      if (unmanaged) meta['is-managed'] = 'false';
      if (rnd(2)) meta['migration-threshold'] = String(1 + rnd(3));
      bundles.push(bundle({ id, replicas, perHost: 1 + rnd(6), start: `10.${b}.0.1`, image: `img:${rnd(2)}`, meta }));
    }
    const maintenance = rnd(10) === 0;
    const desired = desiredOf(cib(bundles.join(''), maintenance ? { 'maintenance-mode': 'true' } : {}));
    const seen: Seen[] = [];
    for (const s of specs) {
      for (let i = 0; i < s.replicas + 3; i++) {
        if (rnd(3) === 0) continue;
        seen.push({
          replica: `${s.id}-${i}`, state: STATES[rnd(STATES.length)], spec: rnd(3) === 0 ? 'old' : 'current',
          health: rnd(4) === 0 ? 'starting' : 'none', run: { restartCount: rnd(3), exitCode: 1, finishedAt: T0 - rnd(20_000) },
        });
        if (rnd(8) === 0) seen.push({ replica: `${s.id}-${i}`, name: `${s.id}-${i}.next`, id: `x-${s.id}-${i}`, spec: 'old', state: 'created' });
      }
    }
    const observed = observedOf(desired, seen);
    const frozen = JSON.stringify(observed);
    const plan = computePlan(desired, observed, T0);
    plans++;
    if (JSON.stringify(observed) !== frozen) fail('computePlan mutated the observed state');
    if (maintenance && planChanges(plan).length) fail('maintenance-mode made changes');
    for (const s of specs) {
      const mine = <T extends { bundle: string }>(xs: T[]) => xs.filter((x) => x.bundle === s.id);
      if ((s.unmanaged || maintenance) && planChanges(plan).some((a) => a.bundle === s.id)) fail(`unmanaged ${s.id} got changes`);
      if (s.stopped && (mine(plan.create).length || mine(plan.start).length || mine(plan.replace).length)) fail(`stopped ${s.id} created/started`);
      // The containers after the plan: observed, minus removed, plus created.
      const removed = new Set(mine(plan.remove).map((a) => a.containerId));
      const after = observed.containers.filter((c) => c.bundle === s.id && !removed.has(c.id)).length + mine(plan.create).length;
      if (!s.unmanaged && !maintenance && after > s.replicas) fail(`${s.id}: ${after} containers after the plan, replicas=${s.replicas}`, { seen: seen.filter((x) => x.replica.startsWith(s.id + '-')), plan: formatPlan(plan) });
      const touched = [...mine(plan.create), ...mine(plan.start), ...mine(plan.replace), ...mine(plan.stop)].map((a) => a.replica);
      if (new Set(touched).size !== touched.length) fail(`${s.id}: a replica has two conflicting actions: ${touched}`);
      if (mine(plan.replace).length > 1) fail(`${s.id}: more than one replacement in a pass`);
      const idx = mine(plan.remove).map((a) => a.index);
      if (idx.some((v, i) => i > 0 && v > idx[i - 1])) fail(`${s.id}: removals not highest first: ${idx}`);
      if (mine(plan.create).some((a) => a.index >= s.replicas)) fail(`${s.id}: created an index ≥ replicas`);
    }
    const ips = plan.addAddress.map((a) => a.address.ip);
    if (new Set(ips).size !== ips.length) fail('an address added twice');
    if (plan.addAddress.some((a) => plan.removeAddress.some((r) => r.address.ip === a.address.ip))) fail('an address both added and removed');
  }
  t.strictSame(broken, [], 'no property broken');
  t.equal(plans, 400);
});

t.test('a converged node plans nothing, whatever the bundles', async (t) => {
  const desired = desiredOf(cib(bundle({ replicas: 4, perHost: 4 }) + bundle({ id: 'other', replicas: 2, start: '127.0.2.1' })));
  const seen: Seen[] = desired.replicas.map((r) => ({ replica: r.name }));
  const plan = computePlan(desired, observedOf(desired, seen), T0);
  t.strictSame(planChanges(plan), []);
  t.strictSame(plan.ledger, []);
});
