// The planner and a container stuck in removal (issue 17, found by the chaos soak): Docker lists it
// `removing` (its flag stuck) or `dead` and cannot remove it while a mount elsewhere holds its root
// filesystem. Its replica still runs (as `<name>.next`), the removal is retried with a back-off
// kept in the ledger, the name comes back once it is gone, and the operator is told
// (CONTAINER_NOT_REMOVABLE). One table of cases, one expected summary each.
import t from 'tap';
import { DEFAULT_POLICY, Plan, computePlan, planChanges, removalDueAt } from '../../src/reconcile/plan';
import { waitProgress } from '../../src/reconcile/progress';
import { nodeStatus } from '../../src/reconcile/status';
import { Seen, T0, bundle, cib, desiredOf, observedOf } from './scenario-kit';

const R = 'httpd-bundle-0';
const NEXT = `${R}.next`;
const BUSY = `container old: driver "overlay2" failed to remove root filesystem: unlinkat /var/lib/docker/overlay2/ab12cd/merged: device or resource busy`;
const stuckRun = (state: 'removing' | 'dead', extra: Partial<Seen> = {}): Seen => ({ replica: R, id: 'old', state, run: { running: false, error: BUSY, rootfs: '/var/lib/docker/overlay2/ab12cd/merged' }, ...extra });
const nextRunning: Seen = { replica: R, id: 'new', name: NEXT, created: T0 / 1000 - 60 };

interface Expected {
  /** the plan's actions as `kind container` (replace: `replace <old id> running|stopped as <new
   * container's name>[ then renamed]`) */
  actions: string[];
  /** the ledger's removal attempts written, by container id */
  attempts?: Record<string, number>;
  problems: string[];
  waiting?: number;
  recheckAt?: number;
}

function summary(p: Plan): Expected {
  const actions = planChanges(p).map((a) => (a.kind === 'replace' ? `replace ${a.containerId} ${a.running ? 'running' : 'stopped'} as ${a.as}${a.takeName ? ' then renamed' : ''}`
    : a.kind === 'rename' ? `rename ${a.containerId} ${a.containerName}→${a.to}`
    : a.kind === 'remove' ? `remove ${a.containerId}${a.stuck ? ' stuck' : ''}`
    : 'containerId' in a ? `${a.kind} ${a.containerId}` : a.kind));
  const attempts: Record<string, number> = {};
  for (const u of p.ledger) if (u.record?.removal) attempts[u.containerId] = u.record.removal.attempts;
  return {
    actions,
    ...(Object.keys(attempts).length ? { attempts } : {}),
    problems: p.problems.map((x) => `${x.code} ${x.value}`),
    ...(p.waiting.length ? { waiting: p.waiting.length } : {}),
    ...(p.recheckAt !== undefined ? { recheckAt: p.recheckAt } : {}),
  };
}

const one = cib(bundle({ replicas: 1, perHost: 1 }));
const cases: { name: string; seen: Seen[]; cibXml?: string; expected: Expected }[] = [
  {
    name: 'dead, no removal tried yet: a new container now (a recovery), the old one removed in the same replace',
    seen: [{ replica: R, id: 'old', state: 'dead', run: { running: false } }],
    expected: { actions: ['replace old stopped as ' + NEXT + ' then renamed', 'add-address'], attempts: { old: 1 }, problems: [] },
  },
  {
    name: 'removing for good (Docker\'s flag stuck), the engine\'s error known: replaced, and the operator is told',
    seen: [stuckRun('removing')],
    expected: { actions: ['replace old stopped as ' + NEXT + ' then renamed', 'add-address'], attempts: { old: 1 }, problems: ['CONTAINER_NOT_REMOVABLE old'] },
  },
  {
    name: 'removing, but an inspect says it runs: not stuck, nothing started beside it; it waits',
    seen: [{ replica: R, id: 'old', state: 'removing', run: { running: true } }],
    expected: { actions: [], problems: [], waiting: 1 },
  },
  {
    name: 'a removal errored 5 s ago (1 attempt): the replica runs as .next; no retry before 10 s',
    seen: [stuckRun('removing', { ledger: { removal: { attempts: 1, lastAt: T0 - 5_000 } } }), nextRunning],
    expected: { actions: [], problems: ['CONTAINER_NOT_REMOVABLE old'], recheckAt: T0 + 5_000 },
  },
  {
    name: 'a removal errored 20 s ago (1 attempt): retried, and .next takes the name in the same chain',
    seen: [stuckRun('dead', { ledger: { removal: { attempts: 1, lastAt: T0 - 20_000 } } }), nextRunning],
    expected: { actions: ['remove old stuck', `rename new ${NEXT}→${R}`], attempts: { old: 2 }, problems: ['CONTAINER_NOT_REMOVABLE old'] },
  },
  {
    name: 'three removals errored, the last 30 s ago: the back-off doubles (40 s)',
    seen: [stuckRun('dead', { ledger: { removal: { attempts: 3, lastAt: T0 - 30_000 } } }), nextRunning],
    expected: { actions: [], problems: ['CONTAINER_NOT_REMOVABLE old'], recheckAt: T0 + 10_000 },
  },
  {
    name: 'the stuck container is gone (removed by hand): .next takes the name',
    seen: [nextRunning],
    expected: { actions: [`rename new ${NEXT}→${R}`], problems: [] },
  },
  {
    name: 'a stuck container of a replica placed nowhere here (scale in) is retried with the same back-off',
    cibXml: cib(bundle({ replicas: 1, perHost: 1 })),
    seen: [{ replica: 'httpd-bundle-1', id: 'gone', state: 'dead', run: { running: false, error: BUSY }, ledger: { removal: { attempts: 2, lastAt: T0 - 1_000 } } }, { replica: R }],
    expected: { actions: [], problems: ['CONTAINER_NOT_REMOVABLE gone'], recheckAt: T0 + 19_000 },
  },
  // The chaos run's seed 1210: the replica ran as .next beside a stuck container, and then .next
  // stopped or had to be replaced. The stuck container holds the replica's name.
  {
    name: 'the replica\'s .next exited (not a recovery): started again, under its own name',
    seen: [stuckRun('dead', { ledger: { removal: { attempts: 1, lastAt: T0 - 5_000 } } }), { ...nextRunning, state: 'exited', run: { running: false, exitCode: 137 } }],
    expected: { actions: ['add-address', `start new`], problems: ['CONTAINER_NOT_REMOVABLE old'], recheckAt: T0 + 5_000 },
  },
  {
    name: 'the replica\'s .next on an old spec: replaced under .next (the old .next goes first), never under the name the stuck one holds',
    seen: [stuckRun('dead', { ledger: { removal: { attempts: 1, lastAt: T0 - 5_000 } } }), { ...nextRunning, spec: 'old' }],
    expected: { actions: [`replace new running as ${NEXT}`], problems: ['CONTAINER_NOT_REMOVABLE old'], recheckAt: T0 + 5_000 },
  },
  {
    name: 'the stuck container is .next, the name is free: the new container takes the replica\'s name',
    seen: [{ ...stuckRun('dead'), name: NEXT }],
    expected: { actions: [`replace old stopped as ${R}`, 'add-address'], attempts: { old: 1 }, problems: ['CONTAINER_NOT_REMOVABLE old'] },
  },
  {
    name: 'both names held by stuck containers: no replace (no name is free), each removal retried when due',
    seen: [stuckRun('dead', { ledger: { removal: { attempts: 1, lastAt: T0 - 5_000 } } }), { ...stuckRun('removing'), id: 'old2', name: NEXT, ledger: { removal: { attempts: 1, lastAt: T0 - 20_000 } } }],
    expected: { actions: ['remove old2 stuck'], attempts: { old2: 2 }, problems: ['CONTAINER_NOT_REMOVABLE old2', 'CONTAINER_NOT_REMOVABLE old'], waiting: 1, recheckAt: T0 + 5_000 },
  },
  {
    name: 'a rolling update of a running replica: the new one as .next, renamed once the old one is gone',
    seen: [{ replica: R, id: 'old', spec: 'old' }],
    expected: { actions: [`replace old running as ${NEXT} then renamed`], problems: [] },
  },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const desired = desiredOf(c.cibXml ?? one);
    const plan = computePlan(desired, observedOf(desired, c.seen), T0);
    t.strictSame(summary(plan), c.expected);
  });
}

t.test('the problem names the container, the engine\'s error and how to find the mount that holds it', async (t) => {
  const desired = desiredOf(one);
  const plan = computePlan(desired, observedOf(desired, [stuckRun('dead', { ledger: { removal: { attempts: 1, lastAt: T0 } } }), nextRunning]), T0);
  t.equal(plan.problems.length, 1);
  t.match(plan.problems[0], { code: 'CONTAINER_NOT_REMOVABLE', path: R, value: 'old' });
  for (const part of [`container ${R} (old)`, 'device or resource busy', `runs as ${NEXT}`, 'grep ab12cd /proc/*/mountinfo', 'docker rm -f old', new Date(T0 + 10_000).toISOString()]) {
    t.ok(plan.problems[0].message.includes(part), `says ${part}`);
  }
});

t.test('while .next waits for its name, status and apply --wait count it as the replica, ready', async (t) => {
  const desired = desiredOf(one);
  const observed = observedOf(desired, [stuckRun('dead', { ledger: { removal: { attempts: 1, lastAt: T0 } } }), nextRunning]);
  const plan = computePlan(desired, observed, T0);
  const p = waitProgress(desired, observed, plan);
  t.strictSame({ ready: p.ready, total: p.total, notReady: p.notReady, changesLeft: p.changesLeft }, { ready: 1, total: 1, notReady: [], changesLeft: false });
  const s = nodeStatus(desired, observed, plan, T0);
  const row = s.bundles.flatMap((b) => b.replicaStatus).find((r) => r.name === R);
  t.match(row, { container: { name: NEXT, state: 'running' } });
  t.match(s.problems, [{ code: 'CONTAINER_NOT_REMOVABLE' }]);
});

t.test('the back-off: 10 s after the first failed removal, doubled each time, at most 10 min', async (t) => {
  const due = (attempts: number) => removalDueAt({ baseline: 0, extra: 0, count: 0, removal: { attempts, lastAt: 0 } }, DEFAULT_POLICY);
  t.strictSame([undefined, 1, 2, 3, 7, 20].map((n) => (n === undefined ? removalDueAt(undefined, DEFAULT_POLICY) : due(n))), [-Infinity, 10_000, 20_000, 40_000, 600_000, 600_000]);
});
