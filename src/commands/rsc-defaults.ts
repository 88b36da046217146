// Resource defaults (<rsc_defaults>): the meta attributes every resource inherits unless it sets
// its own, as pcs 0.11.5 writes and shows them (pcs resource defaults [config] | update):
// the first <meta_attributes> set, created as `rsc_defaults-meta_attributes`; NAME= removes.
//
// pcs takes any value. berth checks the values of the attributes its scheduler and reconciler
// act on (a stickiness of "abc" would silently count as 0): an error naming the value and what is
// allowed, which --force turns into a warning. Other names pass as they are, as in pcs.
import { Cib, section } from '../cib/cib';
import { XmlElement, child, el, elements } from '../cib/xml';
import { Problem, applyForce, failIfErrors, problem, usage, warning } from '../errors/registry';
import { prepareOptions } from './pcs-words';
import { IdProvider } from '../validate/ids';
import { isScore } from './constraint';
import { parseDurationMs } from '../reconcile/desired';
import { EditCommand, ReadCommand } from './edit';
import { NvsetJson, nvsetJson, nvsetUpdate } from './property';

export const RSC_DEFAULTS_SET_ID = 'rsc_defaults-meta_attributes';

const BOOLEAN = /^(true|on|yes|y|1|false|off|no|n|0)$/i;
const INTEGER = /^[+-]?[0-9]+$/;
const ROLES = ['Started', 'Stopped', 'Promoted', 'Unpromoted', 'Master', 'Slave'];

/** The values Pacemaker accepts for the meta attributes berth acts on. */
const CHECKS: Record<string, { ok: (v: string) => boolean; allowed: string }> = {
  'resource-stickiness': { ok: isScore, allowed: 'a score: an integer, INFINITY or -INFINITY' },
  // As the reconciler reads them (src/reconcile/desired.ts): what it cannot read, it ignores.
  'migration-threshold': { ok: (v) => /^\s*\+?(INFINITY|[0-9]+)\s*$/i.test(v), allowed: 'INFINITY or a whole number of failures (0 or INFINITY: never move)' },
  'failure-timeout': { ok: (v) => parseDurationMs(v) !== undefined, allowed: 'a duration: seconds, or a number with ms, s, m, min or h, or ISO 8601 (PT1M)' },
  'target-role': { ok: (v) => ROLES.some((r) => r.toLowerCase() === v.toLowerCase()), allowed: ROLES.join(', ') },
  'is-managed': { ok: (v) => BOOLEAN.test(v), allowed: 'a boolean: true, false, on, off, yes, no, 1, 0' },
  priority: { ok: (v) => INTEGER.test(v), allowed: 'an integer' },
};

export function validateDefaults(changes: Record<string, string>): Problem[] {
  const out: Problem[] = [];
  for (const [name, value] of Object.entries(changes)) {
    const check = CHECKS[name];
    if (value === '' || !check || check.ok(value)) continue;
    out.push({
      ...problem('OPTION_INVALID_VALUE', { path: `rsc_defaults/${name}`, value, allowed: check.allowed, message: `'${value}' is not a valid ${name} value, use ${check.allowed}` }),
      forceable: true,
    });
  }
  return out;
}

/** The first meta_attributes set of rsc_defaults (pcs's legacy defaults set), or a new one. */
function firstSet(cib: Cib, ids: IdProvider): XmlElement {
  const defaults = section(cib, 'rsc_defaults');
  const first = child(defaults, 'meta_attributes');
  if (first) return first;
  const set = el('meta_attributes', { id: ids.allocate(RSC_DEFAULTS_SET_ID) });
  defaults.children.push(set);
  return set;
}

/**
 * Set (NAME=VALUE) and remove (NAME=) resource defaults as `pcs resource defaults update` does.
 * (Whether the CIB changed is for the caller to see: the edit runners compare it before and after.)
 */
export function updateDefaults(cib: Cib, changes: Record<string, string>, force: boolean): { warnings: Problem[] } {
  const problems = applyForce(validateDefaults(changes), force);
  failIfErrors(problems);
  const ids = new IdProvider(cib);
  nvsetUpdate(firstSet(cib, ids), ids, changes);
  const notice = warning('DEFAULTS_OVERRIDDEN', { path: 'rsc_defaults', message: 'Defaults do not apply to resources which override them with their own defined values' });
  return { warnings: [...problems, notice] };
}

/** `resource defaults update NAME=VALUE...` */
export const defaultsUpdate: EditCommand = ({ cib, args, flags }) => {
  if (!args.length) throw usage('resource defaults update needs at least one NAME=VALUE');
  return updateDefaults(cib, prepareOptions(args), flags.force);
};

/** `resource defaults NAME=VALUE...`: pcs's deprecated form of update. */
export const defaultsLegacy: EditCommand = (ctx) => {
  const r = defaultsUpdate(ctx);
  const deprecated = warning('OPTION_DEPRECATED', { path: 'resource defaults', message: "This command is deprecated and will be removed. Please use 'berth resource defaults update' instead." });
  return { ...r, warnings: [deprecated, ...r.warnings] };
};

/** Every meta_attributes set of rsc_defaults, shaped like `property config --json`'s sets. */
export function defaultsJson(cib: Cib): { meta_attributes: NvsetJson[] } {
  const conf = child(cib, 'configuration');
  const defaults = conf && child(conf, 'rsc_defaults');
  return { meta_attributes: (defaults ? elements(defaults, 'meta_attributes') : []).map(nvsetJson) };
}

/** The text of `pcs resource defaults [config]`: each set, its pairs sorted by name. */
export function defaultsText(cib: Cib): string {
  const sets = defaultsJson(cib).meta_attributes;
  if (!sets.length) return 'No defaults set\n';
  const lines: string[] = [];
  for (const s of sets) {
    lines.push(`Meta Attrs: ${s.id}`);
    const pairs = [...s.nvpairs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const p of pairs) lines.push(`  ${p.name}=${p.value}`);
  }
  return lines.join('\n') + '\n';
}

/** `resource defaults [config] [--json]` */
export const defaultsConfig: ReadCommand = ({ cib, args, flags }) => {
  if (args.length) throw usage('resource defaults config takes no arguments');
  return flags.json ? JSON.stringify(defaultsJson(cib), null, 2) + '\n' : defaultsText(cib);
};
