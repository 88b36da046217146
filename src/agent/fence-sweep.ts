// The one way a node is fenced from inside: kill every container of this node and cluster, remove
// the addresses they claim, then remove the containers. The agent runs it when its lease runs out
// and when it joins empty; the fence guard (fence-guard.ts) runs it when the agent died holding a
// lease. Another cluster's containers, or containers of no cluster, are never touched.
import { ADDRESS_LABEL, BERTH_LABELS } from '../runtime/labels';
import type { AddressTable, HostAddressSpec } from '../runtime/addresses';
import { isBerthLabelled } from '../runtime/addresses';
import type { ContainerEngine } from '../runtime/engine';
import { parseAddressLabel } from '../reconcile/plan';

export interface FenceSweepOptions {
  node: string;
  /** the cluster whose replicas are this node's; undefined: none is known, nothing is killed */
  cluster: string | undefined;
  engine: Pick<ContainerEngine, 'listContainers' | 'stop' | 'remove' | 'inspect'>;
  addresses: Pick<AddressTable, 'list' | 'remove'>;
  log: (line: string) => void;
  now: () => number;
  /** orders under way that may still start something: swept again once they end */
  inflight?: () => number;
}

export async function fenceSweep(o: FenceSweepOptions, why: string): Promise<void> {
  const { cluster } = o;
  const t0 = o.now();
  const addressesOf = new Map<string, HostAddressSpec>();
  let killed = 0;
  if (cluster === undefined) o.log(`${why}: no cluster has granted this agent a lease yet, so none of the node's containers is known to be its own: nothing is killed`);
  const ours = async () => (cluster === undefined ? [] : o.engine.listContainers({ labels: { [BERTH_LABELS.node]: o.node, [BERTH_LABELS.cluster]: cluster } }));
  /** Addresses other clusters' containers on this engine claim: never removed. */
  const othersAddresses = async () => {
    const out = new Set<string>();
    for (const c of await o.engine.listContainers({})) if (c.cluster !== cluster) { const a = parseAddressLabel(c.labels[ADDRESS_LABEL]); if (a) out.add(a.ip); }
    return out;
  };
  const killAll = async () => {
    const containers = await ours();
    await Promise.all(containers.map(async (c) => {
      const a = parseAddressLabel(c.labels[ADDRESS_LABEL]);
      if (a?.interface) addressesOf.set(`${a.ip}/${a.prefix}@${a.interface}`, { ip: a.ip, prefix: a.prefix, interface: a.interface });
      if (c.state !== 'running' && c.state !== 'restarting' && c.state !== 'paused') return;
      killed++;
      await o.engine.stop(c.id, 0).catch((e) => o.log(`${why}: cannot kill ${c.name}: ${(e as Error).message}`));
    }));
    return containers;
  };
  const dropAddresses = async () => {
    const others = await othersAddresses();
    for (const a of (await o.addresses.list()).filter(isBerthLabelled)) if (!others.has(a.ip) && cluster !== undefined) addressesOf.set(`${a.ip}/${a.prefix}@${a.interface}`, { ip: a.ip, prefix: a.prefix, interface: a.interface });
    for (const [k, a] of addressesOf) await o.addresses.remove(a).catch((e) => o.log(`${why}: cannot remove address ${k}: ${(e as Error).message}`));
  };
  /** A container the engine cannot remove (stuck in removal: its filesystem held by a mount
   * elsewhere) must at least not run: it is killed again if it does. The node's plan reports it
   * (CONTAINER_NOT_REMOVABLE) and retries the removal once the node serves again. */
  const notRemoved = async (id: string, name: string, e: unknown) => {
    const d = await o.engine.inspect(id).catch(() => undefined);
    if (d?.running) await o.engine.stop(id, 0).catch(() => {});
    const after = d?.running ? await o.engine.inspect(id).catch(() => undefined) : d;
    const state = !after ? 'its state is not known' : after.running ? 'it STILL RUNS' : `it does not run (${after.state})`;
    o.log(`${why}: cannot remove ${name}: ${(e as Error).message}; ${state}`);
  };
  // At once, without waiting for the orders under way (a graceful stop may take its timeout):
  // writes are refused from now on. Then again once those orders have ended, in case one of
  // them started something after the first sweep.
  await killAll();
  await dropAddresses();
  const killedMs = o.now() - t0;
  const inflight = o.inflight ?? (() => 0);
  if (inflight() > 0) {
    for (let waited = 0; inflight() > 0 && waited < 15_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    await killAll();
    await dropAddresses();
  }
  const containers = await ours();
  let stuck = 0;
  await Promise.all(containers.map((c) => o.engine.remove(c.id, { force: true }).catch((e) => { stuck++; return notRemoved(c.id, c.name, e); })));
  const removed = containers.length - stuck;
  o.log(`${why}: killed ${killed} replica${killed === 1 ? '' : 's'} and removed ${addressesOf.size} address${addressesOf.size === 1 ? '' : 'es'} in ${killedMs} ms; ${removed} container${removed === 1 ? '' : 's'} removed after ${o.now() - t0} ms${stuck ? `, ${stuck} could not be (above)` : ''}`);
}
