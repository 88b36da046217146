// `berth node utilization` and `berth resource utilization`: a node's capacity and what a
// resource uses, written and printed as pcs 0.11.5 does (pcs/node.py set_node_utilization and
// print_node_utilization, pcs/resource.py set_resource_utilization and print_resource(s)_utilization,
// pcs/utils.py dom_update_utilization; goldens from the real `pcs -f` in
// test/fixtures/pcs-utilization, made by scripts/pcs-utilization-fixtures.mjs):
// - NAME=VALUE... sets values in the element's first <utilization> set, created as
//   `nodes-<node id>-utilization` / `<resource id>-utilization` (unique) at the end of the element
//   when something is to be set; nvpairs `<set id>-<name>`, in name order; an empty value removes
//   the pair; sets are never removed. Values are integers (pcs: "Value of utilization attribute must
//   be integer").
// - with a node (resource) and no values, or none at all: prints the first set's values.
// A resource is a primitive (pcs finds nothing else): a bundle has no utilization of its own, the
// resource inside it has, and Pacemaker moves it to each replica's container
// (src/model/utilization.ts). Placement honours it under a placement-strategy other than default.
import type { Cib } from '../cib/cib';
import { XmlElement, child, el, elements, walk } from '../cib/xml';
import { setNvpair } from '../cib/nvset';
import { BerthError, problem, usage } from '../errors/registry';
import { UTILIZATION_VALUE } from '../model/utilization';
import { IdProvider } from '../validate/ids';
import { prepareOptions } from './pcs-words';
import type { EditCommand, ReadCommand } from './edit';

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** pcs's get_utilization_str: the first set's values, `name=value` in name order. */
function utilizationText(e: XmlElement, filterName?: string): string {
  const set = child(e, 'utilization');
  if (!set) return '';
  const pairs = new Map<string, string>();
  for (const p of elements(set, 'nvpair')) if (p.attrs.name !== undefined && (filterName === undefined || p.attrs.name === filterName)) pairs.set(p.attrs.name, p.attrs.value ?? '');
  return [...pairs].sort(([a], [b]) => byName(a, b)).map(([k, v]) => `${k}=${v}`).join(' ');
}

/** pcs's dom_update_utilization: validate every value first, then edit the first set. */
function updateUtilization(e: XmlElement, args: string[], idBase: string, ids: IdProvider): void {
  const values = prepareOptions(args);
  const entries = Object.entries(values).sort(([a], [b]) => byName(a, b));
  const bad = entries.filter(([, v]) => v !== '' && !UTILIZATION_VALUE.test(v));
  if (bad.length) throw new BerthError(bad.map(([k, v]) => problem('OPTION_INVALID_VALUE', { path: `utilization/${k}`, value: v, allowed: 'an integer', message: `Value of utilization attribute must be integer: '${k}=${v}'` })));
  if (!entries.length) return;
  let set = child(e, 'utilization');
  if (!set) {
    if (entries.every(([, v]) => v === '')) return;
    set = el('utilization', { id: ids.allocate(idBase) });
    e.children.push(set);
  }
  for (const [name, value] of entries) setNvpair(set, name, value, ids);
}

const nodesOf = (cib: Cib) => {
  const conf = child(cib, 'configuration');
  const nodes = conf && child(conf, 'nodes');
  return nodes ? elements(nodes, 'node') : [];
};
const nodeNotFound = (name: string) => new BerthError([problem('ID_NOT_FOUND', { path: 'node', value: name, message: `Unable to find a node: ${name}` })]);

/** `node utilization NODE NAME=VALUE...` */
export const nodeUtilizationSet: EditCommand = ({ cib, args }) => {
  if (args.length < 2) throw usage('node utilization NODE NAME=VALUE...: give a node and at least one NAME=VALUE');
  const [name, ...values] = args;
  const node = nodesOf(cib).find((n) => n.attrs.uname === name);
  if (!node) throw nodeNotFound(name);
  updateUtilization(node, values, `nodes-${node.attrs.id ?? name}-utilization`, new IdProvider(cib));
  return { warnings: [] };
};

/** `node utilization [NODE] [--name NAME]`: pcs's print_node_utilization. */
export const nodeUtilizationShow: ReadCommand = ({ cib, args, flags }) => {
  if (args.length > 1) throw usage('node utilization [NODE] [--name NAME] | NODE NAME=VALUE...');
  const filter = args[0];
  const nodes = nodesOf(cib);
  if (filter !== undefined && !nodes.some((n) => n.attrs.uname === filter)) throw nodeNotFound(filter);
  const lines = new Map<string, string>();
  for (const n of nodes) {
    const name = n.attrs.uname ?? '';
    if (filter !== undefined && name !== filter) continue;
    const text = utilizationText(n, flags.name);
    if (text) lines.set(name, text);
  }
  return ['Node Utilization:', ...[...lines].sort(([a], [b]) => byName(a, b)).map(([n, t]) => ` ${n}: ${t}`)].join('\n') + '\n';
};

/** pcs's dom_get_resource: a primitive anywhere under <resources>, by id. */
function primitiveOf(cib: Cib, id: string): XmlElement {
  const conf = child(cib, 'configuration');
  const resources = conf && child(conf, 'resources');
  let found: XmlElement | undefined;
  let other: XmlElement | undefined;
  if (resources) walk(resources, (e) => {
    if (e.attrs.id !== id) return;
    if (e.tag === 'primitive') found ??= e;
    else other ??= e;
  });
  if (found?.attrs.class === 'stonith') throw new BerthError([problem('ID_WRONG_KIND', { path: 'resource', value: id, allowed: 'a resource that is not a stonith device', message: 'This command does not accept stonith resources.' })]);
  if (found) return found;
  if (other?.tag === 'bundle') {
    const inner = child(other, 'primitive')?.attrs.id;
    throw new BerthError([problem('ID_WRONG_KIND', { path: 'resource', value: id, allowed: inner ? `the resource inside it, '${inner}'` : 'a primitive resource', message: `Unable to find a resource: ${id} (a bundle has no utilization of its own: ${inner ? `set it on '${inner}', the resource inside it; Pacemaker moves it to each replica's container` : 'put a resource inside it and set its utilization'})` })]);
  }
  throw new BerthError([problem('ID_NOT_FOUND', { path: 'resource', value: id, message: `Unable to find a resource: ${id}` })]);
}

/** `resource utilization RESOURCE NAME=VALUE...` */
export const resourceUtilizationSet: EditCommand = ({ cib, args }) => {
  if (args.length < 2) throw usage('resource utilization RESOURCE NAME=VALUE...: give a resource and at least one NAME=VALUE');
  const [id, ...values] = args;
  const p = primitiveOf(cib, id);
  updateUtilization(p, values, `${id}-utilization`, new IdProvider(cib));
  return { warnings: [] };
};

/** `resource utilization [RESOURCE]`: pcs's print_resource(s)_utilization. */
export const resourceUtilizationShow: ReadCommand = ({ cib, args }) => {
  if (args.length > 1) throw usage('resource utilization [RESOURCE] | RESOURCE NAME=VALUE...');
  if (args.length === 1) return `Resource Utilization:\n ${args[0]}: ${utilizationText(primitiveOf(cib, args[0]))}\n`;
  const lines = new Map<string, string>();
  walk(cib, (e) => {
    if (e.tag === 'status') return false;
    if (e.tag !== 'primitive' || e.attrs.id === undefined) return;
    const text = utilizationText(e);
    if (text) lines.set(e.attrs.id, text);
  });
  return ['Resource Utilization:', ...[...lines].sort(([a], [b]) => byName(a, b)).map(([n, t]) => ` ${n}: ${t}`)].join('\n') + '\n';
};
