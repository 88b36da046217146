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
import { containerOf, countAtLeastOne, formatIPv4, parseIPv4, replicaCount } from '../validate/bundle-rules';
import { isInteger } from '../validate/options';
import { parseDockerOptions, splitShellWords } from '../runtime/docker-options';
import { ADDRESS_LABEL, BERTH_LABELS, berthLabels } from '../runtime/labels';
import type { ContainerSpec } from '../runtime/engine';
import { ClusterProperties, isFalse, isTrue, resolveMeta } from './properties';
import { parseScore } from './score';
import { Utilization, bundleUtilization, utilizationOf } from './utilization';
import { formatSpecRecord, specRecordOf } from './spec-record';
import { parseDurationMs, parseThreshold } from './durations';
import { InnerSpec, REMOTE_COMMAND, REMOTE_KEY_PATH, readInner } from './inner';

export { parseDurationMs };

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
  /** the node's Pacemaker authkey, mounted into replicas that run pacemaker-remoted (default
   * /etc/pacemaker/authkey, as on a Pacemaker node) */
  remoteKey?: string;
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
  /** the container element: `podman` runs on the node's podman when it has one, else on Docker */
  container?: 'docker' | 'podman';
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
  /** the resource inside, when there is one: its id, agent and whether it is promotable */
  resource?: { id: string; agent: string; promotable: boolean };
  /** ip-range-start, host-netmask, host-interface: replica i's address is `start + i`. The
   * planner knows by it which addresses on a node are this cluster's (to sweep those nobody holds) */
  addressRange?: { start: number; prefix: number; interface?: string };
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
  /** where the node side reaches the replica's executor (pacemaker-remoted), when the bundle
   * holds a resource */
  executor?: { host: string; port: number };
}

export interface BundleModel {
  settings: BundleSettings;
  /** the resource inside, when the bundle holds one (src/model/inner.ts) */
  resource?: InnerSpec;
  /** promoted-max (masters): replicas that run the resource in the promoted role */
  promotedMax: number;
  /** undefined: the bundle has no container element (nothing to place) */
  placement?: BundlePlacement;
  /** undefined when the settings have problems: the bundle cannot be built */
  build?: (index: number, place: BuildPlace) => DesiredReplica;
}

export const replicaName = (bundle: string, index: number) => `${bundle}-${index}`;

/** The add-host hosts file of a bundle on a node: under the node's state dir, per cluster. */
/** A replica's log directory on its node (mounted at /var/log when it runs pacemaker-remoted). */
export const replicaLogDir = (stateDir: string, cluster: string, replica: string) => `${stateDir.replace(/\/+$/, '')}/clusters/${cluster}/logs/${replica}`;

export const hostsFilePath = (stateDir: string, cluster: string, bundle: string) => `${stateDir.replace(/\/+$/, '')}/clusters/${cluster}/hosts/${bundle}`;

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
export function readBundle(b: XmlElement, defaults: XmlElement | undefined, props: ClusterProperties, ctx: ReadContext, opDefaults?: XmlElement): BundleModel {
  const id = b.attrs.id;
  const where = `/cib/configuration/resources/bundle[@id='${id}']`;
  const problems: Problem[] = [];
  const meta = (name: string) => resolveMeta(b, defaults, name);
  const container = containerOf(b);
  const c = container?.attrs ?? {};
  const replicas = replicaCount(container);
  const rph = c['replicas-per-host'];
  const replicasPerHost = rph !== undefined && isInteger(rph) ? countAtLeastOne(rph) : 1;
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
    ...(container?.tag === 'docker' || container?.tag === 'podman' ? { container: container.tag } : {}),
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
    ...(primitive?.attrs.id ? { resource: readInner(b, primitive, { ...(defaults ? { rscDefaults: defaults } : {}), ...(opDefaults ? { opDefaults } : {}), stonithEnabled: props.stonithEnabled, startFailureIsFatal: props.startFailureIsFatal }) } : {}),
  };
  if (inner.resource) settings.resource = { id: inner.resource.id, agent: inner.resource.agentName, promotable: inner.promotedMax > 0 };
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
  // Pacemaker does not run a bundle whose resource it cannot reach (lib/pengine/bundle.c).
  const net = child(b, 'network');
  if (primitive?.attrs.id && !net?.attrs['control-port'] && !net?.attrs['ip-range-start']) {
    problems.push(problem('BUNDLE_NOT_ACCESSIBLE', { path: `${where}/network`, value: primitive.attrs.id, message: `bundle '${id}' is not run: its resource '${primitive.attrs.id}' cannot be reached without control-port or ip-range-start (as in Pacemaker)` }));
  }
  if (!container || !c.image) {
    problems.push(problem('OPTION_REQUIRED', { path: where, message: `bundle '${id}' has no container image, so berth cannot run it` }));
    return { settings, ...inner, ...(placement ? { placement } : {}) };
  }
  const parsed = parseDockerOptions(c.options, { readFile: ctx.readFile, lookupEnv: ctx.lookupEnv, path: `${where}/${container.tag}/@options` });
  problems.push(...parsed.problems);
  const resource = inner.resource;
  // A bundle holding a resource runs Pacemaker's executor unless run-command says otherwise.
  let command: string[] | undefined = resource ? [REMOTE_COMMAND] : undefined;
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
  if (start !== undefined && start + replicas - 1 <= 0xffffffff) settings.addressRange = { start, prefix, ...(iface ? { interface: iface } : {}) };
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
    const key = `${index}\u0000${place.node}\u0000${place.stateDir}\u0000${place.cluster}\u0000${place.remoteKey ?? ''}`;
    let d = built.get(key);
    if (!d) built.set(key, (d = buildOnce(index, place)));
    return d;
  };
  const buildOnce = (index: number, { node, stateDir, cluster, remoteKey }: BuildPlace): DesiredReplica => {
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
    // Pacemaker's mounts for the executor: the key at the same path inside, and a log directory
    // per replica at /var/log (under berth's state dir, per cluster, instead of
    // /var/log/pacemaker/bundles: berth touches only its own cluster's files).
    if (resource) {
      binds.push(`${remoteKey ?? REMOTE_KEY_PATH}:${REMOTE_KEY_PATH}:ro`);
      const logs = replicaLogDir(stateDir, cluster, name);
      sourceDirs.push(logs);
      binds.push(`${logs}:/var/log`);
    }
    const exposed: Record<string, Record<string, never>> = {};
    const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
    if (publishes) {
      for (const p of ports) {
        const key = `${p.internal}/tcp`;
        exposed[key] = {};
        (bindings[key] ??= []).push({ HostIp: address?.ip ?? '', HostPort: String(p.port) });
      }
      // The control-port is mapped too: on the replica's address, else on the node's loopback
      // only (berth's node side is the executor's one client).
      if (resource && !bindings[`${resource.controlPort}/tcp`]) {
        exposed[`${resource.controlPort}/tcp`] = {};
        bindings[`${resource.controlPort}/tcp`] = [{ HostIp: address?.ip ?? '127.0.0.1', HostPort: String(resource.controlPort) }];
      }
    }
    const env = resource ? ['PCMK_stderr=1', `PCMK_remote_port=${resource.controlPort}`, ...(fragment.Env ?? [])] : fragment.Env;
    const labels: Record<string, string> = {
      ...(fragment.Labels ?? {}),
      ...berthLabels({ cluster, bundle: id, replica: index, node, specHash: '' }),
    };
    if (address) labels[ADDRESS_LABEL] = `${address.ip}/${address.prefix}@${address.interface ?? ''}`;
    else delete labels[ADDRESS_LABEL];
    // Which engine the replica asks for is part of its spec; which engine holds it is not (a
    // replica stays where it runs while its spec is the same: docs/bundles.md, "Which engine").
    if (settings.container === 'podman') labels[BERTH_LABELS.container] = 'podman';
    const spec: ContainerSpec = {
      ...fragment,
      ...(env ? { Env: env } : {}),
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
        // A replica that runs a resource is recovered as Pacemaker recovers its guest: a new
        // container from the image (nothing left of the old run), made by berth, not restarted
        // in place by the engine.
        RestartPolicy: { Name: resource ? 'no' : RESTART_POLICY, MaximumRetryCount: 0 },
      },
    };
    const specHash = specHashOf(spec);
    labels[BERTH_LABELS.specHash] = specHash;
    labels[BERTH_LABELS.spec] = formatSpecRecord(specRecordOf(spec));
    const executor = resource ? { host: publishes ? address?.ip ?? '127.0.0.1' : '127.0.0.1', port: resource.controlPort } : undefined;
    return { bundle: id, index, name, node, ...(address ? { address } : {}), sourceDirs, spec, specHash, healthCheck, ...(executor ? { executor } : {}) };
  };
  return { settings, ...inner, placement: placement!, build };
}


