// The command line of resource ban / move-with-constraint / move / clear / failcount show /
// cleanup / restart: argv -> exit code, problem codes, the file or ledger afterwards (untouched on
// errors), and whether the cluster or this node is asked. In-process (main), on files in a test
// directory; no engine, no store server (the cluster itself: test/cluster/failures-endpoint.ts).
import { berthInProcess, problemCodes } from '../helpers/cli';
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { fileClusterId } from '../../src/store/cluster-id';
import { nodeFiles, readLedgerOf } from '../../src/controller/node-files';
import { generateAuthKey, writeAuthKeyFile } from '../../src/agent/authkey';
import { freePort } from '../helpers/etcd';

const berth = berthInProcess;
const codes = problemCodes;

const INPUT = fs.readFileSync(path.join(__dirname, '../fixtures/resource-move/inputs/resources.xml'), 'utf8');

t.test('ban, move-with-constraint, move, clear on a file', async (t) => {
  const dir = t.testdir({});
  const file = path.join(dir, 'cib.xml');
  interface Case { argv: string[]; code: number; problems?: string[]; has?: RegExp[]; hasNot?: RegExp[]; unchanged?: boolean }
  // Steps run in order on the same file.
  const steps: Case[] = [
    { argv: ['resource', 'ban', 'B'], code: 2, problems: ['USAGE'], unchanged: true },
    { argv: ['resource', 'ban', 'B', 'n9'], code: 1, problems: ['ID_NOT_FOUND'], unchanged: true },
    { argv: ['resource', 'ban', 'X', 'n1'], code: 1, problems: ['ID_NOT_FOUND'], unchanged: true },
    { argv: ['resource', 'ban', 'B', 'n1', 'lifetime=abc'], code: 1, problems: ['OPTION_INVALID_VALUE'], unchanged: true },
    { argv: ['resource', 'ban', 'B', 'n1', '--promoted'], code: 1, problems: ['ID_WRONG_KIND'], unchanged: true },
    { argv: ['resource', 'move', 'R1', 'n1'], code: 2, problems: ['USAGE'], unchanged: true },
    { argv: ['resource', 'move-with-constraint', 'B', 'n1'], code: 1, problems: ['ID_WRONG_KIND'], unchanged: true },
    { argv: ['resource', 'ban', 'B', 'n1'], code: 0, has: [/<rsc_location id="cli-ban-B-on-n1" rsc="B" role="Started" node="n1" score="-INFINITY"\/>/] },
    { argv: ['resource', 'ban', 'B', 'n1', 'lifetime=PT1H'], code: 1, problems: ['CONSTRAINT_INVALID'], unchanged: true },
    { argv: ['resource', 'ban', 'B', 'n2', 'lifetime=PT1H'], code: 0, has: [/<date_expression id="cli-ban-B-on-n2-lifetime" operation="lt" end="\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ"\/>/] },
    { argv: ['resource', 'move-with-constraint', 'R1', 'n1'], code: 0, has: [/id="cli-prefer-R1" rsc="R1" role="Started" node="n1" score="INFINITY"/] },
    { argv: ['resource', 'clear', 'B', 'n1'], code: 0, hasNot: [/cli-ban-B-on-n1/], has: [/cli-ban-B-on-n2/] },
    { argv: ['resource', 'clear', 'B'], code: 0, hasNot: [/cli-ban-B/], has: [/cli-prefer-R1/] },
    { argv: ['resource', 'clear', 'B'], code: 0, unchanged: true },
    { argv: ['resource', 'clear', 'R1', 'n9'], code: 1, problems: ['ID_NOT_FOUND'], unchanged: true },
    { argv: ['resource', 'clear', 'R1', 'n1', 'n2'], code: 2, problems: ['USAGE'], unchanged: true },
  ];
  fs.writeFileSync(file, INPUT);
  for (const s of steps) {
    const before = fs.readFileSync(file, 'utf8');
    const r = await berth(['-f', file, ...s.argv, '--json']);
    const after = fs.readFileSync(file, 'utf8');
    const got = {
      code: r.code,
      problems: codes(r.stderr),
      unchanged: after === before,
      has: (s.has ?? []).every((re) => re.test(after)),
      hasNot: (s.hasNot ?? []).every((re) => !re.test(after)),
    };
    t.same(got, { code: s.code, problems: s.problems ?? [], unchanged: !!s.unchanged, has: true, hasNot: true }, s.argv.join(' '));
  }
  const ends = /end="([^"]+)"/.exec(fs.readFileSync(file, 'utf8'));
  t.equal(ends, null, 'the lifetime ban went with clear');
});

t.test('a lifetime ends an hour after the command', async (t) => {
  const dir = t.testdir({});
  const file = path.join(dir, 'cib.xml');
  fs.writeFileSync(file, INPUT);
  const before = Math.floor(Date.now() / 1000) * 1000;
  t.equal((await berth(['-f', file, 'resource', 'ban', 'B', 'n2', 'lifetime=PT1H'])).code, 0);
  const after = Date.now();
  const end = Date.parse(/end="([^"]+)"/.exec(fs.readFileSync(file, 'utf8'))![1].replace(' ', 'T'));
  t.ok(end >= before + 3_600_000 && end <= after + 3_600_000, `end ${new Date(end).toISOString()} is now + 1 h`);
});

t.test('help texts', async (t) => {
  for (const words of [['resource', 'restart'], ['resource', 'ban'], ['resource', 'move'], ['resource', 'move-with-constraint'], ['resource', 'clear'], ['resource', 'cleanup'], ['resource', 'failcount', 'show']]) {
    const r = await berth([...words, '--help']);
    t.same({ code: r.code, usage: r.stdout.startsWith(`Usage: berth`) && r.stdout.includes(words.join(' ')), example: /Examples?:/.test(r.stdout) }, { code: 0, usage: true, example: true }, words.join(' '));
  }
});

t.test('failcount show and cleanup on this node\'s ledger', async (t) => {
  const dir = t.testdir({ state: {} });
  const cib = path.join(dir, 'cib.xml');
  fs.writeFileSync(cib, INPUT);
  const state = path.join(dir, 'state');
  const cluster = fileClusterId(cib);
  const L = ['--cib', cib, '--state-dir', state, '--node', 'n1'];
  await nodeFiles(state).writeLedger(cluster, {
    c1: { baseline: 0, extra: 0, count: 2, lastFailureAt: 1000, replica: 'B-0' }, // two engine restarts
    'replica:B:1': { baseline: 0, extra: 0, count: 3, lastFailureAt: 2000 },
    c2: { baseline: 0, extra: 1, count: 1, lastFailureAt: 3000, replica: 'B2-0' }, // one start by berth
    // a failed monitor of the resource inside B, in replica B-0's container (guest node B-0)
    'inner:c1:monitor_30000': { baseline: 0, extra: 1, count: 1, lastFailureAt: 4000, replica: 'B-0', resource: 'BR', op: 'monitor_30000', onFail: 'restart', seen: 'x:1' },
  });
  const ledgerText = () => fs.readFileSync(path.join(state, 'clusters', cluster, 'failures.json'), 'utf8');
  interface Case { argv: string[]; code: number; stdout?: string; problems?: string[]; unchanged?: boolean }
  const steps: Case[] = [
    { argv: ['resource', 'failcount', 'show', ...L], code: 0, stdout: "Failcounts for resource 'B-0'\n  n1: 2\nFailcounts for resource 'B-1'\n  n1: 3\nFailcounts for resource 'B2-0'\n  n1: 1\nFailcounts for resource 'BR'\n  B-0: 1\n", unchanged: true },
    { argv: ['resource', 'failcount', 'show', 'B', ...L], code: 0, stdout: "Failcounts for resource 'B-0'\n  n1: 2\nFailcounts for resource 'B-1'\n  n1: 3\nFailcounts for resource 'BR'\n  B-0: 1\n", unchanged: true },
    // The resource inside: its operations' failures, on its guest node (as Pacemaker counts them).
    { argv: ['resource', 'failcount', 'show', 'BR', ...L, '--full'], code: 0, stdout: "Failcounts for resource 'BR'\n  B-0:\n    monitor 30000ms: 1\n", unchanged: true },
    { argv: ['resource', 'failcount', 'show', 'BR', 'node=n1', ...L], code: 0, stdout: "Failcounts for resource 'BR' on node 'n1'\n  B-0: 1\n", unchanged: true },
    { argv: ['resource', 'failcount', 'show', 'R1', ...L], code: 0, stdout: "No failcounts for resource 'R1'\n", unchanged: true },
    { argv: ['resource', 'failcount', 'show', 'B', 'node=n2', ...L], code: 0, stdout: "No failcounts for resource 'B' on node 'n2'\n", unchanged: true },
    { argv: ['resource', 'failcount', 'show', 'B', 'operation=start', ...L, '--json'], code: 1, problems: ['OPTION_UNKNOWN'], unchanged: true },
    { argv: ['-f', cib, 'resource', 'failcount', 'show', '--json'], code: 2, problems: ['USAGE'], unchanged: true },
    { argv: ['resource', 'cleanup', 'X', ...L, '--json'], code: 1, problems: ['ID_NOT_FOUND'], unchanged: true },
    { argv: ['resource', 'cleanup', 'R1', ...L, '--json'], code: 1, problems: ['ID_WRONG_KIND'], unchanged: true },
    { argv: ['-f', cib, 'resource', 'cleanup', '--json'], code: 2, problems: ['USAGE'], unchanged: true },
    { argv: ['resource', 'cleanup', 'B-1', ...L], code: 0, unchanged: false },
    { argv: ['resource', 'failcount', 'show', ...L], code: 0, stdout: "Failcounts for resource 'B-0'\n  n1: 2\nFailcounts for resource 'B2-0'\n  n1: 1\nFailcounts for resource 'BR'\n  B-0: 1\n", unchanged: true },
    { argv: ['resource', 'cleanup', 'BR', ...L], code: 0, unchanged: false },
    { argv: ['resource', 'failcount', 'show', ...L], code: 0, stdout: "Failcounts for resource 'B-0'\n  n1: 2\nFailcounts for resource 'B2-0'\n  n1: 1\n", unchanged: true },
    { argv: ['resource', 'cleanup', 'B', ...L], code: 0, unchanged: false },
    { argv: ['resource', 'cleanup', 'B', ...L], code: 0, unchanged: true },
    { argv: ['resource', 'cleanup', ...L], code: 0, unchanged: false },
    { argv: ['resource', 'failcount', 'show', ...L], code: 0, stdout: 'No failcounts\n', unchanged: true },
  ];
  for (const s of steps) {
    const before = ledgerText();
    const r = await berth(s.argv);
    const got = { code: r.code, problems: codes(r.stderr), unchanged: ledgerText() === before, ...(s.stdout !== undefined ? { stdout: r.stdout } : {}) };
    t.same(got, { code: s.code, problems: s.problems ?? [], unchanged: !!s.unchanged, ...(s.stdout !== undefined ? { stdout: s.stdout } : {}) }, s.argv.join(' '));
  }
  t.same(readLedgerOf(state, cluster), {
    c1: { baseline: 2, extra: 0, count: 0, replica: 'B-0' },
    c2: { baseline: 0, extra: 0, count: 0, replica: 'B2-0' },
    // forgotten, the failure already seen still known (not counted again) and marked cleaned up
    'inner:c1:monitor_30000': { baseline: 0, extra: 0, count: 0, resource: 'BR', op: 'monitor_30000', replica: 'B-0', seen: 'x:1', cleaned: 'x:1' },
  }, 'counts forgotten; the engine restarts already seen are the new baseline');
});

t.test('restart: what is refused before any engine is asked', async (t) => {
  const dir = t.testdir({});
  const multi = path.join(dir, 'multi.xml');
  fs.writeFileSync(multi, INPUT); // nodes n1 and n2
  const single = path.join(dir, 'single.xml');
  fs.writeFileSync(single, INPUT.replace(/<node id="2" uname="n2"\/>/, ''));
  const table: [string, string[], number, string[]][] = [
    ['-f is refused: a restart needs the running cluster', ['-f', multi, 'resource', 'restart', 'B'], 2, ['USAGE']],
    ['a bad --timeout', ['resource', 'restart', 'B', '--cib', single, '--node', 'n1', '--timeout', 'soon'], 2, ['USAGE']],
    ['other nodes in the CIB', ['resource', 'restart', 'B', '--cib', multi, '--node', 'n1'], 1, ['CLUSTER_MODE_UNSUPPORTED']],
    ['no such resource', ['resource', 'restart', 'X', '--cib', single, '--node', 'n1'], 1, ['ID_NOT_FOUND']],
    ['the resource inside a bundle', ['resource', 'restart', 'BR', '--cib', single, '--node', 'n1'], 1, ['ID_WRONG_KIND']],
    ['one node only', ['resource', 'restart', 'B', 'n1', '--cib', single, '--node', 'n1'], 2, ['USAGE']],
  ];
  for (const [name, argv, code, problems] of table) {
    const before = [fs.readFileSync(multi, 'utf8'), fs.readFileSync(single, 'utf8')];
    const r = await berth([...argv, '--json']);
    t.same({ code: r.code, problems: codes(r.stderr), unchanged: fs.readFileSync(multi, 'utf8') === before[0] && fs.readFileSync(single, 'utf8') === before[1] }, { code, problems, unchanged: true }, name);
  }
});

t.test('on the live CIB (a file store): ban and clear by compare-and-swap; move is checked as pcs does', async (t) => {
  const dir = t.testdir({ store: {} });
  const S = ['--store', path.join(dir, 'store')];
  const file = path.join(dir, 'cib.xml');
  t.equal((await berth(['cluster', 'cib', file, ...S])).code, 0, 'pull the (empty) live CIB');
  fs.writeFileSync(file, INPUT.replace(/epoch="\d+"/, 'epoch="100"'));
  t.equal((await berth(['cluster', 'cib-push', file, ...S])).code, 0, 'push the resources');
  const live = async () => (await berth(['cluster', 'cib', ...S])).stdout;
  const table: [string[], number, string[], RegExp | null][] = [
    [['resource', 'move', 'B', 'n1'], 1, ['ID_WRONG_KIND'], null],
    [['resource', 'move', 'R1', 'n1'], 1, ['ID_WRONG_KIND'], null],
    [['resource', 'ban', 'B', 'n2', 'lifetime=P1D'], 0, [], /cli-ban-B-on-n2-lifetime/],
    [['resource', 'clear', 'B'], 0, [], null],
  ];
  for (const [argv, code, problems, after] of table) {
    const before = await live();
    const r = await berth([...argv, ...S, '--json']);
    const now = await live();
    t.same({ code: r.code, problems: codes(r.stderr), changed: now !== before, after: after ? after.test(now) : !/cli-ban/.test(now) }, { code, problems, changed: code === 0, after: true }, argv.join(' '));
  }
});

t.test('the cluster or this node: --controller, the node flags, BERTH_CONTROLLER, the client config', async (t) => {
  const dir = t.testdir({ state: {} });
  const cib = path.join(dir, 'cib.xml');
  fs.writeFileSync(cib, INPUT);
  const state = path.join(dir, 'state');
  await nodeFiles(state).writeLedger(fileClusterId(cib), { c1: { baseline: 0, extra: 0, count: 2, lastFailureAt: 1000, replica: 'B-0' } });
  const key = path.join(dir, 'authkey');
  writeAuthKeyFile(key, generateAuthKey());
  // A controller URL where nothing listens: asking the cluster fails with AGENT_UNREACHABLE.
  const url = `http://127.0.0.1:${await freePort()}`;
  const config = (name: string, text: string) => { const f = path.join(dir, name); fs.writeFileSync(f, text); return f; };
  const good = config('client.json', JSON.stringify({ controllers: [url], authkey: key }));
  const broken = config('broken.json', '{"controllers": ');
  const none = path.join(dir, 'missing.json');
  const L = ['--cib', cib, '--state-dir', state, '--node', 'n1'];
  const C = ['--controller', url, '--authkey', key];
  const COUNTS = "Failcounts for resource 'B-0'\n  n1: 2\n";
  type Env = { BERTH_CONFIG: string; BERTH_CONTROLLER?: string; BERTH_AUTHKEY?: string };
  const cases: [string, string[], Env, number, string[], string?][] = [
    ['the node flags: this node, even with a controller configured', ['resource', 'failcount', 'show', ...L], { BERTH_CONFIG: good, BERTH_CONTROLLER: url }, 0, [], COUNTS],
    ['--controller: the cluster', ['resource', 'failcount', 'show', ...C], { BERTH_CONFIG: none }, 1, ['AGENT_UNREACHABLE']],
    ['BERTH_CONTROLLER and no node flag: the cluster', ['resource', 'failcount', 'show'], { BERTH_CONFIG: none, BERTH_CONTROLLER: url, BERTH_AUTHKEY: key }, 1, ['AGENT_UNREACHABLE']],
    ['the client config and no node flag: the cluster', ['resource', 'cleanup', 'B'], { BERTH_CONFIG: good }, 1, ['AGENT_UNREACHABLE']],
    ['a broken client config is said, not taken as absent', ['resource', 'cleanup', 'B'], { BERTH_CONFIG: broken }, 1, ['CLIENT_CONFIG_INVALID']],
    ['--controller with --state-dir', ['resource', 'cleanup', 'B', ...C, '--state-dir', state], { BERTH_CONFIG: none }, 2, ['USAGE']],
    ['--controller with --node', ['resource', 'failcount', 'show', ...C, '--node', 'n1'], { BERTH_CONFIG: none }, 2, ['USAGE']],
    ['--controller with --store', ['resource', 'cleanup', ...C, '--store', path.join(dir, 'store')], { BERTH_CONFIG: none }, 2, ['USAGE']],
    ['--controller without an authkey anywhere', ['resource', 'cleanup', '--controller', url], { BERTH_CONFIG: none, BERTH_AUTHKEY: path.join(dir, 'no-key') }, 1, ['AUTHKEY_INVALID']],
    ['restart with --controller and --cib: the cluster (the CIB\'s other nodes are no refusal)', ['resource', 'restart', 'B', ...C, '--cib', cib], { BERTH_CONFIG: none }, 1, ['AGENT_UNREACHABLE']],
    ['restart with --cib alone: this node, and the CIB has another', ['resource', 'restart', 'B', '--cib', cib], { BERTH_CONFIG: good }, 1, ['CLUSTER_MODE_UNSUPPORTED']],
    ['restart with --controller and --state-dir', ['resource', 'restart', 'B', ...C, '--cib', cib, '--state-dir', state], { BERTH_CONFIG: none }, 2, ['USAGE']],
  ];
  const saved = { BERTH_CONFIG: process.env.BERTH_CONFIG, BERTH_CONTROLLER: process.env.BERTH_CONTROLLER, BERTH_AUTHKEY: process.env.BERTH_AUTHKEY };
  t.teardown(() => { for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; } });
  const files = () => [fs.readFileSync(cib, 'utf8'), JSON.stringify(readLedgerOf(state, fileClusterId(cib)))].join('\n');
  for (const [name, argv, env, code, problems, stdout] of cases) {
    for (const k of Object.keys(saved)) delete process.env[k];
    Object.assign(process.env, env);
    const before = files();
    const r = await berth([...argv, ...(stdout === undefined ? ['--json'] : [])]);
    t.same(
      { code: r.code, problems: codes(r.stderr), unchanged: files() === before, ...(stdout !== undefined ? { stdout: r.stdout } : {}) },
      { code, problems, unchanged: true, ...(stdout !== undefined ? { stdout } : {}) },
      name,
    );
  }
});
