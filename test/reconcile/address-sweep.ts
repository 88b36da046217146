// The planner sweeps an address of this cluster that nothing on the node holds or needs (left by a
// controller that died between adding it and creating the container, or by a create that failed
// past its chain's undo), and never touches an address that is not provably this cluster's.
// The real engine and iproute2 prove it end to end (test/e2e/address-sweep.ts).
import t from 'tap';
import { computePlan } from '../../src/reconcile/plan';
import type { HostAddress, ObservedState } from '../../src/reconcile/observed';
import { ADDRESS_LABEL } from '../../src/reconcile/desired';
import { BERTH_LABELS } from '../../src/runtime/engine';
import { T0, berthAddress, bundle, cib, desiredOf, observedOf } from './scenario-kit';

// Two replicas, one per host, over node1 and node2: httpd-bundle-0 runs on node1 (127.0.1.131),
// httpd-bundle-1 on node2 (127.0.1.132).
const two = cib(bundle({ replicas: 2, perHost: 1 }));
const placedHere = [{ bundle: 'httpd-bundle', index: 0, node: 'node1' }, { bundle: 'httpd-bundle', index: 1, node: 'node2' }];
const onNode1 = () => desiredOf(two, 'node1', ['node1', 'node2'], placedHere);

interface Case {
  name: string;
  /** addresses on node1 besides the running replica's own */
  addresses: HostAddress[];
  cib?: string;
  /** a foreign container claims this address */
  foreignClaims?: string;
  /** the sweep's removals expected, as `replica ip` */
  removed: string[];
  /** the removals only reported instead (unmanaged bundles), as `ip/prefix` */
  reported?: string[];
}

const cases: Case[] = [
  { name: 'an address of a replica placed on another node, no container here: removed', addresses: [berthAddress('127.0.1.132')], removed: ['httpd-bundle-1 127.0.1.132'] },
  { name: 'an address in the range of no replica (index ≥ replicas): not this cluster\'s to know, kept', addresses: [berthAddress('127.0.1.133')], removed: [] },
  { name: 'an address outside every range, berth\'s label: kept', addresses: [berthAddress('127.0.1.140')], removed: [] },
  { name: 'an address in the range without berth\'s label (someone else added it): kept', addresses: [{ ip: '127.0.1.132', prefix: 32, interface: 'lo', label: 'lo' }], removed: [] },
  { name: 'an address in the range on another interface than host-interface: kept', addresses: [{ ip: '127.0.1.132', prefix: 32, interface: 'eth0', label: 'eth0:berth' }], removed: [] },
  { name: 'an address a container of another cluster claims: kept', addresses: [berthAddress('127.0.1.132')], foreignClaims: '127.0.1.132', removed: [] },
  { name: 'an unmanaged bundle: reported, not removed', cib: cib(bundle({ replicas: 2, perHost: 1, meta: { 'is-managed': 'false' } })), addresses: [berthAddress('127.0.1.132')], removed: [], reported: ['is-managed=false 127.0.1.132/32'] },
  { name: 'cluster maintenance-mode: reported, not removed', cib: cib(bundle({ replicas: 2, perHost: 1 }), { 'maintenance-mode': 'true' }), addresses: [berthAddress('127.0.1.132')], removed: [], reported: ['cluster maintenance-mode 127.0.1.132/32'] },
];

function withForeign(o: ObservedState, ip: string): ObservedState {
  const labels = { [BERTH_LABELS.cluster]: 'other', [BERTH_LABELS.bundle]: 'x', [BERTH_LABELS.replica]: '0', [ADDRESS_LABEL]: `${ip}/32@lo` };
  return { ...o, foreign: [{ id: 'f1', name: 'x-0', image: 'i', state: 'running', health: 'none', status: 'Up', labels, bundle: 'x', replica: 0, cluster: 'other', created: T0 / 1000 }] };
}

for (const c of cases) {
  t.test(c.name, async (t) => {
    const desired = c.cib ? desiredOf(c.cib, 'node1', ['node1', 'node2'], placedHere) : onNode1();
    let observed = observedOf(desired, [{ replica: 'httpd-bundle-0' }], { addresses: [berthAddress('127.0.1.131'), ...c.addresses] });
    if (c.foreignClaims) observed = withForeign(observed, c.foreignClaims);
    const plan = computePlan(desired, observed, T0);
    t.strictSame(plan.removeAddress.map((a) => `${a.replica} ${a.address.ip}`), c.removed);
    t.ok(plan.removeAddress.every((a) => a.sweep === true), 'every removal is a sweep');
    t.strictSame(plan.create, [], 'nothing is created');
    const reported = plan.reports.flatMap((r) => { const m = /^(.*): would remove-address (\S+)/.exec(r.message); return m ? [`${m[1]} ${m[2]}`] : []; });
    t.strictSame(reported, c.reported ?? [], 'what an unmanaged bundle would remove is reported');
  });
}

t.test('the sweep names what it removes and why', async (t) => {
  const desired = onNode1();
  const plan = computePlan(desired, observedOf(desired, [{ replica: 'httpd-bundle-0' }], { addresses: [berthAddress('127.0.1.131'), berthAddress('127.0.1.132')] }), T0);
  t.match(plan.removeAddress, [{ kind: 'remove-address', bundle: 'httpd-bundle', index: 1, replica: 'httpd-bundle-1', address: { ip: '127.0.1.132', prefix: 32, interface: 'lo' }, sweep: true, reason: /nothing on this node holds it or needs it/ }]);
});

t.test('the address of a replica placed here and being created is kept (not added twice, not removed)', async (t) => {
  // Both replicas on node1 (one node); replica 1 has its address and no container yet: the
  // controller died between the address and the create, or another pass is creating it now.
  const desired = desiredOf(cib(bundle({ replicas: 2 })));
  const plan = computePlan(desired, observedOf(desired, [{ replica: 'httpd-bundle-0' }], { addresses: [berthAddress('127.0.1.131'), berthAddress('127.0.1.132')] }), T0);
  t.strictSame(plan.removeAddress, []);
  t.strictSame(plan.addAddress, [], 'the address is there already');
  t.strictSame(plan.create.map((a) => a.replica), ['httpd-bundle-1']);
});

t.test('the address of a replica stopped here (its container holds it) is removed by the stop, once', async (t) => {
  const desired = desiredOf(cib(bundle({ replicas: 2, meta: { 'target-role': 'Stopped' } })));
  const seen = [{ replica: 'httpd-bundle-0', address: '127.0.1.131/32@lo' }, { replica: 'httpd-bundle-1', address: '127.0.1.132/32@lo' }];
  const plan = computePlan(desired, observedOf(desired, seen), T0);
  t.strictSame(plan.removeAddress.map((a) => [a.address.ip, a.sweep ?? false]), [['127.0.1.132', false], ['127.0.1.131', false]]);
});

t.test('a node with every address held: nothing to sweep', async (t) => {
  const desired = desiredOf(cib(bundle({ replicas: 3 })));
  const plan = computePlan(desired, observedOf(desired, [{ replica: 'httpd-bundle-0' }, { replica: 'httpd-bundle-1' }, { replica: 'httpd-bundle-2' }]), T0);
  t.strictSame(plan.removeAddress, []);
});
