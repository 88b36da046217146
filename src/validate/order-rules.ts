// Order forms the pass does not honour yet, refused when the CIB is validated so that nothing is
// silently dropped: the actions promote and demote (berth does not order or colocate by role yet), the
// deprecated first-instance/then-instance, resource sets by reference (id-ref), in every order that
// names a bundle; and loops of orders between bundles (each would wait for the other for ever).
// (One between resources berth does not run at all is only said not to be honoured, by the model.)
// Pure.
import type { Cib } from '../cib/cib';
import { elements } from '../cib/xml';
import { Problem, problem } from '../errors/registry';
import { constraintsNamingBundles } from './bundle-constraints';
import { ORDER_ACTIONS, OrderPair, readOrders } from '../model/order';
import { reaches } from '../model/graph';

const ACTION_ALLOWED = 'start or stop; berth does not order promote or demote yet';

export function orderProblems(cib: Cib): Problem[] {
  const out: Problem[] = [];
  const { bundles, constraints } = constraintsNamingBundles(cib, 'rsc_order', ['first', 'then']);
  for (const c of constraints) {
    const id = c.attrs.id ?? '';
    const base = `/cib/configuration/constraints/rsc_order[@id='${id}']`;
    for (const attr of ['first-action', 'then-action']) {
      const a = c.attrs[attr];
      if (a !== undefined && !ORDER_ACTIONS.includes(a.trim().toLowerCase())) out.push(problem('CONSTRAINT_NOT_SUPPORTED', { path: `${base}/@${attr}`, value: a, allowed: ACTION_ALLOWED, message: `order constraint '${id}': ${attr}=${a} is not supported yet; berth orders the start and stop of bundles only` }));
    }
    for (const attr of ['first-instance', 'then-instance']) {
      const v = c.attrs[attr];
      if (v !== undefined) out.push(problem('CONSTRAINT_NOT_SUPPORTED', { path: `${base}/@${attr}`, value: v, allowed: 'no instance: an order applies to every replica', message: `order constraint '${id}': ${attr} (deprecated in Pacemaker 2.1.5) is not supported; order whole bundles` }));
    }
    for (const set of elements(c, 'resource_set')) {
      const where = `${base}/resource_set[@id='${set.attrs.id ?? set.attrs['id-ref'] ?? ''}']`;
      const a = set.attrs.action;
      if (a !== undefined && !ORDER_ACTIONS.includes(a.trim().toLowerCase())) out.push(problem('CONSTRAINT_NOT_SUPPORTED', { path: `${where}/@action`, value: a, allowed: ACTION_ALLOWED, message: `order constraint '${id}': set action=${a} is not supported yet; berth orders the start and stop of bundles only` }));
      if (set.attrs['id-ref'] !== undefined) out.push(problem('CONSTRAINT_NOT_SUPPORTED', { path: `${where}/@id-ref`, value: set.attrs['id-ref'], allowed: 'a resource set written out in the constraint', message: `order constraint '${id}': a resource set by reference (id-ref) is not supported; write the set out` }));
    }
  }
  if (out.length) return out;
  for (const id of orderLoops(readOrders(cib, bundles, []))) {
    out.push(problem('CONSTRAINT_NOT_SUPPORTED', { path: `/cib/configuration/constraints/rsc_order[@id='${id}']`, value: id, allowed: 'orders between bundles without a loop (a then b and b then a)', message: `order constraint '${id}' closes a loop of orders between bundles: each start would wait for the other for ever, so berth refuses it` }));
  }
  return out;
}

/** The constraints whose pairs close a loop of waits (the same action waiting on itself through
 * other bundles): a then b with b then a, or longer. */
export function orderLoops(pairs: readonly OrderPair[]): string[] {
  const key = (bundle: string, action: string) => `${action} ${bundle}`;
  const next = new Map<string, string[]>();
  // an edge from what waits to what it waits for
  for (const p of pairs) for (const f of p.first) (next.get(key(p.then, p.thenAction)) ?? next.set(key(p.then, p.thenAction), []).get(key(p.then, p.thenAction))!).push(key(f, p.firstAction));
  const out = new Set<string>();
  for (const p of pairs) if (p.first.some((f) => reaches(next, key(f, p.firstAction), key(p.then, p.thenAction)))) out.add(p.constraint);
  return [...out];
}
