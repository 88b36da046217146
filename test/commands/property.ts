import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import {
  PROPERTY_DEFINITIONS, PacemakerDaemon, propertyConfig, propertyConfigJson, propertyDefinitionsFromMetadata, propertySet,
  timeoutToSeconds,
} from '../../src/commands/property';
import type { EditFlags } from '../../src/commands/edit';
import { BerthError, Problem } from '../../src/errors/registry';
import { Expectation, FIXTURES, TOOL, comparableOutcome, loadCib, recordedCase, recordedNames, runCase, wanted } from '../fixtures/property-constraint/harness';

// What berth does with each `pcs property ...` case recorded by
// test/fixtures/property-constraint/gen.mjs. No `errors` means: succeeds with pcs's result.
const CASES: Record<string, Expectation> = {
  'p-set-first-on-empty': {},
  'p-set-several-in-order': {},
  'p-set-long-names': {},
  'p-set-empty-value-removes': {},
  'p-set-same-value': {},
  'p-set-valid-values': {},
  'p-set-unknown': { errors: [{ code: 'PROPERTY_UNKNOWN', value: 'foo' }] },
  'p-set-unknown-forced': { warnings: ['PROPERTY_UNKNOWN'] },
  'p-set-unknown-and-read-only': { errors: [{ code: 'PROPERTY_UNKNOWN', value: 'foo,zoo' }, { code: 'PROPERTY_UNKNOWN', value: 'cluster-name,dc-version' }] },
  'p-set-read-only-forced': { errors: [{ code: 'PROPERTY_UNKNOWN', value: 'cluster-name' }] },
  'p-set-bad-values': {
    errors: [
      { code: 'PROPERTY_INVALID_VALUE', value: 'maybe' },
      { code: 'PROPERTY_INVALID_VALUE', value: 'x' },
      { code: 'PROPERTY_INVALID_VALUE', value: 'a' },
      { code: 'PROPERTY_INVALID_VALUE', value: '5' },
      { code: 'PROPERTY_INVALID_VALUE', value: '5x' },
    ],
  },
  'p-set-bad-values-forced': { warnings: Array(5).fill('PROPERTY_INVALID_VALUE') },
  'p-set-bad-time-unit': { errors: [{ code: 'PROPERTY_INVALID_VALUE', value: '5ms' }] },
  'p-set-bad-percentage': { errors: [{ code: 'PROPERTY_INVALID_VALUE', value: '-5%' }] },
  'p-set-watchdog-nonzero': { errors: [{ code: 'PROPERTY_INVALID_VALUE', value: '10' }] },
  'p-set-watchdog-nonzero-forced': { errors: [{ code: 'PROPERTY_INVALID_VALUE', value: '10s' }] },
  'p-set-watchdog-invalid-forced': { errors: [{ code: 'PROPERTY_INVALID_VALUE', value: 'x' }] },
  'p-set-watchdog-zero-seconds': {},
  'p-set-duplicate-different-values': { errors: [{ code: 'USAGE' }] },
  'p-set-duplicate-same-value': {},
  'p-set-no-args': { errors: [{ code: 'USAGE' }] },
  'p-set-missing-value': { errors: [{ code: 'USAGE' }] },
  'p-set-first-set-not-default': {},
  'p-set-default-id-taken': { errors: [{ code: 'ID_DUPLICATE', value: 'cib-bootstrap-options' }] },
  'p-set-duplicate-nvpairs': {},
  'p-set-duplicate-nvpairs-remove': {},
  'p-unset': {},
  'p-unset-not-set': { errors: [{ code: 'ID_NOT_FOUND', value: 'foo,no-quorum-policy' }] },
  'p-unset-not-set-forced': { warnings: ['ID_NOT_FOUND'] },
  'p-unset-not-set-forced-creates-set': { warnings: ['ID_NOT_FOUND'] },
  'p-unset-duplicate': { errors: [{ code: 'USAGE' }] },
  'p-unset-duplicate-forced': {},
  'p-unset-read-only-not-set': { errors: [{ code: 'ID_NOT_FOUND', value: 'dc-version' }, { code: 'PROPERTY_UNKNOWN', value: 'dc-version' }] },
  'p-unset-read-only-set': { errors: [{ code: 'PROPERTY_UNKNOWN', value: 'dc-version' }] },
  'p-unset-watchdog': {},
  'p-unset-no-args': { errors: [{ code: 'USAGE' }] },
  'p-config': {},
  'p-config-empty': {},
  'p-config-name': {},
  'p-config-name-default': {},
  'p-config-name-unknown': {},
  'p-config-all': {},
  'p-config-defaults': {},
  'p-config-two-sets': {},
  'p-config-live': {},
  'p-config-all-and-defaults': { errors: [{ code: 'USAGE' }] },
  'p-config-all-with-name': { errors: [{ code: 'USAGE' }] },
};

t.test(`property cases recorded with ${TOOL}`, async (t) => {
  t.same(Object.keys(CASES).sort(), recordedNames('property').sort(), 'every recorded case has an expectation');
  for (const [name, exp] of Object.entries(CASES)) {
    const c = recordedCase(name);
    t.same(comparableOutcome(runCase(c), exp), wanted(c, exp), `${name}: pcs ${c.argv.join(' ')}`);
  }
});

t.test('a set that changes nothing is reported unchanged', async (t) => {
  t.equal(runCase(recordedCase('p-set-same-value')).changed, false);
  t.equal(runCase(recordedCase('p-set-several-in-order')).changed, true);
  t.equal(runCase(recordedCase('p-unset-not-set-forced')).changed, false);
  t.equal(runCase(recordedCase('p-unset-not-set-forced-creates-set')).changed, true);
});

t.test('property definitions are the daemons’ metadata, as pcs reads it', async (t) => {
  const daemons: PacemakerDaemon[] = ['pacemaker-based', 'pacemaker-controld', 'pacemaker-schedulerd'];
  const parsed = daemons.flatMap((d) => propertyDefinitionsFromMetadata(d, fs.readFileSync(path.join(FIXTURES, 'metadata', `${d}.xml`), 'utf8')));
  t.same(PROPERTY_DEFINITIONS, parsed);
});

t.test('time intervals as pcs reads them', async (t) => {
  const cases: [string, number | undefined][] = [
    ['0', 0], ['10', 10], [' 7 ', 7], ['+3', 3], ['1_000', 1000], ['-1', undefined],
    ['5s', 5], ['5sec', 5], ['2m', 120], ['2min', 120], ['1h', 3600], ['1hr', 3600],
    ['5ms', undefined], ['1.5s', undefined], ['s', undefined], ['-5s', undefined], ['', undefined],
  ];
  for (const [v, want] of cases) t.equal(timeoutToSeconds(v), want, JSON.stringify(v));
});

const flags = (more: Partial<EditFlags> = {}): EditFlags => ({ file: 'cib.xml', force: false, ...more });

t.test('property config --json lists every property set', async (t) => {
  const out = propertyConfig({ cib: loadCib('inputs/props-two-sets.xml'), args: [], flags: flags({ json: true }) });
  t.same(JSON.parse(out), {
    nvsets: [
      {
        id: 'my-set', options: {}, rule: null,
        nvpairs: [{ id: 'my-set-no-quorum-policy', name: 'no-quorum-policy', value: 'freeze' }, { id: 'my-set-batch-limit', name: 'batch-limit', value: '2' }],
      },
      { id: 'later', options: {}, rule: null, nvpairs: [{ id: 'later-no-quorum-policy', name: 'no-quorum-policy', value: 'ignore' }] },
    ],
  });
  t.same(propertyConfigJson(loadCib('inputs/empty.xml')), { nvsets: [] });
});

t.test('problems carry the property, the value and what is allowed', async (t) => {
  const cib = loadCib('inputs/empty.xml');
  let problems: Problem[] = [];
  try { propertySet({ cib, args: ['no-quorum-policy=sometimes'], flags: flags() }); } catch (e) { if (e instanceof BerthError) problems = e.problems; }
  t.same(problems, [{
    code: 'PROPERTY_INVALID_VALUE', severity: 'error', path: 'no-quorum-policy', value: 'sometimes', allowed: "'demote', 'freeze', 'ignore', 'stop', 'suicide'", forceable: true,
    message: "'sometimes' is not a valid no-quorum-policy value, use 'demote', 'freeze', 'ignore', 'stop', 'suicide'",
  }]);
});

t.test('berth-host-access: berth\'s own property, set without --force, its words checked', async (t) => {
  const { parseCib } = require('../../src/cib/cib') as typeof import('../../src/cib/cib');
  const { setProperties } = require('../../src/commands/property') as typeof import('../../src/commands/property');
  const { BerthError } = require('../../src/errors/registry') as typeof import('../../src/errors/registry');
  const cib = parseCib('<cib validate-with="pacemaker-3.9" admin_epoch="0" epoch="1" num_updates="0"><configuration><crm_config/><nodes/><resources/><constraints/></configuration><status/></cib>');
  t.match(setProperties(cib, { 'berth-host-access': 'privileged,devices' }, false), { changed: true, warnings: [] });
  const bad = (() => { try { setProperties(cib, { 'berth-host-access': 'privileged,root' }, false); return undefined; } catch (e) { return e as InstanceType<typeof BerthError>; } })();
  t.match(bad?.problems, [{ code: 'PROPERTY_INVALID_VALUE', path: 'berth-host-access', value: 'privileged,root', allowed: /'host-net'.*'privileged'/ }]);
});
