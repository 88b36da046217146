// What an agent's orders may touch. An authenticated order is still only carried out within the
// agent's scope: containers labelled for this node and this agent's cluster (as the reconciler
// makes them), berth's node files of that cluster, directories outside system paths and outside
// the agent's own state (its fencing record, its lease), and create specs within the host access
// the agent allows (src/runtime/host-access.ts). A leaked authkey then commands berth's replicas,
// not the host. Pure but for `resolve` (the real path of what exists), which the server passes.
//
// Terms: a *verdict* is undefined (in scope) or the coded refusal; *own state* is the state dir
// outside `clusters/` (agent-term.json, agent-lease.json).
import path from 'node:path';
import { BERTH_LABELS, CLUSTER_ID_PATTERN, NEXT_SUFFIX } from '../runtime/labels';
import type { ContainerSpec } from '../runtime/engine';
import { DEFAULT_HOST_ACCESS, HostAccess, PathGuard, SYSTEM_PATHS, hostAccessAsks, systemPathOf } from '../runtime/host-access';
import { replicaName } from '../model/bundle';

export type ScopeCode = 'AGENT_SCOPE_REFUSED' | 'AGENT_HOST_ACCESS_DENIED';
export type ScopeVerdict = undefined | { code: ScopeCode; message: string };

/** What the agent lets a created container ask of the host: the accesses (`--allow`, `--deny`)
 * and host directories it may bind even when they are system paths (`--allow-mount`). */
export interface HostPolicy {
  allow: ReadonlySet<HostAccess>;
  mounts: readonly string[];
}

export const DEFAULT_HOST_POLICY: HostPolicy = { allow: new Set(DEFAULT_HOST_ACCESS), mounts: [] };

export interface AgentScope {
  node: string;
  /** the cluster the agent serves; undefined before a grant named one (then nothing is in scope) */
  cluster: string | undefined;
  stateDir: string;
  /** the node's Pacemaker key: the one file outside the state dir berth binds into replicas (those
   * that run pacemaker-remoted), read-only */
  remoteKey?: string;
  policy: HostPolicy;
  /** the real path of `p` (symbolic links of the part that exists resolved); default: `p` */
  resolve?: (p: string) => string;
}

const scopeRefusal = (message: string): ScopeVerdict => ({ code: 'AGENT_SCOPE_REFUSED', message });

/** Whether a container with these labels is one of this agent's replicas. */
export function containerVerdict(what: string, labels: Record<string, string> | undefined, s: AgentScope): ScopeVerdict {
  if (s.cluster === undefined) return scopeRefusal(`${what}: this agent serves no cluster yet (no heartbeat grant has named one)`);
  const l = labels ?? {};
  const want: [string, string | undefined][] = [[BERTH_LABELS.node, s.node], [BERTH_LABELS.cluster, s.cluster]];
  for (const [label, value] of want) {
    if (l[label] !== value) return scopeRefusal(`${what} is not a replica of this agent: label ${label} is ${l[label] === undefined ? 'missing' : `'${l[label]}'`}, not '${value}'`);
  }
  if (!l[BERTH_LABELS.bundle]) return scopeRefusal(`${what} is not a replica of this agent: it has no ${BERTH_LABELS.bundle} label`);
  return undefined;
}

/** The names a replica's container may have: `<bundle>-<index>`, or that with the suffix a
 * replace gives the new container until the old one is gone. */
export function replicaNames(labels: Record<string, string>): string[] {
  const bundle = labels[BERTH_LABELS.bundle];
  const replica = labels[BERTH_LABELS.replica];
  if (!bundle || replica === undefined || !/^(0|[1-9]\d{0,8})$/.test(replica)) return [];
  const name = replicaName(bundle, Number(replica));
  return [name, name + NEXT_SUFFIX];
}

export function renameVerdict(what: string, labels: Record<string, string>, to: string): ScopeVerdict {
  const names = replicaNames(labels);
  return names.includes(to) ? undefined : scopeRefusal(`${what} may not be renamed to ${to}: a replica is named ${names.join(' or ') || '<bundle>-<index>'}`);
}

/** A create spec: one of this agent's replicas, named as one, within the host policy. */
export function createVerdict(spec: ContainerSpec, s: AgentScope): ScopeVerdict {
  const what = `container ${spec.name}`;
  const labels = (spec.Labels ?? {}) as Record<string, string>;
  const scoped = containerVerdict(what, labels, s);
  if (scoped) return scoped;
  const names = replicaNames(labels);
  if (!names.includes(spec.name)) return scopeRefusal(`${what} is not named as a replica of its labels (${names.join(' or ') || `a decimal ${BERTH_LABELS.replica} label`})`);
  // Checked as given and with the bind sources' symbolic links resolved (a link to /etc is /etc).
  const guard = stateGuard(s, true);
  const seen = new Set<string>();
  const denied = [...hostAccessAsks(spec.HostConfig, guard), ...hostAccessAsks(realBinds(spec.HostConfig, s), guard)]
    .filter((a) => !s.policy.allow.has(a.access) && !(a.access === 'mount-system' && allowedMount(a.value, s)))
    .filter((a) => !seen.has(`${a.access} ${a.field} ${a.value}`) && seen.add(`${a.access} ${a.field} ${a.value}`));
  if (!denied.length) return undefined;
  const kinds = [...new Set(denied.map((a) => a.access))];
  return {
    code: 'AGENT_HOST_ACCESS_DENIED',
    message: `${what} asks for host access this agent does not allow: ${denied.map((a) => `${a.access} (${a.field} ${a.value})`).join(', ')}; start the agent with --allow ${kinds.join(',')}${kinds.includes('mount-system') ? ' (or --allow-mount DIR)' : ''} to allow it`,
  };
}

/** The HostConfig with every bind source replaced by its real path. */
function realBinds(h: ContainerSpec['HostConfig'], s: AgentScope): ContainerSpec['HostConfig'] {
  if (!h || !s.resolve) return undefined;
  const real = (p: string) => (p.startsWith('/') ? resolved(p, s) : p);
  return {
    ...(h.Binds ? { Binds: h.Binds.map((b) => { const [source, ...rest] = b.split(':'); return [real(source), ...rest].join(':'); }) } : {}),
    ...(h.Mounts ? { Mounts: h.Mounts.filter((m) => m.Type === 'bind').map((m) => ({ ...m, Source: real(m.Source) })) } : {}),
  };
}

/** files.read / files.write: berth's node files of this agent's cluster, nothing else. */
export function fileVerdict(file: string, s: AgentScope): ScopeVerdict {
  if (s.cluster === undefined) return scopeRefusal(`${file}: this agent serves no cluster yet`);
  const dir = path.join(path.resolve(s.stateDir), 'clusters', s.cluster);
  const real = resolved(dir, s);
  const abs = path.resolve(file);
  // As named, and as it really is (a link in the hosts dir must not lead out of it).
  if (!abs.startsWith(dir + path.sep) || !resolved(abs, s).startsWith(real + path.sep)) return scopeRefusal(`${abs} is not one of berth's node files of cluster ${s.cluster} (under ${dir})`);
  return undefined;
}

/** files.readLedger|writeLedger: only the ledger of the cluster this agent serves. */
export function ledgerVerdict(cluster: string, s: AgentScope): ScopeVerdict {
  if (s.cluster === undefined) return scopeRefusal(`the ledger of cluster ${cluster}: this agent serves no cluster yet`);
  if (cluster !== s.cluster) return scopeRefusal(`the ledger of cluster ${cluster}: this agent serves cluster ${s.cluster}`);
  return undefined;
}

/** files.ensureDir: a storage directory, not in a system path nor in the agent's own state. */
export function directoryVerdict(dir: string, s: AgentScope): ScopeVerdict {
  const abs = path.resolve(dir);
  for (const p of new Set([abs, resolved(abs, s)])) {
    const hit = systemPathOf(p, stateGuard(s, false), false);
    if (!hit) continue;
    const system = SYSTEM_PATHS.includes(hit) || hit === '/';
    // The agent's own state is out of reach whatever the flags.
    if (system && (s.policy.allow.has('mount-system') || allowedMount(p, s))) continue;
    return scopeRefusal(`${abs}${p === abs ? '' : ` (really ${p})`} is in ${system ? 'a system path' : "the agent's own state"} (${hit}): the agent makes no directory there`);
  }
  return undefined;
}

/** The agent's state dir is protected but for its clusters' files: with `bindable`, only the
 * files berth binds into replicas; otherwise everything under clusters/. */
function stateGuard(s: AgentScope, bindable: boolean): PathGuard {
  // The state dir as named and as it really is: a path is checked both ways too.
  const states = [...new Set([path.resolve(s.stateDir), resolved(path.resolve(s.stateDir), s)])];
  const clusters = states.map((state) => path.join(state, 'clusters'));
  // What berth binds into replicas: the hosts files, the log directories of replicas that run
  // pacemaker-remoted, and the node's Pacemaker key.
  const hosts = clusters.map((c) => new RegExp(`^${escape(c)}/${CLUSTER_ID_PATTERN}/(hosts|logs)/[^/]+$`));
  const key = s.remoteKey ? path.resolve(s.remoteKey) : undefined;
  return { protect: states, except: (p) => (bindable ? hosts.some((h) => h.test(p)) || (key !== undefined && (p === key || p === resolved(key, s))) : clusters.some((c) => p.startsWith(c + '/'))) };
}

const escape = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const resolved = (p: string, s: AgentScope) => (s.resolve ? s.resolve(p) : p);
const allowedMount = (p: string, s: AgentScope) => s.policy.mounts.some((m) => {
  const dir = path.resolve(m);
  return p === dir || p.startsWith(dir === '/' ? '/' : dir + '/');
});
