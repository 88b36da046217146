// Semantic checks of a whole CIB, beyond the schema: ids well-formed and unique, every bundle's
// rules, references from constraints. Pure: tree in, problems out (all of them).
import { Cib, section } from '../cib/cib';
import { XmlElement, child, walk } from '../cib/xml';
import { Problem, problem } from '../errors/registry';
import { bundleRules } from './bundle-rules';
import { validateId } from './ids';

const NOT_ID_TAGS = new Set(['acl_target', 'role', 'obj_ref', 'resource_ref']);

export function cibProblems(cib: Cib): Problem[] {
  const out: Problem[] = [];
  if (cib.tag !== 'cib') return [problem('CIB_NOT_A_CIB', { path: '/', value: cib.tag, allowed: 'cib', message: `the root element is <${cib.tag}>, a CIB has <cib>` })];
  const conf = child(cib, 'configuration');
  if (!conf) return [problem('CIB_NOT_A_CIB', { path: '/cib/configuration', message: 'the CIB has no <configuration> section' })];
  for (const s of ['crm_config', 'nodes', 'resources', 'constraints']) {
    if (!child(conf, s)) out.push(problem('CIB_NOT_A_CIB', { path: `/cib/configuration/${s}`, message: `the CIB has no <${s}> section` }));
  }
  const seen = new Map<string, string>();
  walk(conf, (e, parent) => {
    const id = e.attrs.id;
    // Node ids are cluster-layer ids (often numbers), not XML IDs: Pacemaker's schema has them as text.
    if (e.tag === 'nodes') return false;
    if (id === undefined || NOT_ID_TAGS.has(e.tag) || (parent && parent.tag === 'status')) return;
    const where = `${e.tag}[@id='${id}']`;
    for (const p of validateId(id, `${e.tag} id`)) out.push({ ...p, path: where });
    const first = seen.get(id);
    if (first) out.push(problem('ID_DUPLICATE', { path: where, value: id, message: `id '${id}' is used by ${first} and by <${e.tag}>; ids must be unique` }));
    else seen.set(id, `<${e.tag}>`);
  });
  walk(section(cib, 'resources'), (e) => {
    if (e.tag === 'bundle') {
      out.push(...bundleRules(e));
      return false;
    }
  });
  out.push(...referenceProblems(cib, seen));
  return out;
}

const REF_ATTRS = ['rsc', 'with-rsc', 'first', 'then'];

function referenceProblems(cib: Cib, ids: Map<string, string>): Problem[] {
  const out: Problem[] = [];
  const constraints = child(child(cib, 'configuration')!, 'constraints');
  if (!constraints) return out;
  walk(constraints, (e: XmlElement) => {
    const cid = e.attrs.id;
    for (const a of REF_ATTRS) {
      const v = e.attrs[a];
      if (v !== undefined && !ids.has(v)) out.push(problem('REFERENCE_MISSING', { path: `/cib/configuration/constraints/${e.tag}[@id='${cid}']/@${a}`, value: v, allowed: 'the id of an existing resource', message: `constraint '${cid}' refers to '${v}' in ${a}, which does not exist` }));
    }
    if (e.tag === 'resource_ref' && e.attrs.id !== undefined && !ids.has(e.attrs.id)) {
      out.push(problem('REFERENCE_MISSING', { path: `/cib/configuration/constraints//resource_ref[@id='${e.attrs.id}']`, value: e.attrs.id, allowed: 'the id of an existing resource', message: `resource set member '${e.attrs.id}' does not exist` }));
    }
  });
  return out;
}
