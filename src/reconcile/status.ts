// What `berth status` shows, pure: from the desired state, the observed state and the plan of the
// same pass, each bundle and each replica with its node, address, container state, health,
// failure count, and why it is not running (or what is pending for it).
import { ADDRESS_LABEL, BundleSettings, DesiredState, replicaName } from './desired';
import { failureState, parseReplicaLedgerKey, replicaLedgerKey } from './failures';
import type { ObservedState } from './observed';
import { Note, Plan, groupBy, parseAddressLabel, planChanges, replicaContainer } from './plan';
import type { EngineKind, ObservedContainer } from '../runtime/engine';
import { FAILCOUNT_INFINITY, parseInnerLedgerKey } from './inner';
import { innerSteps } from './summary';

export interface ReplicaStatus {
  name: string;
  index: number;
  node: string;
  address?: string;
  /** absent: no container */
  container?: { id: string; name: string; image: string; state: string; health: string; status: string; engine?: EngineKind };
  /** the container runs the desired spec */
  upToDate: boolean;
  failures: number;
  lastFailureAt?: string;
  /** why it is not running, or what the plan will do about it */
  note?: string;
  /** on a node that could not be observed: whether its container runs is not known */
  unknown?: boolean;
  /** the resource inside, as its executor reports it */
  resource?: ResourceStatus;
}

/** The resource inside a replica: crm_mon's role words. */
export interface ResourceStatus {
  id: string;
  agent: string;
  /** Started, Promoted, Unpromoted, Stopped, FAILED, FAILED Promoted, or unknown (not probed yet,
   * or its executor not reached) */
  role: string;
  failcount: number;
  /** the last failed operation in words, while its failure counts */
  lastFailure?: string;
  /** the recurring monitor running (op key) */
  monitor?: string;
  /** the promotion score the agent set */
  promotion?: number;
}

export interface BundleStatus {
  id: string;
  image: string;
  replicas: number;
  running: number;
  role: string;
  managed: boolean;
  note?: string;
  /** the resource inside, when there is one */
  resource?: { id: string; agent: string; promotable: boolean };
  replicaStatus: ReplicaStatus[];
}

export interface NodeStatus {
  node: string;
  maintenance: boolean;
  bundles: BundleStatus[];
  converged: boolean;
  problems: { code: string; message: string }[];
  /** berth containers of other clusters (or none) on this node: never touched */
  foreign: { code: string; name: string; cluster: string | null; bundle: string; message: string }[];
}

/**
 * Each bundle of the node and its replicas. `everyReplica` (the node's own status): a row for every
 * replica of every bundle, with why it is not here; otherwise (a part of the cluster's view) only
 * the replicas that have a container here, are placed here or are kept off by failures here.
 */
export function nodeStatus(desired: DesiredState, observed: ObservedState, plan: Plan, now: number, everyReplica = true): NodeStatus {
  const mine = observed.containers;
  const notes = new Map<string, string[]>();
  const note = (replica: string, text: string) => {
    const l = notes.get(replica);
    if (l) l.push(text);
    else notes.set(replica, [text]);
  };
  for (const a of planChanges(plan)) if ('replica' in a) note(a.replica, `pending ${a.kind === 'inner' ? `resource ${innerSteps(a.chain.steps)}` : a.kind}: ${a.reason}`);
  for (const n of [...plan.waiting, ...plan.reports]) if (n.replica) note(n.replica, n.message);
  for (const b of plan.blocked) note(b.replica, b.message);
  const bundles: BundleStatus[] = [];
  const mineByBundle = groupBy(mine, (c) => c.bundle);
  const desiredByBundle = groupBy(desired.replicas, (r) => r.bundle);
  const unplacedByBundle = groupBy(desired.unplaced, (u) => u.bundle);
  // Replicas kept off this node by their failures, by bundle.
  const keptByBundle = groupBy(Object.keys(observed.ledger).map(parseReplicaLedgerKey).filter((r): r is { bundle: string; index: number } => !!r), (r) => r.bundle);
  for (const b of desired.bundles) {
    // Part of the cluster's view: a bundle with nothing on this node has no line here.
    if (!everyReplica && !mineByBundle.has(b.id) && !desiredByBundle.has(b.id) && !keptByBundle.has(b.id)) continue;
    // The replica's container as the planner picks it (one stuck in removal last).
    const containers = new Map<number, ObservedContainer>();
    for (const [index, group] of groupBy((mineByBundle.get(b.id) ?? []).filter((c) => c.replica !== undefined), (c) => String(c.replica))) {
      const { primary } = replicaContainer(replicaName(b.id, Number(index)), group, observed.runs);
      if (primary) containers.set(Number(index), primary);
    }
    const desiredByIndex = new Map((desiredByBundle.get(b.id) ?? []).map((r) => [r.index, r]));
    const unplacedByIndex = new Map((unplacedByBundle.get(b.id) ?? []).map((u) => [u.index, u]));
    const indexes = everyReplica
      ? [...new Set([...Array.from({ length: b.replicas }, (_, i) => i), ...containers.keys()])].sort((x, y) => x - y)
      : [...new Set([...containers.keys(), ...desiredByIndex.keys(), ...(keptByBundle.get(b.id) ?? []).map((r) => r.index)])].sort((x, y) => x - y);
    if (!indexes.length) continue;
    const rows: ReplicaStatus[] = [];
    for (const index of indexes) {
      const name = replicaName(b.id, index);
      const c = containers.get(index);
      const d = desiredByIndex.get(index);
      // A replica kept off this node by its failures has no container here: its record counts.
      const kept = observed.ledger[replicaLedgerKey(b.id, index)];
      const f = c ? failureState(observed.runs[c.id], observed.ledger[c.id], b.failureTimeoutMs, now) : kept ? failureState(undefined, kept, b.failureTimeoutMs, now) : undefined;
      const address = d?.address?.ip ?? parseAddressLabel(c?.labels[ADDRESS_LABEL])?.ip;
      const unplaced = unplacedByIndex.get(index);
      const why: string[] = [...(notes.get(name) ?? [])];
      if (b.role === 'Stopped' && !why.length) why.push('target-role=Stopped');
      if (unplaced && !why.length) why.push(`not placed: ${unplaced.reason}`);
      if (!c && !why.length && !d) why.push('not on this node');
      if (b.container === 'podman' && c?.engine === 'docker') why.push(podmanOnDocker(observed.engines));
      rows.push({
        name,
        index,
        node: c ? desired.node : d ? d.node : '-',
        ...(address ? { address } : {}),
        ...(c ? { container: { id: c.id.slice(0, 12), name: c.name, image: c.image, state: c.state, health: c.health, status: c.status, ...(c.engine ? { engine: c.engine } : {}) } } : {}),
        upToDate: !!(c && d && c.specHash === d.specHash),
        failures: f && !f.expired ? f.count : 0,
        ...(f?.lastFailureAt !== undefined && !f.expired ? { lastFailureAt: new Date(f.lastFailureAt).toISOString() } : {}),
        ...(why.length ? { note: why.join('; ') } : {}),
        ...(b.resource ? { resource: resourceStatus(b.resource, c, observed) } : {}),
      });
    }
    bundles.push(bundleLine(b, desired.maintenance, rows));
  }
  return {
    node: desired.node,
    maintenance: desired.maintenance,
    bundles,
    converged: planChanges(plan).length === 0 && plan.waiting.length === 0,
    problems: plan.problems.map((p) => ({ code: p.code, message: p.message })),
    foreign: plan.foreign.map((f) => ({ code: f.code, name: f.name, cluster: f.cluster ?? null, bundle: f.bundle, message: f.message })),
  };
}

/** Why a `<podman>` bundle's replica runs on the Docker engine, as far as the node says. */
function podmanOnDocker(engines: readonly EngineKind[] | undefined): string {
  if (!engines) return 'podman bundle on the Docker engine';
  return engines.includes('podman')
    ? 'podman bundle on the Docker engine (made before podman was on this node: it moves to podman when it is next replaced)'
    : 'podman bundle on the Docker engine (no podman on this node)';
}

/** The resource inside one replica: its role from the executor, its fail count from the ledger. */
function resourceStatus(r: NonNullable<BundleSettings['resource']>, c: ObservedContainer | undefined, observed: ObservedState): ResourceStatus {
  const o = c ? observed.inner?.[replicaName(c.bundle, c.replica ?? -1)] : undefined;
  const mine = o && c && o.container === c.id ? o : undefined;
  let failcount = 0;
  let last: { at: number; text: string } | undefined;
  if (c) {
    for (const [key, rec] of Object.entries(observed.ledger)) {
      const k = parseInnerLedgerKey(key);
      if (!k || k.container !== c.id || rec.count <= 0) continue;
      failcount = Math.min(FAILCOUNT_INFINITY, failcount + rec.count);
      if (rec.last && (!last || (rec.lastFailureAt ?? 0) > last.at)) last = { at: rec.lastFailureAt ?? 0, text: rec.last };
    }
  }
  const role = !c || c.state !== 'running' ? 'Stopped'
    : !mine || mine.link !== 'up' ? 'unknown'
    : mine.state === 'started' ? (r.promotable ? 'Unpromoted' : 'Started')
    : mine.state === 'promoted' ? 'Promoted'
    : mine.state === 'stopped' ? 'Stopped'
    : mine.state === 'failed' ? (mine.failed?.rc === 9 ? 'FAILED Promoted' : 'FAILED') : 'unknown';
  const lastFailure = mine?.state === 'failed' && mine.failed ? mine.failed.message : last?.text;
  return {
    id: r.id, agent: r.agent, role, failcount,
    ...(lastFailure ? { lastFailure } : {}),
    ...(mine?.monitor ? { monitor: mine.monitor } : {}),
    ...(typeof mine?.promotion === 'number' ? { promotion: mine.promotion } : {}),
  };
}

/** A bundle's line of the status: its settings, and the running count of `rows`. */
function bundleLine(b: BundleSettings, maintenance: boolean, rows: ReplicaStatus[]): BundleStatus {
  return {
    id: b.id,
    image: b.image,
    replicas: b.replicas,
    running: rows.filter((r) => r.container?.state === 'running' && r.index < b.replicas).length,
    role: b.role,
    managed: b.managed && !maintenance,
    ...(b.resource ? { resource: b.resource } : {}),
    ...(b.unmanagedReason || maintenance ? { note: `unmanaged (${maintenance ? 'cluster maintenance-mode' : b.unmanagedReason}): observed only` } : b.problems.length ? { note: b.problems.map((p) => p.message).join('; ') } : {}),
    replicaStatus: rows,
  };
}

const pad = (s: string, w: number) => (s.length >= w ? s + ' ' : s + ' '.repeat(w - s.length));

export function formatStatus(s: NodeStatus): string {
  const out: string[] = [`Node ${s.node}${s.maintenance ? ' (maintenance-mode: observed only)' : ''}: ${s.converged ? 'converged' : 'changes pending'}`];
  out.push(...formatBundles(s.bundles));
  for (const p of s.problems) out.push(`Problem [${p.code}]: ${p.message}`);
  for (const f of s.foreign) out.push(`Foreign [${f.code}]: ${f.message}`);
  return out.join('\n') + '\n';
}

/** Each bundle with a table of its replicas (for `status` and `cluster status`). */
export function formatBundles(bundles: BundleStatus[]): string[] {
  const out: string[] = [];
  if (!bundles.length) out.push('  no bundles');
  for (const b of bundles) {
    out.push('');
    out.push(`Bundle ${b.id}: ${b.running} of ${b.replicas} running, image ${b.image}${b.role === 'Stopped' ? ', target-role=Stopped' : ''}${b.note ? ` — ${b.note}` : ''}`);
    if (b.resource) out.push(`  Container bundle set: ${b.id} [${b.image}]: resource ${b.resource.id} (${b.resource.agent})${b.resource.promotable ? ', promotable' : ''}`);
    out.push('  ' + pad('REPLICA', 22) + pad('NODE', 14) + pad('ADDRESS', 16) + pad('STATE', 11) + pad('HEALTH', 10) + pad('ENGINE', 8) + pad('FAILURES', 9) + 'NOTE');
    for (const r of b.replicaStatus) {
      const state = r.container ? r.container.state + (r.upToDate || !r.container ? '' : '*') : r.unknown ? 'unknown' : 'missing';
      out.push('  ' + pad(r.name, 22) + pad(r.node, 14) + pad(r.address ?? '-', 16) + pad(state, 11) + pad(r.container ? r.container.health : '-', 10) + pad(r.container?.engine ?? '-', 8) + pad(String(r.failures), 9) + (r.note ?? ''));
      if (r.resource) {
        const x = r.resource;
        out.push('    ' + `${x.id} (${x.agent}): ${x.role}${r.node !== '-' && x.role !== 'Stopped' && x.role !== 'unknown' ? ` ${r.node}` : ''}${x.failcount ? `, fail count ${x.failcount >= FAILCOUNT_INFINITY ? 'INFINITY' : x.failcount}` : ''}${x.promotion !== undefined ? `, promotion score ${x.promotion}` : ''}`);
        if (x.lastFailure) out.push('      ' + `last failure: ${x.lastFailure}`);
      }
    }
  }
  if (bundles.some((b) => b.replicaStatus.some((r) => r.container && !r.upToDate && r.node !== '-'))) out.push('', '* the container runs an older spec than the CIB asks for');
  return out;
}

/** One node's part of a cluster pass, as clusterStatus reads it. */
export interface NodePassView {
  node: string;
  desired: DesiredState;
  observed: ObservedState;
  plan: Plan;
  /** what applying the plan did, when it has ended */
  applied?: { outcomes: readonly { action: string; replica: string; ok: boolean; error?: string }[] };
}

export interface ClusterStatus {
  bundles: BundleStatus[];
  /** every observed node has nothing left to do, nothing is held, every node was observed and
   * the CIB could be read */
  converged: boolean;
  /** the pass's orders that were carried out, and those that failed (the next pass observes them) */
  done: number;
  failed: number;
  problems: { code: string; message: string }[];
}

/**
 * The whole cluster's bundles from one cluster pass, as crm_mon shows them: each replica once,
 * on the node that runs it (twice while a move removes the old copy), else where it is placed,
 * with why it is not running. A replica placed on a node that could not be observed is shown
 * there in state "unknown".
 */
export function clusterStatus(pass: {
  nodes: NodePassView[];
  placements?: ReadonlyMap<string, string>;
  unplaced: readonly { replica: string; reason: string }[];
  held: readonly Note[];
  unreachable: readonly { node: string; message: string; replicas?: readonly string[] }[];
  problems?: readonly { code: string; message: string }[];
  /** what is wrong with the CIB the pass read (STORE_CORRUPT, STORE_UNREACHABLE): its errors are
   * shown, and the cluster is not converged on a desired state it cannot read */
  cibProblems?: readonly { code: string; message: string; severity?: string }[];
  /** the model the pass read: every bundle is shown even when no node could be observed */
  model?: { bundles: readonly { settings: BundleSettings }[]; properties: { maintenance: boolean } };
}, now: number): ClusterStatus {
  const perNode = pass.nodes.map((n) => nodeStatus(n.desired, n.observed, n.plan, now, false));
  // What the pass did, in place of what its plan said was pending.
  const outcomes = new Map<string, { kind: string; text: string }[]>();
  let done = 0, failed = 0;
  for (const n of pass.nodes) {
    for (const o of n.applied?.outcomes ?? []) {
      if (o.ok) done++;
      else failed++;
      const text = o.ok ? `${o.action} done on ${n.node} by this pass` : `${o.action} failed on ${n.node}: ${o.error ?? 'unknown error'}`;
      (outcomes.get(o.replica) ?? outcomes.set(o.replica, []).get(o.replica)!).push({ kind: o.action, text });
    }
  }
  const unreachable = new Map(pass.unreachable.map((u) => [u.node, u.message]));
  // Replicas that may still run on a node that cannot be observed (they ran there when it was).
  const mayRunOn = groupBy(pass.unreachable.flatMap((u) => (u.replicas ?? []).map((replica) => ({ replica, node: u.node }))), (x) => x.replica);
  const unplaced = new Map(pass.unplaced.map((u) => [u.replica, u.reason]));
  const held = groupBy(pass.held.filter((h) => h.replica), (h) => h.replica!);
  // Every node's line of each bundle (with its rows), by bundle.
  const linesOf = groupBy(perNode.flatMap((ns) => ns.bundles), (b) => b.id);
  // The pass reads the model whenever it has a CIB, so whenever a node was observed.
  const bundles: BundleStatus[] = [];
  for (const { settings: bs } of pass.model?.bundles ?? []) {
    const lines = linesOf.get(bs.id) ?? [];
    const line: BundleStatus = lines[0] ?? bundleLine(bs, pass.model!.properties.maintenance, []);
    const rowsOf = new Map<number, ReplicaStatus[]>();
    for (let i = 0; i < line.replicas; i++) rowsOf.set(i, []);
    for (const r of lines.flatMap((l) => l.replicaStatus)) (rowsOf.get(r.index) ?? rowsOf.set(r.index, []).get(r.index)!).push(r);
    const rows: ReplicaStatus[] = [];
    for (const index of [...rowsOf.keys()].sort((x, y) => x - y)) {
      const all = rowsOf.get(index)!;
      const name = replicaName(bs.id, index);
      const placedOn = pass.placements?.get(name);
      const address = all.find((r) => r.address)?.address;
      const base: ReplicaStatus = { name, index, node: '-', ...(address ? { address } : {}), upToDate: false, failures: 0 };
      const unknownOn = (node: string): ReplicaStatus => ({ ...base, node, unknown: true, note: `node ${node} cannot be observed: ${unreachable.get(node)}` });
      const seen = [...all.filter((r) => r.container), ...(mayRunOn.get(name) ?? []).map((x) => unknownOn(x.node))];
      // Where it is to run, when that is not where it runs now (a move under way).
      const target = all.find((r) => r.node !== '-' && !r.container && r.node === placedOn);
      let chosen: ReplicaStatus[];
      if (seen.length) {
        chosen = target?.note ? seen.map((r) => (r.node === target.node ? r : { ...r, note: [r.note, `on ${target.node}: ${target.note}`].filter(Boolean).join('; ') })) : seen;
      } else {
        const desiredHere = all.find((r) => r.node !== '-');
        if (desiredHere) chosen = [desiredHere];
        else if (placedOn !== undefined && unreachable.has(placedOn)) chosen = [unknownOn(placedOn)];
        else {
          const why = unplaced.get(name);
          const rest = (all[0]?.note ?? '').split('; ').filter((x) => x && x !== 'not on this node');
          const note = [...(why ? [`not placed: ${why}`] : []), ...rest].join('; ') || (index < line.replicas ? (line.role === 'Stopped' ? 'target-role=Stopped' : 'not placed') : 'not running');
          chosen = [{ ...base, note }];
        }
      }
      for (const r of chosen) {
        const did = outcomes.get(name) ?? [];
        const planned = (r.note ? r.note.split('; ') : []).filter((x) => !did.some((d) => x.startsWith(`pending ${d.kind}:`)));
        // A held replica's note is also among what waits: said once.
        const heldNotes = (held.get(name) ?? []).map((h) => h.message).filter((m) => !(r.note ?? '').includes(m));
        const notes = [...new Set([...planned, ...did.map((d) => d.text), ...heldNotes])];
        rows.push({ ...r, ...(notes.length ? { note: notes.join('; ') } : {}) });
      }
    }
    const running = new Set(rows.filter((r) => r.container?.state === 'running' && r.index < line.replicas).map((r) => r.index)).size;
    bundles.push({ ...line, running, replicaStatus: rows });
  }
  // A bundle's problems are in every node's plan: each is said once.
  const problems = new Map<string, { code: string; message: string }>();
  const cibErrors = (pass.cibProblems ?? []).filter((p) => p.severity === 'error');
  for (const p of [...cibErrors, ...(pass.problems ?? []), ...perNode.flatMap((n) => n.problems)]) problems.set(`${p.code}\u0000${p.message}`, { code: p.code, message: p.message });
  return {
    bundles,
    converged: perNode.length > 0 && perNode.every((n) => n.converged) && pass.held.length === 0 && pass.unreachable.length === 0 && cibErrors.length === 0,
    done,
    failed,
    problems: [...problems.values()],
  };
}
