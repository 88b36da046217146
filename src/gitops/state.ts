// What gitops remembers, in the store beside the live CIB (side key `gitops/<name>`, JSON), so
// that every berth on every node sees the same: the source, the last applied revision with its
// source view (the base of the next diff) and the resources the source created (the only ones it
// prunes), suspension, the last result, the drift last seen and a short history. Every update is
// a compare-and-swap of a function of the current record, so `suspend` and a running sync never
// lose each other's writes.
import { BerthError, Problem, problem } from '../errors/registry';
import type { CibStore } from '../store/store';
import type { DriftItem } from './drift';
import { GITOPS_SOURCE_INVALID, GITOPS_STATE_CORRUPT } from './problems';
import type { SourceSettings } from './settings';
import type { SourceSpec } from './source';

export type SyncResult = 'applied' | 'unchanged' | 'repaired' | 'refused' | 'conflict' | 'error' | 'suspended';

export interface AppliedRevision {
  revision: string;
  at: string;
  /** the source view (XML) that was pushed: the base of the next revision's diff */
  cib: string;
  /** top-level resources the source created; only these are pruned */
  owned: string[];
  settings: SourceSettings;
}

export interface LastResult {
  revision?: string;
  at: string;
  result: SyncResult;
  message: string;
  changes?: number;
  problems?: Problem[];
}

export interface GitopsState {
  version: 1;
  source?: SourceSpec;
  suspended?: { at: string };
  /** the source's revision as last fetched */
  seen?: { revision: string; at: string; subject?: string };
  applied?: AppliedRevision;
  last?: LastResult;
  /** the last error or refusal (kept when later passes succeed, for `status`) */
  lastError?: LastResult;
  drift?: { at: string; items: DriftItem[]; repaired: boolean };
  history: { revision?: string; at: string; result: SyncResult; changes?: number }[];
}

export const HISTORY_LENGTH = 20;
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

export const emptyState = (): GitopsState => ({ version: 1, history: [] });

/** The store key of a gitops instance (--name, default "default"). */
export function stateKey(name = 'default'): string {
  if (!NAME.test(name)) {
    throw new BerthError([problem(GITOPS_SOURCE_INVALID, { path: '--name', value: name, allowed: "letters, digits, '_', '.', '-' (not starting with '.' or '-'), at most 64", message: `'${name}' is not a valid gitops --name` })]);
  }
  return `gitops/${name}`;
}

export function parseState(text: string, where: string): GitopsState {
  if (text.trim() === '') return emptyState();
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw corrupt(where, `not JSON: ${(e as Error).message}`);
  }
  const s = data as Partial<GitopsState>;
  if (!s || typeof s !== 'object' || s.version !== 1 || !Array.isArray(s.history)) throw corrupt(where, 'not a gitops record of version 1');
  if (s.applied && (typeof s.applied.revision !== 'string' || typeof s.applied.cib !== 'string' || !Array.isArray(s.applied.owned))) throw corrupt(where, "its 'applied' entry is incomplete");
  return s as GitopsState;
}

function corrupt(where: string, why: string): BerthError {
  return new BerthError([problem(GITOPS_STATE_CORRUPT, { path: where, message: `the gitops record ${where} is ${why}; remove it to start over (the live CIB is not affected)` })]);
}

export async function readState(store: CibStore, key: string): Promise<GitopsState> {
  return parseState((await store.readKey(key)).text, `${store.url} key ${key}`);
}

/** Apply `change` to the stored record with compare-and-swap, retrying on a lost race. */
export async function updateState(store: CibStore, key: string, change: (s: GitopsState) => GitopsState): Promise<GitopsState> {
  for (let attempt = 1; attempt <= 50; attempt++) {
    const stored = await store.readKey(key);
    const next = change(parseState(stored.text, `${store.url} key ${key}`));
    const r = await store.compareAndSwapKey(key, stored.revision, JSON.stringify(next, null, 1) + '\n');
    if (r.ok) return next;
    await new Promise((res) => setTimeout(res, Math.random() * Math.min(50, attempt * 5)));
  }
  throw new BerthError([problem('STORE_CONFLICT', { path: `${store.url} key ${key}`, message: `the gitops record ${key} kept changing; gave up after 50 attempts` })]);
}

/** `s` with `r` as the last result (and last error, and in the history). */
export function withResult(s: GitopsState, r: LastResult): GitopsState {
  const entry = { ...(r.revision ? { revision: r.revision } : {}), at: r.at, result: r.result, ...(r.changes !== undefined ? { changes: r.changes } : {}) };
  const bad = r.result === 'refused' || r.result === 'conflict' || r.result === 'error';
  return {
    ...s,
    last: r,
    ...(bad ? { lastError: r } : {}),
    history: [...s.history, entry].slice(-HISTORY_LENGTH),
  };
}
