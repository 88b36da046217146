// Colocation forms berth's placement does not honour yet, refused when the CIB is validated so that
// nothing is silently dropped: roles other than Started (berth does not order or colocate by role yet), the
// deprecated rsc-instance/with-rsc-instance, resource sets by reference (id-ref), in every
// colocation that names a bundle, and loops of colocations between bundles. (One between resources berth does not run at all — primitives,
// clones, groups — is only said not to be honoured, by the model.) Pure.
import type { Cib } from '../cib/cib';
import { elements } from '../cib/xml';
import { Problem, problem } from '../errors/registry';
import { constraintsNamingBundles } from './bundle-constraints';
import { colocationLoops, isStartedRole, readColocations } from '../model/colocation';

const ROLE_ALLOWED = 'Started (or no role); berth does not colocate by role yet';

export function colocationProblems(cib: Cib): Problem[] {
  const out: Problem[] = [];
  const { bundles, constraints } = constraintsNamingBundles(cib, 'rsc_colocation', ['rsc', 'with-rsc']);
  for (const c of constraints) {
    const id = c.attrs.id ?? '';
    const base = `/cib/configuration/constraints/rsc_colocation[@id='${id}']`;
    for (const attr of ['rsc-role', 'with-rsc-role']) {
      const role = c.attrs[attr];
      if (!isStartedRole(role)) out.push(problem('CONSTRAINT_NOT_SUPPORTED', { path: `${base}/@${attr}`, value: role, allowed: ROLE_ALLOWED, message: `colocation constraint '${id}': ${attr}=${role} is not supported yet; berth places bundles by their Started role only` }));
    }
    for (const attr of ['rsc-instance', 'with-rsc-instance']) {
      const v = c.attrs[attr];
      if (v !== undefined) out.push(problem('CONSTRAINT_NOT_SUPPORTED', { path: `${base}/@${attr}`, value: v, allowed: 'no instance: a colocation applies to every replica', message: `colocation constraint '${id}': ${attr} (deprecated in Pacemaker 2.1.5) is not supported; colocate whole bundles` }));
    }
    for (const set of elements(c, 'resource_set')) {
      const where = `${base}/resource_set[@id='${set.attrs.id ?? set.attrs['id-ref'] ?? ''}']`;
      if (!isStartedRole(set.attrs.role)) out.push(problem('CONSTRAINT_NOT_SUPPORTED', { path: `${where}/@role`, value: set.attrs.role, allowed: ROLE_ALLOWED, message: `colocation constraint '${id}': set role=${set.attrs.role} is not supported yet; berth places bundles by their Started role only` }));
      if (set.attrs['id-ref'] !== undefined) out.push(problem('CONSTRAINT_NOT_SUPPORTED', { path: `${where}/@id-ref`, value: set.attrs['id-ref'], allowed: 'a resource set written out in the constraint', message: `colocation constraint '${id}': a resource set by reference (id-ref) is not supported; write the set out` }));
    }
  }
  const pairs = readColocations(cib, new Map([...bundles].map((b) => [b, {}])), [], { keepLoops: true });
  const loops = colocationLoops(pairs);
  for (const id of new Set([...loops].map((c) => c.constraint))) {
    const inLoop = [...new Set([...loops].filter((c) => c.constraint === id).map((c) => `${c.dependent} with ${c.primary}`))].join(', ');
    out.push(problem('CONSTRAINT_NOT_SUPPORTED', { path: `/cib/configuration/constraints/rsc_colocation[@id='${id}']`, value: id, allowed: 'colocations between bundles without a loop (a with b and b with a)', message: `colocation constraint '${id}' (${inLoop}) closes a loop of colocations between bundles; Pacemaker would break it where it first meets it, so berth refuses it` }));
  }
  return out;
}
