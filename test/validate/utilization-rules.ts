// What placement cannot honour about utilization, placement-strategy and resource-discovery is
// refused when the CIB is validated (src/validate/utilization-rules.ts), one table of cases.
import t from 'tap';
import { parseCib } from '../../src/cib/cib';
import { cibProblems } from '../../src/validate/cib-rules';
import { utilizationProblems } from '../../src/validate/utilization-rules';

const cib = ({ strategy, node = '', inner = '', outside = '', discovery }: { strategy?: string; node?: string; inner?: string; outside?: string; discovery?: string }) => parseCib(`<cib validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config><cluster_property_set id="o">${strategy === undefined ? '' : `<nvpair id="o-ps" name="placement-strategy" value="${strategy}"/>`}</cluster_property_set></crm_config>
    <nodes><node id="1" uname="node1">${node}</node></nodes>
    <resources>
      <bundle id="web"><docker image="x:1" replicas="2"/><primitive id="web-app" class="ocf" provider="heartbeat" type="Dummy">${inner}</primitive></bundle>
      <primitive id="alone" class="ocf" provider="heartbeat" type="Dummy">${outside}</primitive>
    </resources>
    <constraints><rsc_location id="l" rsc="web" node="node1" score="0"${discovery === undefined ? '' : ` resource-discovery="${discovery}"`}/></constraints>
  </configuration>
  <status/>
</cib>`);

const util = (id: string, pairs: Record<string, string>, rule = false) => `<utilization id="${id}">${rule ? `<rule id="${id}-r" score="0"><expression id="${id}-e" attribute="#uname" operation="eq" value="node1"/></rule>` : ''}${Object.entries(pairs).map(([k, v]) => `<nvpair id="${id}-${k}" name="${k}" value="${v}"/>`).join('')}</utilization>`;

const cases: { name: string; input: Parameters<typeof cib>[0]; expected: [string, string, string][] }[] = [
  { name: 'integers everywhere, every strategy word', input: { strategy: 'Balanced', node: util('n', { cpu: '4', mem: '-1' }), inner: util('i', { cpu: '+2' }), discovery: 'exclusive' }, expected: [] },
  { name: 'a value that is not an integer', input: { node: util('n', { cpu: '4.5' }), inner: util('i', { cpu: 'lots' }) }, expected: [
    ['OPTION_INVALID_VALUE', "/cib/configuration/nodes/node[@id='1']/utilization[@id='n']/nvpair[@id='n-cpu']/@value", '4.5'],
    ['OPTION_INVALID_VALUE', "/cib/configuration/resources/bundle[@id='web']/primitive[@id='web-app']/utilization[@id='i']/nvpair[@id='i-cpu']/@value", 'lots'],
  ] },
  { name: 'a utilization set with a rule', input: { node: util('n', { cpu: '4' }, true) }, expected: [['UTILIZATION_NOT_SUPPORTED', "/cib/configuration/nodes/node[@id='1']/utilization[@id='n']/rule[@id='n-r']", 'n-r']] },
  { name: 'utilization outside a bundle under a strategy', input: { strategy: 'utilization', outside: util('a', { cpu: '1' }) }, expected: [['UTILIZATION_NOT_SUPPORTED', "/cib/configuration/resources/primitive[@id='alone']/utilization[@id='a']", 'alone']] },
  { name: 'utilization outside a bundle, strategy default', input: { strategy: 'default', outside: util('a', { cpu: '1' }) }, expected: [] },
  { name: 'an unknown placement-strategy', input: { strategy: 'wild' }, expected: [['PROPERTY_INVALID_VALUE', "/cib/configuration/crm_config/cluster_property_set/nvpair[@name='placement-strategy']/@value", 'wild']] },
  { name: 'an unknown resource-discovery', input: { discovery: 'sometimes' }, expected: [['CONSTRAINT_INVALID', "/cib/configuration/constraints/rsc_location[@id='l']/@resource-discovery", 'sometimes']] },
  { name: 'resource-discovery never (no probes in berth: nothing to refuse)', input: { discovery: 'never' }, expected: [] },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const problems = utilizationProblems(cib(c.input));
    t.strictSame(problems.map((p) => [p.code, p.path, p.value]), c.expected);
    for (const p of problems) t.ok(p.allowed && p.severity === 'error', `${p.code} says what is allowed and is an error`);
    // cib validate and every pass see the same problems
    const all = cibProblems(cib(c.input)).filter((p) => p.code === 'UTILIZATION_NOT_SUPPORTED' || /utilization|placement-strategy|resource-discovery/.test(p.path ?? ''));
    t.strictSame(all.map((p) => [p.code, p.path, p.value]), c.expected, 'cibProblems includes them');
  });
}
