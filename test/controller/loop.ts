// THE loop's pacing: a burst of wake-ups during a pass makes one following pass, spaced by the
// pass's own duration while orders are under way; a converged loop starts a pass at once.
import t from 'tap';
import { performance } from 'node:perf_hooks';
import { LoopOutcome, startLoop } from '../../src/controller/loop';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A loop whose passes take `passMs` and answer `outcome`; records when each pass started. */
function rig(passMs: number, outcome: () => LoopOutcome) {
  const starts: number[] = [];
  let inPass = false;
  const loop = startLoop({
    now: () => Date.now(), log: () => {}, resyncMs: 60_000, busyMs: 60_000, settleMs: 60_000,
    pass: async () => {
      starts.push(performance.now());
      inPass = true;
      await sleep(passMs);
      inPass = false;
      return outcome();
    },
  });
  return { loop, starts, inPass: () => inPass };
}

const until = async (f: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!f() && Date.now() < end) await sleep(2);
  return f();
};

t.test('a burst of events during a pass makes one following pass, spaced by the pass duration while busy', async (t) => {
  const r = rig(200, () => ({ busy: true }));
  t.teardown(() => r.loop.stop());
  t.ok(await until(() => r.inPass()), 'the first pass runs');
  for (let i = 0; i < 50; i++) r.loop.event(`event ${i}`);
  t.ok(await until(() => r.starts.length === 2), 'a second pass runs');
  await sleep(600);
  t.equal(r.starts.length, 2, 'fifty events made one pass');
  const gap = r.starts[1]! - r.starts[0]!;
  t.ok(gap >= 390, `the second pass started ${Math.round(gap)} ms after the first: the pass (200 ms) and as long again`);
});

t.test('a single event on a converged loop starts a pass within a few ms', async (t) => {
  const r = rig(30, () => ({ busy: false }));
  t.teardown(() => r.loop.stop());
  t.ok(await until(() => r.starts.length === 1 && !r.inPass()), 'the first pass ran');
  await sleep(100);
  const at = performance.now();
  r.loop.event('one event');
  t.ok(await until(() => r.starts.length === 2), 'a pass runs');
  const delay = r.starts[1]! - at;
  t.ok(delay < 20, `it started ${delay.toFixed(1)} ms after the event`);
});

t.test('while busy, events after a pass wait out the spacing and make one pass', async (t) => {
  const r = rig(100, () => ({ busy: true }));
  t.teardown(() => r.loop.stop());
  t.ok(await until(() => r.starts.length === 1 && !r.inPass()), 'the first pass ended');
  // Events during the spacing pause: one pass after it, not before.
  for (let i = 0; i < 20; i++) r.loop.event(`event ${i}`);
  t.ok(await until(() => r.starts.length === 2), 'a second pass runs');
  const gap = r.starts[1]! - r.starts[0]!;
  t.ok(gap >= 190, `${Math.round(gap)} ms between the starts`);
  await sleep(300);
  t.equal(r.starts.length, 2, 'one pass for all of them');
});

t.test('an urgent wake-up (a node lost) skips the spacing, during a busy pass or its pause', async (t) => {
  const r = rig(200, () => ({ busy: true }));
  t.teardown(() => r.loop.stop());
  t.ok(await until(() => r.inPass()), 'the first pass runs');
  r.loop.event('an event');
  r.loop.urgent('node n1 lost');
  t.ok(await until(() => r.starts.length === 2), 'a second pass runs');
  const gap = r.starts[1]! - r.starts[0]!;
  t.ok(gap < 300, `the second pass started ${Math.round(gap)} ms after the first: right after it (200 ms), not spaced by another 200`);
  // Now in the third pass's spacing pause: an urgent wake-up ends it.
  t.ok(await until(() => r.starts.length === 2 && !r.inPass()), 'the second pass ended');
  r.loop.event('another event');
  await sleep(50);
  t.equal(r.starts.length, 2, 'an event waits out the spacing');
  const at = performance.now();
  r.loop.urgent('node n2 lost');
  t.ok(await until(() => r.starts.length === 3), 'a third pass runs');
  const delay = r.starts[2]! - at;
  t.ok(delay < 30, `it started ${delay.toFixed(1)} ms after the urgent wake-up, mid-pause`);
});
