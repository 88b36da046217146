// Generated XML, JSON and command lines, each case within 2 s of CPU time (a document: 1 ms more per KB): the outcome is a CIB or coded
// problems (never another exception, never a stack overflow), and a CIB that loads survives every
// tree walk: serialise and parse back, JSON and back, clone, diff and patch. Trees at the depth
// limit go through every recursive walk. The counts of cases are printed as comments.
import t from 'tap';
import type { Test } from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { Cib, EMPTY_CIB_XML, fromJson, parseCib, toJson, toJsonText } from '../../src/cib/cib';
import { XML_LIMITS, XmlElement, canonical, cloneTree, el, parseXml, serializeXml } from '../../src/cib/xml';
import { schemaProblems } from '../../src/cib/schema';
import { diffCib } from '../../src/patch/diff';
import { applyPatch } from '../../src/patch/apply';
import { BerthError, PROBLEM_CODES } from '../../src/errors/registry';
import { prng } from '../helpers/prng';

const CASE_MS = 2000;
/** A generated document's budget: 2 s, and 1 ms more per KB of it. The largest (1.3 MB: 100
 * elements deep with 1,000 attributes each) does linear work near 2 s of CPU and went over on a
 * machine running two test files at once (2,130 ms); linear allowance still catches a blow-up. */
const xmlCaseMs = (text: string) => CASE_MS + text.length / 1024;
/** CPU milliseconds this process has used: a case's cost, not how long it waited for a core on a
 * loaded machine (the limit guards against blow-ups on hostile input, not for speed). */
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };


// Tags the schema has no rules for (it checks only the configuration it knows).
const TAGS = ['x', 'y', 'a:b', 'lrm_x', '_z.1'];
const NAMES = ['x', 'nvpair', 'primitive', 'id', 'name', 'value', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'a:b', 'é'];
const VALUES = ['', 'v', '&amp;', '&lt;x&gt;', '&#10;', '&#x1F600;', 'é😀', ' spaced\tvalue '];
const BAD_VALUES = ['&bogus;', '&#0;', '<', '"'];

/** A random document: sometimes within the limits, sometimes over them, sometimes broken. */
function randomXml(rnd: () => number): string {
  const pick = <T>(a: T[]) => a[Math.floor(rnd() * a.length)];
  const depth = rnd() < 0.2 ? XML_LIMITS.depth - 3 + Math.floor(rnd() * 6) : Math.floor(rnd() * 12);
  const attrsPer = rnd() < 0.08 ? XML_LIMITS.attributes - 2 + Math.floor(rnd() * 4) : Math.floor(rnd() * 5);
  let inner = '';
  for (let d = 0; d < depth; d++) {
    // Distinct names (a name twice is a case of its own, below); now and then a bad value.
    const attrs = Array.from({ length: attrsPer }, (_, k) => ` ${attrsPer > 20 ? `a${k}` : NAMES[(d + k) % NAMES.length]}="${attrsPer < 20 && rnd() < 0.01 ? pick(BAD_VALUES) : pick(VALUES)}"`).join('');
    inner = `<${pick(TAGS)}${attrs}>${rnd() < 0.3 ? pick(VALUES) : ''}${inner}</TAG${d}>`;
  }
  // End tags were written as placeholders: fill them in so most documents are well-formed.
  const tags = [...inner.matchAll(/<([^\s>/!]+)/g)].map((m) => m[1]);
  for (let d = 0; d < depth; d++) inner = inner.replace(`</TAG${d}>`, `</${tags[depth - 1 - d]}>`);
  let doc = EMPTY_CIB_XML.replace('<status/>', `<status>${inner}</status>`);
  if (rnd() < 0.25) {
    const at = Math.floor(rnd() * doc.length);
    doc = doc.slice(0, at) + pick(['<', '>', '"', '&', '</x>', '<x>', '\u0000', '\uFFFE', '', ' id="1" id="2"']) + doc.slice(at + 1);
  }
  return doc;
}

type Outcome = { ok: true; cib: Cib } | { ok: false; codes: string[] };

function load(text: string, source: string): Outcome {
  try {
    return { ok: true, cib: parseCib(text, source) };
  } catch (e) {
    if (e instanceof BerthError) return { ok: false, codes: e.problems.map((p) => p.code) };
    throw e;
  }
}

/** Every walk of a tree, as [what, result, expected] (timed with the case; asserted after). */
function roundTrips(cib: Cib, name: string): [string, string, string][] {
  const want = canonical(cib);
  const changed = cloneTree(cib);
  changed.attrs.epoch = String(Number(changed.attrs.epoch ?? 0) + 1);
  changed.children.push(el('x', { id: 'fz-added' }));
  return [
    [`${name}: XML round trip`, canonical(parseCib(serializeXml(cib), `${name} serialised`)), want],
    [`${name}: JSON round trip`, canonical(fromJson(toJson(cib))), want],
    [`${name}: JSON text round trip`, canonical(fromJson(JSON.parse(toJsonText(cib)))), want],
    [`${name}: patch(a, diff(a, b)) == b`, canonical(applyPatch(cib, diffCib(cib, changed))), canonical(changed)],
  ];
}

function assertAll(t: Test, checks: [string, string, string][]): void {
  for (const [what, got, want] of checks) t.ok(got === want, what);
}

t.test('generated XML: coded problems or a CIB that survives every walk, each within 2 s (and 1 ms per KB)', async (t) => {
  const rnd = prng(18_2025);
  const N = Number(process.env.BERTH_HARDEN_FUZZ_N ?? 400);
  const seen = { loaded: 0, refused: 0 };
  const codes = new Set<string>();
  let slowest = 0;
  for (let i = 0; i < N; i++) {
    const text = randomXml(rnd);
    const t0 = cpuMs();
    const r = load(text, `case ${i}`);
    const checks = r.ok ? roundTrips(r.cib, `case ${i}`) : [];
    const ms = cpuMs() - t0;
    assertAll(t, checks);
    if (r.ok) seen.loaded++;
    else {
      seen.refused++;
      for (const c of r.codes) codes.add(c);
    }
    slowest = Math.max(slowest, ms);
    t.ok(ms < xmlCaseMs(text), `case ${i} in ${ms.toFixed(0)} CPU ms (budget ${xmlCaseMs(text).toFixed(0)})`);
  }
  t.ok([...codes].every((c) => c in PROBLEM_CODES), `only registered codes: ${[...codes].join(', ')}`);
  t.ok(seen.loaded > N / 10 && seen.refused > N / 10, `both outcomes (${JSON.stringify(seen)})`);
  t.ok(codes.has('XML_TOO_DEEP') && codes.has('XML_TOO_MANY_ATTRIBUTES') && codes.has('XML_MALFORMED'), 'the limits were reached');
  t.comment(`XML fuzz: ${N} cases (${seen.loaded} loaded, ${seen.refused} refused), slowest ${slowest.toFixed(0)} CPU ms`);
});

t.test('generated JSON: the same, through the JSON form', async (t) => {
  const rnd = prng(2025_18);
  const N = Number(process.env.BERTH_HARDEN_FUZZ_N ?? 400);
  const seen = { loaded: 0, refused: 0 };
  for (let i = 0; i < N; i++) {
    const x = load(randomXml(rnd), `json source ${i}`);
    let text: string;
    if (x.ok) text = toJsonText(x.cib);
    else text = '{"tag": "cib", "children": ' + '['.repeat(1 + Math.floor(rnd() * 400)); // cut off: not JSON
    // Mutations of the JSON form: wrong types, deep arrays, huge attribute tables.
    const op = Math.floor(rnd() * 5);
    if (x.ok && op === 1) text = text.replace('"attrs": {', `"attrs": {${Array.from({ length: XML_LIMITS.attributes + 1 }, (_, k) => `"a${k}":"v"`).join(',')},`);
    if (x.ok && op === 2) text = text.replace('"children": [', '"children": [' + '['.repeat(300) + ']'.repeat(300) + ',');
    if (x.ok && op === 3) text = text.replace('"tag": "cib"', '"tag": 5');
    const t0 = cpuMs();
    const r = load(text, `json case ${i}`);
    const checks = r.ok ? roundTrips(r.cib, `json case ${i}`) : [];
    const ms = cpuMs() - t0;
    assertAll(t, checks);
    if (r.ok) seen.loaded++;
    else {
      seen.refused++;
      t.ok(r.codes.every((c) => c in PROBLEM_CODES), `json case ${i}: registered codes`);
    }
    t.ok(ms < CASE_MS, `json case ${i} in ${ms.toFixed(0)} CPU ms`);
  }
  t.ok(seen.loaded > N / 10 && seen.refused > N / 10, `both outcomes (${JSON.stringify(seen)})`);
  t.comment(`JSON fuzz: ${N} cases (${seen.loaded} loaded, ${seen.refused} refused)`);
});

const WORDS = ['property', 'set', 'unset', 'config', 'resource', 'bundle', 'create', 'update', 'delete', 'container', 'docker', 'image=x', 'replicas=2', 'meta', '__proto__=x', 'constructor=y', 'toString=z', 'b1', 'no-quorum-policy=ignore', 'constraint', 'location', 'prefers', 'n1', 'cib', 'validate', 'convert', '--to', 'json', '--force', '-f', '', 'é', '😀', '\u0000', 'x'.repeat(10_000)];

t.test('generated command lines against generated files: exit 0, 1 or 2, never 70, each within 2 s', async (t) => {
  const rnd = prng(7);
  const dir = t.testdir({});
  const N = Number(process.env.BERTH_HARDEN_FUZZ_N ?? 400);
  const exits: Record<number, number> = {};
  for (let i = 0; i < N; i++) {
    const file = path.join(dir, `c${i % 8}.xml`);
    fs.writeFileSync(file, rnd() < 0.5 ? EMPTY_CIB_XML : randomXml(rnd));
    const before = fs.readFileSync(file);
    const argv = Array.from({ length: Math.floor(rnd() * 8) }, () => WORDS[Math.floor(rnd() * WORDS.length)]);
    const t0 = cpuMs();
    const code = await main(['-f', file, ...argv], { out: () => {}, err: () => {} });
    const ms = cpuMs() - t0;
    exits[code] = (exits[code] ?? 0) + 1;
    t.ok(code === 0 || code === 1 || code === 2, `argv case ${i}: exit ${code} for ${JSON.stringify(argv).slice(0, 200)}`);
    t.ok(ms < CASE_MS, `argv case ${i} in ${ms.toFixed(0)} CPU ms`);
    if (code !== 0) t.same(fs.readFileSync(file), before, `argv case ${i}: the file untouched on error`);
  }
  t.ok((exits[0] ?? 0) > 0 && (exits[1] ?? 0) > 0, `exits: ${JSON.stringify(exits)}`);
  t.comment(`argv fuzz: ${N} cases, exits ${JSON.stringify(exits)}`);
});

t.test('a tree at the depth limit goes through every recursive walk', async (t) => {
  const deepest = (depth: number): Cib => {
    const cib = parseCib(EMPTY_CIB_XML);
    let at = cib.children.find((c) => (c as XmlElement).tag === 'status') as XmlElement;
    for (let d = 3; d <= depth; d++) {
      const next = el('x', { id: `x${d}`, ['__proto__']: 'kept' });
      at.children.push(next);
      at = next;
    }
    return cib;
  };
  const cib = deepest(XML_LIMITS.depth);
  const text = serializeXml(cib);
  t.ok(parseXml(text, 'deep'), 'parse');
  assertAll(t, roundTrips(cib, 'depth limit'));
  t.same(schemaProblems(toJson(cib)), [], 'schema validation');
  t.match(load(serializeXml(deepest(XML_LIMITS.depth + 1)), 'over'), { ok: false, codes: ['XML_TOO_DEEP'] }, 'one more is refused');
  t.match(serializeXml(cib), `<x id="x${XML_LIMITS.depth}" __proto__="kept"/>`, '__proto__ kept at every level');
});

t.test('the element limit', async (t) => {
  const doc = (n: number) => `<cib>${'<x/>'.repeat(n - 1)}</cib>`;
  const codes = (f: () => unknown) => { try { f(); return ['ok']; } catch (e) { return (e as BerthError).problems.map((p) => p.code); } };
  t.same(codes(() => parseXml(doc(1000), 'n', { limits: { elements: 1000 } })), ['ok'], 'at the limit');
  t.same(codes(() => parseXml(doc(1001), 'n', { limits: { elements: 1000 } })), ['XML_TOO_MANY_ELEMENTS'], 'one more');
  const t0 = cpuMs();
  t.same(codes(() => parseXml(doc(XML_LIMITS.elements + 1), 'n')), ['XML_TOO_MANY_ELEMENTS'], `the default limit, ${XML_LIMITS.elements}`);
  t.ok(cpuMs() - t0 < 5 * CASE_MS, 'refused in linear time');
});
