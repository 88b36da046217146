// The IPC proxy, the cluster's side. Tools an agent runs inside the replica (crm_attribute,
// crm_master) talk to attrd and the CIB manager over local IPC; pacemaker-remoted forwards each
// IPC session over the executor connection as lrmd_ipc_proxy messages (new, request, destroy) and
// expects response/event/destroy back (remoted_proxy.c; the controller's side is proxy_common.c).
// berth answers them itself, as the cluster's attrd and CIB manager would for the requests agents
// make, and refuses the rest by ending the session. Pure: a message in, replies and attributes out.
import { el, type XmlElement } from '../cib/xml';
import { innerMessage } from './messages';

/** crm_ipc_flags bits of a proxied request (include/crm/common/ipc.h). */
const IPC_CLIENT_RESPONSE = 0x200;

/** IPC servers (channels) berth answers: attrd, and the CIB manager's three. */
const ATTRD = 'attrd';
const CIB_CHANNELS = new Set(['cib_ro', 'cib_rw', 'cib_shm']);

/** A node attribute an agent set (value) or removed (no value), e.g. `master-db` = 10. */
export interface AttributeUpdate {
  /** The node it is for: the request's attr_host, else the guest node of this connection. */
  node: string;
  /** The attribute, or with `pattern` a regular expression over attribute names. */
  name: string;
  value?: string;
  pattern?: boolean;
  /** attrd's task: update, update-both or update-delay. */
  task: string;
}

/** What to send back to pacemaker-remoted: for one proxied session, or the answer to a shutdown request. */
export interface ProxyReply {
  op: 'response' | 'event' | 'destroy' | 'shutdown_nack';
  session?: string;
  msgId?: number;
  msg?: XmlElement;
}

export interface ProxyOutcome {
  replies: ProxyReply[];
  attributes: AttributeUpdate[];
  /** pacemaker-remoted got SIGTERM and asks whether to wait for the cluster (shutdown_req). */
  shutdownRequested?: boolean;
}

const ENXIO = -6;
const EACCES = -13;

/** The proxied sessions of one executor connection, and the attributes its agents set. */
export class IpcProxy {
  private readonly sessions = new Map<string, string>();
  /** Values agents set through this connection, answered back to attrd queries. */
  private readonly learned = new Map<string, Map<string, string>>();

  /**
   * `node`: the guest node this executor runs, as the cluster names it. `hostNode`: the cluster node
   * that runs the container, known to agents as CRM_meta_physical_host: with the resource's
   * container-attribute-target=host, they set their attributes for it.
   */
  constructor(private readonly node: string, private readonly hostNode?: string) {}

  handle(msg: XmlElement): ProxyOutcome {
    const out: ProxyOutcome = { replies: [], attributes: [] };
    const a = msg.attrs;
    const session = a.lrmd_ipc_session ?? '';
    switch (a.lrmd_ipc_op) {
      case 'new':
        if (a.lrmd_ipc_server === ATTRD || CIB_CHANNELS.has(a.lrmd_ipc_server ?? '')) this.sessions.set(session, a.lrmd_ipc_server!);
        else out.replies.push({ op: 'destroy', session }); // crmd, stonith-ng: not served, the tool gets "not connected"
        return out;
      case 'destroy':
        this.sessions.delete(session);
        return out;
      case 'request': {
        const channel = this.sessions.get(session);
        const request = innerMessage(msg, 'lrmd_ipc_msg');
        if (channel === undefined || request === undefined) {
          out.replies.push({ op: 'destroy', session });
          return out;
        }
        const answer = channel === ATTRD ? this.attrd(request, out) : this.cib(request, session);
        const msgId = Number(a.lrmd_ipc_msg_id ?? 0);
        const wantsResponse = (Number(a.lrmd_ipc_msg_flags ?? 0) & IPC_CLIENT_RESPONSE) !== 0;
        if (answer) out.replies.push(wantsResponse ? { op: 'response', session, msgId, msg: answer } : { op: 'event', session, msg: answer });
        return out;
      }
      case 'shutdown_req':
        out.shutdownRequested = true;
        return out;
      default:
        return out;
    }
  }

  /** attrd (daemons/attrd/attrd_ipc.c): updates are recorded and acknowledged, queries answered from them. */
  private attrd(req: XmlElement, out: ProxyOutcome): XmlElement | undefined {
    const r = req.attrs;
    const task = r.task ?? '';
    if (task === 'update' || task === 'update-both' || task === 'update-delay') {
      const node = r.attr_host ?? this.node;
      const pattern = r.attr_regex !== undefined;
      const name = pattern ? r.attr_regex! : r.attr_name;
      if (name !== undefined) {
        const u: AttributeUpdate = { node, name, task, ...(r.attr_value !== undefined ? { value: r.attr_value } : {}), ...(pattern ? { pattern } : {}) };
        if (!pattern && task !== 'update-delay') this.remember(u);
        out.attributes.push(u);
      }
      return ack(0);
    }
    if (task === 'query') {
      const node = r.attr_host && r.attr_host !== 'localhost' ? r.attr_host : this.node;
      const value = r.attr_name !== undefined ? this.learned.get(node)?.get(r.attr_name) : undefined;
      const reply = el('build_query_reply', { t: 'attrd', subt: 'query', attr_protocol: '4' });
      if (value !== undefined) {
        reply.attrs.attr_name = r.attr_name!;
        reply.children.push(el('node', { attr_host: node, attr_value: value }));
      }
      return reply;
    }
    return ack(0); // clear-failure, refresh, peer-remove: nothing for berth to keep
  }

  /** The attributes agents set through this connection and did not remove, by node. */
  attributes(): Record<string, Record<string, string>> {
    const out: Record<string, Record<string, string>> = {};
    for (const [node, m] of this.learned) if (m.size) out[node] = Object.fromEntries(m);
    return out;
  }

  private remember(u: AttributeUpdate): void {
    let m = this.learned.get(u.node);
    if (!m) this.learned.set(u.node, (m = new Map()));
    if (u.value === undefined || u.value === '') m.delete(u.name);
    else m.set(u.name, u.value);
  }

  /**
   * The CIB manager (based), for what crm_attribute asks before it writes through attrd: the
   * sign-on, and the query mapping the node name to its id (cib_attrs.c query_node_uuid), answered
   * for this guest node (its status entry, a remote node) and for the host node (a cluster node,
   * whose id berth takes to be its name). Other queries find nothing; writes are refused.
   */
  private cib(req: XmlElement, session: string): XmlElement {
    const r = req.attrs;
    if (r.cib_op === 'register') return el('cib_command', { t: 'cib', cib_op: 'register', cib_clientid: session });
    const reply = el('cib-reply', { t: 'cib', cib_op: r.cib_op ?? '', cib_callid: r.cib_callid ?? '0', cib_clientid: r.cib_clientid ?? session, cib_callopt: r.cib_callopt ?? '0' });
    if (r.cib_op === 'cib_notify') return withRc(reply, 0);
    if (r.cib_op !== 'cib_query') return withRc(reply, EACCES);
    const section = r.cib_section ?? '';
    const found = isNodeIdQuery(section, this.node) ? el('node_state', { id: this.node, uname: this.node, remote_node: 'true' })
      : this.hostNode !== undefined && isNodeIdQuery(section, this.hostNode) ? el('node', { id: this.hostNode, uname: this.hostNode })
      : undefined;
    if (!found) return withRc(reply, ENXIO);
    reply.children.push(el('cib_calldata', {}, [found]));
    return withRc(reply, 0);
  }
}

/**
 * The xpath of query_node_uuid (cib_attrs.c XPATH_NODE) for this node: it looks the name up,
 * lower-cased, among nodes, remote resources, remote-node meta and remote node_states.
 */
function isNodeIdQuery(xpath: string, node: string): boolean {
  return xpath.startsWith('/cib/configuration/nodes/node[translate(@uname,') && xpath.includes(`') ='${node.toLowerCase()}']`);
}

const ack = (status: number) => el('ack', { function: 'attrd_ipc_dispatch', line: '0', status: String(status) });
const withRc = (reply: XmlElement, rc: number) => ((reply.attrs.cib_rc = String(rc)), reply);

/** The envelope of one reply, as proxy_common.c writes it (lrmd_internal_proxy_send adds lrmd_op). */
export function proxyEnvelope(r: ProxyReply): XmlElement {
  const env = el('lrmd_ipc_proxy', { lrmd_ipc_op: r.op });
  if (r.session !== undefined) env.attrs.lrmd_ipc_session = r.session;
  if (r.msgId !== undefined) env.attrs.lrmd_ipc_msg_id = String(r.msgId);
  if (r.msg) env.children.push(el('lrmd_ipc_msg', {}, [r.msg]));
  env.attrs.lrmd_op = 'ipc_fwd';
  return env;
}
