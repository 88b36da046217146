// The cluster pass over in-memory nodes: placement across nodes, moves, failover of lost nodes,
// and the safety rule (never two copies of one replica) as a property over random histories of
// nodes becoming unreachable, lost (their containers gone, as a self-fenced or powered-off node's
// are), back, standby, and the CIB changing. The real engines prove it end to end in
// test/cluster/failover.ts.
import t from 'tap';
import { FAKE_CLUSTER, FakeNode, fakeCluster, runningCopies, wipe } from '../helpers/fake-nodes';
import { BERTH_LABELS } from '../../src/runtime/labels';
import type { ObservedContainer } from '../../src/runtime/engine';

interface BundleSpec { id: string; replicas: number; perHost: number; ip?: string }

function cibXml(nodes: { name: string; standby?: boolean }[], bundles: BundleSpec[], epoch = 1): string {
  const nodeXml = nodes.map((n, i) => `<node id="${i + 1}" uname="${n.name}">${n.standby ? `<instance_attributes id="nodes-${i + 1}"><nvpair id="nodes-${i + 1}-standby" name="standby" value="on"/></instance_attributes>` : ''}</node>`).join('');
  const bundleXml = bundles.map((b) => `<bundle id="${b.id}"><docker image="berth-test/httpd:1" replicas="${b.replicas}" replicas-per-host="${b.perHost}"/>${b.ip ? `<network ip-range-start="${b.ip}" host-interface="eth0" host-netmask="24"/>` : ''}</bundle>`).join('');
  return `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="${epoch}" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes>${nodeXml}</nodes><resources>${bundleXml}</resources><constraints/></configuration><status/></cib>`;
}

type Mode = 'alive' | 'unreachable' | 'lost' | 'unknown';

function cluster(names: string[]) {
  const c = fakeCluster(names);
  const mode = new Map<string, Mode>(names.map((n) => [n, 'alive']));
  // Unreachable: alternately silent (suspect: not even tried) and heartbeating but not answering.
  const pass = (apply = true) => {
    for (const [name, m] of mode) c.state.set(name, m === 'unreachable' && Number(name.slice(1)) % 2 ? 'suspect' : m);
    return c.pass(apply);
  };
  return { ...c, mode, pass };
}

const node = (c: { nodes: FakeNode[] }, name: string) => c.nodes.find((n) => n.name === name)!;
const where = (c: { nodes: FakeNode[] }) => Object.fromEntries([...runningCopies(c.nodes)].sort().map(([r, ns]) => [r, ns.join(',')]));

t.test('replicas spread over the nodes and honour replicas-per-host', async (t) => {
  const c = cluster(['n1', 'n2', 'n3']);
  c.setCib(cibXml([{ name: 'n1' }, { name: 'n2' }, { name: 'n3' }], [{ id: 'web', replicas: 5, perHost: 2 }]));
  await c.pass();
  await c.pass();
  const w = where(c);
  t.equal(Object.keys(w).length, 5, 'all five run');
  const load = new Map<string, number>();
  for (const n of Object.values(w)) load.set(n, (load.get(n) ?? 0) + 1);
  t.ok([...load.values()].every((l) => l <= 2), `at most 2 per node: ${JSON.stringify(w)}`);
  const third = await c.pass();
  t.equal(third.nodes.reduce((k, n) => k + n.plan.create.length + n.plan.remove.length + n.plan.start.length, 0), 0, 'converged: a third pass changes nothing');
});

t.test('a lost node: its replicas start elsewhere with the same name and address', async (t) => {
  const c = cluster(['n1', 'n2', 'n3']);
  c.setCib(cibXml([{ name: 'n1' }, { name: 'n2' }, { name: 'n3' }], [{ id: 'web', replicas: 3, perHost: 1, ip: '10.0.0.100' }]));
  await c.pass();
  const before = where(c);
  const victim = before['web-0'];
  const addrs = node(c, victim).addresses.filter((a) => a.label.endsWith(':berth')).map((a) => a.ip);
  t.same(addrs, ['10.0.0.100'], 'the replica address is on its node');
  wipe(node(c, victim));
  c.mode.set(victim, 'lost');
  c.setCib(cibXml([{ name: 'n1' }, { name: 'n2' }, { name: 'n3' }], [{ id: 'web', replicas: 3, perHost: 2, ip: '10.0.0.100' }]));
  const r = await c.pass();
  t.same(r.held, [], 'nothing held: the lost node is fenced');
  const after = where(c);
  t.equal(Object.keys(after).length, 3, 'all three run again');
  t.not(after['web-0'], victim, 'web-0 moved');
  t.ok(node(c, after['web-0']).addresses.some((a) => a.ip === '10.0.0.100'), 'with its address');
  t.equal(after['web-1'], before['web-1'] === victim ? after['web-1'] : before['web-1'], 'the others did not move');
});

t.test('an unreachable node is never doubled: its replicas wait', async (t) => {
  const c = cluster(['n1', 'n2']);
  c.setCib(cibXml([{ name: 'n1' }, { name: 'n2' }], [{ id: 'web', replicas: 2, perHost: 2 }]));
  await c.pass();
  const on = where(c);
  const victim = on['web-0'];
  c.mode.set(victim, 'unreachable');
  const r = await c.pass();
  t.ok(r.unreachable.some((u) => u.node === victim), 'reported unreachable');
  t.ok(r.held.length > 0, `held: ${r.held.map((h) => h.message).join('; ')}`);
  for (const copies of runningCopies(c.nodes).values()) t.equal(copies.length, 1);
  // The node is then declared lost (its lease ended; it fenced itself): now they move.
  wipe(node(c, victim));
  c.mode.set(victim, 'lost');
  await c.pass();
  t.equal(Object.keys(where(c)).length, 2, 'both run on the survivor');
  // It comes back empty; the replicas stay where they are (stickiness by default placement).
  c.mode.set(victim, 'alive');
  await c.pass();
  for (const copies of runningCopies(c.nodes).values()) t.equal(copies.length, 1);
});

t.test('a node still carrying out an earlier pass keeps its replicas in place (no move away and back)', async (t) => {
  // Found by the chaos run (docs/chaos.md): with a busy node left out of placement, its replicas
  // were placed elsewhere (held) and back on the next pass, and one placed away in a pass that
  // observed the node was removed there and made again.
  const c = cluster(['n1', 'n2', 'n3']);
  c.setCib(cibXml([{ name: 'n1' }, { name: 'n2' }, { name: 'n3' }], [{ id: 'web', replicas: 3, perHost: 2 }]));
  await c.pass();
  const before = where(c);
  const busy = before['web-0'];
  c.deps.inflight = new Map([[busy, new Promise<void>(() => undefined)]]);
  const r = await c.pass();
  t.same(r.unreachable.map((u) => u.node), [busy], `${busy} is not observed while busy`);
  t.equal(r.placements?.get('web-0'), busy, `web-0 stays placed on ${busy}`);
  t.same(r.held, [], 'nothing held: nothing was placed away from it');
  c.deps.inflight = new Map();
  const next = await c.pass();
  t.same(where(c), before, 'every replica where it was');
  t.equal(next.nodes.reduce((k, n) => k + n.plan.create.length + n.plan.remove.length + n.plan.start.length, 0), 0, 'and the next pass changes nothing');
});

t.test('a replica created but not started yet keeps its node (it has not failed)', async (t) => {
  // The chaos run saw just-created replicas placed away and back: a container in state
  // 'created' (made by an earlier pass, its start not carried out yet: the agent restarted or the
  // order timed out in between) counted as failed, and a failed replica is not kept in place
  // ahead of the others (Pacemaker's rule for a failed instance), so without stickiness it
  // swapped nodes with a replica not placed yet. Only a replica whose container exited counts as
  // failed.
  const cases: { name: string; state: ObservedContainer['state']; want: string }[] = [
    { name: 'running', state: 'running', want: 'n1' },
    { name: 'created, start pending', state: 'created', want: 'n1' },
    { name: 'restarting', state: 'restarting', want: 'n1' },
  ];
  const names = ['n1', 'n2', 'n3'];
  const got = [];
  for (const k of cases) {
    const c = cluster(names);
    c.setCib(cibXml(names.map((name) => ({ name })), [{ id: 'web', replicas: 5, perHost: 2, ip: '10.0.0.100' }, { id: 'api', replicas: 3, perHost: 1, ip: '10.0.0.150' }]));
    const put = (on: string, bundle: string, index: number, state: ObservedContainer['state']) => {
      const labels = { [BERTH_LABELS.cluster]: FAKE_CLUSTER, [BERTH_LABELS.bundle]: bundle, [BERTH_LABELS.replica]: String(index), [BERTH_LABELS.node]: on, [BERTH_LABELS.specHash]: 'h' };
      const id = `${on}-${bundle}-${index}`;
      node(c, on).containers.set(id, { id, name: `${bundle}-${index}`, image: 'berth-test/httpd:1', state, health: 'none', status: '', labels, bundle, replica: index, node: on, specHash: 'h', cluster: FAKE_CLUSTER, created: 0 });
    };
    put('n1', 'web', 0, 'running');
    put('n1', 'web', 4, 'running');
    put('n2', 'web', 2, 'running');
    put('n3', 'web', 1, 'running');
    put('n1', 'api', 1, k.state);
    const r = await c.pass(false);
    got.push({ name: k.name, state: k.state, want: r.placements?.get('api-1') ?? '(nowhere)' });
  }
  t.strictSame(got, cases, 'api-1 stays placed on n1 in every state');
});

t.test('a node never observed blocks creation until it is observed or lost', async (t) => {
  const c = cluster(['n1', 'n2']);
  c.mode.set('n2', 'unknown');
  c.setCib(cibXml([{ name: 'n1' }, { name: 'n2' }], [{ id: 'web', replicas: 1, perHost: 1 }]));
  const r = await c.pass();
  t.equal(Object.keys(where(c)).length, 0, 'nothing created');
  t.match(r.held[0]?.message ?? '', /n2 may run it/);
  c.mode.set('n2', 'lost');
  await c.pass();
  t.equal(Object.keys(where(c)).length, 1);
});

t.test('property: over random histories no replica ever runs on two nodes, and it converges', async (t) => {
  let seed = 12345;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  /** One random history; what went wrong, or undefined. */
  const oneHistory = async (run: number): Promise<string | undefined> => {
    const names = Array.from({ length: 2 + rnd(3) }, (_, i) => `n${i + 1}`);
    const c = cluster(names);
    const standby = new Set<string>();
    const bundles: BundleSpec[] = Array.from({ length: 1 + rnd(3) }, (_, i) => ({ id: `b${i}`, replicas: 1 + rnd(4), perHost: 1 + rnd(2) }));
    let epoch = 1;
    const push = () => c.setCib(cibXml(names.map((n) => ({ name: n, standby: standby.has(n) })), bundles, epoch++));
    push();
    const history: string[] = [];
    for (let step = 0; step < 25; step++) {
      const n = names[rnd(names.length)];
      const m = c.mode.get(n)!;
      switch (rnd(7)) {
        case 0: if (m === 'alive') { c.mode.set(n, 'unreachable'); history.push(`${n} unreachable`); } break;
        case 1: if (m === 'unreachable') { c.mode.set(n, 'alive'); history.push(`${n} reachable`); } break;
        case 2: if (m !== 'lost') { wipe(node(c, n)); c.mode.set(n, 'lost'); history.push(`${n} lost`); } break;
        case 3: if (m === 'lost') { c.mode.set(n, 'alive'); history.push(`${n} back`); } break;
        case 4: if (standby.has(n)) standby.delete(n); else standby.add(n); push(); history.push(`${n} standby ${standby.has(n)}`); break;
        case 5: { const b = bundles[rnd(bundles.length)]; b.replicas = 1 + rnd(5); push(); history.push(`${b.id} replicas=${b.replicas}`); break; }
        default: break;
      }
      await c.pass();
      for (const [replica, copies] of runningCopies(c.nodes)) {
        if (copies.length > 1) return `run ${run}: ${replica} runs on ${copies.join(', ')} after: ${history.join('; ')}`;
      }
    }
    // Everyone back and reachable: it converges to every placeable replica running once.
    for (const n of names) { if (c.mode.get(n) !== 'alive') c.mode.set(n, 'alive'); }
    standby.clear();
    push();
    let r = await c.pass();
    for (let i = 0; i < 4; i++) r = await c.pass();
    const placed = r.placements ? r.placements.size : 0;
    const running = [...runningCopies(c.nodes).values()];
    if (running.length !== placed || running.some((x) => x.length !== 1)) return `run ${run}: ${running.length} running of ${placed} placed after: ${history.join('; ')}`;
    return undefined;
  };
  const broken: string[] = [];
  for (let run = 0; run < 60 && !broken.length; run++) {
    const problem = await oneHistory(run);
    if (problem) broken.push(problem);
  }
  t.strictSame(broken, [], '60 random histories of 25 steps: never two copies, always converged');
});

t.test('a container stuck in removal on one node is no copy: its replica is not held elsewhere', async (t) => {
  // Issue 17: Docker cannot remove the container (its filesystem held by a mount elsewhere) and
  // lists it removing or dead; it cannot start, so the replica starts on the node it is placed on.
  const got = [];
  for (const state of ['removing', 'dead', 'exited'] as const) {
    const c = cluster(['n1', 'n2']);
    c.setCib(cibXml([{ name: 'n1' }, { name: 'n2', standby: true }], [{ id: 'web', replicas: 1, perHost: 1 }]));
    const labels = { [BERTH_LABELS.cluster]: FAKE_CLUSTER, [BERTH_LABELS.bundle]: 'web', [BERTH_LABELS.replica]: '0', [BERTH_LABELS.node]: 'n2', [BERTH_LABELS.specHash]: 'h' };
    node(c, 'n2').containers.set('old', { id: 'old', name: 'web-0', image: 'berth-test/httpd:1', state, health: 'none', status: '', labels, bundle: 'web', replica: 0, node: 'n2', specHash: 'h', cluster: FAKE_CLUSTER, created: 0 });
    const r = await c.pass(false);
    got.push({ state, held: r.held.map((h) => h.message) });
  }
  // An exited container could be started again: that one is a copy, and holds (as before).
  t.strictSame(got, [{ state: 'removing', held: [] }, { state: 'dead', held: [] }, { state: 'exited', held: ['web-0 held on n1: a copy exists on n2; it starts here once that is gone'] }]);
});
