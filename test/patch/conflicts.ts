// Three-way push: a patch made on ORIG is checked against LIVE (changed by someone else since).
// Each case: ORIG, what we did (MINE), what they did (LIVE), and the conflicts expected; when
// there are none, applying the patch to LIVE must keep both edits.
import t from 'tap';
import { XmlElement, parseXml } from '../../src/cib/xml';
import { diffCib } from '../../src/patch/diff';
import { applyPatch } from '../../src/patch/apply';
import { conflictProblems, findConflicts } from '../../src/patch/conflicts';
import { PATCH_CONFLICT } from '../../src/patch/patch-problems';
import { semantic } from './tree-compare';

const ORIG = `<cib crm_feature_set="3.16.1" epoch="5" num_updates="0" admin_epoch="0"><configuration><resources>
  <bundle id="web" description="front"><docker image="nginx:1" replicas="2"/><network control-port="3121"/></bundle>
  <bundle id="db"><docker image="pg:15" replicas="1"/></bundle>
  <group id="g"><primitive id="p1"/><primitive id="p2"/></group>
</resources><constraints/></configuration></cib>`;

type Edit = [string, string];
const edit = (text: string, edits: Edit[]) => edits.reduce((s, [from, to]) => {
  if (!s.includes(from)) throw new Error(`not in CIB: ${from}`);
  return s.replace(from, to);
}, text);

interface Expect { operation: string; path: string; attribute?: string; origValue: string | null; liveValue: string | null; patchValue: string | null }
interface Case { name: string; mine: Edit[]; live: Edit[]; conflicts: Expect[]; minimal?: boolean; merged?: Edit[] }

const R = '/cib/configuration/resources';
const cases: Case[] = [
  {
    name: 'two operators create two different bundles',
    mine: [['</resources>', '<bundle id="a"><docker image="a"/></bundle></resources>']],
    live: [['</resources>', '<bundle id="b"><docker image="b"/></bundle></resources>']],
    conflicts: [],
    merged: [['</resources>', '<bundle id="a"><docker image="a"/></bundle><bundle id="b"><docker image="b"/></bundle></resources>']],
  },
  {
    name: 'different attributes of one element',
    mine: [['image="nginx:1" replicas="2"', 'image="nginx:2" replicas="2"']],
    live: [['image="nginx:1" replicas="2"', 'image="nginx:1" replicas="5"']],
    conflicts: [],
    merged: [['image="nginx:1" replicas="2"', 'image="nginx:2" replicas="5"']],
  },
  {
    name: 'different elements: one deletes a bundle, the other changes another',
    mine: [['<bundle id="db"><docker image="pg:15" replicas="1"/></bundle>', '']],
    live: [['description="front"', 'description="shop"']],
    conflicts: [],
    merged: [['<bundle id="db"><docker image="pg:15" replicas="1"/></bundle>', ''], ['description="front"', 'description="shop"']],
  },
  {
    name: 'the same attribute changed two ways',
    mine: [['image="nginx:1"', 'image="nginx:2"']],
    live: [['image="nginx:1"', 'image="nginx:3"']],
    conflicts: [{ operation: 'modify', path: `${R}/bundle[@id='web']/docker`, attribute: 'image', origValue: 'nginx:1', liveValue: 'nginx:3', patchValue: 'nginx:2' }],
  },
  {
    name: 'the same attribute changed the same way',
    mine: [['image="nginx:1"', 'image="nginx:2"']],
    live: [['image="nginx:1"', 'image="nginx:2"']],
    conflicts: [],
    merged: [['image="nginx:1"', 'image="nginx:2"']],
  },
  {
    name: 'an attribute removed here, changed there',
    mine: [[' description="front"', '']],
    live: [['description="front"', 'description="shop"']],
    conflicts: [{ operation: 'modify', path: `${R}/bundle[@id='web']`, attribute: 'description', origValue: 'front', liveValue: 'shop', patchValue: null }],
  },
  {
    name: 'changing an element that was deleted meanwhile',
    mine: [['pg:15', 'pg:16']],
    live: [['<bundle id="db"><docker image="pg:15" replicas="1"/></bundle>', '']],
    conflicts: [{ operation: 'modify', path: `${R}/bundle[@id='db']/docker`, origValue: '<docker>', liveValue: null, patchValue: null }],
  },
  {
    name: 'deleting an element that was changed meanwhile (the first difference is named)',
    mine: [['<bundle id="db"><docker image="pg:15" replicas="1"/></bundle>', '']],
    live: [['replicas="1"', 'replicas="3"']],
    conflicts: [{ operation: 'delete', path: `${R}/bundle[@id='db']/docker`, attribute: 'replicas', origValue: '1', liveValue: '3', patchValue: null }],
  },
  {
    name: 'both deleted the same element',
    mine: [['<bundle id="db"><docker image="pg:15" replicas="1"/></bundle>', '']],
    live: [['<bundle id="db"><docker image="pg:15" replicas="1"/></bundle>', '']],
    conflicts: [],
    merged: [['<bundle id="db"><docker image="pg:15" replicas="1"/></bundle>', '']],
  },
  {
    name: 'both created a bundle with the same id',
    mine: [['</resources>', '<bundle id="new"><docker image="a"/></bundle></resources>']],
    live: [['</resources>', '<bundle id="new"><docker image="b"/></bundle></resources>']],
    conflicts: [{ operation: 'create', path: `${R}/bundle[@id='new']`, origValue: null, liveValue: '<bundle id="new">', patchValue: '<bundle id="new">' }],
  },
  {
    name: 'an id we create is now used elsewhere',
    mine: [['<group id="g">', '<group id="g"><primitive id="x"/>']],
    live: [['</resources>', '<primitive id="x"/></resources>']],
    conflicts: [{ operation: 'create', path: `${R}/group[@id='g']/primitive[@id='x']`, attribute: 'id', origValue: null, liveValue: 'x', patchValue: 'x' }],
  },
  {
    name: 'creating inside an element that was deleted meanwhile',
    mine: [['<group id="g">', '<group id="g"><primitive id="p0"/>']],
    live: [['<group id="g"><primitive id="p1"/><primitive id="p2"/></group>', '']],
    conflicts: [{ operation: 'create', path: `${R}/group[@id='g']`, origValue: '<group id="g">', liveValue: null, patchValue: '<primitive id="p0">' }],
  },
  {
    name: 'reordering a group whose members changed meanwhile',
    mine: [['<primitive id="p1"/><primitive id="p2"/>', '<primitive id="p2"/><primitive id="p1"/>']],
    live: [['<primitive id="p2"/>', '<primitive id="p2"/><primitive id="p3"/>']],
    conflicts: [
      { operation: 'move', path: `${R}/group[@id='g']`, origValue: "primitive[@id='p1'] primitive[@id='p2']", liveValue: "primitive[@id='p1'] primitive[@id='p2'] primitive[@id='p3']", patchValue: 'position 0' },
    ],
  },
  {
    name: 'reordering a group while something else changed',
    mine: [['<primitive id="p1"/><primitive id="p2"/>', '<primitive id="p2"/><primitive id="p1"/>']],
    live: [['replicas="1"', 'replicas="3"']],
    conflicts: [],
    merged: [['<primitive id="p1"/><primitive id="p2"/>', '<primitive id="p2"/><primitive id="p1"/>'], ['replicas="1"', 'replicas="3"']],
  },
  {
    name: 'versions differ (live was pushed since): not a conflict, the store bumps them',
    mine: [['epoch="5"', 'epoch="6"'], ['image="nginx:1"', 'image="nginx:2"']],
    live: [['epoch="5"', 'epoch="9"']],
    conflicts: [],
    merged: [['epoch="5"', 'epoch="9"'], ['image="nginx:1"', 'image="nginx:2"']],
  },
  {
    name: "Pacemaker lists the unchanged neighbour of a removed attribute as 'set': applying would revert live",
    mine: [['<docker image="nginx:1" replicas="2"/>', '<docker replicas="2"/>']],
    live: [['<docker image="nginx:1" replicas="2"/>', '<docker image="nginx:1" replicas="5"/>']],
    conflicts: [{ operation: 'modify', path: `${R}/bundle[@id='web']/docker`, attribute: 'replicas', origValue: '2', liveValue: '5', patchValue: '2' }],
  },
  {
    name: 'so a push diffs with minimal: only what changed is listed, and both edits land',
    minimal: true,
    mine: [['<docker image="nginx:1" replicas="2"/>', '<docker replicas="2"/>']],
    live: [['<docker image="nginx:1" replicas="2"/>', '<docker image="nginx:1" replicas="5"/>']],
    conflicts: [],
    merged: [['<docker image="nginx:1" replicas="2"/>', '<docker replicas="5"/>']],
  },
];

t.test('conflicts of a three-way push', async (t) => {
  for (const c of cases) {
    const orig = parseXml(ORIG);
    const mine = parseXml(edit(ORIG, c.mine));
    const live = parseXml(edit(ORIG, c.live));
    const patch = diffCib(orig, mine, { noVersion: true, minimal: c.minimal });
    const found = findConflicts(orig, live, patch).map(({ operation, path, attribute, origValue, liveValue, patchValue }) =>
      ({ operation, path, ...(attribute ? { attribute } : {}), origValue, liveValue, patchValue }));
    t.same(found, c.conflicts, c.name);
    // With conflicts the merge is refused before it is tried; without, it must keep both edits.
    t.equal(c.merged !== undefined, c.conflicts.length === 0, `${c.name}: a case says what the merge gives exactly when it has no conflicts`);
    if (c.merged) t.equal(semantic(applyPatch(live, patch)), semantic(parseXml(edit(ORIG, c.merged))), `${c.name}: both edits kept`);
  }
});

t.test('conflicts become problems with code PATCH_CONFLICT, path and values', async (t) => {
  const orig = parseXml(ORIG);
  const patch = diffCib(orig, parseXml(edit(ORIG, [['image="nginx:1"', 'image="nginx:2"']])), { noVersion: true });
  const live = parseXml(edit(ORIG, [['image="nginx:1"', 'image="nginx:3"']]));
  const problems = conflictProblems(findConflicts(orig, live, patch));
  t.same(problems.map(({ code, path, value, allowed }) => ({ code, path, value, allowed })), [
    { code: PATCH_CONFLICT, path: `${R}/bundle[@id='web']/docker/@image`, value: 'nginx:3', allowed: 'nginx:1' },
  ]);
  t.match(problems[0].message, "attribute 'image' of /cib/configuration/resources/bundle[@id='web']/docker changed in the live CIB since the original ('nginx:1' => 'nginx:3'); the patch sets it to 'nginx:2'");
});

t.test('a patch made on another CIB is not silently accepted', async (t) => {
  const orig = parseXml(ORIG);
  const other = parseXml('<cib><configuration><resources/></configuration></cib>') as XmlElement;
  const patch = diffCib(orig, parseXml(edit(ORIG, [['pg:15', 'pg:16']])), { noVersion: true });
  t.equal(findConflicts(orig, other, patch).length, 1);
});

t.test('a push patch (noVersion) leaves the live version alone: the store bumps it, never backwards', async (t) => {
  const orig = parseXml(ORIG);
  const mine = parseXml(edit(ORIG, [['epoch="5"', 'epoch="6"'], ['image="nginx:1"', 'image="nginx:2"']]));
  const live = parseXml(edit(ORIG, [['epoch="5"', 'epoch="9"'], ['pg:15', 'pg:16']]));
  const push = diffCib(orig, mine, { noVersion: true, minimal: true });
  t.same(findConflicts(orig, live, push), []);
  t.equal(applyPatch(live, push).attrs.epoch, '9', 'with noVersion');
  // Without noVersion the patch carries the file's epoch (as crm_diff's does): applying it to a
  // live CIB that moved on would set an older epoch. A push must not use it.
  t.equal(applyPatch(live, diffCib(orig, mine)).attrs.epoch, '6', 'without: the older epoch');
});
