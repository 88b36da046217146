// planSync, the pure core: one expected outcome per case.
import t from 'tap';
import { parseCib } from '../../src/cib/cib';
import { serializeXml } from '../../src/cib/xml';
import { Candidate, SyncPlan, planSync } from '../../src/gitops/plan';
import { GitopsState, emptyState } from '../../src/gitops/state';
import { DEFAULT_SETTINGS } from '../../src/gitops/settings';
import { sourceView } from '../../src/gitops/view';
import { problem } from '../../src/errors/registry';

const cib = (bundles: [string, number][]) => parseCib(`<cib epoch="3"><configuration><crm_config/><nodes/><resources>${bundles.map(([id, n]) => `<bundle id="${id}"><docker image="img" replicas="${n}"/></bundle>`).join('')}</resources><constraints/></configuration><status/></cib>`);
const view = (bundles: [string, number][]) => sourceView(cib(bundles));
const ok = (revision: string, bundles: [string, number][], drift: 'repair' | 'report-only' = 'repair'): Candidate => ({ ok: true, revision, view: view(bundles), settings: { ...DEFAULT_SETTINGS, drift }, warnings: [] });
const applied = (revision: string, bundles: [string, number][], owned: string[], extra: Partial<GitopsState> = {}): GitopsState => ({
  ...emptyState(), ...extra,
  applied: { revision, at: 't', cib: serializeXml(view(bundles)), owned, settings: DEFAULT_SETTINGS },
});
const opts = { reportOnly: false, prune: true };

interface Outcome {
  step?: string;
  changes?: number;
  created?: string[];
  pruned?: string[];
  released?: string[];
  owned?: string[];
  drift?: number;
}

function outcome(p: SyncPlan): Outcome {
  const s = p.step;
  const o: Outcome = { drift: p.drift.length };
  if (!s) return o;
  o.step = s.kind;
  if (s.kind === 'refuse') return o;
  o.changes = s.push.changes;
  o.created = s.push.created;
  if (s.kind === 'apply') Object.assign(o, { pruned: s.pruned, released: s.released, owned: s.record.owned });
  return o;
}

const cases: { name: string; live: [string, number][]; state: GitopsState; revision: string; candidate?: Candidate; reportOnly?: boolean; prune?: boolean; want: Outcome }[] = [
  { name: 'first sync adopts what live has and owns what it creates', live: [['old', 1], ['other', 1]], state: emptyState(), revision: 'r1', candidate: ok('r1', [['old', 2], ['new', 1]]),
    want: { step: 'apply', changes: 2, created: ['new'], pruned: [], released: [], owned: ['new'], drift: 0 } },
  { name: 'the applied revision, no drift: nothing to do', live: [['web', 3]], state: applied('r1', [['web', 3]], ['web']), revision: 'r1', want: { drift: 0 } },
  { name: 'the applied revision with drift: repair', live: [['web', 5]], state: applied('r1', [['web', 3]], ['web']), revision: 'r1', want: { step: 'repair', changes: 1, created: [], drift: 1 } },
  { name: 'drift, --report-only: nothing', live: [['web', 5]], state: applied('r1', [['web', 3]], ['web']), revision: 'r1', reportOnly: true, want: { drift: 1 } },
  { name: 'new revision, drift, repair mode: repair first', live: [['web', 5]], state: applied('r1', [['web', 3]], ['web']), revision: 'r2', candidate: ok('r2', [['web', 4]]), want: { step: 'repair', changes: 1, created: [], drift: 1 } },
  { name: 'new revision, the source says report-only: the revision', live: [['web', 5]], state: applied('r1', [['web', 3]], ['web']), revision: 'r2', candidate: ok('r2', [['web', 4]], 'report-only'),
    want: { step: 'apply', changes: 1, created: [], pruned: [], released: [], owned: ['web'], drift: 1 } },
  { name: 'prune what the source created, release the rest', live: [['web', 1], ['adopted', 1], ['mine', 1]], state: applied('r1', [['web', 1], ['adopted', 1]], ['web']), revision: 'r2', candidate: ok('r2', []),
    want: { step: 'apply', changes: 1, created: [], pruned: ['web'], released: ['adopted'], owned: [], drift: 0 } },
  { name: '--no-prune releases everything', live: [['web', 1]], state: applied('r1', [['web', 1]], ['web']), revision: 'r2', candidate: ok('r2', []), prune: false,
    want: { step: 'apply', changes: 0, created: [], pruned: [], released: ['web'], owned: [], drift: 0 } },
  { name: 'a resource new in the source that live has is adopted', live: [['web', 1], ['hand', 7]], state: applied('r1', [['web', 1]], ['web']), revision: 'r2', candidate: ok('r2', [['web', 1], ['hand', 2]]),
    want: { step: 'apply', changes: 1, created: [], pruned: [], released: [], owned: ['web'], drift: 0 } },
  { name: 'a refused revision: no push, no repair', live: [['web', 5]], state: applied('r1', [['web', 3]], ['web']), revision: 'r2', candidate: { ok: false, revision: 'r2', problems: [problem('SCHEMA_VIOLATION', { message: 'bad' })] }, want: { step: 'refuse', drift: 1 } },
  { name: 'suspended: nothing', live: [['web', 5]], state: applied('r1', [['web', 3]], ['web'], { suspended: { at: 't' } }), revision: 'r2', candidate: ok('r2', [['web', 4]]), want: { drift: 1 } },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const p = planSync({ revision: c.revision, candidate: c.candidate, state: c.state, live: cib(c.live), options: { ...opts, ...(c.reportOnly ? { reportOnly: true } : {}), ...(c.prune === false ? { prune: false } : {}) } });
    t.same(outcome(p), c.want);
  });
}

t.test('suspended still says what the revision would do (for gitops diff)', async (t) => {
  const p = planSync({ revision: 'r2', candidate: ok('r2', [['web', 4]]), state: applied('r1', [['web', 3]], ['web'], { suspended: { at: 't' } }), live: cib([['web', 3]]), options: opts });
  t.equal(p.step, undefined);
  t.equal(p.revisionStep?.kind, 'apply');
  t.match(p.revisionStep?.kind === 'apply' ? p.revisionStep.push.text : '', /~ replicas: "3" => "4"/);
});
