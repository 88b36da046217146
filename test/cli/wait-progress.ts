// How `apply --wait` shows its progress: on a terminal one status line redrawn in place (rate
// limited, cleared before other output); otherwise one plain line per change; with --json one
// event per change and the result. First from a sequence of progress values, then driving the
// same loop `apply --wait` runs (runApply) on an in-memory node whose health check takes passes.
import t from 'tap';
import { changeLines, progressModeOf, progressReporter, statusLine } from '../../src/cli/wait-progress';
import { runApply } from '../../src/cli/runtime-commands';
import type { Io } from '../../src/cli/invocation';
import type { WaitProgress } from '../../src/reconcile/progress';
import { singleNodePassDeps } from '../../src/controller/deps';
import { FAKE_CLUSTER, fakeNode } from '../helpers/fake-nodes';
import { cib } from '../reconcile/scenario-kit';

function recorder(isTTY?: boolean) {
  const writes: { to: 'out' | 'err'; text: string }[] = [];
  const io: Io = { out: (s) => { writes.push({ to: 'out', text: s }); }, err: (s) => { writes.push({ to: 'err', text: s }); }, ...(isTTY !== undefined ? { isTTY } : {}) };
  return { io, writes, out: () => writes.filter((w) => w.to === 'out').map((w) => w.text).join(''), err: () => writes.filter((w) => w.to === 'err').map((w) => w.text).join('') };
}

const p = (ready: number, pending: [string, string][], total = 3): WaitProgress => ({
  node: 'n1', ready, total, pending: pending.map(([replica, why]) => ({ replica, why })), notReady: pending.map(([r]) => r), changesLeft: false,
});

// The sequence a rolling start shows: created, starting, health check, ready.
const seq: WaitProgress[] = [
  p(0, [['web-0', 'create: no container for this replica'], ['web-1', 'create: no container for this replica'], ['web-2', 'create: no container for this replica']]),
  p(0, [['web-0', 'container running, health check starting'], ['web-1', 'container running, health check starting'], ['web-2', 'container running, health check starting']]),
  p(0, [['web-0', 'container running, health check starting'], ['web-1', 'container running, health check starting'], ['web-2', 'container running, health check starting']]),
  p(2, [['web-2', 'container running, health check starting']]),
  p(3, []),
];

t.test('the mode: --json, else a terminal, else lines', async (t) => {
  const table: { isTTY?: boolean; json: boolean; mode: string }[] = [
    { isTTY: true, json: false, mode: 'tty' },
    { isTTY: false, json: false, mode: 'lines' },
    { json: false, mode: 'lines' },
    { isTTY: true, json: true, mode: 'json' },
  ];
  for (const c of table) t.equal(progressModeOf(recorder(c.isTTY).io, c.json), c.mode, JSON.stringify(c));
});

t.test('status line and change lines', async (t) => {
  t.equal(statusLine(seq[1]), 'n1: 0/3 ready; waiting for web-0: container running, health check starting (+2 more)');
  t.equal(statusLine(seq[4]), 'n1: 3/3 ready');
  t.equal(statusLine({ ...seq[4], changesLeft: true }), 'n1: 3/3 ready; changes left');
  t.same(changeLines(seq[1], seq[2]), [], 'nothing changed: no line');
  t.same(changeLines(seq[2], seq[3]), ['ready: web-0 (2/3 ready)', 'ready: web-1 (2/3 ready)']);
  t.same(changeLines(undefined, p(1, [['web-1', 'container exited']], 2)), ['waiting for web-1: container exited (1/2 ready)']);
  t.same(changeLines(p(1, [['web-1', 'x']]), p(2, [['web-1', 'x']], 4)), ['n1: 2/4 ready'], 'only the count changed');
});

t.test('lines (no terminal): one line per change, no carriage return, nothing on stderr', async (t) => {
  const r = recorder(false);
  const rep = progressReporter({ io: r.io, mode: 'lines', now: () => 0 });
  for (const x of seq) rep.update(x);
  rep.io.out('Converged.\n');
  rep.finish({ converged: true });
  t.equal(r.out(), [
    'waiting for web-0: create: no container for this replica (0/3 ready)',
    'waiting for web-1: create: no container for this replica (0/3 ready)',
    'waiting for web-2: create: no container for this replica (0/3 ready)',
    'waiting for web-0: container running, health check starting (0/3 ready)',
    'waiting for web-1: container running, health check starting (0/3 ready)',
    'waiting for web-2: container running, health check starting (0/3 ready)',
    'ready: web-0 (2/3 ready)',
    'ready: web-1 (2/3 ready)',
    'ready: web-2 (3/3 ready)',
    'Converged.',
  ].join('\n') + '\n');
  t.notMatch(r.out(), /\r|\x1b/);
  t.equal(r.err(), '');
});

t.test('json: one event per change, then the result', async (t) => {
  const r = recorder(true);
  const rep = progressReporter({ io: r.io, mode: 'json', now: () => 0 });
  for (const x of seq) rep.update(x);
  rep.finish({ node: 'n1', converged: true, exit: 0, passes: 5 });
  const events = r.out().trim().split('\n').map((l) => JSON.parse(l));
  t.same(events.map((e) => [e.event, e.ready]), [['progress', 0], ['progress', 0], ['progress', 2], ['progress', 3], ['result', undefined]]);
  t.same(events[3], { event: 'progress', node: 'n1', ready: 3, total: 3, pending: [] });
  t.same(events[4], { event: 'result', node: 'n1', converged: true, exit: 0, passes: 5 });
  t.equal(r.err(), '');
});

t.test('terminal: redrawn in place on stderr, rate limited, cleared around other output', async (t) => {
  const r = recorder(true);
  let now = 1000;
  const rep = progressReporter({ io: r.io, mode: 'tty', now: () => now, minIntervalMs: 250, columns: 60 });
  rep.update(seq[0]);
  t.equal(r.writes.length, 1, 'first update drawn');
  t.match(r.writes[0], { to: 'err', text: /^\r\x1b\[Kn1: 0\/3 ready; waiting for web-0: create: no co/ });
  t.ok(r.writes[0].text.length <= 3 + 59 + 1, 'cut to the terminal width');
  t.match(r.writes[0].text, /…$/);
  now += 100;
  rep.update(seq[1]);
  t.equal(r.writes.length, 1, 'within 250 ms: not redrawn');
  now += 200;
  rep.update(seq[2]);
  t.equal(r.writes.length, 2, 'the held-back change is drawn by the next update');
  t.match(r.writes[1].text, /^\r\x1b\[Kn1: 0\/3 ready; waiting for web-0: container running/);
  now += 1000;
  rep.update(seq[2]);
  t.equal(r.writes.length, 2, 'the same line is not drawn again');
  rep.io.out('  * create web-3\n');
  t.same(r.writes.slice(2).map((w) => w.to), ['err', 'out', 'err'], 'cleared, the line printed, redrawn');
  t.equal(r.writes[2].text, '\r\x1b[K');
  t.equal(r.writes[3].text, '  * create web-3\n');
  now += 1000;
  rep.update(seq[3]);
  rep.finish({ converged: true });
  t.equal(r.writes[r.writes.length - 1].text, '\r\x1b[K', 'the status line is cleared at the end');
  t.notMatch(r.out(), /\r|\x1b/, 'stdout carries no control characters');
});

// ---- the loop apply --wait runs, on an in-memory node ----

const CIB = cib(`<bundle id="web"><docker image="pcmktest:http" replicas="2" replicas-per-host="2" options="--health-cmd=true"/></bundle>`);

/** runApply on a fake node whose containers report health 'starting' for their first listings. */
async function applyWait(io: Io, flags: Record<string, string | boolean>) {
  const node = fakeNode('n1');
  const engine = node.deps.engine;
  const listings = new Map<string, number>();
  const list = engine.listContainers.bind(engine);
  engine.listContainers = async (f) => {
    for (const c of node.containers.values()) {
      if (c.state !== 'running') continue;
      const n = (listings.get(c.id) ?? 0) + 1;
      listings.set(c.id, n);
      c.health = n <= 2 ? 'starting' : 'healthy';
    }
    return list(f);
  };
  const pass = singleNodePassDeps({ node: 'n1', deps: node.deps, cib: { where: 'test.xml', read: async () => CIB, clusterId: async () => FAKE_CLUSTER } });
  const inv = { args: [], flags: { force: false, json: false, help: false, wait: true, ...flags }, io };
  const progress = progressReporter({ io, mode: progressModeOf(io, !!inv.flags.json), now: () => Date.now() });
  const code = await runApply({ ...inv, io: progress.io }, { node: 'n1', pass }, { timeout: '20' }, { progress, lines: [] });
  return { code, node };
}

t.test('apply --wait without a terminal: a line per state change, then converged', async (t) => {
  const r = recorder(false);
  const { code, node } = await applyWait(r.io, {});
  t.equal(code, 0);
  t.same([...node.containers.values()].map((c) => [c.name, c.state, c.health]).sort(), [['web-0', 'running', 'healthy'], ['web-1', 'running', 'healthy']]);
  const out = r.out();
  t.match(out, /waiting for web-0: container running, health check starting \(0\/2 ready\)\n/);
  t.match(out, /ready: web-1 \(2\/2 ready\)\n/);
  t.match(out, /Converged: node n1 after \d+ passes\.\n$/);
  t.notMatch(out, /\r|\x1b/);
  // each state change once: the health check line is not repeated though it lasts several passes
  t.equal(out.split('\n').filter((l) => l.startsWith('waiting for web-0: container running')).length, 1);
});

t.test('apply --wait --json: pass objects, progress events, the result last', async (t) => {
  const r = recorder(true);
  const { code } = await applyWait(r.io, { json: true });
  t.equal(code, 0);
  const events = r.out().trim().split('\n').map((l) => JSON.parse(l));
  t.ok(events.some((e) => e.event === 'pass'), 'pass objects');
  t.ok(events.some((e) => e.event === 'progress' && e.pending.some((x: { why: string }) => /health check starting/.test(x.why))), 'a progress event names the health check');
  t.same(events[events.length - 1], { event: 'result', node: 'n1', converged: true, exit: 0, passes: events.filter((e) => e.event === 'pass').length });
});

t.test('apply --wait on a terminal: the status line on stderr, stdout clean', async (t) => {
  const r = recorder(true);
  const { code } = await applyWait(r.io, {});
  t.equal(code, 0);
  t.match(r.err(), /\r\x1b\[Kn1: 0\/2 ready; waiting for web-0: /);
  t.match(r.err(), /\r\x1b\[K$/, 'cleared at the end');
  t.notMatch(r.out(), /\r|\x1b/);
  t.match(r.out(), /Converged: node n1 after \d+ passes\.\n$/);
});
