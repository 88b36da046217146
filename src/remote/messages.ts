// The executor's messages as berth writes and reads them: the requests lrmd_client.c builds
// (lrmd_create_op + lrmd_calldata) and the replies and notifications execd_commands.c sends,
// with the XML names of include/crm/lrmd.h (Pacemaker 2.1.5). Pure.
import { child, el, elements, type Attrs, type XmlElement } from '../cib/xml';
import { ocfResultName, execStatusName } from './results';

/** LRMD_PROTOCOL_VERSION of 2.1.5; the server refuses below LRMD_MIN_PROTOCOL_VERSION 1.0. */
export const LRMD_PROTOCOL_VERSION = '1.1';
/** CRM_FEATURE_SET of 2.1.5: the controller passes it to every action as the parameter crm_feature_set. */
export const CRM_FEATURE_SET = '3.16.2';
/** The PSK identity (DEFAULT_REMOTE_USERNAME). */
export const PSK_IDENTITY = 'lrmd';
export const DEFAULT_REMOTE_PORT = 3121;

/** enum lrmd_call_options: the controller registers with drop-recurring and executes with changes-only. */
export const CALL_OPTIONS = { none: 0, notifyOriginOnly: 1 << 1, dropRecurring: 0x3, notifyChangesOnly: 1 << 2 } as const;

/** The executor operations (LRMD_OP_*) berth sends. */
export const OPS = {
  register: 'register',
  rscRegister: 'lrmd_rsc_register',
  rscUnregister: 'lrmd_rsc_unregister',
  rscExec: 'lrmd_rsc_exec',
  rscCancel: 'lrmd_rsc_cancel',
  rscInfo: 'lrmd_rsc_info',
  getRecurring: 'lrmd_get_recurring',
  poke: 'lrmd_rsc_poke',
  ipcForward: 'ipc_fwd',
} as const;

/** lrmd_remote_msg_type: what a message on the wire is. */
export type WireKind = 'request' | 'reply' | 'notify';

/** A message made ready to send: the element, stamped with its wire id and kind. */
export function stamp(msg: XmlElement, id: number, kind: WireKind): XmlElement {
  msg.attrs.lrmd_remote_msg_id = String(id);
  msg.attrs.lrmd_remote_msg_type = kind;
  return msg;
}

/** The sign-on (lrmd_handshake): berth advertises itself as the IPC proxy provider, as the controller does. */
export function registerRequest(clientName: string, ipcProvider = true): XmlElement {
  return el('lrmd_command', { t: 'lrmd', lrmd_op: OPS.register, lrmd_clientname: clientName, lrmd_protocol_version: LRMD_PROTOCOL_VERSION, ...(ipcProvider ? { lrmd_is_ipc_provider: 'true' } : {}) });
}

/** A command after sign-on (lrmd_create_op): the token from the sign-on, the op, its data in lrmd_calldata. */
export function command(token: string, op: string, data: XmlElement | undefined, timeoutMs: number, callOptions: number): XmlElement {
  const msg = el('lrmd_command', { __name__: 'lrmd_command', t: 'lrmd', lrmd_async_id: token, lrmd_op: op, lrmd_timeout: String(timeoutMs), lrmd_callopt: String(callOptions) });
  if (data) msg.children.push(el('lrmd_calldata', {}, [data]));
  return msg;
}

export interface ResourceSpec {
  id: string;
  /** Resource class: ocf, lsb, systemd, service, stonith. */
  class: string;
  /** Needed for ocf. */
  provider?: string;
  type: string;
}

const rsc = (origin: string, attrs: Attrs, children: XmlElement[] = []) => el('lrmd_rsc', { lrmd_origin: origin, ...attrs }, children);

export const rscRegisterData = (r: ResourceSpec) =>
  rsc('lrmd_api_register_rsc', { lrmd_rsc_id: r.id, lrmd_class: r.class, ...(r.provider !== undefined ? { lrmd_provider: r.provider } : {}), lrmd_type: r.type });
export const rscIdData = (origin: string, id: string) => rsc(origin, { lrmd_rsc_id: id });

export interface ExecRequest {
  /** start, stop, monitor, promote, demote, notify, reload-agent, ... */
  action: string;
  /** 0 for a one-shot operation; a recurring operation runs in the executor every interval. */
  intervalMs?: number;
  timeoutMs: number;
  startDelayMs?: number;
  /**
   * The agent's instance attributes and the CRM_meta_* a cluster passes with them, as the caller
   * makes them (src/model/inner.ts opParams): agents read them, and crm_attribute finds its node
   * through CRM_meta_on_node.
   */
  params?: Readonly<Record<string, string>>;
  /** Carried back in every result (the controller puts its transition key here). */
  userData?: string;
}

/** lrmd_api_exec's data: the op, and its parameters (as given) as attributes of <attributes> (hash2smartfield). */
export function execData(rscId: string, op: ExecRequest): XmlElement {
  const args = el('attributes');
  for (const [k, v] of Object.entries(op.params ?? {})) {
    if (/^[0-9]/.test(k)) args.children.push(el('param', { name: k, value: v })); // an attribute name may not start with a digit
    else args.attrs[k] = v;
  }
  return rsc('lrmd_api_exec', {
    lrmd_rsc_id: rscId,
    lrmd_rsc_action: op.action,
    ...(op.userData !== undefined ? { lrmd_rsc_userdata_str: op.userData } : {}),
    lrmd_rsc_interval: String(op.intervalMs ?? 0),
    lrmd_timeout: String(op.timeoutMs),
    lrmd_rsc_start_delay: String(op.startDelayMs ?? 0),
  }, [args]);
}

export const cancelData = (rscId: string, action: string, intervalMs: number) =>
  rsc('lrmd_api_cancel', { lrmd_rsc_action: action, lrmd_rsc_id: rscId, lrmd_rsc_interval: String(intervalMs) });

/** One finished run of an operation, as the executor reports it (lrmd_notify for lrmd_rsc_exec). */
export interface OpResult {
  callId: number;
  rscId: string;
  action: string;
  intervalMs: number;
  /** The agent's exit code mapped to OCF (lrmd_exec_rc), and its name. */
  rc: number;
  rcName: string;
  /** How the execution went (lrmd_exec_op_status), and its name. */
  status: number;
  statusName: string;
  exitReason?: string;
  /** The agent's stderr, or its stdout when stderr was empty. */
  output?: string;
  /** Epoch seconds of this run and of the last change of rc (0 when unknown). */
  runAt: number;
  rcChangedAt: number;
  execMs: number;
  queueMs: number;
  timeoutMs: number;
  userData?: string;
  /** The resource was unregistered while this ran. */
  resourceDeleted: boolean;
}

const int = (s: string | undefined) => (s === undefined || s === '' ? 0 : Number.parseInt(s, 10) || 0);

export function readOpResult(n: XmlElement): OpResult {
  const a = n.attrs;
  const rc = int(a.lrmd_exec_rc), status = int(a.lrmd_exec_op_status);
  const r: OpResult = {
    callId: int(a.lrmd_callid), rscId: a.lrmd_rsc_id ?? '', action: a.lrmd_rsc_action ?? '', intervalMs: int(a.lrmd_rsc_interval),
    rc, rcName: ocfResultName(rc), status, statusName: execStatusName(status),
    runAt: int(a.lrmd_run_time), rcChangedAt: int(a.lrmd_rcchange_time), execMs: int(a.lrmd_exec_time), queueMs: int(a.lrmd_queue_time),
    timeoutMs: int(a.lrmd_timeout), resourceDeleted: int(a.lrmd_rsc_deleted) !== 0,
  };
  if (a.lrmd_rsc_exit_reason !== undefined) r.exitReason = a.lrmd_rsc_exit_reason;
  if (a.lrmd_rsc_output !== undefined) r.output = a.lrmd_rsc_output;
  if (a.lrmd_rsc_userdata_str !== undefined) r.userData = a.lrmd_rsc_userdata_str;
  return r;
}

/** A reply's return code (lrmd_rc): 0 or a positive call id on success, -errno on refusal. */
export const replyRc = (reply: XmlElement): number => int(reply.attrs.lrmd_rc);

export interface RecurringOp { rscId: string; action: string; intervalMs: number; timeoutMs: number }

/** lrmd_get_recurring's reply: <lrmd_rsc lrmd_rsc_id><lrmd_rsc_op .../></lrmd_rsc> per resource. */
export function readRecurringOps(reply: XmlElement): RecurringOp[] {
  return elements(reply, 'lrmd_rsc').flatMap((r) =>
    elements(r, 'lrmd_rsc_op').map((o) => ({ rscId: r.attrs.lrmd_rsc_id ?? '', action: o.attrs.lrmd_rsc_action ?? '', intervalMs: int(o.attrs.lrmd_rsc_interval), timeoutMs: int(o.attrs.lrmd_timeout) })));
}

/** lrmd_rsc_info's reply, or undefined for a resource the executor does not have. */
export function readResourceInfo(reply: XmlElement): ResourceSpec | undefined {
  const a = reply.attrs;
  if (replyRc(reply) < 0 || a.lrmd_class === undefined || a.lrmd_type === undefined) return undefined;
  return { id: a.lrmd_rsc_id ?? '', class: a.lrmd_class, ...(a.lrmd_provider !== undefined ? { provider: a.lrmd_provider } : {}), type: a.lrmd_type };
}

/** The message inside a proxied IPC envelope (get_message_xml: the first child of lrmd_ipc_msg). */
export function innerMessage(envelope: XmlElement, field: string): XmlElement | undefined {
  const holder = child(envelope, field);
  return holder ? elements(holder)[0] : undefined;
}

/** errno names for the executor's negative return codes berth reports. */
const ERRNO: Record<number, string> = { 1: 'EPERM', 13: 'EACCES', 19: 'ENODEV', 22: 'EINVAL', 71: 'EPROTO', 95: 'EOPNOTSUPP', 115: 'EINPROGRESS', 107: 'ENOTCONN' };
export const errnoName = (rc: number) => ERRNO[-rc] ?? `errno ${-rc}`;
