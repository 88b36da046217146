// rsc_colocation as placement takes it (src/model/colocation.ts): pairs between bundles, resource
// sets expanded as Pacemaker 2.1.5's pcmk__unpack_colocation does; what is not a bundle is said
// (NOT_HONOURED); forms berth does not run are refused when the CIB is validated
// (src/validate/colocation-rules.ts, CONSTRAINT_NOT_SUPPORTED).
import t from 'tap';
import { parseCib } from '../../src/cib/cib';
import type { Problem } from '../../src/errors/registry';
import { readModel } from '../../src/model/model';
import { cibProblems } from '../../src/validate/cib-rules';

const bundle = (id: string, extra = '') => `<bundle id="${id}"><docker image="i" replicas="1"/>${extra}</bundle>`;
const cib = (constraints: string, resources = ['a', 'b', 'c', 'd'].map((x) => bundle(x)).join('')) => parseCib(`<cib validate-with="pacemaker-3.9" admin_epoch="0" epoch="1" num_updates="0"><configuration>
<crm_config/><nodes><node id="1" uname="n1"/></nodes>
<resources>${resources}<primitive id="p" class="ocf" provider="heartbeat" type="Dummy"/></resources>
<constraints>${constraints}</constraints></configuration><status/></cib>`);
/** The model's problems about constraints (the primitive p, which is no bundle, is warned as such too). */
const constraintProblems = (m: { problems: Problem[] }) => m.problems.filter((p) => !p.path?.startsWith('/cib/configuration/resources/'));
const set = (id: string, refs: string[], attrs = '') => `<resource_set id="${id}"${attrs}>${refs.map((r) => `<resource_ref id="${r}"/>`).join('')}</resource_set>`;
type Pair = [string, string, string, number];
const pairs = (constraints: string, resources?: string): Pair[] => readModel(cib(constraints, resources)).colocations.map((c) => [c.id, c.dependent, c.primary, c.score]);

const INF = 1000000;
const CASES: { name: string; xml: string; pairs: Pair[] }[] = [
  { name: 'simple', xml: '<rsc_colocation id="c" rsc="b" with-rsc="a" score="50"/>', pairs: [['c', 'b', 'a', 50]] },
  { name: 'score 0 is no constraint', xml: '<rsc_colocation id="c" rsc="b" with-rsc="a" score="0"/>', pairs: [] },
  { name: 'Started roles are the default', xml: '<rsc_colocation id="c" rsc="b" with-rsc="a" score="INFINITY" rsc-role="Started" with-rsc-role="started"/>', pairs: [['c', 'b', 'a', INF]] },
  { name: 'a sequential set: each with the one before', xml: `<rsc_colocation id="c" score="INFINITY">${set('s', ['a', 'b', 'c'])}</rsc_colocation>`, pairs: [['s', 'b', 'a', INF], ['s', 'c', 'b', INF]] },
  { name: 'ordering=listed: each with the one after', xml: `<rsc_colocation id="c" score="10">${set('s', ['a', 'b', 'c'], ' ordering="listed"')}</rsc_colocation>`, pairs: [['s', 'a', 'b', 10], ['s', 'b', 'c', 10]] },
  { name: 'a negative set: every member against every one before it', xml: `<rsc_colocation id="c" score="-INFINITY">${set('s', ['a', 'b', 'c'])}</rsc_colocation>`, pairs: [['s', 'b', 'a', -INF], ['s', 'c', 'a', -INF], ['s', 'c', 'b', -INF]] },
  { name: 'the set score wins inside the set', xml: `<rsc_colocation id="c" score="INFINITY">${set('s', ['a', 'b'], ' score="20"')}</rsc_colocation>`, pairs: [['s', 'b', 'a', 20]] },
  { name: 'two sequential sets: first of the first with last of the second', xml: `<rsc_colocation id="c" score="INFINITY">${set('s1', ['a', 'b'])}${set('s2', ['c', 'd'])}</rsc_colocation>`, pairs: [['s1', 'b', 'a', INF], ['s2', 'd', 'c', INF], ['c', 'a', 'd', INF]] },
  { name: 'two non-sequential sets: every member with every member', xml: `<rsc_colocation id="c" score="INFINITY">${set('s1', ['a', 'b'], ' sequential="false"')}${set('s2', ['c', 'd'], ' sequential="false"')}</rsc_colocation>`, pairs: [['c', 'a', 'c', INF], ['c', 'a', 'd', INF], ['c', 'b', 'c', INF], ['c', 'b', 'd', INF]] },
  { name: 'a sequential set with a non-sequential one', xml: `<rsc_colocation id="c" score="INFINITY">${set('s1', ['a', 'b'])}${set('s2', ['c', 'd'], ' sequential="false"')}</rsc_colocation>`, pairs: [['s1', 'b', 'a', INF], ['c', 'a', 'c', INF], ['c', 'a', 'd', INF]] },
];

t.test('pairs, as Pacemaker unpacks them', async (t) => {
  for (const c of CASES) t.strictSame(pairs(c.xml), c.pairs, c.name);
});

t.test('node-attribute and influence (default: the dependent\'s critical meta attribute)', async (t) => {
  const m = readModel(cib('<rsc_colocation id="c1" rsc="b" with-rsc="a" score="INFINITY" node-attribute="rack"/><rsc_colocation id="c2" rsc="c" with-rsc="a" score="5" influence="false"/><rsc_colocation id="c3" rsc="d" with-rsc="a" score="5"/>',
    bundle('a') + bundle('b') + bundle('c') + bundle('d', '<meta_attributes id="dm"><nvpair id="dm-1" name="critical" value="false"/></meta_attributes>')));
  t.strictSame(m.colocations.map((c) => [c.id, c.nodeAttribute, c.influence]), [['c1', 'rack', true], ['c2', undefined, false], ['c3', undefined, false]]);
  t.strictSame(constraintProblems(m), []);
});

t.test('a colocation with something that is not a bundle is said, never dropped silently', async (t) => {
  const m = readModel(cib('<rsc_colocation id="c" rsc="a" with-rsc="p" score="INFINITY"/>'));
  t.strictSame(m.colocations, []);
  t.strictSame(constraintProblems(m).map((p) => [p.code, p.severity, p.value]), [['NOT_HONOURED', 'warning', 'c']]);
  t.match(constraintProblems(m)[0].message, /'p' is not a bundle/);
  t.strictSame(constraintProblems(readModel(cib('<rsc_order id="o" first="a" then="p"/>'))).map((p) => [p.code, p.value]), [['NOT_HONOURED', 'o']], 'an order with something that is not a bundle is warned too');
});

t.test('roles, instances and sets by reference are refused at validation, naming field, value and what is allowed', async (t) => {
  const refused = (xml: string) => cibProblems(cib(xml)).filter((p) => p.code === 'CONSTRAINT_NOT_SUPPORTED').map((p) => [p.severity, p.path, p.value, p.allowed]);
  const ROLE = 'Started (or no role); berth does not colocate by role yet';
  const base = "/cib/configuration/constraints/rsc_colocation[@id='c']";
  t.strictSame(refused('<rsc_colocation id="c" rsc="b" with-rsc="a" score="INFINITY" rsc-role="Promoted"/>'), [['error', `${base}/@rsc-role`, 'Promoted', ROLE]]);
  t.strictSame(refused('<rsc_colocation id="c" rsc="b" with-rsc="a" score="INFINITY" with-rsc-role="Unpromoted"/>'), [['error', `${base}/@with-rsc-role`, 'Unpromoted', ROLE]]);
  t.strictSame(refused('<rsc_colocation id="c" rsc="b" with-rsc="a" score="INFINITY" rsc-instance="1"/>'), [['error', `${base}/@rsc-instance`, '1', 'no instance: a colocation applies to every replica']]);
  t.strictSame(refused(`<rsc_colocation id="c" score="INFINITY">${set('s', ['a', 'b'], ' role="Promoted"')}</rsc_colocation>`), [['error', `${base}/resource_set[@id='s']/@role`, 'Promoted', ROLE]]);
  t.strictSame(refused('<rsc_colocation id="c" rsc="b" with-rsc="a" score="INFINITY" rsc-role="Started"/>'), [], 'Started is what berth runs');
  t.strictSame(refused('<rsc_colocation id="c" rsc="p" with-rsc="p" score="INFINITY" rsc-role="Promoted"/>'), [], 'between resources berth does not run at all: only warned by the model');
  // If such a CIB reaches the model anyway, the pair is skipped and said.
  const m = readModel(cib('<rsc_colocation id="c" rsc="b" with-rsc="a" score="INFINITY" rsc-role="Promoted"/>'));
  t.strictSame([m.colocations, constraintProblems(m).map((p) => [p.code, p.severity, p.value])], [[], [['CONSTRAINT_NOT_SUPPORTED', 'warning', 'c']]]);

  t.strictSame(refused('<rsc_colocation id="c" rsc="a" with-rsc="b" score="INFINITY"/><rsc_colocation id="d" rsc="b" with-rsc="a" score="-INFINITY"/>').map((p) => p[2]), ['c', 'd'], 'a loop');
  t.strictSame(refused(`<rsc_colocation id="c" score="INFINITY">${set('s', ['a', 'b', 'c'])}</rsc_colocation><rsc_colocation id="d" rsc="a" with-rsc="c" score="10"/>`).map((p) => p[2]), ['c', 'd'], 'a longer loop, through a set');
  t.strictSame(refused('<rsc_colocation id="c" rsc="a" with-rsc="b" score="-INFINITY"/><rsc_colocation id="d" rsc="b" with-rsc="a" score="-INFINITY"/>').map((p) => p[2]), ['c', 'd'], 'a loop of anti-colocations too');
  const loop = readModel(cib('<rsc_colocation id="c" rsc="a" with-rsc="b" score="INFINITY"/><rsc_colocation id="d" rsc="b" with-rsc="a" score="INFINITY"/>'));
  t.strictSame([loop.colocations, constraintProblems(loop).map((p) => [p.code, p.value])], [[], [['CONSTRAINT_NOT_SUPPORTED', 'c'], ['CONSTRAINT_NOT_SUPPORTED', 'd']]], 'the model, defensive, drops and says');
});
