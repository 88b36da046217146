// Observe the node: one engine listing of berth's containers, one `ip -j addr`, berth's failure
// ledger, and inspects only where a listing cannot tell enough (a container that is not running,
// unhealthy, or restarted since it was created). Reads only: never an engine write. The hosts
// files berth keeps are read by the pass once it knows which bundles are on the node.
// The listing is split by owner: this cluster's containers for this node are the node's; those of
// another cluster, or of none, are *foreign*: reported, never touched.
import type { ContainerDetails, ContainerEngine, ObservedContainer } from '../runtime/engine';
import type { AddressTable } from '../runtime/addresses';
import type { ContainerRun, ObservedState } from '../reconcile/observed';
import type { NodeFiles } from './node-files';
import type { InnerExecutors } from '../inner/executors';
import { InnerWant, parseAttributeLedgerKey, parseInnerLedgerKey } from '../reconcile/inner';
import type { NodeSnapshot, SnapshotAnswer } from './node-snapshot';
import { isStuck } from '../reconcile/plan';

export interface ObserveDeps {
  engine: ContainerEngine;
  addresses: AddressTable;
  files: NodeFiles;
  /** the executors in replica containers (bundles that hold a resource) */
  inner?: InnerExecutors;
  /** the node's observation in one answer, or that it is unchanged since `known` (a node's agent:
   * node-snapshot.ts); without it, the engine, addresses and files are asked one by one */
  snapshot?(cluster: string, known?: string): Promise<SnapshotAnswer>;
}

/** An observation, and what lets the next one be proven unchanged. */
export interface Observation {
  state: ObservedState;
  /** the node's digest of what it read (with `snapshot`) */
  digest?: string;
  /** state.files holds every hosts file of the cluster on the node: a path not there is no file */
  hostsComplete: boolean;
  /** the node said nothing changed since `previous`: its state is given again */
  unchanged?: true;
}

export interface ObserveOptions {
  /** inspect every container (status wants every failure count), or only those that need it */
  inspect: 'all' | 'suspects';
  /** runs inspected earlier, by container id; the controller drops an entry on that container's
   * next engine event, so a steady container is not inspected again */
  cache?: Map<string, ContainerRun>;
  now: number;
  /** the replicas whose executors to ask, from the containers found (the model knows which
   * bundles hold a resource) */
  innerWants?: (containers: readonly ObservedContainer[]) => InnerWant[];
  /** the last observation of this node (with its digest), given again when the node proves
   * nothing changed since; the caller gives it only when no engine event of the node came since */
  previous?: Observation & { digest: string };
  /** where a snapshot that failed is said (once per node handle) */
  log?: (line: string) => void;
}

const parseTime = (t: string | undefined) => {
  const ms = t ? Date.parse(t) : NaN;
  return Number.isFinite(ms) ? ms : undefined;
};

export function runOf(d: ContainerDetails): ContainerRun {
  return {
    restartCount: d.restartCount,
    exitCode: d.exitCode,
    ...(parseTime(d.startedAt) !== undefined ? { startedAt: parseTime(d.startedAt) } : {}),
    ...(parseTime(d.finishedAt) !== undefined ? { finishedAt: parseTime(d.finishedAt) } : {}),
    ...(d.oomKilled ? { oomKilled: true } : {}),
    running: d.running,
    ...(d.error ? { error: d.error } : {}),
    ...(isStuck(d, d) && mergedDir(d) ? { rootfs: mergedDir(d) } : {}),
  };
}

/** The container's root filesystem (the overlay's merged directory), when the engine says. */
export const mergedDir = (d: ContainerDetails): string | undefined => {
  const v = (d.raw?.GraphDriver?.Data as Record<string, unknown> | undefined)?.MergedDir;
  return typeof v === 'string' ? v : undefined;
};

/** The most a Docker "Up ..." status can mean, in seconds (go-units HumanDuration, rounded up). */
export function maxUptimeSeconds(status: string): number | undefined {
  const m = /^Up (.+?)(?: \(.*\))?$/.exec(status.trim());
  if (!m) return undefined;
  const s = m[1];
  if (/^Less than a second$/i.test(s)) return 1;
  if (/^About a minute$/i.test(s)) return 120;
  if (/^About an hour$/i.test(s)) return 2 * 3600;
  const n = /^(\d+) (second|minute|hour|day|week|month|year)s?$/.exec(s);
  if (!n) return undefined;
  const unit = { second: 1, minute: 60, hour: 3600, day: 86400, week: 7 * 86400, month: 31 * 86400, year: 366 * 86400 }[n[2] as 'second'];
  return (Number(n[1]) + 1) * unit;
}

/** A listing alone cannot judge it: not running, unhealthy, or started well after it was created
 * (restarted by the engine's policy, or by someone). */
export function needsInspect(c: ObservedContainer, now: number): boolean {
  if (c.state !== 'running' || c.health === 'unhealthy') return true;
  const up = maxUptimeSeconds(c.status);
  if (up === undefined) return true;
  const ageSeconds = now / 1000 - c.created;
  return up < ageSeconds - 5;
}

const asked = new WeakSet<InnerExecutors>();

/** What a node reads for an observation: in one snapshot when it can, else one request each. */
const snapshotFailed = new WeakSet<ObserveDeps>();

async function readNode(deps: ObserveDeps, cluster: string, known: string | undefined, log: ((line: string) => void) | undefined): Promise<SnapshotAnswer | { snapshot: Omit<NodeSnapshot, 'hosts'> & { hosts?: undefined } }> {
  // An agent from before snapshots (or one that failed it) is asked the old way; said once, when
  // the old way worked (a node that does not answer is reported as such by the pass).
  let failed: Error | undefined;
  const answer = deps.snapshot ? await deps.snapshot(cluster, known).catch((e: Error) => { failed = e; }) : undefined;
  if (answer) return answer;
  // Which engines the node has only words the status (an agent older than the question has no
  // answer): its failure is not the observation's.
  const [containers, addresses, kinds] = await Promise.all([deps.engine.listContainers({}), deps.addresses.list(), deps.engine.kinds?.().catch(() => undefined)]);
  const ledger = await deps.files.readLedger(cluster);
  if (failed && !snapshotFailed.has(deps)) log?.(`a snapshot failed (${failed.message}): observed without one`);
  if (failed) snapshotFailed.add(deps);
  return { snapshot: { containers, addresses, ...(kinds ? { kinds } : {}), ledger } };
}

/** `node` of `cluster` as it is now. */
export async function observe(deps: ObserveDeps, whose: { node: string; cluster: string }, opts: ObserveOptions): Promise<Observation> {
  // Not given again while a container is stuck in removal: it is inspected every pass.
  const previous = opts.inspect === 'suspects' && !opts.previous?.state.containers.some((c) => isStuck(c)) ? opts.previous : undefined;
  const read = await readNode(deps, whose.cluster, previous?.digest, opts.log);
  const digest = 'digest' in read ? read.digest : undefined;
  if ('unchanged' in read && previous) {
    // As observed last time (copies: a pass adds the hosts files it reads to its state).
    const p = previous.state;
    const state: ObservedState = { ...p, runs: { ...p.runs }, ledger: { ...p.ledger }, files: { ...p.files } };
    delete state.inner;
    await observeInner(deps, state, opts);
    return { state, digest: read.digest, hostsComplete: previous.hostsComplete, unchanged: true };
  }
  if (!('snapshot' in read)) throw new Error(`node ${whose.node} said unchanged since an observation it was not asked about`);
  const { containers: listed, addresses, kinds: engines, ledger, hosts } = read.snapshot;
  const containers: ObservedContainer[] = [];
  const foreign: ObservedContainer[] = [];
  for (const c of listed) {
    if (c.cluster !== whose.cluster) foreign.push(c);
    // Another node of this cluster on the same engine (test set-ups): not this node's, not foreign.
    else if (c.node === whose.node) containers.push(c);
  }
  const runs: Record<string, ContainerRun> = {};
  const toInspect = containers.filter((c) => opts.inspect === 'all' || needsInspect(c, opts.now) || (ledger[c.id]?.count ?? 0) > 0);
  await Promise.all(toInspect.map(async (c) => {
    // A container stuck in removal is inspected each pass: its engine error is what status says.
    const cached = opts.inspect === 'suspects' && !isStuck(c) ? opts.cache?.get(c.id) : undefined;
    if (cached) {
      runs[c.id] = cached;
      return;
    }
    const d = await deps.engine.inspect(c.id);
    if (!d) return;
    runs[c.id] = runOf(d);
    opts.cache?.set(c.id, runs[c.id]);
  }));
  // The ledger keeps only containers that still exist (and replicas kept off the node by failures).
  const ids = new Set(containers.map((c) => c.id));
  for (const id of Object.keys(ledger)) {
    const inner = parseInnerLedgerKey(id) ?? parseAttributeLedgerKey(id);
    if (inner ? !ids.has(inner.container) : !ids.has(id) && !id.startsWith('replica:')) delete ledger[id];
  }
  const state: ObservedState = { containers, foreign, runs, addresses, ledger, files: { ...hosts }, ...(engines ? { engines } : {}) };
  await observeInner(deps, state, opts);
  return { state, ...(digest !== undefined ? { digest } : {}), hostsComplete: hosts !== undefined };
}

/** The executors are asked every pass once they were asked anything (so that connections to
 * containers gone are closed). */
async function observeInner(deps: ObserveDeps, state: ObservedState, opts: ObserveOptions): Promise<void> {
  const wants = opts.innerWants?.(state.containers) ?? [];
  if (deps.inner && (wants.length || asked.has(deps.inner))) {
    if (wants.length) asked.add(deps.inner);
    else asked.delete(deps.inner);
    state.inner = await deps.inner.observe(wants);
  }
}
