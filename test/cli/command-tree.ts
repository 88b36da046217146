// The strict command tree: every bad invocation as a table (argv → exit code, code, message, file
// untouched), help at every level, the tree consistent with its help texts, completion in a real
// bash, the man page current, colour only when asked for.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { main } from '../../src/cli/main';
import { FLAGS, GLOBAL_FLAGS, TREE, listCommands } from '../../src/cli/command-tree';
import { helpFor } from '../../src/cli/help';
import { candidates } from '../../src/cli/completion';
import { parseArgv, suggest } from '../../src/cli/argv';
import type { Io } from '../../src/cli/invocation';
import { berthSync, root } from '../helpers/cli';

async function run(argv: string[], opts: { color?: boolean } = {}) {
  let out = '';
  let err = '';
  const io: Io = { out: (s) => { out += s; }, err: (s) => { err += s; }, isTTY: opts.color ?? false };
  const code = await main(argv, io);
  return { code, out, err };
}

const CIB = `<cib epoch="1" num_updates="0" admin_epoch="0" validate-with="pacemaker-3.9"><configuration><crm_config/><nodes/><resources/><constraints/></configuration><status/></cib>\n`;

interface Case {
  argv: string[];
  code: number;
  /** the problem's code, in the JSON form of the same call */
  problem?: string;
  /** words the message must hold */
  says: RegExp;
}

// {cib}: a scratch CIB file; each case checks it is byte-for-byte unchanged afterwards.
const CASES: Case[] = [
  { argv: ['-f', '{cib}', 'resource', 'bundle', 'create', 'x', 'container', 'docker', 'image=a', '--dsiabled'], code: 2, problem: 'USAGE', says: /unknown flag '--dsiabled' for 'berth resource bundle create'; did you mean '--disabled'\?/ },
  { argv: ['-f', '{cib}', 'resource', 'bundle', 'create', 'x', 'container', 'docker', 'image=a', '--options=--cpus 1'], code: 2, problem: 'USAGE', says: /unknown flag '--options'/ },
  { argv: ['-f', '{cib}', 'resource', 'bundle', 'create', 'x', 'container', 'docker', 'image=a', '--disabled=yes'], code: 2, problem: 'USAGE', says: /--disabled takes no value/ },
  { argv: ['-f', '{cib}', 'resource', 'enable', 'x', '--all'], code: 2, problem: 'USAGE', says: /--all is not a flag of 'berth resource enable'/ },
  { argv: ['plan', '--bogus'], code: 2, problem: 'USAGE', says: /unknown flag '--bogus' for 'berth plan'/ },
  { argv: ['plan', '--node'], code: 2, problem: 'USAGE', says: /--node needs a value \(NAME\)/ },
  { argv: ['-f'], code: 2, problem: 'USAGE', says: /-f needs a value \(FILE\)/ },
  { argv: ['resourc', 'config'], code: 2, problem: 'USAGE', says: /unknown command 'berth resourc'; did you mean 'resource'\?/ },
  { argv: ['-f', '{cib}', 'resource', 'confg'], code: 2, problem: 'USAGE', says: /unknown command 'berth resource confg'; did you mean 'config'\?/ },
  { argv: ['resource', 'status'], code: 2, problem: 'USAGE', says: /'berth status' \(this node\) or 'berth cluster status'/ },
  { argv: ['resource', 'bundle', 'creat', 'x'], code: 2, problem: 'USAGE', says: /did you mean 'create'\?/ },
  { argv: ['bogus'], code: 2, problem: 'USAGE', says: /unknown command 'berth bogus'/ },
  { argv: ['resource'], code: 2, problem: 'USAGE', says: /'berth resource' needs a command: bundle, create/ },
  { argv: ['cluster', 'status', '--wat'], code: 2, problem: 'USAGE', says: /did you mean '--watch'\?/ },
  { argv: ['help', 'resource', 'bundel'], code: 2, problem: 'USAGE', says: /did you mean 'bundle'\?/ },
  { argv: ['completion', 'fish'], code: 2, problem: 'USAGE', says: /no completion for 'fish'/ },
  { argv: ['controller', '--listen', '127.0.0.1:0', '--heartbeat-interval', '0.05'], code: 2, problem: 'USAGE', says: /'0.05' is not a valid --heartbeat-interval, use 0.1 to 10 seconds/ },
  { argv: ['controller', '--listen', '127.0.0.1:0', '--heartbeat-interval', 'often'], code: 2, problem: 'USAGE', says: /'often' is not a valid --heartbeat-interval/ },
  { argv: ['-f', '/tmp', 'resource', 'config'], code: 1, problem: 'FILE_NOT_REGULAR', says: /is a directory/ },
];

t.test('bad invocations: exit code, coded problem, the file untouched', async (t) => {
  for (const c of CASES) {
    const dir = t.testdir({ 'cib.xml': CIB });
    const file = path.join(dir, 'cib.xml');
    const argv = c.argv.map((a) => a.replace('{cib}', file));
    const r = await run(argv);
    t.equal(r.code, c.code, `${argv.join(' ')}: exit code`);
    t.match(r.err, c.says, `${argv.join(' ')}: message`);
    t.notMatch(r.err, /internal error|    at /, `${argv.join(' ')}: no stack trace`);
    t.equal(fs.readFileSync(file, 'utf8'), CIB, `${argv.join(' ')}: file untouched`);
    const j = await run([...argv, '--json']);
    t.equal(j.code, c.code, `${argv.join(' ')} --json: same exit code`);
    const parsed = JSON.parse(j.err) as { problems: { code: string; message: string }[] };
    t.equal(parsed.problems[0].code, c.problem, `${argv.join(' ')} --json: coded problem as data`);
    t.equal(j.out, '', `${argv.join(' ')} --json: nothing on stdout`);
  }
});

t.test('a usage error points to the help of the command it was about', async (t) => {
  const r = await run(['plan', '--bogus']);
  t.match(r.err, /\nUsage: berth plan \[--json\]/);
  t.match(r.err, /Run 'berth plan --help' for more\./);
});

t.test('help at every level: groups list their commands, commands show their own text', async (t) => {
  const groups: [string[], RegExp[]][] = [
    [['resource'], [/resource bundle create\s+create a bundle/, /resource config/, /resource defaults update/]],
    [['resource', 'bundle'], [/resource bundle create/, /resource bundle update/, /resource bundle reset/]],
    [['cluster'], [/cluster cib\s/, /cluster cib-push/, /cluster status/]],
    [['cib'], [/cib validate/, /cib convert/, /cib diff/, /cib patch/]],
    [['authkey'], [/authkey generate/]],
    [['gitops'], [/gitops run\s/, /gitops suspend/]],
    [['property'], [/property set/, /property config/]],
  ];
  for (const [words, expect] of groups) {
    for (const argv of [[...words, '--help'], ['help', ...words]]) {
      const r = await run(argv);
      t.equal(r.code, 0, `${argv.join(' ')}: exit 0`);
      for (const e of expect) t.match(r.out, e, `${argv.join(' ')} lists ${e}`);
      t.match(r.out, /Commands:/, `${argv.join(' ')}: a list of commands`);
    }
  }
  const create = await run(['resource', 'bundle', 'create', '--help']);
  t.match(create.out, /^Usage: berth \[-f FILE\] resource bundle create ID container/);
  const status = await run(['cluster', 'status', '-h']);
  t.match(status.out, /^Usage: berth cluster status/);
  const options = await run(['help', 'options']);
  t.equal(options.code, 0);
  t.match(options.out, /--memory/);
  t.match(options.out, /--name\s+berth names each container after its replica/);
  const top = await run([]);
  t.equal(top.code, 0);
  t.match(top.out, /completion bash\|zsh/);
});

t.test('every command: its help names every flag it takes, and takes every flag its usage names', async (t) => {
  const commands = listCommands(TREE);
  t.ok(commands.length >= 40, `${commands.length} commands`);
  const used = new Set<string>(GLOBAL_FLAGS);
  for (const c of commands) {
    const text = helpFor(c.words);
    const where = c.words.join(' ');
    t.ok(text && text.length > 40, `${where}: has help`);
    for (const f of c.node.flags ?? []) {
      used.add(f);
      const spec = FLAGS[f];
      t.ok(spec, `${where}: --${f} is a known flag`);
      const named = new RegExp(`(^|[\\s\\[|,(])(--${f}|-${spec.short ?? '\\0'})\\b`);
      t.ok(named.test(text), `${where}: help names --${f}`);
    }
    // The flags in its usage lines (up to the first empty line; of a text shared by several
    // commands, the lines that name all of its words) are all flags it takes.
    const lines = text.slice(0, text.indexOf('\n\n')).split('\n');
    const own = lines.filter((l) => c.words.every((w) => l.split(/[^a-z-]+/).includes(w)));
    for (const m of (own.length ? own : lines).join('\n').matchAll(/(?<![\w-])--([a-z][a-z-]*)/g)) {
      t.ok([...GLOBAL_FLAGS, ...(c.node.flags ?? [])].includes(m[1]), `${where}: usage names --${m[1]}, which it takes`);
    }
  }
  used.add('version');
  for (const f of Object.keys(FLAGS)) t.ok(used.has(f), `--${f} is taken by some command`);
});

t.test('flags: a name is a switch everywhere or takes a value everywhere (words are found before the command)', async (t) => {
  const p = parseArgv(['--store', 'x', 'resource', '-f', 'c.xml', 'config', '--output-format', 'cmd', 'r1']);
  t.same(p.path, ['resource', 'config']);
  t.same(p.args, ['r1']);
  t.equal(p.flags.store, 'x');
  t.equal(p.flags.file, 'c.xml');
  t.equal(p.flags['output-format'], 'cmd');
  const s = parseArgv(['-f', 'c.xml', 'constraint', 'location', 'web', 'avoids', 'n1=-INFINITY', '-INFINITY', '-100', '--', '--not-a-flag']);
  t.same(s.args, ['web', 'avoids', 'n1=-INFINITY', '-INFINITY', '-100', '--not-a-flag'], 'scores and words after -- stay words');
  t.same(suggest('confg', ['config', 'create', 'cleanup']), ['config']);
  t.same(suggest('zzzz', ['config']), []);
});

t.test('completion: candidates from the tree, and in a real bash', async (t) => {
  t.same(candidates(['res']), ['resource']);
  t.same(candidates(['resource', 'bundle', '']), ['create', 'update', 'reset']);
  t.same(candidates(['resource', 'bundle', 'create', '--dis']), ['--disabled']);
  t.same(candidates(['-f', '']), [':files']);
  t.same(candidates(['-f', 'x.xml', 'resource', 'con']), ['config']);
  t.same(candidates(['plan', '--n']), ['--no-color', '--node']);
  const bash = spawnSync('bash', ['-c', `source <(berth completion bash); COMP_WORDS=(berth resource bun); COMP_CWORD=2; _berth; echo "\${COMPREPLY[@]}"`], {
    encoding: 'utf8', env: { ...process.env, PATH: `${path.join(root, 'bin')}:${process.env.PATH}` },
  });
  t.equal(bash.stdout.trim(), 'bundle', `bash completes 'berth resource bun' (stderr: ${bash.stderr})`);
  const zsh = berthSync(['completion', 'zsh']);
  t.equal(zsh.code, 0);
  t.match(zsh.stdout, /^#compdef berth/);
});

t.test('the committed man page is the one berth prints, and groff reads it without warnings', async (t) => {
  const r = berthSync(['help', '--man']);
  t.equal(r.code, 0);
  t.equal(fs.readFileSync(path.join(root, 'man', 'berth.1'), 'utf8'), r.stdout, 'man/berth.1 is current (node scripts/man.mjs writes it)');
  for (const c of listCommands(TREE)) t.ok(r.stdout.includes(`.SS berth ${c.words.join(' ')}\n`), `the page has berth ${c.words.join(' ')}`);
  const groff = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z'], { input: r.stdout, encoding: 'utf8' });
  t.equal(groff.status, 0);
  t.equal(groff.stderr, '', 'no groff warnings');
});

t.test('colour: on a terminal, never in pipes, off with NO_COLOR or --no-color', async (t) => {
  const esc = /\x1b\[/;
  const saved = process.env.NO_COLOR;
  delete process.env.NO_COLOR;
  t.teardown(() => { if (saved !== undefined) process.env.NO_COLOR = saved; });
  t.match((await run(['plan', '--bogus'], { color: true })).err, esc, 'a terminal: coloured');
  t.notMatch((await run(['plan', '--bogus'], { color: false })).err, esc, 'not a terminal: plain');
  t.notMatch((await run(['plan', '--bogus', '--no-color'], { color: true })).err, esc, '--no-color');
  t.match((await run(['plan', '--bogus', '--color'], { color: false })).err, esc, '--color');
  process.env.NO_COLOR = '1';
  t.notMatch((await run(['plan', '--bogus'], { color: true })).err, esc, 'NO_COLOR');
  t.notMatch(berthSync(['plan', '--bogus']).stderr, esc, 'the real process in a pipe: plain');
});
