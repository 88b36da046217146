// TermGuard (src/agent/term-guard.ts): older terms refused, newer ones recorded, and the newest
// survives a restart (a new guard on the same file).
import t from 'tap';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TermGuard } from '../../src/agent/term-guard';

t.test('a sequence of terms: lower refused, equal and higher accepted', async (t) => {
  const g = new TermGuard();
  const rows: [number, { ok: boolean; highest?: number }, number][] = [
    [0, { ok: true }, 0],
    [3, { ok: true }, 3],
    [3, { ok: true }, 3],
    [2, { ok: false, highest: 3 }, 3],
    [0, { ok: false, highest: 3 }, 3],
    [7, { ok: true }, 7],
    [6, { ok: false, highest: 7 }, 7],
  ];
  for (const [term, verdict, highest] of rows) {
    t.strictSame(g.check(term), verdict, `term ${term}`);
    t.equal(g.highest, highest);
  }
});

t.test('the highest term is kept in the file, atomically, across restarts', async (t) => {
  const dir = t.testdir({});
  const file = path.join(dir, 'state', 'term.json');
  const g = new TermGuard(file);
  t.equal(g.highest, 0);
  t.notOk(existsSync(file), 'nothing written before a term is seen');
  g.check(5);
  t.strictSame(JSON.parse(readFileSync(file, 'utf8')), { highest: 5 });
  g.check(4);
  t.strictSame(JSON.parse(readFileSync(file, 'utf8')), { highest: 5 }, 'a refused term is not written');
  const again = new TermGuard(file);
  t.equal(again.highest, 5);
  t.strictSame(again.check(4), { ok: false, highest: 5 }, 'a restarted agent still refuses the old term');
  t.strictSame(readdirSync(path.dirname(file)), ['term.json'], 'no temporary file left');
});

t.test('an unreadable term file refuses to start rather than forget', async (t) => {
  const dir = t.testdir({ 'garbage.json': 'not json', 'negative.json': '{"highest":-1}', 'string.json': '{"highest":"9"}' });
  for (const f of ['garbage.json', 'negative.json', 'string.json']) {
    t.throws(() => new TermGuard(path.join(dir, f)), { message: /not a term record/ }, f);
  }
  writeFileSync(path.join(dir, 'ok.json'), '{"highest": 12}\n');
  t.equal(new TermGuard(path.join(dir, 'ok.json')).highest, 12);
});
