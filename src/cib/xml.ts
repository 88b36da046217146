// The generic XML tree every part of berth works on, and its parse/serialize.
//
// A CIB is kept as an ordered tree of elements, comments and text so that whatever berth does not
// understand is written back exactly as it was read. The JSON form of a CIB is this same tree.
import { BerthError, problem } from '../errors/registry';

export type Attrs = Record<string, string>;

// Attribute tables inherit from an object without a prototype: `__proto__`, `constructor` and
// `toString` are attribute names like any other (kept, not swallowed by Object.prototype), and
// V8 still gives the tables its fast, shaped layout (Object.create(null) itself would not).
const ATTRS_BASE: object = Object.create(null);

/** A new attribute table, with the attributes of `src` when given. */
export function attrsOf(src?: Readonly<Attrs>): Attrs {
  const a = Object.create(ATTRS_BASE) as Attrs;
  if (src) for (const k of Object.keys(src)) a[k] = src[k];
  return a;
}
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

export function el(tag: string, attrs?: Attrs, children: XmlNode[] = []): XmlElement {
  return { tag, attrs: attrsOf(attrs), children };
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
  if (!isElement(n)) return { ...n };
  // A loop, not children.map(cloneTree): V8 would inline that callback into itself again and
  // again, and compiling the callers of cloneTree would take as long as a whole diff.
  const kids = n.children;
  const children: XmlNode[] = [];
  for (let k = 0; k < kids.length; k++) children.push(cloneTree(kids[k]));
  return { tag: n.tag, attrs: attrsOf(n.attrs), children } as T;
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
export function parseXml(text: string, source = 'input', opts: ParseOptions = {}): XmlElement {
  refuseDoctype(text, source);
  try {
    return scan(text, source, opts.index ?? NO_INDEX, opts.like ?? NO_INDEX, { ...XML_LIMITS, ...opts.limits });
  } catch (e) {
    if (e instanceof XmlLimitError) {
      const { line, col } = lineCol(text, e.offset);
      throw limitProblem(e.limit, e.count, e.allowed, `${source}:${line}:${col}`, `${source}, line ${line}, column ${col}`);
    }
    if (!(e instanceof XmlSyntaxError)) throw e;
    // The package is loaded only on this error path (6 ms), so that start-up of every command
    // stays lean. Deferred here, not in src/cli/lazy.ts: the pure core imports nothing above it.
    const { XMLValidator } = require('fast-xml-parser') as typeof import('fast-xml-parser');
    const v = XMLValidator.validate(text, { allowBooleanAttributes: false });
    // The validator gives no column for some errors (an empty text): then ours.
    const { line, col } = v !== true && v.err.line !== undefined && v.err.col !== undefined ? v.err : lineCol(text, e.offset);
    const msg = v !== true ? v.err.msg : e.message;
    throw new BerthError([problem('XML_MALFORMED', { path: `${source}:${line}:${col}`, message: `${source} is not well-formed XML at line ${line}, column ${col}: ${msg}` })]);
  }
}

/**
 * What a document may hold. A CIB is about ten elements deep with a handful of attributes per
 * element; these bounds are far above that, and keep every recursive walk of a tree (serialise,
 * JSON, schema, diff) far from the stack's end and every parse linear.
 */
export interface XmlLimits {
  /** elements nested in each other, the root counted as 1 */
  depth: number;
  /** attributes of one element */
  attributes: number;
  /** elements in the document */
  elements: number;
}
export const XML_LIMITS: Readonly<XmlLimits> = Object.freeze({ depth: 100, attributes: 1000, elements: 2_000_000 });

const LIMIT_WORDS = { depth: 'elements are nested', attributes: 'an element has', elements: 'the document has' };
const LIMIT_UNITS = { depth: 'levels deep', attributes: 'attributes', elements: 'elements' };

/** The problem for a document over one of the limits (parseXml's, and the JSON form's in cib.ts). */
export function limitProblem(limit: keyof XmlLimits, count: number, allowed: number, path: string, where: string): BerthError {
  const over = limit === 'depth' ? `${count}` : `more than ${allowed}`;
  const payload = { path, value: String(count), allowed: `at most ${allowed} (${limit} limit)`, message: `${where}: ${LIMIT_WORDS[limit]} ${over} ${LIMIT_UNITS[limit]}; the limit is ${allowed}` };
  switch (limit) {
    case 'depth': return new BerthError([problem('XML_TOO_DEEP', payload)]);
    case 'attributes': return new BerthError([problem('XML_TOO_MANY_ATTRIBUTES', payload)]);
    case 'elements': return new BerthError([problem('XML_TOO_MANY_ELEMENTS', payload)]);
  }
}

class XmlLimitError extends Error {
  constructor(readonly limit: keyof XmlLimits, readonly count: number, readonly allowed: number, readonly offset: number) {
    super(`${limit} limit ${allowed} exceeded`);
  }
}

export interface ParseOptions {
  /** Other limits than XML_LIMITS (tests). */
  limits?: Partial<XmlLimits>;
  /** Filled with the larger elements of this text, for a later parse `like` it. */
  index?: SourceIndex;
  /**
   * The index of a text parsed before, whose tree is unchanged since: an element whose text is
   * the same as one there is not read again, this tree gets that very element. The two trees then
   * share it: for reading them, as a diff does, not for editing either.
   */
  like?: SourceIndex;
}

/**
 * The larger elements of a parsed text, by key (the id, or the tag of an element without one),
 * and where each is in the text. Parsing depends on nothing outside an element's text, so an
 * element of a later text that has the very same text is the same tree: a CIB and its edited
 * copy, parsed one `like` the other, share all they have in common, and a diff of the two skips
 * it at once.
 */
export class SourceIndex {
  // Entry 0 stands in for a key that is not there (see sameAt); the elements start at 1.
  private text = '\u0000\u0000';
  private readonly elements: XmlElement[] = [{ tag: '', attrs: {}, children: [] }];
  private readonly bounds: number[] = [0, 2];
  private readonly byKey = new Map<string, number>();
  private recording = false;
  /** The length of the text of the element sameAt found last. */
  matched = 0;

  /** Called by parseXml. */
  begin(text: string): void {
    this.recording = true;
    this.text = text;
    this.elements.length = 1;
    this.bounds.length = 2;
    this.byKey.clear();
  }

  /** Called by parseXml when `e`, text[start, end), has ended. The first one of a key is kept. */
  add(e: XmlElement, key: string, start: number, end: number): void {
    // A small element is read again as fast as its text is compared: keeping it would only cost.
    if (!this.recording || end - start < 256 || this.byKey.has(key)) return;
    this.byKey.set(key, this.elements.length);
    this.elements.push(e);
    this.bounds.push(start, end);
  }

  /**
   * The element of this index whose text `text` repeats at `at`, where the start tag of an
   * element with this key was just read (its length in `matched`).
   */
  sameAt(key: string, text: string, at: number): XmlElement | undefined {
    // Found or not, the same steps (a key not there is compared with entry 0, and not taken):
    // the parser's code, optimised while it read the first text, where nothing is found, then
    // serves the second as it is, instead of dropping back to the interpreter at the first find.
    const k = this.byKey.get(key);
    const entry = k === undefined ? 0 : k;
    const start = this.bounds[2 * entry];
    const length = this.bounds[2 * entry + 1] - start;
    // Two slices and ===: a compare of memory (startsWith goes character by character).
    const sameText = text.slice(at, at + length) === this.text.slice(start, start + length);
    const element = this.elements[entry];
    const found = k !== undefined && sameText;
    this.matched = found ? length : 0;
    return found ? element : undefined;
  }
}

// For a parse without an index or without `like`: records nothing, matches nothing. The same
// class either way, so that the parser's optimised code serves every parse.
const NO_INDEX = new SourceIndex();

// Tag and attribute names, found again by a hash of their characters: each distinct name is cut
// out of the text once and is the string V8 keeps for that property key. Open addressing; a CIB
// has a few dozen names, a table that fills up anyway is emptied and starts again.
const NAME_SLOTS = 1024;
const NAMES: (string | undefined)[] = new Array(NAME_SLOTS);
let nameCount = 0;

/** text[from, to), whose characters hash to `h`, as a property key. */
function nameAt(text: string, from: number, to: number, h: number): string {
  let slot = (h ^ (h >>> 10) ^ (h >>> 20)) & (NAME_SLOTS - 1);
  for (;;) {
    const s = NAMES[slot];
    if (s === undefined) break;
    if (sameChars(s, text, from, to)) return s;
    slot = (slot + 1) & (NAME_SLOTS - 1);
  }
  if (nameCount >= NAME_SLOTS / 2) {
    NAMES.fill(undefined);
    nameCount = 0;
    return nameAt(text, from, to, h);
  }
  nameCount++;
  return (NAMES[slot] = propertyKey(text.slice(from, to)));
}

/** The one copy of `s` V8 keeps as an object's key. */
function propertyKey(s: string): string {
  return Object.keys({ [s]: 0 })[0];
}

/** s === text.slice(from, to), without making the slice. */
function sameChars(s: string, text: string, from: number, to: number): boolean {
  if (s.length !== to - from) return false;
  for (let k = 0; from < to; k++, from++) if (s.charCodeAt(k) !== text.charCodeAt(from)) return false;
  return true;
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
// In an attribute value: entity references, '<' (refused) and white space (normalised).
const VALUE_CARE = /[&<\t\n\r]/;

// Classes of ASCII characters, one bit each in one table. The scanning loops test a bit and never
// read past the end of the text: optimised code that meets a case it has not seen before falls
// back to the interpreter, which a large CIB would pay for.
const NAME_START = 1, NAME_CHAR = 2, SPACE = 4, TAG_NAME_END = 8, ATTR_NAME_END = 16;
const ASCII = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58) ASCII[c] |= NAME_START | NAME_CHAR;
  if ((c >= 48 && c <= 57) || c === 45 || c === 46) ASCII[c] |= NAME_CHAR;
  if (c === 32 || c === 10 || c === 9 || c === 13) ASCII[c] |= SPACE | TAG_NAME_END | ATTR_NAME_END;
  if (c === 47 || c === 62) ASCII[c] |= TAG_NAME_END | ATTR_NAME_END;
  if (c === 61) ASCII[c] |= ATTR_NAME_END;
}
const isSpace = (c: number) => c < 128 && (ASCII[c] & SPACE) !== 0;
const nameStart = (c: number) => (c < 128 ? (ASCII[c] & NAME_START) !== 0 : c >= 0xc0);
const nameChar = (c: number) => (c < 128 ? (ASCII[c] & NAME_CHAR) !== 0 : c >= 0xc0 || c === 0xb7);
/** The character at `k`, or 0 past the end (0 is refused by BAD_CHAR, so never a real one). */
const charAt = (text: string, k: number) => (k < text.length ? text.charCodeAt(k) : 0);

/** Throws for the name starting at `from`, which is not a valid one; it ends where a name may end. */
function badName(text: string, from: number, inAttribute: boolean): never {
  let to = from;
  for (; to < text.length; to++) {
    const c = text.charCodeAt(to);
    if (isSpace(c) || c === 47 || c === 62 || (inAttribute && c === 61)) break;
  }
  throw new XmlSyntaxError(`'${text.slice(from, to)}' is not a valid XML name`, from);
}

function scan(text: string, source: string, index: SourceIndex, like: SourceIndex, limits: XmlLimits): XmlElement {
  const bad = BAD_CHAR.exec(text);
  if (bad) throw new XmlSyntaxError(`character U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0')} is not allowed in XML`, bad.index);
  const n = text.length;
  const stack: XmlElement[] = [];
  const starts: number[] = []; // where each element on the stack starts, and its key, for `index`
  const keys: string[] = [];
  // What readAttributes found besides the attributes: their id (read there, where its name is
  // known, not from the attributes object, whose shape differs from element to element).
  const found: StartTag = { id: undefined };
  // The children of the elements on the stack, one after the other: each element gets them as an
  // array of their exact size when it ends (half the memory of arrays grown by push).
  // It starts with a node never used so that it is an array of objects from the start: optimised
  // code that met only such arrays would drop back to the interpreter on the next parse's.
  const kids: XmlNode[] = [{ comment: '' }];
  const firstKid: number[] = [];
  let kidCount = 1;
  if (index !== NO_INDEX) index.begin(text);
  let root: XmlElement | undefined;
  let elementCount = 0;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (i < n) {
    // Text up to the next '<': white space (dropped) or a text node.
    let k = i;
    while (k < n && isSpace(text.charCodeAt(k))) k++;
    if (k >= n) break;
    let lt = k;
    if (text.charCodeAt(k) !== 60 /* < */) {
      lt = text.indexOf('<', k);
      const raw = text.slice(i, lt < 0 ? n : lt);
      if (!stack.length) throw new XmlSyntaxError('text outside the root element', i);
      if (raw.includes(']]>')) throw new XmlSyntaxError("']]>' is not allowed in text", i);
      kids[kidCount++] = { text: decodeEntities(raw, source) };
      if (lt < 0) break;
    }
    i = lt;
    const c1 = charAt(text, i + 1);
    if (c1 === 33 /* ! */) {
      if (text.startsWith('<!--', i)) {
        const e = text.indexOf('-->', i + 4);
        if (e < 0) throw new XmlSyntaxError('unterminated comment', i);
        const body = text.slice(i + 4, e);
        if (body.includes('--') || body.endsWith('-')) throw new XmlSyntaxError("'--' is not allowed inside a comment", i);
        if (stack.length) kids[kidCount++] = { comment: body };
        i = e + 3;
      } else if (text.startsWith('<![CDATA[', i)) {
        const e = text.indexOf(']]>', i + 9);
        if (e < 0) throw new XmlSyntaxError('unterminated CDATA section', i);
        if (!stack.length) throw new XmlSyntaxError('CDATA outside the root element', i);
        kids[kidCount++] = { text: text.slice(i + 9, e) };
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
      const top = stack.pop();
      if (!top || !sameChars(top.tag, text, i + 2, e)) {
        const name = text.slice(i + 2, e).trimEnd();
        if (!top) throw new XmlSyntaxError(`end tag </${name}> without a start tag`, i);
        if (top.tag !== name) throw new XmlSyntaxError(`expected </${top.tag}>, found </${name}>`, i);
      }
      const first = firstKid.pop()!;
      top.children = kids.slice(first, kidCount);
      kidCount = first;
      const start = starts.pop()!;
      const key = keys.pop()!;
      i = e + 1;
      index.add(top, key, start, i);
    } else {
      // A start tag: its name (hashed as it is read, to find the one string kept for it), then
      // its attributes.
      let j = i + 1;
      let c = c1;
      let h = 0;
      if (nameStart(c)) {
        do {
          h = (h << 5) ^ (h >>> 27) ^ c;
          c = charAt(text, ++j);
        } while (nameChar(c));
      }
      if (j === i + 1 || !(j >= n || (c < 128 && (ASCII[c] & TAG_NAME_END) !== 0))) badName(text, i + 1, false);
      const tag = nameAt(text, i + 1, j, h);
      if (++elementCount > limits.elements) throw new XmlLimitError('elements', elementCount, limits.elements, i);
      // This element's depth is stack.length + 1, whether it is empty (<x/>) or not.
      if (stack.length >= limits.depth) throw new XmlLimitError('depth', stack.length + 1, limits.depth, i);
      const attrs = Object.create(ATTRS_BASE) as Attrs;
      j = readAttributes(text, i, j, tag, attrs, found, limits.attributes);
      const selfClosing = text.charCodeAt(j) === 47; /* / */
      const key = found.id !== undefined ? found.id : tag; // for SourceIndex
      const same = selfClosing ? undefined : like.sameAt(key, text, i);
      const el: XmlElement = same === undefined ? { tag, attrs, children: [] } : same;
      if (stack.length) kids[kidCount++] = el;
      else if (root) throw new XmlSyntaxError(`a second root element <${tag}>; an XML document has exactly one`, i);
      else root = el;
      const sameEnd = i + like.matched; // where `same` ends, end tag included
      if (selfClosing) {
        if (charAt(text, j + 1) !== 62) throw new XmlSyntaxError(`expected '/>' in <${tag}>`, j);
        i = j + 2;
      } else if (same !== undefined) {
        i = sameEnd;
      } else {
        stack.push(el);
        starts.push(i);
        keys.push(key);
        firstKid.push(kidCount);
        i = j + 1;
      }
    }
  }
  if (stack.length) throw new XmlSyntaxError(`<${stack[stack.length - 1].tag}> is never closed`, n);
  if (!root) throw new XmlSyntaxError(`${source} has no root element`, 0);
  return root;
}

/** An attribute's value as written (`raw`, with no '<') to its value. */
function attributeValue(raw: string, name: string, tag: string): string {
  // XML attribute-value normalisation: literal white space becomes a space.
  const normal = /[\t\n\r]/.test(raw) ? raw.replace(/\r\n|[\t\n\r]/g, ' ') : raw;
  return decodeEntities(normal, `attribute '${name}' of <${tag}>`);
}

interface StartTag {
  /** the value of the attribute `id` */
  id: string | undefined;
}

// The attribute names of the start tag being read, to refuse one given twice: compared one by one
// while they are few, in a set past that (a tag with thousands stays linear).
const seenNames: string[] = [];
const FEW_NAMES = 16;
const seenSet = new Set<string>();

/**
 * Reads the attributes of the start tag at `i` into `attrs`, from `j` (just after the tag's
 * name), and its id into `found`; returns where the tag ends, at its '>' or '/'.
 */
function readAttributes(text: string, i: number, j: number, tag: string, attrs: Attrs, found: StartTag, maxAttributes: number): number {
  const n = text.length;
  let seen = 0;
  found.id = undefined;
  let c = charAt(text, j);
  for (;;) {
    const before = j;
    while (isSpace(c)) c = charAt(text, ++j);
    if (c === 62 /* > */ || c === 47 /* / */) return j;
    if (j >= n) throw new XmlSyntaxError(`unterminated start tag <${tag}>`, i);
    if (j === before) throw new XmlSyntaxError(`attributes of <${tag}> must be separated by white space`, j);
    const ns = j;
    let h = 0;
    if (nameStart(c)) {
      do {
        h = (h << 5) ^ (h >>> 27) ^ c;
        c = charAt(text, ++j);
      } while (nameChar(c));
    }
    if (j === ns || !(j >= n || (c < 128 && (ASCII[c] & ATTR_NAME_END) !== 0))) badName(text, ns, true);
    const name = nameAt(text, ns, j, h);
    while (isSpace(c)) c = charAt(text, ++j);
    if (c !== 61 /* = */) throw new XmlSyntaxError(`attribute '${name}' of <${tag}> has no value`, j);
    c = charAt(text, ++j);
    while (isSpace(c)) c = charAt(text, ++j);
    if (c !== 34 && c !== 39) throw new XmlSyntaxError(`value of attribute '${name}' of <${tag}> is not quoted`, j);
    const ve = text.indexOf(c === 34 ? '"' : "'", j + 1);
    if (ve < 0) throw new XmlSyntaxError(`unterminated value of attribute '${name}'`, j);
    const raw = text.slice(j + 1, ve);
    const care = VALUE_CARE.test(raw);
    if (care && raw.indexOf('<') >= 0) throw new XmlSyntaxError(`'<' in the value of attribute '${name}'`, j);
    if (seen >= maxAttributes) throw new XmlLimitError('attributes', seen + 1, maxAttributes, i);
    if (seen < FEW_NAMES) {
      for (let x = 0; x < seen; x++) if (seenNames[x] === name) throw new XmlSyntaxError(`attribute '${name}' appears twice in <${tag}>`, ns);
      seenNames[seen] = name;
    } else {
      if (seen === FEW_NAMES) {
        seenSet.clear();
        for (let x = 0; x < seen; x++) seenSet.add(seenNames[x]);
      }
      if (seenSet.has(name)) throw new XmlSyntaxError(`attribute '${name}' appears twice in <${tag}>`, ns);
      seenSet.add(name);
    }
    seen++;
    const value = care ? attributeValue(raw, name, tag) : raw;
    attrs[name] = value;
    if (name === 'id') found.id = value;
    j = ve + 1;
    c = charAt(text, j);
  }
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
  return write(root, 0, '');
}

/**
 * Serialize on one line with no whitespace between elements, as libxml2's unformatted dump
 * (Pacemaker's wire messages) writes it: `<a x="1"><b/></a>`.
 */
export function serializeXmlLine(n: XmlNode): string {
  if (!isElement(n)) return 'comment' in n ? `<!--${n.comment}-->` : escText(n.text);
  let s = `<${n.tag}`;
  for (const k in n.attrs) s += ` ${k}="${escAttr(n.attrs[k])}"`;
  if (n.children.length === 0) return s + '/>';
  s += '>';
  for (const c of n.children) s += serializeXmlLine(c);
  return s + `</${n.tag}>`;
}

// The pieces every element repeats, made once: the indentation of each depth and ` name="` of
// each attribute name (a serialisation otherwise makes several small strings per attribute).
const INDENTS: string[] = [''];
const ATTR_OPENS = new Map<string, string>();

function indentOf(depth: number): string {
  while (INDENTS.length <= depth) INDENTS.push(INDENTS[INDENTS.length - 1] + '  ');
  return INDENTS[depth];
}

function attrOpen(name: string): string {
  let s = ATTR_OPENS.get(name);
  if (s === undefined) {
    if (ATTR_OPENS.size >= 1024) ATTR_OPENS.clear(); // names are few; a flood of them is not kept
    ATTR_OPENS.set(name, (s = ` ${name}="`));
  }
  return s;
}

/** `out` followed by `n` at `depth`. One string grown by +=: V8 joins the pieces once, when it is used. */
function write(n: XmlNode, depth: number, out: string): string {
  const indent = indentOf(depth);
  if (!isElement(n)) {
    if ('comment' in n) return out + indent + '<!--' + n.comment + '-->\n';
    return out + indent + escText(n.text) + '\n';
  }
  out += indent;
  out += '<';
  out += n.tag;
  const attrs = n.attrs;
  for (const k in attrs) {
    out += attrOpen(k);
    out += escAttr(attrs[k]);
    out += '"';
  }
  const kids = n.children;
  if (kids.length === 0) return out + '/>\n';
  if (kids.length === 1 && 'text' in kids[0]) return out + '>' + escText((kids[0] as XmlText).text) + '</' + n.tag + '>\n';
  out += '>\n';
  // Indexed, not for-of: a serialisation runs mostly before V8 optimises it.
  for (let k = 0; k < kids.length; k++) out = write(kids[k], depth + 1, out);
  out += indent;
  out += '</';
  out += n.tag;
  return out + '>\n';
}

/**
 * canonical(a) === canonical(b), without building either string when the trees have the same
 * shape (one pass, no recursion): a diff asks this at every level of a deep tree.
 */
export function sameCanonical(a: XmlNode, b: XmlNode): boolean {
  return sameShape(a, b) || canonical(a) === canonical(b);
}

/** The same tags, attributes (in any order), comments and trimmed texts, child for child. */
function sameShape(a: XmlNode, b: XmlNode): boolean {
  const stack: XmlNode[] = [a, b];
  while (stack.length) {
    const y = stack.pop()!, x = stack.pop()!;
    if (x === y) continue;
    if (isElement(x) !== isElement(y)) return false;
    if (!isElement(x) || !isElement(y)) {
      if ('comment' in x !== 'comment' in y) return false;
      if ('comment' in x ? x.comment !== (y as XmlComment).comment : (x as XmlText).text.trim() !== (y as XmlText).text.trim()) return false;
      continue;
    }
    if (x.tag !== y.tag || x.children.length !== y.children.length) return false;
    const keys = Object.keys(x.attrs);
    if (keys.length !== Object.keys(y.attrs).length) return false;
    for (const k of keys) if (!Object.prototype.hasOwnProperty.call(y.attrs, k) || x.attrs[k] !== y.attrs[k]) return false;
    for (let k = 0; k < x.children.length; k++) stack.push(x.children[k], y.children[k]);
  }
  return true;
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
