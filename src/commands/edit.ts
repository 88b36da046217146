// The shape of every command that changes a CIB. The CLI (or the store, for the live CIB) does
// load -> lock -> edit -> bump epoch -> write; an edit only changes the tree it is given and
// returns its warnings, or throws BerthError with every problem. It never does I/O on the CIB.
// Commands take typed flags and pcs's words, never argv: the CLI makes an EditContext from its
// own invocation (src/cli/invocation.ts `editFlags`).
import type { Cib } from '../cib/cib';
import type { Problem } from '../errors/registry';

/** The flags library commands read. Each is as the command line gave it; absent is false. */
export interface EditFlags {
  /** --force: forceable errors become warnings */
  force: boolean;
  /** -f FILE: the CIB is this file, not the live one (some checks need the live cluster) */
  file?: string;
  /** --json: read commands print data */
  json?: boolean;
  /** --all: node standby|unstandby on every node; property config with defaults */
  all?: boolean;
  /** --defaults: property config shows the defaults */
  defaults?: boolean;
  /** --full: constraint config shows ids */
  full?: boolean;
  /** --disabled: resource create and bundle create|reset make the resource stopped */
  disabled?: boolean;
  /** --no-default-ops: resource create takes only monitor operations from the agent */
  noDefaultOps?: boolean;
  /** pcs's resource create flags berth refuses, when given: --group, --before, --after, --agent-validation */
  group?: boolean;
  before?: boolean;
  after?: boolean;
  agentValidation?: boolean;
  /** --promoted: resource ban / move-with-constraint / clear act on the Promoted role */
  promoted?: boolean;
  /** --expired: resource clear removes only constraints whose lifetime has ended */
  expired?: boolean;  /** --name NAME: node utilization prints only that value */
  name?: string;
}

export interface EditContext {
  cib: Cib;
  /** pcs's words after the command name, e.g. for `resource bundle create B ...`: ['B', ...] */
  args: string[];
  flags: EditFlags;
}

export interface EditResult {
  warnings: Problem[];
  /** false when the command found nothing to change (the file is then not rewritten) */
  changed?: boolean;
  /** what was done, for people (pcs prints e.g. "Deleting Resource - r" on stderr) */
  notes?: string[];
}

export type EditCommand = (ctx: EditContext) => EditResult;

/** A command that only reads the CIB (config, ...): the text for standard output. */
export type ReadCommand = (ctx: EditContext) => string;
