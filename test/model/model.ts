// The model: the CIB read once. What berth does not act on yet is said (NOT_HONOURED), never
// dropped silently; what it reads is typed (properties, meta resolution, the resource inside).
import t from 'tap';
import { parseCib } from '../../src/cib/cib';
import { readModel } from '../../src/model/model';

const CIB = `<cib validate-with="pacemaker-3.9" admin_epoch="0" epoch="1" num_updates="0"><configuration>
<crm_config><cluster_property_set id="o"><nvpair id="o-1" name="stop-all-resources" value="yes"/><nvpair id="o-2" name="cluster-name" value="prod"/></cluster_property_set></crm_config>
<nodes><node id="1" uname="n1"/></nodes>
<resources>
  <bundle id="web"><docker image="i" replicas="2"/><network control-port="3121"/>
    <primitive id="web-httpd" class="ocf" provider="heartbeat" type="apache"><operations><op id="m" name="monitor" interval="30s" timeout="20s" on-fail="restart"/></operations></primitive>
    <meta_attributes id="web-m"><nvpair id="web-m-1" name="resource-stickiness" value="7"/></meta_attributes>
    <meta_attributes id="web-r"><rule id="web-r-r" score="0"><date_expression id="d" operation="lt" end="2000-01-01"/></rule><nvpair id="web-r-1" name="resource-stickiness" value="99"/></meta_attributes>
  </bundle>
  <bundle id="db"><docker image="i" promoted-max="1" replicas="3"/></bundle>
</resources>
<rsc_defaults><meta_attributes id="d"><nvpair id="d-1" name="priority" value="4"/></meta_attributes></rsc_defaults>
<constraints>
  <rsc_colocation id="c1" rsc="web" with-rsc="db" score="INFINITY"/>
  <rsc_order id="o1" first="db" then="web"/>
  <rsc_location id="l1" rsc="db" node="n1" score="10" role="Promoted"/>
  <rsc_location id="l2" rsc="web" node="n1" score="5"/>
</constraints></configuration><status/></cib>`;

t.test('typed, resolved in one place', async (t) => {
  const m = readModel(parseCib(CIB));
  t.strictSame(m.properties, { maintenance: false, stopAll: true, symmetric: true, clusterName: 'prod', placementStrategy: 'default', stonithEnabled: true, startFailureIsFatal: true });
  t.strictSame(m.nodes.map((n) => n.name), ['n1']);
  const web = m.bundles.find((b) => b.settings.id === 'web')!;
  t.match(web.settings, { role: 'Stopped', stoppedBy: 'stop-all-resources=true' });
  t.match(web.placement, { runnable: false, stickiness: 7, priority: 4 }, 'own meta (a set with a rule is not read), else rsc_defaults');
  t.match(web.resource, { id: 'web-httpd', agent: { class: 'ocf', provider: 'heartbeat', type: 'apache' }, agentName: 'ocf:heartbeat:apache', controlPort: 3121, monitors: [{ name: 'monitor', intervalMs: 30_000, timeoutMs: 20_000, onFail: 'restart', key: 'monitor_30000' }] });
  t.match(web.resource, { start: { timeoutMs: 20_000, onFail: 'restart' }, stop: { onFail: 'fence' }, migrationThreshold: Infinity, startFailureIsFatal: true }, "Pacemaker's defaults: 20 s timeouts, a failed stop fences while stonith-enabled");
  t.equal(m.bundles.find((b) => b.settings.id === 'db')!.promotedMax, 1);
  t.strictSame(m.constraints.map((c) => c.id), ['l2'], 'the Started-role location constraint is placement\'s');
  t.strictSame(m.colocations, [{ id: 'c1', constraint: 'c1', dependent: 'web', primary: 'db', score: 1000000, influence: true }], 'the colocation between two bundles is placement\'s (no warning)');
});

t.test('what berth does not act on yet is said, each once', async (t) => {
  const m = readModel(parseCib(CIB));
  t.strictSame(m.problems.map((p) => [p.code, p.severity, p.value]).sort(), [
    ['NOT_HONOURED', 'warning', 'Promoted'],
    ['NOT_HONOURED', 'warning', 'web-r'],
  ].sort(), 'a role=Promoted location on a bundle that runs no promotable resource; a meta set with a rule');
  t.strictSame(m.promotedLocations, [], 'db holds no resource: nothing to promote');
  t.strictSame(m.orders.map((o) => [o.constraint, o.first, o.then, o.thenAction, o.inverse]), [['o1', ['db'], 'web', 'start', false], ['o1', ['web'], 'db', 'stop', true]], 'an order between bundles is acted on');
});

t.test('a set of cluster properties with a rule is not read, and said', async (t) => {
  const m = readModel(parseCib(`<cib validate-with="pacemaker-3.9" admin_epoch="0" epoch="1" num_updates="0"><configuration>
<crm_config><cluster_property_set id="night"><rule id="night-r" score="0"><date_expression id="night-d" operation="lt" end="2000-01-01"/></rule><nvpair id="night-m" name="maintenance-mode" value="true"/></cluster_property_set></crm_config>
<nodes/><resources/><constraints/></configuration><status/></cib>`));
  t.equal(m.properties.maintenance, false, 'its maintenance-mode=true does not hold at all times');
  t.strictSame(m.problems.map((p) => [p.code, p.path]), [['NOT_HONOURED', "/cib/configuration/crm_config/cluster_property_set[@id='night']"]]);
});
