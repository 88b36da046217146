// The live CIB lives in a store. One interface, two backends: a directory on this node
// (`file:///var/lib/berth`, the default) and etcd (`etcd://host:port[,host:port]/prefix`) when a
// cluster has several controllers. Every write is a compare-and-swap against the revision it was
// based on, so a lost race is seen and retried or refused, never silently overwritten.
//
// Terms: `revision` is the store's own opaque version of the stored text (a file's content hash,
// an etcd mod_revision); the CIB's own version (admin_epoch, epoch, num_updates) lives inside the
// text and is checked by the callers (cluster cib-push), not by the store.

import { BerthError } from '../errors/registry';

/** Whether `e` is the STORE_CORRUPT a read of a store throws. */
export const isStoreCorrupt = (e: unknown): boolean => e instanceof BerthError && e.problems[0]?.code === 'STORE_CORRUPT';

export interface StoredCib {
  /** the CIB text as stored (XML); the empty CIB when the store has never been written */
  text: string;
  /** opaque revision for compare-and-swap; null when nothing has been written yet */
  revision: string | null;
}

export type CasResult = { ok: true; revision: string } | { ok: false; current: StoredCib };

export interface CibStore {
  /** Where it lives, for messages (e.g. file:///var/lib/berth). */
  readonly url: string;
  read(): Promise<StoredCib>;
  /** Write `text` if the stored revision is still `expected` (null: nothing stored yet). */
  compareAndSwap(expected: string | null, text: string): Promise<CasResult>;
  /** The repair of STORE_CORRUPT: write `text` (a valid CIB) in place of a stored value that is
   * not one, by compare-and-swap on that value's revision. A store holding a valid CIB (or
   * nothing), or one that changed meanwhile, is left alone: `{ok: false, current}`. */
  replaceCorrupt(text: string): Promise<CasResult>;
  /** Call `onChange` after every change (also changes by other processes); returns a stop function. */
  watch(onChange: (cib: StoredCib) => void): () => void;
  /** Small side records (gitops state, leases...) under the same store, also CAS-guarded. */
  readKey(key: string): Promise<StoredCib>;
  compareAndSwapKey(key: string, expected: string | null, text: string): Promise<CasResult>;
  close(): Promise<void>;
}
