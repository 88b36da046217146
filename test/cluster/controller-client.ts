// Asking the leading controller (src/cluster/controller-client.ts): who is asked in which order,
// what a follower's answer leads to, what comes back for a request only the leader answers, and
// the replica count restart waits on, from a status answer. The transport is a table of answers.
import t from 'tap';
import { BerthError } from '../../src/errors/registry';
import { ClusterStatusAnswer, ControllerPost, askLeader, askTheLeader, leaderReplicaCount } from '../../src/cluster/controller-client';
import type { ReplicaStatus } from '../../src/reconcile/status';

/** Controllers by URL: an answer, or undefined (does not answer). Records who was asked. */
function controllers(answers: Record<string, unknown>) {
  const asked: string[] = [];
  const post: ControllerPost = async <T>(url: string) => {
    asked.push(url);
    if (answers[url] === undefined) throw new Error('ECONNREFUSED');
    return answers[url] as T;
  };
  return { post, asked };
}

const follower = (leader?: string) => ({ leading: false, leader: leader ? { url: leader } : null });
const leader = (result: unknown, problems: unknown[] = []) => ({ leading: true, cluster: 'c1', problems, result });
const A = 'http://a:1', B = 'http://b:1', C = 'http://c:1';

t.test('askLeader: in order, following the leader a follower names', async (t) => {
  interface Case { name: string; urls: string[]; answers: Record<string, unknown>; url: string | Error; asked: string[] }
  const cases: Case[] = [
    { name: 'the first leads', urls: [A, B], answers: { [A]: leader(1), [B]: leader(2) }, url: A, asked: [A] },
    { name: 'the first follows and names the leader', urls: [A, B], answers: { [A]: follower(C), [C]: leader(1) }, url: C, asked: [A, C] },
    { name: 'the first does not answer', urls: [A, B], answers: { [B]: leader(1) }, url: B, asked: [A, B] },
    { name: 'the named leader does not answer: the next given is asked', urls: [A, B], answers: { [A]: follower(C), [B]: leader(1) }, url: B, asked: [A, C, B] },
    { name: 'nobody leads: the first follower', urls: [A, B], answers: { [A]: follower(), [B]: follower() }, url: A, asked: [A, B] },
    { name: 'a leader named twice is asked once', urls: [A, B], answers: { [A]: follower(C), [B]: follower(C) }, url: A, asked: [A, C, B] },
    { name: 'nobody answers', urls: [A, B], answers: {}, url: new Error('AGENT_UNREACHABLE'), asked: [A, B] },
  ];
  for (const k of cases) {
    const c = controllers(k.answers);
    const got = await askLeader(k.urls, c.post, '/v1/x', {}, 100).then((r) => r.url, (e: BerthError) => new Error(e.problems.map((p) => p.code).join()));
    t.same({ url: got, asked: c.asked }, { url: k.url, asked: k.asked }, k.name);
  }
});

t.test('askTheLeader: the result, the request\'s problems as a BerthError, NOT_LEADER', async (t) => {
  const run = (answers: Record<string, unknown>) => askTheLeader<number>([A], controllers(answers).post, '/v1/cleanup', {}, 100)
    .then((r) => `ok ${r.url} ${r.cluster} ${r.result}`, (e: BerthError) => e.problems.map((p) => `${p.code} ${p.value ?? ''}`).join('; '));
  t.equal(await run({ [A]: leader(7) }), `ok ${A} c1 7`);
  t.equal(await run({ [A]: leader(undefined, [{ code: 'ID_NOT_FOUND', severity: 'error', path: 'resource', value: 'x', message: "Resource 'x' not found" }]) }), 'ID_NOT_FOUND x');
  t.equal(await run({ [A]: follower() }), `NOT_LEADER ${A}`);
  t.equal(await run({ [A]: leader(undefined) }), `AGENT_BAD_MESSAGE ${A}`);
  t.equal(await run({}), `AGENT_UNREACHABLE ${A}`);
});

t.test('leaderReplicaCount: running containers anywhere; unknown while anything cannot be seen', async (t) => {
  const row = (index: number, state: string | undefined, more: Partial<ReplicaStatus> = {}): ReplicaStatus => ({
    name: `web-${index}`, index, node: 'n1', upToDate: true, failures: 0,
    ...(state ? { container: { id: 'x', name: `web-${index}`, image: 'i', state, health: 'none', status: '' } } : {}), ...more,
  });
  const status = (rows: ReplicaStatus[], o: Partial<ClusterStatusAnswer> = {}, liveness = ['alive', 'alive']): ClusterStatusAnswer => ({
    leading: true, term: 3, leader: null, passes: 9,
    nodes: liveness.map((l, i) => ({ name: `n${i + 1}`, liveness: l, url: null, lostBy: null })),
    cluster: { at: 'now', bundles: [{ id: 'web', image: 'i', replicas: 2, running: 0, role: 'Started', managed: true, replicaStatus: rows }], converged: true, done: 0, failed: 0, problems: [] },
    ...o,
  });
  const cases: [string, ClusterStatusAnswer, string, { running: number; unknown: boolean }][] = [
    ['two running', status([row(0, 'running'), row(1, 'running')]), 'web', { running: 2, unknown: false }],
    ['one exited, one missing', status([row(0, 'exited'), row(1, undefined)]), 'web', { running: 0, unknown: false }],
    ['a copy on each of two nodes (a move) counts twice', status([row(0, 'running'), row(0, 'running', { node: 'n2' })]), 'web', { running: 2, unknown: false }],
    ['a replica on a node that cannot be observed', status([row(0, undefined, { unknown: true }), row(1, undefined)]), 'web', { running: 0, unknown: true }],
    ['a node not heard from yet', status([row(0, undefined)], {}, ['alive', 'unknown']), 'web', { running: 0, unknown: true }],
    ['a suspect node', status([row(0, undefined)], {}, ['suspect', 'alive']), 'web', { running: 0, unknown: true }],
    ['a lost node does not hide anything (its replicas are gone)', status([row(0, undefined)], {}, ['lost', 'alive']), 'web', { running: 0, unknown: false }],
    ['no pass yet in this term', status([], { cluster: null }), 'web', { running: 0, unknown: true }],
    ['a follower\'s answer', status([row(0, 'running')], { leading: false }), 'web', { running: 0, unknown: true }],
    ['a bundle the pass did not see', status([row(0, 'running')]), 'db', { running: 0, unknown: true }],
  ];
  for (const [name, s, bundle, want] of cases) t.same(leaderReplicaCount(s, bundle), want, name);
});
