// argv → the command it names, its words and its flags, checked against the command tree: an
// unknown command or flag, a flag without its value, a value given to a switch are usage errors
// (exit 2) naming what was meant. pcs's grammar (NAME=VALUE words, sections, scores like
// -INFINITY) stays words. The tokenizer is berth's own, twenty lines over the tree's flag table:
// yargs (10 ms per run) and yargs-parser (2.5 ms) cost more than an edit's whole budget allows
// (bench/cli-edit, a tenth of pcs).
import { BerthError, problem } from '../errors/registry';
import { CommandNode, FLAGS, flagsOf, listCommands, walk } from './command-tree';
import type { Flags } from './invocation';

export interface ParsedArgv {
  node: CommandNode;
  /** the words naming the command */
  path: string[];
  /** the command's positional words */
  args: string[];
  flags: Flags;
}

/** Scores (-INFINITY, -100) are words, as pcs takes them: hidden from the flag parser. */
const SCORE = /^-(INFINITY|inf|\d+)$/i;
const SHORT: Record<string, string> = Object.fromEntries(Object.entries(FLAGS).filter(([, f]) => f.short).map(([name, f]) => [f.short!, name]));

/** How a flag was written, for messages: `--name` or `-f`. */
function writtenAs(argv: readonly string[], name: string): string {
  const short = FLAGS[name]?.short;
  for (const a of argv) {
    if (a === '--') break;
    if (a === `--${name}` || a.startsWith(`--${name}=`)) return `--${name}`;
    if (short && (a === `-${short}` || a.startsWith(`-${short}=`))) return `-${short}`;
    if (a === `-${name}` || a.startsWith(`-${name}=`)) return `-${name}`;
  }
  return `--${name}`;
}

/** A switch written with a value (`--disabled=no`): yargs-parser would read it as false. */
function switchWithValue(argv: readonly string[]): string | undefined {
  for (const a of argv) {
    if (a === '--') return undefined;
    const m = /^--?([^=]+)=/.exec(a);
    if (m && !SCORE.test(a)) {
      const name = a.startsWith('--') ? m[1] : SHORT[m[1]] ?? m[1];
      if (FLAGS[name] && !FLAGS[name].value) return a;
    }
  }
  return undefined;
}

/** argv → words and flags, with every flag berth knows (a name is a switch everywhere or takes a value everywhere). */
function tokenize(argv: readonly string[]): { words: string[]; flags: Record<string, unknown>; afterDashes: string[] } {
  const words: string[] = [];
  const flags: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') return { words, flags, afterDashes: argv.slice(i + 1) };
    if (a.length < 2 || a[0] !== '-' || SCORE.test(a)) { words.push(a); continue; }
    const long = a.startsWith('--');
    const body = a.slice(long ? 2 : 1);
    const eq = body.indexOf('=');
    const given = eq >= 0 ? body.slice(0, eq) : body;
    const name = long ? given : SHORT[given] ?? given;
    const spec = FLAGS[name];
    let value: string | boolean = true;
    if (eq >= 0) value = body.slice(eq + 1);
    else if (spec?.value) value = argv[i + 1] !== undefined && !(argv[i + 1].startsWith('-') && argv[i + 1].length > 1 && !SCORE.test(argv[i + 1])) ? argv[++i] : '';
    if (spec?.repeat) flags[name] = [...((flags[name] as string[] | undefined) ?? []), String(value)];
    else flags[name] = value;
  }
  return { words, flags, afterDashes: [] };
}

function usage(message: string, more: { path?: string; value?: string; allowed?: string } = {}): BerthError {
  return new BerthError([problem('USAGE', { ...more, message })]);
}

/** Levenshtein distance, small strings only. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

/** The candidates closest to `word` (a typo of up to a third of its length, or a prefix). */
export function suggest(word: string, candidates: readonly string[]): string[] {
  const limit = Math.max(1, Math.floor(word.length / 3));
  const scored = candidates.map((c) => ({ c, d: c.startsWith(word) && word.length >= 2 ? 0.5 : distance(word, c) })).filter((x) => x.d <= limit);
  const best = Math.min(...scored.map((x) => x.d));
  return scored.filter((x) => x.d === best).map((x) => x.c);
}

const didYouMean = (options: string[]): string => (options.length ? `; did you mean ${options.map((o) => `'${o}'`).join(' or ')}?` : '');

/** pcs commands berth has under another name, for a better answer than "unknown". */
const PCS_HINTS: Record<string, string> = {
  'resource status': "berth shows replicas with 'berth status' (this node) or 'berth cluster status' (a cluster)",
  'resource update': "a bundle is changed with 'berth resource bundle update'",
};

function unknownCommand(path: string[], word: string, node: CommandNode): BerthError {
  const children = Object.entries(node.children ?? {}).filter(([, c]) => !c.hidden).map(([n]) => n);
  const hint = PCS_HINTS[[...path, word].join(' ')];
  const where = path.length ? `berth ${path.join(' ')}` : 'berth';
  const message = `unknown command '${[where, word].join(' ')}'${didYouMean(suggest(word, children))}${hint ? ` (${hint})` : ''}`;
  return new BerthError([problem('USAGE', { path: where, value: word, allowed: children.join(', '), message })]);
}

/** Parse argv against the command tree; throws a USAGE BerthError for anything it does not know. */
export function parseArgv(argv: readonly string[]): ParsedArgv {
  const withValue = switchWithValue(argv);
  if (withValue) throw usage(`${withValue.split('=')[0]} takes no value (got '${withValue}')`, { path: withValue.split('=')[0], value: withValue.slice(withValue.indexOf('=') + 1) });
  const { words, flags: given, afterDashes } = tokenize(argv);
  const { node, path, rest } = walk(words);
  const helpAsked = given.help === true;
  // A word under a group that runs nothing by itself is a command it does not have.
  if (rest.length && node.children && !node.run) throw unknownCommand(path, rest[0], node);
  for (const name of Object.keys(given)) {
    const values = Array.isArray(given[name]) ? (given[name] as string[]) : [given[name]];
    if (FLAGS[name]?.value && values.some((v) => v === '' || v === undefined)) {
      const raw = writtenAs(argv, name);
      throw usage(`${raw} needs a value (${FLAGS[name].value})`, { path: raw, allowed: FLAGS[name].value });
    }
  }
  const where = path.length ? `berth ${path.join(' ')}` : 'berth';
  const allowed = flagsOf(node);
  for (const name of Object.keys(given)) {
    if (allowed.includes(name)) continue;
    const raw = writtenAs(argv, name);
    const why = node.refuses?.[name];
    const message = why
      ? `${raw} is not a flag of '${where}': ${why}`
      : FLAGS[name]
      ? `${raw} is not a flag of '${where}'${didYouMean(suggest(name, allowed).map((n) => `--${n}`))}`
      : `unknown flag '${raw}' for '${where}'${didYouMean(suggest(name, allowed).map((n) => `--${n}`))}`;
    throw new BerthError([problem('USAGE', { path: where, value: raw, allowed: allowed.map((n) => `--${n}`).join(', '), message })]);
  }
  if (!node.run && !helpAsked && path.length) {
    // A group alone (`berth resource`): a usage error, its help follows.
    throw usage(`'${where}' needs a command: ${Object.entries(node.children ?? {}).filter(([, c]) => !c.hidden).map(([n]) => n).join(', ')}`, { path: where });
  }
  const flags: Flags = { force: false, json: false, help: false };
  for (const [k, v] of Object.entries(given)) flags[k] = Array.isArray(v) ? v.map(String) : (v as string | boolean);
  return { node, path, args: [...rest, ...afterDashes], flags };
}

/** The words of every command, for tests and the man page. */
export const commandPaths = (): string[][] => listCommands(walk([]).node).map((c) => c.words);
