// `berth node add|remove|standby|unstandby`: the edits of the CIB's <nodes> (reading them, for
// placement, is src/scheduler/nodes.ts).
//
// Edits write what pcs 0.11.5 writes (pcs/lib/cib/node.py update_node_instance_attrs, checked
// with `pcs -f FILE node standby|unstandby`; fixtures in test/fixtures/crm_simulate/pcs-node):
// the node's first instance_attributes set, created as `nodes-<node id>`, nvpair ids
// `<set id>-<name>`, and the set kept even when emptied. pcs has no offline node add/remove;
// those write what Pacemaker writes: the controller's `<node id uname/>` with the lowest free
// positive id (corosync/pcs nodeid allocation) and `crm_node --remove`'s deletion of the <node>
// and its <node_state>.
import { Cib, section } from '../cib/cib';
import { XmlElement, child, el, elements, isElement } from '../cib/xml';
import { setNvpair } from '../cib/nvset';
import { BerthError, Problem, problem, usage, warning } from '../errors/registry';
import { IdProvider } from '../validate/ids';
import type { EditCommand } from './edit';

function nodesSection(cib: Cib): XmlElement {
  return section(cib, 'nodes');
}

const nodeElement = (cib: Cib, name: string) => elements(nodesSection(cib), 'node').find((n) => n.attrs.uname === name);
const notFound = (name: string) => problem('ID_NOT_FOUND', { path: 'node', value: name, message: `Node '${name}' does not appear to exist in configuration` });

/**
 * pcs's update_node_instance_attrs for one node: the first instance_attributes set (created as
 * `nodes-<id>` at the end of the node when there is none and something is to be set), nvpairs
 * set in name order, an empty value removes the pair, sets are never removed.
 */
export function setNodeAttributes(cib: Cib, ids: IdProvider, name: string, attrs: Record<string, string>): void {
  const node = nodeElement(cib, name);
  if (!node) throw new BerthError([notFound(name)]);
  let set = child(node, 'instance_attributes');
  const created = !set;
  if (!set) set = el('instance_attributes', { id: ids.allocate(`nodes-${node.attrs.id}`) });
  for (const [k, v] of Object.entries(attrs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) setNvpair(set, k, v, ids);
  // pcs's append_when_useful: a new set that stayed empty is not added.
  if (created && set.children.length) node.children.push(set);
}

/** `node standby|unstandby [--all | NODE...]`: all or nothing, unknown nodes reported together. */
function standbyEdit(value: string): EditCommand {
  return ({ cib, args, flags }) => {
    if (flags.all && args.length) throw usage('Cannot specify both --all and a list of nodes.');
    const known = elements(nodesSection(cib), 'node').map((n) => n.attrs.uname).filter((n): n is string => n !== undefined);
    let targets: string[];
    if (flags.all) targets = known;
    else {
      // pcs acts on the local node when none is named; with -f (and in berth, which has no
      // "local node" in the CLI) a node must be named.
      if (!args.length) throw usage(flags.file ? 'Node(s) must be specified if -f is used' : 'Node(s) must be specified: name the node(s) or use --all');
      const missing = args.filter((n) => !known.includes(n));
      if (missing.length) throw new BerthError(missing.map(notFound));
      targets = args;
    }
    const ids = new IdProvider(cib);
    for (const name of targets) setNodeAttributes(cib, ids, name, { standby: value });
    return { warnings: [] };
  };
}

export const nodeStandby: EditCommand = standbyEdit('on');
export const nodeUnstandby: EditCommand = standbyEdit('');

// Node names: host names as berth uses them in container labels, addresses and constraint ids.
const NODE_NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?$/;
const NODE_ID = /^[1-9][0-9]{0,9}$/;

/** Node ids in use: configured nodes and node_state entries (a stale state must not be adopted). */
function usedNodeIds(cib: Cib): Set<string> {
  const used = new Set(elements(nodesSection(cib), 'node').map((n) => n.attrs.id).filter((i): i is string => i !== undefined));
  const status = child(cib, 'status');
  if (status) for (const s of elements(status, 'node_state')) if (s.attrs.id !== undefined && s.attrs.uname !== undefined) used.add(s.attrs.id);
  return used;
}

/**
 * `node add NODE [id=ID]`: `<node id uname/>` appended to <nodes>, as Pacemaker's controller
 * writes a joining member. The id is ID, else the id of the node's existing <node_state> (it was
 * a member before), else the lowest free positive integer (corosync node ids, as pcs allocates
 * them).
 */
export const nodeAdd: EditCommand = ({ cib, args }) => {
  if (!args.length) throw usage('usage: node add NODE [id=ID]');
  const [name, ...rest] = args;
  const problems: Problem[] = [];
  let id: string | undefined;
  for (const opt of rest) {
    const eq = opt.indexOf('=');
    const key = eq < 0 ? opt : opt.slice(0, eq);
    if (key !== 'id' || eq < 0) {
      problems.push(problem('OPTION_UNKNOWN', { path: 'node add', value: key, allowed: 'id', message: `invalid node add option '${key}', allowed option is 'id'` }));
      continue;
    }
    id = opt.slice(eq + 1);
    if (!NODE_ID.test(id) || Number(id) > 0xffffffff) {
      problems.push(problem('OPTION_INVALID_VALUE', { path: 'id', value: id, allowed: 'an integer 1..4294967295', message: `'${id}' is not a valid node id, use a positive integer (a corosync node id)` }));
    }
  }
  if (!NODE_NAME.test(name)) {
    problems.push(problem('OPTION_INVALID_VALUE', { path: 'node', value: name, allowed: 'letters, digits, _ . - (not starting or ending with . or -), at most 253 characters', message: `'${name}' is not a valid node name, use a host name (letters, digits, '_', '.', '-')` }));
  }
  if (nodeElement(cib, name)) problems.push(problem('ID_DUPLICATE', { path: 'node', value: name, message: `Node '${name}' already exists` }));
  const configured = elements(nodesSection(cib), 'node');
  if (id !== undefined && configured.some((n) => n.attrs.id === id)) {
    const other = configured.find((n) => n.attrs.id === id)?.attrs.uname ?? '';
    problems.push(problem('ID_DUPLICATE', { path: 'id', value: id, message: `node id '${id}' is already used by node '${other}'` }));
  }
  if (problems.length) throw new BerthError(problems);
  if (id === undefined) {
    const status = child(cib, 'status');
    const former = status && elements(status, 'node_state').find((s) => s.attrs.uname === name && s.attrs.id !== undefined);
    if (former && !configured.some((n) => n.attrs.id === former.attrs.id)) id = former.attrs.id;
  }
  if (id === undefined) {
    const used = usedNodeIds(cib);
    let n = 1;
    while (used.has(String(n))) n++;
    id = String(n);
  }
  nodesSection(cib).children.push(el('node', { id, uname: name }));
  return { warnings: [] };
};

/**
 * `node remove NODE...`: what `crm_node --remove` does to the CIB: the <node> and its
 * <node_state> go. Constraints naming the node are kept (Pacemaker and pcs keep them too) and
 * reported as warnings.
 */
export const nodeRemove: EditCommand = ({ cib, args }) => {
  if (!args.length) throw usage('usage: node remove NODE...');
  const missing = args.filter((n) => !nodeElement(cib, n));
  if (missing.length) throw new BerthError(missing.map(notFound));
  const warnings: Problem[] = [];
  const notes: string[] = [];
  const nodes = nodesSection(cib);
  const status = child(cib, 'status');
  for (const name of new Set(args)) {
    const node = nodeElement(cib, name)!;
    nodes.children = nodes.children.filter((c) => c !== node);
    if (status) status.children = status.children.filter((c) => !(isElement(c) && c.tag === 'node_state' && (c.attrs.uname === name || (c.attrs.id === node.attrs.id && c.attrs.uname === undefined))));
    notes.push(`Removing node '${name}' (id ${node.attrs.id})`);
    const constraints = child(child(cib, 'configuration') ?? el('configuration'), 'constraints');
    const naming: string[] = [];
    const visit = (e: XmlElement) => {
      if (e.tag === 'rsc_location' && e.attrs.node === name) naming.push(e.attrs.id ?? '');
      if (e.tag === 'expression' && e.attrs.attribute === '#uname' && e.attrs.value === name) naming.push(e.attrs.id ?? '');
      for (const c of elements(e)) visit(c);
    };
    if (constraints) visit(constraints);
    if (naming.length) {
      warnings.push(warning('REFERENCE_MISSING', { path: 'constraints', value: name, message: `constraint${naming.length === 1 ? '' : 's'} ${naming.map((i) => `'${i}'`).join(', ')} still name${naming.length === 1 ? 's' : ''} removed node '${name}'` }));
    }
  }
  return { warnings, notes };
};
