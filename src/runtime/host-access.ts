// Host access: what a container spec asks of the host beyond an ordinary container — privileges,
// the host's namespaces, devices, dangerous capabilities, binds of system directories. One list
// and one reading of a create spec, used by the node agent (an order that asks for more than the
// agent allows is refused) and by CIB validation (a bundle that asks for more than the CIB's
// `berth-host-access` property allows is an error). Pure: paths in, asks out.
//
// Terms: an *access* is one kind of host access (`privileged`, `host-pid`, ...); an *ask* is one
// place in a spec that needs it (the field and its value). Allowed by default: only `host-net`
// (Pacemaker bundles often run with network="host"); an agent can deny it.
import type { HostConfig } from 'dockerode';

export const HOST_ACCESS = ['privileged', 'host-pid', 'host-ipc', 'host-uts', 'host-userns', 'devices', 'cap-add', 'unconfined', 'mount-system', 'host-net'] as const;
export type HostAccess = (typeof HOST_ACCESS)[number];

export const isHostAccess = (v: string): v is HostAccess => (HOST_ACCESS as readonly string[]).includes(v);

/** What needs no allowing: the host network (deniable on the agent, `--deny host-net`). */
export const DEFAULT_HOST_ACCESS: readonly HostAccess[] = ['host-net'];

/** Capabilities a container may add without `cap-add`: Docker's default set (adding one is a
 * no-op) and a few that reach no further than the container's own processes. */
export const SAFE_CAPABILITIES: readonly string[] = [
  'CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE',
  'IPC_LOCK', 'SYS_NICE',
].map((c) => `CAP_${c}`);

/** Host paths a container may not bind and an agent may not create directories in: whoever
 * writes there owns the host. `/` itself too (but not everything below it). */
export const SYSTEM_PATHS: readonly string[] = [
  '/etc', '/proc', '/sys', '/dev', '/boot', '/root', '/usr', '/bin', '/sbin', '/lib', '/lib64',
  '/var/run/docker.sock', '/run/docker.sock', '/var/lib/docker',
];

export interface HostAsk {
  access: HostAccess;
  /** where in the spec, e.g. HostConfig.Privileged, HostConfig.Binds */
  field: string;
  value: string;
}

/** Paths beyond SYSTEM_PATHS that are protected (an agent's state dir), and exceptions to them
 * (the hosts files berth binds into replicas). */
export interface PathGuard {
  protect?: readonly string[];
  except?: (path: string) => boolean;
}

const normal = (p: string) => {
  const parts: string[] = [];
  for (const s of p.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') parts.pop();
    else parts.push(s);
  }
  return '/' + parts.join('/');
};
const within = (p: string, dir: string) => p === dir || p.startsWith(dir === '/' ? '/' : dir + '/');

/**
 * The protected path a host path touches, or undefined. `/` itself, a protected path, anything
 * inside one, and — with `containing` (binds: a bind of /var reaches /var/run/docker.sock) —
 * anything that contains one.
 */
export function systemPathOf(path: string, guard: PathGuard = {}, containing = true): string | undefined {
  const p = normal(path);
  if (guard.except?.(p)) return undefined;
  if (p === '/') return '/';
  for (const raw of [...SYSTEM_PATHS, ...(guard.protect ?? [])]) {
    const s = normal(raw);
    if (within(p, s) || (containing && within(s, p))) return s;
  }
  return undefined;
}

/** The bind sources of a spec: Binds' host paths (not named volumes) and Mounts of type bind. */
function bindSources(h: HostConfig): { field: string; source: string }[] {
  const out: { field: string; source: string }[] = [];
  for (const b of h.Binds ?? []) {
    const source = b.split(':')[0];
    if (source.startsWith('/')) out.push({ field: 'HostConfig.Binds', source });
  }
  for (const m of h.Mounts ?? []) if (m.Type === 'bind' && typeof m.Source === 'string') out.push({ field: 'HostConfig.Mounts', source: m.Source });
  return out;
}

const UNCONFINED = /^(seccomp[=:]unconfined|apparmor[=:]unconfined|label[=:]disable|systempaths[=:]unconfined)$/;

/** Every host access a create spec's HostConfig asks for, in HOST_ACCESS order per field. */
export function hostAccessAsks(h: HostConfig | undefined, guard: PathGuard = {}): HostAsk[] {
  if (!h) return [];
  const out: HostAsk[] = [];
  const ask = (access: HostAccess, field: string, value: string) => out.push({ access, field, value });
  if (h.Privileged) ask('privileged', 'HostConfig.Privileged', 'true');
  if (h.PidMode === 'host') ask('host-pid', 'HostConfig.PidMode', 'host');
  if (h.IpcMode === 'host') ask('host-ipc', 'HostConfig.IpcMode', 'host');
  if (h.UTSMode === 'host') ask('host-uts', 'HostConfig.UTSMode', 'host');
  if (h.UsernsMode === 'host') ask('host-userns', 'HostConfig.UsernsMode', 'host');
  for (const d of h.Devices ?? []) ask('devices', 'HostConfig.Devices', d.PathOnHost);
  for (const r of (h as { DeviceCgroupRules?: string[] }).DeviceCgroupRules ?? []) ask('devices', 'HostConfig.DeviceCgroupRules', r);
  if ((h.DeviceRequests ?? []).length) ask('devices', 'HostConfig.DeviceRequests', `${h.DeviceRequests!.length} request(s)`);
  for (const c of h.CapAdd ?? []) {
    const name = `CAP_${c.toUpperCase().replace(/^CAP_/, '')}`;
    if (!SAFE_CAPABILITIES.includes(name)) ask('cap-add', 'HostConfig.CapAdd', c);
  }
  for (const o of h.SecurityOpt ?? []) if (UNCONFINED.test(o)) ask('unconfined', 'HostConfig.SecurityOpt', o);
  for (const { field, source } of bindSources(h)) {
    const hit = systemPathOf(source, guard);
    if (hit) ask('mount-system', field, source);
  }
  for (const m of h.Mounts ?? []) if (m.Type === 'volume' && m.VolumeOptions?.DriverConfig) ask('mount-system', 'HostConfig.Mounts', `volume ${m.Source ?? ''} with driver options`);
  for (const v of h.VolumesFrom ?? []) ask('mount-system', 'HostConfig.VolumesFrom', v);
  if (h.NetworkMode === 'host') ask('host-net', 'HostConfig.NetworkMode', 'host');
  return out;
}

export type HostAccessList = { ok: true; access: HostAccess[] } | { ok: false; unknown: string[] };

/** A comma list of accesses (`privileged,host-pid`), as the agent's --allow and the CIB's
 * berth-host-access property give them. */
export function parseHostAccessList(text: string): HostAccessList {
  const words = text.split(',').map((w) => w.trim()).filter(Boolean);
  const unknown = words.filter((w) => !isHostAccess(w));
  return unknown.length ? { ok: false, unknown } : { ok: true, access: words as HostAccess[] };
}
