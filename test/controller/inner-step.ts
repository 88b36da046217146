// The pass's promotion step over every node (src/controller/inner-step.ts), pure: a promoted copy
// on a node its replica is no longer placed on (the node put in standby, a move) holds the
// promotion of another until its demote is done — never two promoted at once (chaos run, seed 6:
// a standby of the promoted replica's node promoted another in the same pass as the demote).
import t from 'tap';
import { parseCib } from '../../src/cib/cib';
import { readModel } from '../../src/model/model';
import { planInnerResources } from '../../src/controller/inner-step';
import { emptyPlan } from '../../src/reconcile/plan';
import type { InnerObserved } from '../../src/reconcile/inner';
import type { ObservedState } from '../../src/reconcile/observed';
import type { ObservedContainer } from '../../src/runtime/engine';

const model = readModel(parseCib(`<cib validate-with="pacemaker-3.9" admin_epoch="0" epoch="1" num_updates="0"><configuration><crm_config/>
<nodes><node id="1" uname="n1"/><node id="2" uname="n2"/></nodes><resources>
<bundle id="db"><docker image="i" replicas="2" replicas-per-host="1" promoted-max="1"/><network control-port="3121"/>
<primitive id="db-state" class="ocf" provider="pacemaker" type="Stateful"/></bundle>
</resources><constraints/></configuration><status/></cib>`));

const container = (index: number, node: string): ObservedContainer => ({
  id: `c${index}`, name: `db-${index}`, image: 'i', state: 'running', health: 'none', status: 'Up', labels: {}, bundle: 'db', replica: index, node, created: 0,
});
const inner = (index: number, state: InnerObserved['state'], promotion: number): InnerObserved => ({ container: `c${index}`, link: 'up', incarnation: 'i', state, failures: [], promotion });
const observed = (containers: ObservedContainer[], innerOf: Record<string, InnerObserved>): ObservedState => ({ containers, foreign: [], runs: {}, addresses: [], ledger: {}, files: {}, inner: innerOf });

/** db-0 promoted on n2, db-1 unpromoted on n1; db-0 now placed `db0On` (undefined: nowhere). */
function pass(db0State: InnerObserved['state'], db0On: string | undefined) {
  const parts = [
    { node: 'n1', observed: observed([container(1, 'n1')], { 'db-1': inner(1, 'started', 5) }), plan: emptyPlan('n1') },
    { node: 'n2', observed: observed([container(0, 'n2')], { 'db-0': inner(0, db0State, 10) }), plan: emptyPlan('n2') },
  ];
  const placements = new Map<string, string>([['db-1', 'n1'], ...(db0On ? [['db-0', db0On] as [string, string]] : [])]);
  planInnerResources(model, parts, placements, { now: 1_000_000, blind: false });
  const steps = (node: string) => parts.find((p) => p.node === node)!.plan.inner.flatMap((a) => a.chain.steps.map((s) => `${a.replica} ${s.kind}`));
  return { n1: steps('n1'), n2: steps('n2'), waiting: parts.flatMap((p) => p.plan.waiting.map((w) => w.message)) };
}

t.test('placed where it runs: the promoted one stays, nothing else is promoted', async (t) => {
  const r = pass('promoted', 'n2');
  t.notOk(r.n1.some((s) => s.endsWith('promote')), 'db-1 is not promoted');
});

t.test('its node put in standby (db-0 placed nowhere): db-1 waits for the demote', async (t) => {
  const r = pass('promoted', undefined);
  t.notOk(r.n1.some((s) => s.endsWith(' promote')), `db-1 is not promoted in the same pass: ${r.n1.join(', ')}`);
  t.match(r.waiting.join('\n'), /db-1 is promoted once 1 promoted instance is demoted/);
});

t.test('once the leaving copy is demoted, db-1 is promoted', async (t) => {
  const r = pass('started', undefined);
  t.ok(r.n1.includes('db-1 promote'), `db-1 promoted: ${r.n1.join(', ')}`);
});
