// Property: on generated CIBs with what real clusters hold (templates, id-refs of pairs, sets and
// rules, rules in attribute sets, unknown but valid elements, comments, a status section with
// Pacemaker's ids, clone instances with ':'), the JSON form is exactly as permissive as the XML
// form (the same problems, none refused on the way back) and XML -> JSON -> XML gives the same
// document. Seeded (test/helpers/prng.ts): a failure names its seed and replays.
import t from 'tap';
import { formatCib, parseCib } from '../../src/cib/cib';
import { canonical, serializeXml } from '../../src/cib/xml';
import { checkCibText } from '../../src/validate/cib-check';
import { prng } from '../helpers/prng';

function generate(seed: number): string {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const n = (max: number) => Math.floor(rnd() * (max + 1));
  const nodes = Array.from({ length: 1 + n(3) }, (_, i) => `node${i + 1}`);
  const pairs: string[] = [];
  const nvset = (tag: string, id: string) => {
    if (pairs.length && rnd() < 0.2) return `<${tag} id-ref="${pick(pairs).replace(/-[^-]*$/, '')}"/>`;
    const rule = rnd() < 0.3 ? `<rule id="${id}-r" score="0"><expression id="${id}-e" attribute="#uname" operation="eq" value="${pick(nodes)}"/></rule>` : '';
    const body = Array.from({ length: n(2) }, (_, k) => {
      if (pairs.length && rnd() < 0.3) return `<nvpair id-ref="${pick(pairs)}"${rnd() < 0.5 ? ` name="alias${k}"` : ''}/>`;
      const pid = `${id}-p${k}`;
      pairs.push(pid);
      return `<nvpair id="${pid}" name="${pick(['priority', 'resource-stickiness', 'target-role', 'x-custom'])}" value="${pick(['1', '7', 'Started', 'a &amp; b', 'é'])}"/>`;
    }).join('');
    return `<${tag} id="${id}">${rule}${body}</${tag}>`;
  };
  const resources: string[] = [];
  const bundles: string[] = [];
  resources.push('<template id="tpl" class="ocf" provider="heartbeat" type="apache"><operations><op id="tpl-mon" name="monitor" interval="30s"/></operations></template>');
  for (let b = 0; b < 1 + n(2); b++) {
    const id = `b${b}`;
    bundles.push(id);
    const kind = pick(['docker', 'podman']);
    const opts = pick(['', ' options="--log-driver=k8s-file --user=root"', ' options="-e A=1"', ' run-command="/bin/bash /usr/local/bin/kolla_start"']);
    const inner = rnd() < 0.5 ? `<primitive id="${id}-in"${rnd() < 0.5 ? ' template="tpl"' : ' class="ocf" provider="heartbeat" type="Dummy"'}/>` : '';
    const storage = rnd() < 0.5 ? `<storage><storage-mapping id="${id}-s" source-dir-root="/srv/${id}" target-dir="/data" options="${pick(['rw', 'rw,z', 'ro,Z'])}"/></storage>` : '';
    resources.push(`<bundle id="${id}"><${kind} image="img:${b}" replicas="${1 + n(2)}"${opts}/><network control-port="${3121 + b}"/>${storage}${nvset('meta_attributes', `${id}-m`)}${inner}</bundle>`);
  }
  if (rnd() < 0.5) resources.push(`<primitive id="p0" template="tpl">${nvset('instance_attributes', 'p0-ia')}</primitive>`);
  if (rnd() < 0.3) resources.push('<!-- kept as written -->');
  const constraints: string[] = [];
  if (rnd() < 0.6) constraints.push(`<rsc_location id="l0" rsc="${pick(bundles)}"><rule id="l0-r" score="${pick(['10', 'INFINITY', '-5'])}"><expression id="l0-e" attribute="#uname" operation="eq" value="${pick(nodes)}"/></rule></rsc_location>`);
  if (constraints.length && rnd() < 0.5) constraints.push(`<rsc_location id="l1" rsc="${pick(bundles)}"><rule id-ref="l0-r"/></rsc_location>`);
  if (bundles.length > 1 && rnd() < 0.5) {
    constraints.push(`<rsc_colocation id="c0" score="INFINITY"><resource_set id="set0"><resource_ref id="${bundles[0]}"/><resource_ref id="${bundles[1]}"/></resource_set></rsc_colocation>`);
    if (rnd() < 0.5) constraints.push('<rsc_order id="o0"><resource_set id-ref="set0"/></rsc_order>');
  }
  const extra = rnd() < 0.4 ? '<tags><tag id="t0"><obj_ref id="tpl"/></tag></tags>' : '';
  const states = nodes.map((name, i) => {
    const inst = `pingd:${n(3)}`;
    const attrs = rnd() < 0.6 ? `<transient_attributes id="${i + 1}"><instance_attributes id="status-${i + 1}"><nvpair id="status-${i + 1}-fail-count-${inst}.monitor_30000" name="fail-count-${inst}#monitor_30000" value="${n(5)}"/></instance_attributes></transient_attributes>` : '';
    const lrm = bundles.length && rnd() < 0.6 ? `<lrm id="${i + 1}"><lrm_resources><lrm_resource id="${pick(bundles)}-docker-${i}" class="ocf" provider="heartbeat" type="docker"><lrm_rsc_op id="${inst}_last_0" operation_key="x_start_0" operation="start" call-id="${1 + n(9)}" rc-code="0" op-status="0" interval="0" on_node="${name}"/></lrm_resource></lrm_resources></lrm>` : '';
    return `<node_state id="${i + 1}" uname="${name}" in_ccm="true" crmd="online" join="member" expected="member">${attrs}${lrm}</node_state>`;
  }).join('\n    ');
  return `<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="${1 + n(50)}" num_updates="${n(9)}" admin_epoch="0">
  <configuration>
    <crm_config><cluster_property_set id="opts"><nvpair id="opts-s" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
    <nodes>${nodes.map((name, i) => `<node id="${i + 1}" uname="${name}"/>`).join('')}</nodes>
    <resources>${resources.join('\n      ')}</resources>
    <constraints>${constraints.join('')}</constraints>
    <rsc_defaults>${nvset('meta_attributes', 'defs')}</rsc_defaults>${extra}
  </configuration>
  <status>
    ${states}
  </status>
</cib>
`;
}

const summary = (ps: { code: string; severity: string; path?: string; value?: string }[]) => ps.map((p) => [p.code, p.severity, p.path, p.value]);

t.test('generated CIBs: JSON as permissive as XML, and XML -> JSON -> XML the same document', async (t) => {
  const SEEDS = 300;
  const refused: number[] = [];
  const differ: { seed: number; xml: unknown; json: unknown }[] = [];
  const changed: number[] = [];
  const seen = { nvpairRef: 0, setRef: 0, template: 0, ruleRef: 0, colonId: 0 };
  for (let seed = 1; seed <= SEEDS; seed++) {
    const text = generate(seed);
    if (/<nvpair id-ref=/.test(text)) seen.nvpairRef++;
    if (/<(meta|instance)_attributes id-ref=|<resource_set id-ref=/.test(text)) seen.setRef++;
    if (/template="tpl"/.test(text)) seen.template++;
    if (/<rule id-ref=/.test(text)) seen.ruleRef++;
    if (/id="status-[^"]*:/.test(text)) seen.colonId++;
    const xml = checkCibText(text, 'gen.xml');
    if (xml.problems.some((p) => p.severity === 'error')) refused.push(seed);
    const cib = parseCib(text, 'gen.xml');
    const jsonText = formatCib(cib, 'json');
    const json = checkCibText(jsonText, 'gen.json');
    if (JSON.stringify(summary(json.problems)) !== JSON.stringify(summary(xml.problems))) differ.push({ seed, xml: summary(xml.problems), json: summary(json.problems) });
    const back = parseCib(formatCib(parseCib(jsonText, 'gen.json'), 'xml'), 'back.xml');
    if (canonical(back) !== canonical(cib) || serializeXml(back) !== serializeXml(cib)) changed.push(seed);
  }
  t.strictSame(refused, [], 'every generated CIB is accepted (the generator makes no dangling reference)');
  t.strictSame(differ, [], 'the JSON form has the same problems as the XML form');
  t.strictSame(changed, [], 'XML -> JSON -> XML: the same document, byte for byte as berth writes it');
  for (const [what, count] of Object.entries(seen)) t.ok(count >= SEEDS / 10, `${what}: in ${count} of ${SEEDS} CIBs`);
});
