// The agent's fencing check: every order carries the term of the leader that sent it, and an
// order from a term older than the newest one this agent has seen is refused, so a deposed leader
// that still runs cannot change the node. The newest term is written to a file (atomically, before
// the order it came with is carried out) so that an agent restart does not forget it.
import { lstatSync } from 'node:fs';
import { readTextFile } from '../cib/cib-file';
import { writeFileAtomic } from '../cib/file-write';
import { BerthError, problem } from '../errors/registry';

export type TermCheck = { ok: true } | { ok: false; highest: number };

export class TermGuard {
  private top = 0;

  /** file: where the highest term is kept; without it, memory only (tests). A file that exists
   * but cannot be read as a term throws: starting with 0 would undo the fencing. */
  constructor(private readonly file?: string) {
    if (!file || !existsAny(file)) return; // a first start
    let text: string;
    try {
      text = readTextFile(file, 'term file', { maxBytes: TERM_FILE_MAX_BYTES });
    } catch (e) {
      throw stateInvalid(file, `cannot read the highest term seen: ${(e as Error).message}`);
    }
    const term = (() => {
      try {
        return (JSON.parse(text) as { highest?: unknown }).highest;
      } catch {
        return undefined;
      }
    })();
    if (!Number.isSafeInteger(term) || (term as number) < 0) throw stateInvalid(file, `not a term record ({"highest": N}); remove it only if no leader of a newer term can exist`);
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
    writeFileAtomic(this.file, JSON.stringify({ highest: term }) + '\n', { mode: 0o600, dirMode: 0o700, what: 'term file' });
  }
}

// A term record is one short line; a larger file is not one.
const TERM_FILE_MAX_BYTES = 4096;

const stateInvalid = (file: string, why: string) => new BerthError([problem('AGENT_STATE_INVALID', { path: file, message: `${file}: ${why}` })]);

/** Whether anything is at `file`, a dangling symbolic link included (that is not a first start). */
function existsAny(file: string): boolean {
  return lstatSync(file, { throwIfNoEntry: false }) !== undefined;
}
