// Small composable option validators, after pcs's lib/validate.py: each takes the options of one
// section and returns problems; a section's validator list is run whole so all problems surface.
// Messages follow pcs's wording so that people who know pcs read them the same way.
import { Problem, ProblemCode, problem, warning } from '../errors/registry';

export type Options = Record<string, string>;
export type Validator = (opts: Options) => Problem[];

/** pcs's format_list: sorted, each quoted, comma separated. */
export const formatList = (items: Iterable<string>) => [...items].sort().map((i) => `'${i}'`).join(', ');
const desc = (type?: string) => (type ? `${type} ` : '');

export function namesIn(allowed: Iterable<string>, type: string, forceable = true): Validator {
  const set = new Set(allowed);
  return (opts) => {
    const bad = Object.keys(opts).filter((k) => !set.has(k));
    if (!bad.length) return [];
    const list = formatList(bad);
    const allowedList = formatList(set);
    const many = bad.length > 1;
    let message = `invalid ${desc(type)}option${many ? 's:' : ''} ${list}, allowed option${set.size > 1 ? 's are:' : ' is'} ${allowedList}`;
    // pcs lets --force write such options, and then Pacemaker's CIB schema refuses the CIB.
    if (!forceable) message += " (Pacemaker's CIB schema allows no others, so --force cannot help)";
    return [problem('OPTION_UNKNOWN', { path: type, value: bad.join(','), allowed: [...set].sort().join(', '), message, forceable })];
  };
}

export function isRequiredAll(names: string[], type: string): Validator {
  return (opts) => {
    const missing = names.filter((n) => !(n in opts));
    if (!missing.length) return [];
    const many = missing.length > 1;
    return [problem('OPTION_REQUIRED', { path: type, value: missing.join(','), message: `required ${desc(type)}option${many ? 's' : ''} ${formatList(missing)} ${many ? 'are' : 'is'} missing` })];
  };
}

export function isRequiredSome(names: string[], type: string): Validator {
  return (opts) => {
    if (names.some((n) => n in opts)) return [];
    const sorted = [...names].sort().map((n) => `'${n}'`);
    const list = sorted.length === 1 ? sorted[0] : `${sorted.slice(0, -1).join(', ')} or ${sorted[sorted.length - 1]}`;
    return [problem('OPTION_REQUIRED', { path: type, value: names.join(','), message: `${desc(type)}option ${list} has to be specified` })];
  };
}

export function mutuallyExclusive(names: string[], type: string): Validator {
  return (opts) => {
    const present = names.filter((n) => n in opts);
    if (present.length < 2) return [];
    const s = present.sort().map((n) => `'${n}'`);
    return [problem('OPTION_CONFLICT', { path: type, value: present.join(','), message: `Only one of ${desc(type)}options ${s.slice(0, -1).join(', ')} and ${s[s.length - 1]} can be used` })];
  };
}

export function dependsOn(names: string[], prerequisite: string, type: string): Validator {
  return (opts) => {
    if (prerequisite in opts) return [];
    return names.filter((n) => n in opts).map((n) => problem('OPTION_PREREQUISITE', { path: `${type}.${n}`, value: n, message: `If ${desc(type)}option '${n}' is specified, ${desc(type)}option '${prerequisite}' must be specified as well` }));
  };
}

interface ValueRule {
  name: string;
  /** How the option is named in messages (pcs's option_name_for_report). */
  label?: string;
  valid: (v: string) => boolean;
  hint: string;
  /** In updates, an empty value means "remove" and is valid. */
  emptyOk?: boolean;
  forceable?: boolean;
  type?: string;
  /** Default OPTION_INVALID_VALUE. */
  code?: ProblemCode;
}

export function valueRule(r: ValueRule): Validator {
  return (opts) => {
    const v = opts[r.name];
    if (v === undefined || (r.emptyOk && v === '') || r.valid(v)) return [];
    const message = `'${v}' is not a valid ${r.label ?? r.name} value, use ${r.hint}`;
    return [problem(r.code ?? 'OPTION_INVALID_VALUE', { path: r.type ? `${r.type}.${r.name}` : r.name, value: v, allowed: r.hint, message, forceable: r.forceable })];
  };
}

export const isInteger = (v: string, min?: number, max?: number) => {
  if (!/^\s*[+-]?\d+\s*$/.test(v)) return false;
  const n = Number(v);
  return (min === undefined || n >= min) && (max === undefined || n <= max);
};

export const positiveInteger = (name: string, emptyOk = false, type?: string) => valueRule({ name, valid: (v) => isInteger(v, 1), hint: 'a positive integer', emptyOk, type });
export const nonnegativeInteger = (name: string, emptyOk = false, type?: string) => valueRule({ name, valid: (v) => isInteger(v, 0), hint: 'a non-negative integer', emptyOk, type });
export const portNumber = (name: string, emptyOk = false, type?: string) => valueRule({ name, valid: (v) => isInteger(v, 1, 65535), hint: 'a port number (1..65535)', emptyOk, type });
export const portRange = (name: string, forceable: boolean, type?: string) =>
  valueRule({
    name,
    valid: (v) => {
      const m = /^(\d+)-(\d+)$/.exec(v);
      return !!m && isInteger(m[1], 1, 65535) && isInteger(m[2], 1, 65535) && Number(m[1]) <= Number(m[2]);
    },
    hint: 'port-port',
    forceable,
    type,
  });

export function valueNotEmpty(name: string, label: string): Validator {
  return (opts) => (opts[name] === '' ? [problem('OPTION_INVALID_VALUE', { path: name, value: '', allowed: `a non-empty ${label}`, message: `${label} cannot be empty` })] : []);
}

export function deprecated(name: string, replacedBy: string, type: string): Problem {
  return warning('OPTION_DEPRECATED', { path: `${type}.${name}`, value: name, allowed: replacedBy, message: `${desc(type)}option '${name}' is deprecated and should not be used, use '${replacedBy}' instead` });
}

export function runAll(validators: Validator[], opts: Options): Problem[] {
  const out: Problem[] = [];
  for (const v of validators) out.push(...v(opts));
  return out;
}

/** Options whose value is empty: in updates they are removals, allowed even if unknown. */
export const optionsToRemove = (opts: Options) => Object.keys(opts).filter((k) => opts[k] === '');
