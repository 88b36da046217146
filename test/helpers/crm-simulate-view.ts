// What crm_simulate's XML output says about a cluster (its cluster_status and
// revised_cluster_status sections), as berth's tests compare with it.
import { XmlElement, child, elements } from '../../src/cib/xml';
import { replicaName } from '../../src/scheduler/placement';

export interface PacemakerView {
  /** name → online, standby (member nodes only; guest nodes of bundles are not berth's nodes) */
  nodes: Map<string, { online: boolean; standby: boolean }>;
  /** replica name (B-i) → node, for every container resource that is active */
  replicas: Map<string, string>;
}

/** One of crm_simulate's XML status sections. */
export function pacemakerView(status: XmlElement): PacemakerView {
  const nodes = new Map<string, { online: boolean; standby: boolean }>();
  for (const n of elements(child(status, 'nodes')!, 'node')) {
    if (n.attrs.type !== 'member') continue;
    nodes.set(n.attrs.name, { online: n.attrs.online === 'true', standby: n.attrs.standby === 'true' });
  }
  const replicas = new Map<string, string>();
  for (const b of elements(child(status, 'resources')!, 'bundle')) {
    for (const r of elements(b, 'replica')) {
      const docker = elements(r, 'resource').find((x) => x.attrs.id === `${b.attrs.id}-docker-${r.attrs.id}` || x.attrs.id === `${b.attrs.id}-podman-${r.attrs.id}`);
      if (!docker || docker.attrs.active !== 'true') continue;
      const on = elements(docker, 'node');
      if (on.length !== 1) throw new Error(`${docker.attrs.id} runs on ${on.length} nodes`);
      replicas.set(replicaName(b.attrs.id, Number(r.attrs.id)), on[0].attrs.name);
    }
  }
  return { nodes, replicas };
}

