// A promotion fixture made by crm_simulate (test/fixtures/crm_simulate_promotion, written by
// scripts/crm-simulate-promotion-fixtures.mjs), read both ways: what berth's executors would
// report of each replica's instance (from the CIB's <status>: the host nodes' containers, the
// guest nodes' history of the inner resource and its master-<rsc> attribute), and what Pacemaker
// did (the role of each instance after the transition, the transition's actions in order).
import { XmlElement, child, elements } from '../../src/cib/xml';
import type { InnerObserved } from '../../src/reconcile/inner';

/** One replica whose container the status shows started, with its instance as berth would see it. */
export interface GuestInstance {
  replica: string;
  index: number;
  host: string;
  hostOnline: boolean;
  observed: InnerObserved;
}

/** The instance's lrm_resource id: `rsc`, or `rsc:i` when the inner clone is unique (replicas-per-host > 1). */
const isInstance = (id: string | undefined, rsc: string, index: number) => id === rsc || id === `${rsc}:${index}`;

export function readGuestInstances(cib: XmlElement, bundle: string, rsc: string): GuestInstance[] {
  const states = elements(child(cib, 'status')!, 'node_state');
  const lrm = (s: XmlElement) => elements(child(child(s, 'lrm') ?? s, 'lrm_resources') ?? s, 'lrm_resource');
  const out: GuestInstance[] = [];
  for (const h of states.filter((s) => s.attrs.remote_node !== 'true')) {
    for (const r of lrm(h)) {
      const m = new RegExp(`^${bundle}-docker-(\\d+)$`).exec(r.attrs.id ?? '');
      const last = r && elements(r, 'lrm_rsc_op').find((o) => o.attrs.id === `${r.attrs.id}_last_0`);
      if (!m || last?.attrs.operation !== 'start' || last.attrs['rc-code'] !== '0') continue;
      const index = Number(m[1]);
      const replica = `${bundle}-${index}`;
      const guest = states.find((s) => s.attrs.remote_node === 'true' && s.attrs.uname === replica);
      if (!guest) throw new Error(`${replica}: no guest node_state`);
      out.push({ replica, index, host: h.attrs.uname, hostOnline: h.attrs.crmd === 'online', observed: observedOf(guest, rsc, index) });
    }
  }
  return out.sort((a, b) => a.index - b.index);
}

/** The guest node's history of the instance → the state its executor reports; master-<rsc> → its promotion score. */
function observedOf(guest: XmlElement, rsc: string, index: number): InnerObserved {
  const resource = elements(child(child(guest, 'lrm')!, 'lrm_resources')!, 'lrm_resource').find((r) => isInstance(r.attrs.id, rsc, index));
  if (!resource) throw new Error(`${guest.attrs.uname}: no history of ${rsc}`);
  const ops = elements(resource, 'lrm_rsc_op');
  const last = ops.find((o) => o.attrs.id === `${resource.attrs.id}_last_0`);
  const failure = ops.find((o) => o.attrs.id === `${resource.attrs.id}_last_failure_0`);
  const base: InnerObserved = { container: `c-${guest.attrs.uname}`, link: 'up', incarnation: 'i1', state: 'unknown', failures: [] };
  const transient = child(guest, 'transient_attributes');
  const score = transient && elements(child(transient, 'instance_attributes')!, 'nvpair').find((p) => p.attrs.name === `master-${resource.attrs.id}`);
  if (score) base.promotion = Number(score.attrs.value);
  if (failure) {
    const intervalMs = Number(failure.attrs.interval);
    const f = { seq: 1, op: `${failure.attrs.operation}_${intervalMs}`, name: failure.attrs.operation, intervalMs, rc: Number(failure.attrs['rc-code']), status: 'done', at: 0, message: `${failure.attrs.operation} failed (${failure.attrs['rc-code']})` };
    return { ...base, state: 'failed', failed: f, failures: [f] };
  }
  const state = ({ start: 'started', promote: 'promoted', stop: 'stopped' } as const)[last?.attrs.operation as 'start'];
  if (!state || last?.attrs['rc-code'] !== '0') throw new Error(`${guest.attrs.uname}: a history berth's fixture reader does not know`);
  return { ...base, state };
}

export interface PacemakerPromotion {
  /** replicas whose instance is Promoted after the transition */
  promoted: string[];
  /** per replica, the instance's start/stop/promote/demote in the transition's order */
  steps: Record<string, string[]>;
  /** every such action, in the transition's order */
  actions: { replica: string; op: string }[];
}

/** crm_simulate --simulate --output-as=xml: the instances' roles after, and their actions. */
export function pacemakerPromotion(result: XmlElement, bundle: string, rsc: string): PacemakerPromotion {
  const promoted: string[] = [];
  const b = elements(child(child(result, 'revised_cluster_status')!, 'resources')!, 'bundle').find((x) => x.attrs.id === bundle);
  if (!b) throw new Error(`no bundle ${bundle} in the revised status`);
  for (const r of elements(b, 'replica')) {
    const inst = elements(r, 'resource').find((x) => isInstance(x.attrs.id, rsc, Number(r.attrs.id)));
    if (inst?.attrs.role === 'Promoted' && inst.attrs.active === 'true') promoted.push(`${bundle}-${r.attrs.id}`);
  }
  const actions: { replica: string; op: string }[] = [];
  const steps: Record<string, string[]> = {};
  for (const a of elements(child(result, 'transition')!, 'rsc_action')) {
    const m = new RegExp(`^${bundle}-(\\d+)$`).exec(a.attrs.node ?? '');
    if (!m || !isInstance(a.attrs.resource, rsc, Number(m[1])) || !['start', 'stop', 'promote', 'demote'].includes(a.attrs.op)) continue;
    actions.push({ replica: a.attrs.node, op: a.attrs.op });
    (steps[a.attrs.node] ??= []).push(a.attrs.op);
  }
  return { promoted: promoted.sort(), steps, actions };
}
