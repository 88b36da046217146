// How problems look to people (one line each, pcs style) and to scripts (--json).
import { Problem } from '../errors/registry';
import { Io } from './invocation';
import type { EditResult } from '../commands/edit';

/** ANSI styles; `paint` is the identity unless the Io paints. */
const STYLE = { red: '31', yellow: '33', green: '32', bold: '1', dim: '2', cyan: '36' } as const;
export type Style = keyof typeof STYLE;
export const paint = (io: Io, style: Style, text: string): string => (io.color ? `\x1b[${STYLE[style]}m${text}\x1b[0m` : text);

export function renderProblems(problems: Problem[], io: Io, json: boolean): void {
  if (json) {
    io.err(JSON.stringify({ problems }, null, 2) + '\n');
    return;
  }
  for (const p of problems) {
    const force = p.forceable && p.severity === 'error' ? ', use --force to override' : '';
    const where = p.path && !p.message.includes(p.path) ? ` [${p.code} at ${p.path}]` : ` [${p.code}]`;
    const label = p.severity === 'error' ? paint(io, 'red', 'Error') : paint(io, 'yellow', 'Warning');
    io.err(`${label}: ${p.message}${force}${paint(io, 'dim', where)}\n`);
  }
}

/** Help with its headings (Usage:, Flags:, Commands:, ...) in bold. */
export function paintHelp(text: string, io: Io): string {
  return io.color ? text.replace(/^([A-Z][A-Za-z -]*:)(?=\s|$)/gm, (h) => paint(io, 'bold', h)) : text;
}

/** Replica and node states in colour: running green, failed red, stopped dim. */
export function paintStates(text: string, io: Io): string {
  if (!io.color) return text;
  return text.replace(/\b(running|Started|online|alive|healthy|in sync)\b|\b(FAILED|failed|exited|lost|unhealthy|refused|dead)\b|\b(Stopped|stopped|standby|suspect|created|pending)\b/g,
    (m, ok, bad) => paint(io, ok ? 'green' : bad ? 'red' : 'yellow', m));
}


/** What an edit did, for people: pcs-style notes, then warnings (both on stderr). */
export function reportEdit(result: EditResult, io: Io): void {
  for (const n of result.notes ?? []) io.err(n + '\n');
  if (result.warnings.length) renderProblems(result.warnings, io, false);
}
