// berth's command line: parse global flags, find the command, run it, render problems.
// Start-up is kept lean: command modules are required only when their command runs.
import { BerthError } from '../errors/registry';
import { Command, Flags, Io } from './invocation';
import { HELP, helpFor } from './help';
import { renderProblems } from './render';
import { lazy } from './lazy';

/** Flags that take a value as the next word (`-f FILE`, `-o OUT`, `--to json`). */
const VALUE_FLAGS = new Set(['f', 'o', 'output', 'to', 'format', 'store', 'source', 'interval', 'node', 'listen', 'authkey', 'timeout', 'agent', 'name', 'cib', 'state-dir', 'stop-timeout', 'group', 'ref', 'path', 'cache-dir', 'controller', 'advertise', 'fence-command', 'leader-ttl']);
const SHORT: Record<string, string> = { h: 'help', o: 'o', f: 'file' };

export function parseArgv(argv: string[]): { words: string[]; flags: Flags } {
  const flags: Flags = { force: false, json: false, help: false };
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    // Scores like -INFINITY or -100 are words, as pcs treats them.
    if (a === '--') { words.push(...argv.slice(i + 1)); break; }
    if (a.length > 1 && a[0] === '-' && !/^-(INFINITY|inf|\d+)$/i.test(a)) {
      const long = a.startsWith('--');
      const body = a.slice(long ? 2 : 1);
      const eq = body.indexOf('=');
      let name = eq >= 0 ? body.slice(0, eq) : body;
      if (!long) name = SHORT[name] ?? name;
      if (eq >= 0) {
        flags[name] = body.slice(eq + 1);
      } else if (VALUE_FLAGS.has(name) || name === 'file') {
        const v = argv[i + 1];
        if (v === undefined) throw new BerthError([{ code: 'USAGE', severity: 'error', path: a, message: `${a} needs a value` }]);
        flags[name] = v;
        i++;
      } else {
        flags[name] = true;
      }
      continue;
    }
    words.push(a);
  }
  if (typeof flags.file === 'string') flags.file = flags.file;
  return { words, flags };
}

interface Route {
  path: string[];
  load: () => Command;
  /** help text kept with the command's own module */
  help?: () => string;
}

const routes: Route[] = [
  { path: ['resource', 'bundle', 'create'], load: () => lazy.cliEditCommands().bundleCreateCmd },
  { path: ['resource', 'bundle', 'update'], load: () => lazy.cliEditCommands().bundleUpdateCmd },
  { path: ['resource', 'bundle', 'reset'], load: () => lazy.cliEditCommands().bundleResetCmd },
  { path: ['resource', 'create'], load: () => lazy.cliEditCommands().resourceCreateCmd },
  { path: ['resource', 'delete'], load: () => lazy.cliEditCommands().resourceDeleteCmd },
  { path: ['resource', 'remove'], load: () => lazy.cliEditCommands().resourceDeleteCmd },
  { path: ['resource', 'enable'], load: () => lazy.cliEditCommands().resourceEnableCmd },
  { path: ['resource', 'disable'], load: () => lazy.cliEditCommands().resourceDisableCmd },
  { path: ['resource', 'config'], load: () => lazy.cliEditCommands().resourceConfigCmd },
  { path: ['resource', 'ban'], load: () => lazy.cliResourceOpsCommands().resourceBanCmd, help: () => lazy.cliResourceOpsCommands().resourceBanHelp },
  { path: ['resource', 'move'], load: () => lazy.cliResourceOpsCommands().resourceMoveCmd, help: () => lazy.cliResourceOpsCommands().resourceMoveHelp },
  { path: ['resource', 'move-with-constraint'], load: () => lazy.cliResourceOpsCommands().resourceMoveWithConstraintCmd, help: () => lazy.cliResourceOpsCommands().resourceMoveWithConstraintHelp },
  { path: ['resource', 'clear'], load: () => lazy.cliResourceOpsCommands().resourceClearCmd, help: () => lazy.cliResourceOpsCommands().resourceClearHelp },
  { path: ['resource', 'cleanup'], load: () => lazy.cliResourceOpsCommands().resourceCleanupCmd, help: () => lazy.cliResourceOpsCommands().resourceCleanupHelp },
  { path: ['resource', 'failcount', 'show'], load: () => lazy.cliResourceOpsCommands().resourceFailcountShowCmd, help: () => lazy.cliResourceOpsCommands().resourceFailcountShowHelp },
  { path: ['resource', 'restart'], load: () => lazy.cliResourceOpsCommands().resourceRestartCmd, help: () => lazy.cliResourceOpsCommands().resourceRestartHelp },
  { path: ['resource', 'defaults'], load: () => lazy.cliEditCommands().defaultsCmd },
  { path: ['resource', 'defaults', 'config'], load: () => lazy.cliEditCommands().defaultsConfigCmd },
  { path: ['resource', 'defaults', 'update'], load: () => lazy.cliEditCommands().defaultsUpdateCmd },
  { path: ['property', 'set'], load: () => lazy.cliEditCommands().propertySetCmd },
  { path: ['property', 'unset'], load: () => lazy.cliEditCommands().propertyUnsetCmd },
  { path: ['property', 'config'], load: () => lazy.cliEditCommands().propertyConfigCmd },
  { path: ['constraint', 'location'], load: () => lazy.cliEditCommands().constraintLocationCmd },
  { path: ['constraint', 'colocation', 'add'], load: () => lazy.cliEditCommands().constraintColocationCmd },
  { path: ['constraint', 'order'], load: () => lazy.cliEditCommands().constraintOrderCmd },
  { path: ['constraint', 'delete'], load: () => lazy.cliEditCommands().constraintDeleteCmd },
  { path: ['constraint', 'remove'], load: () => lazy.cliEditCommands().constraintDeleteCmd },
  { path: ['constraint', 'config'], load: () => lazy.cliEditCommands().constraintConfigCmd },
  { path: ['cluster', 'cib'], load: () => lazy.cliClusterCommands().clusterCibCmd, help: () => lazy.cliClusterCommands().clusterCibHelp },
  { path: ['cluster', 'cib-push'], load: () => lazy.cliClusterCommands().clusterCibPushCmd, help: () => lazy.cliClusterCommands().clusterCibPushHelp },
  { path: ['node', 'standby'], load: () => lazy.cliEditCommands().nodeStandbyCmd },
  { path: ['node', 'unstandby'], load: () => lazy.cliEditCommands().nodeUnstandbyCmd },
  { path: ['node', 'add'], load: () => lazy.cliEditCommands().nodeAddCmd },
  { path: ['node', 'remove'], load: () => lazy.cliEditCommands().nodeRemoveCmd },
  { path: ['gitops'], load: () => lazy.cliGitopsCommands().gitopsUsageCmd, help: () => lazy.cliGitopsCommands().gitopsHelp },
  { path: ['gitops', 'run'], load: () => lazy.cliGitopsCommands().gitopsRunCmd, help: () => lazy.cliGitopsCommands().gitopsRunHelp },
  { path: ['gitops', 'status'], load: () => lazy.cliGitopsCommands().gitopsStatusCmd, help: () => lazy.cliGitopsCommands().gitopsStatusHelp },
  { path: ['gitops', 'diff'], load: () => lazy.cliGitopsCommands().gitopsDiffCmd, help: () => lazy.cliGitopsCommands().gitopsDiffHelp },
  { path: ['gitops', 'suspend'], load: () => lazy.cliGitopsCommands().gitopsSuspendCmd, help: () => lazy.cliGitopsCommands().gitopsSuspendHelp },
  { path: ['gitops', 'resume'], load: () => lazy.cliGitopsCommands().gitopsResumeCmd, help: () => lazy.cliGitopsCommands().gitopsResumeHelp },
  { path: ['plan'], load: () => lazy.cliRuntimeCommands().planCmd, help: () => lazy.cliRuntimeCommands().planHelp },
  { path: ['apply'], load: () => lazy.cliRuntimeCommands().applyCmd, help: () => lazy.cliRuntimeCommands().applyHelp },
  { path: ['status'], load: () => lazy.cliRuntimeCommands().statusCmd, help: () => lazy.cliRuntimeCommands().statusHelp },
  {
    path: ['controller'],
    // With --listen it controls a cluster of agents; without, this node's engine alone.
    load: () => (inv) => (inv.flags.listen !== undefined ? lazy.cliClusterRuntimeCommands().clusterControllerCmd(inv) : lazy.cliRuntimeCommands().controllerCmd(inv)),
    help: () => `${lazy.cliRuntimeCommands().controllerHelp}\n${lazy.cliClusterRuntimeCommands().clusterControllerHelp}`,
  },
  // Internal: the heartbeat process that `berth controller --listen` forks (not in the help).
  { path: ['controller-heartbeats'], load: () => () => lazy.clusterHeartbeatService().runHeartbeatProcess() },
  { path: ['agent'], load: () => lazy.cliClusterRuntimeCommands().agentCmd, help: () => lazy.cliClusterRuntimeCommands().agentHelp },
  { path: ['cluster', 'status'], load: () => lazy.cliClusterRuntimeCommands().clusterStatusCmd, help: () => lazy.cliClusterRuntimeCommands().clusterStatusHelp },
  { path: ['authkey', 'generate'], load: () => lazy.cliAuthkeyCommands().authkeyGenerateCmd, help: () => lazy.cliAuthkeyCommands().authkeyGenerateHelp },
  { path: ['cib', 'validate'], load: () => lazy.cliCibCommands().validateCmd },
  { path: ['cib', 'convert'], load: () => lazy.cliCibCommands().convertCmd },
  { path: ['cib', 'diff'], load: () => lazy.cliCibDiffCommands().runDiff, help: () => lazy.cliCibDiffCommands().diffHelp },
  { path: ['cib', 'patch'], load: () => lazy.cliCibDiffCommands().runPatch, help: () => lazy.cliCibDiffCommands().patchHelp },
];

export function findRoute(words: string[]): { route: Route; rest: string[] } | undefined {
  let best: Route | undefined;
  for (const r of routes) {
    if (r.path.length <= words.length && r.path.every((p, i) => words[i] === p) && (!best || r.path.length > best.path.length)) best = r;
  }
  return best && { route: best, rest: words.slice(best.path.length) };
}

export async function main(argv: string[], io: Io): Promise<number> {
  let flags: Flags = { force: false, json: false, help: false };
  try {
    const parsed = parseArgv(argv);
    flags = parsed.flags;
    const { words } = parsed;
    if (flags.version) {
      io.out(lazy.packageJson().version + '\n');
      return 0;
    }
    if (words.length === 0 || words[0] === 'help') {
      const topic = words.slice(1);
      io.out((topic.length ? helpFor(topic) : undefined) ?? HELP);
      return 0;
    }
    const found = findRoute(words);
    if (flags.help) {
      const text = found?.route.help?.() ?? helpFor(found ? found.route.path : words);
      io.out(text ?? HELP);
      return text || !found ? (text ? 0 : 2) : 0;
    }
    if (!found) {
      const text = helpFor(words);
      io.err(`Error: unknown command 'berth ${words.join(' ')}'\n${text ? '\n' + text : "Run 'berth --help' for the list of commands.\n"}`);
      return 2;
    }
    return await found.route.load()({ args: found.rest, flags, io });
  } catch (e) {
    if (e instanceof BerthError) {
      renderProblems(e.problems, io, flags.json);
      if (!flags.json && e.problems.some((p) => p.code === 'USAGE')) {
        const f = findRoute(parseArgvSafe(argv));
        const text = f && (f.route.help?.() ?? helpFor(f.route.path));
        if (text) io.err('\n' + text);
      }
      return e.problems.some((p) => p.code === 'USAGE') ? 2 : 1;
    }
    io.err(`Error: internal error: ${(e as Error).stack ?? e}\n`);
    return 70;
  }
}

function parseArgvSafe(argv: string[]): string[] {
  try { return parseArgv(argv).words; } catch { return []; }
}

/** Run as the `berth` program: process argv in, exit code out. */
export function cli(): void {
  const io: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };
  main(process.argv.slice(2), io).then(
    (code) => { process.exitCode = code; },
    (e) => { process.stderr.write(`Error: internal error: ${e}\n`); process.exitCode = 70; },
  );
}

if (require.main === module) cli();
