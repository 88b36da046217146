// resource restart: through the CIB, with the real controller loop over in-memory nodes
// (test/helpers/fake-nodes.ts). The replicas stop and run again; the CIB's resources section ends
// byte-identical; a timeout or a stopped bundle leaves it so too. The same on Docker: see
// docs/resource-commands.md (the end-to-end test the lead runs).
import t, { Test } from 'tap';
import { bumpEpoch, parseCib, section } from '../../src/cib/cib';
import { serializeXml } from '../../src/cib/xml';
import { BerthError } from '../../src/errors/registry';
import type { EditCommand } from '../../src/commands/edit';
import { restartRestore, restartStop, restartTarget } from '../../src/commands/resource-restart';
import { RestartDeps, passObserver, restartBundle } from '../../src/controller/restart';
import { startController } from '../../src/controller/daemon';
import { fakeCluster, runningCopies } from '../helpers/fake-nodes';

const cibWith = (bundleInside: string) => `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="3" num_updates="0" admin_epoch="0"><configuration><crm_config/>`
  + `<nodes><node id="1" uname="n1"/></nodes><resources>\n    <bundle id="web">\n      <docker image="berth-test/httpd:1" replicas="2" replicas-per-host="2"/>${bundleInside}\n    </bundle>\n  </resources>`
  + `<constraints/></configuration><status/></cib>`;
/** The codes and values a failed restart reports. */
const failure = (p: Promise<unknown>) => p.then(() => 'no error', (e) => (e instanceof BerthError ? e.problems.map((x) => `${x.code} ${x.value ?? ''}`).join('; ') : String(e)));
const resources = (text: string) => serializeXml(section(parseCib(text), 'resources'));

/** A one-node cluster whose controller runs; restart's edges over it. */
function world(t: Test, text: string, opts: { controller?: boolean } = {}) {
  const cl = fakeCluster(['n1']);
  cl.setCib(text);
  let current = text;
  const controller = opts.controller === false ? undefined : startController(cl.deps, { log: () => {}, resyncMs: 60_000, busyMs: 50 });
  t.teardown(() => controller?.stop());
  const edits: string[] = [];
  const deps: RestartDeps = {
    read: async () => parseCib(current),
    edit: async (edit: EditCommand) => {
      const cib = parseCib(current);
      const before = serializeXml(cib);
      const r = edit({ cib, args: [], flags: { force: false } });
      if (r.changed !== false && serializeXml(cib) !== before) {
        bumpEpoch(cib);
        current = serializeXml(cib);
        cl.setCib(current);
        edits.push(resources(current));
        controller?.poke('the CIB changed (as the store watch says)');
      }
      return r;
    },
    // an observer of its own, as the CLI process has
    observe: passObserver({ ...cl.deps, memory: new Map(), memo: {} }),
    now: () => Date.now(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    log: () => {},
  };
  return { cl, deps, edits, text: () => current };
}

const META_CASES: [string, string][] = [
  ['no meta attributes', ''],
  ['meta attributes without target-role', '\n      <meta_attributes id="web-meta"><nvpair id="web-meta-prio" name="priority" value="5"/></meta_attributes>'],
  ['target-role=Started', '\n      <meta_attributes id="web-meta"><nvpair id="web-meta-tr" name="target-role" value="Started"/><nvpair id="web-meta-p" name="priority" value="1"/></meta_attributes>'],
];

for (const [name, inside] of META_CASES) {
  t.test(`restart with ${name}: the replicas stop and run again, the resources end byte-identical`, async (t) => {
    const text = cibWith(inside);
    const w = world(t, text);
    const until = async (what: string, f: () => boolean) => { const end = Date.now() + 5000; while (!f()) { if (Date.now() > end) throw new Error(`timed out: ${what}`); await new Promise((r) => setTimeout(r, 20)); } };
    await until('both replicas run', () => runningCopies(w.cl.nodes).size === 2);
    const ids = [...w.cl.node('n1').containers.keys()].sort();
    const report = await restartBundle(w.deps, ['web'], { timeoutMs: 10_000, pollMs: 50 });
    t.match(report, { bundle: 'web', running: 2 });
    t.ok(report.stoppedAfterMs <= report.startedAfterMs, 'stopped first, then running again');
    t.equal(w.edits.length, 2, 'two edits: Stopped, then back');
    t.match(w.edits[0], /name="target-role" value="Stopped"/, 'the first sets target-role=Stopped');
    t.equal(resources(w.text()), resources(text), 'the resources section is as it was, byte for byte');
    t.same([...w.cl.node('n1').containers.keys()].sort(), ids, 'the same containers, started again');
    t.equal(runningCopies(w.cl.nodes).size, 2, 'both run');
  });
}

t.test('a stopped bundle is refused and nothing changes', async (t) => {
  const text = cibWith('<meta_attributes id="m"><nvpair id="m-t" name="target-role" value="Stopped"/></meta_attributes>');
  const w = world(t, text);
  await new Promise((r) => setTimeout(r, 200));
  t.equal(await failure(restartBundle(w.deps, ['web'], { timeoutMs: 2000, pollMs: 50 })), 'RESOURCE_NOT_RUNNING web');
  t.equal(w.text(), text);
});

t.test('the replicas do not stop in time: target-role is undone, the CIB is as it was', async (t) => {
  const text = cibWith('');
  const w = world(t, text, { controller: false });
  // one pass started the replicas; nothing acts on the CIB afterwards
  await w.cl.pass();
  t.equal(runningCopies(w.cl.nodes).size, 2);
  t.equal(await failure(restartBundle(w.deps, ['web'], { timeoutMs: 300, pollMs: 50 })), 'WAIT_TIMEOUT web');
  t.equal(w.edits.length, 2, 'Stopped was set, then undone');
  t.equal(resources(w.text()), resources(text), 'the resources section is as it was');
});

t.test('what restart accepts', async (t) => {
  const cib = parseCib(cibWith('<primitive id="httpd" class="ocf" provider="heartbeat" type="apache"/>'));
  const code = (args: string[]) => { try { return restartTarget(cib, args); } catch (e) { return (e as BerthError).problems.map((p) => [p.code, p.value ?? '']).flat().join(' '); } };
  t.same([['web'], [], ['web', 'n1'], ['httpd'], ['nope']].map(code), ['web', 'USAGE ', 'USAGE ', 'ID_WRONG_KIND httpd', 'ID_NOT_FOUND nope']);
});

t.test('the undo leaves a target-role someone else set meanwhile', async (t) => {
  const cib = parseCib(cibWith(''));
  const stop = restartStop('web');
  stop.edit({ cib, args: [], flags: { force: false } });
  const memo = stop.memo();
  t.match(memo, { kind: 'added-set' });
  // someone starts it by hand meanwhile (resource enable writes target-role="")
  const pair = serializeXml(cib).match(/nvpair id="([^"]+)" name="target-role"/)![1];
  const changed = serializeXml(cib).replace(`id="${pair}" name="target-role" value="Stopped"`, `id="${pair}" name="target-role" value="Started"`);
  const live = parseCib(changed);
  const r = restartRestore(memo)({ cib: live, args: [], flags: { force: false } });
  t.equal(r.changed, false);
  t.equal(serializeXml(live), changed, 'untouched');
});

t.test('the wait outlasts an observation that fails (a leader hand-over); one that never comes back times out and undoes', async (t) => {
  // Scripted observations: a count, or an error (the leader does not answer).
  const run = async (script: (number | Error)[], timeoutMs: number) => {
    const text = cibWith('');
    const w = world(t, text, { controller: false });
    let i = 0;
    const logs: string[] = [];
    const deps: RestartDeps = {
      ...w.deps,
      observe: async () => { const s = script[Math.min(i++, script.length - 1)]; if (s instanceof Error) throw s; return { running: s, unknown: false }; },
      sleep: async () => {},
      log: (l) => logs.push(l),
    };
    const outcome = await restartBundle(deps, ['web'], { timeoutMs, pollMs: 1 }).then((r) => `ok ${r.running}`, (e: BerthError) => e.problems.map((p) => `${p.code}: ${p.message}`).join('; '));
    return { outcome, edits: w.edits.length, same: resources(w.text()) === resources(text), failedLogs: logs.filter((l) => /cannot observe/.test(l)).length };
  };
  const gone = new Error('no controller answers');
  t.same(await run([2, gone, gone, 0, gone, 2], 5000), { outcome: 'ok 2', edits: 2, same: true, failedLogs: 2 }, 'waited out, said once per failure spell');
  const never = await run([2, gone], 50);
  t.match(never, { edits: 2, same: true, failedLogs: 1 });
  t.match(never.outcome, /^WAIT_TIMEOUT: 'web': the replicas did not all stop .*\(last observation failed: no controller answers\)$/);
});
