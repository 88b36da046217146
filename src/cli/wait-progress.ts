// How a command that waits shows its progress (`apply --wait`): on a terminal, one status line on
// stderr redrawn in place, at most every `minIntervalMs`, cleared before any other output; without
// a terminal, one plain line per change of state (no carriage returns); with --json, one JSON line
// per change ({"event":"progress",...}) and the final result ({"event":"result",...}). What the
// progress IS comes from src/reconcile/progress.ts; this file only says it.
import type { Io } from './invocation';
import type { WaitProgress } from '../reconcile/progress';

export type ProgressMode = 'tty' | 'lines' | 'json';

export interface ProgressOptions {
  io: Io;
  mode: ProgressMode;
  now: () => number;
  /** the terminal's width: the status line is cut to it (a wrapped line cannot be redrawn) */
  columns?: number;
  /** at most one redraw per this many ms on a terminal (default 250) */
  minIntervalMs?: number;
}

export interface ProgressReporter {
  /** where everything else is printed: on a terminal the status line is cleared first, then redrawn */
  io: Io;
  update(p: WaitProgress): void;
  /** the end: the status line is cleared; with --json the result is printed */
  finish(result?: Record<string, unknown>): void;
}

export const progressModeOf = (io: Io, json: boolean): ProgressMode => (json ? 'json' : io.isTTY ? 'tty' : 'lines');

const count = (p: WaitProgress) => `${p.ready}/${p.total} ready`;

/** The status line: `node1: 1/3 ready; waiting for web-1: container running, health check starting (+1 more)`. */
export function statusLine(p: WaitProgress): string {
  const first = p.pending[0];
  const more = p.pending.length > 1 ? ` (+${p.pending.length - 1} more)` : '';
  return `${p.node}: ${count(p)}${first ? `; waiting for ${first.replica}: ${first.why}${more}` : p.changesLeft ? '; changes left' : ''}`;
}

/** The lines for what changed from `prev` to `next`: a replica now waiting on something else, one
 * now ready, and the count when it changed. */
export function changeLines(prev: WaitProgress | undefined, next: WaitProgress): string[] {
  const before = new Map((prev?.pending ?? []).map((x) => [x.replica, x.why]));
  const after = new Set(next.pending.map((x) => x.replica));
  const out: string[] = [];
  for (const x of next.pending) if (before.get(x.replica) !== x.why) out.push(`waiting for ${x.replica}: ${x.why} (${count(next)})`);
  for (const r of before.keys()) if (!after.has(r)) out.push(`ready: ${r} (${count(next)})`);
  if (!out.length && prev && (prev.ready !== next.ready || prev.total !== next.total)) out.push(`${next.node}: ${count(next)}`);
  return out;
}

const eventOf = (p: WaitProgress) => ({ event: 'progress', node: p.node, ready: p.ready, total: p.total, pending: p.pending });

export function progressReporter(o: ProgressOptions): ProgressReporter {
  const minInterval = o.minIntervalMs ?? 250;
  const width = Math.max(20, (o.columns ?? 80) - 1);
  let last: WaitProgress | undefined;
  let shown = ''; // the status line on screen now ('' none)
  let drawnAt = -Infinity;
  let dirty = false;

  const clear = () => {
    if (shown) o.io.err('\r\x1b[K');
    shown = '';
  };
  const draw = () => {
    if (!last) return;
    const text = statusLine(last);
    const line = text.length > width ? text.slice(0, width - 1) + '…' : text;
    o.io.err(`\r\x1b[K${line}`);
    shown = line;
    drawnAt = o.now();
    dirty = false;
  };
  const around = (write: (s: string) => void) => (s: string) => {
    if (o.mode !== 'tty' || !shown) return write(s);
    clear();
    write(s);
    draw();
  };
  const io: Io = { ...o.io, out: around(o.io.out), err: around(o.io.err) };

  return {
    io,
    update(p) {
      const prev = last;
      last = p;
      if (o.mode === 'lines') {
        for (const l of changeLines(prev, p)) o.io.out(l + '\n');
        return;
      }
      if (o.mode === 'json') {
        if (!prev || JSON.stringify(eventOf(prev)) !== JSON.stringify(eventOf(p))) o.io.out(JSON.stringify(eventOf(p)) + '\n');
        return;
      }
      // A redraw held back by the rate limit is made by the next update (passes come every 300 ms
      // to 8 s) or before the next other output.
      if (prev && statusLine(prev) === statusLine(p) && shown && !dirty) return;
      if (o.now() - drawnAt >= minInterval) draw();
      else dirty = true;
    },
    finish(result) {
      if (o.mode === 'tty') {
        // A redraw held back by the rate limit is dropped: the final message follows at once.
        dirty = false;
        clear();
      }
      if (o.mode === 'json' && result) o.io.out(JSON.stringify({ event: 'result', ...result }) + '\n');
    },
  };
}
