// A cluster's identity: every container, address claim and state file berth makes carries it, and
// a pass touches nothing of another id (or of none). The live CIB's id is kept in its store (the
// side key `cluster-id`, made once, compare-and-swap guarded, so every controller of a cluster
// reads the same); a CIB file used with --cib has the id of its real path.
import { createHash, randomBytes } from 'node:crypto';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import type { CibStore } from './store';
import { isClusterId } from '../runtime/labels';

export const CLUSTER_ID_KEY = 'cluster-id';

/** The store's cluster id, made (once, by whichever process comes first) when missing. */
export async function storeClusterId(store: CibStore): Promise<string> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const found = await store.readKey(CLUSTER_ID_KEY);
    const id = found.text.trim();
    if (found.revision !== null && isClusterId(id)) return id;
    if (found.revision !== null) throw new Error(`the store ${store.url} holds a cluster id that is not one: '${id.slice(0, 80)}'`);
    const made = `c-${randomBytes(6).toString('hex')}`;
    const r = await store.compareAndSwapKey(CLUSTER_ID_KEY, null, made + '\n');
    if (r.ok) return made;
  }
  throw new Error(`cannot read or make the cluster id in ${store.url}`);
}

/** The cluster id of a CIB file: from its real path, so the same file is the same cluster. */
export function fileClusterId(file: string): string {
  let real = path.resolve(file);
  try {
    real = realpathSync(real);
  } catch {
    // Not there (yet): its absolute path.
  }
  return `file-${createHash('sha256').update(real).digest('hex').slice(0, 12)}`;
}
