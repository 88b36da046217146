// Failure accounting for one container, pure: the engine's restart count (from an inspect, when
// there is one), berth's ledger record, the bundle's failure-timeout and `now` in; the count, the
// time of the last failure and whether it has expired out.
import type { ContainerRun, FailureRecord } from './observed';

export interface FailureState {
  count: number;
  lastFailureAt?: number;
  /** failure-timeout has passed since the last failure: the count is forgotten */
  expired: boolean;
  /** the record to keep when it differs from the ledger's */
  record: FailureRecord;
}

export const NO_FAILURES: FailureRecord = { baseline: 0, extra: 0, count: 0 };

export function failureState(run: ContainerRun | undefined, previous: FailureRecord | undefined, failureTimeoutMs: number, now: number): FailureState {
  const rec = previous ?? NO_FAILURES;
  let count = rec.count;
  let lastFailureAt = rec.lastFailureAt;
  if (run) {
    count = Math.max(0, run.restartCount - rec.baseline) + rec.extra;
    // New engine restarts since the ledger was written: the last one ended at finishedAt.
    if (count > rec.count) lastFailureAt = Math.max(run.finishedAt ?? now, lastFailureAt ?? 0);
  }
  const expired = count > 0 && failureTimeoutMs > 0 && lastFailureAt !== undefined && now - lastFailureAt >= failureTimeoutMs;
  const record: FailureRecord = { ...rec, count, ...(lastFailureAt !== undefined ? { lastFailureAt } : {}) };
  return { count, lastFailureAt, expired, record };
}

/** The record after forgetting every failure (failure-timeout passed). */
export function clearedRecord(run: ContainerRun | undefined, rec: FailureRecord): FailureRecord {
  const engineRestarts = run ? run.restartCount : rec.baseline + Math.max(0, rec.count - rec.extra);
  return { baseline: engineRestarts, extra: 0, count: 0, ...(rec.stoppedByBerth ? { stoppedByBerth: true } : {}) };
}

/** The record after berth repaired one more failure itself (started an exited container). */
export function withRepairedFailure(rec: FailureRecord, at: number): FailureRecord {
  return { ...rec, extra: rec.extra + 1, count: rec.count + 1, lastFailureAt: at, stoppedByBerth: false };
}

/** Equal records; no record and a record of nothing are equal too (nothing to write). */
export const sameRecord = (a: FailureRecord | undefined, b: FailureRecord) =>
  !a ? b.baseline === 0 && b.extra === 0 && b.count === 0 && b.lastFailureAt === undefined && !b.stoppedByBerth : a.baseline === b.baseline && a.extra === b.extra && a.count === b.count && a.lastFailureAt === b.lastFailureAt && !!a.stoppedByBerth === !!b.stoppedByBerth;
