// Every `berth ...` command line of the documentation (README.md, docs/*.md) is real. Each shell
// fence that holds one is annotated (<!-- berth-docs: KIND --> before it) with where it runs:
// - file: run here, in order, per document (a temp dir, -f files, a private file store);
// - engine / cluster: run by test/e2e/docs-live.ts (the real Docker
//   engine; agents and a controller on loopback);
// - example-only: placeholders (your own hosts, URLs): not run, but every berth command of them
//   must name a command of the CLI.
// Every berth command of every block, whatever its kind, must name a command of the CLI. A line in
// no annotated block fails, and so does an annotation the harness does not know.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DocBlock, readDocBlocks } from '../helpers/doc-blocks';
import { berthCommandsOf, clusterIdsIn, commandExists, docDir, documents, runFileBlock, runLine, runLiveBlock, StartedDaemon, stopDaemons } from '../helpers/doc-runners';
import { fileClusterId, storeClusterId } from '../../src/store/cluster-id';
import { openStore } from '../../src/store/open';
import { root } from '../helpers/cli';

t.test('the reader of annotations and command lines', async (t) => {
  const cases: { name: string; md: string; problems: RegExp[]; lines?: { text: string; berth: boolean; exit: number; shows?: string; background: boolean }[] }[] = [
    {
      name: 'an annotated file block: exit codes, shows, continuations, comments',
      md: '<!-- berth-docs: file -->\n```sh\n# a comment\nberth -f c.xml node add n1\nberth cib validate bad.xml   # exit 1\nberth -f c.xml \\\n  resource config  # shows: Bundle: web\ncp a b; berth cib diff a b\n```\n',
      problems: [],
      lines: [
        { text: 'berth -f c.xml node add n1', berth: true, exit: 0, background: false },
        { text: 'berth cib validate bad.xml   # exit 1', berth: true, exit: 1, background: false },
        { text: 'berth -f c.xml  resource config  # shows: Bundle: web', berth: true, exit: 0, shows: 'Bundle: web', background: false },
        { text: 'cp a b; berth cib diff a b', berth: true, exit: 0, background: false },
      ],
    },
    { name: 'a berth line without an annotation', md: '```sh\nberth status\n```\n', problems: [/without a berth-docs annotation/] },
    { name: 'an annotation the harness does not know', md: '<!-- berth-docs: vm -->\n```sh\nberth status\n```\n', problems: [/unknown berth-docs environment 'vm'/] },
    { name: 'an unknown annotation on a block without berth lines', md: '<!-- berth-docs: flie -->\n```sh\nls\n```\n', problems: [/unknown berth-docs environment 'flie'/] },
    { name: 'an annotation with nothing after it', md: '<!-- berth-docs: file -->\ntext\n', problems: [/not followed by a fenced block/] },
    { name: 'a malformed annotation', md: '<!-- berth-docs file -->\n```sh\nls\n```\n', problems: [/malformed berth-docs annotation/] },
    { name: 'a berth command in an unlabelled fence', md: '```\nberth status\n```\n', problems: [/fence without a language/] },
    { name: 'a synopsis in a text fence is not a command line', md: '```text\nberth status [--json]\n```\n', problems: [] },
    { name: 'a daemon in a file block', md: '<!-- berth-docs: file -->\n```sh\nberth controller &\n```\n', problems: [/starts a daemon/] },
    { name: 'a here-document', md: '<!-- berth-docs: file -->\n```sh\ncat > x <<EOF\n```\n', problems: [/here-document/] },
    {
      name: 'berth after env assignments, in $( ), and a daemon in an engine block',
      md: '<!-- berth-docs: engine -->\n```bash\nBERTH_STORE=/x berth plan\necho "$(berth --version)"\nberth controller >log 2>&1 &\nls -l\n```\n',
      problems: [],
      lines: [
        { text: 'BERTH_STORE=/x berth plan', berth: true, exit: 0, background: false },
        { text: 'echo "$(berth --version)"', berth: true, exit: 0, background: false },
        { text: 'berth controller >log 2>&1 &', berth: true, exit: 0, background: true },
        { text: 'ls -l', berth: false, exit: 0, background: false },
      ],
    },
  ];
  for (const c of cases) {
    const r = readDocBlocks('x.md', c.md);
    t.equal(r.problems.length, c.problems.length, `${c.name}: ${JSON.stringify(r.problems)}`);
    c.problems.forEach((re, i) => t.match(r.problems[i]?.message, re, c.name));
    if (c.lines) t.same(r.blocks.flatMap((b) => b.lines).map(({ line: _l, ...rest }) => rest), c.lines, c.name);
  }
});

t.test('commandExists asks the CLI for the command words', async (t) => {
  const cases: { argv: string[]; ok: boolean }[] = [
    { argv: ['-f', 'c.xml', 'resource', 'bundle', 'create', 'web', 'container', 'docker', 'image=x'], ok: true },
    { argv: ['cluster', 'status', '--controller', 'http://10.0.0.1:7441'], ok: true },
    { argv: ['resource', 'bundel', 'create'], ok: false },
    { argv: ['frobnicate'], ok: false },
    { argv: ['-f'], ok: false },
  ];
  for (const c of cases) t.equal(commandExists(c.argv).ok, c.ok, c.argv.join(' '));
});

const all: { file: string; blocks: DocBlock[] }[] = [];
for (const file of documents()) all.push({ file, blocks: readDocBlocks(file, fs.readFileSync(path.join(root, file), 'utf8')).blocks });

t.test('every document: annotations known, every berth line annotated', async (t) => {
  for (const file of documents()) {
    const { problems } = readDocBlocks(file, fs.readFileSync(path.join(root, file), 'utf8'));
    t.same(problems.map((p) => `${p.file}:${p.line}: ${p.message}`), [], file);
  }
});

t.test('every berth command of every block names a command of the CLI', async (t) => {
  let count = 0;
  for (const { file, blocks } of all) {
    for (const b of blocks) {
      for (const l of b.lines) {
        for (const argv of berthCommandsOf(l)) {
          count++;
          const r = commandExists(argv);
          t.ok(r.ok, `${file}:${l.line}: ${l.text}${r.ok ? '' : ` — ${r.why}`}`);
        }
      }
    }
  }
  t.ok(count >= 50, `the documents hold berth command lines (${count})`);
});

t.test('file blocks run: each line ends as the document says', async (t) => {
  let run = 0;
  for (const { file, blocks } of all) {
    const fileBlocks = blocks.filter((b) => b.environment === 'file');
    if (!fileBlocks.length) continue;
    const d = docDir(t, file);
    for (const b of fileBlocks) {
      for (const r of await runFileBlock(d, b)) {
        run++;
        t.ok(r.ok, `${file}:${r.line.line}: ${r.line.text}`, { exit: r.code, expectedExit: r.line.exit, shows: r.line.shows, stdout: r.stdout.slice(-2000), stderr: r.stderr.slice(-2000) });
      }
    }
  }
  t.ok(run >= 20, `file lines run (${run})`);
});

// The engine and cluster runners (test/e2e/docs-*.ts) need the Docker engine; their parts that do
// not are proven here: daemons started and stopped, lines retried until they end as annotated,
// and the cluster ids whose containers the cleanup removes.
t.test('live blocks: daemons run in the background and are stopped; lines are retried', async (t) => {
  const md = "<!-- berth-docs: engine -->\n```sh\nsh -c 'sleep 1; touch ready; sleep 60' &\ntest -f ready\ntest -f never   # exit 1\n```\n";
  const { blocks, problems } = readDocBlocks('live.md', md);
  t.same(problems, []);
  const d = docDir(t, 'live.md');
  const started: StartedDaemon[] = [];
  const t0 = Date.now();
  const results = await runLiveBlock(d, blocks[0], started, 10_000);
  t.same(results.map((r) => [r.line.text, r.ok]), [['test -f ready', true], ['test -f never   # exit 1', true]]);
  t.ok(Date.now() - t0 >= 900, 'the second line was tried again until the daemon made the file');
  t.equal(started.length, 1);
  t.equal(started[0].process.exitCode, null, 'the daemon still runs');
  await stopDaemons(started);
  t.equal(started[0].process.signalCode, 'SIGTERM', 'stopped with SIGTERM');
  const failing = await runLine(d, { line: 1, text: 'false', berth: false, exit: 0, background: false }, 1200);
  t.equal(failing.ok, false, 'a line that never ends as annotated fails once the time is up');
});

t.test('the cleanup finds the cluster ids a document made', async (t) => {
  const d = docDir(t, 'ids.md');
  const made = await storeClusterId(openStore(d.env.BERTH_STORE!));
  const other = path.join(d.dir, 'other-store');
  const otherId = await storeClusterId(openStore(other));
  fs.writeFileSync(path.join(d.dir, 'web.xml'), '<cib/>');
  const ids = await clusterIdsIn(d);
  t.same([...ids].sort(), [made, otherId, fileClusterId(path.join(d.dir, 'web.xml'))].sort());
});
