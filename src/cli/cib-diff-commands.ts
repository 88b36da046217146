// `berth cib diff ORIG NEW` and `berth cib patch ORIG PATCH`: crm_diff's two modes on CIB files.
// Only read flags, call the library command (src/commands/cib-diff.ts), print. Exit codes follow
// crm_diff (0 same, 1 different), so every error is exit 2 here, rendered by this command.
import { formatCib } from '../cib/cib';
import { writeFileAtomic } from '../cib/cib-file';
import { serializeXml } from '../cib/xml';
import { BerthError, problem } from '../errors/registry';
import { diffCibFiles, patchCibFile, patchData } from '../commands/cib-diff';
import { formatPatchText } from '../patch/text-format';
import { Command, Flags, Invocation, Io, flagString } from './invocation';
import { renderProblems } from './render';

export const diffHelp = `Usage: berth cib diff ORIG NEW [--format xml|text] [--no-version] [--json] [-o OUT]

Print the Pacemaker patch (format 2, as 'crm_diff --original ORIG --new NEW' writes it) that
turns ORIG into NEW: <diff format="2"> with the source and target versions and create, delete,
modify and move changes addressed by XPath. 'crm_diff --original ORIG --patch PATCH' and
'berth cib patch' apply it. ORIG and NEW are CIB files, XML or JSON.

Flags:
  --format xml    the patch as XML (default; nothing is printed when the files are the same)
  --format text   a readable summary: + added, - removed, ~ changed, per element (named by id)
                  and per attribute with old => new values
  --no-version    leave the version attributes out of the comparison and the patch
                  (crm_diff --no-version)
  --json          the changes as JSON data (errors as JSON too)
  -o, --output OUT  write to OUT (atomically) instead of standard output

Exit codes: 0 the files are the same, 1 they differ, 2 error (unreadable or malformed input,
  bad arguments).

Example:
  berth cluster cib tmp.xml; cp tmp.xml tmp.xml.orig
  berth -f tmp.xml resource bundle create web container docker image=nginx
  berth cib diff tmp.xml.orig tmp.xml --format text
  berth cib diff tmp.xml.orig tmp.xml -o web.patch
`;

export const patchHelp = `Usage: berth cib patch ORIG PATCH [-o OUT] [--check-version] [--json]

Apply PATCH (a Pacemaker format 2 patch, made by 'berth cib diff' or by crm_diff) to the CIB
file ORIG and print the result, as 'crm_diff --original ORIG --patch PATCH' does. Nothing is
written unless every change applies; each change that does not is reported with its path.

Flags:
  -o, --output OUT  write the result to OUT (atomically: readers see the old or the new file)
  --check-version   refuse unless ORIG is at the patch's source version and the patch's target
                    is newer, as the cluster checks (crm_diff --cib)
  --json            print the result in berth's JSON form of a CIB (errors as JSON too)

Exit codes: 0 applied, 2 error (unreadable or malformed input, a change that does not apply,
  a version mismatch with --check-version, bad arguments).

Example:
  berth cib diff tmp.xml.orig tmp.xml -o web.patch
  berth cib patch tmp.xml.orig web.patch -o tmp2.xml
`;

export const runDiff: Command = (inv) => exitTwoOnError(inv, () => {
  const { args, flags, io } = inv;
  const [origFile, newFile] = twoFiles(args, 'ORIG NEW');
  const format = flagString(flags, 'format') ?? 'xml';
  if (format !== 'xml' && format !== 'text') {
    throw new BerthError([problem('USAGE', { path: '--format', value: format, allowed: 'xml, text', message: `--format must be 'xml' or 'text', got '${format}'` })]);
  }
  const diff = diffCibFiles({ origFile, newFile, noVersion: flags['no-version'] === true });
  let text: string;
  if (flags.json) {
    text = JSON.stringify(patchData(diff), null, 2) + '\n';
  } else if (format === 'text') {
    text = formatPatchText(diff.orig, diff.patch);
  } else {
    text = diff.same ? '' : serializeXml(diff.patch);
  }
  output(flags, io, text);
  return diff.same ? 0 : 1;
});

export const runPatch: Command = (inv) => exitTwoOnError(inv, () => {
  const { args, flags, io } = inv;
  const [origFile, patchFile] = twoFiles(args, 'ORIG PATCH');
  const result = patchCibFile({ origFile, patchFile, checkVersion: flags['check-version'] === true });
  output(flags, io, formatCib(result, flags.json ? 'json' : 'xml'));
  return 0;
});

function twoFiles(args: string[], names: string): [string, string] {
  if (args.length !== 2) {
    throw new BerthError([problem('USAGE', { value: args.join(' '), allowed: names, message: `expected two files, ${names}, got ${args.length} argument${args.length === 1 ? '' : 's'}` })]);
  }
  return [args[0], args[1]];
}

function output(flags: Flags, io: Io, text: string): void {
  const out = flagString(flags, 'o') ?? flagString(flags, 'output');
  if (out) writeFileAtomic(out, text);
  else io.out(text);
}

// Usage errors go to the CLI (help text, exit 2); other problems are rendered here as exit 2,
// because exit 1 means "the files differ".
async function exitTwoOnError(inv: Invocation, run: () => number): Promise<number> {
  try {
    return run();
  } catch (e) {
    if (!(e instanceof BerthError) || e.problems.some((p) => p.code === 'USAGE')) throw e;
    renderProblems(e.problems, inv.io, inv.flags.json);
    return 2;
  }
}
