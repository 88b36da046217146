// What every command receives: its positional words, the parsed flags and where to print.
// Commands return an exit code and throw BerthError for problems; the CLI renders both.

export interface Flags {
  /** -f FILE: work on this CIB file instead of the live CIB. */
  file?: string;
  force: boolean;
  json: boolean;
  help: boolean;
  /** every other --name / --name=value / -o VALUE flag, by name without dashes */
  [name: string]: string | boolean | undefined;
}

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export interface Invocation {
  args: string[];
  flags: Flags;
  io: Io;
}

export type Command = (inv: Invocation) => number | Promise<number>;

export function flagString(flags: Flags, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}
