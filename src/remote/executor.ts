// A connection to a real pacemaker-remoted (Pacemaker 2.1.5's executor), spoken as the cluster
// node's controller speaks it (lib/lrmd/lrmd_client.c): TLS 1.2 with the authkey as pre-shared
// key, sign-on, resource registration, operations and their results, keepalive, and the IPC proxy
// that answers the agents' attribute updates. The network edge of src/remote; the messages,
// framing and proxy are pure modules beside it.
import * as tls from 'node:tls';
import { BerthError, problem, type Problem } from '../errors/registry';
import { el, parseXml, serializeXmlLine, type XmlElement } from '../cib/xml';
import { FrameDecoder, encodeFrame } from './wire';
import {
  CALL_OPTIONS, DEFAULT_REMOTE_PORT, LRMD_PROTOCOL_VERSION, OPS, PSK_IDENTITY,
  cancelData, command, errnoName, execData, readOpResult, readRecurringOps, readResourceInfo, registerRequest, replyRc, rscIdData, rscRegisterData, stamp,
  type ExecRequest, type OpResult, type RecurringOp, type ResourceSpec,
} from './messages';
import { IpcProxy, proxyEnvelope, type AttributeUpdate } from './proxy';
import { EXEC } from './results';

/** OpenSSL's PSK_MAX_PSK_LEN: Node cannot hand a longer key to TLS (GnuTLS, on the executor's side, could). */
export const MAX_PSK_BYTES = 512;

/**
 * GnuTLS on the executor's side allows "NORMAL:+DHE-PSK:+PSK" (PCMK_GNUTLS_PRIORITIES). DHE-PSK
 * first: forward secrecy (a key that leaks later does not open recorded traffic), for ~15 ms more
 * per connection; plain PSK after it. TLS 1.3 is off: its PSK handshake is another one.
 */
const PSK_CIPHERS = 'DHE-PSK-AES256-GCM-SHA384:DHE-PSK-AES128-GCM-SHA256:PSK-AES256-GCM-SHA384:PSK-AES128-GCM-SHA256';

export interface ConnectOptions {
  host: string;
  /** The bundle's control-port; Pacemaker's default 3121. */
  port?: number;
  /** The authkey's raw bytes (the whole file, as pacemaker-remoted reads it). */
  key: Buffer;
  /** The guest node the executor runs, as the cluster names it (`<bundle>-<n>`). */
  nodeName: string;
  /**
   * The node that runs the container (the CRM_meta_physical_host of its operations): agents that
   * honour container-attribute-target=host set their node attributes for it.
   */
  hostNode?: string;
  /** Connect + handshake + sign-on, and each request's answer (MAX_TLS_RECV_WAIT: 10 s). */
  timeoutMs?: number;
  /** lrmd_clientname; the controller signs on as "crmd". */
  clientName?: string;
  /** Sign on as the executor's IPC proxy provider (default true): the agents' attribute updates
   * and CIB queries then come over this connection (the executor uses the newest provider). */
  ipcProvider?: boolean;
  /** How often to poke the executor; a poke unanswered within timeoutMs closes the connection. 0: never. */
  keepaliveMs?: number;
  /** Time an operation's result may take beyond its own timeout before berth gives up (cluster-delay). */
  resultGraceMs?: number;
}

type Options = Required<Omit<ConnectOptions, 'hostNode'>> & Pick<ConnectOptions, 'hostNode'>;

export type CloseListener = (reason: Problem) => void;
export type AttributeListener = (update: AttributeUpdate) => void;
export type ResultListener = (result: OpResult) => void;

interface PendingRequest {
  /** Runs as the reply is read, before later messages: exec registers its call id here. */
  settle: (reply: XmlElement) => void;
  fail: (e: BerthError) => void;
  timer: NodeJS.Timeout;
}

interface RunningOp {
  recurring: boolean;
  /** rsc, action and interval: the executor merges a second exec of a recurring op into the first. */
  key: string;
  first?: { resolve: (r: OpResult) => void; reject: (e: BerthError) => void; timer: NodeJS.Timeout };
  onChange?: ResultListener;
}

const fail = (p: Problem) => new BerthError([p]);


/**
 * Errors of a TLS handshake the server ended because the key did not match (GnuTLS fails to
 * decrypt the client's Finished and drops the connection: a reset; or it sends an alert). A
 * handshake failure alert is not among them: that is no common cipher, a protocol matter.
 */
const KEY_MISMATCH = /bad record mac|decrypt error|decryption failed|unknown psk identity/i;
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL', 'ENETDOWN']);

/** The key as a TLS pre-shared key, or REMOTE_KEY_INVALID. */
export function checkKey(key: Buffer): void {
  if (key.length === 0 || key.length > MAX_PSK_BYTES) {
    throw fail(problem('REMOTE_KEY_INVALID', { path: 'authkey', value: String(key.length), allowed: `1..${MAX_PSK_BYTES} bytes`, message: key.length === 0
      ? 'the authkey is empty: pacemaker-remoted needs a key of random bytes (256, as pcs makes)'
      : `the authkey is ${key.length} bytes: TLS in berth (OpenSSL) takes a pre-shared key of at most ${MAX_PSK_BYTES} bytes; make a 256-byte key, as pcs does (dd if=/dev/urandom of=authkey bs=256 count=1), for the cluster and its bundles` }));
  }
}

export class RemoteExecutor {
  private readonly decoder = new FrameDecoder();
  private readonly pending = new Map<number, PendingRequest>();
  /** Ids of messages whose reply nobody waits for (proxy replies): the executor still answers them. */
  private readonly unawaited = new Set<number>();
  private readonly ops = new Map<number, RunningOp>();
  private readonly closeListeners = new Set<CloseListener>();
  private readonly attributeListeners = new Set<AttributeListener>();
  private readonly resultListeners = new Set<ResultListener>();
  /** The executor said it is stopping (SIGTERM): the close that follows is named so. */
  private stopping = false;
  private readonly proxy: IpcProxy;
  private nextId = 0;
  private writes: Promise<void> = Promise.resolve();
  private token = '';
  private closed: Problem | undefined;
  private keepalive: NodeJS.Timeout | undefined;
  /** The executor's protocol version (lrmd_protocol_version of its sign-on reply). */
  peerVersion = '';

  /** The TLS cipher the handshake settled on. */
  get cipher(): string {
    return this.socket.getCipher()?.name ?? '';
  }

  private constructor(private readonly socket: tls.TLSSocket, private readonly opts: Options) {
    this.proxy = new IpcProxy(opts.nodeName, opts.hostNode);
  }

  /** Connect, shake hands and sign on; or BerthError: unreachable, key refused, key invalid, timed out, protocol. */
  static async connect(options: ConnectOptions): Promise<RemoteExecutor> {
    const opts: Options = { port: DEFAULT_REMOTE_PORT, timeoutMs: 10_000, clientName: 'berth', ipcProvider: true, keepaliveMs: 10_000, resultGraceMs: 60_000, ...options };
    checkKey(opts.key);
    const socket = await openTls(opts);
    const ex = new RemoteExecutor(socket, opts);
    ex.attach();
    try {
      await ex.signOn();
    } catch (e) {
      ex.shut(e instanceof BerthError ? e.problems[0] : problem('REMOTE_PROTOCOL', { message: String(e) }));
      throw e;
    }
    if (opts.keepaliveMs > 0) ex.keepalive = setInterval(() => ex.poke().catch(() => { /* shut() already reported it */ }), opts.keepaliveMs).unref();
    return ex;
  }

  get where(): string {
    return `${this.opts.host}:${this.opts.port}`;
  }

  /** Called once when the connection ends (not after close() by berth itself), with why. */
  onClose(listener: CloseListener): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** Node attributes the agents set or remove (crm_attribute --promotion: `master-<rsc>`). */
  onAttribute(listener: AttributeListener): () => void {
    this.attributeListeners.add(listener);
    return () => this.attributeListeners.delete(listener);
  }

  /** Every result the executor reports on this connection, whoever asked for the operation: it
   * tells every client of an executor the results of the recurring operations it runs. */
  onResult(listener: ResultListener): () => void {
    this.resultListeners.add(listener);
    return () => this.resultListeners.delete(listener);
  }

  /**
   * Node attributes the agents set through this connection and did not remove, by node: the
   * whole state, for a pass that reads it rather than following onAttribute.
   */
  nodeAttributes(): Record<string, Record<string, string>> {
    return this.proxy.attributes();
  }

  async registerResource(r: ResourceSpec): Promise<void> {
    await this.call(OPS.rscRegister, rscRegisterData(r), `register ${r.id}`, CALL_OPTIONS.dropRecurring);
  }

  /** Forget a resource; its running operations end with resourceDeleted set. */
  async unregisterResource(id: string): Promise<void> {
    await this.call(OPS.rscUnregister, rscIdData('lrmd_api_unregister_rsc', id), `unregister ${id}`, 0, [-115 /* EINPROGRESS: an op still runs */]);
  }

  /** What the executor has registered under `id`, or undefined. */
  async resourceInfo(id: string): Promise<ResourceSpec | undefined> {
    return readResourceInfo(await this.request(OPS.rscInfo, rscIdData('lrmd_api_get_rsc_info', id)));
  }

  /** The recurring operations the executor runs (of one resource, or of all). */
  async recurringOps(rscId?: string): Promise<RecurringOp[]> {
    const reply = await this.call(OPS.getRecurring, rscId === undefined ? undefined : rscIdData('lrmd_api_get_recurring_ops', rscId), 'list recurring operations');
    return readRecurringOps(reply);
  }

  /**
   * Run an operation (its params as the caller gives them, CRM_meta_* included). A one-shot
   * operation resolves with its result. A recurring one (intervalMs
   * > 0) keeps running in the executor, which reports its first result (resolved here) and then
   * only changes, each passed to `onChange`; the last is its cancellation (status cancelled, also
   * when a stop cancels it). The same recurring op again replaces it: only the new listener hears.
   * When the connection ends, `onClose` says so; the listener hears nothing more.
   */
  exec(rscId: string, op: ExecRequest, onChange?: ResultListener): Promise<OpResult> {
    const recurring = (op.intervalMs ?? 0) > 0;
    return new Promise<OpResult>((resolve, reject) => {
      const wait = op.timeoutMs + (op.startDelayMs ?? 0) + this.opts.resultGraceMs;
      const data = execData(rscId, op);
      this.send(command(this.token, OPS.rscExec, data, op.timeoutMs, CALL_OPTIONS.notifyChangesOnly), {
        settle: (reply) => {
          const rc = replyRc(reply);
          if (rc <= 0) return reject(refused(`${op.action} of ${rscId}`, rc, this.where));
          const timer = setTimeout(() => {
            this.ops.delete(rc);
            reject(fail(problem('REMOTE_TIMEOUT', { path: rscId, value: op.action, message: `${this.where}: no result for ${op.action} of ${rscId} (call ${rc}) within ${wait} ms` })));
          }, wait);
          const key = `${rscId}\0${op.action}\0${op.intervalMs ?? 0}`;
          // The same recurring op again: the executor keeps one, under the new call id (merge_recurring_duplicate)
          if (recurring) for (const [id, o] of this.ops) if (o.key === key) this.ops.delete(id);
          this.ops.set(rc, { recurring, key, first: { resolve, reject, timer }, ...(onChange ? { onChange } : {}) });
        },
        fail: reject,
      }, `${op.action} of ${rscId}`);
    });
  }

  /** Stop a recurring operation; its listener then gets a last result with status cancelled. */
  async cancel(rscId: string, action: string, intervalMs: number): Promise<void> {
    await this.call(OPS.rscCancel, cancelData(rscId, action, intervalMs), `cancel ${action} ${intervalMs} ms of ${rscId}`);
  }

  /** A keepalive round trip. */
  async poke(): Promise<void> {
    await this.request(OPS.poke, el('lrmd_rsc', { lrmd_origin: 'lrmd_api_poke_connection' }), 0, 'keepalive');
  }

  /** Close the connection (the executor then stops the recurring operations berth registered). */
  close(): void {
    this.shut(undefined);
  }

  get isClosed(): boolean {
    return this.closed !== undefined || this.socket.destroyed;
  }

  // ---------------------------------------------------------------------------------------------

  private attach(): void {
    this.socket.on('data', (d: Buffer) => {
      let texts: string[];
      try {
        texts = this.decoder.push(d);
      } catch (e) {
        return this.shut(e instanceof BerthError ? e.problems[0] : problem('REMOTE_PROTOCOL', { message: String(e) }));
      }
      for (const text of texts) {
        if (this.closed) return;
        let msg: XmlElement;
        try {
          msg = parseXml(text, `executor ${this.where}`);
        } catch (e) {
          return this.shut(problem('REMOTE_PROTOCOL', { path: this.where, message: `${this.where} sent a message that is not XML: ${(e as Error).message}` }));
        }
        this.dispatch(msg);
      }
    });
    // After a shutdown request the executor is gone: say so, whether the socket closes or a write fails
    const lost = (how: string, value?: string) => this.shut(problem('REMOTE_DISCONNECTED', {
      path: this.where, ...(value !== undefined ? { value } : {}),
      message: this.stopping ? `the executor at ${this.where} stopped (it was sent SIGTERM)` : `the connection to the executor at ${this.where} ${how}`,
    }));
    this.socket.on('error', (e: NodeJS.ErrnoException) => lost(`failed: ${e.message}`, e.code ?? ''));
    this.socket.on('close', () => lost('was closed by the executor'));
  }

  private dispatch(msg: XmlElement): void {
    const kind = msg.attrs.lrmd_remote_msg_type;
    if (kind === 'reply') {
      const id = Number(msg.attrs.lrmd_remote_msg_id);
      const p = this.pending.get(id);
      if (p) {
        this.pending.delete(id);
        clearTimeout(p.timer);
        p.settle(msg);
      } else this.unawaited.delete(id);
      return;
    }
    if (kind !== 'notify') return; // the executor sends nothing else to a client
    if (msg.attrs.lrmd_ipc_session !== undefined) return this.proxied(msg);
    if (msg.attrs.lrmd_op === OPS.rscExec) this.result(readOpResult(msg));
    // register/unregister/poke/new-client notifications carry nothing berth waits for
  }

  private result(r: OpResult): void {
    for (const l of this.resultListeners) l(r);
    const op = this.ops.get(r.callId);
    if (!op) return;
    const last = !op.recurring || r.status === EXEC.CANCELLED || r.resourceDeleted;
    if (last) this.ops.delete(r.callId);
    if (op.first) {
      const first = op.first;
      op.first = undefined;
      clearTimeout(first.timer);
      first.resolve(r);
      if (!op.recurring || !last) return; // a recurring op that ended at once: its listener hears the end too
    }
    op.onChange?.(r);
  }

  private proxied(msg: XmlElement): void {
    const { replies, attributes, shutdownRequested } = this.proxy.handle(msg);
    if (shutdownRequested) {
      // A nack: berth does not stop the resource in answer (the controller's ack would promise it).
      // 2.1.5 exits at SIGTERM either way: closing its listener ends it (tls_server_dropped).
      this.stopping = true;
      replies.push({ op: 'shutdown_nack' });
    }
    for (const r of replies) this.sendUnawaited(proxyEnvelope(r));
    for (const a of attributes) for (const l of this.attributeListeners) l(a);
  }

  private async signOn(): Promise<void> {
    const reply = await new Promise<XmlElement>((settle, reject) => this.send(registerRequest(this.opts.clientName, this.opts.ipcProvider), { settle, fail: reject }, 'sign-on'));
    const rc = replyRc(reply), version = reply.attrs.lrmd_protocol_version ?? '1.0';
    if (rc === -71) throw fail(problem('REMOTE_PROTOCOL', { path: this.where, value: version, allowed: LRMD_PROTOCOL_VERSION, message: `the executor at ${this.where} refused protocol version ${LRMD_PROTOCOL_VERSION} (it speaks ${version})` }));
    if (rc < 0) throw refused('sign-on', rc, this.where);
    if (reply.attrs.lrmd_op !== OPS.register || !reply.attrs.lrmd_clientid) throw fail(problem('REMOTE_PROTOCOL', { path: this.where, message: `the executor at ${this.where} answered the sign-on without a client id` }));
    this.token = reply.attrs.lrmd_clientid;
    this.peerVersion = version;
  }

  /** A command whose reply's rc must be >= 0 (or one of `accept`). */
  private async call(op: string, data: XmlElement | undefined, what: string, callOptions = 0, accept: number[] = []): Promise<XmlElement> {
    const reply = await this.request(op, data, callOptions, what);
    const rc = replyRc(reply);
    if (rc < 0 && !accept.includes(rc)) throw refused(what, rc, this.where);
    return reply;
  }

  private request(op: string, data: XmlElement | undefined, callOptions = 0, what: string = op): Promise<XmlElement> {
    return new Promise((settle, reject) => this.send(command(this.token, op, data, 0, callOptions), { settle, fail: reject }, what));
  }

  private send(msg: XmlElement, waiter: Omit<PendingRequest, 'timer'>, what: string): void {
    if (this.closed) return waiter.fail(new BerthError([{ ...this.closed, message: `${what}: ${this.closed.message}` }]));
    const id = ++this.nextId;
    const timer = setTimeout(() => {
      this.pending.delete(id);
      const p = problem('REMOTE_TIMEOUT', { path: this.where, value: what, message: `the executor at ${this.where} did not answer ${what} within ${this.opts.timeoutMs} ms` });
      waiter.fail(new BerthError([p]));
      this.shut(p); // as lrmd_tls_send_recv: a reply that does not come means a dead connection
    }, this.opts.timeoutMs);
    this.pending.set(id, { ...waiter, timer });
    this.write(msg, id);
  }

  private sendUnawaited(msg: XmlElement): void {
    if (this.closed) return;
    const id = ++this.nextId;
    this.unawaited.add(id);
    this.write(msg, id);
  }

  /**
   * Queue a message: its header and payload each written once the previous write reached the
   * kernel, so that each is a TLS record of its own (see encodeFrame).
   */
  private write(msg: XmlElement, id: number): void {
    const [header, payload] = encodeFrame(serializeXmlLine(stamp(msg, id, 'request')), id);
    const put = (b: Buffer) => new Promise<void>((resolve) => { if (this.closed) return resolve(); this.socket.write(b, () => resolve()); });
    this.writes = this.writes.then(() => put(header)).then(() => put(payload));
  }

  /** End the connection once; `reason` undefined: berth closed it. */
  private shut(reason: Problem | undefined): void {
    if (this.closed) return;
    const why = reason ?? problem('REMOTE_DISCONNECTED', { path: this.where, message: `the connection to the executor at ${this.where} was closed by berth` });
    this.closed = why;
    if (this.keepalive) clearInterval(this.keepalive);
    if (reason) this.socket.destroy();
    else {
      // berth's own close: a TLS close_notify first (as gnutls_bye), then the socket, whatever comes
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 1000).unref();
    }
    const err = () => new BerthError([why]);
    for (const p of this.pending.values()) { clearTimeout(p.timer); p.fail(err()); }
    this.pending.clear();
    for (const op of this.ops.values()) if (op.first) { clearTimeout(op.first.timer); op.first.reject(err()); }
    this.ops.clear();
    if (reason) for (const l of this.closeListeners) l(why);
  }
}

function refused(what: string, rc: number, where: string): BerthError {
  return fail(problem('REMOTE_REFUSED', { path: where, value: String(rc), message: `the executor at ${where} refused ${what}: ${errnoName(rc)} (${rc})` }));
}

const LOOPBACK = /^127\.\d+\.\d+\.\d+$/;

/** TCP, then TLS with the key; each failure named for what it most likely is. */
function openTls(o: Options): Promise<tls.TLSSocket> {
  const where = `${o.host}:${o.port}`;
  return new Promise((resolve, reject) => {
    let tcpUp = false, done = false;
    const socket = tls.connect({
      host: o.host, port: o.port, maxVersion: 'TLSv1.2', ciphers: PSK_CIPHERS,
      // From 127.0.0.1 to a replica's loopback address (else the kernel picks that address as
      // the source): podman's port forwarding answers loopback clients from 127.0.0.1 only.
      ...(LOOPBACK.test(o.host) ? { localAddress: '127.0.0.1' } : {}),
      pskCallback: () => ({ psk: o.key, identity: PSK_IDENTITY }),
      checkServerIdentity: () => undefined,
    });
    const finish = (e?: BerthError) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.removeListener('error', onError);
      socket.removeListener('close', onClose);
      if (e) { socket.destroy(); reject(e); } else resolve(socket);
    };
    const timer = setTimeout(() => finish(fail(problem('REMOTE_TIMEOUT', { path: where, value: tcpUp ? 'handshake' : 'connect', message: tcpUp
      ? `the executor at ${where} did not finish the TLS handshake within ${o.timeoutMs} ms`
      : `no connection to the executor at ${where} within ${o.timeoutMs} ms` }))), o.timeoutMs);
    const keyRefused = (detail: string) => fail(problem('REMOTE_KEY_REFUSED', { path: where, message: `the executor at ${where} ended the TLS handshake (${detail}): its authkey is not this key` }));
    const onError = (e: NodeJS.ErrnoException) => {
      if (!tcpUp && UNREACHABLE_CODES.has(e.code ?? '')) return finish(fail(problem('REMOTE_UNREACHABLE', { path: where, value: e.code ?? '', message: `the executor at ${where} does not accept connections: ${e.code}` })));
      if (tcpUp && (e.code === 'ECONNRESET' || e.code === 'EPIPE' || KEY_MISMATCH.test(e.message))) return finish(keyRefused(e.code ?? e.message));
      finish(fail(problem(tcpUp ? 'REMOTE_PROTOCOL' : 'REMOTE_UNREACHABLE', { path: where, value: e.code ?? '', message: `TLS with the executor at ${where} failed: ${e.message}` })));
    };
    const onClose = () => finish(tcpUp ? keyRefused('connection closed') : fail(problem('REMOTE_UNREACHABLE', { path: where, message: `the executor at ${where} closed the connection at once` })));
    socket.setNoDelay(true); // a header and its payload go as two small writes: no Nagle delay between them
    socket.once('connect', () => { tcpUp = true; });
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.once('secureConnect', () => finish());
  });
}
