// The generic XML tree every part of berth works on, and its parse/serialize.
//
// A CIB is kept as an ordered tree of elements, comments and text so that whatever berth does not
// understand is written back exactly as it was read. The JSON form of a CIB is this same tree.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { BerthError, problem } from '../errors/registry';

export type Attrs = Record<string, string>;
export interface XmlElement {
  tag: string;
  attrs: Attrs;
  children: XmlNode[];
}
export interface XmlComment {
  comment: string;
}
export interface XmlText {
  text: string;
}
export type XmlNode = XmlElement | XmlComment | XmlText;

export const isElement = (n: XmlNode): n is XmlElement => (n as XmlElement).tag !== undefined;

export function el(tag: string, attrs: Attrs = {}, children: XmlNode[] = []): XmlElement {
  return { tag, attrs, children };
}

export function elements(parent: XmlElement, tag?: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of parent.children) if (isElement(c) && (tag === undefined || c.tag === tag)) out.push(c);
  return out;
}

export function child(parent: XmlElement, tag: string): XmlElement | undefined {
  for (const c of parent.children) if (isElement(c) && c.tag === tag) return c;
  return undefined;
}

/** Depth-first walk over elements; `visit` returning false stops descending into that element. */
export function walk(root: XmlElement, visit: (e: XmlElement, parent: XmlElement | undefined) => boolean | void): void {
  const stack: [XmlElement, XmlElement | undefined][] = [[root, undefined]];
  while (stack.length) {
    const [e, p] = stack.pop()!;
    if (visit(e, p) === false) continue;
    for (let i = e.children.length - 1; i >= 0; i--) {
      const c = e.children[i];
      if (isElement(c)) stack.push([c, e]);
    }
  }
}

export function cloneTree<T extends XmlNode>(n: T): T {
  if (isElement(n)) return { tag: n.tag, attrs: { ...n.attrs }, children: n.children.map(cloneTree) } as T;
  return { ...n };
}

const ENTITY = /&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z][A-Za-z0-9]*);/g;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(s: string, where: string): string {
  if (s.indexOf('&') < 0) return s;
  const out = s.replace(ENTITY, (_m, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      if (!isXmlChar(code)) {
        throw new BerthError([problem('XML_MALFORMED', { path: where, value: `&${ref};`, message: `character reference '&${ref};' in ${where} is not a valid XML character` })]);
      }
      return String.fromCodePoint(code);
    }
    const v = NAMED[ref];
    if (v === undefined) {
      throw new BerthError([problem('XML_ENTITY_REFUSED', { path: where, value: `&${ref};`, allowed: '&amp; &lt; &gt; &quot; &apos; and numeric references', message: `entity '&${ref};' in ${where} is not defined; berth does not accept DTD entities` })]);
    }
    return v;
  });
  let refs = 0;
  for (const _ of s.matchAll(ENTITY)) refs++;
  if (s.split('&').length - 1 !== refs) {
    throw new BerthError([problem('XML_MALFORMED', { path: where, value: s, message: `bare '&' in ${where}; write it as &amp;` })]);
  }
  return out;
}

function isXmlChar(c: number): boolean {
  return c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
}

let parser: XMLParser | undefined;

/**
 * Parse XML text into a tree. Refuses DOCTYPE (and so every entity declaration and XML bomb),
 * reports malformed input with line and column, drops whitespace-only text between elements.
 */
export function parseXml(text: string, source = 'input'): XmlElement {
  refuseDoctype(text, source);
  const v = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (v !== true) {
    const { msg, line, col } = v.err;
    throw new BerthError([problem('XML_MALFORMED', { path: `${source}:${line}:${col}`, value: undefined, message: `${source} is not well-formed XML at line ${line}, column ${col}: ${msg}` })]);
  }
  parser ??= new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: false,
    commentPropName: '#comment',
    cdataPropName: '#cdata',
    processEntities: false,
    htmlEntities: false,
    ignorePiTags: true,
  });
  const raw = parser.parse(text) as RawNode[];
  const roots: XmlElement[] = [];
  for (const r of raw) {
    const n = convert(r, source);
    if (n && isElement(n)) roots.push(n);
  }
  if (roots.length !== 1) {
    throw new BerthError([problem('XML_MALFORMED', { path: source, value: undefined, message: `${source} must have exactly one root element, found ${roots.length}` })]);
  }
  return roots[0];
}

type RawNode = Record<string, unknown> & { ':@'?: Record<string, string> };

function convert(r: RawNode, source: string): XmlNode | undefined {
  for (const key of Object.keys(r)) {
    if (key === ':@') continue;
    const val = r[key];
    if (key === '#text') {
      const t = String(val);
      return t.trim() === '' ? undefined : { text: decodeEntities(t, source) };
    }
    if (key === '#comment') {
      const inner = val as RawNode[];
      return { comment: inner.map((x) => String(x['#text'] ?? '')).join('') };
    }
    if (key === '#cdata') {
      const inner = val as RawNode[];
      return { text: inner.map((x) => String(x['#text'] ?? '')).join('') };
    }
    if (key.startsWith('?')) return undefined;
    const attrs: Attrs = {};
    const rawAttrs = r[':@'];
    if (rawAttrs) for (const a of Object.keys(rawAttrs)) attrs[a] = decodeEntities(String(rawAttrs[a]), `attribute '${a}' of <${key}>`);
    const children: XmlNode[] = [];
    for (const c of val as RawNode[]) {
      const n = convert(c, source);
      if (n) children.push(n);
    }
    return { tag: key, attrs, children };
  }
  return undefined;
}

function refuseDoctype(text: string, source: string): void {
  // Entity declarations can only live in a DOCTYPE, which must precede the root element.
  let i = 0;
  for (;;) {
    i = text.indexOf('<', i);
    if (i < 0) return;
    if (text.startsWith('<?', i)) { i = text.indexOf('?>', i); if (i < 0) return; continue; }
    if (text.startsWith('<!--', i)) { i = text.indexOf('-->', i); if (i < 0) return; continue; }
    if (text.startsWith('<!', i)) {
      throw new BerthError([problem('XML_ENTITY_REFUSED', { path: source, value: text.slice(i, i + 20), allowed: 'XML without DOCTYPE', message: `${source} has a DOCTYPE declaration; berth refuses DTDs and entity declarations (they allow entity-expansion bombs)` })]);
    }
    return;
  }
}

const ATTR_ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\n': '&#10;', '\r': '&#13;', '\t': '&#9;' };
const escAttr = (s: string) => s.replace(/[&<>"\n\r\t]/g, (c) => ATTR_ESC[c]);
const escText = (s: string) => s.replace(/[&<>]/g, (c) => ATTR_ESC[c]);

/** Serialize with two-space indentation, as cibadmin and pcs write CIBs. */
export function serializeXml(root: XmlElement): string {
  const parts: string[] = [];
  write(root, '', parts);
  return parts.join('');
}

function write(n: XmlNode, indent: string, out: string[]): void {
  if (!isElement(n)) {
    if ('comment' in n) out.push(`${indent}<!--${n.comment}-->\n`);
    else out.push(`${indent}${escText(n.text)}\n`);
    return;
  }
  let open = `${indent}<${n.tag}`;
  for (const k in n.attrs) open += ` ${k}="${escAttr(n.attrs[k])}"`;
  if (n.children.length === 0) {
    out.push(open + '/>\n');
    return;
  }
  if (n.children.length === 1 && 'text' in n.children[0]) {
    out.push(`${open}>${escText((n.children[0] as XmlText).text)}</${n.tag}>\n`);
    return;
  }
  out.push(open + '>\n');
  const inner = indent + '  ';
  for (const c of n.children) write(c, inner, out);
  out.push(`${indent}</${n.tag}>\n`);
}

/** Canonical form for semantic comparison: attributes sorted, whitespace gone. */
export function canonical(n: XmlNode): string {
  if (!isElement(n)) return 'comment' in n ? `<!--${n.comment}-->` : escText(n.text.trim());
  const keys = Object.keys(n.attrs).sort();
  let s = `<${n.tag}`;
  for (const k of keys) s += ` ${k}="${escAttr(n.attrs[k])}"`;
  s += '>';
  for (const c of n.children) s += canonical(c);
  return s + `</${n.tag}>`;
}
