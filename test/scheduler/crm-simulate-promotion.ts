// berth's promotion (src/scheduler/promotion.ts decidePromotion) and the order of each replica's
// start/promote/demote/stop (src/reconcile/inner.ts planInnerReplica) against golden cases made
// by the real Pacemaker scheduler (crm_simulate 2.1.5, test/fixtures/crm_simulate_promotion, made
// by scripts/crm-simulate-promotion-fixtures.mjs). From each case's <status> the test builds the
// instances berth's executors would report, runs the passes berth would take until nothing is
// left to do (each pass: decide, plan every replica, apply its steps) and compares the promoted
// instances and each replica's actions with Pacemaker's one transition. A difference is a table
// entry with its reason, asserted both ways.
import { promotedLocationScore } from '../../src/controller/inner-step';
import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCib } from '../../src/cib/cib';
import { parseXml } from '../../src/cib/xml';
import { readModel } from '../../src/model/model';
import type { InnerSpec } from '../../src/model/inner';
import { InnerGoal, InnerObserved, InnerStep, planInnerReplica, stopBeforeContainer } from '../../src/reconcile/inner';
import type { FailureRecord } from '../../src/reconcile/observed';
import { PromotionInstance, decidePromotion } from '../../src/scheduler/promotion';
import { GuestInstance, pacemakerPromotion, readGuestInstances } from '../helpers/promotion-fixture';

const dir = path.join(__dirname, '..', 'fixtures', 'crm_simulate_promotion');
const cases = fs.readdirSync(dir).filter((d) => /^\d\d-/.test(d)).sort();
const hasCrmSimulate = spawnSync('crm_simulate', ['--version']).status === 0;

/** What Pacemaker promotes in each case (read from its output; written here so a fixture made
 * again cannot change it silently). */
const PACEMAKER: Record<string, string[]> = {
  'no-scores': [],
  'distinct-scores': ['db-1'],
  'tie-one-promoted': ['db-2'],
  'tie-none-promoted': ['db-0'],
  'promoted-max-two': ['db-1', 'db-2'],
  'promoted-node-max': ['db-0', 'db-1'],
  'location-adds': ['db-1'],
  'location-minus-infinity': ['db-1'],
  'promoted-host-offline': ['db-1'],
  'promoted-host-lost': ['db-1'],
  'failed-promoted': ['db-0'],
  'target-role-unpromoted': [],
  'stopped-bundle': [],
  'higher-score-elsewhere': ['db-1'],
  'stopped-instance-highest': ['db-0'],
  'location-guest-node': ['db-0'],
  'location-guest-minus-infinity': ['db-0'],
};

/** Where berth decides differently on purpose: why, and berth's own result (promoted, steps per
 * replica, replicas whose steps take more than one pass). */
const DIFFERENCES: Record<string, { why: string; promoted: string[]; steps: Record<string, string[]>; split?: string[] }> = {
  'stopped-instance-highest': {
    why:
      'berth promotes only an instance its executor reports running: Pacemaker starts db-0 and ' +
      'promotes it in the same transition on the score its agent set before it stopped, trusting ' +
      'the start; berth starts it, meanwhile promotes the best running one (db-1), and moves ' +
      'the promoted role to db-0 once it runs (demote db-1, then promote db-0). decidePromotion ' +
      'does not know whether a stopped instance may start (migration-threshold, on-fail=stop): ' +
      'choosing one that stays stopped would leave none promoted.',
    promoted: ['db-0'],
    steps: { 'db-0': ['start', 'promote'], 'db-1': ['promote', 'demote'] },
    split: ['db-0', 'db-1'],
  },
};

/** What applying a step does to the instance, as its executor would then report it. */
function apply(o: InnerObserved, s: InnerStep): InnerObserved {
  const next: InnerObserved = { ...o, failures: [] };
  delete next.failed;
  if (s.kind === 'start' || s.kind === 'demote') next.state = 'started';
  else if (s.kind === 'promote') next.state = 'promoted';
  else if (s.kind === 'stop') next.state = 'stopped';
  else if (s.kind === 'monitor') next.monitor = `${s.op.name}_${s.op.intervalMs}`;
  return next;
}

interface BerthRun { promoted: string[]; steps: Record<string, string[]>; actions: { replica: string; op: string; pass: number }[] }

/** berth's passes from the observed instances until nothing is left to do. */
function runBerth(spec: InnerSpec, bundle: { id: string; runnable: boolean }, found: GuestInstance[], locationScore: (replica: string) => number): BerthRun {
  const params = () => ({});
  // A host node that is down is not observed; its replicas are not placed there again.
  const live = found.filter((g) => g.hostOnline);
  const observed = new Map(live.map((g) => [g.replica, g.observed]));
  const ledger: Record<string, FailureRecord> = {};
  const run: BerthRun = { promoted: [], steps: {}, actions: [] };
  const record = (replica: string, steps: InnerStep[], pass: number) => {
    for (const s of steps) {
      if (s.kind !== 'start' && s.kind !== 'stop' && s.kind !== 'promote' && s.kind !== 'demote') continue;
      (run.steps[replica] ??= []).push(s.kind);
      run.actions.push({ replica, op: s.kind, pass });
    }
  };
  if (!bundle.runnable) {
    // A stopped bundle is not placed: each instance is stopped before its container (pass 0).
    for (const g of live) {
      const c = stopBeforeContainer({ bundle: bundle.id, index: g.index, replica: g.replica, container: g.observed.container, spec, observed: g.observed, params, why: 'stops' });
      if (c) record(g.replica, c.steps, 0);
    }
    return run;
  }
  for (let pass = 0; pass < 6; pass++) {
    const instances: PromotionInstance[] = live.map((g) => ({ replica: g.replica, index: g.index, node: g.host, observed: observed.get(g.replica)!, locationScore: locationScore(g.replica) }));
    const d = decidePromotion({ id: bundle.id, promotedMax: spec.promotedMax, promotedNodeMax: spec.promotedNodeMax }, instances, { blind: false });
    let acted = false;
    for (const g of live) {
      // The primitive's target-role=Unpromoted caps the goal, as the pass does (src/controller/inner-step.ts).
      const decided = d.goals.get(g.replica) ?? 'Unpromoted';
      const goal: InnerGoal = spec.targetRole === 'Unpromoted' && decided === 'Promoted' ? 'Unpromoted' : decided;
      const plan = planInnerReplica({ bundle: bundle.id, index: g.index, replica: g.replica, container: g.observed.container, spec, goal, params, observed: observed.get(g.replica)!, ledger, now: 0 });
      for (const u of plan.ledger) if (u.record) ledger[u.key] = u.record;
      if (!plan.chain) continue;
      acted = true;
      record(g.replica, plan.chain.steps, pass);
      observed.set(g.replica, plan.chain.steps.reduce(apply, observed.get(g.replica)!));
    }
    if (!acted && !d.waiting.length) break;
    if (pass === 5) throw new Error('berth did not settle in 6 passes');
  }
  run.promoted = [...observed].filter(([, o]) => o.state === 'promoted').map(([r]) => r).sort();
  return run;
}

t.test('the golden set: every case has Pacemaker\'s result, every difference a reason', async (t) => {
  t.strictSame(cases.map((c) => c.replace(/^\d\d-/, '')).sort(), Object.keys(PACEMAKER).sort());
  t.strictSame(Object.keys(DIFFERENCES).filter((k) => !(k in PACEMAKER) || DIFFERENCES[k].why.length < 40), []);
});

for (const d of cases) {
  const name = d.replace(/^\d\d-/, '');
  t.test(`${d}: berth promotes as Pacemaker`, async (t) => {
    const file = (f: string) => fs.readFileSync(path.join(dir, d, f), 'utf8');
    const info = JSON.parse(file('case.json')) as { bundle: string; resource: string; tools: { crm_simulate: string } };
    t.match(info.tools.crm_simulate, /^Pacemaker 2\.1\.5/, 'made by crm_simulate 2.1.5');
    const cib = parseCib(file('cib.xml'), `${d}/cib.xml`);
    const pcmk = pacemakerPromotion(parseXml(file('crm_simulate.xml'), `${d}/crm_simulate.xml`), info.bundle, info.resource);
    t.strictSame(pcmk.promoted, PACEMAKER[name], 'Pacemaker promotes');

    const model = readModel(cib, { readFile: () => '', lookupEnv: () => undefined });
    const b = model.bundles.find((x) => x.settings.id === info.bundle)!;
    t.ok(b.resource && b.placement, 'the bundle holds its resource');
    const found = readGuestInstances(cib, info.bundle, info.resource);
    t.ok(found.length > 0, 'the status shows running replicas');
    // The pass adds every role=Promoted location of the bundle on the instance's host node.
    const locationScore = (replica: string) => promotedLocationScore(model, info.bundle, replica);
    const berth = runBerth(b.resource!, { id: info.bundle, runnable: b.placement!.runnable }, found, locationScore);

    const diff = DIFFERENCES[name];
    const canonical = (x: { promoted: string[]; steps: Record<string, string[]> }) => JSON.stringify([x.promoted, Object.entries(x.steps).sort()]);
    const same = canonical(berth) === canonical(pcmk);
    t.equal(same, !diff, diff ? `differs on purpose: ${diff.why}` : 'the same as Pacemaker');
    t.strictSame(berth.promoted, diff?.promoted ?? pcmk.promoted, 'the promoted instances');
    t.strictSame(berth.steps, diff?.steps ?? pcmk.steps, 'each replica\'s start/promote/demote/stop, in order');
    // Across replicas: where Pacemaker demotes one before it promotes another, berth demotes it in
    // an earlier pass (never more promoted than promoted-max at once).
    const passOf = (a: { replica: string; op: string }) => berth.actions.find((x) => x.replica === a.replica && x.op === a.op)?.pass ?? -1;
    const late = pcmk.actions.flatMap((p, i) => (p.op !== 'promote' ? [] : pcmk.actions.slice(0, i).filter((q) => q.op === 'demote' && q.replica !== p.replica && !(passOf(q) >= 0 && passOf(q) < passOf(p))).map((q) => `${q.replica} demoted before ${p.replica} promoted`)));
    t.strictSame(late, [], 'demoted before another is promoted');
    // What Pacemaker does to one replica in one transition, berth does in one pass (one chain).
    const split = Object.keys(berth.steps).filter((r) => new Set(berth.actions.filter((a) => a.replica === r).map((a) => a.pass)).size > 1).sort();
    t.strictSame(split, diff?.split ?? [], 'each replica\'s steps in one pass');
    t.test('the installed crm_simulate still prints the fixture', { skip: !hasCrmSimulate && 'crm_simulate is not installed' }, async (t) => {
      const cmd = (JSON.parse(file('case.json')) as { crm_simulate: Record<string, string[]> }).crm_simulate['crm_simulate.xml'];
      const r = spawnSync(cmd[0], cmd.slice(1), { cwd: path.join(dir, d), encoding: 'utf8', env: { ...process.env, TZ: 'UTC', LC_ALL: 'C.UTF-8' } });
      t.equal(r.stdout, file('crm_simulate.xml'));
    });
  });
}
