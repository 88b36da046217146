// The agent's fencing check: every order carries the term of the leader that sent it, and an
// order from a term older than the newest one this agent has seen is refused, so a deposed leader
// that still runs cannot change the node. The newest term is written to a file (atomically, before
// the order it came with is carried out) so that an agent restart does not forget it.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';

export type TermCheck = { ok: true } | { ok: false; highest: number };

export class TermGuard {
  private top = 0;

  /** file: where the highest term is kept; without it, memory only (tests). A file that exists
   * but cannot be read as a term throws: starting with 0 would undo the fencing. */
  constructor(private readonly file?: string) {
    if (!file) return;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new Error(`${file}: cannot read the highest term seen: ${(e as Error).message}`);
    }
    const term = (() => {
      try {
        return (JSON.parse(text) as { highest?: unknown }).highest;
      } catch {
        return undefined;
      }
    })();
    if (!Number.isSafeInteger(term) || (term as number) < 0) throw new Error(`${file}: not a term record ({"highest": N}); remove it only if no leader of a newer term can exist`);
    this.top = term as number;
  }

  get highest(): number {
    return this.top;
  }

  /** Refuses a term below the highest seen; records a higher one (persisted before returning). */
  check(term: number): TermCheck {
    if (term < this.top) return { ok: false, highest: this.top };
    if (term > this.top) {
      this.persist(term);
      this.top = term;
    }
    return { ok: true };
  }

  private persist(term: number): void {
    if (!this.file) return;
    mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify({ highest: term }) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
  }
}
