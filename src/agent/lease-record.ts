// The agent's lease as it records it in `<stateDir>/agent-lease.json`, and the clock it is
// counted on. The record is read by the next agent start (a lease that still holds keeps the
// replicas) and by the fence guard (fence-guard.ts), a separate process: so `until` is kept in a
// clock every process on the machine shares and that a wall-clock step does not move —
// CLOCK_MONOTONIC (process.hrtime is system-wide on Linux) — with the boot id, since that clock
// starts again at each boot. Wall time is kept only for people reading the file.
import { readFileSync } from 'node:fs';
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

/** Written with every granted heartbeat: no fsync that would hold up the event loop. A record lost
 * to a power cut only makes the restarted agent start empty, which is always safe. */
export function writeLeaseRecord(file: string, r: LeaseRecord): void {
  const wall = r.until > 0 ? { untilWall: new Date(Date.now() + (r.until - monotonicMs())).toISOString() } : {};
  writeFileAtomic(file, JSON.stringify({ ...r, ...wall }) + '\n', { dirMode: 0o755, what: 'lease file', durable: false });
}

/** The record, or undefined when there is none or it is not one; a record of another boot (or of
 * a berth that counted on the wall clock) holds no lease. */
export function readLeaseRecord(file: string, boot = bootId()): LeaseRecord | undefined {
  let rec: { until?: unknown; boot?: unknown; incarnation?: unknown; cluster?: unknown };
  try {
    rec = JSON.parse(readTextFile(file, 'lease file', { maxBytes: 4096 })) as typeof rec;
  } catch {
    return undefined;
  }
  const cluster = isClusterId(rec.cluster) ? { cluster: rec.cluster } : {};
  const incarnation = typeof rec.incarnation === 'string' ? rec.incarnation : '';
  const until = typeof rec.until === 'number' && rec.boot === boot ? rec.until : 0;
  return { until, boot, incarnation, ...cluster };
}
