// Order constraints as the pass takes them: every rsc_order between two bundles, as "then waits
// for first" pairs, resource sets and the inverse of a symmetrical constraint expanded exactly as
// Pacemaker 2.1.5 unpacks them (pcmk__unpack_ordering: unpack_simple_rsc_order, unpack_order_set,
// order_rsc_sets, inverse_ordering). Pure. A pair naming something that is not a bundle is said
// (NOT_HONOURED); promote/demote and instances are refused when the CIB is validated
// (src/validate/order-rules.ts) and skipped here if they reach it.
import type { Cib } from '../cib/cib';
import { XmlElement, child, elements } from '../cib/xml';
import { Problem, warning } from '../errors/registry';
import { isFalse, isTrue, resolveMeta } from './properties';

export type OrderAction = 'start' | 'stop';
export type OrderKind = 'Mandatory' | 'Optional' | 'Serialize';

/** One "then waits for first" pair between bundles (Pacemaker's pe__ordering_t). */
export interface OrderPair {
  /** the constraint's id, or the set's for a pair inside a set */
  id: string;
  /** the rsc_order it comes from */
  constraint: string;
  /** the bundles waited for: every one of them, or any one when `anyOf` (require-all=false) */
  first: string[];
  anyOf: boolean;
  firstAction: OrderAction;
  then: string;
  thenAction: OrderAction;
  kind: OrderKind;
  /** then cannot happen while first cannot (Mandatory with first-action start: runnable_left, or
   * asymmetrical) */
  requiresFirst: boolean;
  /** the reverse of a symmetrical constraint (stops in reverse order) */
  inverse: boolean;
  /** a Mandatory symmetrical order (Pacemaker's pe_order_implies_then, with the inverse's
   * pe_order_implies_first): a then replica that runs stops when first stops, and restarts when
   * first (re)starts — decided by src/scheduler/order.ts `orderCascade` */
  impliesThen: boolean;
  /** replica i of then waits only for first's replica on its own node (Pacemaker's interleave:
   * then's meta attribute, first's when then's action is stop) */
  interleave: boolean;
}

/** Actions berth acts on in an order (promote/demote: no promoted roles yet). */
export const ORDER_ACTIONS: readonly string[] = ['start', 'stop'];

const invert = (a: OrderAction): OrderAction => (a === 'start' ? 'stop' : 'start');

/** Pacemaker's get_ordering_type: kind, else score (0 Optional), else Mandatory. */
export function orderKind(e: XmlElement, parent: OrderKind = 'Mandatory'): OrderKind {
  const kind = e.attrs.kind;
  if (kind === undefined) {
    const score = e.attrs.score;
    if (score === undefined) return parent;
    return /^[+-]?0+$/.test(score.trim()) ? 'Optional' : 'Mandatory';
  }
  const k = kind.trim().toLowerCase();
  return k === 'optional' ? 'Optional' : k === 'serialize' ? 'Serialize' : 'Mandatory';
}

/** get_ordering_symmetry: explicit (own, else parent's), ignored for Serialize; default true
 * except for Serialize. */
function symmetricOf(e: XmlElement, kind: OrderKind, parentSymmetrical?: string): boolean {
  const own = isTrue(e.attrs.symmetrical) ? true : isFalse(e.attrs.symmetrical) ? false : undefined;
  const explicit = own ?? (parentSymmetrical !== undefined ? isTrue(parentSymmetrical) : undefined);
  if (kind === 'Serialize') return false;
  return explicit ?? true;
}

const actionOf = (v: string | undefined, dflt: string): string => (v ?? dflt).trim().toLowerCase();

/** The order pairs between the given bundles, in CIB order. */
export function readOrders(cib: Cib, bundles: ReadonlySet<string>, problems: Problem[]): OrderPair[] {
  const conf = child(cib, 'configuration');
  const section = conf && child(conf, 'constraints');
  const resources = conf && child(conf, 'resources');
  const defaults = conf && child(conf, 'rsc_defaults');
  const interleaveOf = new Map<string, boolean>();
  for (const b of resources ? elements(resources, 'bundle') : []) if (b.attrs.id !== undefined) interleaveOf.set(b.attrs.id, isTrue(resolveMeta(b, defaults, 'interleave')));
  const out: OrderPair[] = [];
  for (const c of section ? elements(section, 'rsc_order') : []) {
    const id = c.attrs.id ?? '';
    const path = `/cib/configuration/constraints/rsc_order[@id='${id}']`;
    const kind = orderKind(c);
    const symmetric = symmetricOf(c, kind);
    const others = new Set<string>();
    let refused = false;
    const add = (pairId: string, first: string[], anyOf: boolean, fa: string, then: string, ta: string, k: OrderKind, requiresFirst: boolean, inverse: boolean, impliesThen = false) => {
      if (!ORDER_ACTIONS.includes(fa) || !ORDER_ACTIONS.includes(ta)) { refused = true; return; }
      for (const r of [...first, then]) if (!bundles.has(r)) others.add(r);
      const firsts = first.filter((f) => bundles.has(f));
      if (!firsts.length || !bundles.has(then)) return;
      const thenAction = ta as OrderAction;
      const interleave = (thenAction === 'stop' ? firsts.every((f) => interleaveOf.get(f)) : interleaveOf.get(then)) ?? false;
      out.push({ id: pairId, constraint: id, first: firsts, anyOf, firstAction: fa as OrderAction, then, thenAction, kind: k, requiresFirst, inverse, impliesThen, interleave });
    };
    // ordering_flags_for_kind: runnable_left for a Mandatory symmetric order whose first action is
    // start; an asymmetrical Mandatory one blocks then's start as well while first cannot start.
    const requires = (k: OrderKind, fa: string, inverse: boolean) => k === 'Mandatory' && !inverse && fa === 'start';
    if (c.attrs['first-instance'] !== undefined || c.attrs['then-instance'] !== undefined) { refused = true; }
    const sets = elements(c, 'resource_set');
    if (!sets.length && !refused) {
      const first = c.attrs.first;
      const then = c.attrs.then;
      if (first !== undefined && then !== undefined) {
        const fa = actionOf(c.attrs['first-action'], 'start');
        const ta = actionOf(c.attrs['then-action'], fa);
        // require-all and clone-min apply to clones only (get_minimum_first_instances): a bundle
        // is not a clone, so a simple order always waits for every replica.
        add(id, [first], false, fa, then, ta, kind, requires(kind, fa, false), false, kind === 'Mandatory' && symmetric);
        if (symmetric && ORDER_ACTIONS.includes(fa) && ORDER_ACTIONS.includes(ta)) add(id, [then], false, invert(ta as OrderAction), first, invert(fa as OrderAction), kind, false, true);
      }
    } else if (!refused) {
      let last: XmlElement | undefined;
      for (const set of sets) {
        if (set.attrs['id-ref'] !== undefined) { refused = true; break; }
        withinSet(set, kind, c.attrs.symmetrical, add, requires);
        if (last) {
          betweenSets(id, last, set, kind, false, add, requires, symmetric);
          if (symmetric) betweenSets(id, set, last, kind, true, add, requires);
        }
        last = set;
      }
    }
    if (refused) problems.push(warning('CONSTRAINT_NOT_SUPPORTED', { path, value: id, message: `order constraint '${id}' names an action (promote, demote), an instance or a set by reference berth does not act on yet; the pass ignores it` }));
    if (others.size) {
      const names = [...others].join("', '");
      problems.push(warning('NOT_HONOURED', { path, value: id, message: `order constraint '${id}' is not acted on for '${names}': berth orders bundles only, and '${names}' is not a bundle it runs` }));
    }
  }
  return out;
}

type AddPair = (pairId: string, first: string[], anyOf: boolean, fa: string, then: string, ta: string, kind: OrderKind, requiresFirst: boolean, inverse: boolean, impliesThen?: boolean) => void;
type Requires = (k: OrderKind, fa: string, inverse: boolean) => boolean;

const refs = (set: XmlElement): string[] => elements(set, 'resource_ref').map((r) => r.attrs.id ?? '').filter((x) => x !== '');

/** unpack_order_set: each member after the one before it (Serialize: after every one before it),
 * and the reverse on the inverted action when symmetrical. A set of one orders nothing. */
function withinSet(set: XmlElement, parentKind: OrderKind, parentSymmetrical: string | undefined, add: AddPair, requires: Requires): void {
  const members = refs(set);
  if (members.length < 2) return;
  const setId = set.attrs.id ?? '';
  const action = actionOf(set.attrs.action, 'start');
  const kind = set.attrs.kind !== undefined ? orderKind(set) : parentKind;
  const sequential = set.attrs.sequential === undefined || isTrue(set.attrs.sequential);
  // get_ordering_symmetry(set, parent_kind, ...): the set's kind attribute counts
  const symmetric = symmetricOf(set, set.attrs.kind !== undefined || set.attrs.score !== undefined ? orderKind(set, parentKind) : parentKind, parentSymmetrical);
  if (kind === 'Serialize') {
    for (let i = 0; i < members.length; i++) for (let j = i + 1; j < members.length; j++) add(setId, [members[i]], false, action, members[j], action, kind, false, false);
  } else if (sequential) {
    for (let i = 1; i < members.length; i++) add(setId, [members[i - 1]], false, action, members[i], action, kind, requires(kind, action, false), false, kind === 'Mandatory' && symmetric);
  }
  if (!symmetric || !sequential || !ORDER_ACTIONS.includes(action)) return;
  const inv = invert(action as OrderAction);
  for (let i = 1; i < members.length; i++) add(setId, [members[i]], false, inv, members[i - 1], inv, kind, false, true);
}

/** order_rsc_sets: set1 before set2 (the last member of a set marked sequential="true", else
 * every member; require-all=false on set1: any one of it), or the inverse. */
function betweenSets(id: string, set1: XmlElement, set2: XmlElement, kind: OrderKind, inverse: boolean, add: AddPair, requires: Requires, symmetric = false): void {
  let a1 = actionOf(set1.attrs.action, 'start');
  let a2 = actionOf(set2.attrs.action, 'start');
  if (inverse) {
    if (!ORDER_ACTIONS.includes(a1) || !ORDER_ACTIONS.includes(a2)) { add(id, [], false, 'promote', '', 'promote', kind, false, true); return; }
    a1 = invert(a1 as OrderAction);
    a2 = invert(a2 as OrderAction);
  }
  // the one-or-more logic applies to starts only
  const requireAll = a1 === 'stop' || a1 === 'demote' || !isFalse(set1.attrs['require-all']);
  const m1 = refs(set1);
  const m2 = refs(set2);
  const req = requires(kind, a1, inverse);
  const implies = !inverse && kind === 'Mandatory' && symmetric;
  if (!requireAll) {
    for (const r2 of m2) add(id, m1, true, a1, r2, a2, kind, req, inverse, implies);
    return;
  }
  // pcmk__xe_attr_is_true: only an explicit sequential="true" picks one member
  const seq1 = isTrue(set1.attrs.sequential);
  const seq2 = isTrue(set2.attrs.sequential);
  const r1 = seq1 ? (inverse ? m1[0] : m1[m1.length - 1]) : undefined;
  const r2 = seq2 ? (inverse ? m2[m2.length - 1] : m2[0]) : undefined;
  const firsts = r1 !== undefined ? [r1] : m1;
  const thens = r2 !== undefined ? [r2] : m2;
  for (const x of firsts) for (const y of thens) add(id, [x], false, a1, y, a2, kind, req, inverse, implies);
}
