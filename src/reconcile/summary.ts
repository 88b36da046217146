// A plan as people read it, like Pacemaker's "Transition Summary" (crm_simulate): one line per
// action with the replica and the reason, then what waits, what is only reported, and problems.
// Deterministic, so golden tests compare it as text.
import { InnerStep, opLabel } from './inner';
import type { Action, Plan } from './plan';
import { planChanges } from './plan';

const col = (s: string, w: number) => (s.length >= w ? s + ' ' : s + ' '.repeat(w - s.length));

/** "stop, start, monitor (30s)": a replica's resource operations in the order they run. */
export const innerSteps = (steps: readonly InnerStep[]) => steps.map((s) => (s.kind === 'fence' ? 'fence (recover the container)' : s.kind === 'probe' ? 'probe' : opLabel(s.op.name, s.op.intervalMs))).join(', ');

function line(a: Action): string {
  switch (a.kind) {
    case 'write-file':
      return `  * ${col('write-file', 15)}${col(a.bundle, 18)}${a.path}: ${a.reason}`;
    case 'add-address':
    case 'remove-address':
      return `  * ${col(a.kind, 15)}${col(a.replica, 18)}${a.address.ip}/${a.address.prefix} on ${a.address.interface}: ${a.reason}`;
    case 'create':
      return `  * ${col('create', 15)}${col(a.replica, 18)}image ${a.desired.spec.Image}: ${a.reason}`;
    case 'replace':
      return `  * ${col('replace', 15)}${col(a.replica, 18)}image ${a.desired.spec.Image}: ${a.reason}`;
    case 'inner':
      return `  * ${col('resource', 15)}${col(a.replica, 18)}${innerSteps(a.chain.steps)}: ${a.reason}`;
    default:
      return `  * ${col(a.kind, 15)}${col(a.replica, 18)}${a.reason}`;
  }
}

export function formatPlan(plan: Plan): string {
  const changes = planChanges(plan);
  const out: string[] = [`Plan for node ${plan.node}: ${changes.length ? `${changes.length} change${changes.length === 1 ? '' : 's'}` : 'nothing to do'}`];
  // The order actions take for each replica when applied.
  for (const a of changes) out.push(line(a));
  for (const n of plan.waiting) out.push(`  ~ ${col('waiting', 15)}${col(n.replica ?? n.bundle, 18)}${n.message}`);
  for (const n of plan.reports) out.push(`  - ${col('report', 15)}${col(n.replica ?? n.bundle, 18)}${n.message}`);
  for (const p of plan.problems) out.push(`  ! ${col(p.code, 15)}${p.message}`);
  for (const f of plan.foreign) out.push(`  - ${col('foreign', 15)}${col(f.name, 18)}[${f.code}] ${f.message}`);
  return out.join('\n') + '\n';
}

/** The plan as data for --json: the desired specs are reduced to what identifies them. */
export function planJson(plan: Plan): Record<string, unknown> {
  const slim = (a: Action) => {
    if (a.kind === 'create' || a.kind === 'replace') {
      const { desired, ...rest } = a;
      return { ...rest, image: desired.spec.Image, specHash: desired.specHash, ...(desired.address ? { address: desired.address.ip } : {}) };
    }
    if (a.kind === 'write-file') {
      const { content: _content, ...rest } = a;
      return rest;
    }
    return a;
  };
  return {
    node: plan.node,
    converged: planChanges(plan).length === 0,
    create: plan.create.map(slim),
    start: plan.start,
    stop: plan.stop,
    remove: plan.remove,
    rename: plan.rename,
    replace: plan.replace.map(slim),
    addAddress: plan.addAddress,
    removeAddress: plan.removeAddress,
    writeFile: plan.writeFile.map(slim),
    inner: plan.inner,
    waiting: plan.waiting,
    reports: plan.reports,
    problems: plan.problems,
    blocked: plan.blocked,
    foreign: plan.foreign,
  };
}
