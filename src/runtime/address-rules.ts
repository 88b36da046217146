// What "berth's address" means, pure, so that the planner (src/reconcile) and the shell agree:
// the label berth gives an address it adds, and the interface whose subnet holds an address.
//
// Terms: berth labels every address it adds `<interface>:berth` (IPv4 labels must start with the
// interface name and fit in 15 characters; when they cannot, the address is unlabelled and berth
// knows it as its own from the container's `berth.address` label).
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

