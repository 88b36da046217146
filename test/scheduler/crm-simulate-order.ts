// berth's order of container starts and stops against the real Pacemaker 2.1.5 scheduler, on the
// order fixtures crm_simulate made (test/fixtures/crm_simulate/8N-order-*, see
// scripts/crm-simulate-fixtures.mjs). Pacemaker's side is the transition graph (graph.xml): each
// replica container's start or stop, and its wave — how many container starts/stops it waits for
// one after the other, through pseudo actions and addresses. berth's side is the same CIB through
// the one pass on in-memory nodes: the pass in which each start or stop is made (a start or stop
// that waits is made in a later pass). The two must be the same, action by action, and so must
// what each action that waits waits for (with interleave: the replica on its own node).
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { XmlElement, elements, parseXml } from '../../src/cib/xml';
import { fakeCluster, wipe } from '../helpers/fake-nodes';

const dir = path.join(__dirname, '..', 'fixtures', 'crm_simulate');
const cases = fs.readdirSync(dir).filter((d) => /^\d\d-order-/.test(d)).sort();

/** "start db-0" → its wave, and the container starts/stops it waits for directly (through pseudo
 * actions and addresses), from the transition graph. */
function pacemakerWaves(graphXml: string): { waves: Map<string, number>; after: Map<string, string[]> } {
  const graph = parseXml(graphXml);
  const actionOf = (s: XmlElement) => elements(elements(s, 'action_set')[0])[0];
  const deps = new Map<string, string[]>();
  const container = new Map<string, string>();
  for (const s of elements(graph, 'synapse')) {
    const a = actionOf(s);
    const id = a.attrs.id!;
    deps.set(id, elements(elements(s, 'inputs')[0] ?? { tag: 'inputs', attrs: {}, children: [] }, 'trigger').map((tr) => elements(tr)[0].attrs.id!));
    const prim = elements(a, 'primitive')[0]?.attrs.id ?? '';
    const m = /^(.*)-docker-(\d+)$/.exec(prim);
    if (a.tag === 'rsc_op' && m && (a.attrs.operation === 'start' || a.attrs.operation === 'stop')) container.set(id, `${a.attrs.operation} ${m[1]}-${m[2]}`);
  }
  const level = new Map<string, number>();
  const levelOf = (id: string): number => {
    if (level.has(id)) return level.get(id)!;
    const l = Math.max(0, ...(deps.get(id) ?? []).map((p) => levelOf(p) + (container.has(p) ? 1 : 0)));
    level.set(id, l);
    return l;
  };
  const direct = (id: string, seen = new Set<string>()): string[] => (deps.get(id) ?? []).flatMap((p) => {
    if (seen.has(p)) return [];
    seen.add(p);
    return container.has(p) ? [container.get(p)!] : direct(p, seen);
  });
  return {
    waves: new Map([...container].map(([id, what]) => [what, levelOf(id)])),
    after: new Map([...container].map(([id, what]) => [what, [...new Set(direct(id))].sort()])),
  };
}

const FAILED_STOPS =
  'a failed container has stopped already: Pacemaker stops the failed db replica (a wave of its ' +
  'own, after then\'s stops) before it starts it again; berth has no stop to make, so the start ' +
  'of db waits for then\'s stops directly and everything after it comes a wave sooner';

/**
 * Where berth's passes differ from Pacemaker's graph on purpose: why, and berth's own waves and
 * waits (asserted, so the difference cannot drift).
 */
const DIFFERENCES: Record<string, { why: string; waves: Record<string, number>; after: Record<string, string[]> }> = {
  'order-first-recovered-restarts-then': { why: FAILED_STOPS, waves: { 'start db-0': 1, 'start web-0': 2, 'stop web-0': 0 }, after: { 'start db-0': ['stop web-0'], 'start web-0': ['start db-0', 'stop web-0'] } },
  'order-interleave-restarts-peer-only': { why: FAILED_STOPS, waves: { 'start db-1': 1, 'start web-1': 2, 'stop web-1': 0 }, after: { 'start db-1': ['stop web-1'], 'start web-1': ['start db-1', 'stop web-1'] } },
  'order-restarts-every-then': { why: FAILED_STOPS, waves: { 'start db-1': 1, 'start web-0': 2, 'start web-1': 2, 'stop web-0': 0, 'stop web-1': 0 }, after: { 'start db-1': ['stop web-0', 'stop web-1'], 'start web-0': ['start db-1', 'stop web-0'], 'start web-1': ['start db-1', 'stop web-1'] } },
  'order-optional-no-cascade': { why: FAILED_STOPS, waves: { 'start db-0': 0 }, after: {} },
  'order-stop-then-stop': {
    why:
      'a stop-then-stop order cascades nothing in berth: Pacemaker stops web after db and starts it ' +
      'again (web restarts because db stops); berth orders only the stops that happen anyway, so web ' +
      'keeps running (the cascade is for start-then-start orders, the default)',
    waves: { 'stop db-0': 0 }, after: {},
  },
};

t.test('the waves of container starts and stops are Pacemaker\'s', async (t) => {
  t.ok(cases.length >= 5, 'the order fixtures are there');
  for (const name of cases) {
    const info = JSON.parse(fs.readFileSync(path.join(dir, name, 'case.json'), 'utf8')) as { name: string; nodes: Record<string, string>; running?: Record<string, string>; converge?: string[]; inject?: string[]; tools: { crm_simulate: string } };
    t.equal(info.tools.crm_simulate, 'Pacemaker 2.1.5', `${name}: made by crm_simulate 2.1.5`);
    const { waves: expected, after: expectedAfter } = pacemakerWaves(fs.readFileSync(path.join(dir, name, 'graph.xml'), 'utf8'));
    const cib = fs.readFileSync(path.join(dir, name, 'cib.xml'), 'utf8').replace(/<status>[\s\S]*<\/status>/, '<status/>');
    const names = Object.keys(info.nodes);
    const c = fakeCluster(names);
    for (const n of c.nodes) n.addresses.push({ ip: '192.168.122.1', prefix: 24, interface: 'eth0', label: 'eth0' });
    for (const [n, s] of Object.entries(info.nodes)) if (s === 'offline') c.state.set(n, 'lost');
    if (info.converge) {
      // The cluster crm_simulate converged (before.xml), converged by berth: the same replicas on
      // the same nodes; then the change (cib.xml) and the event crm_simulate injected.
      c.setCib(fs.readFileSync(path.join(dir, name, 'before.xml'), 'utf8').replace(/<status>[\s\S]*<\/status>/, '<status/>'));
      for (let i = 0; i < 6; i++) await c.pass();
      t.strictSame(Object.fromEntries([...runningOn(c.nodes)].sort()), Object.fromEntries(Object.entries(info.running ?? {}).sort()), `${name}: what runs before runs where crm_simulate converged it`);
      const inject = info.inject ?? [];
      for (let i = 0; i < inject.length; i++) {
        const failed = inject[i] === '--op-inject' && /^(.*)-docker-(\d+)_monitor_\d+@(\S+)=\d+$/.exec(inject[i + 1]);
        if (failed) for (const x of c.node(failed[3]).containers.values()) if (x.bundle === failed[1] && x.replica === Number(failed[2])) { x.state = 'exited'; x.status = 'Exited (1)'; }
        if (inject[i] === '--node-fail') { c.state.set(inject[i + 1], 'lost'); wipe(c.node(inject[i + 1])); }
      }
    } else if (info.running) {
      // What runs before: the same CIB without target-role, converged (orders and all).
      c.setCib(cib.replace(/<nvpair [^>]*name="target-role"[^>]*\/>/g, ''));
      for (let i = 0; i < 6; i++) await c.pass();
      t.strictSame(Object.keys(info.running).filter((r) => !c.nodes.some((n) => [...n.containers.values()].some((x) => `${x.bundle}-${x.replica}` === r && x.state === 'running'))), [], `${name}: what runs before runs`);
    }
    c.setCib(cib);
    const got = new Map<string, number>();
    const after = new Map<string, string[]>();
    for (let pass = 0; pass < 6; pass++) {
      const r = await c.pass();
      t.strictSame(r.cibProblems.filter((p) => p.severity === 'error'), [], `${name}: berth takes the CIB`);
      for (const n of r.nodes) {
        for (const a of [...n.plan.create, ...n.plan.start, ...n.plan.replace]) if (!got.has(`start ${a.replica}`)) got.set(`start ${a.replica}`, pass);
        for (const a of [...n.plan.stop, ...n.plan.remove]) if (!got.has(`stop ${a.replica}`)) got.set(`stop ${a.replica}`, pass);
        for (const w of n.plan.waiting) {
          const what = `${w.order?.action} ${w.replica}`;
          if (w.order && !after.has(what)) after.set(what, w.order.after.map((x) => `${x.action} ${x.replica}`).sort());
          // a move's start is held by the safety rule until its old copy is gone: Pacemaker's start
          // after its own stop
          if (!w.order && / held on \S+: a copy exists on /.test(w.message) && !after.has(`start ${w.replica}`)) after.set(`start ${w.replica}`, [`stop ${w.replica}`]);
        }
      }
    }
    const sorted = (m: Map<string, number>) => [...m].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const waited = [...got].filter(([, pass]) => pass > 0).map(([what]) => what);
    const diff = DIFFERENCES[info.name];
    if (diff) {
      t.notSame(sorted(got), sorted(expected), `${name}: berth differs on purpose: ${diff.why}`);
      t.strictSame(Object.fromEntries(sorted(got)), diff.waves, `${name}: berth's own waves`);
      t.strictSame(Object.fromEntries(waited.map((w) => [w, after.get(w)])), diff.after, `${name}: what berth's waiting actions wait for`);
      continue;
    }
    t.strictSame(sorted(got), sorted(expected), `${name}: ${JSON.parse(fs.readFileSync(path.join(dir, name, 'case.json'), 'utf8')).description}`);
    // what each action that waited waited for, where Pacemaker's graph has it
    t.strictSame(waited.map((w) => [w, after.get(w)]), waited.map((w) => [w, expectedAfter.get(w)]), `${name}: each waits for what it waits for in Pacemaker's graph`);
  }
  t.ok(Object.keys(DIFFERENCES).every((d) => cases.some((c) => c.endsWith(`-${d}`))), 'every difference names a case');
});

/** replica → the node where its container runs */
function runningOn(nodes: ReturnType<typeof fakeCluster>['nodes']): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of nodes) for (const x of n.containers.values()) if (x.state === 'running') out.set(`${x.bundle}-${x.replica}`, n.name);
  return out;
}
