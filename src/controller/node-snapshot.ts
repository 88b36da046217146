// A node's observation in one answer, and the node's own proof that it did not change.
// The agent's `node.snapshot` reads, at one moment, what an observation reads (the engine's listing,
// the address table, the engine kinds, one cluster's failure ledger) and every hosts file of that
// cluster on the node, and a digest of all of it. Given the digest of the caller's last snapshot,
// it answers `unchanged` when the digest is the same instead of sending the whole again: a pass
// over 100 quiet nodes then moves 100 digests, not 100 listings and a second round for the hosts
// files. A listing's "Up ..." text is left out of the digest (it changes as time passes); in its
// place, whether the listing alone would have a container inspected (`needsInspect` on the agent's
// clock), since that is what an observation takes from it. Of a container, only what the engine
// changes after it is made (name, state, health) goes in beside its id: the digest is made for every
// observation on the node's agent, and a listing's labels are most of its bytes. What an inspect said is not in the
// digest: the caller also needs that no engine event of the node came since (pass.ts).
import { createHash } from 'node:crypto';
import type { EngineKind, ObservedContainer } from '../runtime/engine';
import type { FailureRecord, HostAddress } from '../reconcile/observed';
import type { ObserveDeps } from './observe';
import { needsInspect } from './observe';

export interface NodeSnapshot {
  /** the engine's listing: every container, of every cluster */
  containers: ObservedContainer[];
  addresses: HostAddress[];
  kinds?: EngineKind[];
  /** the cluster's failure ledger on the node */
  ledger: Record<string, FailureRecord>;
  /** every hosts file of the cluster on the node, by path: a path not here is no file */
  hosts: Record<string, string>;
}

export type SnapshotAnswer = { digest: string; unchanged: true } | { digest: string; snapshot: NodeSnapshot };

/** What a node answers for `node.snapshot` (the agent, over its own engine and files). */
export async function takeSnapshot(deps: Pick<ObserveDeps, 'engine' | 'addresses' | 'files'>, cluster: string, known: string | undefined, now: number): Promise<SnapshotAnswer> {
  const { files } = deps;
  if (!files.readHostsFiles) throw new Error('this node\'s files cannot list its hosts files');
  const [containers, addresses, kinds, ledger, hosts] = await Promise.all([
    deps.engine.listContainers({}), deps.addresses.list(), deps.engine.kinds?.().catch(() => undefined), files.readLedger(cluster), files.readHostsFiles(cluster),
  ]);
  const snapshot: NodeSnapshot = { containers, addresses, ...(kinds ? { kinds } : {}), ledger, hosts };
  const digest = snapshotDigest(snapshot, now);
  return digest === known ? { digest, unchanged: true } : { digest, snapshot };
}

/** A container's id stands for what the engine never changes once it is made (its labels, spec
 * hash, image, created time): only what can change is written out. */
export function snapshotDigest(s: NodeSnapshot, now: number): string {
  const containers = s.containers.map((c) => `${c.id} ${c.name} ${c.state} ${c.health} ${needsInspect(c, now)}`);
  return createHash('sha256').update(JSON.stringify({ ...s, containers })).digest('base64url');
}
