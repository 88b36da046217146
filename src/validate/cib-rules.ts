// Semantic checks of a whole CIB, beyond the schema: ids well-formed and unique, every bundle's
// rules, the host access bundles ask for (against berth-host-access), references from constraints,
// colocation and order forms placement and the pass do not honour yet. Pure: tree in, problems out (all of them).
import { Cib } from '../cib/cib';
import { XmlElement, child, elements, walk } from '../cib/xml';
import { Problem, problem } from '../errors/registry';
import { bundleRules } from './bundle-rules';
import { colocationProblems } from './colocation-rules';
import { orderProblems } from './order-rules';
import { hostAccessProblems } from './host-access-rules';
import { utilizationProblems } from './utilization-rules';
import { idLabel } from './attribute-facts';
import { elementStep } from './cib-paths';
import { validateId } from './id-rule';
import { references, resolveReferences } from '../cib/references';

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
  const paths = new Map<XmlElement, string>();
  walk(conf, (e, parent) => {
    const path = `${parent ? paths.get(parent) : `/${elementStep(cib)}`}/${elementStep(e)}`;
    paths.set(e, path);
    const id = e.attrs.id;
    // Node ids are cluster-layer ids (often numbers), not XML IDs: Pacemaker's schema has them as text.
    if (e.tag === 'nodes') return false;
    if (id === undefined || NOT_ID_TAGS.has(e.tag) || (parent && parent.tag === 'status')) return;
    const where = `${path}/@id`;
    // worded as the command that makes such an element words it, as the schema check does
    for (const p of validateId(id, idLabel(e.tag))) out.push({ ...p, path: where });
    const first = seen.get(id);
    if (first) out.push(problem('ID_DUPLICATE', { path: where, value: id, message: `id '${id}' is used by ${first} and by <${e.tag}>; ids must be unique` }));
    else seen.set(id, `<${e.tag}>`);
  });
  const resources = child(conf, 'resources');
  if (resources) walk(resources, (e) => {
    if (e.tag === 'bundle') {
      out.push(...bundleRules(e));
      return false;
    }
  });
  out.push(...hostAccessProblems(cib));
  out.push(...referenceProblems(cib, seen));
  out.push(...idRefProblems(cib));
  // constraints and utilization are judged as Pacemaker reads them: sets, rules and pairs by
  // reference stand for what they name, a primitive from a template has the template's agent
  const resolved = resolveReferences(cib);
  out.push(...colocationProblems(resolved));
  out.push(...orderProblems(resolved));
  out.push(...utilizationProblems(resolved));
  return out;
}

/** An id-ref or a template that names nothing, or an element of another kind. */
function idRefProblems(cib: Cib): Problem[] {
  const out: Problem[] = [];
  for (const r of references(cib)) {
    if (r.to) continue;
    const path = `${r.path}/@${r.attribute}`;
    const wanted = r.attribute === 'template' ? 'a <template>' : `a <${r.from.tag}>`;
    if (r.wrongKind) out.push(problem('ID_WRONG_KIND', { path, value: r.id, allowed: `the id of ${wanted}`, message: `<${r.from.tag}> refers by ${r.attribute} to '${r.id}', which is a <${r.wrongKind}>, not ${wanted}` }));
    else out.push(problem('REFERENCE_MISSING', { path, value: r.id, allowed: `the id of ${wanted}`, message: `<${r.from.tag}> refers by ${r.attribute} to '${r.id}', which does not exist` }));
  }
  return out;
}

const REF_ATTRS = ['rsc', 'with-rsc', 'first', 'then'];

function referenceProblems(cib: Cib, ids: Map<string, string>): Problem[] {
  const out: Problem[] = [];
  const constraints = child(child(cib, 'configuration')!, 'constraints');
  if (!constraints) return out;
  const missing = (path: string, cid: string, v: string, where: string) =>
    problem('REFERENCE_MISSING', { path, value: v, allowed: 'the id of an existing resource', message: `constraint '${cid}' refers to '${v}' in ${where}, which does not exist` });
  for (const c of elements(constraints)) {
    const cid = c.attrs.id;
    const base = `/cib/configuration/constraints/${c.tag}[@id='${cid}']`;
    for (const a of REF_ATTRS) {
      const v = c.attrs[a];
      if (v !== undefined && !ids.has(v)) out.push(missing(`${base}/@${a}`, cid, v, a));
    }
    // a set member is named by its constraint and set: one id may be missing from several sets
    for (const set of elements(c, 'resource_set')) {
      for (const ref of elements(set, 'resource_ref')) {
        const v = ref.attrs.id;
        if (v !== undefined && !ids.has(v)) out.push(missing(`${base}/resource_set[@id='${set.attrs.id}']/resource_ref[@id='${v}']/@id`, cid, v, `resource set '${set.attrs.id}'`));
      }
    }
  }
  return out;
}
