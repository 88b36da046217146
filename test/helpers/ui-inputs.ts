// Status-page inputs written by hand (src/ui/snapshot.ts UiInputs), for tests of the page that need
// what no CIB may hold: hostile bundle ids, node names and messages.
import type { MembershipNode, UiInputs } from '../../src/ui/snapshot';
import type { BundleStatus, ReplicaStatus, ResourceStatus } from '../../src/reconcile/status';
import { emptyPlan } from '../../src/reconcile/plan';

export interface RowSpec { bundle: string; index: number; node: string; state?: string; why?: string; failures?: number; address?: string; resource?: ResourceStatus }

export interface InputSpec {
  nodes: MembershipNode[];
  rows: RowSpec[];
  term?: number;
  leading?: boolean;
  leader?: string;
  pass?: number;
  epoch?: string;
  problems?: { code: string; message: string }[];
}

export function handInputs(s: InputSpec, controller = 'http://127.0.0.1:7441'): UiInputs {
  const byBundle = new Map<string, ReplicaStatus[]>();
  for (const r of s.rows) {
    const row: ReplicaStatus = {
      name: `${r.bundle}-${r.index}`, index: r.index, node: r.node, upToDate: true, failures: r.failures ?? 0,
      ...(r.address ? { address: r.address } : {}),
      ...(r.state ? { container: { id: `id-${r.bundle}-${r.index}`, name: `${r.bundle}-${r.index}`, image: 'berth-test/httpd:1', state: r.state, health: 'none', status: r.state } } : {}),
      ...(r.why ? { note: r.why } : {}),
      ...(r.resource ? { resource: r.resource } : {}),
    };
    (byBundle.get(r.bundle) ?? byBundle.set(r.bundle, []).get(r.bundle)!).push(row);
  }
  const bundles: BundleStatus[] = [...byBundle].map(([id, rows]) => ({ id, image: 'berth-test/httpd:1', replicas: rows.length, running: rows.filter((r) => r.container?.state === 'running').length, role: 'Started', managed: true, replicaStatus: rows }));
  const leading = s.leading ?? true;
  return {
    cluster: 'test-cluster',
    controller,
    leading,
    term: s.term ?? 1,
    leader: s.leader ?? (leading ? controller : null),
    nodes: s.nodes,
    pass: {
      number: s.pass ?? 1,
      at: Date.now(),
      status: { bundles, converged: true, done: 0, failed: 0, problems: s.problems ?? [] },
      plans: s.nodes.map((n) => ({ node: n.name, plan: emptyPlan(n.name) })),
      held: [],
      unplaced: [],
      epoch: s.epoch ?? '0.5',
    },
    gitops: null,
    now: Date.now(),
  };
}

export const alive = (name: string, o: Partial<MembershipNode> = {}): MembershipNode => ({ name, liveness: 'alive', standby: false, url: `http://10.0.0.1:7440`, lostBy: null, ...o });
