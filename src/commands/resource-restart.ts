// The two CIB edits of `resource restart BUNDLE`, as crm_resource --restart makes them (pcs 0.11.5
// runs it): target-role=Stopped on the bundle, then, once its replicas have stopped, the bundle's
// meta attributes exactly as they were. The second edit undoes only the first: what it added goes,
// a value it changed comes back, and it changes nothing when someone else changed target-role
// meanwhile (that person's choice stands). Pure; the waiting is src/controller/restart.ts.
import type { Cib } from '../cib/cib';
import { arrangeFirstNvset } from '../cib/nvset';
import { XmlElement, child, elements } from '../cib/xml';
import { BerthError, problem, usage } from '../errors/registry';
import { IdProvider } from '../validate/ids';
import type { EditCommand } from './edit';
import { findResource } from './resource';

/** What the stop edit found, to undo exactly that. */
export type RestartMemo =
  /** the first meta_attributes set had target-role: its nvpair id and value */
  | { bundle: string; kind: 'changed'; pair: string; value: string }
  /** the first set had none: the nvpair added (its id) */
  | { bundle: string; kind: 'added-pair'; pair: string }
  /** there was no meta_attributes set: the set added (its id) */
  | { bundle: string; kind: 'added-set'; set: string; pair: string };

/** pcs's words: `restart RESOURCE [NODE]`; berth restarts every replica, so NODE is refused. */
export function restartTarget(cib: Cib, args: string[]): string {
  if (!args.length) throw usage('must specify a resource to restart');
  if (args.length > 1) throw usage(`berth restarts every replica of a bundle: restarting on one node ('${args[1]}') is not supported`);
  const id = args[0];
  const found = findResource(cib, id);
  if (!found) throw new BerthError([problem('ID_NOT_FOUND', { path: 'resource', value: id, message: `bundle/clone/group/resource '${id}' does not exist` })]);
  if (found.el.tag !== 'bundle') {
    const inBundle = found.parent.tag === 'bundle' ? `; restart its bundle '${found.parent.attrs.id}'` : '';
    throw new BerthError([problem('ID_WRONG_KIND', { path: 'resource', value: id, allowed: 'a bundle', message: `'${id}' is a ${found.el.tag}: berth runs and restarts bundles only${inBundle}` })]);
  }
  return id;
}

const firstMeta = (b: XmlElement) => child(b, 'meta_attributes');
const targetRolePair = (set: XmlElement | undefined) => (set ? elements(set, 'nvpair').find((p) => p.attrs.name === 'target-role') : undefined);

/** Set target-role=Stopped on the bundle; `memo` says how to undo it. A stopped bundle is refused. */
export function restartStop(id: string): { edit: EditCommand; memo: () => RestartMemo } {
  let memo: RestartMemo | undefined;
  const edit: EditCommand = ({ cib }) => {
    const b = findResource(cib, id)?.el;
    if (!b) throw new BerthError([problem('ID_NOT_FOUND', { path: 'resource', value: id, message: `bundle '${id}' does not exist` })]);
    const set = firstMeta(b);
    const pair = targetRolePair(set);
    if (pair && /^stopped$/i.test((pair.attrs.value ?? '').trim())) {
      throw new BerthError([problem('RESOURCE_NOT_RUNNING', { path: 'target-role', value: pair.attrs.value ?? '', message: `'${id}' is stopped (target-role=${pair.attrs.value}): there is nothing to restart; start it with 'resource enable ${id}'` })]);
    }
    const was = pair ? { id: pair.attrs.id, value: pair.attrs.value ?? '' } : undefined;
    arrangeFirstNvset('meta_attributes', b, { 'target-role': 'Stopped' }, new IdProvider(cib));
    const after = targetRolePair(firstMeta(b))!;
    memo = was ? { bundle: id, kind: 'changed', pair: was.id, value: was.value }
      : set ? { bundle: id, kind: 'added-pair', pair: after.attrs.id }
      : { bundle: id, kind: 'added-set', set: firstMeta(b)!.attrs.id, pair: after.attrs.id };
    return { warnings: [] };
  };
  return { edit, memo: () => { if (!memo) throw new Error('restartStop: the edit has not run'); return memo; } };
}

/** Undo restartStop on the CIB the edit is given (the live one, read again): nothing when
 * target-role is no longer the Stopped it set. */
export function restartRestore(memo: RestartMemo): EditCommand {
  return ({ cib }) => {
    const b = findResource(cib, memo.bundle)?.el;
    const set = b && firstMeta(b);
    const pair = targetRolePair(set);
    if (!b || !set || !pair || pair.attrs.id !== memo.pair || pair.attrs.value !== 'Stopped') {
      return { warnings: [], changed: false, notes: [`target-role of '${memo.bundle}' was changed by someone else meanwhile: left as it is`] };
    }
    if (memo.kind === 'changed') pair.attrs.value = memo.value;
    else {
      set.children.splice(set.children.indexOf(pair), 1);
      if (memo.kind === 'added-set' && set.attrs.id === memo.set && !elements(set).length) b.children.splice(b.children.indexOf(set), 1);
    }
    return { warnings: [] };
  };
}
