// The corpus of CIBs made by the real pcs, cibadmin, crm_attribute and crm_simulate (Pacemaker
// 2.1.5, scripts/corpus-fixtures.mjs; test/fixtures/corpus/*/case.json records the tools and
// crm_verify's verdict): every CIB Pacemaker accepts, berth accepts too; its JSON form is accepted
// exactly as its XML form; XML -> JSON -> XML gives the same document; and what berth keeps but
// does not act on is said, with a code, for each case.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { formatCib, fromJson, parseCib, toJson } from '../../src/cib/cib';
import { XmlElement, canonical, elements, serializeXml } from '../../src/cib/xml';
import { readModel } from '../../src/model/model';
import { checkCibText } from '../../src/validate/cib-check';
import { validateCibText } from '../../src/commands/cib-validate';

const DIR = path.join(__dirname, '..', 'fixtures', 'corpus');
const cases = fs.readdirSync(DIR).filter((d) => d !== 'refused' && fs.statSync(path.join(DIR, d)).isDirectory()).sort();
const REFUSED_DIR = path.join(DIR, 'refused');
const refusedCases = fs.readdirSync(REFUSED_DIR).sort();

/**
 * CIBs Pacemaker accepts and berth refuses: what berth cannot run as written is refused with a
 * code, never ignored. Each with the codes of its errors and why; asserted both ways (crm_verify
 * accepts, berth refuses with exactly these), so that neither side drifts silently.
 */
const REFUSED: Record<string, { codes: string[]; why: string }> = {
  'host-pid-not-allowed': { codes: ['BUNDLE_HOST_ACCESS'], why: "the host's PID namespace is host access: the cluster property berth-host-access must allow host-pid" },
  'ipv6-range': { codes: ['OPTION_INVALID_VALUE'], why: 'berth gives replicas IPv4 addresses only' },
  'netmask-zero': { codes: ['OPTION_INVALID_VALUE'], why: 'a replica address is added with a prefix of 1 to 32' },
  'non-ascii-id': { codes: ['ID_INVALID'], why: "ids follow pcs's rule (ASCII letters, digits, _ . -), which XML's allows more than" },
  'promoted-colocation': { codes: ['CONSTRAINT_NOT_SUPPORTED'], why: 'berth places bundles by their Started role only' },
  'relative-storage': { codes: ['BUNDLE_STORAGE_PATH'], why: 'a bind of a relative host path depends on where the engine runs' },
  'same-host-port': { codes: ['BUNDLE_PORT_CONFLICT'], why: 'the second mapping of one host port could not be published' },
  'unsupported-docker-option': { codes: ['DOCKER_OPTION_UNSUPPORTED'], why: 'berth runs only the docker options it parses' },
};

t.test('what Pacemaker accepts and berth refuses: each with its code and why', async (t) => {
  t.strictSame(refusedCases, Object.keys(REFUSED).sort());
  for (const c of refusedCases) {
    const record = JSON.parse(fs.readFileSync(path.join(REFUSED_DIR, c, 'case.json'), 'utf8'));
    t.equal(record.crm_verify.accepted, true, `${c}: crm_verify accepts it`);
    const { problems } = checkCibText(fs.readFileSync(path.join(REFUSED_DIR, c, 'cib.xml'), 'utf8'), 'cib.xml');
    t.strictSame(problems.filter((p) => p.severity === 'error').map((p) => p.code), REFUSED[c].codes, `${c}: ${REFUSED[c].why}`);
  }
});

/** Per case, what the model warns it does not act on (code and value), in the model's order. */
const NOT_ACTED_ON: Record<string, [string, string][]> = {
  'clone-status': [['NOT_HONOURED', 'pingd-clone']],
  'counts-below-one': [],
  'id-refs': [],
  'kept-sections': [['NOT_HONOURED', 'g'], ['NOT_HONOURED', 'fence1'], ['NOT_HONOURED', 'acls'], ['NOT_HONOURED', 'alerts'], ['NOT_HONOURED', 'fencing-topology'], ['NOT_HONOURED', 'tk']],
  'old-schema': [['NOT_HONOURED', 'ms'], ['NOT_HONOURED', 'Master']],
  'openstack-bundles': [],
  rules: [['NOT_HONOURED', 'night'], ['NOT_HONOURED', 'web-weekdays'], ['NOT_HONOURED', 'def-rule']],
  'schema-sweep': [
    ['NOT_HONOURED', 'sw-st'], ['NOT_HONOURED', 'sw-p'], ['NOT_HONOURED', 'sw-p2'], ['NOT_HONOURED', 'sw-clone'], ['NOT_HONOURED', 'sw-ms'],
    ['NOT_HONOURED', 'sw-rd'], ['NOT_HONOURED', 'acls'], ['NOT_HONOURED', 'alerts'], ['NOT_HONOURED', 'fencing-topology'],
    ['NOT_HONOURED', 'sw-life'], ['NOT_HONOURED', 'sw-tk'],
  ],
  templates: [['NOT_HONOURED', 'site']],
  'three-nodes-addressed': [],
  'three-nodes-after-failover': [],
};

t.test('the corpus is the one the table describes, each case accepted by crm_verify', async (t) => {
  t.strictSame(cases, Object.keys(NOT_ACTED_ON).sort());
  for (const c of cases) {
    const record = JSON.parse(fs.readFileSync(path.join(DIR, c, 'case.json'), 'utf8'));
    t.equal(record.crm_verify.accepted, true, `${c}: crm_verify accepts cib.xml (${record.crm_verify.exit ? 'with warnings' : 'silently'})`);
    t.match(record.tools.pacemaker, /2\.1\.5/, `${c}: made with Pacemaker 2.1.5`);
    if (record.running) t.equal(record.running.crm_verify.accepted, true, `${c}: crm_verify accepts running.xml`);
  }
});

const files = cases.flatMap((c) => ['cib.xml', 'running.xml'].filter((f) => fs.existsSync(path.join(DIR, c, f))).map((f) => ({ c, f, file: path.join(DIR, c, f) })));

const summary = (ps: { code: string; severity: string; path?: string }[]) => ps.map((p) => [p.code, p.severity, p.path]);

for (const { c, f, file } of files) {
  t.test(`${c}/${f}: accepted, and the same as JSON, both ways`, async (t) => {
    const text = fs.readFileSync(file, 'utf8');
    const xml = checkCibText(text, f);
    t.strictSame(xml.problems.filter((p) => p.severity === 'error'), [], 'berth accepts what Pacemaker accepts');
    const cib = parseCib(text, f);
    t.equal(serializeXml(cib), serializeXml(parseCib(serializeXml(cib), f)), 'written XML reads back to the same bytes');
    const jsonText = formatCib(cib, 'json');
    const json = checkCibText(jsonText, `${f}.json`);
    t.strictSame(summary(json.problems), summary(xml.problems), 'the JSON form: the same problems as the XML form (none refused on the way back)');
    const back = parseCib(jsonText, `${f}.json`);
    t.equal(canonical(back), canonical(cib), 'XML -> JSON -> XML: the same document, status included');
    t.equal(serializeXml(fromJson(toJson(cib))), serializeXml(cib), 'byte for byte as berth writes it');
  });
}

for (const c of cases) {
  t.test(`${c}: what berth does not act on is said, by the model and by cib validate`, async (t) => {
    const text = fs.readFileSync(path.join(DIR, c, 'cib.xml'), 'utf8');
    const m = readModel(parseCib(text));
    t.strictSame(m.problems.filter((p) => p.code === 'NOT_HONOURED').map((p) => [p.code, p.value]).sort(), [...NOT_ACTED_ON[c]].sort());
    const validated = validateCibText(text, 'cib.xml');
    t.strictSame(validated.filter((p) => p.code === 'NOT_HONOURED').map((p) => [p.code, p.value, p.severity]).sort(), NOT_ACTED_ON[c].map(([code, value]) => [code, value, 'warning']).sort());
  });
}

t.test('counts below 1 are read as 1, as Pacemaker reads them, and said so', async (t) => {
  const text = fs.readFileSync(path.join(DIR, 'counts-below-one', 'cib.xml'), 'utf8');
  const m = readModel(parseCib(text));
  t.strictSame(m.bundles.map((b) => [b.settings.id, b.settings.replicas, b.settings.replicasPerHost]), [['zero', 1, 1], ['negative', 1, 1], ['per-host', 3, 1]]);
  t.strictSame(
    validateCibText(text, 'cib.xml').filter((p) => p.code === 'BUNDLE_COUNT_READ_AS_ONE').map((p) => [p.value, p.path, p.severity]),
    [
      ['0', "/cib/configuration/resources/bundle[@id='zero']/docker/@replicas", 'warning'],
      ['-2', "/cib/configuration/resources/bundle[@id='negative']/docker/@replicas", 'warning'],
      ['0', "/cib/configuration/resources/bundle[@id='per-host']/docker/@replicas-per-host", 'warning'],
    ],
  );
});

/**
 * Elements and attributes of Pacemaker's schema (its RNG files, read by the generator into
 * schema-names.json) that no accepted CIB of the corpus holds, each with why. Asserted both ways.
 */
const NOT_REACHED: Record<string, string> = {
  'duration@monthdays': "kept by Pacemaker's schema for compatibility, and marked there as invalid for a duration",
  'duration@moon': "kept by Pacemaker's schema for compatibility, and marked there as invalid for a duration",
  'duration@weekdays': "kept by Pacemaker's schema for compatibility, and marked there as invalid for a duration",
  'duration@weekyears': "kept by Pacemaker's schema for compatibility, and marked there as invalid for a duration",
  'duration@yearsdays': "kept by Pacemaker's schema for compatibility, and marked there as invalid for a duration",
};

t.test("the corpus holds every element and attribute of Pacemaker's schema", async (t) => {
  const names = JSON.parse(fs.readFileSync(path.join(DIR, 'schema-names.json'), 'utf8')) as { schema: string; elements: Record<string, string[]> };
  t.equal(names.schema, 'pacemaker-3.9', 'the schema cibadmin --empty writes');
  const held = new Set<string>();
  const visit = (e: XmlElement) => {
    held.add(e.tag);
    for (const a of Object.keys(e.attrs)) held.add(`${e.tag}@${a}`);
    // the status section is Pacemaker's free record: what is in it is no element of the schema
    if (e.tag !== 'status') for (const c of elements(e)) visit(c);
  };
  for (const { file } of files) visit(parseCib(fs.readFileSync(file, 'utf8'), file));
  const wanted = Object.entries(names.elements).flatMap(([tag, attrs]) => [tag, ...attrs.map((a) => `${tag}@${a}`)]);
  t.ok(wanted.length > 200, `${wanted.length} elements and attributes`);
  t.strictSame(wanted.filter((w) => !held.has(w)).sort(), Object.keys(NOT_REACHED).sort(), 'each one not held says why');
});
