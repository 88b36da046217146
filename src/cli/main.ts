// berth's command line: parse global flags, find the command, run it, render problems.
// Start-up is kept lean: command modules are required only when their command runs.
import { BerthError } from '../errors/registry';
import { Command, Flags, Io } from './invocation';
import { HELP, helpFor } from './help';
import { renderProblems } from './render';

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
  { path: ['resource', 'bundle', 'create'], load: () => require('./edit-commands').bundleCreateCmd },
  { path: ['resource', 'bundle', 'update'], load: () => require('./edit-commands').bundleUpdateCmd },
  { path: ['resource', 'bundle', 'reset'], load: () => require('./edit-commands').bundleResetCmd },
  { path: ['resource', 'create'], load: () => require('./edit-commands').resourceCreateCmd },
  { path: ['resource', 'delete'], load: () => require('./edit-commands').resourceDeleteCmd },
  { path: ['resource', 'remove'], load: () => require('./edit-commands').resourceDeleteCmd },
  { path: ['resource', 'enable'], load: () => require('./edit-commands').resourceEnableCmd },
  { path: ['resource', 'disable'], load: () => require('./edit-commands').resourceDisableCmd },
  { path: ['resource', 'config'], load: () => require('./edit-commands').resourceConfigCmd },
  { path: ['resource', 'defaults'], load: () => require('./edit-commands').defaultsCmd },
  { path: ['resource', 'defaults', 'config'], load: () => require('./edit-commands').defaultsConfigCmd },
  { path: ['resource', 'defaults', 'update'], load: () => require('./edit-commands').defaultsUpdateCmd },
  { path: ['property', 'set'], load: () => require('./edit-commands').propertySetCmd },
  { path: ['property', 'unset'], load: () => require('./edit-commands').propertyUnsetCmd },
  { path: ['property', 'config'], load: () => require('./edit-commands').propertyConfigCmd },
  { path: ['constraint', 'location'], load: () => require('./edit-commands').constraintLocationCmd },
  { path: ['constraint', 'colocation', 'add'], load: () => require('./edit-commands').constraintColocationCmd },
  { path: ['constraint', 'order'], load: () => require('./edit-commands').constraintOrderCmd },
  { path: ['constraint', 'delete'], load: () => require('./edit-commands').constraintDeleteCmd },
  { path: ['constraint', 'remove'], load: () => require('./edit-commands').constraintDeleteCmd },
  { path: ['constraint', 'config'], load: () => require('./edit-commands').constraintConfigCmd },
  { path: ['cluster', 'cib'], load: () => require('./cluster-commands').clusterCibCmd, help: () => require('./cluster-commands').clusterCibHelp },
  { path: ['cluster', 'cib-push'], load: () => require('./cluster-commands').clusterCibPushCmd, help: () => require('./cluster-commands').clusterCibPushHelp },
  { path: ['node', 'standby'], load: () => require('./edit-commands').nodeStandbyCmd },
  { path: ['node', 'unstandby'], load: () => require('./edit-commands').nodeUnstandbyCmd },
  { path: ['node', 'add'], load: () => require('./edit-commands').nodeAddCmd },
  { path: ['node', 'remove'], load: () => require('./edit-commands').nodeRemoveCmd },
  { path: ['gitops'], load: () => require('./gitops-commands').gitopsUsageCmd, help: () => require('./gitops-commands').gitopsHelp },
  { path: ['gitops', 'run'], load: () => require('./gitops-commands').gitopsRunCmd, help: () => require('./gitops-commands').gitopsRunHelp },
  { path: ['gitops', 'status'], load: () => require('./gitops-commands').gitopsStatusCmd, help: () => require('./gitops-commands').gitopsStatusHelp },
  { path: ['gitops', 'diff'], load: () => require('./gitops-commands').gitopsDiffCmd, help: () => require('./gitops-commands').gitopsDiffHelp },
  { path: ['gitops', 'suspend'], load: () => require('./gitops-commands').gitopsSuspendCmd, help: () => require('./gitops-commands').gitopsSuspendHelp },
  { path: ['gitops', 'resume'], load: () => require('./gitops-commands').gitopsResumeCmd, help: () => require('./gitops-commands').gitopsResumeHelp },
  { path: ['plan'], load: () => require('./runtime-commands').planCmd, help: () => require('./runtime-commands').planHelp },
  { path: ['apply'], load: () => require('./runtime-commands').applyCmd, help: () => require('./runtime-commands').applyHelp },
  { path: ['status'], load: () => require('./runtime-commands').statusCmd, help: () => require('./runtime-commands').statusHelp },
  {
    path: ['controller'],
    // With --listen it controls a cluster of agents; without, this node's engine alone.
    load: () => (inv) => (inv.flags.listen !== undefined ? require('./cluster-runtime-commands').clusterControllerCmd(inv) : require('./runtime-commands').controllerCmd(inv)),
    help: () => `${require('./runtime-commands').controllerHelp}\n${require('./cluster-runtime-commands').clusterControllerHelp}`,
  },
  // Internal: the heartbeat process that `berth controller --listen` forks (not in the help).
  { path: ['controller-heartbeats'], load: () => () => require('../cluster/heartbeat-service').runHeartbeatProcess() },
  { path: ['agent'], load: () => require('./cluster-runtime-commands').agentCmd, help: () => require('./cluster-runtime-commands').agentHelp },
  { path: ['cluster', 'status'], load: () => require('./cluster-runtime-commands').clusterStatusCmd, help: () => require('./cluster-runtime-commands').clusterStatusHelp },
  { path: ['authkey', 'generate'], load: () => require('./authkey-commands').authkeyGenerateCmd, help: () => require('./authkey-commands').authkeyGenerateHelp },
  { path: ['cib', 'validate'], load: () => require('./cib-commands').validateCmd },
  { path: ['cib', 'convert'], load: () => require('./cib-commands').convertCmd },
  { path: ['cib', 'diff'], load: () => require('./cib-diff-commands').runDiff, help: () => require('./cib-diff-commands').diffHelp },
  { path: ['cib', 'patch'], load: () => require('./cib-diff-commands').runPatch, help: () => require('./cib-diff-commands').patchHelp },
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
      io.out(require('../../package.json').version + '\n');
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
        const text = f && helpFor(f.route.path);
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
