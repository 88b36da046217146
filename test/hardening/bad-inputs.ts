// Inputs that used to hang, exhaust memory, crash or be silently changed (issue 18, items 4-6),
// through the real CLI entry point: one row per input, with the exit code, the problem code, and
// for edits the file byte-for-byte untouched; each row within 2 s.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { main } from '../../src/cli/main';
import { EMPTY_CIB_XML } from '../../src/cib/cib';
import { XML_LIMITS } from '../../src/cib/xml';
import { fetchRevision } from '../../src/gitops/source';

const CASE_MS = 2000;

/** A CIB with `inner` inside <status>. */
const cibWith = (inner: string, rootAttrs = '') =>
  `<cib epoch="1" num_updates="0" admin_epoch="0"${rootAttrs}><configuration><crm_config/><nodes/><resources/><constraints/></configuration><status>${inner}</status></cib>\n`;
/** Elements nested so that the deepest is at `depth` (cib = 1, status = 2). */
const nested = (depth: number) => cibWith('<x>'.repeat(depth - 2) + '</x>'.repeat(depth - 2));
/** One element (in <status>, where the schema allows anything) with `n` attributes. */
const manyAttrs = (n: number) => cibWith(`<x${Array.from({ length: n }, (_, i) => ` a${i}="v"`).join('')}/>`);
/** `size` bytes of valid UTF-8 CIB text with one bad byte at `at` (in a comment, after some non-ASCII). */
function badUtf8(size: number, at: number): Buffer {
  const head = Buffer.from(cibWith('') + '<!-- é ');
  const b = Buffer.alloc(size, 0x61);
  head.copy(b, 0);
  b.write(' -->\n', size - 5);
  b[at] = 0xff;
  return b;
}
const jsonNested = (depth: number) => {
  let node: object = { tag: 'x' };
  for (let d = depth; d > 3; d--) node = { tag: 'x', children: [node] };
  return JSON.stringify({ tag: 'cib', attrs: { epoch: '1', num_updates: '0', admin_epoch: '0' }, children: [{ tag: 'configuration', children: [{ tag: 'crm_config' }, { tag: 'nodes' }, { tag: 'resources' }, { tag: 'constraints' }] }, { tag: 'status', children: [node] }] });
};

interface Outcome {
  code: number;
  problems: string[];
}

async function run(argv: string[]): Promise<Outcome & { out: string; ms: number }> {
  let out = '', err = '';
  const t0 = performance.now();
  const code = await main(['--json', ...argv], { out: (s) => (out += s), err: (s) => (err += s) });
  const ms = performance.now() - t0;
  const json = [err, out].map((s) => { try { return JSON.parse(s) as { problems?: { code: string }[] }; } catch { return undefined; } }).find((j) => j?.problems);
  return { code, problems: json?.problems?.map((p) => p.code) ?? [], out, ms };
}

type Content = string | Buffer | { dir: true } | { fifo: true } | { link: string };

function place(dir: string, name: string, content: Content): string {
  const f = path.join(dir, name);
  if (typeof content === 'string' || Buffer.isBuffer(content)) fs.writeFileSync(f, content);
  else if ('dir' in content) fs.mkdirSync(f);
  else if ('fifo' in content) execFileSync('mkfifo', [f]);
  else fs.symlinkSync(content.link, f);
  return f;
}

const LIMIT = XML_LIMITS.depth;

// input → what `cib validate FILE` and `-f FILE property set ...` give. An edit that fails leaves
// the file as it was; one that succeeds must be a valid CIB again.
const rows: { name: string; content: Content; validate: Outcome; edit: Outcome }[] = [
  { name: 'bad UTF-8 at 1 MiB', content: badUtf8(1 << 20, (1 << 20) - 100), validate: { code: 1, problems: ['FILE_NOT_UTF8'] }, edit: { code: 1, problems: ['FILE_NOT_UTF8'] } },
  { name: 'bad UTF-8 at 4 MiB', content: badUtf8(4 << 20, (4 << 20) - 100), validate: { code: 1, problems: ['FILE_NOT_UTF8'] }, edit: { code: 1, problems: ['FILE_NOT_UTF8'] } },
  { name: '200,000 attributes on one element', content: manyAttrs(200_000), validate: { code: 1, problems: ['XML_TOO_MANY_ATTRIBUTES'] }, edit: { code: 1, problems: ['XML_TOO_MANY_ATTRIBUTES'] } },
  { name: `${XML_LIMITS.attributes + 1} attributes`, content: manyAttrs(XML_LIMITS.attributes + 1), validate: { code: 1, problems: ['XML_TOO_MANY_ATTRIBUTES'] }, edit: { code: 1, problems: ['XML_TOO_MANY_ATTRIBUTES'] } },
  { name: `${XML_LIMITS.attributes} attributes (the limit)`, content: manyAttrs(XML_LIMITS.attributes), validate: { code: 0, problems: [] }, edit: { code: 0, problems: [] } },
  { name: '300 nested elements', content: nested(300), validate: { code: 1, problems: ['XML_TOO_DEEP'] }, edit: { code: 1, problems: ['XML_TOO_DEEP'] } },
  { name: '100,000 nested elements', content: nested(100_000), validate: { code: 1, problems: ['XML_TOO_DEEP'] }, edit: { code: 1, problems: ['XML_TOO_DEEP'] } },
  { name: `depth ${LIMIT + 1}`, content: nested(LIMIT + 1), validate: { code: 1, problems: ['XML_TOO_DEEP'] }, edit: { code: 1, problems: ['XML_TOO_DEEP'] } },
  { name: `depth ${LIMIT} (the limit)`, content: nested(LIMIT), validate: { code: 0, problems: [] }, edit: { code: 0, problems: [] } },
  { name: `JSON: depth ${LIMIT} (the limit)`, content: jsonNested(LIMIT), validate: { code: 0, problems: [] }, edit: { code: 0, problems: [] } },
  { name: `JSON: depth ${LIMIT + 1}`, content: jsonNested(LIMIT + 1), validate: { code: 1, problems: ['XML_TOO_DEEP'] }, edit: { code: 1, problems: ['XML_TOO_DEEP'] } },
  { name: 'JSON: 100,000 nested arrays', content: '{"tag":"cib","children":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}', validate: { code: 1, problems: ['XML_TOO_DEEP'] }, edit: { code: 1, problems: ['XML_TOO_DEEP'] } },
  { name: 'an empty file', content: '', validate: { code: 1, problems: ['XML_MALFORMED'] }, edit: { code: 1, problems: ['XML_MALFORMED'] } },
  { name: 'a directory', content: { dir: true }, validate: { code: 1, problems: ['FILE_NOT_REGULAR'] }, edit: { code: 1, problems: ['FILE_NOT_REGULAR'] } },
  { name: 'a FIFO (nobody writes: would hang)', content: { fifo: true }, validate: { code: 1, problems: ['FILE_NOT_REGULAR'] }, edit: { code: 1, problems: ['FILE_NOT_REGULAR'] } },
  { name: 'a link to /dev/zero', content: { link: '/dev/zero' }, validate: { code: 1, problems: ['FILE_NOT_REGULAR'] }, edit: { code: 1, problems: ['FILE_NOT_REGULAR'] } },
];

t.test('bad inputs: exit code and problem code, the file untouched, each within 2 s', async (t) => {
  const dir = t.testdir({});
  let cases = 0;
  for (const [i, row] of rows.entries()) {
    const file = place(dir, `v${i}`, row.content);
    const v = await run(['cib', 'validate', file]);
    t.same({ code: v.code, problems: v.problems }, row.validate, `${row.name}: cib validate`);
    t.ok(v.ms < CASE_MS, `${row.name}: cib validate in ${v.ms.toFixed(0)} ms`);
    const target = place(dir, `e${i}`, row.content);
    const before = fs.lstatSync(target).isFile() ? fs.readFileSync(target) : undefined;
    const e = await run(['-f', target, 'property', 'set', 'no-quorum-policy=ignore']);
    t.same({ code: e.code, problems: e.problems }, row.edit, `${row.name}: -f edit`);
    t.ok(e.ms < CASE_MS, `${row.name}: -f edit in ${e.ms.toFixed(0)} ms`);
    if (row.edit.code !== 0 && before) t.same(fs.readFileSync(target), before, `${row.name}: the file is untouched`);
    if (row.edit.code === 0) t.equal((await run(['cib', 'validate', target])).code, 0, `${row.name}: the result is valid`);
    cases += 2;
  }
  t.equal(cases, rows.length * 2);
  t.comment(`bad-input table: ${cases} cases`);
});

t.test('the problem names the limit and the value', async (t) => {
  const dir = t.testdir({ 'deep.xml': nested(300), 'attrs.xml': manyAttrs(5000), 'empty.xml': '', 'utf8.xml': badUtf8(1 << 16, 60_000) });
  const problemOf = async (file: string) => {
    let err = '';
    await main(['--json', '-f', path.join(dir, file), 'property', 'set', 'a=b'], { out: () => {}, err: (s) => (err += s) });
    return JSON.parse(err).problems[0];
  };
  t.match(await problemOf('deep.xml'), { code: 'XML_TOO_DEEP', value: String(LIMIT + 1), allowed: `at most ${LIMIT} (depth limit)`, path: /deep\.xml:1:\d+$/ });
  t.match(await problemOf('attrs.xml'), { code: 'XML_TOO_MANY_ATTRIBUTES', value: String(XML_LIMITS.attributes + 1), allowed: `at most ${XML_LIMITS.attributes} (attributes limit)` });
  t.match(await problemOf('empty.xml'), { code: 'XML_MALFORMED', path: /empty\.xml:1:1$/ });
  t.match(await problemOf('utf8.xml'), { code: 'FILE_NOT_UTF8', value: '60000', path: /utf8\.xml@byte 60000$/ });
});

t.test('a store whose cib.xml is a directory, and pushing what -f refuses', async (t) => {
  const dir = t.testdir({ store: { 'cib.xml': {} }, good: {}, 'deep.xml': nested(300), 'attrs.xml': manyAttrs(200_000) });
  const store = `file://${path.join(dir, 'store')}`;
  t.same(await run(['--store', store, 'cluster', 'cib']).then((r) => [r.code, r.problems]), [1, ['FILE_NOT_REGULAR']], 'cluster cib');
  t.same(await run(['--store', store, 'property', 'set', 'a=b']).then((r) => [r.code, r.problems]), [1, ['FILE_NOT_REGULAR']], 'an edit of the live CIB');
  const good = `file://${path.join(dir, 'good')}`;
  for (const f of ['deep.xml', 'attrs.xml']) {
    const r = await run(['--store', good, 'cluster', 'cib-push', path.join(dir, f)]);
    t.equal(r.code, 1, `cib-push ${f}`);
    t.match(r.problems[0], /^XML_TOO_/, `cib-push ${f}: a limit`);
  }
  t.same(fs.readdirSync(path.join(dir, 'good')), [], 'nothing stored');
});

t.test('__proto__ and other Object.prototype names are attributes like any other', async (t) => {
  const xml = EMPTY_CIB_XML.replace('<cib ', '<cib __proto__="p" constructor="c" toString="s" ');
  const dir = t.testdir({ 'cib.xml': xml });
  const file = path.join(dir, 'cib.xml');
  t.equal((await run(['-f', file, 'property', 'set', 'no-quorum-policy=ignore'])).code, 0);
  t.match(fs.readFileSync(file, 'utf8'), /<cib __proto__="p" constructor="c" toString="s" /, 'kept by an edit');
  const json = await run(['cib', 'convert', '--to', 'json', file]);
  t.same(Object.entries(JSON.parse(json.out).attrs).slice(0, 3), [['__proto__', 'p'], ['constructor', 'c'], ['toString', 's']], 'kept in the JSON form');
  fs.writeFileSync(path.join(dir, 'cib.json'), json.out);
  t.match((await run(['cib', 'convert', '--to', 'xml', path.join(dir, 'cib.json')])).out, /<cib __proto__="p" constructor="c" toString="s" /, 'and back from JSON');
  fs.writeFileSync(path.join(dir, 'dup.xml'), '<cib __proto__="a" __proto__="b"/>');
  t.same((await run(['cib', 'validate', path.join(dir, 'dup.xml')])).problems, ['XML_MALFORMED'], 'given twice is refused like any attribute');
});

t.test('a gitops directory source: no link out of the directory, no FIFO, no device', async (t) => {
  const root = t.testdir({ outside: { 'secret.xml': EMPTY_CIB_XML } });
  const outside = path.join(root, 'outside');
  const rows: [string, Content, string[]][] = [
    ['a regular file', EMPTY_CIB_XML, []],
    ['a link inside the directory', { link: 'real.xml' }, []],
    ['a link out of the directory', { link: path.join(outside, 'secret.xml') }, ['FILE_NOT_REGULAR']],
    ['a link to /dev/zero', { link: '/dev/zero' }, ['FILE_NOT_REGULAR']],
    ['a FIFO', { fifo: true }, ['FILE_NOT_REGULAR']],
    ['a directory', { dir: true }, ['FILE_NOT_REGULAR']],
  ];
  for (const [i, [name, content, want]] of rows.entries()) {
    const dir = path.join(root, `source${i}`);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'real.xml'), EMPTY_CIB_XML);
    place(dir, 'cib.xml', content);
    const t0 = performance.now();
    const rev = await fetchRevision({ kind: 'dir', dir }, { cacheDir: path.join(dir, '.cache') });
    t.same(rev.problems.map((p) => p.code), want, name);
    t.ok(performance.now() - t0 < CASE_MS, `${name}: within 2 s`);
  }
});
