// Cluster properties (the nvpairs of <crm_config>) as pcs 0.11.5 sets, unsets and shows them:
// pcs/cli/cluster_property.py, pcs/lib/commands/cluster_property.py, pcs/lib/cluster_property.py,
// pcs/lib/cib/nvpair_multi.py and pcs/prop.py.
//
// Terms: a "property definition" is one <parameter> of a Pacemaker daemon's metadata (pcs reads
// `pacemaker-based|pacemaker-controld|pacemaker-schedulerd metadata`); the "property set" is the
// first <cluster_property_set> of crm_config, created as `cib-bootstrap-options` when missing.
import { Cib, section } from '../cib/cib';
import { XmlElement, canonical, child, el, elements, isElement, parseXml, walk } from '../cib/xml';
import { BerthError, Problem, applyForce, failIfErrors, problem, usage } from '../errors/registry';
import { prepareOptions } from './pcs-words';
import { pythonInt } from './pcs-text';
import { IdProvider } from '../validate/ids';
import { sanitizeId } from '../cib/cib';
import { RuleJson, isScore, ruleJson } from './constraint';
import { EditCommand, ReadCommand } from './edit';
import { HOST_ACCESS, parseHostAccessList } from '../runtime/host-access';

// ---- what Pacemaker knows ----

export type PacemakerDaemon = 'pacemaker-based' | 'pacemaker-controld' | 'pacemaker-schedulerd';
/** berth's own properties are not any daemon's: not listed with the daemons' metadata, settable */
export type PropertyOwner = PacemakerDaemon | 'berth';
/** Metadata content types; anything else is validated as a free string (as pcs does). */
export type PropertyType = 'boolean' | 'integer' | 'percentage' | 'select' | 'time' | 'string';

export interface PropertyDefinition {
  name: string;
  type: PropertyType | string;
  default?: string;
  /** the <option value> list of a `select` */
  enumValues?: string[];
  daemon: PropertyOwner;
}

const def = (daemon: PacemakerDaemon) => (name: string, type: PropertyType, dflt?: string, enumValues?: string[]): PropertyDefinition =>
  enumValues ? { name, type, default: dflt, enumValues, daemon } : dflt === undefined ? { name, type, daemon } : { name, type, default: dflt, daemon };
const based = def('pacemaker-based');
const controld = def('pacemaker-controld');
const schedulerd = def('pacemaker-schedulerd');
const NO_QUORUM = ['stop', 'freeze', 'ignore', 'demote', 'suicide'];

/**
 * The metadata of Pacemaker 2.1.5's daemons, in the order pcs reads them (based, controld,
 * schedulerd). berth plays the daemons' part, so it carries their metadata instead of running
 * them; test/commands/property.ts proves this table equals the recorded daemon output in
 * test/fixtures/property-constraint/metadata/.
 */
export const PROPERTY_DEFINITIONS: readonly PropertyDefinition[] = [
  based('enable-acl', 'boolean', 'false'),
  based('cluster-ipc-limit', 'integer', '500'),
  controld('dc-version', 'string', 'none'),
  controld('cluster-infrastructure', 'string', 'corosync'),
  controld('cluster-name', 'string'),
  controld('dc-deadtime', 'time', '20s'),
  controld('cluster-recheck-interval', 'time', '15min'),
  controld('load-threshold', 'percentage', '80%'),
  controld('node-action-limit', 'integer', '0'),
  controld('fence-reaction', 'string', 'stop'),
  controld('election-timeout', 'time', '2min'),
  controld('shutdown-escalation', 'time', '20min'),
  controld('join-integration-timeout', 'time', '3min'),
  controld('join-finalization-timeout', 'time', '30min'),
  controld('transition-delay', 'time', '0s'),
  controld('stonith-watchdog-timeout', 'time', '0'),
  controld('stonith-max-attempts', 'integer', '10'),
  controld('no-quorum-policy', 'select', 'stop', NO_QUORUM),
  controld('shutdown-lock', 'boolean', 'false'),
  schedulerd('no-quorum-policy', 'select', 'stop', NO_QUORUM),
  schedulerd('symmetric-cluster', 'boolean', 'true'),
  schedulerd('maintenance-mode', 'boolean', 'false'),
  schedulerd('start-failure-is-fatal', 'boolean', 'true'),
  schedulerd('enable-startup-probes', 'boolean', 'true'),
  schedulerd('shutdown-lock', 'boolean', 'false'),
  schedulerd('shutdown-lock-limit', 'time', '0'),
  schedulerd('stonith-enabled', 'boolean', 'true'),
  schedulerd('stonith-action', 'select', 'reboot', ['reboot', 'off', 'poweroff']),
  schedulerd('stonith-timeout', 'time', '60s'),
  schedulerd('have-watchdog', 'boolean', 'false'),
  schedulerd('concurrent-fencing', 'boolean', 'false'),
  schedulerd('startup-fencing', 'boolean', 'true'),
  schedulerd('priority-fencing-delay', 'time', '0'),
  schedulerd('cluster-delay', 'time', '60s'),
  schedulerd('batch-limit', 'integer', '0'),
  schedulerd('migration-limit', 'integer', '-1'),
  schedulerd('stop-all-resources', 'boolean', 'false'),
  schedulerd('stop-orphan-resources', 'boolean', 'true'),
  schedulerd('stop-orphan-actions', 'boolean', 'true'),
  schedulerd('remove-after-stop', 'boolean', 'false'),
  schedulerd('pe-error-series-max', 'integer', '-1'),
  schedulerd('pe-warn-series-max', 'integer', '5000'),
  schedulerd('pe-input-series-max', 'integer', '4000'),
  schedulerd('node-health-strategy', 'select', 'none', ['none', 'migrate-on-red', 'only-green', 'progressive', 'custom']),
  schedulerd('node-health-base', 'integer', '0'),
  schedulerd('node-health-green', 'integer', '0'),
  schedulerd('node-health-yellow', 'integer', '0'),
  schedulerd('node-health-red', 'integer', '-INFINITY'),
  schedulerd('placement-strategy', 'select', 'default', ['default', 'utilization', 'minimal', 'balanced']),
];

/** pcs's parsing of a daemon's `metadata` output (lib/resource_agent/xml.py, parameters only). */
export function propertyDefinitionsFromMetadata(daemon: PacemakerDaemon, xml: string): PropertyDefinition[] {
  const root = parseXml(xml, `${daemon} metadata`);
  const out: PropertyDefinition[] = [];
  const params = child(root, 'parameters');
  for (const p of params ? elements(params, 'parameter') : []) {
    const content = child(p, 'content');
    const type = content?.attrs.type ?? 'string';
    const d: PropertyDefinition = { name: p.attrs.name ?? '', type, daemon };
    if (content?.attrs.default !== undefined) d.default = content.attrs.default;
    if (type === 'select' && content) d.enumValues = elements(content, 'option').map((o) => o.attrs.value ?? '');
    out.push(d);
  }
  return out;
}

/** pcs's _READONLY_CLUSTER_PROPERTY_LIST: never settable, not even with --force. */
export const READ_ONLY_PROPERTIES = ['cluster-infrastructure', 'cluster-name', 'dc-version', 'have-watchdog', 'last-lrm-refresh'];
/** Not listed by `property config --all|--defaults` (pcs's legacy metadata export bans them). */
const HIDDEN_FROM_DEFAULTS = ['dc-version', 'cluster-infrastructure'];
export const DEFAULT_PROPERTY_SET_ID = 'cib-bootstrap-options';
/** pcs limits the name part of new nvpair ids to 20 characters. */
const NVPAIR_ID_NAME_LIMIT = 20;

/** Settable properties by name; a later daemon's definition replaces an earlier one, as in pcs. */
function settable(defs: readonly PropertyDefinition[]): Map<string, PropertyDefinition> {
  const out = new Map<string, PropertyDefinition>();
  for (const d of defs) if (!READ_ONLY_PROPERTIES.includes(d.name)) out.set(d.name, d);
  return out;
}

// ---- values, as pcs's validators judge them ----

const PCMK_BOOLEANS = ['true', 'on', 'yes', 'y', '1', 'false', 'off', 'no', 'n', '0'];
export const isPcmkBoolean = (v: string) => PCMK_BOOLEANS.includes(v.toLowerCase());


/** pcs's timeout_to_seconds: a non-negative integer, or digits with s/sec/m/min/h/hr. */
export function timeoutToSeconds(v: string): number | undefined {
  const n = pythonInt(v);
  if (n !== undefined) return n >= 0 ? n : undefined;
  const units: [string, number][] = [['s', 1], ['sec', 1], ['m', 60], ['min', 60], ['h', 3600], ['hr', 3600]];
  for (const [suffix, mult] of units) {
    const digits = v.slice(0, -suffix.length);
    if (v.endsWith(suffix) && /^[0-9]+$/.test(digits)) return Number(digits) * mult;
  }
  return undefined;
}

const isPercentage = (v: string) => v.length > 0 && v.endsWith('%') && /^[+-]?[0-9]+$/.test(v.slice(0, -1)) && Number(v.slice(0, -1)) >= 0;

/** pcs's format_list: sorted, quoted, comma separated. */
const formatList = (items: Iterable<string>) => [...items].sort().map((i) => `'${i}'`).join(', ');

interface ValueCheck {
  valid: (v: string) => boolean;
  allowed: string;
}

function valueCheck(d: PropertyDefinition): ValueCheck | undefined {
  switch (d.type) {
    case 'boolean':
      return { valid: isPcmkBoolean, allowed: `a pacemaker boolean value: ${formatList(PCMK_BOOLEANS)}` };
    case 'integer':
      return { valid: isScore, allowed: 'an integer or INFINITY or -INFINITY' };
    case 'percentage':
      return { valid: isPercentage, allowed: "a non-negative integer followed by '%' (e.g. 0%, 50%, 200%, ...)" };
    case 'select':
      return { valid: (v) => (d.enumValues ?? []).includes(v), allowed: formatList(d.enumValues ?? []) };
    case 'time':
      return { valid: (v) => timeoutToSeconds(v) !== undefined, allowed: 'time interval (e.g. 1, 2s, 3m, 4h, ...)' };
    case 'host-access':
      return { valid: (v) => parseHostAccessList(v).ok, allowed: `a comma list of ${formatList([...HOST_ACCESS])}` };
    default:
      return undefined;
  }
}

// ---- validation ----

const plural = (n: number, one: string, many: string) => (n === 1 ? one : many);

function invalidNames(names: string[], allowed: string[], forceable: boolean): Problem {
  const many = names.length > 1;
  return problem('PROPERTY_UNKNOWN', {
    path: 'cluster property',
    value: names.join(','),
    allowed: allowed.join(', '),
    forceable,
    message: `invalid cluster property option${many ? 's:' : ''} ${formatList(names)}, allowed option${allowed.length > 1 ? 's are:' : ' is'} ${formatList(allowed)}`,
  });
}

/**
 * pcs's validate_set_cluster_properties. `changes` maps names to values, '' meaning removal;
 * forceable problems are returned as forceable errors for the caller's applyForce.
 */
/** Properties berth reads that Pacemaker has not (settable like the daemons', never listed with them). */
export const BERTH_PROPERTIES: readonly PropertyDefinition[] = [
  { name: 'berth-host-access', type: 'host-access', daemon: 'berth' },
];

export function validatePropertyChanges(defs: readonly PropertyDefinition[], setId: string, configured: string[], changes: Record<string, string>): Problem[] {
  const known = settable([...defs, ...BERTH_PROPERTIES.filter((b) => !defs.some((d) => d.name === b.name))]);
  const toSet = Object.keys(changes).filter((n) => changes[n] !== '');
  const toRemove = Object.keys(changes).filter((n) => changes[n] === '');
  const out: Problem[] = [];

  const missing = [...new Set(toRemove.filter((n) => !configured.includes(n)))].sort();
  if (missing.length) {
    out.push(problem('ID_NOT_FOUND', {
      path: `cluster_property_set[@id='${setId}']`,
      value: missing.join(','),
      forceable: true,
      message: `Cannot remove ${plural(missing.length, 'property', 'properties')} ${formatList(missing)}, ${plural(missing.length, 'it is', 'they are')} not present in property set '${setId}'`,
    }));
  }

  // Unknown properties may be removed, never set; read-only ones can be neither.
  const checked = Object.keys(changes).filter((n) => !(changes[n] === '' && !READ_ONLY_PROPERTIES.includes(n) && !known.has(n)));
  // pcs's list of allowed names (berth's own properties are documented, not listed here).
  const allowed = [...known.keys()].filter((n) => !BERTH_PROPERTIES.some((b) => b.name === n)).sort();
  const readOnly = checked.filter((n) => READ_ONLY_PROPERTIES.includes(n)).sort();
  const unknown = checked.filter((n) => !known.has(n) && !READ_ONLY_PROPERTIES.includes(n)).sort();
  if (unknown.length) out.push(invalidNames(unknown, allowed, true));
  if (readOnly.length) out.push(invalidNames(readOnly, allowed, false));

  for (const name of toSet) {
    const d = known.get(name);
    const check = d && valueCheck(d);
    if (!check || check.valid(changes[name])) continue;
    out.push(problem('PROPERTY_INVALID_VALUE', {
      path: name,
      value: changes[name],
      allowed: check.allowed,
      // pcs never lets a bad stonith-watchdog-timeout through
      forceable: name !== 'stonith-watchdog-timeout',
      message: `'${changes[name]}' is not a valid ${name} value, use ${check.allowed}`,
    }));
  }

  // berth has no SBD, so stonith-watchdog-timeout can only be 0 or unset (pcs with SBD disabled).
  const swt = changes['stonith-watchdog-timeout'];
  if (swt !== undefined && (swt !== '' || configured.includes('stonith-watchdog-timeout'))) {
    const seconds = swt === '' ? 0 : timeoutToSeconds(swt);
    if (seconds !== undefined && seconds !== 0) {
      out.push(problem('PROPERTY_INVALID_VALUE', {
        path: 'stonith-watchdog-timeout',
        value: swt,
        allowed: '0 or empty (SBD is disabled)',
        message: 'stonith-watchdog-timeout can only be unset or set to 0 while SBD is disabled',
      }));
    }
  }
  return out;
}

// ---- changes ----

/** pcs's get_cluster_property_set_element_legacy: the first set, or a new cib-bootstrap-options. */
function findOrNewPropertySet(cib: Cib, ids: IdProvider): { set: XmlElement; isNew: boolean } {
  const crmConfig = section(cib, 'crm_config');
  const first = child(crmConfig, 'cluster_property_set');
  if (first) return { set: first, isNew: false };
  if (ids.has(DEFAULT_PROPERTY_SET_ID)) {
    throw new BerthError([problem('ID_DUPLICATE', {
      path: 'crm_config',
      value: DEFAULT_PROPERTY_SET_ID,
      message: `Cannot create default cluster_property_set element, ID '${DEFAULT_PROPERTY_SET_ID}' already exists. Find elements with the ID and remove them from cluster configuration.`,
    })]);
  }
  ids.book(DEFAULT_PROPERTY_SET_ID);
  return { set: el('cluster_property_set', { id: DEFAULT_PROPERTY_SET_ID }), isNew: true };
}

/** pcs's nvset_update: in the given order; '' removes; extra pairs of the same name go too. */
export function nvsetUpdate(set: XmlElement, ids: IdProvider, changes: Record<string, string>): void {
  for (const [name, value] of Object.entries(changes)) {
    const same = set.children.filter((c): c is XmlElement => isElement(c) && c.tag === 'nvpair' && c.attrs.name === name);
    if (!same.length) {
      if (value !== '') {
        const namePart = Array.from(name).slice(0, NVPAIR_ID_NAME_LIMIT).join('');
        const id = ids.allocate(sanitizeId(`${set.attrs.id ?? set.tag}-${namePart}`));
        set.children.push(el('nvpair', { id, name, value }));
      }
      continue;
    }
    if (value !== '') same[0].attrs.value = value;
    const drop = new Set(value !== '' ? same.slice(1) : same);
    set.children = set.children.filter((c) => !(isElement(c) && drop.has(c)));
  }
}

/** Set (value) and remove ('') cluster properties as `pcs property set` does. */
export function setProperties(cib: Cib, changes: Record<string, string>, force: boolean, defs: readonly PropertyDefinition[] = PROPERTY_DEFINITIONS): { warnings: Problem[]; changed: boolean } {
  const crmConfig = section(cib, 'crm_config');
  const before = canonical(crmConfig);
  const ids = new IdProvider(cib);
  const { set, isNew } = findOrNewPropertySet(cib, ids);
  const configured = elements(set, 'nvpair').map((p) => p.attrs.name ?? '');
  const problems = applyForce(validatePropertyChanges(defs, set.attrs.id ?? '', configured, changes), force);
  failIfErrors(problems);
  if (isNew) crmConfig.children.push(set);
  nvsetUpdate(set, ids, changes);
  return { warnings: problems, changed: canonical(crmConfig) !== before };
}

// ---- commands ----

/** `property set NAME=VALUE...`; an empty value removes the property. */
export const propertySet: EditCommand = ({ cib, args, flags }) => {
  if (!args.length) throw usage('property set needs at least one NAME=VALUE');
  return setProperties(cib, prepareOptions(args), flags.force);
};

/** `property unset NAME...` */
export const propertyUnset: EditCommand = ({ cib, args, flags }) => {
  if (!args.length) throw usage('property unset needs at least one property name');
  if (!flags.force) {
    const seen = new Set<string>();
    const dup = new Set<string>();
    for (const a of args) (seen.has(a) ? dup : seen).add(a);
    if (dup.size) throw usage(`duplicate ${plural(dup.size, 'argument', 'arguments')}: ${formatList(dup)}`);
  }
  const changes: Record<string, string> = {};
  for (const a of args) changes[a] = '';
  return setProperties(cib, changes, flags.force);
};

/** Configured properties: every nvpair under crm_config, later ones winning (pcs's get_set_properties). */
export function configuredProperties(cib: Cib): Record<string, string> {
  const out: Record<string, string> = {};
  walk(section(cib, 'crm_config'), (e) => {
    if (e.tag === 'nvpair') out[e.attrs.name ?? ''] = e.attrs.value ?? '';
  });
  return out;
}

/** Defaults as `property config --defaults` lists them (pcs's legacy metadata export). */
export function propertyDefaults(defs: readonly PropertyDefinition[] = PROPERTY_DEFINITIONS): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of defs) if (!HIDDEN_FROM_DEFAULTS.includes(d.name)) out[d.name] = d.default ?? '';
  return out;
}

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The text of `pcs property config [NAME] [--all|--defaults]`. */
export function propertyConfigText(cib: Cib, name: string | undefined, mode: 'configured' | 'all' | 'defaults'): string {
  let shown: Record<string, string> = mode === 'configured' ? {} : propertyDefaults();
  if (mode !== 'defaults') {
    const configured = configuredProperties(cib);
    const picked = name === undefined ? configured : name in configured ? { [name]: configured[name] } : {};
    shown = mode === 'all' ? { ...shown, ...picked } : picked;
  }
  const lines = ['Cluster Properties:'];
  const names = Object.keys(shown).sort(byCodePoint);
  if (names.length) {
    for (const n of names) lines.push(` ${n}: ${shown[n]}`);
  } else if (name !== undefined) {
    // pcs falls back to the default of a known property that is not set
    const defaults = propertyDefaults();
    if (name in defaults) lines.push(` ${name}: ${defaults[name]}`);
  }
  return lines.join('\n') + '\n';
}

export interface NvpairJson { id: string; name: string; value: string }
export interface NvsetJson { id: string; options: Record<string, string>; rule: RuleJson | null; nvpairs: NvpairJson[] }

/** `property config --json`: every cluster_property_set, shaped like pcs's ListCibNvsetDto. */
export function propertyConfigJson(cib: Cib): { nvsets: NvsetJson[] } {
  return { nvsets: elements(section(cib, 'crm_config'), 'cluster_property_set').map(nvsetJson) };
}

/** One nvset (cluster_property_set, meta_attributes, ...) as pcs's CibNvsetDto. */
export function nvsetJson(s: XmlElement): NvsetJson {
  const { id, ...options } = s.attrs;
  const rule = child(s, 'rule');
  return {
    id: id ?? '',
    options,
    rule: rule ? ruleJson(rule) : null,
    nvpairs: elements(s, 'nvpair').map((p) => ({ id: p.attrs.id ?? '', name: p.attrs.name ?? '', value: p.attrs.value ?? '' })),
  };
}

/** `property config [NAME] [--all | --defaults] [--json]` */
export const propertyConfig: ReadCommand = ({ cib, args, flags }) => {
  if (args.length > 1) throw usage('property config takes at most one property name');
  if (flags.json) {
    if (args.length || flags.all || flags.defaults) throw usage('property config --json cannot be combined with a property name, --all or --defaults');
    return JSON.stringify(propertyConfigJson(cib), null, 2) + '\n';
  }
  if (flags.all && flags.defaults) throw new BerthError([problem('USAGE', { message: 'you cannot specify both --all and --defaults' })]);
  const mode = flags.all ? 'all' : flags.defaults ? 'defaults' : 'configured';
  if (mode !== 'configured' && args.length) throw new BerthError([problem('USAGE', { message: 'you cannot specify a property when using --all or --defaults' })]);
  return propertyConfigText(cib, args[0], mode);
};
