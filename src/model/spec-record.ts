// A compact record of a replica's create spec, written on the container as the label `berth.spec`
// when it is created, so that a later pass can say WHICH fields changed when it replaces it
// ("image a → b; port-map 80 → 8080") instead of only that the hash differs. Pure.
//
// Terms: a *spec record* holds the spec by the bundle's own words (image, run-command, port-map,
// address, network, storage) plus env and every other engine option by key; env values are kept
// as short hashes only (they may be secrets, and plans are printed in CI logs). A *spec change* is
// one {field, key?, change, from?, to?}: from/to absent means the value was absent (or, for env,
// is not told). The record is left out
// of specHashOf, so containers made before it existed keep their hash and are not replaced.
import { createHash } from 'node:crypto';
import { ADDRESS_LABEL, BERTH_LABELS } from '../runtime/labels';
import type { ContainerSpec } from '../runtime/engine';

export const SPEC_RECORD_VERSION = 1;

export interface SpecRecord {
  v: typeof SPEC_RECORD_VERSION;
  image: string;
  /** run-command as words joined by spaces; absent: the image's own */
  cmd?: string;
  /** `HOST:INTERNAL` (or `PORT` when both are the same), sorted */
  ports: string[];
  /** berth.address: `ip/prefix@interface` */
  address?: string;
  /** the engine's network mode; absent: the default bridge */
  network?: string;
  /** bind mounts as given to the engine */
  storage: string[];
  /** variable name → short hash of its value */
  env: Record<string, string>;
  /** every other engine option (and the user's labels), by key → its value in JSON, or a hash
   * when long */
  options: Record<string, string>;
}

export type SpecField = 'image' | 'run-command' | 'port-map' | 'address' | 'network' | 'storage' | 'env' | 'options';

export interface SpecChange {
  field: SpecField;
  /** env: the variable; options: the engine option (e.g. Healthcheck, HostConfig.Memory) */
  key?: string;
  change: 'added' | 'removed' | 'changed';
  /** absent: it was not set, or its values are hidden */
  from?: string;
  /** absent: it is no longer set, or its values are hidden */
  to?: string;
  /** the values are not told, not even their hashes (env: they may be secrets) */
  hidden?: boolean;
}

const shortHash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);

/** JSON with sorted keys (the same value always gives the same text). */
function sortedJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => sortedJson(x) ?? 'null').join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${sortedJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Long option values are kept as a hash: a label holds the record of every replica. */
const MAX_OPTION_TEXT = 80;
const optionText = (v: unknown) => {
  const s = sortedJson(v);
  return s.length > MAX_OPTION_TEXT ? `#${shortHash(s)}` : s;
};

/** Spec keys the record names by the bundle's words, or that follow from the replica's name. */
const NAMED_KEYS = new Set(['name', 'Image', 'Cmd', 'Env', 'Labels', 'ExposedPorts', 'Hostname', 'HostConfig']);
const NAMED_HOST_KEYS = new Set(['Binds', 'PortBindings', 'NetworkMode', 'RestartPolicy']);
const BERTH_OWN = new Set<string>([...Object.values(BERTH_LABELS), ADDRESS_LABEL]);

/** The record of a spec (its own `berth.spec` label, if any, is not part of it). */
export function specRecordOf(spec: ContainerSpec): SpecRecord {
  const host = (spec.HostConfig ?? {}) as Record<string, unknown>;
  const labels = (spec.Labels ?? {}) as Record<string, string>;
  const ports: string[] = [];
  for (const [key, bindings] of Object.entries((host.PortBindings ?? {}) as Record<string, { HostPort?: string }[]>)) {
    const internal = key.replace(/\/tcp$/, '');
    for (const b of bindings ?? []) ports.push(b.HostPort === internal ? internal : `${b.HostPort ?? ''}:${internal}`);
  }
  const env: Record<string, string> = {};
  for (const e of spec.Env ?? []) {
    const eq = e.indexOf('=');
    env[eq < 0 ? e : e.slice(0, eq)] = shortHash(eq < 0 ? '' : e.slice(eq + 1));
  }
  const options: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec)) if (!NAMED_KEYS.has(k) && v !== undefined) options[k] = optionText(v);
  for (const [k, v] of Object.entries(host)) if (!NAMED_HOST_KEYS.has(k) && v !== undefined) options[`HostConfig.${k}`] = optionText(v);
  for (const [k, v] of Object.entries(labels)) if (!BERTH_OWN.has(k)) options[`label ${k}`] = optionText(v);
  return {
    v: SPEC_RECORD_VERSION,
    image: spec.Image,
    ...(spec.Cmd ? { cmd: (Array.isArray(spec.Cmd) ? spec.Cmd : [spec.Cmd]).join(' ') } : {}),
    ports: ports.sort(),
    ...(labels[ADDRESS_LABEL] ? { address: labels[ADDRESS_LABEL] } : {}),
    ...(typeof host.NetworkMode === 'string' && host.NetworkMode ? { network: host.NetworkMode } : {}),
    storage: [...((host.Binds ?? []) as string[])],
    env,
    options,
  };
}

/** The label's text: sorted JSON (one spec, one text). */
export const formatSpecRecord = (r: SpecRecord): string => sortedJson(r);

const isStringMap = (v: unknown): v is Record<string, string> => !!v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** A container's `berth.spec` label back to a record; undefined when absent, of another version
 * or malformed (made before the label existed, or by hand): the change is then told by hash. */
export function parseSpecRecord(label: string | undefined): SpecRecord | undefined {
  if (!label) return undefined;
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(label) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (!r || typeof r !== 'object' || r.v !== SPEC_RECORD_VERSION || typeof r.image !== 'string') return undefined;
  if (!isStrings(r.ports) || !isStrings(r.storage) || !isStringMap(r.env) || !isStringMap(r.options)) return undefined;
  for (const k of ['cmd', 'address', 'network']) if (r[k] !== undefined && typeof r[k] !== 'string') return undefined;
  return r as unknown as SpecRecord;
}

const list = (xs: string[]) => (xs.length ? xs.join(', ') : undefined);

/** What differs between an old record and a new one, field by field, in a fixed order. */
export function specChanges(from: SpecRecord, to: SpecRecord): SpecChange[] {
  const out: SpecChange[] = [];
  const one = (field: SpecField, key: string | undefined, a: string | undefined, b: string | undefined, hidden = false): SpecChange => ({
    field, ...(key !== undefined ? { key } : {}),
    change: a === undefined ? 'added' : b === undefined ? 'removed' : 'changed',
    ...(hidden ? { hidden } : { ...(a !== undefined ? { from: a } : {}), ...(b !== undefined ? { to: b } : {}) }),
  });
  const scalar = (field: SpecField, a: string | undefined, b: string | undefined) => {
    if (a !== b) out.push(one(field, undefined, a, b));
  };
  const keyed = (field: SpecField, a: Record<string, string>, b: Record<string, string>, hidden: boolean) => {
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      if (a[key] !== b[key]) out.push(one(field, key, a[key], b[key], hidden));
    }
  };
  scalar('image', from.image, to.image);
  scalar('run-command', from.cmd, to.cmd);
  scalar('port-map', list(from.ports), list(to.ports));
  scalar('address', from.address, to.address);
  scalar('network', from.network, to.network);
  scalar('storage', list(from.storage), list(to.storage));
  keyed('env', from.env, to.env, true);
  keyed('options', from.options, to.options, false);
  return out;
}

/** One change in words: `image a → b`, `port-map (none) → 8080:80`, `env PASSWORD changed`. */
export function formatSpecChange(c: SpecChange): string {
  const what = c.key ? `${c.field} ${c.key}` : c.field;
  if (c.hidden) return `${what} ${c.change}`;
  return `${what} ${c.from ?? '(none)'} → ${c.to ?? '(none)'}`;
}

/** The reason of a replace for a spec change. */
export const formatSpecChanges = (changes: readonly SpecChange[]): string => `spec changed: ${changes.map(formatSpecChange).join('; ')}`;
