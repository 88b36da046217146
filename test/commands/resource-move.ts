// resource ban / move-with-constraint / clear against the real pcs 0.11.5 (recorded by
// test/fixtures/resource-move/gen.mjs). Each recorded case runs through berth's library commands
// with pcs's clock: the CIB must be pcs's, a lifetime's end between berth's at the step's start and
// at its end; a refused case must leave the CIB as it was, with the codes in the table.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { Cib, parseCib } from '../../src/cib/cib';
import { XmlElement, canonical, walk } from '../../src/cib/xml';
import { BerthError, Problem, ProblemCode } from '../../src/errors/registry';
import type { EditCommand, EditFlags } from '../../src/commands/edit';
import { addDuration, formatCrmTime, parseDuration, parseMoveBanWords, resourceBanAt, resourceClearAt, resourceMoveChecks, resourceMoveWithConstraintAt } from '../../src/commands/resource-move';

const FIXTURES = path.join(__dirname, '../fixtures/resource-move');
interface Step { argv: string[]; exit: number; stdout: string; stderr: string; startedAt: number; finishedAt: number }
interface RecordedCase { name: string; input: string; expected: string; steps: Step[] }
const recorded: { tool: string; cases: RecordedCase[] } = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'cases.json'), 'utf8'));
const load = (rel: string): Cib => parseCib(fs.readFileSync(path.join(FIXTURES, rel), 'utf8'), rel);

/** What berth does with a case: no `errors` means it succeeds with pcs's CIB. */
interface Expectation {
  errors?: { code: ProblemCode; value?: string }[];
  warnings?: ProblemCode[];
}
const inner: Expectation = { warnings: ['NOT_HONOURED'] };
const CASES: Record<string, Expectation> = {
  'ban-bundle': {},
  'ban-bundle-lifetime': {},
  'ban-lifetime-first': {},
  'ban-lifetime-digit': inner,
  'ban-lifetime-weeks': {},
  'ban-lifetime-calendar': {},
  'ban-lifetime-hours-before-t': {},
  'ban-lifetime-empty': {},
  'ban-inner': inner,
  'ban-primitive': inner,
  'ban-group-member': inner,
  'ban-clone': inner,
  'ban-promoted': inner,
  'ban-again': {},
  'ban-again-lifetime': {},
  'ban-then-promoted': inner,
  'ban-two-nodes': {},
  'ban-plain-then-lifetime': { errors: [{ code: 'CONSTRAINT_INVALID', value: 'cli-ban-B-on-n1' }] },
  'ban-lifetime-then-plain': { errors: [{ code: 'CONSTRAINT_INVALID', value: 'cli-ban-B-on-n1' }] },
  'ban-lifetime-invalid': { errors: [{ code: 'OPTION_INVALID_VALUE', value: 'abc' }] },
  'ban-lifetime-fraction': { errors: [{ code: 'OPTION_INVALID_VALUE', value: 'PT1.5H' }] },
  'ban-lifetime-lowercase': { errors: [{ code: 'OPTION_INVALID_VALUE', value: 'p1d' }] },
  'ban-lifetime-twice': { errors: [{ code: 'USAGE' }] },
  'ban-promoted-bundle': { errors: [{ code: 'ID_WRONG_KIND', value: 'B' }] },
  'ban-promoted-inner': { errors: [{ code: 'ID_WRONG_KIND', value: 'PR' }] },
  'ban-no-node': { errors: [{ code: 'USAGE' }] },
  'ban-unknown-node': { errors: [{ code: 'ID_NOT_FOUND', value: 'n9' }] },
  'ban-unknown-resource': { errors: [{ code: 'ID_NOT_FOUND', value: 'X' }] },
  'ban-too-many': { errors: [{ code: 'USAGE' }] },
  'ban-no-args': { errors: [{ code: 'USAGE' }] },
  'mwc-primitive': inner,
  'mwc-lifetime': inner,
  'mwc-inner': inner,
  'mwc-group-member': inner,
  'mwc-promotable': inner,
  'mwc-promotable-promoted': inner,
  'mwc-again-elsewhere': inner,
  'mwc-lifetime-then-plain': inner,
  'mwc-clears-ban-on-destination': inner,
  'mwc-bundle': { errors: [{ code: 'ID_WRONG_KIND', value: 'B' }] },
  'mwc-clone': { errors: [{ code: 'ID_WRONG_KIND', value: 'C' }] },
  'mwc-clone-member': { errors: [{ code: 'ID_WRONG_KIND', value: 'CR' }] },
  'mwc-promotable-inner': { errors: [{ code: 'ID_WRONG_KIND', value: 'PR' }] },
  'mwc-promoted-primitive': { errors: [{ code: 'ID_WRONG_KIND', value: 'R1' }] },
  'mwc-no-node': { errors: [{ code: 'USAGE' }] },
  'mwc-unknown-node': { errors: [{ code: 'ID_NOT_FOUND', value: 'n9' }] },
  // pcs refuses -f for `move`; the library checks refuse what berth cannot move (test/cli/resource-ops.ts: -f)
  'move-file': { errors: [{ code: 'ID_WRONG_KIND', value: 'R1' }] },
  'move-bundle-file': { errors: [{ code: 'ID_WRONG_KIND', value: 'B' }] },
  'clear-all': {},
  'clear-node': {},
  'clear-prefer-other-node': {},
  'clear-prefer-same-node': {},
  'clear-prefer-rule-node': {},
  'clear-prefer-rule-all': {},
  'clear-nothing': {},
  'clear-promoted': {},
  'clear-keeps-other-nodes-and-constraints': {},
  'clear-expired': {},
  'clear-expired-node': {},
  'clear-expired-promoted': {},
  'clear-expired-other': {},
  'clear-unknown-node': { errors: [{ code: 'ID_NOT_FOUND', value: 'n9' }] },
  'clear-promoted-bundle': { errors: [{ code: 'ID_WRONG_KIND', value: 'B' }] },
  'clear-unknown-resource': { errors: [{ code: 'ID_NOT_FOUND', value: 'X' }] },
  'clear-too-many': { errors: [{ code: 'USAGE' }] },
  'clear-no-args': { errors: [{ code: 'USAGE' }] },
};

/** pcs's argv (after -f FILE) to berth's library command at `now`. */
function route(argv: string[], now: number): { edit: EditCommand; args: string[]; flags: EditFlags } {
  const words = argv.filter((a) => !a.startsWith('--'));
  const flags: EditFlags = { force: false, file: 'cib.xml', promoted: argv.includes('--promoted'), expired: argv.includes('--expired') };
  const [, verb, ...args] = words;
  const edit: EditCommand | undefined = {
    ban: resourceBanAt(now),
    'move-with-constraint': resourceMoveWithConstraintAt(now),
    clear: resourceClearAt(now),
    move: (ctx: Parameters<EditCommand>[0]) => { resourceMoveChecks(ctx.cib, ctx.args, flags.promoted === true); return { warnings: [] }; },
  }[verb];
  if (!edit) throw new Error(`no route for ${argv.join(' ')}`);
  return { edit, args, flags };
}

// The inputs' lifetimes end in 2020 or 2999; the ones the commands write end near the recording.
const FIXED_ENDS = /^(2020|2999)-/;
const isNewEnd = (e: XmlElement) => e.tag === 'date_expression' && e.attrs.end !== undefined && !FIXED_ENDS.test(e.attrs.end);
const ends = (cib: Cib): string[] => {
  const out: string[] = [];
  walk(cib, (e: XmlElement) => { if (isNewEnd(e)) out.push(e.attrs.end); });
  return out;
};
/** The CIB without version counters, and the ends of new lifetimes (compared apart) blanked. */
function comparable(cib: Cib): string {
  const copy = structuredClone(cib);
  delete copy.attrs.epoch;
  delete copy.attrs.num_updates;
  walk(copy, (e: XmlElement) => { if (isNewEnd(e)) e.attrs.end = 'NOW+LIFETIME'; });
  return canonical(copy);
}

function runSteps(c: RecordedCase, at: 'startedAt' | 'finishedAt') {
  const cib = load(c.input);
  let before = comparable(cib);
  let problems: Problem[] = [];
  let ok = true;
  for (const s of c.steps) {
    before = comparable(cib);
    const r = route(s.argv, s[at]);
    try {
      problems = r.edit({ cib, args: r.args, flags: r.flags }).warnings;
    } catch (e) {
      if (!(e instanceof BerthError)) throw e;
      ok = false;
      problems = e.problems;
    }
  }
  return { cib, before, ok, problems };
}

t.equal(recorded.tool, 'pcs 0.11.5 / Pacemaker 2.1.5', 'the fixtures were made by pcs 0.11.5');
t.same(Object.keys(CASES).sort(), recorded.cases.map((c) => c.name).sort(), 'every recorded case has an expectation');

for (const c of recorded.cases) {
  const exp = CASES[c.name] ?? {};
  t.test(c.name, async (t) => {
    const early = runSteps(c, 'startedAt');
    const late = runSteps(c, 'finishedAt');
    const last = c.steps[c.steps.length - 1];
    const errors = early.problems.filter((p) => p.severity === 'error').map((p) => (p.code === 'USAGE' ? { code: p.code } : { code: p.code, value: p.value }));
    const outcome = {
      pcsFailed: last.exit !== 0,
      berthOk: early.ok,
      errors,
      warnings: early.problems.filter((p) => p.severity === 'warning').map((p) => p.code),
      cib: early.ok ? comparable(early.cib) === comparable(load(c.expected)) : comparable(early.cib) === early.before,
    };
    t.same(outcome, { pcsFailed: !!exp.errors, berthOk: !exp.errors, errors: exp.errors ?? [], warnings: exp.warnings ?? [], cib: true }, c.steps.map((s) => s.argv.join(' ')).join(' ; '));
    // pcs stamped each lifetime's end with its clock during the step: between berth's at its start and at its end
    const pcsEnds = ends(load(c.expected));
    t.equal(ends(early.cib).length, pcsEnds.length, 'as many lifetimes as pcs wrote');
    pcsEnds.forEach((end, i) => {
      t.ok(ends(early.cib)[i] <= end && end <= ends(late.cib)[i], `pcs's end ${end} within berth's [${ends(early.cib)[i]}, ${ends(late.cib)[i]}]`);
    });
  });
}

t.test('ISO 8601 durations as Pacemaker reads them', async (t) => {
  const now = Date.UTC(2024, 0, 31, 10, 0, 0, 400);
  const table: [string, string | undefined][] = [
    ['PT1H', '2024-01-31 11:00:00Z'],
    ['P1H', '2024-01-31 11:00:00Z'],
    ['PT90M', '2024-01-31 11:30:00Z'],
    ['P1M', '2024-02-29 10:00:00Z'],
    ['P1Y1M', '2025-02-28 10:00:00Z'],
    ['P2W1D', '2024-02-15 10:00:00Z'],
    ['P1DT', '2024-02-01 10:00:00Z'],
    ['PT', '2024-01-31 10:00:00Z'],
    ['PT1.5H', undefined],
    ['P-1D', undefined],
    ['p1d', undefined],
    ['1D', undefined],
    ['PXD', undefined],
  ];
  for (const [text, want] of table) {
    const d = parseDuration(text);
    t.equal(d ? formatCrmTime(addDuration(now, d)) : undefined, want, text);
  }
});

t.test("pcs's words for ban and move", async (t) => {
  t.same(parseMoveBanWords(['B', 'lifetime=1D', 'n1'], 'ban'), { resource: 'B', node: 'n1', lifetime: 'P1D' });
  t.same(parseMoveBanWords(['B', 'lifetime=', 'lifetime=PT1H'], 'ban'), { resource: 'B', lifetime: 'PT1H' }, 'an empty lifetime is none, as pcs reads it');
  t.throws(() => parseMoveBanWords(['B', 'n1', 'n2'], 'ban'), BerthError);
});
