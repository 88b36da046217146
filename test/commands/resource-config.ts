// `berth resource config` against the real pcs: every case recorded by
// scripts/config-fixtures.mjs (pcs 0.11.5, see test/fixtures/resource-config/README.md)
// is run through berth's CLI on the same CIB, and on every other CIB with the same <resources>.
// Text and commands must be pcs's bytes; JSON must be pcs's data (and, as berth writes it the way
// Python's json.dumps does, its bytes too). Where berth differs on purpose, DELIBERATE says how
// and why, and both sides of the difference are asserted.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RecordedCase, checkRecordedSet, fixtures, recordedCases, runBerth as run } from '../helpers/config-goldens';

const recorded = recordedCases('resource');
const dir = recorded.dir;

/**
 * Cases where berth deliberately differs from pcs, by case name (every format):
 * - 'refuses': pcs warns about an id it cannot find and prints the rest; berth refuses the whole
 *   command (exit 1, nothing printed) and names the id;
 * - 'replaces': berth prints pcs's output with the text `pcs` replaced by `instead` (text and cmd),
 *   or pcs's JSON with the value at `jsonPath` replaced by `jsonValue`.
 */
type Deliberate =
  | { berth: 'refuses'; code: string; value: string; why: string }
  | { berth: 'replaces'; pcs: string; instead: string; jsonPath: (string | number)[]; jsonValue: unknown; why: string };
const ADD_HOST_WHY = "pcs reads add-host with Python's bool(), so add-host=\"false\" shows as 1 (true); berth reads it as Pacemaker does";
const DELIBERATE: Record<string, Deliberate> = {
  'select-found-and-missing': { berth: 'refuses', code: 'ID_NOT_FOUND', value: 'nope', why: 'an unknown id is bad input: berth fails instead of warning and printing the others' },
  'pcs--007-bundle-create-network-add-host-forced--expected': { berth: 'replaces', pcs: 'add-host=1', instead: 'add-host=0', jsonPath: ['bundles', 0, 'network', 'add_host'], jsonValue: false, why: ADD_HOST_WHY },
  'resource-config--inputs--bundle': { berth: 'replaces', pcs: 'add-host=1', instead: 'add-host=0', jsonPath: ['bundles', 0, 'network', 'add_host'], jsonValue: false, why: ADD_HOST_WHY },
};

/** berth's argv for a recorded case: the value flag as `--output-format=X` (see the flag cases below for the other spelling). */
const berthArgv = (file: string, c: RecordedCase) => ['-f', file, 'resource', 'config', ...(c.format === 'text' ? [] : [`--output-format=${c.format}`]), ...c.ids];

function setAt(v: unknown, at: (string | number)[], value: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(v));
  let o = copy;
  for (const k of at.slice(0, -1)) o = o[k];
  o[at[at.length - 1]] = value;
  return copy;
}

t.test('the recorded set covers every pcs-made CIB in test/fixtures', async (t) => checkRecordedSet(t, recorded, DELIBERATE, ['text', 'cmd', 'json'], 140));

for (const c of recorded.cases) {
  t.test(`${c.name} ${c.format}`, async (t) => {
    const golden = fs.readFileSync(path.join(dir, c.golden), 'utf8');
    const deliberate = DELIBERATE[c.name];
    for (const cib of [c.cib, ...(c.same ?? [])]) {
      const tmp = t.testdir({ 'cib.xml': fs.readFileSync(path.join(fixtures, cib)) });
      const r = await run(berthArgv(path.join(tmp, 'cib.xml'), c));
      const where = `${cib}: berth ${berthArgv('CIB', c).join(' ')}\npcs stderr: ${c.stderr}\nberth stderr: ${r.err}`;
      if (deliberate?.berth === 'refuses') {
        t.equal(c.exit, 0, `pcs succeeds: ${c.stderr}`);
        t.match(c.stderr, `Unable to find resource '${deliberate.value}'`, 'pcs warns about the id');
        t.equal(r.code, 1, `berth refuses (${deliberate.why})\n${where}`);
        t.equal(r.out, '', 'berth prints nothing');
        t.match(r.err, `'${deliberate.value}'`, 'berth names the id');
        t.match(r.err, deliberate.code, 'berth gives the code');
        continue;
      }
      if (c.exit !== 0) {
        t.not(r.code, 0, `fails like pcs\n${where}`);
        t.equal(r.out, '', 'nothing printed');
        continue;
      }
      t.equal(r.code, 0, `succeeds like pcs\n${where}`);
      if (deliberate?.berth === 'replaces') {
        if (c.format === 'json') {
          const pcs = JSON.parse(golden);
          t.not(JSON.stringify(setAt(pcs, deliberate.jsonPath, deliberate.jsonValue)), JSON.stringify(pcs), `pcs's JSON differs there (${deliberate.why})`);
          t.strictSame(JSON.parse(r.out), setAt(pcs, deliberate.jsonPath, deliberate.jsonValue), `pcs's data but for the deliberate difference\n${where}`);
        } else {
          t.ok(golden.includes(deliberate.pcs), `pcs prints ${deliberate.pcs} (${deliberate.why})`);
          t.equal(r.out, golden.replace(deliberate.pcs, deliberate.instead), `pcs's bytes but for the deliberate difference\n${where}`);
        }
        continue;
      }
      if (c.format === 'json') {
        t.strictSame(JSON.parse(r.out), JSON.parse(golden), `pcs's data\n${where}`);
        t.equal(r.out, golden, `pcs's bytes (json.dumps)\n${where}`);
      } else {
        t.equal(r.out, golden, `pcs's bytes\n${where}`);
      }
    }
  });
}

// ---- the command line: --output-format's two spellings, bad values, and berth's own --json ----

const goldenOf = (name: string, format: string) => {
  const c = recorded.cases.find((x) => x.name === name && x.format === format);
  if (!c) throw new Error(`no recorded case ${name} ${format}`);
  return fs.readFileSync(path.join(dir, c.golden), 'utf8');
};

/** The recorded case of pcs/inputs/rich.xml without ids (recorded under the first CIB with its <resources>). */
const RICH = recorded.cases.find((c) => !c.ids.length && [c.cib, ...(c.same ?? [])].includes('pcs/inputs/rich.xml'))?.name ?? 'rich.xml is not recorded';

interface FlagCase {
  argv: string[];
  exit: number;
  /** the golden stdout (case name, format), or a code and value berth names on stderr */
  out?: [string, string];
  problem?: { code: string; value?: string; allowed?: string };
}
const FLAG_CASES: Record<string, FlagCase> = {
  'value as the next word (before the ids)': { argv: ['--output-format', 'cmd', 'httpd-bundle', 'web-group', 'vip', 'ping-clone', 'web-svc'], exit: 0, out: ['select-several-unsorted', 'cmd'] },
  'value as the next word, no ids': { argv: ['--output-format', 'json'], exit: 0, out: [RICH, 'json'] },
  'explicit text': { argv: ['--output-format=text'], exit: 0, out: [RICH, 'text'] },
  'unknown format': { argv: ['--output-format=xml'], exit: 1, problem: { code: 'OPTION_INVALID_VALUE', value: 'xml', allowed: 'text, cmd, json' } },
  'no value': { argv: ['--output-format'], exit: 2, problem: { code: 'USAGE' } },
  'with --json': { argv: ['--output-format=cmd', '--json'], exit: 1, problem: { code: 'OPTION_CONFLICT', value: 'cmd' } },
  'unknown id': { argv: ['nope'], exit: 1, problem: { code: 'ID_NOT_FOUND', value: 'nope' } },
};

t.test('--output-format on the command line', async (t) => {
  const rich = path.join(fixtures, 'pcs', 'inputs', 'rich.xml');
  for (const [name, c] of Object.entries(FLAG_CASES)) {
    const r = await run(['-f', rich, 'resource', 'config', ...c.argv]);
    const got: FlagCase = { argv: c.argv, exit: r.code };
    if (c.out) got.out = c.out;
    if (c.problem) {
      const j = await run(['-f', rich, '--json', 'resource', 'config', ...c.argv]);
      const p = (JSON.parse(j.err).problems as { code: string; value?: string; allowed?: string }[])[0];
      got.problem = { code: p.code, ...(c.problem.value !== undefined ? { value: p.value } : {}), ...(c.problem.allowed !== undefined ? { allowed: p.allowed } : {}) };
      t.equal(r.out, '', `${name}: nothing on stdout`);
    } else {
      t.equal(r.out, goldenOf(...c.out!), `${name}: pcs's output`);
    }
    t.strictSame(got, c, name);
  }
});

t.test("berth's own --json is kept: resources tagged by kind", async (t) => {
  const r = await run(['-f', path.join(fixtures, 'pcs', 'inputs', 'bundles.xml'), 'resource', 'config', '--json']);
  t.equal(r.code, 0);
  const got = JSON.parse(r.out) as { resources: { kind: string; id: string; resource?: { id: string } | null }[] };
  t.strictSame(got.resources.map((x) => [x.kind, x.id, x.resource?.id ?? null]), [['bundle', 'web', 'web-app'], ['bundle', 'db', null], ['bundle', 'bare', null], ['primitive', 'standalone', null]]);
});

t.test('the live CIB (a file store) gives the same output as -f', async (t) => {
  const store = `file://${t.testdir({})}`;
  t.equal((await run(['cluster', 'cib-push', path.join(fixtures, 'pcs', 'inputs', 'bundles.xml'), '--store', store])).code, 0, 'pushed');
  for (const format of ['text', 'cmd', 'json']) {
    const r = await run(['resource', 'config', `--output-format=${format}`, 'web', '--store', store]);
    t.equal(r.code, 0, `${format}: ${r.err}`);
    t.equal(r.out, goldenOf('select-bundle-with-primitive', format), `${format}: pcs's output`);
  }
});
