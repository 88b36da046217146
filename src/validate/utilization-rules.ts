// Utilization, placement-strategy and resource-discovery as placement honours them (Pacemaker
// 2.1.5's rules, src/scheduler/placement.ts), checked when the CIB is validated so that nothing is
// silently dropped: utilization values are integers; a utilization set with a rule is refused
// (placement reads utilization once, without evaluating rules); under a placement-strategy other
// than `default`, utilization on a resource berth does not place (one outside a bundle: Pacemaker
// would count it against the nodes' capacity) is refused; placement-strategy and
// resource-discovery take Pacemaker's values only (Pacemaker ignores others with an error in its log). Pure.
import type { Cib } from '../cib/cib';
import { XmlElement, child, elements, walk } from '../cib/xml';
import { Problem, problem } from '../errors/registry';
import { clusterProperty } from '../cib/nvset';
import { PLACEMENT_STRATEGIES, UTILIZATION_VALUE, readPlacementStrategy } from '../model/utilization';
import { elementStep } from './cib-paths';

const DISCOVERY = ['always', 'never', 'exclusive'];

export function utilizationProblems(cib: Cib): Problem[] {
  const out: Problem[] = [];
  const conf = child(cib, 'configuration');
  if (!conf) return out;
  const strategyText = clusterProperty(cib, 'placement-strategy');
  if (strategyText !== undefined && !(PLACEMENT_STRATEGIES as readonly string[]).includes(strategyText.trim().toLowerCase())) {
    out.push(problem('PROPERTY_INVALID_VALUE', { path: "/cib/configuration/crm_config/cluster_property_set/nvpair[@name='placement-strategy']/@value", value: strategyText, allowed: PLACEMENT_STRATEGIES.join(', '), message: `'${strategyText}' is not a valid placement-strategy value, use ${PLACEMENT_STRATEGIES.join(', ')}` }));
  }
  const strategy = readPlacementStrategy(strategyText);

  // Every <utilization> set: under a node, or a resource (in a bundle, or not).
  const sets = (owner: XmlElement, path: string, inBundle: boolean | undefined) => {
    for (const set of elements(owner, 'utilization')) {
      const where = `${path}/${elementStep(set)}`;
      const rule = child(set, 'rule');
      if (rule) out.push(problem('UTILIZATION_NOT_SUPPORTED', { path: `${where}/${elementStep(rule)}`, value: rule.attrs.id ?? '', allowed: 'a utilization set without a rule', message: `utilization set '${set.attrs.id ?? ''}' has a rule; berth reads utilization without rules, so it refuses the set rather than ignore the rule` }));
      for (const p of elements(set, 'nvpair')) {
        const v = p.attrs.value ?? '';
        if (!UTILIZATION_VALUE.test(v)) out.push(problem('OPTION_INVALID_VALUE', { path: `${where}/${elementStep(p)}/@value`, value: v, allowed: 'an integer', message: `'${v}' is not a valid utilization value for '${p.attrs.name ?? ''}', use an integer` }));
      }
      if (inBundle === false && strategy !== 'default' && elements(set, 'nvpair').length) {
        out.push(problem('UTILIZATION_NOT_SUPPORTED', { path: where, value: owner.attrs.id ?? '', allowed: 'utilization on the resource inside a bundle (or placement-strategy=default)', message: `${owner.tag} '${owner.attrs.id ?? ''}' is not in a bundle: berth does not run it, yet with placement-strategy=${strategy} Pacemaker would count its utilization against the nodes' capacity` }));
      }
    }
  };
  const nodes = child(conf, 'nodes');
  for (const n of nodes ? elements(nodes, 'node') : []) sets(n, `/cib/configuration/nodes/${elementStep(n)}`, undefined);
  const resources = child(conf, 'resources');
  if (resources) {
    const paths = new Map<XmlElement, string>();
    walk(resources, (e, parent) => {
      const path = `${parent ? paths.get(parent) ?? '/cib/configuration/resources' : '/cib/configuration'}/${elementStep(e)}`;
      paths.set(e, path);
      if (e.tag === 'primitive' || e.tag === 'group' || e.tag === 'clone' || e.tag === 'master') sets(e, path, parent?.tag === 'bundle');
    });
  }

  const constraints = child(conf, 'constraints');
  for (const c of constraints ? elements(constraints, 'rsc_location') : []) {
    const v = c.attrs['resource-discovery'];
    if (v !== undefined && !DISCOVERY.includes(v.trim().toLowerCase())) {
      out.push(problem('CONSTRAINT_INVALID', { path: `/cib/configuration/constraints/${elementStep(c)}/@resource-discovery`, value: v, allowed: DISCOVERY.join(', '), message: `location constraint '${c.attrs.id ?? ''}': '${v}' is not a valid resource-discovery value, use ${DISCOVERY.join(', ')}` }));
    }
  }
  return out;
}
