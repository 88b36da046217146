// Comparing trees in tests: `semantic` (attribute order and whitespace ignored, as canonical) and
// `exact` (attribute order kept too: what Pacemaker's own apply produces). Not a test itself.
import { XmlElement, XmlNode, canonical, isElement } from '../../src/cib/xml';

export const semantic = (n: XmlElement) => canonical(n);

export function exact(n: XmlNode): string {
  if (!isElement(n)) return JSON.stringify(n);
  return `<${n.tag}${Object.entries(n.attrs).map(([k, v]) => ` ${k}=${JSON.stringify(v)}`).join('')}>${n.children.map(exact).join('')}</${n.tag}>`;
}

if (require.main === module) {
  // tap runs every file under test/: keep this one a (trivial) passing test.
  require('tap').pass('helpers only');
}
