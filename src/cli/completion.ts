// Shell completion: `berth completion bash|zsh` prints a script; the script asks
// `berth __complete WORDS... CURRENT` for the candidates, which come from the command tree (commands,
// then flags; file names where a flag takes a FILE or DIR).
import { BerthError, problem } from '../errors/registry';
import { FLAGS, FlagSpec, flagsOf, walk } from './command-tree';
import type { Command } from './invocation';

export const completionHelp = `Usage: berth completion bash|zsh

Print a completion script for the shell: commands, subcommands and flags complete with TAB.
Install it for every session:
  bash:  berth completion bash > /etc/bash_completion.d/berth      (or source it from ~/.bashrc)
  zsh:   berth completion zsh > "\${fpath[1]}/_berth"                (then restart zsh)
Try it in the current shell:  source <(berth completion bash)

Exit codes: 0 printed, 2 usage error (no or an unknown shell).
`;

const BASH = `# berth completion for bash: source this file (berth completion bash)
_berth() {
  local cur=\${COMP_WORDS[COMP_CWORD]}
  local IFS=$'\\n'
  local out
  out=$(berth __complete -- "\${COMP_WORDS[@]:1:COMP_CWORD-1}" "$cur" 2>/dev/null) || return 0
  if [[ "$out" == ":files" ]]; then
    COMPREPLY=( $(compgen -f -- "$cur") )
  else
    COMPREPLY=( $(compgen -W "$out" -- "$cur") )
  fi
}
complete -o default -F _berth berth
`;

const ZSH = `#compdef berth
# berth completion for zsh: berth completion zsh > "\${fpath[1]}/_berth"
_berth() {
  local -a candidates
  local out
  out=$(berth __complete -- "\${(@)words[2,CURRENT-1]}" "\${words[CURRENT]}" 2>/dev/null) || return 0
  if [[ "$out" == ":files" ]]; then
    _files
  else
    candidates=("\${(@f)out}")
    compadd -- $candidates
  fi
}
compdef _berth berth
`;

export const completionCmd: Command = ({ args, io }) => {
  const shell = args[0];
  if (args.length !== 1 || (shell !== 'bash' && shell !== 'zsh')) {
    throw new BerthError([problem('USAGE', { path: 'SHELL', value: shell ?? '', allowed: 'bash, zsh', message: shell ? `no completion for '${shell}': berth completes in bash and zsh` : 'which shell? berth completion bash|zsh' })]);
  }
  io.out(shell === 'bash' ? BASH : ZSH);
  return 0;
};

/** The flag a word names: `--file`, `-f`. */
function specOf(word: string): FlagSpec | undefined {
  const name = word.replace(/^--?/, '');
  return word.startsWith('--') ? FLAGS[name] : Object.values(FLAGS).find((f) => f.short === name) ?? FLAGS[name];
}

/** The candidates after the typed words (the last one being completed), one per line. */
export function candidates(typed: readonly string[]): string[] {
  const before = typed.slice(0, -1);
  const current = typed[typed.length - 1] ?? '';
  const previous = before[before.length - 1];
  // The value of a flag: files for FILE/DIR values, nothing to offer for the others.
  const valueOf = (w: string | undefined) => (w?.startsWith('-') && !w.includes('=') ? specOf(w)?.value : undefined);
  const value = valueOf(previous);
  if (value) return /FILE|DIR|OUT/.test(value) ? [':files'] : [];
  const words = before.filter((w, i) => !w.startsWith('-') && !valueOf(before[i - 1]));
  const { node, rest } = walk(words);
  const out: string[] = [];
  if (current.startsWith('-')) {
    for (const n of flagsOf(node)) out.push(`--${n}`);
  } else if (rest.length === 0) {
    for (const [name, child] of Object.entries(node.children ?? {})) if (!child.hidden) out.push(name);
  }
  return out.filter((c) => c.startsWith(current));
}

/** `berth __complete -- WORDS... CURRENT` */
export const completeCmd: Command = ({ args, io }) => {
  const list = candidates(args);
  if (list.length) io.out(list.join('\n') + '\n');
  return 0;
};
