import t from 'tap';
import { constraintColocation, constraintConfig, constraintLocation, constraintsJson } from '../../src/commands/constraint';
import { el } from '../../src/cib/xml';
import { section } from '../../src/cib/cib';
import type { EditFlags } from '../../src/commands/edit';
import { BerthError } from '../../src/errors/registry';
import { Expectation, TOOL, comparableOutcome, loadCib, recordedCase, recordedNames, runCase, wanted } from '../fixtures/property-constraint/harness';

// What berth does with each `pcs constraint ...` case recorded by
// test/fixtures/property-constraint/gen.mjs. No `errors` means: succeeds with pcs's result.
// `pcsMessage: false` marks cases pcs fails only in cibadmin's schema check (or with a usage
// text): berth refuses them up front with its own message.
const schema = { pcsMessage: false } as const;
const CASES: Record<string, Expectation> = {
  // location
  'l-prefers': {},
  'l-prefers-scores': {},
  'l-avoids': {},
  'l-avoids-zero': {},
  'l-prefers-plus': {},
  'l-avoids-plus': { ...schema, errors: [{ code: 'SCORE_INVALID', value: '+5' }] },
  'l-avoids-plus-partial': { ...schema, errors: [{ code: 'SCORE_INVALID', value: '+5' }] },
  'l-bad-score': { errors: [{ code: 'SCORE_INVALID', value: 'abc' }] },
  'l-empty-score': { errors: [{ code: 'SCORE_INVALID', value: '' }] },
  'l-missing-resource': { errors: [{ code: 'ID_NOT_FOUND', value: 'nope' }] },
  'l-clone-member': { errors: [{ code: 'CONSTRAINT_INVALID', value: 'CR' }] },
  'l-clone-member-forced': {},
  'l-bundle-member': { errors: [{ code: 'CONSTRAINT_INVALID', value: 'BR' }] },
  'l-bundle': {},
  'l-empty-bundle': {},
  'l-group-member': {},
  'l-promotable': {},
  'l-regexp': {},
  'l-regexp-missing-ok': {},
  'l-typed-resource': {},
  'l-typed-default': {},
  'l-bad-type': { errors: [{ code: 'USAGE' }] },
  'l-node-sanitized': {},
  'l-empty-node': {},
  'l-replace-same-node': {},
  'l-replace-within-command': {},
  'l-replace-same-id': {},
  'l-identical': {},
  'l-id-taken': { ...schema, errors: [{ code: 'ID_DUPLICATE', value: 'location-R1-n1-INFINITY' }] },
  'l-no-nodes': { errors: [{ code: 'USAGE' }] },
  'l-bad-verb': { errors: [{ code: 'USAGE' }] },
  'l-add': {},
  'l-add-replaces': {},
  'l-add-unknown-option': { errors: [{ code: 'OPTION_UNKNOWN', value: 'foo' }] },
  'l-add-unknown-option-forced': { ...schema, errors: [{ code: 'OPTION_UNKNOWN', value: 'foo' }], warnings: ['OPTION_UNKNOWN'] },
  'l-add-role-forced': { warnings: ['OPTION_UNKNOWN'] },
  'l-add-bad-discovery': { ...schema, errors: [{ code: 'OPTION_INVALID_VALUE', value: 'sometimes' }] },
  'l-add-bad-id': { errors: [{ code: 'ID_INVALID', value: '1loc' }] },
  'l-add-bad-score': { errors: [{ code: 'SCORE_INVALID', value: 'abc' }] },
  'l-remove': {},
  'l-remove-missing': { errors: [{ code: 'ID_NOT_FOUND', value: 'nope' }] },
  // colocation add
  'c-basic': {},
  'c-score': {},
  'c-score-option': {},
  'c-id': {},
  'c-last-id-wins': {},
  'c-role': {},
  'c-roles-lowercase': {},
  'c-legacy-roles': { warnings: ['OPTION_DEPRECATED', 'OPTION_DEPRECATED'] },
  'c-started-role': {},
  'c-bad-first-role': { errors: [{ code: 'OPTION_INVALID_VALUE', value: 'bogus' }] },
  'c-bad-second-role': { errors: [{ code: 'OPTION_INVALID_VALUE', value: 'bogus' }] },
  'c-word-after-target': { errors: [{ code: 'OPTION_INVALID_VALUE', value: 'R2' }] },
  'c-bad-score': { ...schema, errors: [{ code: 'SCORE_INVALID', value: 'abc' }] },
  'c-options': {},
  'c-unknown-option': { ...schema, errors: [{ code: 'OPTION_UNKNOWN', value: 'foo' }] },
  'c-bad-role-option': { ...schema, errors: [{ code: 'OPTION_INVALID_VALUE', value: 'promoted' }] },
  'c-empty-option': { errors: [{ code: 'USAGE' }] },
  'c-option-without-value': { errors: [{ code: 'USAGE' }] },
  'c-bad-id': { errors: [{ code: 'ID_INVALID', value: '1x' }] },
  'c-id-taken': { errors: [{ code: 'ID_DUPLICATE', value: 'R3' }] },
  'c-self': {},
  'c-multiple-with': { errors: [{ code: 'USAGE' }] },
  'c-too-few': { errors: [{ code: 'USAGE' }] },
  'c-no-with': { errors: [{ code: 'USAGE' }] },
  'c-missing-target': { errors: [{ code: 'ID_NOT_FOUND', value: 'nope' }] },
  // pcs stops at the first missing resource, berth names both
  'c-missing-both': { ...schema, errors: [{ code: 'ID_NOT_FOUND', value: 'nope' }, { code: 'ID_NOT_FOUND', value: 'nope2' }] },
  'c-bundle-target': {},
  'c-bundle-member': { errors: [{ code: 'CONSTRAINT_INVALID', value: 'BR' }] },
  'c-group': {},
  'c-clone-member': { errors: [{ code: 'CONSTRAINT_INVALID', value: 'CR' }] },
  'c-clone-member-forced': {},
  'c-duplicate': { errors: [{ code: 'CONSTRAINT_DUPLICATE', value: 'colocation-R1-R2-INFINITY' }] },
  'c-duplicate-started-roles': { errors: [{ code: 'CONSTRAINT_DUPLICATE', value: 'colocation-R1-R2-INFINITY' }] },
  'c-reverse-is-not-duplicate': {},
  'c-duplicate-forced': { warnings: ['CONSTRAINT_DUPLICATE'] },
  'c-duplicate-legacy-roles': { errors: [{ code: 'CONSTRAINT_DUPLICATE', value: 'colocation-P-C--10' }], warnings: ['OPTION_DEPRECATED', 'OPTION_DEPRECATED'] },
  'c-old-schema-roles': {},
  'c-old-schema-duplicate': { errors: [{ code: 'CONSTRAINT_DUPLICATE', value: 'colocation-P-R1-INFINITY' }] },
  // order
  'o-basic': {},
  'o-actions': {},
  'o-kind': {},
  'o-kind-lowercase': { ...schema, errors: [{ code: 'OPTION_INVALID_VALUE', value: 'optional' }] },
  'o-options': {},
  'o-nonsymmetrical': {},
  'o-symmetrical': {},
  'o-symmetrical-uppercase': {},
  'o-symmetrical-bad': { errors: [{ code: 'OPTION_INVALID_VALUE', value: 'yes' }] },
  'o-score': {},
  'o-score-and-kind': { ...schema, errors: [{ code: 'OPTION_CONFLICT', value: 'kind,score' }] },
  'o-score-plus': { ...schema, errors: [{ code: 'ID_INVALID', value: 'order-R1-R2-+5' }] },
  'o-score-plus-with-id': {},
  'o-require-all': {},
  'o-unknown-option': { ...schema, errors: [{ code: 'OPTION_UNKNOWN', value: 'foo' }] },
  'o-first-action-option-ignored': {},
  'o-same-group': { errors: [{ code: 'CONSTRAINT_INVALID', value: 'G1,G2' }] },
  'o-group-member': {},
  'o-clone-member': { errors: [{ code: 'CONSTRAINT_INVALID', value: 'CR' }] },
  'o-clone-member-forced': {},
  'o-bundle-member': { errors: [{ code: 'CONSTRAINT_INVALID', value: 'BR' }] },
  'o-bundle': {},
  'o-missing': { errors: [{ code: 'ID_NOT_FOUND', value: 'nope' }] },
  'o-multiple-then': { errors: [{ code: 'USAGE' }] },
  'o-no-then': { errors: [{ code: 'USAGE' }] },
  'o-nothing-after-then': { errors: [{ code: 'USAGE' }] },
  'o-option-without-value': { errors: [{ code: 'USAGE' }] },
  'o-empty-id': { errors: [{ code: 'USAGE' }] },
  'o-id-taken': { errors: [{ code: 'ID_DUPLICATE', value: 'R3' }] },
  'o-duplicate': { errors: [{ code: 'CONSTRAINT_DUPLICATE', value: 'order-R1-R2-mandatory' }] },
  'o-duplicate-forced': { warnings: ['CONSTRAINT_DUPLICATE'] },
  'o-other-action-is-not-duplicate': {},
  // delete / remove: pcs removes what it finds and fails for the rest; berth changes nothing then
  'd-one': {},
  'd-two': {},
  'd-missing': { errors: [{ code: 'ID_NOT_FOUND', value: 'nope' }] },
  'd-partial': { errors: [{ code: 'ID_NOT_FOUND', value: 'nope' }, { code: 'ID_NOT_FOUND', value: 'nope2' }] },
  'd-rule': {},
  'd-last-rule': {},
  'd-set-constraint': {},
  'd-ticket': {},
  'd-resource-id': { errors: [{ code: 'ID_NOT_FOUND', value: 'R1' }] },
  'd-no-args': { errors: [{ code: 'USAGE' }] },
  // config
  'cfg-none': {},
  'cfg-rich': {},
  'cfg-rich-full': {},
  'cfg-old-roles': {},
};

t.test(`constraint cases recorded with ${TOOL}`, async (t) => {
  t.same(Object.keys(CASES).sort(), recordedNames('constraint').sort(), 'every recorded case has an expectation');
  for (const [name, exp] of Object.entries(CASES)) {
    const c = recordedCase(name);
    t.same(comparableOutcome(runCase(c), exp), wanted(c, exp), `${name}: pcs ${c.argv.join(' ')}`);
  }
});

t.test('replacing a location by an identical one changes nothing', async (t) => {
  t.equal(runCase(recordedCase('l-replace-same-node')).changed, true);
  const cib = loadCib('inputs/constraints.xml');
  // the last location of the input, re-added as it is
  const r = constraintLocation({ cib, args: ['C', 'prefers', 'n9'], flags: flags() });
  t.equal(r.changed, true);
  t.equal(constraintLocation({ cib, args: ['C', 'prefers', 'n9'], flags: flags() }).changed, false);
});

const problemsOf = (f: () => unknown) => {
  try { f(); } catch (e) { if (e instanceof BerthError) return e.problems; throw e; }
  return [];
};

const flags = (more: Partial<EditFlags> = {}): EditFlags => ({ file: 'cib.xml', force: false, ...more });

t.test('without -f, location nodes must be known cluster nodes', async (t) => {
  const cib = loadCib('inputs/resources.xml');
  const live: EditFlags = { force: false };
  t.match(problemsOf(() => constraintLocation({ cib, args: ['R1', 'prefers', 'n1', 'n2=5'], flags: live })), [
    { code: 'ID_NOT_FOUND', path: 'node', value: 'n1', forceable: true, message: "Node 'n1' does not appear to exist in configuration" },
    { code: 'ID_NOT_FOUND', path: 'node', value: 'n2', forceable: true },
  ]);
  section(cib, 'nodes').children.push(el('node', { id: '1', uname: 'n1' }), el('node', { id: '2', uname: 'n2' }));
  t.same(constraintLocation({ cib, args: ['R1', 'prefers', 'n1', 'n2=5'], flags: live }).warnings, []);
  t.same(constraintLocation({ cib, args: ['R1', 'prefers', 'n3'], flags: { ...live, force: true } }).warnings, []);
});

t.test('constraint config --json', async (t) => {
  const out = constraintConfig({ cib: loadCib('inputs/constraints.xml'), args: [], flags: flags({ json: true }) });
  const data = JSON.parse(out);
  t.same(Object.keys(data), ['location', 'location_set', 'colocation', 'colocation_set', 'order', 'order_set', 'ticket', 'ticket_set']);
  t.same(data.location[0], {
    resource_id: 'R1', resource_pattern: null, role: null,
    attributes: { constraint_id: 'location-R1-n1-INFINITY', score: 'INFINITY', node: 'n1', rules: [], lifetime: [], resource_discovery: null },
  });
  t.same(data.colocation.find((c: { attributes: { constraint_id: string } }) => c.attributes.constraint_id === 'colocation-P-C--10'), {
    resource_id: 'P', with_resource_id: 'C', node_attribute: 'rack', resource_role: 'Promoted', with_resource_role: 'Unpromoted',
    resource_instance: null, with_resource_instance: null,
    attributes: { constraint_id: 'colocation-P-C--10', score: '-10', influence: 'false', lifetime: [] },
  });
  t.same(data.order.find((o: { attributes: { constraint_id: string } }) => o.attributes.constraint_id === 'order-R1-P-Optional'), {
    first_resource_id: 'R1', then_resource_id: 'P', first_action: 'stop', then_action: 'promote', first_resource_instance: null, then_resource_instance: null,
    attributes: { constraint_id: 'order-R1-P-Optional', symmetrical: false, require_all: null, score: null, kind: 'Optional' },
  });
  t.same(data.order_set[0].resource_sets[0], {
    set_id: 'order_set_R1R2R3_set', sequential: false, require_all: null, ordering: null, action: null, role: null, score: null, kind: null, resources_ids: ['R1', 'R2'],
  });
  t.same(data.ticket_set[0].attributes, { constraint_id: 'ticket_set_R1R2', ticket: 'T3', loss_policy: null });
  const rule = data.location.find((l: { resource_id: string }) => l.resource_id === 'R2').attributes.rules[0];
  t.same(rule, {
    id: 'location-R2-rule', type: 'rule', options: { score: '5' },
    expressions: [{ id: 'location-R2-rule-expr', type: 'expression', options: { operation: 'eq', attribute: '#uname', value: 'n1' }, expressions: [] }],
  });
  t.same(constraintsJson(loadCib('inputs/resources.xml')), { location: [], location_set: [], colocation: [], colocation_set: [], order: [], order_set: [], ticket: [], ticket_set: [] });
});

t.test('an error leaves the CIB as it was, also after partial work', async (t) => {
  const cib = loadCib('inputs/constraints.xml');
  const before = JSON.stringify(cib);
  t.match(problemsOf(() => constraintLocation({ cib, args: ['R1', 'avoids', 'n7', 'n8=+5'], flags: flags() })), [{ code: 'SCORE_INVALID', value: '+5' }]);
  t.equal(JSON.stringify(cib), before);
});

t.test('a colocation placement cannot honour is refused, nothing written', async (t) => {
  const cib = loadCib('inputs/constraints.xml');
  const before = JSON.stringify(cib);
  t.match(problemsOf(() => constraintColocation({ cib, args: ['Promoted', 'B', 'with', 'B2'], flags: flags() })), [
    { code: 'CONSTRAINT_NOT_SUPPORTED', severity: 'error', value: 'Promoted', allowed: 'Started (or no role); berth does not colocate by role yet', path: "/cib/configuration/constraints/rsc_colocation[@id='colocation-B-B2-INFINITY']/@rsc-role" },
  ]);
  t.equal(JSON.stringify(cib), before);
  t.equal(constraintColocation({ cib, args: ['B', 'with', 'B2'], flags: flags() }).changed, true, 'without a role it is written');
  t.match(problemsOf(() => constraintColocation({ cib, args: ['B2', 'with', 'B', '10'], flags: flags() })), [{ code: 'CONSTRAINT_NOT_SUPPORTED', value: 'colocation-B2-B-10' }], 'a loop');
  t.equal(problemsOf(() => constraintColocation({ cib, args: ['B2', 'with', 'B', '-INFINITY'], flags: flags() })).length, 1, 'a loop, whatever the scores');
});
