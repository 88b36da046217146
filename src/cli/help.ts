// Help for any node of the command tree: a command's own text, or for a group the list of its
// commands (generated from the tree), and `berth help WORDS...`. Loaded only to show help.
import { CommandNode, FLAGS, listCommands, walk } from './command-tree';
import type { Command } from './invocation';
import { EXIT } from './help-texts';
import { lazy } from './lazy';
import { parseArgv } from './argv';

/** The flags a command takes as usage words: `-f FILE`, `--force`. */
export function flagWords(node: CommandNode): string[] {
  return (node.flags ?? []).map((n) => {
    const f = FLAGS[n];
    const name = f.short && n !== 'help' ? `-${f.short}` : `--${n}`;
    return f.value ? `${name} ${f.value}` : name;
  });
}

/** A group's help: its own text if it has one, then the commands under it, then how to go on. */
function groupHelp(node: CommandNode, path: string[]): string {
  const rows = listCommands(node).map((c) => ({ left: `${[...path, ...c.words].join(' ')}`, right: c.node.summary }));
  const width = Math.min(34, Math.max(...rows.map((r) => r.left.length)) + 2);
  const list = rows.map((r) => (r.left.length + 2 > width ? `  ${r.left}\n  ${' '.repeat(width)}${r.right}` : `  ${r.left.padEnd(width)}${r.right}`)).join('\n');
  const own = node.help?.();
  const head = own ? own.trimEnd() + '\n\n' : `Usage: berth ${path.join(' ')} COMMAND ...\n\n${node.summary[0].toUpperCase()}${node.summary.slice(1)}.\n\n`;
  return `${head}Commands:\n${list}\n\nRun 'berth ${path.join(' ')} COMMAND --help' for a command's words, flags and examples.\n${own ? '' : `\n${EXIT}\n`}`;
}

/** Help for the node the words name (as far as they name one). */
export function helpFor(words: readonly string[]): string {
  const { node, path } = walk(words);
  if (path.length === 0) return lazy.cliHelpTexts().HELP;
  const own = node.children && Object.values(node.children).some((c) => !c.hidden) ? undefined : node.help?.();
  return own ?? groupHelp(node, path);
}

/** The usage lines of a command's help (its text up to the first empty line). */
export function usageOf(words: readonly string[]): string {
  const text = helpFor(words);
  return text.slice(0, text.indexOf('\n\n') >= 0 ? text.indexOf('\n\n') : text.length) + '\n';
}

/** Topics that are not commands. */
const TOPIC_TEXTS: Record<string, () => string> = {
  options: () => {
    const { supportedDockerOptionsText, SET_BY_BERTH } = lazy.runtimeDockerOptions();
    const setByBerth = Object.entries(SET_BY_BERTH).map(([o, why]) => `  ${o.padEnd(16)}${why}`).join('\n');
    return `The container option options="..." of a bundle: 'docker run' options, checked when the CIB is
written and when it is read, so that a replica never fails to start over one of them.

Supported (long and short forms, values as 'docker run' takes them):
${wrap(supportedDockerOptionsText(), 96, '  ')}

Set by berth from the bundle itself (refused in options, with where to say it instead):
${setByBerth}

Any other option is refused with the list above. Host access (--privileged, --device, --cap-add, binds
of system paths, ...) is refused unless the cluster property berth-host-access allows it.
`;
  },
};

function wrap(text: string, width: number, indent: string): string {
  const out: string[] = [];
  let line = '';
  for (const w of text.split(' ')) {
    if (line && line.length + 1 + w.length > width) { out.push(indent + line); line = w; } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(indent + line);
  return out.join('\n');
}

/** `berth help [WORDS...]`: help on a command or a topic; unknown words are a usage error. */
export const helpCmd: Command = ({ args, flags, io }) => {
  if (flags.man) { io.out(lazy.cliManPage().manPage()); return 0; }
  const topic = TOPIC_TEXTS[args.join(' ')];
  if (topic) { io.out(topic()); return 0; }
  const { path, rest } = walk(args);
  if (rest.length) {
    parseArgv([...args, '--help']); // throws the usage error with "did you mean"
    io.err(`Error: no help on '${args.join(' ')}'; topics: ${Object.keys(TOPIC_TEXTS).join(', ')}\n`);
    return 2;
  }
  io.out(helpFor(path));
  return 0;
};

