// The shape of every command that changes a CIB. The CLI (or the store, for the live CIB) does
// load -> lock -> edit -> bump epoch -> write; an edit only changes the tree it is given and
// returns its warnings, or throws BerthError with every problem. It never does I/O on the CIB.
import type { Cib } from '../cib/cib';
import type { Problem } from '../errors/registry';
import type { Flags, Io } from '../cli/invocation';

export interface EditContext {
  cib: Cib;
  /** words after the command name, e.g. for `resource bundle create B ...`: ['B', ...] */
  args: string[];
  flags: Flags;
}

export interface EditResult {
  warnings: Problem[];
  /** false when the command found nothing to change (the file is then not rewritten) */
  changed?: boolean;
  /** what was done, for people (pcs prints e.g. "Deleting Resource - r" on stderr) */
  notes?: string[];
}

export type EditCommand = (ctx: EditContext) => EditResult;

/** A command that only reads the CIB (config, validate, ...). Returns the exit code. */
export type ReadCommand = (ctx: EditContext & { io: Io }) => number;
