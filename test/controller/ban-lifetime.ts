// A ban with a lifetime (resource ban B NODE lifetime=...) keeps the bundle's replicas off NODE
// until its end and no longer; the pass asks to run again at that instant (recheckAt), so the
// controller places the replicas back without waiting for another event or the resync.
import t from 'tap';
import { parseCib } from '../../src/cib/cib';
import { serializeXml } from '../../src/cib/xml';
import { resourceBanAt } from '../../src/commands/resource-move';
import { readModel } from '../../src/model/model';
import { nextRuleDateChange, parseRuleDate, placeReplicas, placementConfig } from '../../src/scheduler/placement';
import { nodeStates } from '../../src/scheduler/nodes';
import { fakeCluster } from '../helpers/fake-nodes';

const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
const HOUR = 3_600_000;

/** web (one replica) prefers n1; then `resource ban web n1 lifetime=PT1H` at T0, by berth's command. */
function bannedCib(): string {
  const cib = parseCib(`<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0"><configuration>`
    + `<crm_config/><nodes><node id="1" uname="n1"/><node id="2" uname="n2"/></nodes>`
    + `<resources><bundle id="web"><docker image="berth-test/httpd:1" replicas="1"/></bundle></resources>`
    + `<constraints><rsc_location id="web-likes-n1" rsc="web" node="n1" score="100"/></constraints></configuration><status/></cib>`);
  resourceBanAt(T0)({ cib, args: ['web', 'n1', 'lifetime=PT1H'], flags: { force: false } });
  return serializeXml(cib);
}

t.test('the ban applies before its end and not from its end on', async (t) => {
  const model = readModel(parseCib(bannedCib()));
  const end = parseRuleDate('2030-01-01 13:00:00Z')!;
  t.equal(end, T0 + HOUR, 'the ban ends an hour after it was made');
  const placedAt = (now: number) => placeReplicas({ ...placementConfig(model), nodes: nodeStates(model.nodes, () => true), now }).placements.get('web-0');
  const table: [string, number, string][] = [
    ['when made', T0, 'n2'],
    ['a second before its end', end - 1000, 'n2'],
    ['at its end', end, 'n1'],
    ['a day later', end + 24 * HOUR, 'n1'],
  ];
  for (const [when, now, node] of table) t.equal(placedAt(now), node, when);
  t.equal(nextRuleDateChange(model.constraints, T0), end, 'before the end: the next change is the end');
  t.equal(nextRuleDateChange(model.constraints, end), undefined, 'from the end on: nothing more to wait for');
});

t.test('nextRuleDateChange: the instant each kind of date expression turns', async (t) => {
  const at = (xml: string, now: number) => {
    const cib = parseCib(`<cib validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes/>`
      + `<resources><bundle id="web"><docker image="i"/></bundle></resources><constraints><rsc_location id="l" rsc="web"><rule id="r" score="10">${xml}</rule></rsc_location></constraints></configuration><status/></cib>`);
    return nextRuleDateChange(readModel(cib).constraints, now);
  };
  const S = '2030-01-01 00:00:00Z';
  const E = '2030-02-01 00:00:00Z';
  const s = parseRuleDate(S)!;
  const e = parseRuleDate(E)!;
  const table: [string, string, number, number | undefined][] = [
    ['lt: at its end', `<date_expression id="d" operation="lt" end="${E}"/>`, s, e],
    ['gt: just after its start', `<date_expression id="d" operation="gt" start="${S}"/>`, s - 1, s + 1],
    ['in_range: its start first', `<date_expression id="d" operation="in_range" start="${S}" end="${E}"/>`, s - 1, s],
    ['in_range: then just after its end', `<date_expression id="d" operation="in_range" start="${S}" end="${E}"/>`, s, e + 1],
    ['in a nested rule', `<rule id="n" score="0"><date_expression id="d" operation="lt" end="${E}"/></rule>`, s, e],
    ['past: nothing', `<date_expression id="d" operation="lt" end="${S}"/>`, e, undefined],
    ['no date: nothing', `<expression id="x" attribute="#uname" operation="eq" value="n1"/>`, s, undefined],
  ];
  for (const [name, xml, now, want] of table) t.equal(at(xml, now), want, name);
});

t.test('the pass rechecks at the end of the ban and places the replica back then', async (t) => {
  let now = T0;
  const cl = fakeCluster(['n1', 'n2'], () => now);
  cl.setCib(bannedCib());
  let r = await cl.pass();
  t.equal(r.placements?.get('web-0'), 'n2', 'kept off n1 while banned');
  t.equal(r.recheckAt, T0 + HOUR, 'the pass asks to run again when the ban ends');
  now = T0 + HOUR;
  r = await cl.pass();
  t.equal(r.placements?.get('web-0'), 'n1', 'back on the node it prefers once the ban ended');
  t.equal(r.recheckAt, undefined, 'nothing more to wait for');
});
