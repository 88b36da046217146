import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { parseCib, toJsonText, bumpEpoch, versionOf, compareVersions, EMPTY_CIB_XML } from '../../src/cib/cib';
import { canonical, serializeXml } from '../../src/cib/xml';
import { schemaProblems } from '../../src/cib/schema';
import { toJson } from '../../src/cib/cib';
import { berthSync } from '../helpers/cli';
import type { BerthError } from '../../src/errors/registry';

const fixtures = path.join(__dirname, '..', 'fixtures');
const richText = fs.readFileSync(path.join(fixtures, 'cib', 'rich.xml'), 'utf8');
const pcsInputs = fs.readdirSync(path.join(fixtures, 'pcs', 'inputs')).map((f) => path.join(fixtures, 'pcs', 'inputs', f));

/** Whitespace-only normalisation of XML text: what "changes nothing but whitespace" means. */
const squeeze = (x: string) => x.replace(/>\s+</g, '><').replace(/\s+/g, ' ').trim();

t.test('load -> save changes nothing but whitespace', async (t) => {
  const empty = execFileSync('cibadmin', ['--empty'], { encoding: 'utf8' });
  for (const text of [empty, richText, ...pcsInputs.map((f) => fs.readFileSync(f, 'utf8'))]) {
    t.equal(squeeze(serializeXml(parseCib(text))), squeeze(text));
  }
});

t.test('XML -> JSON -> XML is lossless and the JSON passes the schema', async (t) => {
  for (const text of [EMPTY_CIB_XML, richText]) {
    const cib = parseCib(text);
    const json = toJsonText(cib);
    t.same(schemaProblems(JSON.parse(json)), []);
    const back = parseCib(json);
    t.equal(canonical(back), canonical(cib));
    t.equal(serializeXml(back), serializeXml(cib), 'byte-identical XML after the round trip');
  }
});

t.test('the JSON form is read exactly as permissively as the XML form', async (t) => {
  const xml = '<cib epoch="x" admin_epoch="0" num_updates="0"><configuration><resources><bundle id="b"><docker image="i" replicas="two"/></bundle></resources></configuration></cib>';
  const fromXml = parseCib(xml, 'in.xml');
  const json = toJsonText(fromXml);
  t.equal(canonical(parseCib(json, 'in.json')), canonical(fromXml), 'a value the rules refuse (replicas="two", epoch="x") is read, as XML reads it; the checks report it');
  t.strictSame(schemaProblems(JSON.parse(json)).map((p) => p.code), ['SCHEMA_VIOLATION', 'OPTION_INVALID_VALUE'], 'and cib validate reports both, as for the XML');
  const notATree = [
    { tag: 'cib', attrs: { epoch: 1 } },
    { tag: 'cib', children: [{ node: 'x' }] },
    { tag: 'cib', children: [{ tag: 'x y' }] },
    { tag: 'cib', children: [{ comment: 'a -- b' }] },
    { tag: 'cib', extra: true },
  ];
  const refusedWith = (text: string): string[] => {
    try {
      parseCib(text, 'in.json');
      return [];
    } catch (e) {
      return (e as BerthError).problems.map((p) => p.code);
    }
  };
  for (const data of notATree) t.strictSame(refusedWith(JSON.stringify(data)), ['SCHEMA_VIOLATION'], `no tree, refused as malformed XML is: ${JSON.stringify(data)}`);
});

t.test('schema reports every problem at once, with CIB paths', async (t) => {
  const cib = toJson(parseCib(richText));
  const bundle = JSON.parse(JSON.stringify(cib));
  const resources = bundle.children[0].children.find((c: { tag: string }) => c.tag === 'resources');
  const b = resources.children.find((c: { tag: string }) => c.tag === 'bundle');
  const docker = b.children.find((c: { tag: string }) => c.tag === 'docker');
  docker.attrs.replicas = '1.5';
  docker.attrs.bogus = 'x';
  const network = b.children.find((c: { tag: string }) => c.tag === 'network');
  network.attrs['ip-range-start'] = '300.1.1.1';
  const problems = schemaProblems(bundle);
  const b0 = "/cib/configuration/resources/bundle[@id='httpd-bundle']";
  // in document order, worded as `resource bundle create` words the same values
  t.strictSame(problems.map((p) => [p.code, p.path, p.value, p.allowed]), [
    ['OPTION_UNKNOWN', `${b0}/docker`, 'bogus', 'image, masters, network, options, promoted-max, replicas, replicas-per-host, run-command'],
    ['OPTION_INVALID_VALUE', `${b0}/docker/@replicas`, '1.5', 'a positive integer'],
    ['OPTION_INVALID_VALUE', `${b0}/network/@ip-range-start`, '300.1.1.1', 'an IPv4 address (a.b.c.d, each part 0..255)'],
  ]);
  t.equal(problems[1].message, "'1.5' is not a valid replicas value, use a positive integer");
});

t.test('versions: a configuration change bumps epoch and resets num_updates', async (t) => {
  const cib = parseCib(richText);
  const v0 = versionOf(cib);
  t.equal(v0.numUpdates, 2);
  bumpEpoch(cib);
  const v1 = versionOf(cib);
  t.same(v1, { adminEpoch: v0.adminEpoch, epoch: v0.epoch + 1, numUpdates: 0 });
  t.ok(compareVersions(v1, v0) > 0);
  t.ok(compareVersions({ adminEpoch: 1, epoch: 0, numUpdates: 0 }, { adminEpoch: 0, epoch: 99, numUpdates: 99 }) > 0, 'admin_epoch first');
});

t.test('cib convert and cib validate', async (t) => {
  const dir = t.testdir({ 'rich.xml': richText });
  const xml = path.join(dir, 'rich.xml');
  const json = path.join(dir, 'rich.json');
  let r = berthSync(['cib', 'convert', xml, '--to', 'json', '-o', json]);
  t.equal(r.code, 0, r.stderr);
  r = berthSync(['cib', 'convert', json, '--to', 'xml']);
  t.equal(r.code, 0);
  t.equal(canonical(parseCib(r.stdout)), canonical(parseCib(richText)));
  t.equal(berthSync(['cib', 'validate', xml]).code, 0);
  t.equal(berthSync(['cib', 'validate', json]).code, 0);
  r = berthSync(['cib', 'convert', xml, '--to', 'yaml']);
  t.equal(r.code, 2, 'bad --to is a usage error');
});

t.test('cib validate lists every problem with code, path, value, allowed', async (t) => {
  const bad = richText
    .replace('<docker image="pcmktest:http" replicas="3"', '<docker image="pcmktest:http" replicas="two"')
    .replace('ip-range-start="192.168.122.131"', 'ip-range-start="255.255.255.254"')
    .replace('<primitive id="vip"', '<primitive id="1vip"')
    .replace('</network>', '<port-mapping id="dup-port" port="80"/></network>')
    .replace('target-dir="/var/www/html"', 'target-dir="/var/../etc"');
  const dir = t.testdir({ 'bad.xml': bad });
  const r = berthSync(['cib', 'validate', path.join(dir, 'bad.xml'), '--json']);
  t.equal(r.code, 1);
  const out = JSON.parse(r.stdout);
  t.equal(out.valid, false);
  const b0 = "/cib/configuration/resources/bundle[@id='httpd-bundle']";
  const c0 = '/cib/configuration/constraints';
  // every stage at once, each fact once, in document order
  t.strictSame(out.problems.map((p: { code: string; path: string; value: string }) => [p.code, p.path, p.value]), [
    ['ID_INVALID', "/cib/configuration/resources/primitive[@id='1vip']/@id", '1vip'],
    ['OPTION_INVALID_VALUE', `${b0}/docker/@replicas`, 'two'],
    ['BUNDLE_PORT_CONFLICT', `${b0}/network/port-mapping[@id='dup-port']`, '80'],
    ['BUNDLE_STORAGE_PATH', `${b0}/storage/storage-mapping[@id='httpd-root']/@target-dir`, '/var/../etc'],
    ['REFERENCE_MISSING', `${c0}/rsc_location[@id='location-vip-node1-50']/@rsc`, 'vip'],
    ['REFERENCE_MISSING', `${c0}/rsc_colocation[@id='colocation-web-group-vip-INFINITY']/@with-rsc`, 'vip'],
    ['REFERENCE_MISSING', `${c0}/rsc_order[@id='order-vip-web-group-mandatory']/@first`, 'vip'],
  ]);
  for (const p of out.problems) {
    t.type(p.code, 'string');
    t.type(p.message, 'string');
    t.type(p.path, 'string', `${p.code} has a path`);
  }
});
