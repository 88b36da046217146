// What a CIB may ask of the nodes' hosts: a bundle whose options or storage ask for host access
// (src/runtime/host-access.ts: privileged, devices, dangerous capabilities, unconfined security
// options, binds of system directories) is an error unless the cluster property
// `berth-host-access` (a comma list, e.g. `privileged,devices`) allows that access. Default safe.
// The agents check the same list on every create, with their own --allow flags.
import type { Cib } from '../cib/cib';
import { clusterProperty } from '../cib/nvset';
import { XmlElement, child, elements, walk } from '../cib/xml';
import { Problem, problem } from '../errors/registry';
import { parseDockerOptions } from '../runtime/docker-options';
import { DEFAULT_HOST_ACCESS, HOST_ACCESS, HostAccess, hostAccessAsks, parseHostAccessList, systemPathOf } from '../runtime/host-access';
import { bundlePath, containerOf } from './bundle-rules';
import { elementStep } from './cib-paths';

export const HOST_ACCESS_PROPERTY = 'berth-host-access';

/** The docker option (or CIB attribute) through which a bundle asks for each access; the
 * message says it with the value asked for (`--ipc=host`, `--device=/dev/fuse`). */
const ASKED_BY: Record<HostAccess, string> = {
  privileged: '--privileged',
  'host-pid': '--pid',
  'host-ipc': '--ipc',
  'host-uts': '--uts',
  'host-userns': '--userns',
  devices: '--device',
  'cap-add': '--cap-add',
  unconfined: '--security-opt',
  'mount-system': 'storage-mapping source-dir',
  'host-net': 'network',
};

const propertyPath = `/cib/configuration/crm_config/cluster_property_set/nvpair[@name='${HOST_ACCESS_PROPERTY}']`;

/** The host access one bundle asks for and the CIB's property does not allow (an edit's check). */
export function bundleHostAccessProblems(cib: Cib, bundle: XmlElement): Problem[] {
  const { allowed } = allowedAccess(cib);
  return bundleAsks(bundle).filter((a) => !allowed.has(a.access)).map((a) => refusal(bundle, a));
}

function allowedAccess(cib: Cib): { allowed: Set<HostAccess>; problems: Problem[] } {
  const out: Problem[] = [];
  const allowed = new Set<HostAccess>(DEFAULT_HOST_ACCESS);
  const value = clusterProperty(cib, HOST_ACCESS_PROPERTY);
  if (value !== undefined) {
    const list = parseHostAccessList(value);
    if (list.ok) for (const a of list.access) allowed.add(a);
    else out.push(problem('OPTION_INVALID_VALUE', { path: propertyPath, value, allowed: HOST_ACCESS.join(', '), message: `'${list.unknown.join(',')}' in cluster property ${HOST_ACCESS_PROPERTY} is not a kind of host access, use a comma list of ${HOST_ACCESS.join(', ')}` }));
  }
  return { allowed, problems: out };
}

export function hostAccessProblems(cib: Cib): Problem[] {
  const { allowed, problems: out } = allowedAccess(cib);
  const resources = child(child(cib, 'configuration') ?? cib, 'resources');
  if (!resources) return out;
  walk(resources, (e) => {
    if (e.tag !== 'bundle') return;
    out.push(...bundleAsks(e).filter((a) => !allowed.has(a.access)).map((a) => refusal(e, a)));
    return false;
  });
  return out;
}

interface BundleAsk {
  access: HostAccess;
  path: string;
  value: string;
}

function bundleAsks(b: XmlElement): BundleAsk[] {
  const out: BundleAsk[] = [];
  const base = bundlePath(b);
  const container = containerOf(b);
  if (container?.attrs.options) {
    const path = `${base}/${container.tag}/@options`;
    const host = parseDockerOptions(container.attrs.options, { readFile: () => '{}', path }).create.HostConfig;
    for (const a of hostAccessAsks(host)) out.push({ access: a.access, path, value: a.value });
  }
  const storage = child(b, 'storage');
  for (const sm of storage ? elements(storage, 'storage-mapping') : []) {
    for (const attr of ['source-dir', 'source-dir-root']) {
      const v = sm.attrs[attr];
      if (v === undefined || !v.startsWith('/')) continue;
      // A root holds one directory per replica: it is their parent that must be safe.
      const source = attr === 'source-dir' ? v : `${v.replace(/\/+$/, '')}/${b.attrs.id}-0`;
      if (systemPathOf(source)) out.push({ access: 'mount-system', path: `${base}/storage/${elementStep(sm)}/@${attr}`, value: v });
    }
  }
  return out;
}

function refusal(b: XmlElement, a: BundleAsk): Problem {
  return problem('BUNDLE_HOST_ACCESS', {
    path: a.path,
    value: a.value,
    allowed: `cluster property ${HOST_ACCESS_PROPERTY} including '${a.access}'`,
    message: `bundle '${b.attrs.id}' asks for host access '${a.access}' (${ASKED_BY[a.access]}=${a.value}); berth refuses it unless the cluster property ${HOST_ACCESS_PROPERTY} allows it, e.g. 'berth property set ${HOST_ACCESS_PROPERTY}=${a.access} --force', and the agents run with --allow ${a.access}`,
  });
}
