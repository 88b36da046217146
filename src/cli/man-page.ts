// The man page, berth(1), made from the same tree and help texts as `--help`: the general help,
// then every command's own help in full. `berth help --man` prints it; scripts/man.mjs writes
// man/berth.1 from it, and a test checks the committed page is current.
import { listCommands, TREE } from './command-tree';
import { helpFor } from './help';
import { lazy } from './lazy';

/** Text as roff: backslashes escaped, no line read as a request, verbatim blocks. */
const roffText = (text: string): string =>
  text.replace(/\\/g, '\\e').split('\n').map((l) => (/^[.']/.test(l) ? `\\&${l}` : l)).join('\n');

const verbatim = (text: string): string => `.nf\n${roffText(text.trimEnd())}\n.fi\n`;

export function manPage(): string {
  const version = lazy.packageJson().version;
  const general = lazy.cliHelpTexts().HELP;
  const body = general.slice(general.indexOf('\n\n') + 2);
  const out: string[] = [
    `.TH BERTH 1 "" "berth ${version}" "User Commands"`,
    '.SH NAME',
    `berth \\- ${roffText(TREE.summary)}`,
    '.SH SYNOPSIS',
    '.B berth',
    '[\\fB\\-f\\fR \\fIFILE\\fR] \\fICOMMAND\\fR... [\\fIARGS\\fR...] [\\fB\\-\\-json\\fR] [\\fB\\-\\-help\\fR]',
    '.SH DESCRIPTION',
    verbatim(body),
    '.SH COMMANDS',
    'Every command below prints the same text with \\fB\\-\\-help\\fR.',
  ];
  for (const c of listCommands(TREE)) {
    out.push(`.SS berth ${c.words.join(' ')}`, roffText(c.node.summary[0].toUpperCase() + c.node.summary.slice(1)) + '.', '.PP', verbatim(helpFor(c.words)));
  }
  out.push(
    '.SH ENVIRONMENT',
    '.TP\n.B BERTH_STORE\nthe live CIB\'s store when \\fB\\-\\-store\\fR is not given (default file:///var/lib/berth)',
    '.TP\n.B BERTH_STATE_DIR\nberth\'s files on a node when \\fB\\-\\-state\\-dir\\fR is not given (default /var/lib/berth/node)',
    '.TP\n.B BERTH_PODMAN_SOCKET\npodman\'s API socket, where a node runs \\fB<podman>\\fR bundles (default /run/podman/podman.sock, used while it exists); \\fBoff\\fR: run them on the Docker engine',
    '.TP\n.B NO_COLOR\nwhen set and not empty, no colour (as with \\fB\\-\\-no\\-color\\fR)',
    '.SH EXIT STATUS',
    '0 success; 1 the command failed (every problem is printed, nothing is written); 2 usage error (unknown command or flag, missing or malformed arguments); 70 internal error. Commands that say otherwise in their help (plan, cib diff, gitops diff) follow what they say.',
    '.SH SEE ALSO',
    '\\fBpcs\\fR(8), \\fBcrm_simulate\\fR(8), \\fBcrm_diff\\fR(8), \\fBcibadmin\\fR(8); the documents under docs/ in berth\'s repository.',
  );
  return out.join('\n') + '\n';
}
