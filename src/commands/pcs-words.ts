// pcs's grammar for the words of a command (pcs/cli/common/parse_args.py): keyword sections and
// NAME=VALUE options. The library commands read their words with these; the CLI reads the bundle
// sections with them too. Errors are USAGE problems worded as pcs words them.
import { usage } from '../errors/registry';

export interface GroupOptions {
  /** key for the words before the first keyword; without it, a first non-keyword is an error */
  implicitFirst?: string;
  /** keywords whose every occurrence is its own group */
  repeated?: string[];
  /** keyword that may not appear twice */
  unique?: boolean;
}

export type Groups = Record<string, string[] | string[][]>;

/** pcs's group_by_keywords with only_found_keywords=True. */
export function groupByKeywords(args: string[], keywords: string[], o: GroupOptions = {}): Record<string, string[]> & Record<string, string[][]> {
  const kw = new Set(keywords);
  const repeated = new Set(o.repeated ?? []);
  const groups: Record<string, unknown[]> = {};
  let current: string | undefined;
  const open = (k: string) => {
    if (o.unique && k in groups && !repeated.has(k)) throw usage(`'${k}' cannot be used more than once`);
    groups[k] ??= [];
    if (repeated.has(k)) (groups[k] as string[][]).push([]);
    current = k;
  };
  if (args.length && !kw.has(args[0])) {
    if (!o.implicitFirst) throw usage(`unexpected '${args[0]}', expected one of: ${keywords.join(', ')}`);
    open(o.implicitFirst);
  }
  for (const a of args) {
    if (kw.has(a)) open(a);
    else {
      const place = groups[current!];
      if (repeated.has(current!)) (place[place.length - 1] as string[]).push(a);
      else (place as string[]).push(a);
    }
  }
  return groups as Record<string, string[]> & Record<string, string[][]>;
}

/** pcs's split_option. */
export function splitOption(arg: string): [string, string] {
  const i = arg.indexOf('=');
  if (i < 0) throw usage(`missing value of '${arg}' option`);
  if (i === 0) throw usage(`missing key in '${arg}' option`);
  return [arg.slice(0, i), arg.slice(i + 1)];
}

/** pcs's prepare_options: NAME=VALUE words to a map; the same name twice must agree. */
export function prepareOptions(args: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of args) {
    const [k, v] = splitOption(a);
    if (k in out && out[k] !== v) throw usage(`duplicate option '${k}' with different values '${out[k]}' and '${v}'`);
    out[k] = v;
  }
  return out;
}
