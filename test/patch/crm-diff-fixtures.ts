// Both directions against Pacemaker 2.1.5's crm_diff, on fixtures it made (test/fixtures/crm_diff,
// see the README there): our patch equals crm_diff's; crm_diff's patch applies with applyPatch
// exactly as crm_diff applies it; and the real crm_diff applies our patch (when it is installed).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseXml, serializeXml } from '../../src/cib/xml';
import { diffCib } from '../../src/patch/diff';
import { applyPatch } from '../../src/patch/apply';
import { BerthError } from '../../src/errors/registry';
import { exact, semantic } from './tree-compare';

const dir = path.join(__dirname, '..', 'fixtures', 'crm_diff');
const cases = fs.readdirSync(dir).filter((d) => fs.existsSync(path.join(dir, d, 'case.json'))).sort();
const hasCrmDiff = spawnSync('crm_diff', ['--version']).status === 0;

t.ok(cases.length >= 10, 'fixtures present');

for (const name of cases) {
  t.test(name, async (t) => {
    const read = (f: string) => parseXml(fs.readFileSync(path.join(dir, name, f), 'utf8'), `${name}/${f}`);
    const info = JSON.parse(fs.readFileSync(path.join(dir, name, 'case.json'), 'utf8')) as { deviation?: string };
    const orig = read('orig.xml');
    const next = read('new.xml');
    const theirs = read('patch.xml');
    const ours = diffCib(orig, next);

    t.equal(semantic(applyPatch(orig, ours)), semantic(next), 'applyPatch(orig, our patch) = new');
    if (fs.existsSync(path.join(dir, name, 'applied.xml'))) {
      t.equal(exact(applyPatch(orig, theirs)), exact(read('applied.xml')), "crm_diff's patch applies as crm_diff applies it (attribute order too)");
    } else {
      t.throws(() => applyPatch(orig, theirs), BerthError, "crm_diff's patch fails here as it fails in crm_diff");
    }
    if (info.deviation) {
      t.not(semantic(ours), semantic(theirs), `berth differs on purpose: ${info.deviation}`);
    } else {
      t.equal(semantic(ours), semantic(theirs), "our patch is crm_diff's patch, change for change");
      t.equal(exact(ours), exact(theirs), 'with the same attribute order');
    }

    // Without crm_diff this is a reported skip, not a silent pass.
    t.test('the real crm_diff applies our patch', { skip: !hasCrmDiff && 'crm_diff is not installed' }, async (t) => {
      const tmp = t.testdir({ 'ours.xml': serializeXml(ours) });
      const r = spawnSync('crm_diff', ['--original', path.join(dir, name, 'orig.xml'), '--patch', path.join(tmp, 'ours.xml')], { encoding: 'utf8' });
      t.equal(r.status, 0, `crm_diff applies our patch ${r.stderr}`);
      t.equal(semantic(parseXml(r.stdout)), semantic(next), 'crm_diff --patch with our patch gives new');
    });
  });
}
