// `berth cib diff` / `berth cib patch` as commands: exit codes as crm_diff (0 same, 1 differ,
// 2 error), output to stdout or atomically to -o, --format text, --json.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runDiff, runPatch, diffHelp, patchHelp } from '../../src/cli/cib-diff-commands';
import { Flags } from '../../src/cli/invocation';
import { parseXml } from '../../src/cib/xml';
import { BerthError } from '../../src/errors/registry';
import { PATCH_DOES_NOT_APPLY, PATCH_VERSION_MISMATCH } from '../../src/patch/patch-problems';
import { semantic } from './tree-compare';

const fixtures = path.join(__dirname, '..', 'fixtures', 'crm_diff', '09-pcs-workflow');
const ORIG = fs.readFileSync(path.join(fixtures, 'orig.xml'), 'utf8');
const NEW = fs.readFileSync(path.join(fixtures, 'new.xml'), 'utf8');

async function run(cmd: typeof runDiff, args: string[], flags: Partial<Flags> = {}) {
  let out = '';
  let err = '';
  const code = await cmd({ args, flags: { force: false, json: false, help: false, ...flags }, io: { out: (s) => { out += s; }, err: (s) => { err += s; } } });
  return { code, out, err };
}

t.test('cib diff: 0 when the same, 1 with the patch when different', async (t) => {
  const dir = t.testdir({ 'a.xml': ORIG, 'b.xml': NEW, 'a.json': '' });
  const f = (n: string) => path.join(dir, n);
  t.same(await run(runDiff, [f('a.xml'), f('a.xml')]), { code: 0, out: '', err: '' });
  const d = await run(runDiff, [f('a.xml'), f('b.xml')]);
  t.equal(d.code, 1);
  t.equal(parseXml(d.out).tag, 'diff');
  t.same(await run(runDiff, [f('a.xml'), f('b.xml')], { format: 'xml' }), d);

  const text = await run(runDiff, [f('a.xml'), f('b.xml')], { format: 'text' });
  t.equal(text.code, 1);
  t.match(text.out, /\+ bundle "db-bundle" \(at position 5\)/);
  t.match(text.out, /~ value: "ignore" => "stop"/);

  const json = await run(runDiff, [f('a.xml'), f('b.xml')], { json: true });
  const data = JSON.parse(json.out);
  t.same({ differ: data.differ, source: data.source, target: data.target }, { differ: true, source: '0.17.2', target: '0.21.0' });
  t.same(data.changes.map((c: { operation: string }) => c.operation), ['modify', 'modify', 'create', 'create']);
  t.equal(data.changes[2].node.tag, 'bundle');

  const noVersion = await run(runDiff, [f('a.xml'), f('b.xml')], { 'no-version': true });
  t.notMatch(noVersion.out, '<version>');
});

t.test('cib diff -o OUT writes the patch there (and nothing else)', async (t) => {
  const dir = t.testdir({ 'a.xml': ORIG, 'b.xml': NEW });
  const f = (n: string) => path.join(dir, n);
  const r = await run(runDiff, [f('a.xml'), f('b.xml')], { o: f('p.xml') });
  t.same([r.code, r.out], [1, '']);
  t.same(fs.readdirSync(dir).sort(), ['a.xml', 'b.xml', 'p.xml'], 'no temp file left');
  const applied = await run(runPatch, [f('a.xml'), f('p.xml')], { output: f('c.xml') });
  t.same([applied.code, applied.out], [0, '']);
  t.equal(semantic(parseXml(fs.readFileSync(f('c.xml'), 'utf8'))), semantic(parseXml(NEW)));
});

t.test('cib patch prints the result; a JSON CIB works as ORIG; --json prints JSON', async (t) => {
  const dir = t.testdir({ 'a.xml': ORIG, 'p.xml': fs.readFileSync(path.join(fixtures, 'patch.xml'), 'utf8') });
  const f = (n: string) => path.join(dir, n);
  const r = await run(runPatch, [f('a.xml'), f('p.xml')]);
  t.equal(r.code, 0);
  t.equal(semantic(parseXml(r.out)), semantic(parseXml(NEW)), "crm_diff's own patch");
  const j = await run(runPatch, [f('a.xml'), f('p.xml')], { json: true });
  t.equal(JSON.parse(j.out).tag, 'cib');
  fs.writeFileSync(f('a.json'), j.out);
  const again = await run(runDiff, [f('a.json'), f('a.xml')]);
  t.equal(again.code, 1, 'JSON input is read (it differs from orig)');
});

t.test('errors: exit 2 with the problem rendered; usage errors go to the CLI', async (t) => {
  const dir = t.testdir({ 'a.xml': ORIG, 'bad.xml': '<cib><oops></cib>', 'wrong.xml': '<diff format="2"><change operation="modify" path="/cib/nothing"><change-list><change-attr name="a" operation="set" value="b"/></change-list></change></diff>' });
  const f = (n: string) => path.join(dir, n);
  const missing = await run(runDiff, [f('a.xml'), f('nope.xml')]);
  t.equal(missing.code, 2);
  t.match(missing.err, /FILE_NOT_FOUND/);
  const bad = await run(runDiff, [f('a.xml'), f('bad.xml')]);
  t.same([bad.code, /XML_MALFORMED/.test(bad.err)], [2, true]);
  const wrong = await run(runPatch, [f('a.xml'), f('wrong.xml')]);
  t.equal(wrong.code, 2);
  t.match(wrong.err, `change 1 (modify /cib/nothing) does not apply: nothing at that path [${PATCH_DOES_NOT_APPLY}]`);
  t.same(fs.readdirSync(dir).sort(), ['a.xml', 'bad.xml', 'wrong.xml'], 'nothing written');
  const json = await run(runPatch, [f('a.xml'), f('wrong.xml')], { json: true });
  t.equal(JSON.parse(json.err).problems[0].code, PATCH_DOES_NOT_APPLY);
  const version = await run(runPatch, [f('a.xml'), path.join(fixtures, 'patch.xml')], { 'check-version': true });
  t.equal(version.code, 0, 'the fixture patch bumps the version');
  fs.writeFileSync(f('old.xml'), fs.readFileSync(path.join(fixtures, 'patch.xml'), 'utf8').replace('<source admin_epoch="0" epoch="17"', '<source admin_epoch="0" epoch="16"'));
  const old = await run(runPatch, [f('a.xml'), f('old.xml')], { 'check-version': true });
  t.same([old.code, old.err.includes(PATCH_VERSION_MISMATCH)], [2, true]);

  for (const [cmd, args, flags] of [[runDiff, [f('a.xml')], {}], [runPatch, [], {}], [runDiff, [f('a.xml'), f('a.xml')], { format: 'yaml' }]] as const) {
    await t.rejects(run(cmd, [...args], flags), BerthError);
  }
});

t.test('help texts: usage, flags, exit codes, an example', async (t) => {
  for (const h of [diffHelp, patchHelp]) {
    t.match(h, /^Usage: berth cib (diff|patch) ORIG/);
    t.match(h, /Exit codes: 0 /);
    t.match(h, /Example:\n  berth /);
    t.match(h, /-o, --output OUT/);
  }
});
