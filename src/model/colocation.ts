// Colocation constraints as placement takes them: every rsc_colocation between two bundles, its
// resource sets expanded into pairs exactly as Pacemaker 2.1.5 unpacks them
// (pcmk__unpack_colocation: unpack_colocation_set within a set, colocate_rsc_sets between sets).
// Pure. A pair naming something that is not a bundle berth places is said (NOT_HONOURED), never
// silently dropped; roles other than Started and rsc-instance are refused before this, when the
// CIB is validated (src/validate/colocation-rules.ts), and skipped here if they reach it.
import type { Cib } from '../cib/cib';
import { XmlElement, child, elements } from '../cib/xml';
import { Problem, warning } from '../errors/registry';
import { isFalse, isTrue } from './properties';
import { reaches } from './graph';
import { parseScore } from './score';

/** One "dependent with primary" pair (Pacemaker's pcmk__colocation_t between two bundles). */
export interface Colocation {
  /** Pacemaker's id for the pair: the constraint's, or the set's for a pair inside a set */
  id: string;
  /** the rsc_colocation it comes from */
  constraint: string;
  /** the bundle placed relative to the other (rsc) */
  dependent: string;
  /** the bundle it is placed with (with-rsc) */
  primary: string;
  /** non-zero; ±INFINITY mandatory, finite a preference */
  score: number;
  /** colocate on nodes with the same value of this attribute (default: the same node) */
  nodeAttribute?: string;
  /** the dependent's preferences move the primary (influence, default the dependent's `critical`) */
  influence: boolean;
}

/** What the reader needs to know of each bundle placement knows. */
export interface ColocatedBundle {
  /** the `critical` meta attribute (default true) */
  critical?: boolean;
}

/** Roles a colocation may name today (none means Started). */
export const isStartedRole = (role: string | undefined): boolean => role === undefined || /^started$/i.test(role.trim());

/** Pacemaker's crm_str_to_boolean: undefined when the text is not a boolean. */
function parseBoolean(v: string | undefined): boolean | undefined {
  if (isTrue(v)) return true;
  if (isFalse(v)) return false;
  return undefined;
}

/** The colocations between the given bundles, in CIB order, sets expanded as Pacemaker does. */
export function readColocations(cib: Cib, bundles: ReadonlyMap<string, ColocatedBundle>, problems: Problem[], opts: { keepLoops?: boolean } = {}): Colocation[] {
  const conf = child(cib, 'configuration');
  const section = conf && child(conf, 'constraints');
  const out: Colocation[] = [];
  for (const c of section ? elements(section, 'rsc_colocation') : []) {
    const id = c.attrs.id ?? '';
    const path = `/cib/configuration/constraints/rsc_colocation[@id='${id}']`;
    const unplaced = new Set<string>();
    let refused = false;
    const influenceOf = (rsc: string) => parseBoolean(c.attrs.influence) ?? (bundles.get(rsc)?.critical ?? true);
    const add = (pairId: string, dependent: string, primary: string, score: number, roles: (string | undefined)[], nodeAttribute?: string) => {
      if (score === 0) return;
      if (!roles.every(isStartedRole) || c.attrs['rsc-instance'] !== undefined || c.attrs['with-rsc-instance'] !== undefined) { refused = true; return; }
      for (const r of [dependent, primary]) if (!bundles.has(r)) unplaced.add(r);
      if (!bundles.has(dependent) || !bundles.has(primary)) return;
      out.push({ id: pairId, constraint: id, dependent, primary, score, ...(nodeAttribute !== undefined ? { nodeAttribute } : {}), influence: influenceOf(dependent) });
    };
    const score = c.attrs.score === undefined ? 0 : parseScore(c.attrs.score);
    if (score === undefined) {
      problems.push(warning('SCORE_INVALID', { path: `${path}/@score`, value: c.attrs.score ?? '', allowed: 'an integer or [+-]INFINITY', message: `colocation constraint '${id}' has no valid score; placement ignores it` }));
      continue;
    }
    const sets = elements(c, 'resource_set');
    if (!sets.length) {
      if (c.attrs.rsc !== undefined && c.attrs['with-rsc'] !== undefined) add(id, c.attrs.rsc, c.attrs['with-rsc'], score, [c.attrs['rsc-role'], c.attrs['with-rsc-role']], c.attrs['node-attribute']);
    } else {
      let last: XmlElement | undefined;
      for (const set of sets) {
        expandSet(set, score, add);
        if (last) betweenSets(id, last, set, score, add);
        last = set;
      }
    }
    if (refused) {
      problems.push(warning('CONSTRAINT_NOT_SUPPORTED', { path, value: id, message: `colocation constraint '${id}' names a role or an instance berth does not run yet; placement ignores it` }));
    }
    if (unplaced.size) {
      const names = [...unplaced].join("', '");
      problems.push(warning('NOT_HONOURED', { path, value: id, message: `colocation constraint '${id}' is not acted on for '${names}': berth places bundles only, and '${names}' is not a bundle it runs` }));
    }
  }
  if (opts.keepLoops) return out;
  const loops = colocationLoops(out);
  for (const id of new Set(out.filter((c) => loops.has(c)).map((c) => c.constraint))) {
    problems.push(warning('CONSTRAINT_NOT_SUPPORTED', { path: `/cib/configuration/constraints/rsc_colocation[@id='${id}']`, value: id, message: `colocation constraint '${id}' is part of a loop of colocations; placement ignores it` }));
  }
  return out.filter((c) => !loops.has(c));
}

/**
 * The pairs in a loop (a with b, b with a; or longer): Pacemaker breaks such a loop wherever it
 * first meets it (a bundle being placed is placed again from inside), so neither side is kept as
 * written. berth refuses them (src/validate/colocation-rules.ts).
 */
export function colocationLoops(pairs: readonly Colocation[]): Set<Colocation> {
  const next = new Map<string, string[]>();
  for (const c of pairs) (next.get(c.dependent) ?? next.set(c.dependent, []).get(c.dependent)!).push(c.primary);
  // a pair is in a loop when its dependent can be reached again from its primary
  return new Set(pairs.filter((c) => reaches(next, c.primary, c.dependent)));
}

type AddPair = (pairId: string, dependent: string, primary: string, score: number, roles: (string | undefined)[]) => void;

const refs = (set: XmlElement): string[] => elements(set, 'resource_ref').map((r) => r.attrs.id ?? '').filter((x) => x !== '');
/** pcmk__xe_get_bool_attr: false only when the attribute is there and reads as false. */
const sequentialOf = (set: XmlElement): boolean => parseBoolean(set.attrs.sequential) !== false;

/** unpack_colocation_set: the pairs inside one set. */
function expandSet(set: XmlElement, score: number, add: AddPair): void {
  const setId = set.attrs.id ?? '';
  const role = set.attrs.role;
  const local = set.attrs.score !== undefined ? parseScore(set.attrs.score) ?? 0 : score;
  if (local === 0 || !sequentialOf(set)) return;
  const members = refs(set);
  const ordering = set.attrs.ordering ?? 'group';
  if (local > 0 && /^group$/i.test(ordering)) {
    // each member with the one before it
    for (let i = 1; i < members.length; i++) add(setId, members[i], members[i - 1], local, [role, role]);
  } else if (local > 0) {
    // ordering=listed: each member before the next, i.e. with the one after it
    for (let i = 1; i < members.length; i++) add(setId, members[i - 1], members[i], local, [role, role]);
  } else {
    // anti-colocation with every member before it: no two of the set together
    for (let i = 0; i < members.length; i++) for (let j = 0; j < i; j++) add(setId, members[i], members[j], local, [role, role]);
  }
}

/** colocate_rsc_sets: the first member of the earlier set with the last of the later one, or every
 * member of a non-sequential set. */
function betweenSets(id: string, set1: XmlElement, set2: XmlElement, score: number, add: AddPair): void {
  if (score === 0) return;
  const a = refs(set1);
  const b = refs(set2);
  const r1 = sequentialOf(set1) ? a[0] : undefined;
  const r2 = sequentialOf(set2) ? b[b.length - 1] : undefined;
  const roles = [set1.attrs.role, set2.attrs.role];
  if (r1 !== undefined && r2 !== undefined) add(id, r1, r2, score, roles);
  else if (r1 !== undefined) for (const y of b) add(id, r1, y, score, roles);
  else if (r2 !== undefined) for (const x of a) add(id, x, r2, score, roles);
  else for (const x of a) for (const y of b) add(id, x, y, score, roles);
}
