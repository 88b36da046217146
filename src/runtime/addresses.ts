// Host addresses for replicas: list (one `ip -j addr` call), add and remove IPv4 addresses on an
// interface. Thin, like engine.ts: no planning, no retries. The pure helpers (labels, subnets)
// are here too so that the planner and the shell agree on what "berth's address" means.
//
// Terms: berth labels every address it adds `<interface>:berth` (IPv4 labels must start with the
// interface name and fit in 15 characters; when they cannot, the address is unlabelled and berth
// knows it as its own from the container's `berth.address` label).
import { execFile } from 'node:child_process';
import { parseIPv4 } from '../validate/bundle-rules';
import type { HostAddress } from '../reconcile/observed';

export const ADDRESS_LABEL_SUFFIX = ':berth';
const MAX_LABEL = 15;

export function berthAddressLabel(iface: string): string | undefined {
  const label = iface + ADDRESS_LABEL_SUFFIX;
  return label.length <= MAX_LABEL ? label : undefined;
}

export const isBerthLabelled = (a: HostAddress) => a.label === berthAddressLabel(a.interface);

const mask = (prefix: number) => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

/** The interface whose subnet holds `ip` (the most specific one), as IPaddr2's findif does. */
export function interfaceFor(ip: string, addresses: readonly HostAddress[]): string | undefined {
  const n = parseIPv4(ip);
  if (n === undefined) return undefined;
  let best: HostAddress | undefined;
  for (const a of addresses) {
    if (a.prefix >= 32 || a.ip === ip) continue;
    const an = parseIPv4(a.ip);
    if (an === undefined) continue;
    const m = mask(a.prefix);
    if (((an & m) >>> 0) === ((n & m) >>> 0) && (!best || a.prefix > best.prefix)) best = a;
  }
  return best?.interface;
}

export interface HostAddressSpec {
  ip: string;
  prefix: number;
  interface: string;
}

export interface AddressTable {
  list(): Promise<HostAddress[]>;
  /** Adds ip/prefix on the interface, labelled as berth's. */
  add(a: HostAddressSpec): Promise<void>;
  /** Removes it; an address that is not there is not an error. */
  remove(a: HostAddressSpec): Promise<void>;
}

export class AddressError extends Error {
  constructor(readonly operation: string, readonly address: string, message: string) {
    super(`${operation} ${address}: ${message}`);
    this.name = 'AddressError';
  }
}

interface IpJsonLink {
  ifname?: string;
  addr_info?: { family?: string; local?: string; prefixlen?: number; label?: string }[];
}

/** `ip -j addr` output to addresses (IPv4 only). */
export function parseIpJson(text: string): HostAddress[] {
  const links = JSON.parse(text) as IpJsonLink[];
  const out: HostAddress[] = [];
  for (const l of links) {
    for (const a of l.addr_info ?? []) {
      if (a.family !== 'inet' || !a.local || a.prefixlen === undefined || !l.ifname) continue;
      out.push({ ip: a.local, prefix: a.prefixlen, interface: l.ifname, label: a.label ?? l.ifname });
    }
  }
  return out;
}

function ip(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', args, { encoding: 'utf8', env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` } }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { stderr: String(stderr).trim() }));
      else resolve(stdout);
    });
  });
}

/**
 * A gratuitous ARP for an address just added, as Pacemaker's IPaddr2 sends: an address that moved
 * from another node is then reached here at once, not after the neighbours' caches time out.
 * Best effort and in the background: iputils' arping, else busybox's; neither is an error.
 */
function announce(a: HostAddressSpec): void {
  const args = ['-U', '-c', '1', '-I', a.interface, '-s', a.ip, a.ip];
  const env = { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` };
  execFile('arping', args, { env, timeout: 3000 }, (err) => {
    if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT') execFile('busybox', ['arping', ...args], { env, timeout: 3000 }, () => {});
  });
}

/** The host's address table through iproute2. */
export function ipAddressTable(): AddressTable {
  return {
    list: async () => parseIpJson(await ip(['-j', '-4', 'addr', 'show'])),
    add: async (a) => {
      const label = berthAddressLabel(a.interface);
      try {
        await ip(['addr', 'add', `${a.ip}/${a.prefix}`, 'dev', a.interface, ...(label ? ['label', label] : [])]);
      } catch (e) {
        const why = (e as { stderr?: string }).stderr || (e as Error).message;
        throw new AddressError('add', `${a.ip}/${a.prefix} on ${a.interface}`, /File exists/.test(why) ? 'the address is already on the host' : why);
      }
      if (a.interface !== 'lo') announce(a);
    },
    remove: async (a) => {
      try {
        await ip(['addr', 'del', `${a.ip}/${a.prefix}`, 'dev', a.interface]);
      } catch (e) {
        const why = (e as { stderr?: string }).stderr || (e as Error).message;
        if (/Cannot assign requested address|No such device/.test(why)) return;
        throw new AddressError('remove', `${a.ip}/${a.prefix} on ${a.interface}`, why);
      }
    },
  };
}
