// Colocation forms berth's placement does not honour yet, refused when the CIB is validated so that
// nothing is silently dropped: roles other than Started (berth runs no promoted roles yet), the
// deprecated rsc-instance/with-rsc-instance, and resource sets by reference (id-ref). Pure.
import type { Cib } from '../cib/cib';
import { child, elements } from '../cib/xml';
import { Problem, problem } from '../errors/registry';
import { isStartedRole } from '../model/colocation';

const ROLE_ALLOWED = 'Started (or no role); berth runs no promoted roles yet';

export function colocationProblems(cib: Cib): Problem[] {
  const out: Problem[] = [];
  const conf = child(cib, 'configuration');
  const section = conf && child(conf, 'constraints');
  for (const c of section ? elements(section, 'rsc_colocation') : []) {
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
  return out;
}
