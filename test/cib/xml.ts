import t from 'tap';
import { parseXml, serializeXml, canonical } from '../../src/cib/xml';
import { BerthError } from '../../src/errors/registry';

const codeOf = (f: () => unknown) => {
  try { f(); return 'ok'; } catch (e) { return e instanceof BerthError ? e.problems[0].code : String(e); }
};

t.test('round trip keeps elements, attributes, comments and escapes', async (t) => {
  const src = '<?xml version="1.0"?>\n<cib a="x &amp; &lt;y&gt; &quot;q&quot; &#65;&#x42; t&#10;n"><!-- note --><c>t&amp;x</c><d/></cib>';
  const tree = parseXml(src);
  t.equal(tree.attrs.a, 'x & <y> "q" AB t\nn');
  const again = parseXml(serializeXml(tree));
  t.equal(canonical(again), canonical(tree));
  t.same(again.children[0], { comment: ' note ' });
});

t.test('hostile input is refused with a code', async (t) => {
  const cases: [string, string][] = [
    ['<a><b></a>', 'XML_MALFORMED'],
    ['<!DOCTYPE a [<!ENTITY x "y">]><a b="&x;"/>', 'XML_ENTITY_REFUSED'],
    ['<a b="&x;"/>', 'XML_ENTITY_REFUSED'],
    ['<a b="x & y"/>', 'XML_MALFORMED'],
    ['<a b="&#0;"/>', 'XML_MALFORMED'],
    ['<a/><b/>', 'XML_MALFORMED'],
    ['', 'XML_MALFORMED'],
  ];
  for (const [input, code] of cases) t.equal(codeOf(() => parseXml(input)), code, input);
});
