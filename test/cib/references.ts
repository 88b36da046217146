// References resolved as Pacemaker unpacks them: nvsets, nvpairs, rules and resource sets by
// id-ref, primitives from a template; the CIB itself is never changed; a dangling reference is a
// coded problem; what the model reads through them is what the references name.
import t from 'tap';
import { parseCib } from '../../src/cib/cib';
import { references, resolveReferences } from '../../src/cib/references';
import { canonical, child, elements, serializeXml } from '../../src/cib/xml';
import { readModel } from '../../src/model/model';
import { checkCibText } from '../../src/validate/cib-check';

const CIB = `<cib validate-with="pacemaker-3.9" admin_epoch="0" epoch="1" num_updates="0"><configuration>
<crm_config><cluster_property_set id="o"><nvpair id="o-1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
<nodes><node id="1" uname="n1"/><node id="2" uname="n2"/></nodes>
<resources>
  <template id="t" class="ocf" provider="heartbeat" type="apache">
    <instance_attributes id="t-ia"><nvpair id="t-ia-c" name="configfile" value="/etc/a.conf"/></instance_attributes>
    <operations><op id="t-mon" name="monitor" interval="30s"/><op id="t-start" name="start" interval="0s" timeout="40s"/></operations>
  </template>
  <bundle id="web"><docker image="i" replicas="2"/><network control-port="3121"/>
    <meta_attributes id="web-m"><nvpair id-ref="shared-stick"/></meta_attributes>
    <primitive id="web-httpd" template="t"><operations><op id="own-mon" name="monitor" interval="30s" timeout="9s"/></operations></primitive>
  </bundle>
  <bundle id="db"><docker image="i"/><meta_attributes id-ref="web-m"/></bundle>
</resources>
<rsc_defaults><meta_attributes id="shared"><nvpair id="shared-stick" name="resource-stickiness" value="7"/></meta_attributes></rsc_defaults>
<constraints>
  <rsc_location id="l1" rsc="web"><rule id="r1" score="10"><expression id="e1" attribute="#uname" operation="eq" value="n2"/></rule></rsc_location>
  <rsc_location id="l2" rsc="db"><rule id-ref="r1"/></rsc_location>
  <rsc_colocation id="c1" score="INFINITY"><resource_set id="s1"><resource_ref id="web"/><resource_ref id="db"/></resource_set></rsc_colocation>
  <rsc_order id="o1"><resource_set id-ref="s1"/></rsc_order>
</constraints></configuration><status/></cib>`;

t.test('the model reads what references name; the CIB is not changed', async (t) => {
  const cib = parseCib(CIB);
  const before = canonical(cib);
  const m = readModel(cib);
  t.equal(canonical(cib), before, 'the tree is as it was read');
  const web = m.bundles.find((b) => b.settings.id === 'web')!;
  const db = m.bundles.find((b) => b.settings.id === 'db')!;
  t.equal(web.placement?.stickiness, 7, 'an nvpair by id-ref');
  t.equal(db.placement?.stickiness, 7, 'a meta_attributes set by id-ref');
  t.match(web.resource, {
    id: 'web-httpd',
    agentName: 'ocf:heartbeat:apache',
    params: { configfile: '/etc/a.conf' },
    start: { timeoutMs: 40000 },
    monitors: [{ name: 'monitor', intervalMs: 30000, timeoutMs: 9000 }],
  }, 'a primitive from a template: its agent and attributes, its own operation over the template\'s of the same name and interval, the others added');
  t.equal(web.resource?.monitors.length, 1, 'one monitor: the primitive\'s own, not the template\'s too');
  t.strictSame(m.constraints.map((c) => c.id), ['l1', 'l2'], 'a rule by id-ref places as the rule');
  t.strictSame(m.orders.map((o) => [o.first, o.then]), [[['web'], 'db'], [['db'], 'web']], 'a resource set by id-ref orders as the set');
  t.notOk(m.problems.some((p) => p.code === 'CONSTRAINT_NOT_SUPPORTED'), 'nothing refused for being by reference');
});

t.test('a CIB with references is valid; the written CIB keeps them', async (t) => {
  const r = checkCibText(CIB, 'in.xml');
  t.strictSame(r.problems.filter((p) => p.severity === 'error').map((p) => [p.code, p.path]), []);
  t.match(serializeXml(r.cib!), /<nvpair id-ref="shared-stick"\/>/);
  t.match(serializeXml(r.cib!), /<primitive id="web-httpd" template="t">/);
});

t.test('a dangling reference or one to another kind is a coded problem at its attribute', async (t) => {
  const bad = CIB.replace('<nvpair id-ref="shared-stick"/>', '<nvpair id-ref="nothing"/>').replace('template="t"', 'template="web-m"').replace('<rule id-ref="r1"/>', '<rule id-ref="e1"/>');
  const got = checkCibText(bad, 'in.xml').problems.filter((p) => p.severity === 'error').map((p) => [p.code, p.path, p.value]);
  t.strictSame(got, [
    ['REFERENCE_MISSING', "/cib/configuration/resources/bundle[@id='web']/meta_attributes[@id='web-m']/nvpair/@id-ref", 'nothing'],
    ['ID_WRONG_KIND', "/cib/configuration/resources/bundle[@id='web']/primitive[@id='web-httpd']/@template", 'web-m'],
    ['ID_WRONG_KIND', "/cib/configuration/constraints/rsc_location[@id='l2']/rule/@id-ref", 'e1'],
  ]);
});

t.test('resolving: no copy without references, a loop left as written', async (t) => {
  const plain = parseCib('<cib><configuration><crm_config/><nodes/><resources/><constraints/></configuration></cib>');
  t.equal(resolveReferences(plain), plain, 'nothing to resolve: the same tree');
  const loop = parseCib(`<cib><configuration><crm_config/><nodes/><resources/><constraints>
    <rsc_location id="a" rsc="x"><rule id="ra" score="1"><rule id-ref="rb"/></rule></rsc_location>
    <rsc_location id="b" rsc="x"><rule id="rb" score="1"><rule id-ref="ra"/></rule></rsc_location></constraints></configuration></cib>`);
  const resolved = resolveReferences(loop);
  const a = elements(child(child(resolved, 'configuration')!, 'constraints')!)[0];
  t.ok(a, 'a loop of rules does not recurse for ever');
  t.strictSame(references(loop).map((r) => [r.path, r.id, r.to?.attrs.id]), [
    ["/cib/configuration/constraints/rsc_location[@id='a']/rule[@id='ra']/rule", 'rb', 'rb'],
    ["/cib/configuration/constraints/rsc_location[@id='b']/rule[@id='rb']/rule", 'ra', 'ra'],
  ]);
});
