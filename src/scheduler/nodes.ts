// Nodes as placement sees them: a node of the model (src/model/nodes.ts) and whether it is up
// (observed elsewhere, passed in) give its state. The edits of `berth node add|remove|standby|
// unstandby` are library commands: src/commands/node.ts.
//
// Terms: a node's *state* for placement is `online`, `offline` (not up: heartbeats stopped, lease
// lost, powered off) or `standby` (up, but may not run replicas).
import type { CibNode } from '../model/nodes';
import type { Utilization } from '../model/utilization';


export type NodeState = 'online' | 'offline' | 'standby';

/** A node as placement sees it. */
export interface PlacementNode {
  name: string;
  state: NodeState;
  /** node attributes for location rules (#uname, #id and #kind are added by placement) */
  attributes?: Record<string, string>;
  id?: string;
  /** capacity (`<utilization>`), checked unless placement-strategy is `default` */
  utilization?: Utilization;
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
    ...(n.utilization ? { utilization: n.utilization } : {}),
  }));
}
