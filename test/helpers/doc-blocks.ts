// The command lines of berth's documentation, read from markdown (pure: text in, data out), for
// test/docs/command-lines.ts and the engine/cluster runners in test/e2e/docs-*.ts.
//
// Terms
// - *fence*: a fenced code block (``` or ~~~) with its info string (`sh`, `text`, ...).
// - *shell fence*: one whose info string is sh, bash, shell or console: its lines are commands.
// - *annotation*: `<!-- berth-docs: KIND -->` as the last non-blank line before a fence; KIND says
//   where its lines run: `file` (a temp dir, -f files and a private file store), `engine` (the real
//   Docker engine), `cluster` (agents and a controller on loopback), `example-only` (placeholders:
//   only checked against the CLI's commands).
// - *command line*: a logical line of a shell fence (`\` continuations joined), not blank and not
//   a comment. A *berth line* is one where some command of it is `berth`.
// - A trailing shell comment may say what the line does: `# exit N` (the exit code it must end
//   with; default 0) and `# shows: TEXT` (what it prints, on standard output or error, must contain
//   TEXT). Both may stand in one comment: `# exit 1; shows: BUNDLE_PORT_CONFLICT`.
import { splitShellWords } from '../../src/runtime/docker-options';

export const DOC_ENVIRONMENTS = ['file', 'engine', 'cluster', 'example-only'] as const;
export type DocEnvironment = (typeof DOC_ENVIRONMENTS)[number];

export const SHELL_LANGUAGES = new Set(['sh', 'bash', 'shell', 'console']);

export interface CommandLine {
  /** 1-based line in the markdown file where the logical line starts */
  line: number;
  /** the command as bash runs it (continuations joined, trailing comment kept) */
  text: string;
  /** some command of the line is berth */
  berth: boolean;
  /** `# exit N` in its comment, else 0 */
  exit: number;
  /** `# shows: TEXT` in its comment: its output (stdout or stderr) contains TEXT */
  shows?: string;
  /** ends with `&`: a daemon started in the background (engine and cluster blocks only) */
  background: boolean;
}

export interface DocBlock {
  file: string;
  /** 1-based line of the opening fence */
  line: number;
  language: string;
  /** undefined: no annotation before the fence */
  environment?: string;
  lines: CommandLine[];
}

export interface DocProblem {
  file: string;
  line: number;
  message: string;
}

const ANNOTATION = /^<!--\s*berth-docs:\s*(\S*)\s*-->$/;

/** Where the comment of a shell line starts (a `#` outside quotes, at a word start), or -1. */
export function commentStart(text: string): number {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === '\\' && quote === '"') i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '\\') { i++; continue; }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '#' && (i === 0 || /\s/.test(text[i - 1]))) return i;
  }
  return -1;
}

/** The end of the `$( ... )` that opens at `open` (the index of its `(`), or the text's end. */
function substitutionEnd(code: string, open: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = open; i < code.length; i++) {
    const ch = code[i];
    if (quote) {
      if (ch === '\\' && quote === '"') i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) return i;
  }
  return code.length;
}

/**
 * The commands of a line: its text split at `;`, `&&`, `||`, `|`, `&`, `(` and `)` outside quotes,
 * plus the commands inside each `$( ... )` (quoted or not), which are kept whole in their word.
 */
export function commandsOf(code: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  for (let i = 0; i < code.length; i++) {
    const ch = code[i];
    if (ch === '$' && code[i + 1] === '(' && quote !== "'") {
      const end = substitutionEnd(code, i + 1);
      out.push(...commandsOf(code.slice(i + 2, end)));
      cur += code.slice(i, end + 1);
      i = end;
      continue;
    }
    if (quote) {
      cur += ch;
      if (ch === '\\' && quote === '"') cur += code[++i] ?? '';
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '"' || ch === "'") { quote = ch; cur += ch; continue; }
    if (ch === '\\') { cur += ch + (code[++i] ?? ''); continue; }
    if (ch === ';' || ch === '|' || ch === '&' || ch === '(' || ch === ')') {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  out.push(cur);
  return out.map((c) => c.trim()).filter(Boolean);
}

/** The words after `berth` when a command runs berth (env assignments before it skipped), else undefined. */
export function berthArgv(command: string): string[] | undefined {
  const split = splitShellWords(command);
  if (!split.ok) return undefined;
  const words = [...split.words];
  while (words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0])) words.shift();
  if (!words.length || !(words[0] === 'berth' || words[0].endsWith('/bin/berth'))) return undefined;
  return words.slice(1);
}

function commandLine(line: number, text: string): CommandLine {
  const at = commentStart(text);
  const code = (at >= 0 ? text.slice(0, at) : text).trim();
  const comment = at >= 0 ? text.slice(at + 1) : '';
  const exit = /(?:^|\W)exit (\d+)\b/.exec(comment);
  const shows = /shows: (.+)$/.exec(comment);
  return {
    line,
    text,
    berth: commandsOf(code).some((c) => berthArgv(c) !== undefined),
    exit: exit ? Number(exit[1]) : 0,
    ...(shows ? { shows: shows[1].trim() } : {}),
    background: /(^|[^&])&$/.test(code),
  };
}

/** Every fence of a markdown file with its annotation and command lines; problems in the markup. */
export function readDocBlocks(file: string, markdown: string): { blocks: DocBlock[]; problems: DocProblem[] } {
  const blocks: DocBlock[] = [];
  const problems: DocProblem[] = [];
  const src = markdown.split('\n');
  let pending: { environment: string; line: number } | undefined;
  for (let i = 0; i < src.length; i++) {
    const raw = src[i];
    const open = /^(\s*)(```+|~~~+)\s*([^\s`]*)/.exec(raw);
    const note = ANNOTATION.exec(raw.trim());
    if (note) {
      if (pending) problems.push({ file, line: pending.line, message: 'a berth-docs annotation not followed by a fenced block' });
      pending = { environment: note[1], line: i + 1 };
      continue;
    }
    if (/^<!--\s*berth-docs/.test(raw.trim())) {
      problems.push({ file, line: i + 1, message: `malformed berth-docs annotation '${raw.trim()}': write <!-- berth-docs: KIND --> alone on its line` });
      continue;
    }
    if (!open) {
      if (raw.trim() && pending) {
        problems.push({ file, line: pending.line, message: 'a berth-docs annotation not followed by a fenced block' });
        pending = undefined;
      }
      continue;
    }
    const fence = open[2];
    const language = open[3].toLowerCase();
    const start = i + 1;
    const body: { line: number; text: string }[] = [];
    for (i++; i < src.length && !src[i].trim().startsWith(fence); i++) body.push({ line: i + 1, text: src[i] });
    if (i >= src.length) problems.push({ file, line: start, message: 'a fenced block that is never closed' });
    const block: DocBlock = { file, line: start, language, ...(pending ? { environment: pending.environment } : {}), lines: [] };
    pending = undefined;
    if (SHELL_LANGUAGES.has(language)) {
      for (let j = 0; j < body.length; j++) {
        const first = body[j];
        let text = first.text;
        while (/\\$/.test(text) && j + 1 < body.length) text = text.slice(0, -1) + ' ' + body[++j].text.trim();
        const t = text.trim();
        if (!t || t.startsWith('#')) continue;
        if (/<<-?\s*['"]?\w/.test(t.slice(0, commentStart(t) >= 0 ? commentStart(t) : t.length))) {
          problems.push({ file, line: first.line, message: 'a here-document in a documented command: the harness runs one line at a time; write the file with printf instead' });
        }
        block.lines.push(commandLine(first.line, t));
      }
    } else if (language === '') {
      // An unlabelled fence that holds berth lines: say whether they are commands (sh) or not (text).
      const hit = body.find((b) => berthArgv(commandsOf(b.text.trim())[0] ?? '') !== undefined);
      if (hit) problems.push({ file, line: hit.line, message: 'a berth command in a fence without a language: label it sh (it is run) or text (a synopsis, not run)' });
    }
    if (block.environment !== undefined && !SHELL_LANGUAGES.has(language)) {
      problems.push({ file, line: start, message: `a berth-docs annotation on a '${language || 'unlabelled'}' fence: only shell fences (${[...SHELL_LANGUAGES].join(', ')}) run` });
    }
    blocks.push(block);
  }
  if (pending) problems.push({ file, line: pending.line, message: 'a berth-docs annotation not followed by a fenced block' });
  const known = (e: string) => (DOC_ENVIRONMENTS as readonly string[]).includes(e);
  for (const b of blocks) {
    if (b.environment !== undefined && !known(b.environment)) {
      problems.push({ file, line: b.line, message: `unknown berth-docs environment '${b.environment}', use one of: ${DOC_ENVIRONMENTS.join(', ')}` });
    }
    if (b.environment === undefined) {
      for (const l of b.lines.filter((x) => x.berth)) problems.push({ file, line: l.line, message: `'${l.text}' is in a shell block without a berth-docs annotation (one of: ${DOC_ENVIRONMENTS.join(', ')})` });
    }
    if (b.environment === 'file') {
      for (const l of b.lines.filter((x) => x.background)) problems.push({ file, line: l.line, message: `'${l.text}' starts a daemon: a file block runs no daemon (use an engine or cluster block)` });
    }
  }
  return { blocks, problems };
}
