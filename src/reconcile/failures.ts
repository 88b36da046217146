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

type Ledger = Record<string, FailureRecord>;

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
  return { baseline: engineRestarts, extra: 0, count: 0, ...(rec.stoppedByBerth ? { stoppedByBerth: true } : {}), ...(rec.replica !== undefined ? { replica: rec.replica } : {}) };
}

/** The record after berth repaired one more failure itself (started an exited container). */
export function withRepairedFailure(rec: FailureRecord, at: number): FailureRecord {
  return { ...rec, extra: rec.extra + 1, count: rec.count + 1, lastFailureAt: at, stoppedByBerth: false };
}

/** Equal records; no record and a record of nothing are equal too (nothing to write). */
export const sameRecord = (a: FailureRecord | undefined, b: FailureRecord) =>
  !a ? b.baseline === 0 && b.extra === 0 && b.count === 0 && b.lastFailureAt === undefined && !b.stoppedByBerth : a.baseline === b.baseline && a.extra === b.extra && a.count === b.count && a.lastFailureAt === b.lastFailureAt && !!a.stoppedByBerth === !!b.stoppedByBerth;

/** The ledger key of a replica's failures on a node once its container is gone (moved away at
 * migration-threshold): the count keeps the replica off the node until failure-timeout. Container
 * ids are hex and bundle ids XML ids, so neither clashes with it. */
export const replicaLedgerKey = (bundle: string, index: number) => `replica:${bundle}:${index}`;

export function parseReplicaLedgerKey(key: string): { bundle: string; index: number } | undefined {
  const m = /^replica:(.+):(\d+)$/.exec(key);
  return m ? { bundle: m[1], index: Number(m[2]) } : undefined;
}

/** A replica kept off a node by its failures there (Pacemaker: fail-count ≥ migration-threshold). */
export interface FailureBan {
  bundle: string;
  index: number;
  node: string;
  count: number;
  threshold: number;
  /** ms since the epoch the failures expire (failure-timeout); undefined: until cleared */
  until?: number;
}

/** The bans of one node from what was observed there: containers and replica records whose
 * failures reached the bundle's migration-threshold and have not expired. */
type BanSettings = { id: string; migrationThreshold: number; failureTimeoutMs: number };
const byIdOf = new WeakMap<readonly { id: string }[], ReadonlyMap<string, { id: string }>>();
/** Bundles' settings by id, made once per list: a pass asks for every node with the same list
 * (the failure bans, and each node's plan: desired.ts shares one list between the nodes). */
export function settingsById<T extends { id: string }>(list: readonly T[]): ReadonlyMap<string, T> {
  let m = byIdOf.get(list);
  if (!m) byIdOf.set(list, (m = new Map(list.map((x) => [x.id, x]))));
  return m as ReadonlyMap<string, T>;
}

export function failureBans(
  settings: readonly BanSettings[],
  node: string,
  observed: { containers: readonly { id: string; bundle: string; replica?: number }[]; runs: Record<string, ContainerRun>; ledger: Record<string, FailureRecord> },
  now: number,
): FailureBan[] {
  const byId = settingsById(settings);
  const out: FailureBan[] = [];
  const add = (bundle: string, index: number, run: ContainerRun | undefined, rec: FailureRecord | undefined) => {
    const s = byId.get(bundle);
    if (!s || !Number.isFinite(s.migrationThreshold) || !rec && !run) return;
    const f = failureState(run, rec, s.failureTimeoutMs, now);
    if (f.expired || f.count < s.migrationThreshold) return;
    const until = s.failureTimeoutMs > 0 && f.lastFailureAt !== undefined ? f.lastFailureAt + s.failureTimeoutMs : undefined;
    if (!out.some((b) => b.bundle === bundle && b.index === index)) out.push({ bundle, index, node, count: f.count, threshold: s.migrationThreshold, ...(until !== undefined ? { until } : {}) });
  };
  for (const c of observed.containers) if (c.replica !== undefined) add(c.bundle, c.replica, observed.runs[c.id], observed.ledger[c.id]);
  for (const [key, rec] of Object.entries(observed.ledger)) {
    const r = parseReplicaLedgerKey(key);
    if (r) add(r.bundle, r.index, undefined, rec);
  }
  return out;
}

/** The replica a ledger entry is about: from its key (`replica:web:0`) or its record (`web-0`). */
export function ledgerReplica(key: string, rec: FailureRecord): { bundle: string; index: number } | undefined {
  const r = parseReplicaLedgerKey(key);
  if (r) return r;
  const m = rec.replica !== undefined ? /^(.+)-(\d+)$/.exec(rec.replica) : null;
  return m ? { bundle: m[1], index: Number(m[2]) } : undefined;
}

const sameEntry = (a: FailureRecord | undefined, b: FailureRecord | undefined) =>
  a === undefined || b === undefined ? a === b : sameRecord(a, b);

/**
 * Three-way merge of a ledger write: `mine` was computed from `base` (the ledger as read), and
 * `current` is the file now. An entry someone else changed since `base` (resource cleanup) keeps
 * their value; every other entry is mine. Entries absent from `base` were dropped on purpose
 * (containers gone) unless someone else changed them too. Pure.
 */
export function mergeLedger(base: Ledger, mine: Ledger, current: Ledger): Ledger {
  const out: Ledger = {};
  for (const key of new Set([...Object.keys(mine), ...Object.keys(current)])) {
    const theirs = key in base && !sameEntry(base[key], current[key]);
    const v = theirs ? current[key] : mine[key];
    if (v !== undefined) out[key] = v;
  }
  return out;
}

export interface CleanupFilter {
  /** a bundle id: only its replicas */
  bundle?: string;
}

/**
 * Pacemaker's cleanup on one node's ledger: every matching replica's failures are forgotten (a
 * container's count starts again from its engine restarts as last seen; a replica kept off the
 * node by its failures may be placed there again). Pure: the new ledger and what was cleared.
 */
export function cleanedLedger(ledger: Ledger, filter: CleanupFilter): { ledger: Ledger; cleared: { key: string; bundle?: string; index?: number; count: number }[] } {
  const out: Ledger = { ...ledger };
  const cleared: { key: string; bundle?: string; index?: number; count: number }[] = [];
  for (const [key, rec] of Object.entries(ledger)) {
    const r = ledgerReplica(key, rec);
    if (filter.bundle !== undefined && r?.bundle !== filter.bundle) continue;
    if (rec.count === 0 && rec.lastFailureAt === undefined) continue;
    if (parseReplicaLedgerKey(key)) delete out[key];
    // A resource's failures: forgotten, but the last one seen stays known (not counted again) and
    // marked cleaned (the resource is probed again).
    else if (rec.resource !== undefined && rec.op !== undefined) out[key] = { baseline: 0, extra: 0, count: 0, resource: rec.resource, op: rec.op, ...(rec.replica !== undefined ? { replica: rec.replica } : {}), ...(rec.seen !== undefined ? { seen: rec.seen, cleaned: rec.seen } : {}) };
    else out[key] = clearedRecord(undefined, rec);
    cleared.push({ key, ...(r ? { bundle: r.bundle, index: r.index } : {}), count: rec.count });
  }
  return { ledger: out, cleared };
}
