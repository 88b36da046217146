// Two audits of the chaos run (docs/chaos.md) as pure functions over what the run recorded, so
// that a unit test (test/chaos/chaos-audits.ts) proves each can fail:
//
// - needless moves: a replica that ran on node A, then on B, then on A again within a window,
//   with nothing on A or B (a fault, a standby change) nor on its bundle (a change of replicas,
//   image or constraints) to explain it: placement flipped it away and back.
// - stale orders: from the controllers' logs, an order carried out on a node after that node's
//   agent had already carried out one of a newer term (the agent must refuse it: AGENT_TERM_STALE);
//   the agents' refusals counted, and any long after the last change of leader (a deposed
//   controller that goes on sending).
//
// - db's roles settled: every running replica Promoted or Unpromoted, promoted-max of them
//   Promoted, and each replica's own state file (read in its container) saying what the leader
//   says, a replica's `<name>.next` being that replica.
//
// Terms: a *span* is one stretch of samples in which a replica runs on one node; an *excuse* is a
// time window in which a move is expected (nodes it touched, or a bundle it changed).

/** One stretch of samples in which a replica ran on one node (ms since the epoch). */
export interface Span { node: string; from: number; to: number }

/** Spans per replica, extended sample by sample. */
export type MoveRecord = Map<string, Span[]>;

/** Adds one sample (each replica running on exactly one node; one on two is another audit's). */
export function recordSample(record: MoveRecord, at: number, where: ReadonlyMap<string, readonly string[]>): void {
  for (const [replica, nodes] of where) {
    if (nodes.length !== 1) continue;
    const spans = record.get(replica) ?? record.set(replica, []).get(replica)!;
    const last = spans[spans.length - 1];
    if (last && last.node === nodes[0]) last.to = at;
    else spans.push({ node: nodes[0], from: at, to: at });
  }
}

/** A window in which moves of these nodes' replicas, or of this bundle's, are expected. */
export interface Excuse { from: number; to: number; why: string; nodes?: readonly string[]; bundle?: string }

export interface NeedlessMove { replica: string; away: string; to: string; left: number; back: number }

/** Away from A to B and back to A within `windowMs`, with no excuse for A, B or the bundle between
 * leaving and coming back. The bundle of `web-3` is `web`. */
export function needlessMoves(record: MoveRecord, excuses: readonly Excuse[], windowMs: number): NeedlessMove[] {
  const out: NeedlessMove[] = [];
  for (const [replica, spans] of record) {
    const bundle = replica.slice(0, replica.lastIndexOf('-'));
    for (let i = 2; i < spans.length; i++) {
      const [a, b, c] = [spans[i - 2], spans[i - 1], spans[i]];
      if (a.node !== c.node || b.node === a.node) continue;
      const left = a.to;
      const back = c.from;
      if (back - left > windowMs) continue;
      const excused = excuses.some((e) => e.from <= back && e.to >= left
        && (e.bundle === bundle || (e.nodes ?? []).some((n) => n === a.node || n === b.node) || (e.bundle === undefined && e.nodes === undefined)));
      if (!excused) out.push({ replica, away: a.node, to: b.node, left, back });
    }
  }
  return out;
}

/** A controller's log as lines `ISO-TIME text` (a line `=== ISO-TIME start` marks a start). */
export interface ControllerLog { name: string; text: string }

export interface StaleOrder { controller: string; node: string; line: string; term: number; newer: { controller: string; term: number; line: string } }

/** What changes a node (the agent checks the term of each): the controller logs each when done. */
const ORDER = /^(\S+) (\S+): (create|remove|start|stop|replace|add-address|remove-address|resource|write-file) /;

/**
 * Orders carried out on a node more than `answerMs` (the controller's order timeout: an order
 * that took longer is logged FAILED) after an order of a newer term was carried out there: the
 * agent had the newer term on disk when the stale one arrived and must have refused it.
 */
export function staleOrders(logs: readonly ControllerLog[], answerMs: number): StaleOrder[] {
  interface Done { controller: string; node: string; term: number; at: number; line: string }
  const done: Done[] = [];
  for (const log of logs) {
    let term: number | undefined;
    for (const line of log.text.split('\n')) {
      const lead = /^\S+ leading with term (\d+)/.exec(line);
      if (lead) { term = Number(lead[1]); continue; }
      if (/^=== \S+ start/.test(line) || /^\S+ no longer leading/.test(line)) { term = undefined; continue; }
      const m = ORDER.exec(line);
      if (!m) continue;
      const at = Date.parse(m[1]);
      // An order logged with no term led: carried out for a controller that does not lead.
      done.push({ controller: log.name, node: m[2], term: term ?? -1, at, line });
    }
  }
  const out: StaleOrder[] = [];
  for (const d of done) {
    const newer = done.find((o) => o.node === d.node && o.term > d.term && o.at < d.at - answerMs);
    if (newer) out.push({ controller: d.controller, node: d.node, line: d.line, term: d.term, newer: { controller: newer.controller, term: newer.term, line: newer.line } });
  }
  return out;
}

/** The agents' refusals of a stale term (lines of their logs). */
const refusalLines = (agentLogs: readonly string[]) => agentLogs.flatMap((text) => text.split('\n').filter((l) => /: AGENT_TERM_STALE\b/.test(l)));

/** The agents' refusals of a stale term, counted from their logs. */
export const staleRefusals = (agentLogs: readonly string[]): number => refusalLines(agentLogs).length;

/**
 * Refusals of a stale term more than `graceMs` after the last change of leader (a controller
 * starting, leading or stepping down, or a fault that may depose the leader beginning): each is a request a deposed controller should not have
 * sent any more (what it sent while it led is answered or timed out within the order timeout).
 */
export function lateRefusals(agentLogs: readonly string[], controllerLogs: readonly ControllerLog[], graceMs: number, leadFaults: readonly number[] = []): string[] {
  // the logged changes, and the start of each fault that may depose the leader (its lease lapses
  // a moment before it logs "no longer leading")
  const changes = [...leadFaults, ...controllerLogs.flatMap((log) => log.text.split('\n')
    .map((l) => /^(?:=== )?(\S+) (?:start$|leading with term|no longer leading)/.exec(l)?.[1])
    .filter((at): at is string => at !== undefined).map((at) => Date.parse(at)))];
  return refusalLines(agentLogs).filter((l) => {
    const at = Date.parse(l.slice(0, l.indexOf(' ')));
    const last = Math.max(-Infinity, ...changes.filter((c) => c <= at));
    return at - last > graceMs;
  });
}

/** The replica a container is: a replace's `<name>.next` is the replica too (it keeps that name
 * while a container stuck in removal holds the replica's name). */
export const replicaOf = (container: { name: string }): string => container.name.replace(/\.next$/, '');

/** A running replica as the leader's status says it. */
export interface RoleRow { name: string; node: string; resource?: { role: string } }
/** A running container's role by its own state file (`name`: the container's). */
export interface RoleFile { name: string; node: string; role: string }

/** What keeps db's roles from being settled, each a sentence; none: settled. */
export function rolesUnsettled(rows: readonly RoleRow[], files: readonly RoleFile[], promotedMax: number): string[] {
  const out: string[] = [];
  const promoted = rows.filter((r) => r.resource?.role === 'Promoted');
  if (rows.length && promoted.length !== promotedMax) out.push(`db: ${promoted.length} Promoted (promoted-max ${promotedMax}) of ${rows.length} running`);
  const byReplica = files.map((f) => ({ ...f, replica: replicaOf(f) }));
  for (const r of rows) {
    const role = r.resource?.role ?? '(none)';
    if (role !== 'Promoted' && role !== 'Unpromoted') out.push(`${r.name}: role ${role}`);
    const file = byReplica.find((f) => f.replica === r.name && f.node === r.node)?.role;
    if ((file === 'Promoted') !== (role === 'Promoted')) out.push(`${r.name}: the leader says ${role}, its state file says ${file || '(nothing)'}`);
  }
  for (const f of byReplica) if (f.role === 'Promoted' && !rows.some((r) => r.name === f.replica && r.node === f.node)) out.push(`${f.name} on ${f.node} is Promoted by its state file, the leader does not place it there`);
  return out;
}
