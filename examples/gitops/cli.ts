// berth with the `gitops` commands routed, for this example and bench/gitops.mjs until
// src/cli/main.ts routes them itself (then `bin/berth gitops ...` is the same thing).
import { main, parseArgv } from '../../src/cli/main';
import type { Command, Io } from '../../src/cli/invocation';
import { BerthError } from '../../src/errors/registry';
import { renderProblems } from '../../src/cli/render';
import * as g from '../../src/cli/gitops-commands';

const COMMANDS: Record<string, [Command, string]> = {
  run: [g.gitopsRunCmd, g.gitopsRunHelp],
  status: [g.gitopsStatusCmd, g.gitopsStatusHelp],
  diff: [g.gitopsDiffCmd, g.gitopsDiffHelp],
  suspend: [g.gitopsSuspendCmd, g.gitopsSuspendHelp],
  resume: [g.gitopsResumeCmd, g.gitopsResumeHelp],
};

export async function berthWithGitops(argv: string[], io: Io): Promise<number> {
  if (argv[0] !== 'gitops') return main(argv, io);
  let json = false;
  try {
    const { words, flags } = parseArgv(argv);
    json = flags.json;
    const found = COMMANDS[words[1] ?? ''];
    if (flags.help || !found) {
      (found ? io.out : io.err)(found ? found[1] : g.gitopsHelp);
      return found || words[1] === undefined ? 0 : 2;
    }
    return await found[0]({ args: words.slice(2), flags, io });
  } catch (e) {
    if (!(e instanceof BerthError)) {
      io.err(`Error: internal error: ${(e as Error).stack ?? e}\n`);
      return 70;
    }
    renderProblems(e.problems, io, json);
    return e.problems.some((p) => p.code === 'USAGE') ? 2 : 1;
  }
}

/** Run as a program: process argv in, exit code out (examples/gitops/berth.mjs calls this). */
export function cli(): void {
  const io: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };
  berthWithGitops(process.argv.slice(2), io).then(
    (code) => { process.exitCode = code; },
    (e) => { process.stderr.write(`Error: internal error: ${e}\n`); process.exitCode = 70; },
  );
}
