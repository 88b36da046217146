// One message per fact (src/validate/cib-check.ts): a bad CIB file, XML or JSON, gives every
// problem of every stage at once (schema and rules), each fact once, in document order; and a
// value the command line also checks gives the same code and words from a file as from the command.
import t from 'tap';
import * as path from 'node:path';
import { emptyCib, parseCib, toJsonText } from '../../src/cib/cib';
import { bundleCreate, BundleCreate } from '../../src/commands/bundle';
import { constraintLocation } from '../../src/commands/constraint';
import { readPushedCib } from '../../src/commands/cluster-cib';
import { Problem } from '../../src/errors/registry';
import { main } from '../../src/cli/main';
import { checkCibText } from '../../src/validate/cib-check';
import { problemsThrown } from '../helpers/problems';
import { prng } from '../helpers/prng';

const cibXml = (resources: string, constraints = '') =>
  `<cib validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes/><resources>${resources}</resources><constraints>${constraints}</constraints></configuration><status/></cib>`;
const B = "/cib/configuration/resources/bundle[@id='web']";
const IPV4 = 'an IPv4 address (a.b.c.d, each part 0..255)';
const ABS = "an absolute path without '..'";
const ID = 'letters, digits, _ . - (starting with a letter or _)';
const CONTAINER = 'image, masters, network, options, promoted-max, replicas, replicas-per-host, run-command';

type Row = [code: string, path: string, value: string | undefined, allowed: string | undefined];
const rows = (ps: Problem[]): Row[] => ps.map((p) => [p.code, p.path ?? '', p.value, p.allowed]);

/** The JSON form of an XML text, as `cib convert --to json` writes it. */
const asJson = (xml: string) => toJsonText(parseCib(xml));

const files: { name: string; xml?: string; json?: unknown; want: Row[] }[] = [
  {
    name: 'replicas=abc, a bad IPv4 and a bad storage path: all three at once',
    xml: cibXml(`<bundle id="web"><docker image="nginx" replicas="abc"/><network ip-range-start="10.0.0.300"/><storage><storage-mapping id="web-st" source-dir="relative/dir" target-dir="/data"/></storage></bundle>`),
    want: [
      ['OPTION_INVALID_VALUE', `${B}/docker/@replicas`, 'abc', 'a positive integer'],
      ['OPTION_INVALID_VALUE', `${B}/network/@ip-range-start`, '10.0.0.300', IPV4],
      ['BUNDLE_STORAGE_PATH', `${B}/storage/storage-mapping[@id='web-st']/@source-dir`, 'relative/dir', ABS],
    ],
  },
  {
    name: 'a container without image, with an unknown option',
    xml: cibXml(`<bundle id="web"><docker bogus="1" replicas="2"/></bundle>`),
    want: [
      ['OPTION_REQUIRED', `${B}/docker`, 'image', undefined],
      ['OPTION_UNKNOWN', `${B}/docker`, 'bogus', CONTAINER],
    ],
  },
  {
    name: 'port mappings with both port and range, and with neither',
    xml: cibXml(`<bundle id="web"><docker image="i"/><network control-port="3121"><port-mapping id="p1" port="80" range="81-82"/><port-mapping id="p2"/></network></bundle>`),
    want: [
      ['OPTION_CONFLICT', `${B}/network/port-mapping[@id='p1']`, 'port,range', undefined],
      ['OPTION_REQUIRED', `${B}/network/port-mapping[@id='p2']`, 'port,range', undefined],
    ],
  },
  {
    name: 'a bad bundle id: once, not from the schema and again from the id rule',
    xml: cibXml(`<bundle id="1web"><docker image="i"/></bundle>`),
    want: [['ID_INVALID', "/cib/configuration/resources/bundle[@id='1web']/@id", '1web', ID]],
  },
  {
    name: "a storage path climbing out with '..': once",
    xml: cibXml(`<bundle id="web"><docker image="i"/><storage><storage-mapping id="s" source-dir="/srv" target-dir="/var/../etc"/></storage></bundle>`),
    want: [['BUNDLE_STORAGE_PATH', `${B}/storage/storage-mapping[@id='s']/@target-dir`, '/var/../etc', ABS]],
  },
  {
    name: 'addresses past 255.255.255.255: a rule the schema has no word for',
    xml: cibXml(`<bundle id="web"><docker image="i" replicas="3"/><network ip-range-start="255.255.255.254"/></bundle>`),
    want: [['BUNDLE_ADDRESS_OVERFLOW', `${B}/network/@ip-range-start`, '255.255.255.254', 'a start address at most 255.255.255.253 for 3 replicas']],
  },
  {
    name: 'a value the schema refuses is not judged again by a rule that assumed a good one',
    xml: cibXml(`<bundle id="web"><docker image="i" network="host" replicas-per-host="abc"/><network control-port="3121"/><primitive id="inner" class="ocf" provider="heartbeat" type="Dummy"/></bundle>`),
    want: [['OPTION_INVALID_VALUE', `${B}/docker/@replicas-per-host`, 'abc', 'a positive integer']],
  },
  {
    name: 'a bad id used twice: its form once per element, and that it is used twice',
    xml: cibXml(`<bundle id="web"><docker image="i"/><network control-port="3121"/><primitive id="1p" class="ocf" provider="heartbeat" type="Dummy"/></bundle><primitive id="1q" class="ocf" provider="heartbeat" type="Dummy"/><primitive id="web" class="ocf" provider="heartbeat" type="Dummy"/>`),
    want: [
      ['ID_INVALID', `${B}/primitive[@id='1p']/@id`, '1p', ID],
      ['ID_INVALID', "/cib/configuration/resources/primitive[@id='1q']/@id", '1q', ID],
      ['ID_DUPLICATE', "/cib/configuration/resources/primitive[@id='web']/@id", 'web', undefined],
    ],
  },
  {
    name: 'a location constraint with a bad score',
    xml: cibXml(`<bundle id="web"><docker image="i"/></bundle>`, `<rsc_location id="loc" rsc="web" node="n1" score="lots"/>`),
    want: [['SCORE_INVALID', "/cib/configuration/constraints/rsc_location[@id='loc']/@score", 'lots', 'an integer, INFINITY or -INFINITY']],
  },
  {
    name: 'rule problems and schema problems in document order',
    xml: cibXml(`<bundle id="web"><docker image="i"/><network control-port="3121"><port-mapping id="a" port="80"/><port-mapping id="b" port="80"/></network></bundle><bundle id="db"><docker image="i" replicas="abc"/></bundle>`),
    want: [
      ['BUNDLE_PORT_CONFLICT', `${B}/network/port-mapping[@id='b']`, '80', 'each host port in one port mapping only'],
      ['OPTION_INVALID_VALUE', "/cib/configuration/resources/bundle[@id='db']/docker/@replicas", 'abc', 'a positive integer'],
    ],
  },
  {
    name: 'JSON: an attribute value that is not text, and the rules still run',
    json: { tag: 'cib', attrs: { epoch: '1' }, children: [{ tag: 'configuration', children: [{ tag: 'crm_config' }, { tag: 'nodes' }, { tag: 'resources', children: [{ tag: 'bundle', attrs: { id: 'web' }, children: [{ tag: 'docker', attrs: { image: 'i', replicas: 3 } }, { tag: 'network', attrs: { 'ip-range-start': '1.2.3' } }] }] }, { tag: 'constraints' }] }] },
    want: [
      ['SCHEMA_VIOLATION', `${B}/docker/@replicas`, '3', 'a string'],
      ['OPTION_INVALID_VALUE', `${B}/network/@ip-range-start`, '1.2.3', IPV4],
    ],
  },
  {
    name: 'JSON: a node that is no element, comment or text, then a rule problem after it',
    json: { tag: 'cib', children: [{ tag: 'configuration', children: [{ tag: 'crm_config' }, { tag: 'nodes' }, { tag: 'resources', children: [{ tag: 'bundle', attrs: { id: 'web' }, children: [{ tag: 'docker', attrs: { image: 'i' } }, { tag: 'network', children: [{ foo: 1 }, { tag: 'port-mapping', attrs: { id: 'p', port: '80' } }, { tag: 'port-mapping', attrs: { id: 'q', port: '80' } }] }] }] }, { tag: 'constraints' }] }] },
    want: [
      ['SCHEMA_VIOLATION', `${B}/network/node()[1]`, '{"foo":1}', 'an element, a comment or text'],
      ['BUNDLE_PORT_CONFLICT', `${B}/network/port-mapping[@id='q']`, '80', 'each host port in one port mapping only'],
    ],
  },
  {
    name: 'JSON: a root that is not <cib>, said once',
    json: { tag: 'foo', children: [] },
    want: [['CIB_NOT_A_CIB', '/', 'foo', 'cib']],
  },
];

t.test('bad CIB files: exactly these problems, XML and JSON alike', async (t) => {
  for (const f of files) {
    const texts: [string, string][] = f.xml !== undefined ? [['XML', f.xml], ['JSON', asJson(f.xml)]] : [['JSON', JSON.stringify(f.json)]];
    for (const [form, text] of texts) {
      const r = checkCibText(text, 'bad-file');
      t.strictSame(rows(r.problems), f.want, `${f.name} (${form})`);
      for (const p of r.problems) t.notMatch(p.message, /must match|\^|\$/, `${f.name} (${form}): no pattern in '${p.message}'`);
    }
  }
});

// ---- the command line and a file: the same fact, the same words ----

const request = (b: Partial<BundleCreate>): BundleCreate => ({ id: 'web', containerType: 'docker', container: { image: 'i' }, network: {}, portMaps: [], storageMaps: [], meta: {}, disabled: false, force: false, ...b });

const same: { name: string; code: string; cli: Partial<BundleCreate>; file: string }[] = [
  { name: 'replicas', code: 'OPTION_INVALID_VALUE', cli: { container: { image: 'i', replicas: 'abc' } }, file: `<bundle id="web"><docker image="i" replicas="abc"/></bundle>` },
  { name: 'replicas-per-host', code: 'OPTION_INVALID_VALUE', cli: { container: { image: 'i', 'replicas-per-host': '1.5' } }, file: `<bundle id="web"><docker image="i" replicas-per-host="1.5"/></bundle>` },
  { name: 'promoted-max', code: 'OPTION_INVALID_VALUE', cli: { container: { image: 'i', 'promoted-max': '-1' } }, file: `<bundle id="web"><docker image="i" promoted-max="-1"/></bundle>` },
  { name: 'masters', code: 'OPTION_INVALID_VALUE', cli: { container: { image: 'i', masters: 'x' } }, file: `<bundle id="web"><docker image="i" masters="x"/></bundle>` },
  { name: 'an empty image', code: 'OPTION_INVALID_VALUE', cli: { container: { image: '' } }, file: `<bundle id="web"><docker image=""/></bundle>` },
  { name: 'no image', code: 'OPTION_REQUIRED', cli: { container: { replicas: '1' } }, file: `<bundle id="web"><docker replicas="1"/></bundle>` },
  { name: 'an unknown container option', code: 'OPTION_UNKNOWN', cli: { container: { image: 'i', bogus: '1' } }, file: `<bundle id="web"><docker image="i" bogus="1"/></bundle>` },
  { name: 'control-port', code: 'OPTION_INVALID_VALUE', cli: { network: { 'control-port': '70000' } }, file: `<bundle id="web"><docker image="i"/><network control-port="70000"/></bundle>` },
  { name: 'host-netmask', code: 'OPTION_INVALID_VALUE', cli: { network: { 'host-netmask': '33' } }, file: `<bundle id="web"><docker image="i"/><network host-netmask="33"/></bundle>` },
  { name: 'ip-range-start', code: 'OPTION_INVALID_VALUE', cli: { network: { 'ip-range-start': '10.0.0.300' } }, file: `<bundle id="web"><docker image="i"/><network ip-range-start="10.0.0.300"/></bundle>` },
  { name: 'add-host', code: 'OPTION_INVALID_VALUE', cli: { network: { 'control-port': '3121', 'add-host': 'maybe' } }, file: `<bundle id="web"><docker image="i"/><network control-port="3121" add-host="maybe"/></bundle>` },
  { name: 'an unknown network option', code: 'OPTION_UNKNOWN', cli: { network: { speed: 'fast' } }, file: `<bundle id="web"><docker image="i"/><network speed="fast"/></bundle>` },
  { name: 'port', code: 'OPTION_INVALID_VALUE', cli: { portMaps: [{ id: 'p', port: '0' }] }, file: `<bundle id="web"><docker image="i"/><network><port-mapping id="p" port="0"/></network></bundle>` },
  { name: 'internal-port', code: 'OPTION_INVALID_VALUE', cli: { portMaps: [{ id: 'p', port: '80', 'internal-port': 'x' }] }, file: `<bundle id="web"><docker image="i"/><network><port-mapping id="p" port="80" internal-port="x"/></network></bundle>` },
  { name: 'range', code: 'OPTION_INVALID_VALUE', cli: { portMaps: [{ id: 'p', range: '0-70000' }] }, file: `<bundle id="web"><docker image="i"/><network><port-mapping id="p" range="0-70000"/></network></bundle>` },
  { name: 'port and range', code: 'OPTION_CONFLICT', cli: { portMaps: [{ id: 'p', port: '80', range: '81-82' }] }, file: `<bundle id="web"><docker image="i"/><network><port-mapping id="p" port="80" range="81-82"/></network></bundle>` },
  { name: 'a port-map id', code: 'ID_INVALID', cli: { portMaps: [{ id: '1p', port: '80' }] }, file: `<bundle id="web"><docker image="i"/><network><port-mapping id="1p" port="80"/></network></bundle>` },
  { name: 'source-dir', code: 'BUNDLE_STORAGE_PATH', cli: { storageMaps: [{ id: 's', 'source-dir': 'relative/dir', 'target-dir': '/d' }] }, file: `<bundle id="web"><docker image="i"/><storage><storage-mapping id="s" source-dir="relative/dir" target-dir="/d"/></storage></bundle>` },
  { name: 'target-dir', code: 'BUNDLE_STORAGE_PATH', cli: { storageMaps: [{ id: 's', 'source-dir': '/srv', 'target-dir': '/var/../etc' }] }, file: `<bundle id="web"><docker image="i"/><storage><storage-mapping id="s" source-dir="/srv" target-dir="/var/../etc"/></storage></bundle>` },
  { name: 'source-dir and source-dir-root', code: 'OPTION_CONFLICT', cli: { storageMaps: [{ id: 's', 'source-dir': '/a', 'source-dir-root': '/b', 'target-dir': '/d' }] }, file: `<bundle id="web"><docker image="i"/><storage><storage-mapping id="s" source-dir="/a" source-dir-root="/b" target-dir="/d"/></storage></bundle>` },
  { name: 'a storage-map id', code: 'ID_INVALID', cli: { storageMaps: [{ id: 's s', 'source-dir': '/a', 'target-dir': '/d' }] }, file: `<bundle id="web"><docker image="i"/><storage><storage-mapping id="s s" source-dir="/a" target-dir="/d"/></storage></bundle>` },
  { name: 'the bundle name', code: 'ID_INVALID', cli: { id: '1web' }, file: `<bundle id="1web"><docker image="i"/></bundle>` },
];

const words = (ps: Problem[], code: string) => ps.filter((p) => p.code === code && p.severity === 'error').map((p) => ({ code: p.code, message: p.message, value: p.value, allowed: p.allowed }));

t.test('a count below 1: the command line refuses it as pcs does; a file may hold it (Pacemaker reads it as 1)', async (t) => {
  for (const name of ['replicas', 'replicas-per-host']) {
    const fromCli = words(problemsThrown(() => bundleCreate(emptyCib(), request({ container: { image: 'i', [name]: '0' } }))), 'OPTION_INVALID_VALUE');
    t.strictSame(fromCli.map((p) => [p.value, p.allowed]), [['0', 'a positive integer']], `${name}=0 from the command line`);
    const fromFile = checkCibText(cibXml(`<bundle id="web"><docker image="i" ${name}="0"/></bundle>`), 'file').problems;
    t.strictSame(fromFile.map((p) => [p.code, p.severity, p.value]), [['BUNDLE_COUNT_READ_AS_ONE', 'warning', '0']], `${name}="0" in a file`);
  }
});

t.test('the same bad value: the same code and words from `resource bundle create` and from a file', async (t) => {
  for (const row of same) {
    const fromCli = words(problemsThrown(() => bundleCreate(emptyCib(), request(row.cli))), row.code);
    const fromFile = words(checkCibText(cibXml(row.file), 'file').problems, row.code);
    t.equal(fromCli.length, 1, `${row.name}: the command line reports it once`);
    t.strictSame(fromFile, fromCli, `${row.name}: ${fromCli[0]?.message}`);
  }
});

t.test('the same bad score: the same code and words from `constraint location` and from a file', async (t) => {
  const web = `<bundle id="web"><docker image="i"/></bundle>`;
  const fromCli = words(problemsThrown(() => constraintLocation({ cib: parseCib(cibXml(web)), args: ['web', 'prefers', 'n1=lots'], flags: { force: false } })), 'SCORE_INVALID');
  const fromFile = words(checkCibText(cibXml(web, `<rsc_location id="loc" rsc="web" node="n1" score="lots"/>`), 'file').problems, 'SCORE_INVALID');
  t.equal(fromCli.length, 1, 'the command line reports it once');
  t.strictSame(fromFile, fromCli, fromCli[0]?.message ?? '');
});

t.test('cluster cib-push refuses a file with every problem at once, schema and rules', async (t) => {
  const xml = files[0].xml!;
  for (const [form, text] of [['XML', xml], ['JSON', asJson(xml)]]) {
    const ps = problemsThrown(() => readPushedCib(text, 'push.xml'));
    t.strictSame(rows(ps), [['SCHEMA_VIOLATION', 'push.xml', undefined, undefined], ...files[0].want], form);
    t.equal(ps[0].message, 'push.xml is not a valid CIB; nothing was pushed');
  }
  t.strictSame(rows(problemsThrown(() => readPushedCib('<cib', 'push.xml'))).map((r) => r[0]), ['XML_MALFORMED'], 'a file that is no tree: its parse error alone');
  t.strictSame(problemsThrown(() => readPushedCib(cibXml(''), 'push.xml')), [], 'a valid file is taken');
});

// ---- `berth cib validate` on a file it cannot read ----

t.test('cib validate on a missing file: the read error alone, exit 1', async (t) => {
  const dir = t.testdir({ 'ok.xml': cibXml('') });
  const missing = path.join(dir, 'nope.xml');
  for (const json of [false, true]) {
    let out = '';
    let err = '';
    const code = await main(['cib', 'validate', missing, ...(json ? ['--json'] : [])], { out: (s) => (out += s), err: (s) => (err += s) });
    t.equal(code, 1, `exit 1${json ? ' (--json)' : ''}`);
    t.equal(out, '', 'no verdict on stdout');
    if (json) t.strictSame(JSON.parse(err).problems.map((p: Problem) => [p.code, p.path]), [['FILE_NOT_FOUND', missing]], 'one problem, as data');
    else t.strictSame(err.trimEnd().split('\n'), [`Error: CIB file '${missing}' cannot be read: ENOENT [FILE_NOT_FOUND]`], 'one line, no "invalid" after it');
  }
  let out = '';
  t.equal(await main(['cib', 'validate', path.join(dir, 'ok.xml')], { out: (s) => (out += s), err: () => {} }), 0, 'a readable valid file: exit 0');
  t.equal(out, `${path.join(dir, 'ok.xml')}: valid\n`);
});

// ---- robustness: whatever a JSON form holds, every stage runs and says each thing once ----

const RICH = cibXml(
  `<bundle id="web"><docker image="i" replicas="2" options="--cap-add=NET_ADMIN"/><network ip-range-start="10.0.0.5" control-port="3121"><port-mapping id="p" port="80"/><port-mapping id="q" range="81-82"/></network>` +
    `<storage><storage-mapping id="s" source-dir="/srv" target-dir="/d"/></storage><primitive id="inner" class="ocf" provider="heartbeat" type="Dummy"/></bundle>`,
  `<rsc_location id="loc" rsc="web" node="n1" score="10"/>`,
);
const ODD: unknown[] = [3, null, true, [], {}, 'abc', '', '0', '/..', '1.2.3.4.5', ' ', { foo: 1 }, ['x'], '-1', '99999', { tag: 'constructor', attrs: { a: 3, toString: 'x' } }, { tag: 'hasOwnProperty', attrs: {} }];

t.test('malformed JSON forms: problems (never a crash), each one once, every stage run', async (t) => {
  const rnd = prng(15_2026);
  const pick = <T>(a: T[]) => a[Math.floor(rnd() * a.length)];
  let cases = 0;
  const codes = new Set<string>();
  for (let i = 0; i < 300; i++) {
    const data = JSON.parse(asJson(RICH));
    // a few random changes anywhere: attribute values, attribute sets, children, tags
    const nodes: Record<string, unknown>[] = [];
    const collect = (n: Record<string, unknown>) => {
      nodes.push(n);
      for (const c of (n.children as Record<string, unknown>[] | undefined) ?? []) collect(c);
    };
    collect(data);
    for (let k = 0; k < 1 + Math.floor(rnd() * 4); k++) {
      const n = pick(nodes);
      const r = rnd();
      const attrs = (n.attrs ?? {}) as Record<string, unknown>;
      if (r < 0.5) {
        const names = Object.keys(attrs);
        attrs[names.length && rnd() < 0.8 ? pick(names) : pick(['bogus', 'id', 'replicas', 'port'])] = structuredClone(pick(ODD));
        n.attrs = attrs;
      } else if (r < 0.65) delete attrs[pick(Object.keys(attrs).concat('id'))];
      else if (r < 0.8) n.children = [...(Array.isArray(n.children) ? n.children : []), structuredClone(pick(ODD))];
      else if (r < 0.9) n.attrs = structuredClone(pick(ODD));
      else n.children = structuredClone(pick(ODD));
    }
    const got = checkCibText(JSON.stringify(data), `case ${i}`);
    const keys = got.problems.map((p) => `${p.code}|${p.path}|${p.message}`);
    t.strictSame(keys.filter((k, j) => keys.indexOf(k) !== j), [], `case ${i}: nothing said twice`);
    t.ok(got.problems.every((p) => typeof p.path === 'string' && !/must match|\^/.test(p.message)), `case ${i}: located, in words`);
    for (const p of got.problems) codes.add(p.code);
    cases++;
  }
  t.equal(cases, 300);
  // the schema's words and the rules' (host access is asked by the options, a rule only) both came
  for (const c of ['SCHEMA_VIOLATION', 'OPTION_INVALID_VALUE', 'OPTION_UNKNOWN', 'ID_INVALID', 'BUNDLE_HOST_ACCESS', 'REFERENCE_MISSING']) t.ok(codes.has(c), `${c} among ${[...codes].join(', ')}`);
});
