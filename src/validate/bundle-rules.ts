// Rules a whole bundle element must satisfy, beyond what pcs checks (bundles.md "berth does").
// Used after every edit by the CLI and by `cib validate`; pure: element in, problems out.
import { Problem, problem, warning } from '../errors/registry';
import { XmlElement, child, elements } from '../cib/xml';
import { isInteger } from './options';
import { parseDockerOptions } from '../runtime/docker-options';
import { addHost, ipRangeStart, parseIPv4, storagePath } from './bundle-options';
import { elementStep } from './cib-paths';

export { parseIPv4 } from './bundle-options';

export const CONTAINER_TAGS = ['docker', 'podman', 'rkt'] as const;
export const RUNNABLE_CONTAINER_TAGS = new Set(['docker', 'podman']);

export const bundlePath = (b: XmlElement) => `/cib/configuration/resources/${elementStep(b)}`;

export const formatIPv4 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

export function containerOf(bundle: XmlElement): XmlElement | undefined {
  for (const t of CONTAINER_TAGS) {
    const c = child(bundle, t);
    if (c) return c;
  }
  return undefined;
}

/** A count Pacemaker reads with a minimum of 1 (replicas, replicas-per-host): below 1 is 1. */
export const countAtLeastOne = (v: string): number => Math.max(1, Number(v.trim()));

/** Number of replicas as Pacemaker computes it: replicas (at least 1), else promoted-max (or
 * masters) if > 0, else 1. */
export function replicaCount(container: XmlElement | undefined): number {
  const a = container?.attrs ?? {};
  if (a.replicas !== undefined && isInteger(a.replicas)) return countAtLeastOne(a.replicas);
  const pm = a['promoted-max'] ?? a.masters;
  if (pm !== undefined && isInteger(pm, 1)) return Number(pm);
  return 1;
}

export function bundleRules(bundle: XmlElement): Problem[] {
  const out: Problem[] = [];
  const base = bundlePath(bundle);
  const container = containerOf(bundle);
  if (!container) {
    out.push(problem('OPTION_REQUIRED', { path: base, message: `bundle '${bundle.attrs.id}' has no container element, use one of 'docker', 'podman'` }));
  } else if (!RUNNABLE_CONTAINER_TAGS.has(container.tag)) {
    out.push(warning('BUNDLE_UNSUPPORTED_CONTAINER', { path: `${base}/${container.tag}`, value: container.tag, allowed: 'docker, podman', message: `bundle '${bundle.attrs.id}' uses container type '${container.tag}': it is kept in the CIB, but berth runs only 'docker' and 'podman' bundles` }));
  }
  for (const name of ['replicas', 'replicas-per-host']) {
    const v = container?.attrs[name];
    if (v !== undefined && isInteger(v) && Number(v.trim()) < 1) {
      out.push(warning('BUNDLE_COUNT_READ_AS_ONE', { path: `${base}/${container!.tag}/@${name}`, value: v, allowed: 'a positive integer', message: `bundle '${bundle.attrs.id}': ${name}='${v}' is read as 1, as Pacemaker reads a count below 1` }));
    }
  }
  const optionsPath = `${base}/${container?.tag}/@options`;
  const parsed = container?.attrs.options ? parseDockerOptions(container.attrs.options, { readFile: () => '', path: optionsPath }) : undefined;
  if (parsed) out.push(...parsed.problems);
  // the network said twice (network= and --net in options): the engine takes one
  const optionNetwork = parsed?.create.HostConfig?.NetworkMode;
  const attrNetwork = container?.attrs.network || undefined;
  if (optionNetwork !== undefined && attrNetwork !== undefined && optionNetwork !== attrNetwork) {
    out.push(problem('OPTION_CONFLICT', { path: optionsPath, value: `--network=${optionNetwork}`, allowed: `network=${attrNetwork} or nothing in options`, message: `bundle '${bundle.attrs.id}': docker option --network=${optionNetwork} conflicts with container option network=${attrNetwork}; say the network once` }));
  }
  const networkMode = attrNetwork ?? optionNetwork;
  const network = child(bundle, 'network');
  const n = network?.attrs ?? {};
  const start = n['ip-range-start'];
  if (start !== undefined) {
    const addr = parseIPv4(start);
    if (addr === undefined) {
      out.push(...at(`${base}/network/@ip-range-start`, ipRangeStart(n)));
    } else {
      const count = replicaCount(container);
      const last = addr + count - 1;
      if (last > 0xffffffff) {
        out.push(problem('BUNDLE_ADDRESS_OVERFLOW', { path: `${base}/network/@ip-range-start`, value: start, allowed: `a start address at most ${formatIPv4(0xffffffff - count + 1)} for ${count} replicas`, message: `ip-range-start '${start}' with ${count} replicas runs past 255.255.255.255` }));
      }
    }
  }
  out.push(...at(`${base}/network/@add-host`, addHost(n)));
  // Host ports exposed by the port mappings: the same host port twice on one address conflicts.
  const seen = new Map<number, string>();
  for (const pm of network ? elements(network, 'port-mapping') : []) {
    const ports: number[] = [];
    if (pm.attrs.port !== undefined && isInteger(pm.attrs.port, 1, 65535)) ports.push(Number(pm.attrs.port));
    const r = pm.attrs.range !== undefined ? /^(\d+)-(\d+)$/.exec(pm.attrs.range) : null;
    if (r) for (let p = Number(r[1]); p <= Number(r[2]) && p <= 65535; p++) ports.push(p);
    for (const p of ports) {
      const other = seen.get(p);
      if (other !== undefined && other !== pm.attrs.id) {
        out.push(problem('BUNDLE_PORT_CONFLICT', { path: `${base}/network/${elementStep(pm)}`, value: String(p), allowed: 'each host port in one port mapping only', message: `port-map '${pm.attrs.id}' exposes port ${p}, which port-map '${other}' of bundle '${bundle.attrs.id}' already exposes` }));
        break;
      }
      seen.set(p, pm.attrs.id);
    }
  }
  const storage = child(bundle, 'storage');
  for (const sm of storage ? elements(storage, 'storage-mapping') : []) {
    for (const attr of ['source-dir', 'source-dir-root', 'target-dir']) {
      out.push(...at(`${base}/storage/${elementStep(sm)}/@${attr}`, storagePath(attr)(sm.attrs)));
    }
  }
  const inner = elements(bundle, 'primitive');
  if (inner.length > 1) {
    out.push(problem('BUNDLE_HAS_RESOURCE', { path: base, value: inner.map((p) => p.attrs.id).join(','), message: `bundle '${bundle.attrs.id}' contains ${inner.length} resources, a bundle may contain at most one resource` }));
  }
  if (inner.length) {
    if (!n['control-port'] && !n['ip-range-start']) {
      out.push(warning('BUNDLE_NOT_ACCESSIBLE', { path: `${base}/network`, value: inner[0].attrs.id, message: `Resource '${inner[0].attrs.id}' will not be accessible by the cluster inside bundle '${bundle.attrs.id}', at least one of bundle options 'control-port' or 'ip-range-start' has to be specified` }));
    }
    const ops = child(inner[0], 'operations');
    for (const op of ops ? elements(ops, 'op') : []) {
      if ((op.attrs['on-fail'] ?? '').trim().toLowerCase() === 'standby') {
        out.push(problem('OPERATION_NOT_SUPPORTED', { path: `${base}/primitive[@id='${inner[0].attrs.id}']/operations/op[@id='${op.attrs.id ?? ''}']/@on-fail`, value: 'standby', allowed: 'ignore, block, stop, restart, fence, demote', message: `operation '${op.attrs.id ?? op.attrs.name}' of resource '${inner[0].attrs.id}': on-fail=standby is not supported yet (berth would have to put the whole node in standby while the failure lasts)` }));
      }
    }
    if (container && networkMode === 'host') {
      const rph = container.attrs['replicas-per-host'];
      if (rph !== undefined && rph !== '1') {
        out.push(problem('BUNDLE_HOST_NETWORK', { path: `${base}/${container.tag}/@replicas-per-host`, value: rph, allowed: '1', message: `bundle '${bundle.attrs.id}' runs on the host network with a resource inside, so replicas-per-host must be 1, not '${rph}'` }));
      }
    }
  }
  return out;
}

/** Problems of one attribute's value rule (bundle-options.ts), located in the CIB. */
const at = (path: string, problems: Problem[]) => problems.map((p) => ({ ...p, path }));

