import t from 'tap';
import { XmlElement, el, parseXml } from '../../src/cib/xml';
import { readPatchset } from '../../src/patch/patchset';
import { applyPatch } from '../../src/patch/apply';
import { diffCib } from '../../src/patch/diff';
import { PATCH_DOES_NOT_APPLY, PATCH_MALFORMED, PATCH_VERSION_MISMATCH } from '../../src/patch/patch-problems';
import { BerthError, Problem } from '../../src/errors/registry';
import { exact, semantic } from './tree-compare';

const CIB = parseXml(`<cib crm_feature_set="3.16.1" epoch="5" num_updates="2" admin_epoch="0"><configuration><resources>
  <bundle id="a" x="1"><docker image="i"/></bundle><!-- c --><bundle id="b"/>
</resources></configuration></cib>`);

const patch = (changes: string, version = '<version><source admin_epoch="0" epoch="5" num_updates="2"/><target admin_epoch="0" epoch="6" num_updates="0"/></version>') =>
  parseXml(`<diff format="2">${version}${changes}</diff>`);

function problemsOf(f: () => unknown): Pick<Problem, 'code' | 'path'>[] {
  try { f(); return []; } catch (e) {
    if (!(e instanceof BerthError)) throw e;
    return e.problems.map((p) => ({ code: p.code, path: p.path }));
  }
}

const R = '/cib/configuration/resources';

t.test('changes that do not apply are all reported, with change number and path, and nothing is returned', async (t) => {
  const p = patch(`
    <change operation="modify" path="${R}/bundle[@id='zz']"><change-list><change-attr name="x" operation="set" value="2"/></change-list></change>
    <change operation="create" path="${R}/group[@id='g']" position="0"><primitive id="p"/></change>
    <change operation="move" path="${R}/bundle[@id='a']" position="7"/>
    <change operation="delete" path="${R}/bundle[@id='gone-already']"/>`);
  t.same(problemsOf(() => applyPatch(CIB, p)), [
    { code: PATCH_DOES_NOT_APPLY, path: `${R}/bundle[@id='zz']` },
    { code: PATCH_DOES_NOT_APPLY, path: `${R}/group[@id='g']` },
    { code: PATCH_DOES_NOT_APPLY, path: `${R}/bundle[@id='a']` },
  ], 'a delete of something already gone is not a problem (as Pacemaker)');
  t.throws(() => applyPatch(CIB, p), { message: /change 1 \(modify \/cib\/configuration\/resources\/bundle\[@id='zz'\]\) does not apply: nothing at that path/ });
});

t.test('malformed patches: every problem at once, code PATCH_MALFORMED', async (t) => {
  const cases: [string, XmlElement, number][] = [
    ['not a diff', parseXml('<cib/>'), 1],
    ['format 1', parseXml('<diff><diff-removed/></diff>'), 1],
    ['several bad changes', patch(`
      <change operation="frobnicate" path="/cib"/>
      <change operation="modify"/>
      <change operation="create" path="${R}"/>
      <change operation="move" path="${R}/bundle[@id='a']" position="-1"/>
      <change operation="delete" path="cib/x"/>
      <change operation="delete" path="/cib/x[@name='y']"/>
      <change operation="modify" path="/cib"><change-list><change-attr name="x" operation="set"/></change-list></change>
      <change operation="modify" path="/cib"/>`), 8],
  ];
  for (const [name, p, n] of cases) {
    const got = problemsOf(() => applyPatch(CIB, p));
    t.equal(got.length, n, name);
    t.ok(got.every((x) => x.code === PATCH_MALFORMED), `${name}: codes`);
  }
});

t.test('paths: [@id="..."] with either quote; an id may hold a slash', async (t) => {
  const cib = parseXml(`<cib><configuration><resources><bundle id="a/b"/></resources></configuration></cib>`);
  const p = parseXml(`<diff format="2"><change operation="modify" path="/cib/configuration/resources/bundle[@id=&quot;a/b&quot;]"><change-list><change-attr name="k" operation="set" value="v"/></change-list><change-result><bundle id="a/b" k="v"/></change-result></change></diff>`);
  t.equal(applyPatch(cib, p).children.length, 1);
  t.same((((applyPatch(cib, p).children[0] as XmlElement).children[0] as XmlElement).children[0] as XmlElement).attrs, { id: 'a/b', k: 'v' });
});

t.test('modify applies its change-list: other attributes changed meanwhile survive', async (t) => {
  const live = parseXml(`<cib><configuration><resources><bundle id="a" x="1" y="live"/></resources></configuration></cib>`);
  const p = patch(`<change operation="modify" path="${R}/bundle[@id='a']"><change-list><change-attr name="x" operation="set" value="2"/></change-list><change-result><bundle id="a" x="2"/></change-result></change>`, '');
  t.same(((applyPatch(live, p).children[0] as XmlElement).children[0] as XmlElement).children[0], { tag: 'bundle', attrs: { id: 'a', x: '2', y: 'live' }, children: [] });
  // On the CIB it was made from, the result is the change-result, in its attribute order (as Pacemaker).
  const orig = parseXml(`<cib><configuration><resources><bundle id="a" x="1" y="2"/></resources></configuration></cib>`);
  const q = patch(`<change operation="modify" path="${R}/bundle[@id='a']"><change-list><change-attr name="y" operation="set" value="2"/><change-attr name="x" operation="unset"/></change-list><change-result><bundle y="2" id="a"/></change-result></change>`, '');
  t.equal(exact(applyPatch(orig, q)), exact(parseXml(`<cib><configuration><resources><bundle y="2" id="a"/></resources></configuration></cib>`)));
  // A change-result alone replaces every attribute.
  const r = patch(`<change operation="modify" path="${R}/bundle[@id='a']"><change-result><bundle id="a" z="3"/></change-result></change>`, '');
  t.equal(exact(applyPatch(orig, r)), exact(parseXml(`<cib><configuration><resources><bundle id="a" z="3"/></resources></configuration></cib>`)));
});

t.test('version: checked only when asked, as crm_diff --cib; the target is set', async (t) => {
  const bump = patch('');
  t.same(applyPatch(CIB, bump).attrs, { ...CIB.attrs, epoch: '6', num_updates: '0' }, 'a version-only patch sets the target version');
  const older = patch('', '<version><source admin_epoch="0" epoch="4" num_updates="0"/><target admin_epoch="0" epoch="5" num_updates="0"/></version>');
  t.same(problemsOf(() => applyPatch(CIB, older, { checkVersion: true })).map((p) => p.code), [PATCH_VERSION_MISMATCH]);
  t.same(problemsOf(() => applyPatch(CIB, older)), [], 'not checked by default (crm_diff --patch)');
  const newer = patch('', '<version><source admin_epoch="0" epoch="9" num_updates="0"/><target admin_epoch="0" epoch="10" num_updates="0"/></version>');
  t.same(problemsOf(() => applyPatch(CIB, newer, { checkVersion: true })).map((p) => p.code), [PATCH_VERSION_MISMATCH]);
  const same = patch('', '<version><source admin_epoch="0" epoch="5" num_updates="2"/><target admin_epoch="0" epoch="5" num_updates="2"/></version>');
  t.same(problemsOf(() => applyPatch(CIB, same, { checkVersion: true })).map((p) => p.code), [PATCH_VERSION_MISMATCH], 'the version must change');
  t.same(problemsOf(() => applyPatch(CIB, bump, { checkVersion: true })), []);
  t.same(problemsOf(() => applyPatch(CIB, patch('', ''), { checkVersion: true })), [], 'no <version> (crm_diff --no-version): accepted, as Pacemaker');
  const odd = patch('', '<version><source admin_epoch="0" epoch="x" num_updates="2"/><target admin_epoch="0" epoch="6" num_updates="0"/></version>');
  t.same(problemsOf(() => applyPatch(CIB, odd, { checkVersion: true })).map((p) => p.code), [PATCH_MALFORMED]);
});

t.test('comments are deleted by position; creates and moves land at their positions', async (t) => {
  const next = parseXml(`<cib crm_feature_set="3.16.1" epoch="5" num_updates="2" admin_epoch="0"><configuration><resources>
    <bundle id="n"/><bundle id="b"/><!-- d --><bundle id="a" x="1"><docker image="i"/></bundle></resources></configuration></cib>`);
  const p = diffCib(CIB, next);
  t.equal(exact(applyPatch(CIB, p)), exact(next));
});

t.test('applyPatch does not change its input', async (t) => {
  const before = exact(CIB);
  applyPatch(CIB, diffCib(CIB, parseXml('<cib crm_feature_set="3.16.1"><configuration/></cib>')));
  t.equal(exact(CIB), before);
});

t.test('many moves and deletes in one wide parent cost one pass (linear, not quadratic)', async (t) => {
  const tree = (ids: string[]) => el('cib', {}, [el('configuration', {}, [el('resources', {}, ids.map((id) => el('bundle', { id })))])]);
  const time = (n: number) => {
    const ids = Array.from({ length: n }, (_, i) => `b${i}`);
    const a = tree(ids);
    const b = tree(ids.filter((_, i) => i % 3).reverse());
    const p = readPatchset(diffCib(a, b));
    t.equal(semantic(applyPatch(a, p)), semantic(b), `${n}: applies`);
    let best = Infinity;
    for (let k = 0; k < 5; k++) {
      const start = process.hrtime.bigint();
      applyPatch(a, p);
      best = Math.min(best, Number(process.hrtime.bigint() - start));
    }
    return best;
  };
  time(2000); // warm up the JIT
  const ratio = time(16000) / time(2000);
  t.ok(ratio < 32, `8x the children took ${ratio.toFixed(1)}x the time (quadratic would be 64x)`);
});
