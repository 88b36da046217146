// The client side of the controllers' endpoint (controller-server.ts): ask the leading controller,
// as crm_mon asks the DC. The controllers given are asked in order; a follower names the leader,
// which is asked next. Used by `cluster status`, `resource failcount show`, `resource cleanup` and
// the wait of `resource restart` on a cluster. The transport comes in (`post`: a signed POST).
import { BerthError, problem } from '../errors/registry';
import type { ClusterStatus } from '../reconcile/status';
import type { ReplicaCount } from '../controller/restart';
import type { FollowerAnswer, LeaderAnswer } from './controller-server';
import { LIMITS } from '../agent/protocol';

/** The largest answer taken from a controller: its answers are about the whole cluster (`cluster
 * status` of 10,000 replicas is megabytes), so as large as an agent's answer may be, not the
 * 64 KiB of a heartbeat's grant. */
export const CONTROLLER_ANSWER_BYTES = LIMITS.answerBytes;

/** A signed JSON POST to a controller (src/agent/signed-http.ts postSigned, with the authkey). */
export type ControllerPost = <T>(url: string, path: string, body: unknown, timeoutMs: number) => Promise<T>;

/** What every answer of a controller says about leading. */
export interface Leads { leading: boolean; leader?: { url: string } | null }

/** The answer of /v1/status (`berth cluster status`). */
export interface ClusterStatusAnswer {
  leading: boolean;
  term: number | null;
  leader: { url: string } | null;
  passes: number;
  /** how long its last pass took, ms (null before the first of its term) */
  lastPassMs?: number | null;
  /** the status page of this controller (--ui-listen), when it serves one */
  ui?: string | null;
  nodes?: { name: string; liveness: string; standby?: boolean; url: string | null; lostBy: string | null; leaseUnrecorded?: string }[];
  cluster: (ClusterStatus & { at: string }) | null;
  clusterError?: string;
}

/**
 * The answer of the first controller of `urls` that leads (asked in order; when one follows, the
 * leader it names is asked next). When none leads, the first follower's answer (the caller
 * decides). Throws AGENT_UNREACHABLE naming every controller tried when none answers.
 */
export async function askLeader<A extends Leads>(urls: readonly string[], post: ControllerPost, path: string, body: unknown, timeoutMs: number): Promise<{ url: string; answer: A }> {
  const failures: string[] = [];
  const ask = async (url: string) => {
    try {
      return await post<A>(url, path, body, timeoutMs);
    } catch (e) {
      failures.push(`${url}: ${(e as Error).message}`);
      return undefined;
    }
  };
  // A follower's answer is kept until the leader it names, or another controller given, answers.
  let follower: { url: string; answer: A } | undefined;
  const asked = new Set<string>();
  for (const url of urls) {
    if (asked.has(url)) continue;
    asked.add(url);
    const a = await ask(url);
    if (!a) continue;
    if (a.leading) return { url, answer: a };
    follower ??= { url, answer: a };
    const leader = a.leader?.url?.replace(/\/$/, '');
    if (leader && !asked.has(leader)) {
      asked.add(leader);
      const l = await ask(leader);
      if (l?.leading) return { url: leader, answer: l };
    }
  }
  if (follower) return follower;
  throw new BerthError([problem('AGENT_UNREACHABLE', { path: '--controller', value: urls.join(','), message: `no controller answers: ${failures.join('; ')}` })]);
}

/**
 * A request only the leader answers (failcounts, cleanup): its result, or the problems of the
 * request (a BerthError, as the command would have thrown them on one node); NOT_LEADER when no
 * controller that answers leads.
 */
export async function askTheLeader<R>(urls: readonly string[], post: ControllerPost, path: string, body: unknown, timeoutMs: number): Promise<{ url: string; cluster: string; result: R }> {
  const { url, answer } = await askLeader<LeaderAnswer<R>>(urls, post, path, body, timeoutMs);
  if (!answer.leading) {
    const f = answer as FollowerAnswer;
    throw new BerthError([problem('NOT_LEADER', { path: '--controller', value: url, message: `no controller leads now: ${url} follows ${f.leader?.url ?? '(no leader yet)'}; try again in a few seconds` })]);
  }
  if (answer.problems.length) throw new BerthError(answer.problems);
  if (answer.result === undefined) throw new BerthError([problem('AGENT_BAD_MESSAGE', { path: '--controller', value: url, message: `the answer of ${url}${path} has no result` })]);
  return { url, cluster: answer.cluster, result: answer.result };
}

/**
 * A bundle's replicas as the leader's last pass saw them (restart's wait on a cluster): those whose
 * container runs anywhere, and whether some may run where nobody can look (a node that cannot be
 * observed, a node not yet heard from, no pass yet, no leader).
 */
export function leaderReplicaCount(s: ClusterStatusAnswer, bundle: string): ReplicaCount {
  if (!s.leading || !s.cluster) return { running: 0, unknown: true };
  const b = s.cluster.bundles.find((x) => x.id === bundle);
  if (!b) return { running: 0, unknown: true };
  const running = b.replicaStatus.filter((r) => r.container?.state === 'running').length;
  const blind = (s.nodes ?? []).some((n) => n.liveness === 'unknown' || n.liveness === 'suspect');
  return { running, unknown: blind || b.replicaStatus.some((r) => r.unknown === true) };
}

/** How long a status request may take (cluster status asks with the same). */
export const STATUS_TIMEOUT_MS = 5000;

/** Restart's "replicas running now" on a cluster: asked of the leader's status each time. */
export function leaderObserver(urls: readonly string[], post: ControllerPost, statusPath: string): (bundle: string) => Promise<ReplicaCount> {
  return async (bundle) => leaderReplicaCount((await askLeader<ClusterStatusAnswer>(urls, post, statusPath, {}, STATUS_TIMEOUT_MS)).answer, bundle);
}
