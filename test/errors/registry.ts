// Every problem code is documented in docs/errors.md, and every code the source uses is registered.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROBLEM_CODES } from '../../src/errors/registry';

const root = path.join(__dirname, '..', '..');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? sources(path.join(dir, d.name)) : d.name.endsWith('.ts') ? [path.join(dir, d.name)] : []));
}

t.test('every registered code is documented', async (t) => {
  const doc = fs.readFileSync(path.join(root, 'docs', 'errors.md'), 'utf8');
  for (const code of Object.keys(PROBLEM_CODES)) t.match(doc, `| \`${code}\` |`, `${code} documented`);
});

t.test('every code used in src/ is registered', async (t) => {
  const used = new Set<string>();
  for (const f of sources(path.join(root, 'src'))) {
    for (const m of fs.readFileSync(f, 'utf8').matchAll(/(?:problem|warning)\('([A-Z0-9_]+)'/g)) used.add(m[1]);
    for (const m of fs.readFileSync(f, 'utf8').matchAll(/code: '([A-Z0-9_]+)'/g)) used.add(m[1]);
  }
  for (const c of used) t.ok(c in PROBLEM_CODES, `${c} is registered`);
});
