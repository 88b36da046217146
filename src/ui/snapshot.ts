// The status page's data, made from what the controller knows (pure: `now` comes in), and what
// changed between two of them: the patch a page applies and the events of the timeline.
// Inputs: the membership (`cluster status`'s nodes, leader, term), the last pass (its bundles and
// replicas as `clusterStatus` tells them, and its plans), and the GitOps record of the store.
import type { ClusterStatus, ReplicaStatus, ResourceStatus } from '../reconcile/status';
import type { Plan } from '../reconcile/plan';
import { planChanges } from '../reconcile/plan';
import type { GitopsState } from '../gitops/state';

/** A node as the controller's membership tells it (`cluster status`'s nodes). */
export interface MembershipNode { name: string; liveness: string; standby?: boolean; url: string | null; lostBy: string | null }

export interface UiInputs {
  /** the cluster's id */
  cluster: string;
  /** this controller's URL (its --advertise) */
  controller: string;
  leading: boolean;
  term: number | null;
  leader: string | null;
  nodes: readonly MembershipNode[];
  /** the last pass of this term, when there is one */
  pass?: {
    number: number;
    at: number;
    status: ClusterStatus;
    plans: readonly { node: string; plan: Plan; applied?: { outcomes: readonly { action: string; replica: string; ok: boolean; error?: string }[] } }[];
    held: readonly { replica?: string; message: string }[];
    unplaced: readonly { replica: string; reason: string }[];
    /** the CIB's epoch as the pass read it */
    epoch?: string;
  };
  /** the GitOps record (`gitops status`); null: no GitOps on this store */
  gitops: GitopsState | null;
  now: number;
}

export type UiNodeState = 'online' | 'standby' | 'lost' | 'fenced' | 'suspect' | 'unknown';

export interface UiNode { name: string; state: UiNodeState; url: string | null; replicas: number; running: number }

export interface UiBundle { id: string; image: string; replicas: number; running: number; targetRole: string; managed: boolean; note?: string; resource?: { id: string; agent: string; promotable: boolean } }

export interface UiReplica {
  /** NAME@NODE: a replica shows on two nodes while it moves */
  key: string;
  name: string;
  bundle: string;
  node: string;
  address?: string;
  /** the container's state, 'none' without a container, 'unknown' on a node that cannot be observed */
  state: string;
  health?: string;
  upToDate: boolean;
  failures: number;
  lastFailureAt?: string;
  /** why it is not running, or what the plan does about it */
  why?: string;
  /** the resource inside the bundle, as its executor reports it (`berth status`'s ResourceStatus):
   * its role in crm_mon's words (Started, Promoted, Unpromoted, Stopped, FAILED ..., unknown) */
  resource?: ResourceStatus;
}

export interface UiPlanItem { node: string; kind: string; replica?: string; reason: string; outcome: 'pending' | 'done' | 'failed' | 'held' | 'waiting' | 'unplaced'; error?: string }

/** A failure in words: a replica's fail count (`failcount`), the last failed operation of the
 * resource inside (`resource`), an order that failed (`action`, with the engine's code) or a
 * replica that cannot run (`blocked`, with the plan's code). */
export interface UiFailure { kind: 'failcount' | 'resource' | 'action' | 'blocked'; replica?: string; node?: string; code?: string; message: string; at?: string }

export interface UiGitops { state: 'not configured' | 'in sync' | 'drift' | 'refused' | 'error' | 'suspended'; revision?: string; source?: string; at?: string; lastError?: string }

export interface UiSnapshot {
  cluster: string;
  controller: string;
  leading: boolean;
  term: number | null;
  leader: string | null;
  /** when the controller made it */
  at: string;
  /** when the last pass ended */
  passAt: string | null;
  pass: number | null;
  epoch: string | null;
  converged: boolean;
  counts: { online: number; standby: number; lost: number; otherNodes: number; running: number; notRunning: number; failed: number };
  gitops: UiGitops;
  nodes: UiNode[];
  bundles: UiBundle[];
  replicas: UiReplica[];
  failures: UiFailure[];
  plan: UiPlanItem[];
  /** the plan's items beyond those listed (a first pass over a large cluster plans thousands) */
  planMore: number;
  problems: { code: string; message: string }[];
}

/** The plan items a snapshot lists; the rest are counted. */
export const PLAN_LIMIT = 500;

export function nodeState(n: MembershipNode): UiNodeState {
  if (n.liveness === 'lost') return n.lostBy === 'fence-command' ? 'fenced' : 'lost';
  if (n.liveness === 'alive') return n.standby ? 'standby' : 'online';
  return n.liveness === 'suspect' ? 'suspect' : 'unknown';
}

function replicaRow(bundle: string, r: ReplicaStatus): UiReplica {
  return {
    key: `${r.name}@${r.node}`,
    name: r.name,
    bundle,
    node: r.node,
    ...(r.address ? { address: r.address } : {}),
    state: r.container?.state ?? (r.unknown ? 'unknown' : 'none'),
    ...(r.container && r.container.health !== 'none' ? { health: r.container.health } : {}),
    upToDate: r.upToDate,
    failures: r.failures,
    ...(r.lastFailureAt ? { lastFailureAt: r.lastFailureAt } : {}),
    ...(r.note ? { why: r.note } : {}),
    ...(r.resource ? { resource: r.resource } : {}),
  };
}

function gitopsView(g: GitopsState | null): UiGitops {
  if (!g || !g.source) return { state: 'not configured' };
  const base = {
    ...(g.applied ? { revision: g.applied.revision } : {}),
    source: g.source.kind === 'git' ? `${g.source.repository} ${g.source.ref}` : g.source.dir,
    ...(g.last ? { at: g.last.at } : {}),
    ...(g.lastError ? { lastError: g.lastError.message } : {}),
  };
  if (g.suspended) return { state: 'suspended', ...base };
  const r = g.last?.result;
  if (r === 'refused' || r === 'conflict') return { state: 'refused', ...base };
  if (r === 'error') return { state: 'error', ...base };
  if (g.drift && g.drift.items.length && !g.drift.repaired) return { state: 'drift', ...base };
  return { state: 'in sync', ...base };
}

export function makeSnapshot(i: UiInputs): UiSnapshot {
  const nodes: UiNode[] = i.nodes.map((n) => ({ name: n.name, state: nodeState(n), url: n.url, replicas: 0, running: 0 }));
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const replicas: UiReplica[] = [];
  const bundles: UiBundle[] = [];
  for (const b of i.pass?.status.bundles ?? []) {
    bundles.push({ id: b.id, image: b.image, replicas: b.replicas, running: b.running, targetRole: b.role, managed: b.managed, ...(b.note ? { note: b.note } : {}), ...(b.resource ? { resource: b.resource } : {}) });
    for (const r of b.replicaStatus) {
      const row = replicaRow(b.id, r);
      replicas.push(row);
      const n = byName.get(row.node);
      if (n) {
        n.replicas++;
        if (row.state === 'running') n.running++;
      }
    }
  }
  const failures: UiFailure[] = [];
  for (const r of replicas) {
    if (r.resource?.lastFailure) failures.push({ kind: 'resource', replica: r.name, node: r.node, message: `${r.resource.id} in ${r.name} on ${r.node}: ${r.resource.lastFailure}${r.resource.failcount ? ` (fail count ${r.resource.failcount})` : ''}` });
    if (r.failures > 0) failures.push({ kind: 'failcount', replica: r.name, node: r.node, message: `${r.name} failed ${r.failures} time${r.failures === 1 ? '' : 's'} on ${r.node}${r.why ? `: ${r.why}` : ''}`, ...(r.lastFailureAt ? { at: r.lastFailureAt } : {}) });
  }
  const plan: UiPlanItem[] = [];
  let planned = 0;
  const add = (p: UiPlanItem) => {
    planned++;
    if (plan.length < PLAN_LIMIT) plan.push(p);
  };
  for (const { node, plan: p, applied } of i.pass?.plans ?? []) {
    const outcome = new Map((applied?.outcomes ?? []).map((o) => [`${o.action} ${o.replica}`, o]));
    for (const a of planChanges(p)) {
      const replica = 'replica' in a ? a.replica : undefined;
      const o = outcome.get(`${a.kind} ${replica ?? ''}`);
      add({ node, kind: a.kind, ...(replica ? { replica } : {}), reason: a.reason, outcome: !applied ? 'pending' : o ? (o.ok ? 'done' : 'failed') : 'pending', ...(o?.error ? { error: o.error } : {}) });
      if (o && !o.ok) failures.push({ kind: 'action', ...(replica ? { replica } : {}), node, code: 'ENGINE_FAILED', message: `${a.kind} of ${replica ?? a.bundle} on ${node} failed: ${o.error ?? 'unknown error'}` });
    }
    for (const w of p.waiting) add({ node, kind: 'wait', ...(w.replica ? { replica: w.replica } : {}), reason: w.message, outcome: 'waiting' });
    for (const b of p.blocked) failures.push({ kind: 'blocked', replica: b.replica, node, code: b.code, message: b.message });
  }
  for (const h of i.pass?.held ?? []) add({ node: '-', kind: 'hold', ...(h.replica ? { replica: h.replica } : {}), reason: h.message, outcome: 'held' });
  for (const u of i.pass?.unplaced ?? []) add({ node: '-', kind: 'place', replica: u.replica, reason: u.reason, outcome: 'unplaced' });
  const running = replicas.filter((r) => r.state === 'running').length;
  const failed = replicas.filter((r) => r.state !== 'running' && r.failures > 0).length;
  const count = (s: UiNodeState) => nodes.filter((n) => n.state === s).length;
  const lost = count('lost') + count('fenced');
  return {
    cluster: i.cluster,
    controller: i.controller,
    leading: i.leading,
    term: i.term,
    leader: i.leader,
    at: new Date(i.now).toISOString(),
    passAt: i.pass ? new Date(i.pass.at).toISOString() : null,
    pass: i.pass?.number ?? null,
    epoch: i.pass?.epoch ?? null,
    converged: i.pass?.status.converged ?? false,
    counts: { online: count('online'), standby: count('standby'), lost, otherNodes: nodes.length - count('online') - count('standby') - lost, running, notRunning: replicas.length - running - failed, failed },
    gitops: gitopsView(i.gitops),
    nodes,
    bundles,
    replicas,
    failures,
    plan,
    planMore: planned - plan.length,
    problems: i.pass?.status.problems ?? [],
  };
}

// ---- what changed ----

export interface UiEvent {
  at: string;
  kind: 'node' | 'placement' | 'move' | 'replica' | 'fencing' | 'push' | 'refusal' | 'gitops' | 'leader' | 'action';
  text: string;
}

/** Everything but the replica rows, whole; the rows as upserts and removals by key. */
export interface UiPatch {
  head: Omit<UiSnapshot, 'replicas'>;
  upsert: UiReplica[];
  remove: string[];
}

/** Replica events told one by one in one change; beyond, one line counts the rest. */
export const EVENTS_PER_CHANGE = 20;

/** Every field of a row but its key and resource (compared apart); the check below fails to compile when one is missing. */
const ROW_FIELDS = ['name', 'bundle', 'node', 'address', 'state', 'health', 'upToDate', 'failures', 'lastFailureAt', 'why'] as const;
const RESOURCE_FIELDS = ['id', 'agent', 'role', 'failcount', 'lastFailure', 'monitor', 'promotion'] as const;
const everyResourceField: Exclude<keyof ResourceStatus, (typeof RESOURCE_FIELDS)[number]> extends never ? true : false = true;
void everyResourceField;
const everyField: Exclude<keyof UiReplica, 'key' | 'resource' | (typeof ROW_FIELDS)[number]> extends never ? true : false = true;
void everyField;
function sameRow(a: UiReplica, b: UiReplica): boolean {
  for (const f of ROW_FIELDS) if (a[f] !== b[f]) return false;
  if (!a.resource || !b.resource) return a.resource === b.resource;
  for (const f of RESOURCE_FIELDS) if (a.resource[f] !== b.resource[f]) return false;
  return true;
}

export function diffSnapshots(prev: UiSnapshot, next: UiSnapshot): { patch: UiPatch; events: UiEvent[] } {
  const { replicas: _prevRows, ...prevHead } = prev;
  void _prevRows;
  const { replicas: rows, ...head } = next;
  const before = new Map(prev.replicas.map((r) => [r.key, r]));
  const upsert: UiReplica[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    seen.add(r.key);
    const was = before.get(r.key);
    if (!was || !sameRow(was, r)) upsert.push(r);
  }
  const remove = prev.replicas.filter((r) => !seen.has(r.key)).map((r) => r.key);
  const at = next.at;
  const events: UiEvent[] = [];
  const say = (kind: UiEvent['kind'], text: string) => events.push({ at, kind, text });
  if (prev.term !== next.term || prev.leader !== next.leader) {
    say('leader', next.leader ? `leader ${next.leader}, term ${next.term ?? '-'}` : 'no leader');
  }
  const nodesBefore = new Map(prevHead.nodes.map((n) => [n.name, n.state]));
  for (const n of next.nodes) {
    const was = nodesBefore.get(n.name);
    if (was === undefined || was === n.state) continue;
    if (n.state === 'fenced') say('fencing', `node ${n.name} fenced: the fence command confirmed it is off`);
    else if (n.state === 'lost') say('node', `node ${n.name} lost: no heartbeat, its lease ended; its replicas move`);
    else if ((was === 'lost' || was === 'fenced') && n.state === 'online') say('node', `node ${n.name} is back (rejoined empty)`);
    else say('node', `node ${n.name}: ${was} -> ${n.state}`);
  }
  if (prev.epoch !== null && next.epoch !== null && prev.epoch !== next.epoch) say('push', `CIB changed: epoch ${prev.epoch} -> ${next.epoch}`);
  const problemsBefore = new Set(prevHead.problems.map((p) => `${p.code} ${p.message}`));
  for (const p of next.problems) if (!problemsBefore.has(`${p.code} ${p.message}`)) say('refusal', `[${p.code}] ${p.message}`);
  if (prev.gitops.state !== next.gitops.state || prev.gitops.revision !== next.gitops.revision) {
    say('gitops', `GitOps ${next.gitops.state}${next.gitops.revision ? ` at ${next.gitops.revision.slice(0, 12)}` : ''}${next.gitops.state === 'refused' || next.gitops.state === 'error' ? `: ${next.gitops.lastError ?? ''}` : ''}`);
  }
  // Replicas: where each one runs (by name), then state changes of the rows that stayed.
  const runsOn = (rs: readonly UiReplica[]) => {
    const m = new Map<string, string>();
    for (const r of rs) if (r.state === 'running') m.set(r.name, r.node);
    return m;
  };
  const was = runsOn(prev.replicas);
  const now = runsOn(rows);
  const lines: [UiEvent['kind'], string][] = [];
  for (const [name, node] of now) {
    const from = was.get(name);
    if (from === undefined) lines.push(['placement', `${name} started on ${node}`]);
    else if (from !== node) lines.push(['move', `${name} moved ${from} -> ${node}`]);
  }
  const rowOf = new Map(rows.map((r) => [r.name, r]));
  for (const [name, node] of was) {
    if (now.has(name)) continue;
    const row = rowOf.get(name);
    lines.push(['replica', `${name} stopped on ${node}${row?.why ? `: ${row.why}` : ''}`]);
  }
  for (const r of upsert) {
    const old = before.get(r.key);
    if (old?.resource && r.resource && old.resource.role !== r.resource.role) lines.push(['replica', `${r.resource.id} in ${r.name} on ${r.node}: ${old.resource.role} -> ${r.resource.role}`]);
    if (old && r.failures > old.failures) lines.push(['replica', `${r.name} failed on ${r.node} (${r.failures} failure${r.failures === 1 ? '' : 's'})`]);
  }
  for (const [kind, text] of lines.slice(0, EVENTS_PER_CHANGE)) say(kind, text);
  if (lines.length > EVENTS_PER_CHANGE) say('replica', `and ${lines.length - EVENTS_PER_CHANGE} more replica changes`);
  return { patch: { head, upsert, remove }, events };
}
