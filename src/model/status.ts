// What a CIB's <status> says about the cluster, as Pacemaker records it: which nodes are members
// (node_state) and where each replica's container resource (`B-docker-i`, `B-podman-i`) is active
// or failed, from its operation history (lrm_rsc_op). berth's controller observes this itself;
// `berth cluster simulate` reads it from a CIB, as crm_simulate does. Pure.
import type { Cib } from '../cib/cib';
import { XmlElement, child, elements } from '../cib/xml';

export interface StatusNode {
  name: string;
  online: boolean;
}

export interface StatusReplica {
  bundle: string;
  index: number;
  node: string;
  /** its newest operation failed (a start or a monitor with an error): it needs recovery */
  failed: boolean;
}

export interface ClusterStatusRecord {
  /** node_state per node; empty when the CIB holds no status (berth's live CIB does not) */
  nodes: StatusNode[];
  /** every replica active (or failed while active) on a node */
  replicas: StatusReplica[];
}

/** A member as Pacemaker 2.1 writes it: in_ccm and crmd true/online (or a timestamp), join member. */
function isOnline(n: XmlElement): boolean {
  const up = (v: string | undefined, word: string) => v === word || v === 'true' || (v !== undefined && /^\d+$/.test(v));
  return up(n.attrs.in_ccm, 'true') && up(n.attrs.crmd, 'online') && (n.attrs.join === undefined || n.attrs.join === 'member');
}

const CONTAINER_RESOURCE = /^(.+)-(docker|podman|rkt)-(\d+)$/;
const ACTIVE_OPS = new Set(['start', 'monitor', 'promote', 'demote', 'migrate_from', 'notify']);

/** Active, failed or stopped, from the newest operation (by call-id) of a resource on one node. */
function stateOf(ops: XmlElement[]): 'active' | 'failed' | 'stopped' {
  const newest = ops.filter((o) => o.attrs['call-id'] !== undefined && Number(o.attrs['call-id']) >= 0).sort((a, b) => Number(b.attrs['call-id']) - Number(a.attrs['call-id']))[0];
  if (!newest) return 'stopped';
  const rc = Number(newest.attrs['rc-code'] ?? '0');
  const op = newest.attrs.operation ?? '';
  if (op === 'stop') return rc === 0 ? 'stopped' : 'failed';
  // "not running": from a probe (interval 0) it is stopped; from a recurring monitor of a resource
  // that ran, it failed (Pacemaker shows it FAILED and recovers it)
  if (op === 'monitor' && rc === 7) return Number(newest.attrs.interval ?? '0') > 0 ? 'failed' : 'stopped';
  if (!ACTIVE_OPS.has(op)) return 'stopped';
  return rc === 0 || rc === 8 ? 'active' : 'failed';
}

/** The status section read for the given bundles (a container resource of another id is not a replica). */
export function readClusterStatus(cib: Cib, bundleIds: ReadonlySet<string>): ClusterStatusRecord {
  const status = child(cib, 'status');
  const out: ClusterStatusRecord = { nodes: [], replicas: [] };
  if (!status) return out;
  for (const ns of elements(status, 'node_state')) {
    const name = ns.attrs.uname ?? ns.attrs.id;
    if (!name) continue;
    out.nodes.push({ name, online: isOnline(ns) });
    const lrm = child(ns, 'lrm');
    const resources = lrm && child(lrm, 'lrm_resources');
    for (const r of resources ? elements(resources, 'lrm_resource') : []) {
      const m = CONTAINER_RESOURCE.exec(r.attrs.id ?? '');
      if (!m || !bundleIds.has(m[1])) continue;
      const state = stateOf(elements(r, 'lrm_rsc_op'));
      if (state !== 'stopped') out.replicas.push({ bundle: m[1], index: Number(m[3]), node: name, failed: state === 'failed' });
    }
  }
  return out;
}
