// The generic XML tree every part of berth works on, and its parse/serialize.
//
// A CIB is kept as an ordered tree of elements, comments and text so that whatever berth does not
// understand is written back exactly as it was read. The JSON form of a CIB is this same tree.
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

/**
 * Parse XML text into a tree with a strict single-pass parser (CIBs are large: this is several
 * times faster than a general parser). Refuses DOCTYPE (so every entity declaration and XML bomb),
 * reports malformed input with line and column — worded by fast-xml-parser's validator when it
 * sees the problem too — and drops whitespace-only text between elements.
 */
export function parseXml(text: string, source = 'input'): XmlElement {
  refuseDoctype(text, source);
  try {
    return scan(text, source);
  } catch (e) {
    if (!(e instanceof XmlSyntaxError)) throw e;
    // Loaded only on this error path: start-up of every command stays lean.
    const { XMLValidator } = require('fast-xml-parser') as typeof import('fast-xml-parser');
    const v = XMLValidator.validate(text, { allowBooleanAttributes: false });
    const { line, col } = v !== true ? v.err : lineCol(text, e.offset);
    const msg = v !== true ? v.err.msg : e.message;
    throw new BerthError([problem('XML_MALFORMED', { path: `${source}:${line}:${col}`, message: `${source} is not well-formed XML at line ${line}, column ${col}: ${msg}` })]);
  }
}

class XmlSyntaxError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

function lineCol(text: string, offset: number): { line: number; col: number } {
  let line = 1, last = -1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) { line++; last = i; }
  return { line, col: offset - last };
}

// Characters XML 1.0 forbids anywhere in a document.
const BAD_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const nameStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58 || c >= 0xc0;
const nameChar = (c: number) => nameStart(c) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 0xb7;
const WS = (c: number) => c === 32 || c === 10 || c === 9 || c === 13;

function scan(text: string, source: string): XmlElement {
  const bad = BAD_CHAR.exec(text);
  if (bad) throw new XmlSyntaxError(`character U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0')} is not allowed in XML`, bad.index);
  // Names are checked as they are scanned (char codes, no regex, no lookups): CIBs are large.
  const checkName = (from: number, to: number) => {
    if (from === to || !nameStart(text.charCodeAt(from))) throw new XmlSyntaxError(`'${text.slice(from, to)}' is not a valid XML name`, from);
    for (let x = from + 1; x < to; x++) if (!nameChar(text.charCodeAt(x))) throw new XmlSyntaxError(`'${text.slice(from, to)}' is not a valid XML name`, from);
  };
  const n = text.length;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (i < n) {
    const lt = text.indexOf('<', i);
    const end = lt < 0 ? n : lt;
    let k = i;
    while (k < end && WS(text.charCodeAt(k))) k++;
    if (k < end) {
      const raw = text.slice(i, end);
      {
        if (!stack.length) throw new XmlSyntaxError('text outside the root element', i);
        if (raw.includes(']]>')) throw new XmlSyntaxError("']]>' is not allowed in text", i);
        stack[stack.length - 1].children.push({ text: decodeEntities(raw, source) });
      }
    }
    if (lt < 0) break;
    i = lt;
    const c1 = text.charCodeAt(i + 1);
    if (c1 === 33 /* ! */) {
      if (text.startsWith('<!--', i)) {
        const e = text.indexOf('-->', i + 4);
        if (e < 0) throw new XmlSyntaxError('unterminated comment', i);
        const body = text.slice(i + 4, e);
        if (body.includes('--') || body.endsWith('-')) throw new XmlSyntaxError("'--' is not allowed inside a comment", i);
        if (stack.length) stack[stack.length - 1].children.push({ comment: body });
        i = e + 3;
      } else if (text.startsWith('<![CDATA[', i)) {
        const e = text.indexOf(']]>', i + 9);
        if (e < 0) throw new XmlSyntaxError('unterminated CDATA section', i);
        if (!stack.length) throw new XmlSyntaxError('CDATA outside the root element', i);
        stack[stack.length - 1].children.push({ text: text.slice(i + 9, e) });
        i = e + 3;
      } else {
        throw new XmlSyntaxError('markup declarations are not allowed', i);
      }
    } else if (c1 === 63 /* ? */) {
      const e = text.indexOf('?>', i + 2);
      if (e < 0) throw new XmlSyntaxError('unterminated processing instruction', i);
      i = e + 2;
    } else if (c1 === 47 /* / */) {
      const e = text.indexOf('>', i + 2);
      if (e < 0) throw new XmlSyntaxError('unterminated end tag', i);
      const name = text.slice(i + 2, e).trimEnd();
      const top = stack.pop();
      if (!top) throw new XmlSyntaxError(`end tag </${name}> without a start tag`, i);
      if (top.tag !== name) throw new XmlSyntaxError(`expected </${top.tag}>, found </${name}>`, i);
      i = e + 1;
    } else {
      let j = i + 1;
      while (j < n) {
        const c = text.charCodeAt(j);
        if (WS(c) || c === 47 || c === 62) break;
        j++;
      }
      checkName(i + 1, j);
      const tag = text.slice(i + 1, j);
      const attrs: Attrs = {};
      for (;;) {
        const before = j;
        while (j < n && WS(text.charCodeAt(j))) j++;
        const c = text.charCodeAt(j);
        if (c === 62 /* > */ || c === 47 /* / */) break;
        if (j >= n) throw new XmlSyntaxError(`unterminated start tag <${tag}>`, i);
        if (j === before) throw new XmlSyntaxError(`attributes of <${tag}> must be separated by white space`, j);
        const ns = j;
        while (j < n) {
          const d = text.charCodeAt(j);
          if (WS(d) || d === 61 || d === 47 || d === 62) break;
          j++;
        }
        checkName(ns, j);
        const name = text.slice(ns, j);
        while (j < n && WS(text.charCodeAt(j))) j++;
        if (text.charCodeAt(j) !== 61) throw new XmlSyntaxError(`attribute '${name}' of <${tag}> has no value`, j);
        j++;
        while (j < n && WS(text.charCodeAt(j))) j++;
        const q = text[j];
        if (q !== '"' && q !== "'") throw new XmlSyntaxError(`value of attribute '${name}' of <${tag}> is not quoted`, j);
        const ve = text.indexOf(q, j + 1);
        if (ve < 0) throw new XmlSyntaxError(`unterminated value of attribute '${name}'`, j);
        let raw = text.slice(j + 1, ve);
        if (raw.indexOf('<') >= 0) throw new XmlSyntaxError(`'<' in the value of attribute '${name}'`, j);
        if (Object.prototype.hasOwnProperty.call(attrs, name)) throw new XmlSyntaxError(`attribute '${name}' appears twice in <${tag}>`, ns);
        // XML attribute-value normalisation: literal white space becomes a space.
        if (/[\t\n\r]/.test(raw)) raw = raw.replace(/\r\n|[\t\n\r]/g, ' ');
        attrs[name] = decodeEntities(raw, `attribute '${name}' of <${tag}>`);
        j = ve + 1;
      }
      const el: XmlElement = { tag, attrs, children: [] };
      if (stack.length) stack[stack.length - 1].children.push(el);
      else if (root) throw new XmlSyntaxError(`a second root element <${tag}>; an XML document has exactly one`, i);
      else root = el;
      if (text.charCodeAt(j) === 47) {
        if (text.charCodeAt(j + 1) !== 62) throw new XmlSyntaxError(`expected '/>' in <${tag}>`, j);
        i = j + 2;
      } else {
        stack.push(el);
        i = j + 1;
      }
    }
  }
  if (stack.length) throw new XmlSyntaxError(`<${stack[stack.length - 1].tag}> is never closed`, n);
  if (!root) throw new XmlSyntaxError(`${source} has no root element`, 0);
  return root;
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
const ATTR_SPECIAL = /[&<>"\n\r\t]/;
const escAttr = (s: string) => (ATTR_SPECIAL.test(s) ? s.replace(/[&<>"\n\r\t]/g, (c) => ATTR_ESC[c]) : s);
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
