// Location constraints as placement takes them: rsc_location on bundles (by rsc, rsc-pattern or
// resource set), scored on one node or by rules over node attributes and dates. Pure.
// What placement cannot evaluate (date_spec, durations, value-source other than literal, ...) is
// reported as a warning and that expression never matches.
import type { Cib } from '../cib/cib';
import { XmlElement, child, elements } from '../cib/xml';
import { Problem, warning } from '../errors/registry';
import { parseScore } from './score';

export type AttributeOperation = 'lt' | 'gt' | 'lte' | 'gte' | 'eq' | 'ne' | 'defined' | 'not_defined';

export type RuleExpression =
  | { kind: 'attribute'; id: string; attribute: string; operation: AttributeOperation; value?: string; type?: 'string' | 'integer' | 'number' | 'version' }
  | { kind: 'date'; id: string; operation: 'in_range' | 'gt' | 'lt'; start?: string; end?: string }
  | { kind: 'rule'; rule: LocationRule }
  /** something berth does not evaluate (date_spec, durations, ...): it never passes */
  | { kind: 'unsupported'; id: string; what: string };

export interface LocationRule {
  id: string;
  /** the score, or the node attribute that holds it (score-attribute) */
  score: number | { attribute: string };
  booleanOp: 'and' | 'or';
  expressions: RuleExpression[];
}

/** An rsc_location for one bundle: a score on one node, or rules scored on every node they match. */
export type LocationConstraint =
  | { id: string; bundle: string; node: string; score: number; exclusive?: true }
  | { id: string; bundle: string; rules: LocationRule[]; exclusive?: true };

/** The rsc_location constraints on the given bundles (a role other than Started is about
 * promotion, not about where containers run, and is left out). */
export function readLocationConstraints(cib: Cib, bundleIds: ReadonlySet<string>, problems: Problem[], promotable: ReadonlySet<string> = new Set()): LocationConstraint[] {
  const conf = child(cib, 'configuration');
  const constraints: LocationConstraint[] = [];
  const section = conf && child(conf, 'constraints');
  for (const c of section ? elements(section, 'rsc_location') : []) {
    const id = c.attrs.id ?? '';
    if (promotedLocation(c, promotable)) continue; // promotion's (readPromotedLocations)
    if (c.attrs.role !== undefined && !/^started$/i.test(c.attrs.role)) {
      problems.push(warning('NOT_HONOURED', { path: `/cib/configuration/constraints/rsc_location[@id='${id}']/@role`, value: c.attrs.role, message: `location constraint '${id}' for role ${c.attrs.role} is not acted on: only a role=Promoted location with a node and a score, on a bundle whose resource is promotable, is` }));
      continue;
    }
    const targets = locationTargets(c, bundleIds, problems);
    if (!targets.length) continue;
    // resource-discovery=exclusive: the bundle runs only on nodes such constraints name (Pacemaker's
    // apply_exclusive_discovery); `never` and `always` only say where to probe, and berth probes nowhere.
    const ex = /^exclusive$/i.test(c.attrs['resource-discovery'] ?? '') ? { exclusive: true as const } : {};
    if (c.attrs.node !== undefined) {
      const score = parseScore(c.attrs.score);
      if (score === undefined) {
        problems.push(warning('SCORE_INVALID', { path: `rsc_location[@id='${id}']/@score`, value: c.attrs.score ?? '', allowed: 'an integer or [+-]INFINITY', message: `location constraint '${id}' has no valid score; placement ignores it` }));
        continue;
      }
      for (const bundle of targets) constraints.push({ id, bundle, node: c.attrs.node, score, ...ex });
      continue;
    }
    const rules = elements(c, 'rule').filter((r) => r.attrs.role === undefined || /^started$/i.test(r.attrs.role)).map((r) => readRule(r, problems));
    if (rules.length || ex.exclusive) for (const bundle of targets) constraints.push({ id, bundle, rules, ...ex });
  }
  return constraints;
}

function locationTargets(c: XmlElement, bundles: ReadonlySet<string>, problems: Problem[]): string[] {
  if (c.attrs.rsc !== undefined) return bundles.has(c.attrs.rsc) ? [c.attrs.rsc] : [];
  if (c.attrs['rsc-pattern'] !== undefined) {
    let re: RegExp;
    try {
      re = new RegExp(c.attrs['rsc-pattern']);
    } catch {
      problems.push(warning('CONSTRAINT_INVALID', { path: `rsc_location[@id='${c.attrs.id}']/@rsc-pattern`, value: c.attrs['rsc-pattern'], message: `location constraint '${c.attrs.id}': rsc-pattern is not a regular expression berth can read; placement ignores it` }));
      return [];
    }
    return [...bundles].filter((b) => re.test(b));
  }
  const refs: string[] = [];
  for (const set of elements(c, 'resource_set')) for (const r of elements(set, 'resource_ref')) if (r.attrs.id !== undefined && bundles.has(r.attrs.id)) refs.push(r.attrs.id);
  return refs;
}

const ATTRIBUTE_OPERATIONS = new Set(['lt', 'gt', 'lte', 'gte', 'eq', 'ne', 'defined', 'not_defined']);

function readRule(r: XmlElement, problems: Problem[]): LocationRule {
  const id = r.attrs.id ?? '';
  const unsupported = (eid: string, what: string): RuleExpression => {
    problems.push(warning('CONSTRAINT_INVALID', { path: `rule[@id='${id}']`, value: eid, message: `rule '${id}': berth does not evaluate ${what}; that part never matches` }));
    return { kind: 'unsupported', id: eid, what };
  };
  const expressions: RuleExpression[] = [];
  for (const e of elements(r)) {
    const eid = e.attrs.id ?? '';
    if (e.tag === 'rule') expressions.push({ kind: 'rule', rule: readRule(e, problems) });
    else if (e.tag === 'expression') {
      const op = e.attrs.operation ?? '';
      if (!ATTRIBUTE_OPERATIONS.has(op) || e.attrs.attribute === undefined) { expressions.push(unsupported(eid, `expression operation '${op}'`)); continue; }
      if (e.attrs['value-source'] !== undefined && e.attrs['value-source'] !== 'literal') { expressions.push(unsupported(eid, `value-source='${e.attrs['value-source']}'`)); continue; }
      const type = e.attrs.type;
      const known = type === undefined || type === 'string' || type === 'integer' || type === 'number' || type === 'version';
      if (!known) { expressions.push(unsupported(eid, `expression type '${type}'`)); continue; }
      expressions.push({ kind: 'attribute', id: eid, attribute: e.attrs.attribute, operation: op as AttributeOperation, ...(e.attrs.value !== undefined ? { value: e.attrs.value } : {}), ...(type ? { type: type as 'string' } : {}) });
    } else if (e.tag === 'date_expression') {
      const op = e.attrs.operation ?? 'in_range';
      if ((op !== 'in_range' && op !== 'gt' && op !== 'lt') || child(e, 'duration') || child(e, 'date_spec')) { expressions.push(unsupported(eid, `date_expression operation '${op}' with date_spec or duration`)); continue; }
      expressions.push({ kind: 'date', id: eid, operation: op, ...(e.attrs.start !== undefined ? { start: e.attrs.start } : {}), ...(e.attrs.end !== undefined ? { end: e.attrs.end } : {}) });
    } else {
      expressions.push(unsupported(eid, `<${e.tag}>`));
    }
  }
  const score = r.attrs['score-attribute'] !== undefined ? { attribute: r.attrs['score-attribute'] } : parseScore(r.attrs.score) ?? 0;
  return { id, score, booleanOp: r.attrs['boolean-op'] === 'or' ? 'or' : 'and', expressions };
}

/** A score for promoting a bundle's instances on one node: rsc_location role=Promoted with a node
 * and a score, on a promotable bundle (Pacemaker adds it to the instances' promotion priority). */
export interface PromotedLocation { id: string; bundle: string; node: string; score: number }

function promotedLocation(c: XmlElement, promotable: ReadonlySet<string>): PromotedLocation | undefined {
  if (!/^(promoted|master)$/i.test(c.attrs.role ?? '') || c.attrs.node === undefined || c.attrs.rsc === undefined || !promotable.has(c.attrs.rsc)) return undefined;
  const score = parseScore(c.attrs.score);
  return score === undefined ? undefined : { id: c.attrs.id ?? '', bundle: c.attrs.rsc, node: c.attrs.node, score };
}

/** The role=Promoted location scores of promotable bundles (those with a node and a score). */
export function readPromotedLocations(cib: Cib, promotable: ReadonlySet<string>): PromotedLocation[] {
  const conf = child(cib, 'configuration');
  const section = conf && child(conf, 'constraints');
  const out: PromotedLocation[] = [];
  for (const c of section ? elements(section, 'rsc_location') : []) {
    const p = promotedLocation(c, promotable);
    if (p) out.push(p);
  }
  return out;
}
