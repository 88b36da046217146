// Which replicas of a promotable bundle (promoted-max > 0) run their resource promoted, as
// Pacemaker chooses (lib/pacemaker/pcmk_sched_promotable.c): each instance that runs, is not
// failed and is reachable has a priority — the promotion score its agent set (crm_attribute
// --promotion), -1 without one, plus the rsc_location role=Promoted scores of its guest node (the
// replica, B-i: Pacemaker runs each instance on its replica's guest node, and a location naming a
// host node adds nothing to it); sorted by priority, ties to the instance already promoted, then
// by replica number (a failed promoted instance, recovered in place, counts as running and as
// promoted); the first promoted-max with priority ≥ 0 are promoted, at most promoted-node-max per
// guest node — which holds one instance, so in a bundle it never limits how many run promoted on
// one host (Pacemaker 2.1.5: crm_simulate cases in test/fixtures/crm_simulate_promotion). Pure.
//
// The safety rule (never more promoted than promoted-max, at any instant): an instance is
// promoted only when the promoted ones that must be demoted are demoted already and nothing that
// may be promoted is out of sight (a node that cannot be observed); otherwise it waits a pass.
import type { InnerGoal, InnerObserved } from '../reconcile/inner';

export interface PromotionInstance {
  replica: string;
  index: number;
  /** the host node */
  node: string;
  observed?: InnerObserved;
  /** rsc_location role=Promoted scores for the instance's guest node (its replica's name) */
  locationScore?: number;
  /** a copy on a node the replica is no longer placed on (standby, a move): it is stopped there,
   * never chosen and given no goal, but while it runs promoted it counts against promoted-max */
  leaving?: boolean;
}

export interface PromotionDecision {
  goals: Map<string, InnerGoal>;
  /** promotions withheld this pass, with why */
  waiting: { replica: string; message: string }[];
  /** "Promoted 1 instances of a possible 1", as Pacemaker logs it */
  summary: string;
}

export function decidePromotion(b: { id: string; promotedMax: number; promotedNodeMax: number }, instances: readonly PromotionInstance[], o: { blind: boolean }): PromotionDecision {
  const goals = new Map<string, InnerGoal>();
  const waiting: PromotionDecision['waiting'] = [];
  // A failed promoted instance (rc 9) is recovered in place (demote, stop, start) and may be
  // promoted again in the same chain, as Pacemaker does (cts: its promotion score still counts).
  const failedPromoted = (i: PromotionInstance) => i.observed?.state === 'failed' && i.observed.failed?.rc === 9;
  const promotedRole = (i: PromotionInstance) => i.observed?.state === 'promoted' || failedPromoted(i);
  const usable = (i: PromotionInstance) => {
    const s = i.observed;
    return !i.leaving && !!s && s.link === 'up' && (s.state === 'started' || s.state === 'promoted' || failedPromoted(i));
  };
  // Pacemaker's score arithmetic: capped at ±INFINITY (1,000,000), -INFINITY wins.
  const INF = 1_000_000;
  const priority = (i: PromotionInstance) => {
    const a = typeof i.observed?.promotion === 'number' ? i.observed.promotion : -1, b = i.locationScore ?? 0;
    if (a <= -INF || b <= -INF) return -INF;
    return Math.max(-INF, Math.min(INF, a + b));
  };
  const ranked = instances.filter(usable).sort((a, b) => priority(b) - priority(a) || Number(promotedRole(b)) - Number(promotedRole(a)) || a.index - b.index);
  const chosen = new Set<string>();
  const perNode = new Map<string, number>();
  for (const i of ranked) {
    if (chosen.size >= b.promotedMax) break;
    if (priority(i) < 0) continue;
    // promoted-node-max counts per guest node: the replica.
    const n = perNode.get(i.replica) ?? 0;
    if (n >= b.promotedNodeMax) continue;
    perNode.set(i.replica, n + 1);
    chosen.add(i.replica);
  }
  // Promoted now and staying promoted, and promoted now but to be demoted (or failed in place).
  const promotedNow = instances.filter(promotedRole);
  const staying = promotedNow.filter((i) => chosen.has(i.replica)).length;
  const leaving = promotedNow.length - staying;
  let room = b.promotedMax - staying;
  for (const i of instances) if (!i.leaving) goals.set(i.replica, 'Unpromoted');
  for (const i of ranked) {
    if (!chosen.has(i.replica)) continue;
    if (promotedRole(i)) { goals.set(i.replica, 'Promoted'); continue; }
    if (leaving > 0) { waiting.push({ replica: i.replica, message: `${i.replica} is promoted once ${leaving} promoted instance${leaving === 1 ? ' is' : 's are'} demoted (promoted-max=${b.promotedMax})` }); continue; }
    if (o.blind) { waiting.push({ replica: i.replica, message: `${i.replica} is promoted once every node that may run a promoted instance of ${b.id} is observed or lost` }); continue; }
    if (room <= 0) continue;
    room--;
    goals.set(i.replica, 'Promoted');
  }
  const promoted = [...goals.values()].filter((g) => g === 'Promoted').length;
  return { goals, waiting, summary: `Promoted ${promoted} instance${promoted === 1 ? '' : 's'} of a possible ${Math.min(b.promotedMax, instances.filter((i) => !i.leaving).length)}` };
}
