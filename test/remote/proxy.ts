// The IPC proxy (src/remote/proxy.ts): each message pacemaker-remoted forwards, as it words it
// (remoted_proxy.c), and what berth answers and learns. One session's messages run in order.
import t from 'tap';
import { parseXml, serializeXmlLine } from '../../src/cib/xml';
import { IpcProxy, proxyEnvelope, type AttributeUpdate } from '../../src/remote/proxy';

const NODE = 'Web-Bundle-0';
const PROXIED_WITH_RESPONSE = 0x300;

const fromRemoted = (op: string, session: string, extra = '', inner = '') =>
  parseXml(`<lrmd_ipc_proxy lrmd_ipc_op="${op}" lrmd_ipc_session="${session}" ${extra} lrmd_remote_msg_type="notify">${inner ? `<lrmd_ipc_msg>${inner}</lrmd_ipc_msg>` : ''}</lrmd_ipc_proxy>`);
const request = (session: string, msgId: number, inner: string, flags = PROXIED_WITH_RESPONSE) =>
  fromRemoted('request', session, `lrmd_ipc_msg_id="${msgId}" lrmd_ipc_msg_flags="${flags}" lrmd_ipc_client="proxy-attrd-1"`, inner);
const attrdUpdate = (attrs: string) => `<attrd_update t="attrd" src="crm_attribute" task="update" ${attrs} attr_is_remote="1" attr_is_private="0"/>`;
const cib = (attrs: string) => `<cib_command t="cib" cib_callid="2" cib_clientid="c1" cib_callopt="4352" ${attrs}/>`;

interface Step {
  name: string;
  msg: ReturnType<typeof parseXml>;
  /** The replies as one-line XML envelopes, and the attributes learned. */
  replies: string[];
  attributes?: AttributeUpdate[];
}

const steps: Step[] = [
  { name: 'a new attrd session', msg: fromRemoted('new', 's1', 'lrmd_ipc_server="attrd"'), replies: [] },
  {
    name: 'crm_attribute --promotion -v 10: recorded for the guest node, acknowledged',
    msg: request('s1', 1, attrdUpdate('attr_name="master-db" attr_value="10"')),
    replies: ['<lrmd_ipc_proxy lrmd_ipc_op="response" lrmd_ipc_session="s1" lrmd_ipc_msg_id="1" lrmd_op="ipc_fwd"><lrmd_ipc_msg><ack function="attrd_ipc_dispatch" line="0" status="0"/></lrmd_ipc_msg></lrmd_ipc_proxy>'],
    attributes: [{ node: NODE, name: 'master-db', value: '10', task: 'update' }],
  },
  {
    name: 'an update naming its node, without waiting for an answer: an event',
    msg: request('s1', 2, attrdUpdate('attr_name="pingd" attr_value="1" attr_host="other"'), 0x100),
    replies: ['<lrmd_ipc_proxy lrmd_ipc_op="event" lrmd_ipc_session="s1" lrmd_op="ipc_fwd"><lrmd_ipc_msg><ack function="attrd_ipc_dispatch" line="0" status="0"/></lrmd_ipc_msg></lrmd_ipc_proxy>'],
    attributes: [{ node: 'other', name: 'pingd', value: '1', task: 'update' }],
  },
  {
    name: 'a query is answered from what agents set',
    msg: request('s1', 3, '<attrd_query t="attrd" task="query" attr_name="master-db"/>'),
    replies: [`<lrmd_ipc_proxy lrmd_ipc_op="response" lrmd_ipc_session="s1" lrmd_ipc_msg_id="3" lrmd_op="ipc_fwd"><lrmd_ipc_msg><build_query_reply t="attrd" subt="query" attr_protocol="4" attr_name="master-db"><node attr_host="${NODE}" attr_value="10"/></build_query_reply></lrmd_ipc_msg></lrmd_ipc_proxy>`],
  },
  {
    name: 'crm_attribute --promotion -D: an update without value removes it',
    msg: request('s1', 4, attrdUpdate('attr_name="master-db"')),
    replies: ['<lrmd_ipc_proxy lrmd_ipc_op="response" lrmd_ipc_session="s1" lrmd_ipc_msg_id="4" lrmd_op="ipc_fwd"><lrmd_ipc_msg><ack function="attrd_ipc_dispatch" line="0" status="0"/></lrmd_ipc_msg></lrmd_ipc_proxy>'],
    attributes: [{ node: NODE, name: 'master-db', task: 'update' }],
  },
  {
    name: 'a query for an attribute no agent set: no attr_name (attrd: ENXIO)',
    msg: request('s1', 5, '<attrd_query t="attrd" task="query" attr_name="master-db"/>'),
    replies: ['<lrmd_ipc_proxy lrmd_ipc_op="response" lrmd_ipc_session="s1" lrmd_ipc_msg_id="5" lrmd_op="ipc_fwd"><lrmd_ipc_msg><build_query_reply t="attrd" subt="query" attr_protocol="4"/></lrmd_ipc_msg></lrmd_ipc_proxy>'],
  },
  {
    name: 'an update by pattern is passed on as a pattern',
    msg: request('s1', 6, `<attrd_update t="attrd" task="update" attr_regex="^fail-count-" />`),
    replies: ['<lrmd_ipc_proxy lrmd_ipc_op="response" lrmd_ipc_session="s1" lrmd_ipc_msg_id="6" lrmd_op="ipc_fwd"><lrmd_ipc_msg><ack function="attrd_ipc_dispatch" line="0" status="0"/></lrmd_ipc_msg></lrmd_ipc_proxy>'],
    attributes: [{ node: NODE, name: '^fail-count-', pattern: true, task: 'update' }],
  },
  { name: 'the session ends', msg: fromRemoted('destroy', 's1'), replies: [] },
  {
    name: 'a request on an ended session: destroyed',
    msg: request('s1', 7, attrdUpdate('attr_name="x" attr_value="1"')),
    replies: ['<lrmd_ipc_proxy lrmd_ipc_op="destroy" lrmd_ipc_session="s1" lrmd_op="ipc_fwd"/>'],
  },
  { name: 'the controller (crmd) is not served', msg: fromRemoted('new', 's2', 'lrmd_ipc_server="crmd"'), replies: ['<lrmd_ipc_proxy lrmd_ipc_op="destroy" lrmd_ipc_session="s2" lrmd_op="ipc_fwd"/>'] },
  { name: 'a new CIB session', msg: fromRemoted('new', 's3', 'lrmd_ipc_server="cib_rw"'), replies: [] },
  {
    name: 'the CIB sign-on',
    msg: request('s3', 1, '<cib_command t="cib" cib_op="register" cib_clientname="crm_attribute" cib_callopt="4096"/>'),
    replies: ['<lrmd_ipc_proxy lrmd_ipc_op="response" lrmd_ipc_session="s3" lrmd_ipc_msg_id="1" lrmd_op="ipc_fwd"><lrmd_ipc_msg><cib_command t="cib" cib_op="register" cib_clientid="s3"/></lrmd_ipc_msg></lrmd_ipc_proxy>'],
  },
  {
    name: "query_node_uuid's xpath for the guest node (lower-cased): its node_state",
    msg: request('s3', 2, cib(`cib_op="cib_query" cib_section="/cib/configuration/nodes/node[translate(@uname,'ABC','abc') ='web-bundle-0']|/cib/status/node_state[@remote_node='true'][translate(@id,'ABC','abc') ='web-bundle-0']"`)),
    replies: [`<lrmd_ipc_proxy lrmd_ipc_op="response" lrmd_ipc_session="s3" lrmd_ipc_msg_id="2" lrmd_op="ipc_fwd"><lrmd_ipc_msg><cib-reply t="cib" cib_op="cib_query" cib_callid="2" cib_clientid="c1" cib_callopt="4352" cib_rc="0"><cib_calldata><node_state id="${NODE}" uname="${NODE}" remote_node="true"/></cib_calldata></cib-reply></lrmd_ipc_msg></lrmd_ipc_proxy>`],
  },
  {
    name: 'the same query for another node: nothing (ENXIO)',
    msg: request('s3', 3, cib(`cib_op="cib_query" cib_section="/cib/configuration/nodes/node[translate(@uname,'A','a') ='other']"`)),
    replies: ['<lrmd_ipc_proxy lrmd_ipc_op="response" lrmd_ipc_session="s3" lrmd_ipc_msg_id="3" lrmd_op="ipc_fwd"><lrmd_ipc_msg><cib-reply t="cib" cib_op="cib_query" cib_callid="2" cib_clientid="c1" cib_callopt="4352" cib_rc="-6"/></lrmd_ipc_msg></lrmd_ipc_proxy>'],
  },
  {
    name: 'the same query for the host node (container-attribute-target=host): a cluster node',
    msg: request('s3', 3, cib(`cib_op="cib_query" cib_section="/cib/configuration/nodes/node[translate(@uname,'ABC','abc') ='node1']|/cib/status/node_state[@remote_node='true'][translate(@id,'ABC','abc') ='node1']"`)),
    replies: ['<lrmd_ipc_proxy lrmd_ipc_op="response" lrmd_ipc_session="s3" lrmd_ipc_msg_id="3" lrmd_op="ipc_fwd"><lrmd_ipc_msg><cib-reply t="cib" cib_op="cib_query" cib_callid="2" cib_clientid="c1" cib_callopt="4352" cib_rc="0"><cib_calldata><node id="node1" uname="node1"/></cib_calldata></cib-reply></lrmd_ipc_msg></lrmd_ipc_proxy>'],
  },
  {
    name: 'another query naming the node (a permanent attribute, crm_master without -l reboot): nothing',
    msg: request('s3', 4, cib(`cib_op="cib_query" cib_section="//cib/configuration/nodes/node[@id='web-bundle-0']//instance_attributes//nvpair[@name='master-db']"`)),
    replies: ['<lrmd_ipc_proxy lrmd_ipc_op="response" lrmd_ipc_session="s3" lrmd_ipc_msg_id="4" lrmd_op="ipc_fwd"><lrmd_ipc_msg><cib-reply t="cib" cib_op="cib_query" cib_callid="2" cib_clientid="c1" cib_callopt="4352" cib_rc="-6"/></lrmd_ipc_msg></lrmd_ipc_proxy>'],
  },
  {
    name: 'a CIB write: refused (EACCES)',
    msg: request('s3', 5, cib('cib_op="cib_modify" cib_section="status"')),
    replies: ['<lrmd_ipc_proxy lrmd_ipc_op="response" lrmd_ipc_session="s3" lrmd_ipc_msg_id="5" lrmd_op="ipc_fwd"><lrmd_ipc_msg><cib-reply t="cib" cib_op="cib_modify" cib_callid="2" cib_clientid="c1" cib_callopt="4352" cib_rc="-13"/></lrmd_ipc_msg></lrmd_ipc_proxy>'],
  },
];

t.test('one connection\'s proxied sessions, message by message', async (t) => {
  const proxy = new IpcProxy(NODE, 'node1');
  for (const s of steps) {
    const out = proxy.handle(s.msg);
    t.same({ replies: out.replies.map((r) => serializeXmlLine(proxyEnvelope(r))), attributes: out.attributes }, { replies: s.replies, attributes: s.attributes ?? [] }, s.name);
  }
});
