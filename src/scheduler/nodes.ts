// Cluster nodes: who they are (the CIB's <nodes>), whether they may run replicas (standby, a node
// attribute), and whether they are up (observed elsewhere, passed in). The edits of
// `berth node add|remove|standby|unstandby` are library commands: src/commands/node.ts.
//
// Terms: a *cluster node* is a <node id uname type> of the configuration; its *state* for
// placement is `online`, `offline` (not up: heartbeats stopped, lease lost, powered off) or
// `standby` (up, but may not run replicas). Liveness is never read from the CIB: the membership
// layer observes it and hands it in, so reading nodes stays a pure function of its arguments.
import type { Cib } from '../cib/cib';
import { XmlElement, child, elements } from '../cib/xml';

export type NodeState = 'online' | 'offline' | 'standby';

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
}

/** A node as placement sees it. */
export interface PlacementNode {
  name: string;
  state: NodeState;
  /** node attributes for location rules (#uname, #id and #kind are added by placement) */
  attributes?: Record<string, string>;
  id?: string;
}

/** Pacemaker's crm_is_true. */
export const isTrue = (v: string | undefined): boolean => v !== undefined && ['true', 'on', 'yes', 'y', '1'].includes(v.toLowerCase());

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
    return { id, name, type: n.attrs.type ?? 'member', standby: isTrue(attributes.standby), attributes };
  });
}

/** Types of node that can run containers (a `ping` node only takes part in quorum). */
const RUNS_RESOURCES = new Set(['member', 'normal', 'remote']);

/**
 * Each node's state for placement: `offline` unless `online` says it is up (heartbeats, a lease);
 * an up node in standby is `standby`; a ping node is never `online`.
 */
export function nodeStates(nodes: readonly CibNode[], online: ReadonlySet<string> | ((name: string) => boolean)): PlacementNode[] {
  const up = typeof online === 'function' ? online : (n: string) => online.has(n);
  return nodes.map((n) => ({
    name: n.name,
    id: n.id,
    state: !up(n.name) ? 'offline' : n.standby || !RUNS_RESOURCES.has(n.type) ? 'standby' : 'online',
    attributes: n.attributes,
  }));
}
