// The files berth keeps on a node, under its state directory: the add-host hosts files (bind-mounted
// into containers, so rewritten in place: a rename would leave containers on the old inode) and
// the failure ledger (written atomically: temp file + rename, under the file's lock, merged with
// what `resource cleanup` changed meanwhile). Asynchronous, because on another node the same
// interface is served by that node's agent (src/agent/client.ts).
import { mkdirSync, readFileSync, readdirSync, unwatchFile, watchFile, writeFileSync } from 'node:fs';
import { writeFileAtomic } from '../cib/file-write';
import { withFileLockAsync } from '../cib/file-lock';
import { mergeLedger } from '../reconcile/failures';
import { isClusterId } from '../runtime/labels';
import { hostsFilePath } from '../model/bundle';
import path from 'node:path';
import type { FailureRecord } from '../reconcile/observed';

export const DEFAULT_STATE_DIR = '/var/lib/berth/node';

export interface NodeFiles {
  readonly stateDir: string;
  /** the node's Pacemaker key, mounted into replicas that run pacemaker-remoted (default
   * /etc/pacemaker/authkey) */
  readonly remoteKey?: string;
  /** null when missing */
  read(file: string): Promise<string | null>;
  /** several files in one go (one round trip to a node's agent), each as read() gives it */
  readMany(files: readonly string[]): Promise<(string | null)[]>;
  /** In place (same inode), creating the directory and the file when missing. */
  write(file: string, content: string): Promise<void>;
  ensureDir(dir: string): Promise<void>;
  /** the failure ledger of one cluster's containers on this node */
  readLedger(cluster: string): Promise<Record<string, FailureRecord>>;
  /** every hosts file of one cluster on this node, by path (`hostsFilePath`): on the node itself
   * (an agent's snapshot, node-snapshot.ts), not through an agent */
  readHostsFiles?(cluster: string): Promise<Record<string, string>>;
  /** With `base` (the ledger `ledger` was computed from), entries changed by someone else since
   * are kept (mergeLedger); without, the ledger is replaced. */
  writeLedger(cluster: string, ledger: Record<string, FailureRecord>, base?: Record<string, FailureRecord>): Promise<void>;
}

/** Each cluster's files on a node live apart: two berth clusters may share a node. */
export function clusterDir(stateDir: string, cluster: string): string {
  if (!isClusterId(cluster)) throw new Error(`'${cluster}' is not a cluster id`);
  return path.join(stateDir, 'clusters', cluster);
}

const ledgerPath = (stateDir: string, cluster: string) => path.join(clusterDir(stateDir, cluster), 'failures.json');

function readLedgerFile(file: string): Record<string, FailureRecord> {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as { containers?: Record<string, FailureRecord> };
    return data.containers ?? {};
  } catch {
    // A missing or unreadable ledger means no failures remembered (it is rebuilt as they happen).
    return {};
  }
}

function writeLedgerFile(file: string, ledger: Record<string, FailureRecord>): void {
  // Whole or not at all (a full disk leaves the last ledger): see cib/file-write.ts.
  writeFileAtomic(file, JSON.stringify({ version: 1, containers: ledger }, null, 1) + '\n', { what: 'failure ledger' });
}

/** Calls back when one cluster's ledger on this node changes (polled: it is replaced by rename). */
export function watchLedger(stateDir: string, cluster: string, onChange: () => void, intervalMs = 1000): () => void {
  if (!stateDir) return () => {};
  const file = ledgerPath(stateDir, cluster);
  const listener = () => onChange();
  watchFile(file, { interval: intervalMs }, listener);
  return () => unwatchFile(file, listener);
}

/** One cluster's ledger on this node, read without the lock (a whole file is always there). */
export const readLedgerOf = (stateDir: string, cluster: string) => readLedgerFile(ledgerPath(stateDir, cluster));

export function nodeFiles(stateDir: string, remoteKey?: string): NodeFiles {
  const ledgerFile = (cluster: string) => ledgerPath(stateDir, cluster);
  return {
    stateDir,
    ...(remoteKey ? { remoteKey } : {}),
    async read(file) {
      try {
        return readFileSync(file, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
    },
    readMany(files) {
      return Promise.all(files.map((f) => this.read(f)));
    },
    async write(file, content) {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, content);
    },
    async ensureDir(dir) {
      mkdirSync(dir, { recursive: true });
    },
    async readLedger(cluster) {
      return readLedgerFile(ledgerFile(cluster));
    },
    async readHostsFiles(cluster) {
      let names: string[];
      try {
        names = readdirSync(path.join(clusterDir(stateDir, cluster), 'hosts'));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
        throw e;
      }
      const out: Record<string, string> = {};
      for (const name of names.sort()) {
        const file = hostsFilePath(stateDir, cluster, name);
        try {
          out[file] = readFileSync(file, 'utf8');
        } catch (e) {
          // Gone meanwhile, or not a file: no hosts file there.
          if (!['ENOENT', 'EISDIR'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
        }
      }
      return out;
    },
    async writeLedger(cluster, ledger, base) {
      const file = ledgerFile(cluster);
      mkdirSync(path.dirname(file), { recursive: true });
      await withFileLockAsync(file, () => writeLedgerFile(file, base ? mergeLedger(base, ledger, readLedgerFile(file)) : ledger));
    },
  };
}
