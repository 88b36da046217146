// A converged pass's answer reused (src/controller/pass-reuse.ts), and a node's observation given again
// when it proves nothing changed (node-snapshot.ts), give the answer a full pass gives:
// random sequences of changes (the CIB, containers removed or exited by hand, nodes lost, silent
// or back, time passing a failure-timeout, listings' "Up ..." growing, nothing at all) over
// in-memory nodes; after each, a full pass (no memo) and a pass with the memo give the same
// placements and plans, and the pass with the memo applies. The memo must be used often (in 25
// passes of 360 a seed on average, at least 5 in each), and observations given again often, else
// this proves nothing.
import t from 'tap';
import { runPass } from '../../src/controller/pass';
import type { PassMemo, PassResult } from '../../src/controller/pass';
import { FakeState, fakeCluster } from '../helpers/fake-nodes';

/** A small deterministic generator (mulberry32), so that a failing seed can be run again. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]! };
}

interface Knobs { web: number; db: number; perHost: number; standby?: string; ban?: string; failures: boolean }

function cibXml(names: string[], k: Knobs, epoch: number): string {
  const nodes = names.map((n, i) => `<node id="${i + 1}" uname="${n}">${k.standby === n ? `<instance_attributes id="na-${i}"><nvpair id="na-${i}-s" name="standby" value="on"/></instance_attributes>` : ''}</node>`).join('');
  const meta = (id: string) => (k.failures ? `<meta_attributes id="${id}-m"><nvpair id="${id}-m-t" name="migration-threshold" value="1"/><nvpair id="${id}-m-f" name="failure-timeout" value="60s"/></meta_attributes>` : '');
  const bundle = (id: string, replicas: number, i: number) => `<bundle id="${id}"><docker image="berth-test/httpd:1" replicas="${replicas}" replicas-per-host="${k.perHost}"/>`
    + `<network ip-range-start="10.9.${i}.1" host-netmask="32" host-interface="eth0"><port-mapping id="${id}-port" port="80"/></network>${meta(id)}</bundle>`;
  return `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="${epoch}" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes>${nodes}</nodes>`
    + `<resources>${bundle('web', k.web, 1)}${bundle('db', k.db, 2)}</resources>`
    + `<constraints>${k.ban ? `<rsc_location id="ban" rsc="web" node="${k.ban}" score="-INFINITY"/>` : ''}</constraints></configuration><status/></cib>`;
}

/** What a pass decided, as data: placements, plans, holds, what it could not see, when to look again. */
const answer = (r: PassResult) => ({
  placements: [...(r.placements ?? new Map<string, string>())].sort(),
  unplaced: r.unplaced,
  nodes: r.nodes.map((n) => ({ node: n.node, desired: n.desired, plan: n.plan })),
  held: r.held,
  unreachable: r.unreachable,
  offline: r.offline,
  recheckAt: r.recheckAt,
});

const names = ['n1', 'n2', 'n3', 'n4'];

/** passes that reused the memo, over every seed: without snapshots, with */
const used = [0, 0];
// `snapshots`: the nodes answer as agents do (src/controller/node-snapshot.ts), so that the pass
// with the memo also gives a node's last observation again when the node proves it unchanged.
for (const [seed, snapshots] of [1, 2, 3, 4, 5, 6, 7, 8].flatMap((s) => [[s, false], [s, true]] as const)) {
  t.test(`seed ${seed}${snapshots ? ', nodes answering with snapshots' : ''}: a pass with the memo gives a full pass's answer`, async (t) => {
    const rnd = random(seed);
    let clock = Date.UTC(2026, 11, 6);
    const c = fakeCluster(names, () => clock, { snapshots });
    let epoch = 1;
    let knobs: Knobs = { web: 3, db: 2, perHost: 2, failures: false };
    c.setCib(cibXml(names, knobs, epoch));
    const memo: PassMemo = {};
    let reused = 0;
    let steps = 0;
    for (let step = 0; step < 120; step++) {
      const what = rnd.pick(['nothing', 'nothing', 'age', 'cib', 'remove', 'exit', 'node', 'time', 'address', 'hosts'] as const);
      const node = c.node(rnd.pick(names));
      const containers = [...node.containers.keys()];
      if (what === 'nothing') clock += 500;
      else if (what === 'age') {
        // Docker's "Up ..." grows with time: not a change to the answer.
        for (const x of node.containers.values()) if (x.state === 'running') x.status = `Up ${1 + rnd.int(59)} seconds`;
        clock += 1000;
      }
      else if (what === 'cib') {
        knobs = { web: 1 + rnd.int(6), db: rnd.int(4), perHost: 1 + rnd.int(2), failures: rnd.next() < 0.5, ...(rnd.next() < 0.3 ? { standby: rnd.pick(names) } : {}), ...(rnd.next() < 0.3 ? { ban: rnd.pick(names) } : {}) };
        c.setCib(cibXml(names, knobs, ++epoch));
      } else if (what === 'remove' && containers.length) node.containers.delete(rnd.pick(containers));
      else if (what === 'exit' && containers.length) {
        const x = node.containers.get(rnd.pick(containers))!;
        x.state = 'exited';
        x.status = 'Exited (1) 1 second ago';
      } else if (what === 'node') c.state.set(node.name, rnd.pick(['alive', 'alive', 'lost', 'suspect', 'unreachable'] as FakeState[]));
      else if (what === 'time') clock += 61_000;
      // By hand, no engine event: an address berth added removed, a hosts file changed.
      else if (what === 'address') node.addresses = node.addresses.filter((a, i, all) => !a.label.endsWith(':berth') || a !== all.find((x) => x.label.endsWith(':berth')));
      else if (what === 'hosts' && node.files.size) node.files.set(rnd.pick([...node.files.keys()]), '# changed by hand\n');
      // A few passes after each change, as the loop makes them: each compared, the memo's applied.
      for (let p = 0; p < 3; p++) {
        const full = await runPass({ ...c.deps }, { apply: false });
        const kept = memo.converged;
        const withMemo = await runPass({ ...c.deps, memo }, { apply: true });
        steps++;
        if (kept && withMemo.placements === kept.placements) reused++;
        t.strictSame(answer(withMemo), answer(full), `step ${step} (${what}), pass ${p}`);
        clock += 200;
      }
    }
    t.ok(reused >= 5, `the memo was used in ${reused} of ${steps} passes`);
    used[snapshots ? 1 : 0] += reused;
    if (snapshots) t.ok(c.snapshots.unchanged >= 100, `a node's observation was given again ${c.snapshots.unchanged} times`);
  });
}

t.test('the memo was used often over the seeds', async (t) => {
  t.ok(used[0] >= 25 * 8, `without snapshots: in ${used[0]} passes of ${8 * 360}`);
  t.ok(used[1] >= 25 * 8, `with snapshots: in ${used[1]} passes of ${8 * 360}`);
});

t.test('a change on one node after converging: a full pass again, and its answer', async (t) => {
  const clock = Date.UTC(2026, 11, 6);
  const c = fakeCluster(names, () => clock);
  c.setCib(cibXml(names, { web: 4, db: 2, perHost: 2, failures: false }, 1));
  const memo: PassMemo = {};
  for (let i = 0; i < 5; i++) await runPass({ ...c.deps, memo }, { apply: true });
  const kept = memo.converged;
  t.ok(kept, 'converged: the answer is kept');
  const n = c.node('n2');
  const files = n.deps.files;
  n.deps.files = { ...files, stateDir: '/state/elsewhere' };
  const moved = await runPass({ ...c.deps, memo }, { apply: false });
  t.not(moved.placements, kept!.placements, 'an agent with another state dir: placed and planned again');
  t.ok(moved.nodes.find((x) => x.node === 'n2')!.desired.bundles.some((b) => b.hostsFile?.path.startsWith('/state/elsewhere/')), 'its hosts files where it keeps them now');
  n.deps.files = files;
  await runPass({ ...c.deps, memo }, { apply: false });
  const back = memo.converged;
  t.ok(back, 'its state dir as before: converged, kept again');
  for (const x of n.containers.values()) x.status = 'Up 42 seconds';
  const again = await runPass({ ...c.deps, memo }, { apply: false });
  t.equal(again.placements, back!.placements, 'only "Up ..." changed: reused');
  t.equal(again.nodes.find((x) => x.node === 'n2')!.observed.containers[0]!.status, 'Up 42 seconds', 'with the listing as observed now');
  n.containers.delete([...n.containers.keys()][0]!);
  const after = await runPass({ ...c.deps, memo }, { apply: false });
  t.not(after.placements, back!.placements, 'a container gone: placed again');
  t.ok(after.nodes.find((x) => x.node === 'n2')!.plan.create.length > 0, 'and made again');
  t.equal(memo.converged, undefined, 'a pass with work to do is not kept');
});
