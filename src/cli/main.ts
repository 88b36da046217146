// berth's command line: argv checked against the command tree (command-tree.ts, argv.ts), the
// command run, problems rendered, exit codes. Start-up is kept lean: command modules are required
// only when their command runs.
import { closeOpenPools } from '../inner/open-pools';
import { BerthError } from '../errors/registry';
import type { Io } from './invocation';
import { parseArgv } from './argv';
import { walk } from './command-tree';
import { paintHelp, renderProblems } from './render';
import { lazy } from './lazy';

/** A flag anywhere before `--`, read before parsing: errors of a command line that cannot be
 * parsed are still data with --json, and painted as asked. */
function given(argv: readonly string[], flag: string): boolean {
  const end = argv.indexOf('--');
  return (end >= 0 ? argv.slice(0, end) : argv).includes(flag);
}

/** Colour: --color / --no-color, else not with NO_COLOR or TERM=dumb, else on a terminal. */
function wantsColor(argv: readonly string[], io: Io): boolean {
  if (given(argv, '--no-color')) return false;
  if (given(argv, '--color')) return true;
  if (process.env.NO_COLOR || process.env.TERM === 'dumb') return false;
  return !!io.isTTY && (io.outTTY ?? true);
}

export async function main(argv: string[], io: Io): Promise<number> {
  let json = given(argv, '--json');
  let words: string[] = [];
  let color: boolean | undefined;
  Object.defineProperty(io, 'color', { get: () => (color ??= wantsColor(argv, io)), configurable: true });
  try {
    const parsed = parseArgv(argv);
    const { node, path, flags } = parsed;
    words = path;
    json = flags.json;
    if (flags.version) {
      io.out(lazy.packageJson().version + '\n');
      return 0;
    }
    if (flags.help || !node.run) {
      io.out(paintHelp(lazy.cliHelp().helpFor(path), io));
      return 0;
    }
    return await node.run()({ args: parsed.args, flags, io });
  } catch (e) {
    if (e instanceof BerthError) {
      renderProblems(e.problems, io, json);
      const isUsage = e.problems.some((p) => p.code === 'USAGE');
      if (isUsage && !json) {
        const path = words.length ? words : walk(argv.filter((a) => !a.startsWith('-'))).path;
        const help = lazy.cliHelp();
        io.err(path.length ? `\n${help.usageOf(path)}Run 'berth ${path.join(' ')} --help' for more.\n` : `Run 'berth --help' for the list of commands.\n`);
      }
      return isUsage ? 2 : 1;
    }
    io.err(`Error: internal error: ${(e as Error).stack ?? e}\n`);
    return 70;
  }
}

/** Run as the `berth` program: process argv in, exit code out. isTTY is asked only when needed:
 * touching process.stdout builds the stream, milliseconds at every start-up even if unused. */
export function cli(): void {
  const io: Io = {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    get isTTY() { return !!process.stderr.isTTY; },
    get outTTY() { return !!process.stdout.isTTY; },
  };
  main(process.argv.slice(2), io).then(
    (code) => { process.exitCode = code; closeOpenPools(); },
    (e) => { process.stderr.write(`Error: internal error: ${e}\n`); process.exitCode = 70; closeOpenPools(); },
  );
}

if (require.main === module) cli();
