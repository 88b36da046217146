// How problems look to people (one line each, pcs style) and to scripts (--json).
import { Problem } from '../errors/registry';
import { Io } from './invocation';
import type { EditResult } from '../commands/edit';

export function renderProblems(problems: Problem[], io: Io, json: boolean): void {
  if (json) {
    io.err(JSON.stringify({ problems }, null, 2) + '\n');
    return;
  }
  for (const p of problems) {
    const force = p.forceable && p.severity === 'error' ? ', use --force to override' : '';
    const where = p.path && !p.message.includes(p.path) ? ` [${p.code} at ${p.path}]` : ` [${p.code}]`;
    io.err(`${p.severity === 'error' ? 'Error' : 'Warning'}: ${p.message}${force}${where}\n`);
  }
}


/** What an edit did, for people: pcs-style notes, then warnings (both on stderr). */
export function reportEdit(result: EditResult, io: Io): void {
  for (const n of result.notes ?? []) io.err(n + '\n');
  if (result.warnings.length) renderProblems(result.warnings, io, false);
}
