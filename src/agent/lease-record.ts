// The agent's lease as it records it in `<stateDir>/agent-lease.json`, and the clock it is
// counted on. The record is read by the next agent start (a lease that still holds keeps the
// replicas) and by the fence guard (fence-guard.ts), a separate process: so `until` is kept in a
// clock every process on the machine shares and that a wall-clock step does not move —
// CLOCK_MONOTONIC (process.hrtime is system-wide on Linux) — with the boot id, since that clock
// starts again at each boot. Wall time is kept only for people reading the file.
//
// A full state directory must not keep the lease from being recorded (the next start would find
// an older lease, and the guard would fence at an older moment): the record has a fixed size and,
// once made, is overwritten in place, which takes no new block on any filesystem — as sbd writes
// its fixed slot on a disk. A reader may see a write half done: each record carries a digest of
// its own text, and one whose digest does not match is read again, then holds no lease.
import { closeSync, constants, fstatSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { readTextFile } from '../cib/cib-file';
import { writeFileAtomic } from '../cib/file-write';
import { isClusterId } from '../runtime/labels';
import { monotonicMs } from '../cluster/monotonic-clock';

/** This boot's id: a monotonic time from another boot means nothing. */
export function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

export interface LeaseRecord {
  /** when the holder fences itself (the lease's end less the fence margin), monotonicMs; 0: no lease */
  until: number;
  boot: string;
  /** the agent start that holds it */
  incarnation: string;
  cluster?: string;
}

export const LEASE_FILE = 'agent-lease.json';

/** The record's size on disk: its JSON, padded with spaces (JSON.parse ignores them). */
export const LEASE_RECORD_BYTES = 512;

const digest = (body: string) => createHash('sha256').update(body).digest('hex').slice(0, 16);

/** The record as its file holds it: `{...,"check":D}` padded to LEASE_RECORD_BYTES, D the digest
 * of the text before `,"check"`. */
export function leaseRecordText(r: LeaseRecord, wallNow = Date.now(), monoNow = monotonicMs()): string {
  const wall = r.until > 0 ? { untilWall: new Date(wallNow + (r.until - monoNow)).toISOString() } : {};
  const body = JSON.stringify({ ...r, ...wall });
  const text = `${body.slice(0, -1)},"check":"${digest(body)}"}`;
  return text.padEnd(LEASE_RECORD_BYTES - 1, ' ') + '\n';
}

/** Written with every granted heartbeat: no fsync that would hold up the event loop. A record lost
 * to a power cut only makes the restarted agent start empty, which is always safe. In place when
 * the file is a record of the fixed size already (no new block: a full disk does not stop it),
 * else made whole by a rename. */
export function writeLeaseRecord(file: string, r: LeaseRecord): void {
  const buf = Buffer.from(leaseRecordText(r), 'utf8');
  if (buf.length > LEASE_RECORD_BYTES) throw new Error(`lease record of ${buf.length} bytes, more than ${LEASE_RECORD_BYTES}`);
  let fd: number | undefined;
  try {
    fd = openSync(file, constants.O_RDWR | constants.O_NOFOLLOW); // a link is replaced whole, as before
  } catch {
    fd = undefined; // not there yet (or not a file): made whole below
  }
  if (fd !== undefined) {
    try {
      const st = fstatSync(fd);
      if (st.isFile() && st.size === LEASE_RECORD_BYTES && writeSync(fd, buf, 0, buf.length, 0) === buf.length) return;
    } catch {
      // written whole below, which says why it cannot be
    } finally {
      closeSync(fd);
    }
  }
  writeFileAtomic(file, buf, { dirMode: 0o755, what: 'lease file', durable: false });
}

/** The record's fields, or undefined when the text is not a record or its digest does not match
 * (a write half done); a record without a digest is one made whole (by an older berth). */
function parseRecord(text: string): { until?: unknown; boot?: unknown; incarnation?: unknown; cluster?: unknown } | undefined {
  const trimmed = text.trimEnd();
  const m = /^(.*),"check":"([0-9a-f]{16})"\}$/s.exec(trimmed);
  if (m && digest(`${m[1]}}`) !== m[2]) return undefined;
  try {
    const rec = JSON.parse(trimmed) as Record<string, unknown>;
    return rec && typeof rec === 'object' ? rec : undefined;
  } catch {
    return undefined;
  }
}

/** The record, or undefined when there is none or it is not one; a record of another boot (or of
 * a berth that counted on the wall clock) holds no lease. */
export function readLeaseRecord(file: string, boot = bootId()): LeaseRecord | undefined {
  let rec: ReturnType<typeof parseRecord>;
  // A write in place may be under way: a record whose digest does not match is read again.
  for (let attempt = 0; attempt < 3 && !rec; attempt++) {
    try {
      rec = parseRecord(readTextFile(file, 'lease file', { maxBytes: 4096 }));
    } catch {
      return undefined;
    }
  }
  if (!rec) return undefined;
  const cluster = isClusterId(rec.cluster) ? { cluster: rec.cluster } : {};
  const incarnation = typeof rec.incarnation === 'string' ? rec.incarnation : '';
  const until = typeof rec.until === 'number' && rec.boot === boot ? rec.until : 0;
  return { until, boot, incarnation, ...cluster };
}
