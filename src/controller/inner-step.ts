// The pass's steps for the resources inside bundles: which replica containers' executors each
// node is asked about (from the model: the bundles that hold a resource), which replicas are
// promoted (over every node at once: src/scheduler/promotion.ts), and each node's inner plan
// (src/reconcile/inner.ts) folded into its plan.
import { ProblemCode, PROBLEM_CODES, problem } from '../errors/registry';
import type { ClusterModel } from '../model/model';
import { opParams, promotionAttribute } from '../model/inner';
import { isStuck, parseAddressLabel } from '../reconcile/plan';
import type { Plan } from '../reconcile/plan';
import { ADDRESS_LABEL } from '../runtime/labels';
import type { ObservedContainer } from '../runtime/engine';
import type { ObservedState } from '../reconcile/observed';
import { InnerBundle, InnerGoal, InnerWant, attributeLedgerKey, planInnerOfNode } from '../reconcile/inner';
import { PromotionInstance, decidePromotion } from '../scheduler/promotion';

/** The bundles that hold a resource and can be run (no problems), by id. */
const byModel = new WeakMap<ClusterModel, Map<string, InnerBundle & { managed: boolean; runnable: boolean }>>();
export function innerBundles(model: ClusterModel): Map<string, InnerBundle & { managed: boolean; runnable: boolean }> {
  const known = byModel.get(model);
  if (known) return known;
  const out = new Map<string, InnerBundle & { managed: boolean; runnable: boolean }>();
  byModel.set(model, out);
  for (const b of model.bundles) {
    if (!b.resource || b.settings.problems.length) continue;
    out.set(b.settings.id, { spec: b.resource, replicas: b.settings.replicas, replicasPerHost: b.settings.replicasPerHost, managed: b.settings.managed && !model.properties.maintenance, runnable: b.settings.role === 'Started' });
  }
  return out;
}

/** For observe: the running containers of this node whose executors to ask. */
export function innerWantsOf(model: ClusterModel, node: string): (containers: readonly ObservedContainer[]) => InnerWant[] {
  const bundles = innerBundles(model);
  return (containers) => {
    const out: InnerWant[] = [];
    if (!bundles.size) return out;
    for (const c of containers) {
      const b = bundles.get(c.bundle);
      if (!b || c.replica === undefined || c.state !== 'running') continue;
      const replica = `${c.bundle}-${c.replica}`;
      const ip = parseAddressLabel(c.labels[ADDRESS_LABEL])?.ip;
      const probeOp = { name: 'monitor', intervalMs: 0, timeoutMs: b.spec.monitors[0]?.timeoutMs ?? b.spec.start.timeoutMs, onFail: 'restart' as const, key: 'monitor_0' };
      const a = b.spec.agent;
      out.push({
        replica, bundle: c.bundle, index: c.replica, container: c.id,
        target: { host: ip ?? '127.0.0.1', port: b.spec.controlPort },
        resource: { id: b.spec.id, class: a.class, ...(a.provider ? { provider: a.provider } : {}), type: a.type },
        probe: { timeoutMs: probeOp.timeoutMs, params: opParams(b.spec, probeOp, { index: c.replica, replica, replicas: b.replicas, replicasPerHost: b.replicasPerHost, host: node }) },
      });
    }
    return out;
  };
}

interface NodePart {
  node: string;
  observed: ObservedState;
  plan: Plan;
}

/**
 * Decides promotion over every node, then plans each node's resources inside and folds the
 * result into its plan. `blind`: some node that may run replicas cannot be observed.
 */
export function planInnerResources(model: ClusterModel, parts: readonly NodePart[], placements: ReadonlyMap<string, string>, o: { now: number; blind: boolean }): void {
  const bundles = innerBundles(model);
  if (!bundles.size) return;
  rememberAttributes(bundles, parts);
  const goals = new Map<string, InnerGoal>();
  // Promotion, per promotable bundle, over the instances of every observed node.
  for (const [id, b] of bundles) {
    if (b.spec.promotedMax <= 0 || !b.managed) continue;
    const instances: PromotionInstance[] = [];
    const planOf = new Map<string, Plan>();
    for (const p of parts) {
      for (const c of p.observed.containers) {
        // A container stuck in removal runs nothing: no instance (its replica may run beside it).
        if (c.bundle !== id || c.replica === undefined || isStuck(c, p.observed.runs[c.id])) continue;
        const replica = `${id}-${c.replica}`;
        const obs = p.observed.inner?.[replica];
        if (placements.get(replica) !== p.node) {
          // A copy being stopped where the replica is no longer placed: while it runs promoted,
          // nothing else is promoted in its stead (its demote comes first, as in Pacemaker).
          if (obs && obs.container === c.id) instances.push({ replica, index: c.replica, node: p.node, observed: obs, leaving: true });
          continue;
        }
        const locationScore = promotedLocationScore(model, id, replica);
        instances.push({ replica, index: c.replica, node: p.node, locationScore, ...(obs && obs.container === c.id ? { observed: obs } : {}) });
        planOf.set(replica, p.plan);
      }
    }
    const d = decidePromotion({ id, promotedMax: b.spec.promotedMax, promotedNodeMax: b.spec.promotedNodeMax }, instances, { blind: o.blind });
    for (const [r, g] of d.goals) goals.set(r, b.spec.targetRole === 'Unpromoted' && g === 'Promoted' ? 'Unpromoted' : g);
    for (const w of d.waiting) planOf.get(w.replica)?.waiting.push({ bundle: id, replica: w.replica, message: w.message });
  }
  // The replicas placed on each node, and the bundles managed: once for every node.
  const placedOn = new Map<string, Set<string>>();
  for (const [replica, node] of placements) (placedOn.get(node) ?? placedOn.set(node, new Set()).get(node)!).add(replica);
  const managed = new Map([...bundles].filter(([, b]) => b.managed));
  for (const p of parts) {
    const touched = new Map<string, string>();
    for (const a of p.plan.stop) touched.set(a.containerId, 'stops');
    for (const a of p.plan.remove) touched.set(a.containerId, 'is removed');
    for (const a of p.plan.replace) touched.set(a.containerId, 'is replaced');
    const placed = placedOn.get(p.node) ?? new Set<string>();
    const r = planInnerOfNode({ node: p.node, bundles: managed, containers: p.observed.containers, touched, placed, observed: p.observed.inner, ledger: p.observed.ledger, goals, now: o.now });
    for (const c of r.chains) p.plan.inner.push({ kind: 'inner', bundle: c.bundle, index: c.index, replica: c.replica, reason: c.reason, chain: c });
    for (const u of r.ledger) p.plan.ledger.push({ containerId: u.key, replica: u.replica, record: u.record });
    for (const w of r.waiting) p.plan.waiting.push(w);
    for (const n of r.reports) p.plan.reports.push(n);
    for (const x of r.problems) {
      const code: ProblemCode = x.code in PROBLEM_CODES ? (x.code as ProblemCode) : 'ENGINE_FAILED';
      p.plan.problems.push(problem(code, { path: x.replica, message: x.message }));
    }
    if (r.recheckAt !== undefined) p.plan.recheckAt = Math.min(p.plan.recheckAt ?? Infinity, r.recheckAt);
  }
}

/**
 * The promotion scores the agents set, kept in the node's ledger (as Pacemaker keeps transient
 * node attributes): a score heard on a connection is recorded when it differs from the record; an
 * instance whose connection has heard none takes the recorded one.
 */
function rememberAttributes(bundles: ReadonlyMap<string, InnerBundle>, parts: readonly NodePart[]): void {
  for (const p of parts) {
    for (const c of p.observed.containers) {
      const b = bundles.get(c.bundle);
      if (!b || b.spec.promotedMax <= 0 || c.replica === undefined) continue;
      const replica = `${c.bundle}-${c.replica}`;
      const obs = p.observed.inner?.[replica];
      const key = attributeLedgerKey(c.id, promotionAttribute(b.spec.id));
      const rec = p.observed.ledger[key];
      if (!obs || obs.container !== c.id) continue;
      if (obs.promotion === undefined) {
        if (rec?.value !== undefined && Number.isFinite(Number(rec.value))) obs.promotion = Number(rec.value);
        continue;
      }
      const value = obs.promotion === null ? undefined : String(obs.promotion);
      if (value === rec?.value) continue;
      p.plan.ledger.push({ containerId: key, replica, record: value === undefined ? null : { baseline: 0, extra: 0, count: 0, resource: b.spec.id, value } });
    }
  }
}

/** The rsc_location role=Promoted scores of one instance: those naming its guest node (the
 * replica), as Pacemaker applies them to a bundle's promotable instances. */
export function promotedLocationScore(model: Pick<ClusterModel, 'promotedLocations'>, bundle: string, replica: string): number {
  return model.promotedLocations.filter((l) => l.bundle === bundle && l.node === replica).reduce((sum, l) => sum + l.score, 0);
}
