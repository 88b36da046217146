// The cluster's nodes as the configuration says: who they are (the CIB's <nodes>) and their node
// attributes (standby among them), transient ones from <status> over permanent ones. Whether a
// node is up is never read from the CIB: the membership layer observes it (src/cluster) and
// placement takes it as an argument. Pure.
import type { Cib } from '../cib/cib';
import { XmlElement, child, elements } from '../cib/xml';
import { isTrue } from './properties';
import { Utilization, readUtilization, utilizationOf } from './utilization';

export interface CibNode {
  /** Pacemaker's node id: the corosync node id for cluster nodes ("1", "2", ...) */
  id: string;
  /** uname: the name constraints, status and berth's labels use */
  name: string;
  /** `member` (Pacemaker's default; older CIBs say `normal`), `remote` or `ping` */
  type: string;
  /** standby as Pacemaker resolves it: a transient value (status) overrides the permanent one */
  standby: boolean;
  /** node attributes, the transient ones (from <status>) over the permanent ones */
  attributes: Record<string, string>;
  /** capacity (`<utilization>`), checked unless placement-strategy is `default` */
  utilization?: Utilization;
}

function firstSetPairs(parent: XmlElement | undefined, tag: string): Record<string, string> {
  // Several sets: Pacemaker merges them without overwriting, so the first one that names a value wins.
  const out: Record<string, string> = {};
  if (!parent) return out;
  for (const set of elements(parent, tag)) {
    for (const p of elements(set, 'nvpair')) if (p.attrs.name !== undefined && !(p.attrs.name in out)) out[p.attrs.name] = p.attrs.value ?? '';
  }
  return out;
}

function nodeStateOf(cib: Cib, node: { id: string; name: string }): XmlElement | undefined {
  const status = child(cib, 'status');
  if (!status) return undefined;
  return elements(status, 'node_state').find((s) => s.attrs.id === node.id) ?? elements(status, 'node_state').find((s) => s.attrs.uname === node.name);
}

/** The nodes of the configuration, in CIB order. */
export function readNodes(cib: Cib): CibNode[] {
  const conf = child(cib, 'configuration');
  const nodes = conf && child(conf, 'nodes');
  if (!nodes) return [];
  return elements(nodes, 'node').filter((n) => n.attrs.uname !== undefined).map((n) => {
    const id = n.attrs.id ?? n.attrs.uname;
    const name = n.attrs.uname;
    const permanent = firstSetPairs(n, 'instance_attributes');
    const state = nodeStateOf(cib, { id, name });
    const transient = firstSetPairs(state && child(state, 'transient_attributes'), 'instance_attributes');
    const attributes = { ...permanent, ...transient };
    return { id, name, type: n.attrs.type ?? 'member', standby: isTrue(attributes.standby), attributes, ...utilizationOf(readUtilization(n)) };
  });
}

