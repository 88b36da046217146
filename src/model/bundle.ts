// One bundle of the CIB as the model holds it: its settings (what the planner needs beyond the
// replicas), what placement needs, and how to build replica i's container spec on a node. Pure:
// files named in options (--env-file) and the environment come in through the context.
//
// Terms: a bundle's *settings* are role, managed, failure policy and the like, resolved from its
// meta attributes, rsc_defaults and the cluster properties; a *desired replica* is replica i of
// bundle B placed on a node, with the container spec berth creates for it and `specHash`, the
// hash of that spec.
import { createHash } from 'node:crypto';
import { XmlElement, child, elements } from '../cib/xml';
import { Problem, problem } from '../errors/registry';
import { containerOf, formatIPv4, parseIPv4, replicaCount } from '../validate/bundle-rules';
import { isInteger } from '../validate/options';
import { parseDockerOptions, splitShellWords } from '../runtime/docker-options';
import { ADDRESS_LABEL, BERTH_LABELS, berthLabels } from '../runtime/labels';
import type { ContainerSpec } from '../runtime/engine';
import { ClusterProperties, isFalse, isTrue, resolveMeta } from './properties';
import { parseScore } from './score';
import { Utilization, bundleUtilization, utilizationOf } from './utilization';
import { formatSpecRecord, specRecordOf } from './spec-record';

/** The engine's restart policy for every replica (see docs/reconciler.md, "Restarts"). */
export const RESTART_POLICY = 'unless-stopped';

export interface ReadContext {
  readFile?: (path: string) => string;
  lookupEnv?: (name: string) => string | undefined;
}

/** Where a replica's container is made: the node, berth's state dir there, the cluster's id. */
export interface BuildPlace {
  node: string;
  stateDir: string;
  cluster: string;
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
  /** Stopped (target-role=Stopped or stop-all-resources) stops every replica where it is */
  role: Role;
  /** why the role is Stopped, for reports */
  stoppedBy?: string;
  /** false: is-managed=false or maintenance (bundle or cluster): observe and report only */
  managed: boolean;
  /** why it is not managed, for reports */
  unmanagedReason?: string;
  /** failures after which a replica is stopped on its node; Infinity when unset or 0 */
  migrationThreshold: number;
  /** failures older than this are forgotten (ms); 0: never */
  failureTimeoutMs: number;
  /** the add-host hosts file shared by the bundle's containers on a node, when add-host is on:
   * its content here; its path (under the node's state dir) once the bundle is on a node */
  hostsFile?: { path: string; content: string };
  /** why the bundle's desired state cannot be built; such a bundle is left exactly as it is */
  problems: Problem[];
}

/** What placement needs of a bundle. */
export interface BundlePlacement {
  id: string;
  replicas: number;
  /** most replicas of this bundle on one node (default 1) */
  replicasPerHost: number;
  /** false when the bundle must not run (target-role=Stopped, stop-all-resources): no placements */
  runnable: boolean;
  /** false (is-managed=false, maintenance): running replicas stay where they are, none is placed */
  managed?: boolean;
  /** resource-stickiness: added to a running replica's score on its own node (default 0) */
  stickiness?: number;
  /** bundles are placed by priority, higher first, then in the order given (default 0) */
  priority?: number;
  /** ip-range-start is set: Pacemaker gives each replica an IPaddr2 resource colocated with its
   * container, whose location scores and stickiness count again in the container's choice */
  addressed?: boolean;
  /** how many resources a replica is to Pacemaker when it balances nodes: the container, its
   * address, the remote connection of a resource inside (default 1) */
  resourcesPerReplica?: number;
  /** the `critical` meta attribute (default true): a colocation's default `influence` */
  critical?: boolean;
  /** what each replica uses of a node's capacity: the inner primitive's utilization, which
   * Pacemaker moves to the container (src/model/utilization.ts) */
  utilization?: Utilization;
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

/** The resource inside a bundle (a primitive), as the CIB gives it. */
export interface InnerResource {
  id: string;
  /** class:provider:type, e.g. ocf:heartbeat:apache */
  agent: { class: string; provider?: string; type: string };
  operations: { name: string; interval: string; timeout?: string; role?: string; onFail?: string }[];
}

export interface BundleModel {
  settings: BundleSettings;
  /** the resource inside, when the bundle holds one */
  resource?: InnerResource;
  /** promoted-max (masters): replicas that run the resource in the promoted role */
  promotedMax: number;
  /** undefined: the bundle has no container element (nothing to place) */
  placement?: BundlePlacement;
  /** undefined when the settings have problems: the bundle cannot be built */
  build?: (index: number, place: BuildPlace) => DesiredReplica;
}

export const replicaName = (bundle: string, index: number) => `${bundle}-${index}`;

/** The add-host hosts file of a bundle on a node: under the node's state dir, per cluster. */
export const hostsFilePath = (stateDir: string, cluster: string, bundle: string) => `${stateDir.replace(/\/+$/, '')}/clusters/${cluster}/hosts/${bundle}`;

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
  // The cluster label is who owns the container, not what it runs; the spec record only restates
  // the spec (and containers made before it existed must keep their hash).
  const labels = { ...(spec.Labels ?? {}) };
  delete labels[BERTH_LABELS.specHash];
  delete labels[BERTH_LABELS.spec];
  delete labels[BERTH_LABELS.cluster];
  return createHash('sha256').update(stableJson({ ...spec, Labels: labels })).digest('hex').slice(0, 16);
}

/** One bundle element, read with the cluster's properties and rsc_defaults. */
export function readBundle(b: XmlElement, defaults: XmlElement | undefined, props: ClusterProperties, ctx: ReadContext): BundleModel {
  const id = b.attrs.id;
  const where = `/cib/configuration/resources/bundle[@id='${id}']`;
  const problems: Problem[] = [];
  const meta = (name: string) => resolveMeta(b, defaults, name);
  const container = containerOf(b);
  const c = container?.attrs ?? {};
  const replicas = replicaCount(container);
  const rph = c['replicas-per-host'];
  const replicasPerHost = rph !== undefined && isInteger(rph, 1) ? Number(rph) : 1;
  // Stopped: the bundle's own target-role, or the cluster's stop-all-resources (Pacemaker stops
  // every resource then, wherever it runs; nothing moves).
  const stoppedBy = /^stopped$/i.test((meta('target-role') ?? '').trim()) ? 'target-role=Stopped' : props.stopAll ? 'stop-all-resources=true' : undefined;
  const role: Role = stoppedBy ? 'Stopped' : 'Started';
  let unmanagedReason: string | undefined;
  if (props.maintenance) unmanagedReason = 'cluster maintenance-mode';
  else if (isTrue(meta('maintenance'))) unmanagedReason = 'maintenance=true';
  else if (isFalse(meta('is-managed'))) unmanagedReason = 'is-managed=false';
  const migrationThreshold = parseThreshold(meta('migration-threshold')) ?? Infinity;
  const failureTimeoutMs = parseDurationMs(meta('failure-timeout')) ?? 0;

  const settings: BundleSettings = {
    id,
    image: c.image ?? '',
    replicas,
    replicasPerHost,
    role,
    ...(stoppedBy ? { stoppedBy } : {}),
    managed: unmanagedReason === undefined,
    ...(unmanagedReason ? { unmanagedReason } : {}),
    migrationThreshold,
    failureTimeoutMs,
    problems,
  };
  const primitive = child(b, 'primitive');
  const pm = c['promoted-max'] ?? c.masters;
  const inner = {
    promotedMax: pm !== undefined && isInteger(pm, 0) ? Number(pm) : 0,
    ...(primitive?.attrs.id ? { resource: innerResource(primitive) } : {}),
  };
  const placement: BundlePlacement | undefined = container ? {
    id,
    replicas,
    replicasPerHost,
    runnable: role === 'Started',
    managed: unmanagedReason === undefined,
    stickiness: parseScore(meta('resource-stickiness')) ?? 0,
    priority: parseScore(meta('priority')) ?? 0,
    addressed: child(b, 'network')?.attrs['ip-range-start'] !== undefined,
    resourcesPerReplica: 1 + (child(b, 'network')?.attrs['ip-range-start'] !== undefined ? 1 : 0) + (primitive?.attrs.id ? 1 : 0),
    critical: !isFalse(meta('critical')),
    ...utilizationOf(bundleUtilization(b)),
  } : undefined;
  if (!container || !c.image) {
    problems.push(problem('OPTION_REQUIRED', { path: where, message: `bundle '${id}' has no container image, so berth cannot run it` }));
    return { settings, ...inner, ...(placement ? { placement } : {}) };
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
  const addHost = start !== undefined && !isFalse(n['add-host']);
  // the container's network= attribute, or the same said in its options (--net=host)
  const networkMode = c.network || parsed.create.HostConfig?.NetworkMode || undefined;
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

  if (addHost && start !== undefined) {
    const lines = ['# berth: the replicas of bundle ' + id + ' (network add-host); rewritten by berth', '127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
    for (let i = 0; i < replicas; i++) lines.push(`${formatIPv4(start + i)}\t${replicaName(id, i)}`);
    settings.hostsFile = { path: '', content: lines.join('\n') + '\n' };
  }
  if (problems.length) return { settings, ...inner, placement: placement! };

  const fragment = parsed.create;
  const healthTest = fragment.Healthcheck?.Test;
  const healthCheck = Array.isArray(healthTest) && healthTest.length > 0 && healthTest[0] !== 'NONE';

  // A replica's spec is the same for the same place while the model lives (the controllers keep
  // the model while the CIB's text is the same): built and hashed once, not every pass.
  const built = new Map<string, DesiredReplica>();
  const build = (index: number, place: BuildPlace): DesiredReplica => {
    const key = `${index}\u0000${place.node}\u0000${place.stateDir}\u0000${place.cluster}`;
    let d = built.get(key);
    if (!d) built.set(key, (d = buildOnce(index, place)));
    return d;
  };
  const buildOnce = (index: number, { node, stateDir, cluster }: BuildPlace): DesiredReplica => {
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
    if (settings.hostsFile) binds.push(`${hostsFilePath(stateDir, cluster, id)}:/etc/hosts:ro`);
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
      ...berthLabels({ cluster, bundle: id, replica: index, node, specHash: '' }),
    };
    if (address) labels[ADDRESS_LABEL] = `${address.ip}/${address.prefix}@${address.interface ?? ''}`;
    else delete labels[ADDRESS_LABEL];
    const spec: ContainerSpec = {
      ...fragment,
      name,
      Image: c.image,
      ...(networkMode === 'host' ? {} : { Hostname: fragment.Hostname ?? name }),
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
    labels[BERTH_LABELS.spec] = formatSpecRecord(specRecordOf(spec));
    return { bundle: id, index, name, node, ...(address ? { address } : {}), sourceDirs, spec, specHash, healthCheck };
  };
  return { settings, ...inner, placement: placement!, build };
}


function innerResource(p: XmlElement): InnerResource {
  const ops = child(p, 'operations');
  return {
    id: p.attrs.id,
    agent: { class: p.attrs.class ?? '', ...(p.attrs.provider ? { provider: p.attrs.provider } : {}), type: p.attrs.type ?? '' },
    operations: (ops ? elements(ops, 'op') : []).map((o) => ({
      name: o.attrs.name ?? '', interval: o.attrs.interval ?? '0',
      ...(o.attrs.timeout !== undefined ? { timeout: o.attrs.timeout } : {}),
      ...(o.attrs.role !== undefined ? { role: o.attrs.role } : {}),
      ...(o.attrs['on-fail'] !== undefined ? { onFail: o.attrs['on-fail'] } : {}),
    })),
  };
}
