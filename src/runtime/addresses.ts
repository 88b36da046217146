// Host addresses for replicas: list (one `ip -j addr` call), add and remove IPv4 addresses on an
// interface. Thin, like engine.ts: no planning, no retries. What "berth's address" means (labels,
// subnets) is pure and lives in address-rules.ts, shared with the planner.
import { execFile } from 'node:child_process';
import type { HostAddress } from '../reconcile/observed';

export { ADDRESS_LABEL_SUFFIX, berthAddressLabel, interfaceFor, isBerthLabelled } from './address-rules';
export type { HostAddressSpec } from './address-rules';
import type { HostAddressSpec } from './address-rules';
import { berthAddressLabel } from './address-rules';

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
