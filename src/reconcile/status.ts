// What `berth status` shows, pure: from the desired state, the observed state and the plan of the
// same pass, each bundle and each replica with its node, address, container state, health,
// failure count, and why it is not running (or what is pending for it).
import { ADDRESS_LABEL, DesiredState, replicaName } from './desired';
import { failureState } from './failures';
import type { ObservedState } from './observed';
import { Plan, parseAddressLabel, planChanges } from './plan';
import type { ObservedContainer } from '../runtime/engine';

export interface ReplicaStatus {
  name: string;
  index: number;
  node: string;
  address?: string;
  /** absent: no container */
  container?: { id: string; name: string; image: string; state: string; health: string; status: string };
  /** the container runs the desired spec */
  upToDate: boolean;
  failures: number;
  lastFailureAt?: string;
  /** why it is not running, or what the plan will do about it */
  note?: string;
}

export interface BundleStatus {
  id: string;
  image: string;
  replicas: number;
  running: number;
  role: string;
  managed: boolean;
  note?: string;
  replicaStatus: ReplicaStatus[];
}

export interface NodeStatus {
  node: string;
  maintenance: boolean;
  bundles: BundleStatus[];
  converged: boolean;
  problems: { code: string; message: string }[];
}

export function nodeStatus(desired: DesiredState, observed: ObservedState, plan: Plan, now: number): NodeStatus {
  const mine = observed.containers.filter((c) => c.node === desired.node);
  const notes = new Map<string, string[]>();
  const note = (replica: string, text: string) => {
    const l = notes.get(replica);
    if (l) l.push(text);
    else notes.set(replica, [text]);
  };
  for (const a of planChanges(plan)) if ('replica' in a) note(a.replica, `pending ${a.kind}: ${a.reason}`);
  for (const n of [...plan.waiting, ...plan.reports]) if (n.replica) note(n.replica, n.message);
  for (const p of plan.problems) {
    const m = /\(replica ([^)]+)\)|^replica ([^:]+):/.exec(p.message);
    const r = m?.[1] ?? m?.[2] ?? p.path;
    if (r) note(r, p.message);
  }
  const bundles: BundleStatus[] = [];
  for (const b of desired.bundles) {
    const containers = new Map<number, ObservedContainer>();
    for (const c of mine) {
      if (c.bundle !== b.id || c.replica === undefined) continue;
      const had = containers.get(c.replica);
      if (!had || c.name === replicaName(b.id, c.replica)) containers.set(c.replica, c);
    }
    const desiredByIndex = new Map(desired.replicas.filter((r) => r.bundle === b.id).map((r) => [r.index, r]));
    const indexes = [...new Set([...Array.from({ length: b.replicas }, (_, i) => i), ...containers.keys()])].sort((x, y) => x - y);
    const rows: ReplicaStatus[] = [];
    for (const index of indexes) {
      const name = replicaName(b.id, index);
      const c = containers.get(index);
      const d = desiredByIndex.get(index);
      const f = c ? failureState(observed.runs[c.id], observed.ledger[c.id], b.failureTimeoutMs, now) : undefined;
      const address = d?.address?.ip ?? parseAddressLabel(c?.labels[ADDRESS_LABEL])?.ip;
      const unplaced = desired.unplaced.find((u) => u.bundle === b.id && u.index === index);
      const why: string[] = [...(notes.get(name) ?? [])];
      if (b.role === 'Stopped' && !why.length) why.push('target-role=Stopped');
      if (unplaced && !why.length) why.push(`not placed: ${unplaced.reason}`);
      if (!c && !why.length && !d) why.push('not on this node');
      rows.push({
        name,
        index,
        node: c ? desired.node : d ? d.node : '-',
        ...(address ? { address } : {}),
        ...(c ? { container: { id: c.id.slice(0, 12), name: c.name, image: c.image, state: c.state, health: c.health, status: c.status } } : {}),
        upToDate: !!(c && d && c.specHash === d.specHash),
        failures: f && !f.expired ? f.count : 0,
        ...(f?.lastFailureAt !== undefined && !f.expired ? { lastFailureAt: new Date(f.lastFailureAt).toISOString() } : {}),
        ...(why.length ? { note: why.join('; ') } : {}),
      });
    }
    bundles.push({
      id: b.id,
      image: b.image,
      replicas: b.replicas,
      running: rows.filter((r) => r.container?.state === 'running' && r.index < b.replicas).length,
      role: b.role,
      managed: b.managed && !desired.maintenance,
      ...(b.unmanagedReason || desired.maintenance ? { note: `unmanaged (${desired.maintenance ? 'cluster maintenance-mode' : b.unmanagedReason}): observed only` } : b.problems.length ? { note: b.problems.map((p) => p.message).join('; ') } : {}),
      replicaStatus: rows,
    });
  }
  return {
    node: desired.node,
    maintenance: desired.maintenance,
    bundles,
    converged: planChanges(plan).length === 0 && plan.waiting.length === 0,
    problems: plan.problems.map((p) => ({ code: p.code, message: p.message })),
  };
}

const pad = (s: string, w: number) => (s.length >= w ? s + ' ' : s + ' '.repeat(w - s.length));

export function formatStatus(s: NodeStatus): string {
  const out: string[] = [`Node ${s.node}${s.maintenance ? ' (maintenance-mode: observed only)' : ''}: ${s.converged ? 'converged' : 'changes pending'}`];
  if (!s.bundles.length) out.push('  no bundles');
  for (const b of s.bundles) {
    out.push('');
    out.push(`Bundle ${b.id}: ${b.running} of ${b.replicas} running, image ${b.image}${b.role === 'Stopped' ? ', target-role=Stopped' : ''}${b.note ? ` — ${b.note}` : ''}`);
    out.push('  ' + pad('REPLICA', 22) + pad('NODE', 14) + pad('ADDRESS', 16) + pad('STATE', 11) + pad('HEALTH', 10) + pad('FAILURES', 9) + 'NOTE');
    for (const r of b.replicaStatus) {
      const state = r.container ? r.container.state + (r.upToDate || !r.container ? '' : '*') : 'missing';
      out.push('  ' + pad(r.name, 22) + pad(r.node, 14) + pad(r.address ?? '-', 16) + pad(state, 11) + pad(r.container ? r.container.health : '-', 10) + pad(String(r.failures), 9) + (r.note ?? ''));
    }
  }
  if (s.bundles.some((b) => b.replicaStatus.some((r) => r.container && !r.upToDate && r.node !== '-'))) out.push('', '* the container runs an older spec than the CIB asks for');
  for (const p of s.problems) out.push(`Problem [${p.code}]: ${p.message}`);
  return out.join('\n') + '\n';
}
