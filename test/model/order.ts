// rsc_order as the pass takes it (src/model/order.ts): "then waits for first" pairs between
// bundles, resource sets and the inverse of a symmetrical order expanded as Pacemaker 2.1.5's
// pcmk__unpack_ordering does; what is not a bundle is said (NOT_HONOURED); promote/demote,
// instances, sets by reference and loops are refused when the CIB is validated
// (src/validate/order-rules.ts, CONSTRAINT_NOT_SUPPORTED).
import t from 'tap';
import { parseCib } from '../../src/cib/cib';
import type { Problem } from '../../src/errors/registry';
import { readModel } from '../../src/model/model';
import { cibProblems } from '../../src/validate/cib-rules';

const meta = (id: string, kv: Record<string, string>) => `<meta_attributes id="${id}-m">${Object.entries(kv).map(([k, v]) => `<nvpair id="${id}-m-${k}" name="${k}" value="${v}"/>`).join('')}</meta_attributes>`;
const bundle = (id: string, m: Record<string, string> = {}) => `<bundle id="${id}"><docker image="i" replicas="1"/>${Object.keys(m).length ? meta(id, m) : ''}</bundle>`;
const cib = (constraints: string, resources = ['a', 'b', 'c', 'd'].map((x) => bundle(x)).join('')) => parseCib(`<cib validate-with="pacemaker-3.9" admin_epoch="0" epoch="1" num_updates="0"><configuration>
<crm_config/><nodes><node id="1" uname="n1"/></nodes>
<resources>${resources}<primitive id="p" class="ocf" provider="heartbeat" type="Dummy"/></resources>
<constraints>${constraints}</constraints></configuration><status/></cib>`);
/** The model's problems about constraints (the primitive p, which is no bundle, is warned as such too). */
const constraintProblems = (m: { problems: Problem[] }) => m.problems.filter((p) => !p.path?.startsWith('/cib/configuration/resources/'));
const set = (id: string, refs: string[], attrs = '') => `<resource_set id="${id}"${attrs}>${refs.map((r) => `<resource_ref id="${r}"/>`).join('')}</resource_set>`;
/** "id: start a then start b [Mandatory, requires, inverse, any]" */
const pairs = (constraints: string, resources?: string): string[] => readModel(cib(constraints, resources)).orders.map((o) =>
  `${o.id}: ${o.firstAction} ${o.first.join('|')} then ${o.thenAction} ${o.then} [${[o.kind, ...(o.requiresFirst ? ['requires'] : []), ...(o.inverse ? ['inverse'] : []), ...(o.anyOf ? ['any'] : []), ...(o.interleave ? ['interleave'] : [])].join(', ')}]`);

const CASES: { name: string; xml: string; pairs: string[] }[] = [
  { name: 'simple: start then start, and stops in reverse', xml: '<rsc_order id="o" first="a" then="b"/>', pairs: ['o: start a then start b [Mandatory, requires]', 'o: stop b then stop a [Mandatory, inverse]'] },
  { name: 'symmetrical=false: no reverse', xml: '<rsc_order id="o" first="a" then="b" symmetrical="false"/>', pairs: ['o: start a then start b [Mandatory, requires]'] },
  { name: 'Optional is symmetrical too, and requires nothing', xml: '<rsc_order id="o" first="a" then="b" kind="Optional"/>', pairs: ['o: start a then start b [Optional]', 'o: stop b then stop a [Optional, inverse]'] },
  { name: 'score 0 is Optional, another score Mandatory', xml: '<rsc_order id="o" first="a" then="b" score="0" symmetrical="false"/><rsc_order id="q" first="c" then="d" score="5" symmetrical="false"/>', pairs: ['o: start a then start b [Optional]', 'q: start c then start d [Mandatory, requires]'] },
  { name: 'Serialize is never symmetrical', xml: '<rsc_order id="o" first="a" then="b" kind="Serialize" symmetrical="true"/>', pairs: ['o: start a then start b [Serialize]'] },
  { name: 'then-action defaults to first-action', xml: '<rsc_order id="o" first="a" then="b" first-action="stop"/>', pairs: ['o: stop a then stop b [Mandatory]', 'o: start b then start a [Mandatory, inverse]'] },
  { name: 'start then stop', xml: '<rsc_order id="o" first="a" then="b" first-action="start" then-action="stop" symmetrical="false"/>', pairs: ['o: start a then stop b [Mandatory, requires]'] },
  { name: 'a set: each after the one before, reverse on stop', xml: `<rsc_order id="o">${set('s', ['a', 'b', 'c'])}</rsc_order>`, pairs: ['s: start a then start b [Mandatory, requires]', 's: start b then start c [Mandatory, requires]', 's: stop b then stop a [Mandatory, inverse]', 's: stop c then stop b [Mandatory, inverse]'] },
  { name: 'a set of one orders nothing', xml: `<rsc_order id="o">${set('s', ['a'])}</rsc_order>`, pairs: [] },
  { name: 'a non-sequential set orders nothing inside', xml: `<rsc_order id="o">${set('s', ['a', 'b'], ' sequential="false"')}</rsc_order>`, pairs: [] },
  { name: 'a Serialize set: each before every one after it', xml: `<rsc_order id="o">${set('s', ['a', 'b', 'c'], ' kind="Serialize"')}</rsc_order>`, pairs: ['s: start a then start b [Serialize]', 's: start a then start c [Serialize]', 's: start b then start c [Serialize]'] },
  { name: 'two sets without sequential="true": every member of the first before every member of the second',
    xml: `<rsc_order id="o" symmetrical="false">${set('s1', ['a'])}${set('s2', ['b', 'c'], ' sequential="false"')}</rsc_order>`, pairs: ['o: start a then start b [Mandatory, requires]', 'o: start a then start c [Mandatory, requires]'] },
  { name: 'two sequential="true" sets: the last of the first before the first of the second; reverse: first of the second stops before last of the first',
    xml: `<rsc_order id="o">${set('s1', ['a', 'b'], ' sequential="true"')}${set('s2', ['c', 'd'], ' sequential="true"')}</rsc_order>`,
    pairs: ['s1: start a then start b [Mandatory, requires]', 's1: stop b then stop a [Mandatory, inverse]', 's2: start c then start d [Mandatory, requires]', 's2: stop d then stop c [Mandatory, inverse]', 'o: start b then start c [Mandatory, requires]', 'o: stop c then stop b [Mandatory, inverse]'] },
  { name: 'require-all=false: the second set waits for any one of the first (starts only)',
    xml: `<rsc_order id="o">${set('s1', ['a', 'b'], ' sequential="false" require-all="false"')}${set('s2', ['c'])}</rsc_order>`,
    pairs: ['o: start a|b then start c [Mandatory, requires, any]', 'o: stop c then stop a [Mandatory, inverse]', 'o: stop c then stop b [Mandatory, inverse]'] },
  { name: 'require-all=false on a simple order between bundles: ignored (bundles are not clones)', xml: '<rsc_order id="o" first="a" then="b" require-all="false" symmetrical="false"/>', pairs: ['o: start a then start b [Mandatory, requires]'] },
  { name: 'interleave: then\'s for starts, first\'s for stops', xml: '<rsc_order id="o" first="a" then="b"/>', pairs: ['o: start a then start b [Mandatory, requires, interleave]', 'o: stop b then stop a [Mandatory, inverse, interleave]'] },
];

t.test('pairs, as Pacemaker unpacks them', async (t) => {
  for (const c of CASES) {
    const resources = c.name.startsWith('interleave') ? bundle('a') + bundle('b', { interleave: 'true' }) : undefined;
    t.strictSame(pairs(c.xml, resources), c.pairs, c.name);
  }
  t.strictSame(pairs('<rsc_order id="o" first="a" then="b"/>', bundle('a', { interleave: 'true' }) + bundle('b')), ['o: start a then start b [Mandatory, requires]', 'o: stop b then stop a [Mandatory, inverse]'], 'first\'s interleave alone: not for starts, nor for the stop of first (b is first there)');
});

t.test('an order with something that is not a bundle is said, never dropped silently', async (t) => {
  const m = readModel(cib('<rsc_order id="o" first="p" then="a"/>'));
  t.strictSame([m.orders, constraintProblems(m).map((p) => [p.code, p.severity, p.value])], [[], [['NOT_HONOURED', 'warning', 'o']]]);
});

t.test('promote/demote, instances, sets by reference and loops are refused at validation', async (t) => {
  const refused = (xml: string) => cibProblems(cib(xml)).filter((p) => p.code === 'CONSTRAINT_NOT_SUPPORTED').map((p) => [p.severity, p.path, p.value, p.allowed]);
  const ACTION = 'start or stop; berth does not order promote or demote yet';
  const base = "/cib/configuration/constraints/rsc_order[@id='o']";
  t.strictSame(refused('<rsc_order id="o" first="a" then="b" first-action="promote"/>'), [['error', `${base}/@first-action`, 'promote', ACTION]]);
  t.strictSame(refused('<rsc_order id="o" first="a" then="b" then-action="demote"/>'), [['error', `${base}/@then-action`, 'demote', ACTION]]);
  t.strictSame(refused(`<rsc_order id="o">${set('s', ['a', 'b'], ' action="promote"')}</rsc_order>`), [['error', `${base}/resource_set[@id='s']/@action`, 'promote', ACTION]]);
  t.strictSame(refused('<rsc_order id="o" first="a" then="b" first-action="stop"/>'), [], 'start and stop are what berth orders');
  t.strictSame(refused('<rsc_order id="o" first="p" then="p" first-action="promote"/>'), [], 'between resources berth does not run at all: only warned by the model');
  t.strictSame(refused('<rsc_order id="o" first="a" then="b"/><rsc_order id="q" first="b" then="a"/>').map((p) => p[2]), ['o', 'q'], 'a loop');
  t.strictSame(refused(`<rsc_order id="o">${set('s', ['a', 'b', 'c'])}</rsc_order><rsc_order id="q" first="c" then="a"/>`).map((p) => p[2]), ['o', 'q'], 'a longer loop, through a set');
  t.strictSame(refused('<rsc_order id="o" first="a" then="b"/><rsc_order id="q" first="b" then="c"/>'), [], 'a chain is no loop');
  // If such a CIB reaches the model anyway, the constraint is skipped and said.
  const m = readModel(cib('<rsc_order id="o" first="a" then="b" first-action="promote"/>'));
  t.strictSame([m.orders, constraintProblems(m).map((p) => [p.code, p.severity, p.value])], [[], [['CONSTRAINT_NOT_SUPPORTED', 'warning', 'o']]]);
});

t.test('impliesThen: a Mandatory symmetrical pair, never its inverse (the cascade reads it)', async (t) => {
  const implies = (xml: string) => readModel(cib(xml)).orders.map((o) => `${o.firstAction} ${o.first.join('|')} then ${o.thenAction} ${o.then}: ${o.impliesThen}`);
  const IMPLIES: { name: string; xml: string; pairs: string[] }[] = [
    { name: 'Mandatory, symmetrical (the default)', xml: '<rsc_order id="o" first="a" then="b"/>', pairs: ['start a then start b: true', 'stop b then stop a: false'] },
    { name: 'symmetrical=false', xml: '<rsc_order id="o" first="a" then="b" symmetrical="false"/>', pairs: ['start a then start b: false'] },
    { name: 'Optional', xml: '<rsc_order id="o" first="a" then="b" kind="Optional"/>', pairs: ['start a then start b: false', 'stop b then stop a: false'] },
    { name: 'Serialize', xml: '<rsc_order id="o" first="a" then="b" kind="Serialize"/>', pairs: ['start a then start b: false'] },
    { name: 'a sequential set', xml: `<rsc_order id="o">${set('s', ['a', 'b'])}</rsc_order>`, pairs: ['start a then start b: true', 'stop b then stop a: false'] },
    { name: 'between two sets', xml: `<rsc_order id="o">${set('s1', ['a'])}${set('s2', ['b'])}</rsc_order>`, pairs: ['start a then start b: true', 'stop b then stop a: false'] },
    { name: 'between two sets, symmetrical=false', xml: `<rsc_order id="o" symmetrical="false">${set('s1', ['a'])}${set('s2', ['b'])}</rsc_order>`, pairs: ['start a then start b: false'] },
  ];
  for (const c of IMPLIES) t.strictSame(implies(c.xml), c.pairs, c.name);
});
