// What every command receives: its positional words, the parsed flags and where to print.
// Commands return an exit code and throw BerthError for problems; the CLI renders both.

import { BerthError, problem } from '../errors/registry';
import type { EditFlags } from '../commands/edit';

export interface Flags {
  /** -f FILE: work on this CIB file instead of the live CIB. */
  file?: string;
  force: boolean;
  json: boolean;
  help: boolean;
  /** every other --name / --name=value / -o VALUE flag, by name without dashes */
  [name: string]: string | string[] | boolean | undefined;
}

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** stderr is a terminal: progress may be redrawn in place there (absent: not a terminal) */
  isTTY?: boolean;
  /** stdout is a terminal (absent: taken as isTTY); colour needs both */
  outTTY?: boolean;
  /** paint with ANSI colours (decided once from --color/--no-color, NO_COLOR and the terminals) */
  color?: boolean;
}

export interface Invocation {
  args: string[];
  flags: Flags;
  io: Io;
}

export type Command = (inv: Invocation) => number | Promise<number>;

/** A flag given several times (FlagSpec.repeat), as the list of its values (comma lists split too). */
export function flagList(flags: Flags, name: string): string[] {
  const v = flags[name];
  const list = Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
  return list.flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean);
}

export function flagString(flags: Flags, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}

/** A flag given in any form (`--name`, `--name=`, `--name=VALUE`): pcs's resource create refusals. */
const given = (v: string | string[] | boolean | undefined): boolean => v !== undefined && v !== false;

/**
 * The typed flags of a library command. Each is read as the commands read the argv flags before
 * they were typed: `--all=x` counts as --all, only a bare `--disabled` as --disabled.
 */
export function editFlags(flags: Flags): EditFlags {
  return {
    force: !!flags.force,
    file: flags.file,
    json: !!flags.json,
    all: !!flags.all,
    defaults: !!flags.defaults,
    full: flags.full === true,
    disabled: flags.disabled === true,
    noDefaultOps: flags['no-default-ops'] === true,
    group: given(flags.group),
    before: given(flags.before),
    after: given(flags.after),
    agentValidation: given(flags['agent-validation']),
    ...(typeof flags.name === 'string' ? { name: flags.name } : {}),
  };
}

/**
 * The named value flags as strings, and no stray words. A value flag the argv parser did not know
 * as one arrives as `true` with its value among the words: take it from there.
 */
export function valueFlags(inv: Invocation, names: readonly string[]): Record<string, string | undefined> {
  const args = [...inv.args];
  const out: Record<string, string | undefined> = {};
  for (const k of Object.keys(inv.flags)) {
    if (!names.includes(k)) continue;
    const v = inv.flags[k];
    if (typeof v === 'string') out[k] = v;
    else if (v === true) {
      const next = args.shift();
      if (next === undefined) throw new BerthError([problem('USAGE', { path: `--${k}`, message: `--${k} needs a value` })]);
      out[k] = next;
    }
  }
  if (args.length) throw new BerthError([problem('USAGE', { value: args[0], message: `unexpected argument '${args[0]}'` })]);
  return out;
}

/** Run a daemon until it ends or SIGINT/SIGTERM asks it to stop (then `stop` is called once). */
export async function untilStopped(done: Promise<unknown>, stop: () => void): Promise<number> {
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await done;
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
  return 0;
}
