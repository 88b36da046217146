// The files berth keeps on a node, under its state directory: the add-host hosts files (bind-mounted
// into containers, so rewritten in place: a rename would leave containers on the old inode) and
// the failure ledger (written atomically: temp file + rename). Asynchronous, because on another
// node the same interface is served by that node's agent (src/agent/client.ts).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FailureRecord } from '../reconcile/observed';

export const DEFAULT_STATE_DIR = '/var/lib/berth/node';

export interface NodeFiles {
  readonly stateDir: string;
  /** null when missing */
  read(file: string): Promise<string | null>;
  /** In place (same inode), creating the directory and the file when missing. */
  write(file: string, content: string): Promise<void>;
  ensureDir(dir: string): Promise<void>;
  readLedger(): Promise<Record<string, FailureRecord>>;
  writeLedger(ledger: Record<string, FailureRecord>): Promise<void>;
}

export function nodeFiles(stateDir: string): NodeFiles {
  const ledgerFile = path.join(stateDir, 'failures.json');
  return {
    stateDir,
    async read(file) {
      try {
        return readFileSync(file, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
    },
    async write(file, content) {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, content);
    },
    async ensureDir(dir) {
      mkdirSync(dir, { recursive: true });
    },
    async readLedger() {
      try {
        const data = JSON.parse(readFileSync(ledgerFile, 'utf8')) as { containers?: Record<string, FailureRecord> };
        return data.containers ?? {};
      } catch (e) {
        // A missing or unreadable ledger means no failures remembered (it is rebuilt as they happen).
        return {};
      }
    },
    async writeLedger(ledger) {
      mkdirSync(stateDir, { recursive: true });
      const tmp = `${ledgerFile}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ version: 1, containers: ledger }, null, 1) + '\n');
      renameSync(tmp, ledgerFile);
    },
  };
}
