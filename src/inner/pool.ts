// The node's executors: one connection per replica container that runs pacemaker-remoted, kept
// while the pass wants it. Connects (retrying while the container comes up), registers the
// resource, probes it, runs the operations the plan asks for one after the other, keeps the
// recurring monitor running in the executor and records what it reports: the instance's state,
// each failure once (numbered per connection), the promotion score the agent sets. Every change
// calls `onChange`, which wakes a pass. The decisions are the planner's (src/reconcile/inner.ts).
import type { InnerFailure, InnerObserved, InnerState, InnerStep, InnerWant, WireOp } from '../reconcile/inner';
import { opLabel } from '../reconcile/inner';
import type { OpResult } from '../remote/messages';

/** An operation's result as the executor reports it (what the pool reads of src/remote's). */
export type LinkResult = Pick<OpResult, 'rscId' | 'action' | 'intervalMs' | 'rc' | 'rcName' | 'status' | 'statusName' | 'exitReason' | 'execMs'>;

/** What the pool needs of a connection to pacemaker-remoted (src/remote/executor.ts). */
export interface ExecutorLink {
  registerResource(r: { id: string; class: string; provider?: string; type: string }): Promise<void>;
  exec(rscId: string, op: { action: string; intervalMs?: number; timeoutMs: number; params?: Readonly<Record<string, string>> }, onChange?: (r: LinkResult) => void): Promise<LinkResult>;
  cancel(rscId: string, action: string, intervalMs: number): Promise<void>;
  /** the recurring operations the executor runs for the resource, whoever asked for them */
  recurringOps(rscId?: string): Promise<{ rscId: string; action: string; intervalMs: number }[]>;
  onClose(listener: (reason: { code: string; message: string }) => void): () => void;
  onAttribute(listener: (u: { node: string; name: string; value?: string; pattern?: boolean }) => void): () => void;
  /** every result the executor reports, whoever asked for the operation */
  onResult(listener: (r: LinkResult) => void): () => void;
  close(): void;
}

export type Connect = (target: { host: string; port: number; nodeName: string }) => Promise<ExecutorLink>;

export interface PoolOptions {
  connect: Connect;
  now?: () => number;
  /** a replica's instance changed (connected, probed, an op ended, a monitor reported) */
  onChange?: (why: string) => void;
  log?: (line: string) => void;
  /** first wait before connecting again (doubles up to 1 s) */
  retryMs?: number;
  /** a container whose executor has not answered for this long is reported as unreachable */
  patienceMs?: number;
}

const STATUS_DONE = 0;

/** What a probe (a one-shot monitor) says runs: undefined when it failed. */
const probed = (r: LinkResult): InnerState | undefined =>
  r.status !== STATUS_DONE ? undefined : r.rc === 0 ? 'started' : r.rc === 8 ? 'promoted' : r.rc === 7 ? 'stopped' : undefined;
const STATUS_CANCELLED = 1;
const KEEP_FAILURES = 20;

/** The expected rc of a monitor: 8 for a promoted instance's, else 0. */
const expected = (role: 'Promoted' | 'other') => (role === 'Promoted' ? 8 : 0);

interface Entry {
  want: InnerWant;
  since: number;
  link?: ExecutorLink;
  connecting: boolean;
  problem?: { code: string; message: string };
  incarnation: string;
  generation: number;
  state: InnerState;
  failed?: InnerFailure;
  busy?: string;
  monitor?: { key: string; action: string; intervalMs: number; role: 'Promoted' | 'other'; starting?: boolean };
  failures: InnerFailure[];
  seq: number;
  /** undefined: not heard on this connection; null: removed */
  promotion?: number | null;
  lastOk?: { op: string; at: number; execMs?: number };
  retry?: NodeJS.Timeout;
  retryMs: number;
  gone: boolean;
}

export class InnerPool {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  private counter = 0;

  constructor(private readonly o: PoolOptions) {
    this.now = o.now ?? Date.now;
  }

  /** The instances of the replicas wanted now, as known at this moment; connections are made for
   * new ones and closed for those no longer wanted. */
  observe(wants: readonly InnerWant[]): Record<string, InnerObserved> {
    const wanted = new Set<string>();
    const out: Record<string, InnerObserved> = {};
    for (const w of wants) {
      wanted.add(w.replica);
      let e = this.entries.get(w.replica);
      if (e && (e.want.container !== w.container || e.want.target.host !== w.target.host || e.want.target.port !== w.target.port)) {
        this.drop(e);
        e = undefined;
      }
      if (!e) {
        e = { want: w, since: this.now(), connecting: false, incarnation: '', generation: 0, state: 'unknown', failures: [], seq: 0, retryMs: this.o.retryMs ?? 250, gone: false };
        this.entries.set(w.replica, e);
        this.connect(e);
      } else e.want = w;
      out[w.replica] = this.view(e);
    }
    for (const [replica, e] of this.entries) if (!wanted.has(replica)) this.drop(e);
    return out;
  }

  /** Runs the steps of one replica's chain in order; the first that fails ends it (its failure is
   * recorded and reported by the next observe). */
  async act(replica: string, container: string, steps: readonly InnerStep[]): Promise<{ ok: boolean; done: string[]; error?: string }> {
    const e = this.entries.get(replica);
    const done: string[] = [];
    if (!e || e.want.container !== container || !e.link) return { ok: false, done, error: `${replica}: its executor is not connected` };
    if (e.busy) return { ok: false, done, error: `${replica}: ${e.busy} is under way` };
    const link = e.link;
    const generation = e.generation;
    try {
      for (const s of steps) {
        if (s.kind === 'fence') return { ok: false, done, error: 'fence is the container\'s' };
        if (e.generation !== generation) return { ok: false, done, error: `${replica}: the connection to its executor was lost` };
        const label = opLabel(s.op.name, s.op.intervalMs);
        e.busy = label;
        if (s.kind === 'monitor') {
          const ok = await this.monitor(e, link, s.op);
          done.push(label);
          if (!ok) return { ok: false, done, error: e.failed?.message };
          continue;
        }
        if (s.kind === 'probe') {
          const r = await this.run(e, link, s.op);
          const state = probed(r);
          if (state) {
            e.state = state;
            e.failed = undefined;
            done.push('probe');
            this.changed(e, `${replica}: probed (${e.state})`);
            continue;
          }
          this.fail(e, s.op, r);
          return { ok: false, done, error: e.failed?.message };
        }
        // Recurring monitors stop before the instance changes (Pacemaker cancels them first).
        if (e.monitor) await this.cancelMonitor(e, link);
        const r = await this.run(e, link, s.op);
        if (r.status !== STATUS_DONE || r.rc !== 0) {
          this.fail(e, s.op, r);
          return { ok: false, done, error: e.failed?.message };
        }
        e.state = s.kind === 'start' || s.kind === 'demote' ? 'started' : s.kind === 'promote' ? 'promoted' : 'stopped';
        e.failed = undefined;
        e.lastOk = { op: label, at: this.now(), execMs: r.execMs };
        done.push(label);
        this.changed(e, `${label} of ${e.want.resource.id} on ${replica} succeeded`);
      }
      return { ok: true, done };
    } catch (err) {
      const message = (err as Error).message;
      // No answer within the op's timeout (or the connection went): a failure of that op.
      const s = steps[done.length];
      if (s && s.kind !== 'fence' && e.generation === generation) this.fail(e, s.op, undefined, message);
      return { ok: false, done, error: message };
    } finally {
      e.busy = undefined;
      this.changed(e, `${replica}: operations ended`);
    }
  }

  /** As observe, after waiting (at most `ms`) for new connections to be made and probed: a
   * one-shot command sees what runs, not "connecting". */
  async observeSettled(wants: readonly InnerWant[], ms: number): Promise<Record<string, InnerObserved>> {
    const start = this.now();
    this.observe(wants);
    const until = start + ms;
    // Only connections made by this observation are waited for: one that keeps failing does not
    // slow every pass down.
    const unsettled = () => wants.some((w) => {
      const e = this.entries.get(w.replica);
      return !!e && !e.gone && e.since >= start && (e.connecting || e.busy === 'probe' || (!e.link && !e.problem));
    });
    while (ms > 0 && unsettled() && this.now() < until) await new Promise((r) => setTimeout(r, 20));
    return this.observe(wants);
  }

  close(): void {
    for (const e of this.entries.values()) this.drop(e);
  }

  private view(e: Entry): InnerObserved {
    // A container just started: its executor may not listen yet (the engine's port proxy then
    // accepts and resets, which looks like a refused key). Within `patienceMs` any failure to
    // connect is "connecting"; after, it is said with its reason.
    const patience = this.o.patienceMs ?? 10_000;
    const link = e.link ? 'up' : e.problem && this.now() - e.since > patience ? 'down' : 'connecting';
    return {
      container: e.want.container,
      link,
      ...(link === 'down' && e.problem ? { linkProblem: e.problem } : {}),
      incarnation: e.incarnation,
      state: e.link ? e.state : 'unknown',
      ...(e.failed ? { failed: e.failed } : {}),
      ...(e.busy ? { busy: e.busy } : {}),
      ...(e.monitor ? { monitor: e.monitor.key } : {}),
      failures: [...e.failures],
      ...(e.promotion !== undefined ? { promotion: e.promotion } : {}),
      ...(e.lastOk ? { lastOk: e.lastOk } : {}),
    };
  }

  private changed(e: Entry, why: string): void {
    if (!e.gone) this.o.onChange?.(why);
  }

  private drop(e: Entry): void {
    e.gone = true;
    if (e.retry) clearTimeout(e.retry);
    e.link?.close();
    e.link = undefined;
    if (this.entries.get(e.want.replica) === e) this.entries.delete(e.want.replica);
  }

  private connect(e: Entry): void {
    if (e.gone || e.connecting || e.link) return;
    e.connecting = true;
    const w = e.want;
    void (async () => {
      let link: ExecutorLink | undefined;
      try {
        link = await this.o.connect({ host: w.target.host, port: w.target.port, nodeName: w.replica });
        if (e.gone) { link.close(); return; }
        await link.registerResource(w.resource);
        e.generation++;
        e.incarnation = `${process.pid.toString(36)}.${(++this.counter).toString(36)}.${this.now().toString(36)}`;
        e.seq = 0;
        e.failures = [];
        e.failed = undefined;
        e.monitor = undefined;
        e.state = 'unknown';
        e.problem = undefined;
        e.retryMs = this.o.retryMs ?? 250;
        const generation = e.generation;
        link.onClose((reason) => {
          if (e.generation !== generation || e.gone) return;
          e.link = undefined;
          e.generation++;
          e.problem = reason;
          e.since = this.now();
          e.state = 'unknown';
          e.monitor = undefined;
          this.o.log?.(`${w.replica}: the connection to its executor closed: ${reason.message}`);
          this.changed(e, `${w.replica}: executor connection closed`);
          this.later(e);
        });
        // The recurring monitor's results, whoever started it (this pool, or another client of
        // the executor whose monitor was found running): each change after its first result.
        link.onResult((r) => {
          const m = e.monitor;
          if (e.generation !== generation || !m || m.starting || r.rscId !== w.resource.id || r.action !== m.action || r.intervalMs !== m.intervalMs) return;
          if (r.status === STATUS_CANCELLED) {
            // Cancelled by someone else (the client that started it went away): not running.
            e.monitor = undefined;
            this.changed(e, `${w.replica}: ${opLabel(m.action, m.intervalMs)} was cancelled`);
            return;
          }
          if (r.status === STATUS_DONE && r.rc === expected(m.role)) {
            if (e.state === 'failed' && e.failed?.op === m.key) {
              e.state = m.role === 'Promoted' ? 'promoted' : 'started';
              e.failed = undefined;
              this.changed(e, `${w.replica}: ${opLabel(m.action, m.intervalMs)} ok again`);
            }
            return;
          }
          this.fail(e, { name: m.action, intervalMs: m.intervalMs, timeoutMs: 0, params: {} }, r);
        });
        link.onAttribute((u) => {
          if (e.generation !== generation || u.pattern) return;
          if (u.name !== `master-${w.resource.id}`) return;
          const v = u.value === undefined || u.value === '' ? undefined : Number(u.value);
          const next = v === undefined || !Number.isFinite(v) ? null : v;
          if (next === e.promotion) return;
          e.promotion = next;
          this.changed(e, `${w.replica}: promotion score ${next ?? 'removed'}`);
        });
        e.link = link;
        // The probe: what runs in this container now (Pacemaker probes every new connection).
        e.busy = 'probe';
        const r = await this.run(e, link, { name: 'monitor', intervalMs: 0, timeoutMs: w.probe.timeoutMs, params: w.probe.params });
        if (e.generation !== generation) return;
        e.busy = undefined;
        const state = probed(r);
        if (state) {
          e.state = state;
          // A monitor another client of this executor runs (the node's controller, while a
          // one-shot command looks): it runs, and is not asked for twice.
          if (e.state !== 'stopped') {
            const running = (await link.recurringOps(w.resource.id).catch(() => [])).find((op) => op.action === 'monitor' && op.intervalMs > 0);
            if (running && e.generation === generation && !e.monitor) e.monitor = { key: `monitor_${running.intervalMs}`, action: 'monitor', intervalMs: running.intervalMs, role: e.state === 'promoted' ? 'Promoted' : 'other' };
          }
        } else this.fail(e, { name: 'monitor', intervalMs: 0, timeoutMs: w.probe.timeoutMs, params: w.probe.params }, r);
        this.changed(e, `${w.replica}: probed (${e.state})`);
      } catch (err) {
        e.busy = undefined;
        const p = (err as { problems?: { code: string; message: string }[] }).problems?.[0];
        e.problem = p ? { code: p.code, message: p.message } : { code: 'REMOTE_UNREACHABLE', message: (err as Error).message };
        if (link && e.link !== link) link.close();
        if (e.link === link && link) {
          e.link = undefined;
          e.generation++;
          link.close();
        }
        this.changed(e, `${w.replica}: executor not reached`);
        this.later(e);
      } finally {
        e.connecting = false;
      }
    })();
  }

  private later(e: Entry): void {
    if (e.gone || e.retry) return;
    // A container just started: its executor listens within a second or two, so it is tried
    // often at first; one that keeps failing less and less often (up to once a second).
    const ms = this.now() - e.since < 5000 ? 100 : e.retryMs;
    if (this.now() - e.since >= 5000) e.retryMs = Math.min(1000, e.retryMs * 2);
    e.retry = setTimeout(() => { e.retry = undefined; this.connect(e); }, ms);
    e.retry.unref?.();
  }

  private run(e: Entry, link: ExecutorLink, op: WireOp): Promise<LinkResult> {
    return link.exec(e.want.resource.id, { action: op.name, intervalMs: op.intervalMs, timeoutMs: op.timeoutMs, params: op.params });
  }

  private fail(e: Entry, op: WireOp, r: LinkResult | undefined, error?: string): void {
    const label = opLabel(op.name, op.intervalMs);
    const at = this.now();
    const rc = r?.rc ?? 1;
    const status = r ? r.statusName : 'error';
    const message = r
      ? `${label} on ${e.want.replica} returned '${r.rcName}' (${r.rc})${r.status !== STATUS_DONE ? ` [${r.statusName}]` : ''}${r.exitReason ? `: ${r.exitReason}` : ''} at ${new Date(at).toISOString()} after ${r.execMs} ms`
      : `${label} on ${e.want.replica} failed at ${new Date(at).toISOString()}: ${error ?? 'no result'}`;
    const f: InnerFailure = { seq: ++e.seq, op: `${op.name}_${op.intervalMs}`, name: op.name, intervalMs: op.intervalMs, rc, status, ...(r?.exitReason ? { exitReason: r.exitReason } : {}), at, ...(r ? { execMs: r.execMs } : {}), message };
    e.failures.push(f);
    if (e.failures.length > KEEP_FAILURES) e.failures.splice(0, e.failures.length - KEEP_FAILURES);
    e.failed = f;
    e.state = 'failed';
    this.o.log?.(`${e.want.resource.id}: ${message}`);
    this.changed(e, `${e.want.replica}: ${label} failed`);
  }

  private async cancelMonitor(e: Entry, link: ExecutorLink): Promise<void> {
    const m = e.monitor;
    if (!m) return;
    e.monitor = undefined;
    await link.cancel(e.want.resource.id, m.action, m.intervalMs).catch(() => {});
  }

  /** Runs `op` as the one recurring monitor; false when its first result is a failure. Later
   * results come through the connection's result listener (connect). */
  private async monitor(e: Entry, link: ExecutorLink, op: WireOp): Promise<boolean> {
    const key = `${op.name}_${op.intervalMs}`;
    if (e.monitor?.key === key) return true;
    if (e.monitor) await this.cancelMonitor(e, link);
    const role: 'Promoted' | 'other' = op.params.CRM_meta_role === 'Promoted' ? 'Promoted' : 'other';
    const mine = { key, action: op.name, intervalMs: op.intervalMs, role, starting: true };
    e.monitor = mine;
    let r: LinkResult;
    try {
      r = await link.exec(e.want.resource.id, { action: op.name, intervalMs: op.intervalMs, timeoutMs: op.timeoutMs, params: op.params });
    } finally {
      mine.starting = false;
    }
    if (r.status !== STATUS_DONE || r.rc !== expected(role)) {
      this.fail(e, op, r);
      return false;
    }
    e.lastOk = { op: opLabel(op.name, op.intervalMs), at: this.now(), execMs: r.execMs };
    return true;
  }
}
