// `berth constraint config` against the real pcs: every case recorded by
// scripts/config-fixtures.mjs (pcs 0.11.5, see test/fixtures/constraint-config/README.md) is run
// through berth's CLI on the same CIB, and on every other CIB with the same <constraints>, with
// pcs's flags (none, --full, --all, --full --all): berth must print pcs's bytes. Where berth differs
// on purpose, DELIBERATE says how and why, and both sides of the difference are asserted.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkRecordedSet, fixtures, recordedCases, runBerth } from '../helpers/config-goldens';

const recorded = recordedCases('constraint');
const golden = (file: string) => fs.readFileSync(path.join(recorded.dir, file), 'utf8');

/**
 * Cases where berth deliberately differs from pcs, by case name (every format):
 * - 'accepts': pcs stops with a Python traceback; berth prints the constraints (`shows` is in it);
 * - 'no-clock': pcs asks crm_rule whether a rule has expired, hides expired rules and labels them
 *   `(expired)` with --all; berth has no clock in a config command: it shows every rule, unlabelled,
 *   so it prints pcs's --all output without the labels.
 */
type Deliberate = { berth: 'accepts'; shows: string; why: string } | { berth: 'no-clock'; why: string };
const DELIBERATE: Record<string, Deliberate> = {
  'property-constraint--expected--l-prefers-plus': { berth: 'accepts', shows: 'Node: n2 (score:+INFINITY)', why: "pcs reads a location score with int(), which '+INFINITY' (a valid score) is not" },
  'constraint-config--inputs--expired': { berth: 'no-clock', why: 'whether a rule has expired depends on the date; berth shows every rule' },
};

const ALL: Record<string, string> = { text: 'all', all: 'all', full: 'full-all', 'full-all': 'full-all' };

t.test('the recorded set covers every pcs-made CIB in test/fixtures', async (t) => checkRecordedSet(t, recorded, DELIBERATE, Object.keys(ALL), 80));

for (const c of recorded.cases) {
  t.test(`${c.name} ${c.format}`, async (t) => {
    const pcs = golden(c.golden);
    const deliberate = DELIBERATE[c.name];
    for (const cib of [c.cib, ...(c.same ?? [])]) {
      const r = await runBerth(['-f', path.join(fixtures, cib), ...c.argv]);
      const where = `${cib}: berth ${c.argv.join(' ')}\npcs stderr: ${c.stderr}\nberth stderr: ${r.err}`;
      if (deliberate?.berth === 'accepts') {
        t.not(c.exit, 0, 'pcs fails');
        t.match(c.stderr, 'Traceback', `pcs crashes (${deliberate.why})`);
        t.equal(r.code, 0, `berth succeeds\n${where}`);
        t.match(r.out, deliberate.shows, 'berth shows the constraint');
        continue;
      }
      t.equal(c.exit, 0, 'pcs succeeds');
      t.equal(r.code, 0, `berth succeeds\n${where}`);
      if (deliberate?.berth === 'no-clock') {
        const all = recorded.cases.find((x) => x.name === c.name && x.format === ALL[c.format])!;
        const unlabelled = golden(all.golden).replaceAll(' (expired)', '');
        t.not(pcs, unlabelled, `pcs hides or labels the expired rule (${deliberate.why})`);
        t.equal(r.out, unlabelled, `berth shows every rule, unlabelled\n${where}`);
        continue;
      }
      t.equal(r.out, pcs, `pcs's bytes\n${where}`);
    }
  });
}
