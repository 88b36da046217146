// What scripts/config-fixtures.mjs recorded with the real pcs for its config commands (see
// test/fixtures/resource-config/README.md), and the CIBs it must have recorded them on.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Test } from 'tap';
import { main } from '../../src/cli/main';

export const fixtures = path.join(__dirname, '..', 'fixtures');

export interface RecordedCase {
  name: string;
  /** the CIB, a path under test/fixtures */
  cib: string;
  /** pcs's argv after `pcs -f FILE` */
  argv: string[];
  ids: string[];
  format: string;
  exit: number;
  stderr: string;
  /** pcs's stdout, a path under the command's fixture folder */
  golden: string;
  /** the other CIBs with the same section: pcs prints the same on them */
  same?: string[];
}

export function recordedCases(command: 'resource' | 'constraint'): { dir: string; tool: string; cases: RecordedCase[] } {
  const dir = path.join(fixtures, `${command}-config`);
  const recorded = JSON.parse(fs.readFileSync(path.join(dir, 'cases.json'), 'utf8')) as { tool: string; cases: RecordedCase[] };
  return { dir, ...recorded };
}

/** Every CIB made by pcs under test/fixtures (the folders the script reads), relative to it. */
export function pcsMadeCibs(): string[] {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.xml') && /^\s*(<\?xml[^>]*\?>\s*)?<cib[\s>]/.test(fs.readFileSync(p, 'utf8'))) files.push(path.relative(fixtures, p));
    }
  };
  for (const s of ['pcs', 'resource-create', 'property-constraint', 'crm_simulate', 'resource-config/inputs', 'constraint-config/inputs']) walk(path.join(fixtures, s));
  return files;
}

/** berth's CLI in this process: exit code, stdout, stderr. */
export async function runBerth(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => { out += s; }, err: (s) => { err += s; } });
  return { code, out, err };
}

/**
 * The recorded set is whole: made by the pinned tools, a case for every pcs-made CIB, every
 * deliberate difference naming a case, and more than `atLeast` cases in each output format.
 */
export function checkRecordedSet(t: Test, recorded: { tool: string; cases: RecordedCase[] }, deliberate: Record<string, unknown>, formats: readonly string[], atLeast: number): void {
  t.match(recorded.tool, /^pcs 0\.11\.5 \/ Pacemaker 2\.1\.5/);
  const covered = new Set(recorded.cases.flatMap((c) => [c.cib, ...(c.same ?? [])]));
  const files = pcsMadeCibs();
  t.ok(files.length > 500, `${files.length} CIBs`);
  t.strictSame(files.filter((f) => !covered.has(f)), [], 'no CIB without a recorded case (re-run scripts/config-fixtures.mjs)');
  const names = new Set(recorded.cases.map((c) => c.name));
  t.strictSame(Object.keys(deliberate).filter((n) => !names.has(n)), [], 'every deliberate difference names a case');
  for (const f of formats) t.ok(recorded.cases.filter((c) => c.format === f).length > atLeast, `cases in ${f}`);
}
