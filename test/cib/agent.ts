import t from 'tap';
import {
  AgentCatalog, AgentFailure, AgentMetadata, AgentName, agentFailureProblem, defaultOperations, guessAgentName, isProblem,
  parseAgentMetadata, parseAgentName, voidMetadata,
} from '../../src/cib/agent';

const ocf = (provider: string, type: string): AgentName => ({ standard: 'ocf', provider, type });
const meta = (x: AgentMetadata | AgentFailure): AgentMetadata => {
  if ('kind' in x) throw new Error(`expected metadata, got ${JSON.stringify(x)}`);
  return x;
};

t.test("agent names as pcs's split_resource_agent_name reads them", async (t) => {
  const table: [string, AgentName | 'invalid'][] = [
    ['ocf:heartbeat:apache', ocf('heartbeat', 'apache')],
    ['lsb:dbus', { standard: 'lsb', type: 'dbus' }],
    ['lsb:/etc/init.d/dbus', { standard: 'lsb', type: '/etc/init.d/dbus' }],
    ['systemd:lvm2-pvscan@252:2', { standard: 'systemd', type: 'lvm2-pvscan@252:2' }],
    ['service:getty@tty1', { standard: 'service', type: 'getty@tty1' }],
    ['stonith:fence_xvm', { standard: 'stonith', type: 'fence_xvm' }],
    ['ocf:Dummy', 'invalid'],
    ['lsb:x:dbus', 'invalid'],
    ['foo:bar:Dummy', 'invalid'],
    ['ocf::Dummy', 'invalid'],
    ['ocf:a:b:c', 'invalid'],
    [':x', 'invalid'],
  ];
  for (const [input, want] of table) {
    const got = parseAgentName(input);
    if (want === 'invalid') t.match(got, { code: 'AGENT_NAME_INVALID', value: input }, input);
    else t.same(got, want, input);
  }
});

const OCF_1_0 = `<?xml version="1.0"?>
<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">
<resource-agent name="Old">
  <version>1.0</version>
  <shortdesc lang="en">old style</shortdesc>
  <parameters>
    <parameter name="addr" unique="1" required="1" deprecated="1"><content type="string"/></parameter>
    <parameter name="ip" obsoletes="addr" unique="1"><shortdesc lang="en">the IP</shortdesc><content type="string" default="127.0.0.1"/></parameter>
    <parameter name="mode"><content type="select" default="a"><option value="a"/><option value="b"/></content></parameter>
    <parameter name="trace_ra"><content type="integer"/></parameter>
  </parameters>
  <actions>
    <action name="start" timeout="20s"/>
    <action name="monitor" timeout="20s" interval="10s" depth="0" role="Master"/>
    <action name="monitor" timeout="30s" depth="10"/>
    <action name="status" timeout="20s"/>
    <action name="meta-data" timeout="5s"/>
    <action name="validate-all" timeout="5s"/>
    <action name="notify" timeout="5s" start-delay="2s"/>
  </actions>
</resource-agent>`;

t.test('OCF 1.0 metadata: obsoletes, unique, select values, role translation, trace parameters', async (t) => {
  const m = meta(parseAgentMetadata(ocf('heartbeat', 'Old'), OCF_1_0));
  t.equal(m.ocfVersion, '1.0');
  t.same(m.parameters.map((p) => [p.name, p.required, p.deprecated, p.deprecatedBy, p.uniqueGroup]), [
    ['addr', true, true, ['ip'], '_pcs_unique_group_addr'],
    ['ip', false, false, [], '_pcs_unique_group_ip'],
    ['mode', false, false, [], undefined],
    ['trace_ra', false, false, [], undefined],
    ['trace_file', false, false, [], undefined],
  ]);
  t.same(m.parameters[2].enumValues, ['a', 'b']);
  t.equal(m.parameters[1].default, '127.0.0.1');
  t.equal(m.actions[1].role, 'Promoted', 'Master is read as Promoted');
  t.equal(meta(parseAgentMetadata(ocf('acme', 'Old'), OCF_1_0)).parameters.length, 4, 'trace parameters only for heartbeat and pacemaker agents');
});

t.test('OCF 1.1 metadata: deprecated with replaced-with, unique-group, reloadable', async (t) => {
  const xml = `<resource-agent name="New"><version>1.1</version><parameters>
    <parameter name="a" reloadable="1" unique-group="g"><deprecated><replaced-with name="b"/><replaced-with name="c"/></deprecated></parameter>
    <parameter name="b" required="1" unique-group="g"/>
  </parameters><actions><action name="monitor" interval="5s" role="Unpromoted"/></actions></resource-agent>`;
  const m = meta(parseAgentMetadata(ocf('acme', 'New'), xml));
  t.same(m.parameters.map((p) => [p.name, p.deprecated, p.deprecatedBy, p.uniqueGroup, p.reloadable, p.required]), [
    ['a', true, ['b', 'c'], 'g', true, false],
    ['b', false, [], 'g', false, true],
  ]);
  t.same(m.actions, [{ name: 'monitor', interval: '5s', role: 'Unpromoted', automatic: false, onTarget: false }]);
});

t.test('metadata berth cannot use is a failure that --force may override', async (t) => {
  const table: [string, { kind: 'unavailable'; reason: RegExp } | { kind: 'ocf-version'; version: string }][] = [
    ['not xml', { kind: 'unavailable', reason: /not well-formed/ }],
    ['<resource-agent name="x"><version>2.0</version></resource-agent>', { kind: 'ocf-version', version: '2.0' }],
    ['<agent name="x"/>', { kind: 'unavailable', reason: /root element is <agent>/ }],
    ['<resource-agent/>', { kind: 'unavailable', reason: /no attribute 'name'/ }],
    ['<resource-agent name="x"><bogus/></resource-agent>', { kind: 'unavailable', reason: /'bogus' is not allowed/ }],
    ['<resource-agent name="x"><actions><action/></actions></resource-agent>', { kind: 'unavailable', reason: /'action' has no attribute 'name'/ }],
    ['<resource-agent name="x"><actions><action name="m" role="Leader"/></actions></resource-agent>', { kind: 'unavailable', reason: /role 'Leader'/ }],
    ['<!DOCTYPE r [<!ENTITY e "boom">]><resource-agent name="x"/>', { kind: 'unavailable', reason: /internal subset/ }],
  ];
  for (const [xml, want] of table) t.match(parseAgentMetadata(ocf('acme', 'x'), xml), { agent: 'ocf:acme:x', ...want }, xml);
  t.match(agentFailureProblem({ kind: 'ocf-version', agent: 'ocf:acme:x', version: '2.0' }), {
    code: 'AGENT_UNKNOWN',
    forceable: true,
    message: "Unable to process agent 'ocf:acme:x' as it implements unsupported OCF version '2.0', supported versions are: '1.0', '1.1'",
  });
});

t.test('default operations (pcs get_default_operations)', async (t) => {
  const m = meta(parseAgentMetadata(ocf('heartbeat', 'Old'), OCF_1_0));
  t.same(defaultOperations(m, false), [
    { name: 'start', interval: '0s', timeout: '20s' },
    { name: 'monitor', interval: '10s', timeout: '20s', role: 'Promoted' },
    { name: 'monitor', interval: '60s', timeout: '30s', checkLevel: '10' },
    { name: 'notify', interval: '0s', timeout: '5s', startDelay: '2s' },
  ], 'status, meta-data and validate-all are not operations; depth 0 is no check level');
  t.same(defaultOperations(m, true).map((o) => o.name), ['monitor', 'monitor'], 'necessary only: the monitors');
  t.same(defaultOperations(voidMetadata(ocf('x', 'y')), false), [{ name: 'monitor', interval: '60s' }], 'monitor even when the agent has none');
  t.same(defaultOperations({ ...m, name: { standard: 'stonith', type: 'fence_x' } }, false).map((o) => o.name), ['monitor', 'monitor'], 'fence agents: monitor only');
});

t.test('a bare type is guessed when exactly one agent has it (any case)', async (t) => {
  const cat: AgentCatalog = {
    metadataXml: () => ({ error: 'unused' }),
    list: () => [
      { standard: 'lsb', types: ['dbus'] },
      { standard: 'ocf', provider: 'heartbeat', types: ['apache', 'Dummy'] },
      { standard: 'ocf', provider: 'pacemaker', types: ['Dummy'] },
      { standard: 'service', types: ['dbus'] },
    ],
  };
  const apache = guessAgentName(cat, 'APACHE');
  t.same(isProblem(apache) ? apache : apache.name, ocf('heartbeat', 'apache'));
  t.match(guessAgentName(cat, 'dummy'), { code: 'AGENT_NAME_INVALID', message: "Multiple agents match 'dummy', please specify full name: 'ocf:heartbeat:Dummy' or 'ocf:pacemaker:Dummy'" });
  t.match(guessAgentName(cat, 'dbus'), { message: "Multiple agents match 'dbus', please specify full name: 'lsb:dbus' or 'service:dbus'" });
  t.match(guessAgentName(cat, 'nope'), { message: "Unable to find agent 'nope', try specifying its full name" });
});
