import t from 'tap';
import { parseXml, XmlElement, isElement } from '../../src/cib/xml';
import { diffCib, diffIsEmpty, DiffOptions } from '../../src/patch/diff';
import { applyPatch } from '../../src/patch/apply';
import { PATCH_UNSUPPORTED } from '../../src/patch/patch-problems';
import { BerthError } from '../../src/errors/registry';
import { semantic } from './tree-compare';

const cib = (inner: string, attrs = 'epoch="3" num_updates="1" admin_epoch="0"') =>
  parseXml(`<cib crm_feature_set="3.16.1" ${attrs}><configuration>${inner}</configuration></cib>`);

/** One line per change: operation, path, position, and the change-list for modify. */
function summary(patch: XmlElement): string[] {
  return patch.children.filter(isElement).filter((c) => c.tag === 'change').map((c) => {
    let s = `${c.attrs.operation} ${c.attrs.path}`;
    if (c.attrs.position !== undefined) s += ` @${c.attrs.position}`;
    const list = c.children.find((k) => isElement(k) && k.tag === 'change-list') as XmlElement | undefined;
    if (list) s += ' ' + list.children.filter(isElement).map((a) => (a.attrs.operation === 'set' ? `${a.attrs.name}=${a.attrs.value}` : `-${a.attrs.name}`)).join(' ');
    const created = c.attrs.operation === 'create' ? c.children.find((k) => !('text' in k)) : undefined;
    if (created) s += isElement(created) ? ` <${created.tag}${created.attrs.id ? ` id=${created.attrs.id}` : ''}>` : ` <!--${(created as { comment: string }).comment}-->`;
    return s;
  });
}

const R = '/cib/configuration/resources';
interface Case { name: string; a: string; b: string; opts?: DiffOptions; changes: string[] }
const cases: Case[] = [
  { name: 'same', a: '<resources><bundle id="b"/></resources>', b: '<resources><bundle id="b"/></resources>', changes: [] },
  {
    name: 'attributes set, added and unset',
    a: '<resources><bundle id="b" x="1" y="2"><docker image="i" replicas="1"/></bundle></resources>',
    b: '<resources><bundle id="b" x="1" y="3" z="4"><docker image="i"/></bundle></resources>',
    changes: [`modify ${R}/bundle[@id='b'] y=3 z=4`, `modify ${R}/bundle[@id='b']/docker -replicas`],
  },
  {
    name: 'unsetting an attribute in the middle lists the next one as set (as Pacemaker)',
    a: '<resources><bundle id="b" x="1" y="2" z="3"/></resources>',
    b: '<resources><bundle id="b" x="1" z="3"/></resources>',
    changes: [`modify ${R}/bundle[@id='b'] z=3 -y`],
  },
  {
    name: 'minimal leaves that out',
    a: '<resources><bundle id="b" x="1" y="2" z="3"/></resources>',
    b: '<resources><bundle id="b" x="1" z="3"/></resources>',
    opts: { minimal: true },
    changes: [`modify ${R}/bundle[@id='b'] -y`],
  },
  {
    name: 'reordered attributes',
    a: '<resources><primitive id="p" class="ocf" type="Dummy" provider="heartbeat"/></resources>',
    b: '<resources><primitive id="p" type="Dummy" class="ocf" provider="heartbeat"/></resources>',
    changes: [`modify ${R}/primitive[@id='p'] type=Dummy class=ocf`],
  },
  {
    name: 'created first, in the middle and last',
    a: '<resources><bundle id="b1"/><bundle id="b2"/></resources>',
    b: '<resources><bundle id="n0"/><bundle id="b1"/><bundle id="n1"/><bundle id="b2"/><bundle id="n2"/></resources>',
    changes: [`create ${R} @0 <bundle id=n0>`, `create ${R} @2 <bundle id=n1>`, `create ${R} @4 <bundle id=n2>`],
  },
  {
    name: 'deleted elements and a comment (by position), deletes first',
    a: '<resources><bundle id="b1"/><!-- c --><bundle id="b2"><docker/></bundle></resources>',
    b: '<resources><bundle id="n"/><bundle id="b2"/></resources>',
    changes: [`delete ${R}/bundle[@id='b1']`, `delete ${R}/comment @0`, `delete ${R}/bundle[@id='b2']/docker`, `create ${R} @0 <bundle id=n>`],
  },
  {
    name: 'moves: the one further along is skipped',
    a: '<resources><group id="g"><primitive id="A"/><primitive id="B"/><primitive id="C"/></group></resources>',
    b: '<resources><group id="g"><primitive id="C"/><primitive id="A"/><primitive id="B"/></group></resources>',
    changes: [`move ${R}/group[@id='g']/primitive[@id='C'] @0`, `move ${R}/group[@id='g']/primitive[@id='A'] @1`],
  },
  {
    name: 'a moved element with changes inside: its changes come before its move',
    a: '<resources><bundle id="a"/><bundle id="b"><docker image="1"/></bundle></resources>',
    b: '<resources><bundle id="b"><docker image="2"/></bundle><bundle id="a"/></resources>',
    changes: [`modify ${R}/bundle[@id='b']/docker image=2`, `move ${R}/bundle[@id='b'] @0`, `move ${R}/bundle[@id='a'] @1`],
  },
  {
    name: 'an id-less element matches the first sibling with its tag',
    a: '<resources><bundle id="b"><network control-port="1"/></bundle></resources>',
    b: '<resources><bundle id="b"><network control-port="2"/></bundle></resources>',
    changes: [`modify ${R}/bundle[@id='b']/network control-port=2`],
  },
  {
    name: 'siblings sharing a key are re-created (crm_diff would lose one)',
    a: '<resources><x><op name="a"/></x></resources>',
    b: '<resources><x><op name="a"/><op name="b"/></x></resources>',
    changes: [`delete ${R}/x/op`, `create ${R}/x @0 <op>`, `create ${R}/x @1 <op>`],
  },
  {
    name: 'an id-less element and one with an id of the same tag are re-created',
    a: '<resources><x><nvpair id="n" name="a"/></x></resources>',
    b: '<resources><x><nvpair name="a"/></x></resources>',
    changes: [`delete ${R}/x/nvpair[@id='n']`, `create ${R}/x @0 <nvpair>`],
  },
  {
    name: 'identical siblings sharing a key: nothing to do',
    a: '<resources><x><op name="a"/><op name="a"/></x><y z="1"/></resources>',
    b: '<resources><x><op name="a"/><op name="a"/></x><y z="2"/></resources>',
    changes: [`modify ${R}/y z=2`],
  },
  {
    name: 'an element whose text changed is re-created (Pacemaker ignores text)',
    a: '<resources><x>hello</x></resources>',
    b: '<resources><x>world</x></resources>',
    changes: [`delete ${R}/x`, `create ${R} @0 <x>`],
  },
  {
    name: 'comments: a moved comment is deleted and created again',
    a: '<resources><!-- c --><bundle id="b"/></resources>',
    b: '<resources><bundle id="b"/><!-- c --></resources>',
    changes: [`delete ${R}/comment @0`, `create ${R} @1 <!-- c -->`],
  },
];

t.test('diffCib writes the changes Pacemaker writes', async (t) => {
  for (const c of cases) {
    const a = cib(c.a);
    const b = cib(c.b);
    const patch = diffCib(a, b, c.opts);
    t.same(summary(patch), c.changes, c.name);
    t.equal(diffIsEmpty(patch), c.changes.length === 0, `${c.name}: empty iff no changes`);
    t.equal(semantic(applyPatch(a, patch)), semantic(b), `${c.name}: applies`);
  }
});

t.test('versions: <version> with source and target; --no-version ignores them', async (t) => {
  const a = cib('<resources/>', 'epoch="3" num_updates="1" admin_epoch="0"');
  const b = cib('<resources/>', 'epoch="4" num_updates="0" admin_epoch="0"');
  const patch = diffCib(a, b);
  const version = patch.children[0] as XmlElement;
  t.same(version, { tag: 'version', attrs: {}, children: [
    { tag: 'source', attrs: { admin_epoch: '0', epoch: '3', num_updates: '1' }, children: [] },
    { tag: 'target', attrs: { admin_epoch: '0', epoch: '4', num_updates: '0' }, children: [] },
  ] });
  t.same(summary(patch), ['modify /cib epoch=4 num_updates=0']);
  const nv = diffCib(a, b, { noVersion: true });
  t.same(nv.children, [], 'no version element, no change');
  t.ok(diffIsEmpty(nv));

  // Pacemaker: a field missing from the new CIB shows the old value; missing from both, "1".
  const c = cib('<resources/>', 'epoch="3"');
  const d = cib('<resources/>', '');
  t.same((diffCib(c, d).children[0] as XmlElement).children.map((v) => (v as XmlElement).attrs), [
    { admin_epoch: '1', epoch: '3', num_updates: '1' },
    { admin_epoch: '1', epoch: '3', num_updates: '1' },
  ]);
});

t.test('differences a patch cannot carry are refused with a code', async (t) => {
  const code = (f: () => unknown) => {
    try { f(); return 'ok'; } catch (e) { return e instanceof BerthError ? e.problems[0].code : String(e); }
  };
  t.equal(code(() => diffCib(parseXml('<cib/>'), parseXml('<diff/>'))), PATCH_UNSUPPORTED);
  t.equal(code(() => diffCib(parseXml('<cib>a<x/></cib>'), parseXml('<cib>b<x/></cib>'))), PATCH_UNSUPPORTED);
  t.equal(code(() => diffCib(parseXml('<cib>a<x/></cib>'), parseXml('<cib>a<x y="1"/></cib>'))), 'ok');
});

t.test('diffCib does not change its inputs', async (t) => {
  const a = cib('<resources><bundle id="b" x="1"/><bundle id="c"/></resources>');
  const b = cib('<resources><bundle id="c"/><bundle id="b" x="2"/><bundle id="d"/></resources>');
  const before = [semantic(a), semantic(b)];
  const patch = diffCib(a, b);
  (patch.children.at(-1) as XmlElement).children.length = 0;
  t.same([semantic(a), semantic(b)], before);
});
// Linear scaling of diffCib is measured by bench/diff.mjs, not by a timed test.
