// `berth cib validate` and `berth cib convert`: whole-file commands on CIB files.
import { formatCib, parseCib } from '../cib/cib';
import { readTextFile, writeCibFile } from '../cib/cib-file';
import { BerthError, problem } from '../errors/registry';
import { Command, flagString } from './invocation';
import { renderProblems } from './render';
import { lazy } from './lazy';

function fileArg(args: string[], what: string): string {
  if (args.length !== 1) throw new BerthError([problem('USAGE', { message: `expected exactly one ${what}, got ${args.length}` })]);
  return args[0];
}

export const validateCmd: Command = ({ args, flags, io }) => {
  const file = fileArg(args, 'CIB file');
  // A file that cannot be read is the command failing, said once as every command says it (exit
  // 1), not a finding about a CIB: no "invalid" verdict follows it.
  const text = readTextFile(file);
  const problems = lazy.commandsCibValidate().validateCibText(text, file);
  const errors = problems.filter((p) => p.severity === 'error');
  if (flags.json) {
    io.out(JSON.stringify({ file, valid: errors.length === 0, problems }, null, 2) + '\n');
  } else {
    renderProblems(problems, io, false);
    if (!errors.length) io.out(`${file}: valid${problems.length ? ` (${problems.length} warning${problems.length > 1 ? 's' : ''})` : ''}\n`);
    else io.err(`${file}: invalid, ${errors.length} problem${errors.length > 1 ? 's' : ''}\n`);
  }
  return errors.length ? 1 : 0;
};

export const convertCmd: Command = ({ args, flags, io }) => {
  const file = fileArg(args, 'CIB file');
  const to = flagString(flags, 'to');
  if (to !== 'json' && to !== 'xml') {
    throw new BerthError([problem('USAGE', { path: '--to', value: to ?? '', allowed: 'json, xml', message: `--to must be 'json' or 'xml', got '${to ?? ''}'` })]);
  }
  const cib = parseCib(readTextFile(file), file);
  const text = formatCib(cib, to);
  const out = flagString(flags, 'o') ?? flagString(flags, 'output');
  if (out) writeCibFile(out, text);
  else io.out(text);
  return 0;
};
