// The page's actions, each one a command of the CLI: the same library command on the same CIB (the
// controller's CibSource.edit: the file under its lock, or the store by compare-and-swap), the same
// cleanup of every node's ledger as `berth resource cleanup --controller`, refused with the same
// coded problems. The page shows the command line before it is confirmed.
import { BerthError, Problem, problem } from '../errors/registry';
import { UnreachedNode, unreachedProblem } from '../controller/failures';
import type { EditCommand, EditFlags, EditResult } from '../commands/edit';
import { nodeStandby, nodeUnstandby } from '../commands/node';
import { resourceDisable, resourceEnable } from '../commands/resource';

export type UiAction =
  | { kind: 'standby' | 'unstandby'; node: string }
  | { kind: 'enable' | 'disable'; bundle: string }
  | { kind: 'cleanup'; bundle?: string; node?: string };

export const ACTION_KINDS = ['standby', 'unstandby', 'enable', 'disable', 'cleanup'] as const;

export interface ActionDeps {
  /** where the CIB is, as a flag of the command line: `-f FILE` or `--store URL` */
  cibFlag: string;
  /** the controllers, as `--controller URL` of a cleanup */
  controller: string;
  edit(edit: EditCommand, args: string[], flags: EditFlags): Promise<EditResult>;
  /** `resource cleanup` over every node's ledger (the controller's own): what it did, and the nodes it could not reach */
  cleanup(req: { resource?: string; node?: string }): Promise<{ lines: string[]; unreachable: readonly UnreachedNode[] }>;
}

export interface ActionResult { command: string; notes: string[]; warnings: { code: string; message: string }[] }

/** A refusal after part of the work was done (a cleanup that did not reach every node, as the CLI
 * fails then): the problems, and what was done (`notes`). */
export class ActionPartlyDone extends BerthError {
  constructor(problems: Problem[], readonly notes: string[]) {
    super(problems);
  }
}

const bad = (path: string, value: unknown, message: string) => new BerthError([problem('USAGE', { path, value: typeof value === 'string' ? value.slice(0, 80) : JSON.stringify(value ?? null).slice(0, 80), message })]);

/** A name as the request gives it: a word, checked further by the command itself. */
function name(o: Record<string, unknown>, k: 'node' | 'bundle', required: boolean): string | undefined {
  const v = o[k];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || !v || v.length > 256 || /[\s\u0000-\u001f]/.test(v) || v.startsWith('-')) throw bad(k, v, `the action needs a ${k} name`);
  return v;
}

/** The request body of POST /action. */
export function parseAction(body: unknown): UiAction {
  const o = body as Record<string, unknown> | null;
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw bad('action', body, 'the action must be an object');
  const kind = o.kind;
  if (typeof kind !== 'string' || !(ACTION_KINDS as readonly string[]).includes(kind)) {
    throw new BerthError([problem('USAGE', { path: 'kind', value: String(kind).slice(0, 40), allowed: ACTION_KINDS.join(', '), message: `'${String(kind).slice(0, 40)}' is not an action of the page` })]);
  }
  if (kind === 'standby' || kind === 'unstandby') return { kind, node: name(o, 'node', true)! };
  if (kind === 'enable' || kind === 'disable') return { kind, bundle: name(o, 'bundle', true)! };
  const bundle = name(o, 'bundle', false);
  const node = name(o, 'node', false);
  return { kind: 'cleanup', ...(bundle ? { bundle } : {}), ...(node ? { node } : {}) };
}

/** The berth command line that does the same (shown before it is confirmed, and in the result). */
export function commandLine(a: UiAction, d: Pick<ActionDeps, 'cibFlag' | 'controller'>): string {
  switch (a.kind) {
    case 'standby':
    case 'unstandby':
      return `berth ${d.cibFlag} node ${a.kind} ${a.node}`;
    case 'enable':
    case 'disable':
      return `berth ${d.cibFlag} resource ${a.kind} ${a.bundle}`;
    case 'cleanup':
      return `berth resource cleanup${a.bundle ? ` ${a.bundle}` : ''}${a.node ? ` node=${a.node}` : ''} --controller ${d.controller}`;
  }
}

const FLAGS: EditFlags = { force: false };

export async function runAction(a: UiAction, d: ActionDeps): Promise<ActionResult> {
  const command = commandLine(a, d);
  if (a.kind === 'cleanup') {
    const r = await d.cleanup({ ...(a.bundle ? { resource: a.bundle } : {}), ...(a.node ? { node: a.node } : {}) });
    if (r.unreachable.length) throw new ActionPartlyDone([unreachedProblem(r.unreachable, 'resource cleanup')], r.lines);
    return { command, notes: r.lines, warnings: [] };
  }
  const [edit, target] = 'node' in a ? [a.kind === 'standby' ? nodeStandby : nodeUnstandby, a.node] : [a.kind === 'enable' ? resourceEnable : resourceDisable, a.bundle];
  const r = await d.edit(edit, [target], FLAGS);
  return { command, notes: r.notes ?? [], warnings: r.warnings.map((w) => ({ code: w.code, message: w.message })) };
}
