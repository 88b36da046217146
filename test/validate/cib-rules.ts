// The whole-CIB checks of `berth cib validate` (src/validate/cib-rules.ts). References: every
// resource a constraint names must exist, each missing one reported where it is named.
import t from 'tap';
import { section } from '../../src/cib/cib';
import { cibProblems } from '../../src/validate/cib-rules';
import { loadCib } from '../fixtures/property-constraint/harness';

t.test('reference problems name the constraint attribute by XPath', async (t) => {
  t.strictSame(cibProblems(loadCib('inputs/constraints.xml')), [], 'the intact fixture has no problem');
  const cib = loadCib('inputs/constraints.xml');
  // R2 vanishes without its constraints, as a hand-edited CIB might have it
  const resources = section(cib, 'resources');
  resources.children = resources.children.filter((c) => !('tag' in c && c.attrs.id === 'R2'));
  const problems = cibProblems(cib);
  t.strictSame(
    problems.map((p) => [p.code, p.severity, p.path, p.value]),
    [
      ['REFERENCE_MISSING', 'error', "/cib/configuration/constraints/rsc_location[@id='location-R2']/@rsc", 'R2'],
      ['REFERENCE_MISSING', 'error', "/cib/configuration/constraints/rsc_order[@id='order-R1-R2-mandatory']/@then", 'R2'],
      ['REFERENCE_MISSING', 'error', "/cib/configuration/constraints/rsc_order[@id='order-R3-R2-5']/@then", 'R2'],
      ['REFERENCE_MISSING', 'error', "/cib/configuration/constraints/rsc_colocation[@id='colocation-R1-R2-INFINITY']/@with-rsc", 'R2'],
      ['REFERENCE_MISSING', 'error', "/cib/configuration/constraints/rsc_order[@id='order_set_R1R2R3']/resource_set[@id='order_set_R1R2R3_set']/resource_ref[@id='R2']/@id", 'R2'],
      ['REFERENCE_MISSING', 'error', "/cib/configuration/constraints/rsc_colocation[@id='colocation_set_R1R2']/resource_set[@id='colocation_set_R1R2_set']/resource_ref[@id='R2']/@id", 'R2'],
      ['REFERENCE_MISSING', 'error', "/cib/configuration/constraints/rsc_ticket[@id='ticket_set_R1R2']/resource_set[@id='ticket_set_R1R2_set']/resource_ref[@id='R2']/@id", 'R2'],
    ],
  );
  t.match(problems[4], { allowed: 'the id of an existing resource', message: "constraint 'order_set_R1R2R3' refers to 'R2' in resource set 'order_set_R1R2R3_set', which does not exist" });
});
