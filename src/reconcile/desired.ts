// The desired state of one node, read from a CIB: each bundle's settings and each replica placed on
// the node, down to the engine's create options and a hash of them. Pure: files named in options
// (--env-file) and the environment come in through the context, the node is a parameter.
//
// Terms: a bundle's "settings" are what the planner needs beyond the replicas (role, managed,
// failure policy); a "desired replica" is replica i of bundle B placed on this node, with the
// container spec berth would create for it and `specHash`, the hash of that spec.
import { createHash } from 'node:crypto';
import type { Cib } from '../cib/cib';
import { XmlElement, child, elements } from '../cib/xml';
import { metaValue, nvpairs } from '../cib/nvset';
import { Problem, problem } from '../errors/registry';
import { containerOf, formatIPv4, parseIPv4, replicaCount } from '../validate/bundle-rules';
import { isInteger } from '../validate/options';
import { parseDockerOptions, splitShellWords } from '../runtime/docker-options';
import { BERTH_LABELS, ContainerSpec, berthLabels } from '../runtime/engine';
import { BundleDemand, Unplaced, placeReplicas } from '../scheduler/placement';

/** berth's own label beside the engine's four: the replica's host address, `ip/prefix@interface`,
 * so that the address can be removed after the container even when the CIB no longer names it. */
export const ADDRESS_LABEL = 'berth.address';

/** The engine's restart policy for every replica (see docs/reconciler.md, "Restarts"). */
export const RESTART_POLICY = 'unless-stopped';

export interface DesiredContext {
  /** Directory for files berth keeps for this node (the add-host hosts files). */
  stateDir: string;
  readFile?: (path: string) => string;
  lookupEnv?: (name: string) => string | undefined;
  /** All nodes that can run replicas; default: only this node. */
  nodes?: readonly string[];
  /** The cluster's placement (replica name → node, src/cluster): used instead of placing here. */
  placements?: ReadonlyMap<string, string>;
  unplaced?: readonly Unplaced[];
}

export interface ReplicaAddress {
  ip: string;
  prefix: number;
  /** host-interface; undefined: the interface whose subnet holds the address (found by the planner) */
  interface?: string;
}

export type Role = 'Started' | 'Stopped';

export interface BundleSettings {
  id: string;
  image: string;
  replicas: number;
  replicasPerHost: number;
  /** target-role: Stopped stops every replica; anything else runs them */
  role: Role;
  /** false: is-managed=false or maintenance (bundle or cluster): observe and report only */
  managed: boolean;
  /** why it is not managed, for reports */
  unmanagedReason?: string;
  /** failures after which a replica is stopped on this node; Infinity when unset or 0 */
  migrationThreshold: number;
  /** failures older than this are forgotten (ms); 0: never */
  failureTimeoutMs: number;
  /** the add-host hosts file shared by the bundle's containers, when add-host is on */
  hostsFile?: { path: string; content: string };
  /** why the bundle's desired state cannot be built; such a bundle is left exactly as it is */
  problems: Problem[];
}

export interface DesiredReplica {
  bundle: string;
  index: number;
  /** `<bundle>-<index>`: the container's name and hostname */
  name: string;
  node: string;
  address?: ReplicaAddress;
  /** host directories created before the container (storage-map sources) */
  sourceDirs: string[];
  spec: ContainerSpec;
  specHash: string;
  /** the spec defines a health check: "ready" then means healthy, not only running */
  healthCheck: boolean;
}

export interface DesiredState {
  node: string;
  bundles: BundleSettings[];
  /** the replicas placed on `node`, by bundle then index */
  replicas: DesiredReplica[];
  unplaced: Unplaced[];
  /** cluster-wide: maintenance-mode */
  maintenance: boolean;
}

export const replicaName = (bundle: string, index: number) => `${bundle}-${index}`;

const TRUE = /^(true|yes|on|y|1)$/i;
const FALSE = /^(false|no|off|n|0)$/i;

/** Pacemaker's durations: a number of seconds, or with a unit (ms, s, m/min, h), or ISO 8601 PTnHnMnS. */
export function parseDurationMs(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const s = v.trim();
  const m = /^(\d+(?:\.\d+)?)\s*(ms|msec|s|sec|m|min|h|hr)?$/i.exec(s);
  if (m) {
    const unit = (m[2] ?? 's').toLowerCase();
    const f = unit === 'ms' || unit === 'msec' ? 1 : unit === 's' || unit === 'sec' ? 1000 : unit === 'm' || unit === 'min' ? 60_000 : 3_600_000;
    return Math.round(Number(m[1]) * f);
  }
  const iso = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$/i.exec(s);
  if (iso && (iso[1] || iso[2] || iso[3])) return (Number(iso[1] ?? 0) * 3600 + Number(iso[2] ?? 0) * 60 + Number(iso[3] ?? 0)) * 1000;
  return undefined;
}

function parseThreshold(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (/^\+?INFINITY$/i.test(v.trim())) return Infinity;
  if (isInteger(v.trim(), 0)) return Number(v.trim()) === 0 ? Infinity : Number(v.trim());
  return undefined;
}

/** The first value of `name` in any cluster_property_set of crm_config. */
function clusterProperty(cib: Cib, name: string): string | undefined {
  const crm = child(child(cib, 'configuration') ?? cib, 'crm_config');
  for (const set of crm ? elements(crm, 'cluster_property_set') : []) {
    const v = nvpairs(set)[name];
    if (v !== undefined) return v;
  }
  return undefined;
}

/** A meta attribute of the bundle, else of rsc_defaults (rules are not evaluated). */
function meta(bundle: XmlElement, defaults: XmlElement | undefined, name: string): string | undefined {
  return metaValue(bundle, name) ?? (defaults ? metaValue(defaults, name) : undefined);
}

function bundleElements(cib: Cib): XmlElement[] {
  const resources = child(child(cib, 'configuration') ?? cib, 'resources');
  return resources ? elements(resources, 'bundle') : [];
}

/** JSON with sorted keys: the same spec always hashes the same. */
function stableJson(v: unknown): string {
  // Built as one string, without the arrays of map/filter/join: every replica's spec is hashed on
  // every pass. The text must stay exactly the same (a different hash replaces every container).
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) {
      if (i) out += ',';
      out += stableJson(v[i]) ?? ''; // undefined in an array: nothing between the commas
    }
    return out + ']';
  }
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).sort();
    let out = '{';
    for (const k of keys) {
      const x = o[k];
      if (x === undefined) continue;
      if (out.length > 1) out += ',';
      out += JSON.stringify(k) + ':' + stableJson(x);
    }
    return out + '}';
  }
  return JSON.stringify(v);
}

/** The hash of everything berth asks the engine for, except the hash label itself. */
export function specHashOf(spec: ContainerSpec): string {
  const labels = { ...(spec.Labels ?? {}) };
  delete labels[BERTH_LABELS.specHash];
  return createHash('sha256').update(stableJson({ ...spec, Labels: labels })).digest('hex').slice(0, 16);
}

interface BundleParts {
  settings: BundleSettings;
  build?: (index: number, node: string) => DesiredReplica;
}

function readBundle(b: XmlElement, cib: Cib, ctx: DesiredContext, clusterMaintenance: boolean): BundleParts {
  const id = b.attrs.id;
  const where = `/cib/configuration/resources/bundle[@id='${id}']`;
  const problems: Problem[] = [];
  const defaults = child(child(cib, 'configuration') ?? cib, 'rsc_defaults');
  const container = containerOf(b);
  const c = container?.attrs ?? {};
  const replicas = replicaCount(container);
  const rph = c['replicas-per-host'];
  const replicasPerHost = rph !== undefined && isInteger(rph, 1) ? Number(rph) : 1;
  const role: Role = /^stopped$/i.test(meta(b, defaults, 'target-role') ?? '') ? 'Stopped' : 'Started';
  const isManaged = meta(b, defaults, 'is-managed');
  const bundleMaintenance = meta(b, defaults, 'maintenance');
  let unmanagedReason: string | undefined;
  if (clusterMaintenance) unmanagedReason = 'cluster maintenance-mode';
  else if (bundleMaintenance !== undefined && TRUE.test(bundleMaintenance)) unmanagedReason = 'maintenance=true';
  else if (isManaged !== undefined && FALSE.test(isManaged)) unmanagedReason = 'is-managed=false';
  const migrationThreshold = parseThreshold(meta(b, defaults, 'migration-threshold')) ?? Infinity;
  const failureTimeoutMs = parseDurationMs(meta(b, defaults, 'failure-timeout')) ?? 0;

  const settings: BundleSettings = {
    id,
    image: c.image ?? '',
    replicas,
    replicasPerHost,
    role,
    managed: unmanagedReason === undefined,
    ...(unmanagedReason ? { unmanagedReason } : {}),
    migrationThreshold,
    failureTimeoutMs,
    problems,
  };
  if (!container || !c.image) {
    problems.push(problem('OPTION_REQUIRED', { path: where, message: `bundle '${id}' has no container image, so berth cannot run it` }));
    return { settings };
  }
  const parsed = parseDockerOptions(c.options, { readFile: ctx.readFile, lookupEnv: ctx.lookupEnv, path: `${where}/${container.tag}/@options` });
  problems.push(...parsed.problems);
  let command: string[] | undefined;
  if (c['run-command']) {
    const words = splitShellWords(c['run-command']);
    if (words.ok) command = words.words;
    else problems.push(problem('OPTION_INVALID_VALUE', { path: `${where}/${container.tag}/@run-command`, value: c['run-command'], allowed: 'shell-style words', message: `run-command of bundle '${id}' cannot be split into words: ${words.message}` }));
  }

  const network = child(b, 'network');
  const n = network?.attrs ?? {};
  let start: number | undefined;
  if (n['ip-range-start'] !== undefined) {
    start = parseIPv4(n['ip-range-start']);
    if (start === undefined || start + replicas - 1 > 0xffffffff) {
      problems.push(problem(start === undefined ? 'OPTION_INVALID_VALUE' : 'BUNDLE_ADDRESS_OVERFLOW', { path: `${where}/network/@ip-range-start`, value: n['ip-range-start'], message: `bundle '${id}': ip-range-start '${n['ip-range-start']}' does not give ${replicas} addresses` }));
    }
  }
  const prefix = n['host-netmask'] !== undefined && isInteger(n['host-netmask'], 1, 32) ? Number(n['host-netmask']) : 32;
  const iface = n['host-interface'] || undefined;
  const addHost = start !== undefined && !(n['add-host'] !== undefined && FALSE.test(n['add-host']));
  const networkMode = c.network || undefined;
  const publishes = networkMode !== 'host' && networkMode !== 'none' && !(networkMode ?? '').startsWith('container:');

  const ports: { port: number; internal: number }[] = [];
  for (const pm of network ? elements(network, 'port-mapping') : []) {
    if (pm.attrs.port !== undefined && isInteger(pm.attrs.port, 1, 65535)) {
      const internal = pm.attrs['internal-port'] !== undefined && isInteger(pm.attrs['internal-port'], 1, 65535) ? Number(pm.attrs['internal-port']) : Number(pm.attrs.port);
      ports.push({ port: Number(pm.attrs.port), internal });
    } else if (pm.attrs.range !== undefined) {
      const r = /^(\d+)-(\d+)$/.exec(pm.attrs.range);
      if (r) for (let p = Number(r[1]); p <= Number(r[2]) && p <= 65535; p++) ports.push({ port: p, internal: p });
    }
  }

  const storage = child(b, 'storage');
  const mounts = (storage ? elements(storage, 'storage-mapping') : []).map((sm) => ({
    source: sm.attrs['source-dir'],
    root: sm.attrs['source-dir-root'],
    target: sm.attrs['target-dir'] ?? '',
    options: sm.attrs.options || undefined,
  }));

  const hostsPath = `${ctx.stateDir.replace(/\/+$/, '')}/hosts/${id}`;
  if (addHost && start !== undefined) {
    const lines = ['# berth: the replicas of bundle ' + id + ' (network add-host); rewritten by berth', '127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
    for (let i = 0; i < replicas; i++) lines.push(`${formatIPv4(start + i)}\t${replicaName(id, i)}`);
    settings.hostsFile = { path: hostsPath, content: lines.join('\n') + '\n' };
  }
  if (problems.length) return { settings };

  const fragment = parsed.create;
  const healthTest = fragment.Healthcheck?.Test;
  const healthCheck = Array.isArray(healthTest) && healthTest.length > 0 && healthTest[0] !== 'NONE';

  const build = (index: number, node: string): DesiredReplica => {
    const name = replicaName(id, index);
    const address: ReplicaAddress | undefined = start !== undefined ? { ip: formatIPv4(start + index), prefix, ...(iface ? { interface: iface } : {}) } : undefined;
    const binds: string[] = [];
    const sourceDirs: string[] = [];
    for (const m of mounts) {
      const source = m.root !== undefined ? `${m.root.replace(/\/+$/, '')}/${name}` : m.source;
      if (!source || !m.target) continue;
      sourceDirs.push(source);
      binds.push(`${source}:${m.target}${m.options ? `:${m.options}` : ''}`);
    }
    if (settings.hostsFile) binds.push(`${settings.hostsFile.path}:/etc/hosts:ro`);
    const exposed: Record<string, Record<string, never>> = {};
    const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
    if (publishes) {
      for (const p of ports) {
        const key = `${p.internal}/tcp`;
        exposed[key] = {};
        (bindings[key] ??= []).push({ HostIp: address?.ip ?? '', HostPort: String(p.port) });
      }
    }
    const labels: Record<string, string> = {
      ...(fragment.Labels ?? {}),
      ...berthLabels({ bundle: id, replica: index, node, specHash: '' }),
    };
    if (address) labels[ADDRESS_LABEL] = `${address.ip}/${address.prefix}@${address.interface ?? ''}`;
    else delete labels[ADDRESS_LABEL];
    const spec: ContainerSpec = {
      ...fragment,
      name,
      Image: c.image,
      ...(networkMode === 'host' ? {} : { Hostname: name }),
      Labels: labels,
      ...(command ? { Cmd: command } : {}),
      ...(Object.keys(exposed).length ? { ExposedPorts: exposed } : {}),
      HostConfig: {
        ...(fragment.HostConfig ?? {}),
        ...(binds.length ? { Binds: binds } : {}),
        ...(Object.keys(bindings).length ? { PortBindings: bindings } : {}),
        ...(networkMode ? { NetworkMode: networkMode } : {}),
        RestartPolicy: { Name: RESTART_POLICY, MaximumRetryCount: 0 },
      },
    };
    const specHash = specHashOf(spec);
    labels[BERTH_LABELS.specHash] = specHash;
    return { bundle: id, index, name, node, ...(address ? { address } : {}), sourceDirs, spec, specHash, healthCheck };
  };
  return { settings, build };
}

/** The whole desired state of `node`: every bundle's settings, the replicas placed on the node. */
export function desiredState(cib: Cib, node: string, ctx: DesiredContext): DesiredState {
  return desiredStateOf(readDesiredBundles(cib, ctx), node, ctx);
}

/** The CIB's bundles read once, for the desired state of every node that shares a state dir. */
export interface DesiredBundles {
  readonly parts: readonly BundleParts[];
  readonly maintenance: boolean;
}

export function readDesiredBundles(cib: Cib, ctx: Pick<DesiredContext, 'stateDir' | 'readFile' | 'lookupEnv'>): DesiredBundles {
  const maintenance = TRUE.test(clusterProperty(cib, 'maintenance-mode') ?? '');
  return { parts: bundleElements(cib).map((b) => readBundle(b, cib, ctx, maintenance)), maintenance };
}

/** The desired state of `node` from bundles read by readDesiredBundles (with the same state dir). */
export function desiredStateOf(bundles: DesiredBundles, node: string, ctx: Pick<DesiredContext, 'nodes' | 'placements' | 'unplaced'>): DesiredState {
  const { parts, maintenance } = bundles;
  const replicas: DesiredReplica[] = [];
  let unplaced: Unplaced[];
  if (ctx.placements) {
    unplaced = [...(ctx.unplaced ?? [])];
    // Bundle order, then index, as the placement map holds them.
    for (const p of parts) {
      if (!p.build) continue;
      for (let index = 0; index < p.settings.replicas; index++) {
        if (ctx.placements.get(replicaName(p.settings.id, index)) === node) replicas.push(p.build(index, node));
      }
    }
  } else {
    const demands: BundleDemand[] = parts.map(({ settings: s }) => ({ bundle: s.id, replicas: s.replicas, replicasPerHost: s.replicasPerHost, runnable: s.role === 'Started' }));
    const byId = new Map(parts.map((p) => [p.settings.id, p]));
    const placed = placeReplicas(demands, ctx.nodes ?? [node]);
    unplaced = placed.unplaced;
    for (const pl of placed.placements) {
      if (pl.node !== node) continue;
      const build = byId.get(pl.bundle)?.build;
      if (build) replicas.push(build(pl.index, node));
    }
  }
  return { node, bundles: parts.map((p) => p.settings), replicas, unplaced, maintenance };
}

/** The replicas of the CIB's bundles that run on `node`. */
export function desiredReplicas(cib: Cib, node: string, ctx: DesiredContext): DesiredReplica[] {
  return desiredState(cib, node, ctx).replicas;
}
