// The pure pieces: source view, projection, aligned order, drift, settings.
import t from 'tap';
import { parseCib } from '../../src/cib/cib';
import { canonical, serializeXml } from '../../src/cib/xml';
import { applyPatch } from '../../src/patch/apply';
import { findDrift, driftRepair } from '../../src/gitops/drift';
import { alignOrder, projection, sourceView } from '../../src/gitops/view';
import { parseSettings } from '../../src/gitops/settings';

const cib = (resources: string, extra = '') => parseCib(`<cib epoch="3" admin_epoch="0" num_updates="1" validate-with="pacemaker-3.9">
  <configuration><crm_config/><nodes/><resources>${resources}</resources><constraints/>${extra}</configuration><status><node_state id="1"/></status></cib>`);
const b = (id: string, replicas: number, more = '') => `<bundle id="${id}"><docker image="img" replicas="${replicas}"${more}/></bundle>`;

t.test('the source view keeps only the configuration, without comments', async (t) => {
  const v = sourceView(parseCib(`<cib epoch="9"><!-- hi --><configuration><!-- c --><crm_config/><nodes/><resources/><constraints/></configuration><status/></cib>`));
  t.equal(serializeXml(v), '<cib>\n  <configuration>\n    <crm_config/>\n    <nodes/>\n    <resources/>\n    <constraints/>\n  </configuration>\n</cib>\n');
});

t.test('projection: the live CIB seen through the source', async (t) => {
  const live = cib(b('web', 5, ' options="--init"') + b('other', 1));
  const src = sourceView(cib(b('web', 3) + b('new', 1)));
  const p = projection(live, src);
  t.equal(canonical(p), canonical(parseCib('<cib><configuration><crm_config/><nodes/><resources><bundle id="web"><docker image="img" replicas="5"/></bundle></resources><constraints/></configuration></cib>')),
    'only web (other is not the source\'s, new is not in live), only the attributes the source sets');
});

t.test('drift: what the source sets and live has otherwise; the repair', async (t) => {
  const cases: { name: string; live: string; src: string; drift: { path: string; attribute?: string; source: string | null; live: string | null }[] }[] = [
    { name: 'in sync, live has more', live: b('web', 3, ' options="--init"') + b('x', 1), src: b('web', 3), drift: [] },
    { name: 'a changed attribute', live: b('web', 5), src: b('web', 3), drift: [{ path: "/cib/configuration/resources/bundle[@id='web']/docker", attribute: 'replicas', source: '3', live: '5' }] },
    { name: 'a removed attribute', live: `<bundle id="web"><docker image="img"/></bundle>`, src: b('web', 3), drift: [{ path: "/cib/configuration/resources/bundle[@id='web']/docker", attribute: 'replicas', source: '3', live: null }] },
    { name: 'a missing element', live: '', src: b('web', 3), drift: [{ path: "/cib/configuration/resources/bundle[@id='web']", source: '<bundle id="web">', live: null }] },
  ];
  for (const c of cases) {
    const live = cib(c.live);
    const src = sourceView(cib(c.src));
    t.same(findDrift(live, src), c.drift, c.name);
    const r = driftRepair(live, src);
    t.equal(r.empty, c.drift.length === 0, `${c.name}: repair empty iff no drift`);
    t.same(findDrift(applyPatch(live, r.patch), src), [], `${c.name}: the repair applied to live leaves no drift`);
  }
});

t.test('aligned order: reordering siblings is not a change, except where order means something', async (t) => {
  const base = parseCib('<cib><configuration><resources><bundle id="a"/><bundle id="b"/><group id="g"><primitive id="p1"/><primitive id="p2"/></group></resources></configuration></cib>');
  const next = parseCib('<cib><configuration><resources><bundle id="n"/><group id="g"><primitive id="p2"/><primitive id="p1"/></group><bundle id="b"/><bundle id="m"/><bundle id="a"/></resources></configuration></cib>');
  const ids = (x: string) => [...x.matchAll(/id="(\w+)"/g)].map((m) => m[1]);
  t.same(ids(serializeXml(alignOrder(base, next))), ['n', 'a', 'b', 'm', 'g', 'p2', 'p1'], 'a, b as in base (m follows b, n leads); the group keeps the new member order');
});

t.test('settings', async (t) => {
  t.same(parseSettings(undefined, 's').settings, { drift: 'repair', prune: true });
  t.same(parseSettings('{"drift":"report-only","prune":false}', 's'), { settings: { drift: 'report-only', prune: false }, problems: [] });
  const bad = parseSettings('{"drift":"often","prune":"yes","x":1}', 's').problems;
  t.same(bad.map((p) => p.path), ['s#drift', 's#prune', 's#x']);
  t.equal(parseSettings('[1]', 's').problems.length, 1);
  t.equal(parseSettings('{', 's').problems.length, 1);
});
