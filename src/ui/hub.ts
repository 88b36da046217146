// The page's state on the controller: the current snapshot, the recent events and the open
// streams. The controller offers what it knows after every pass and every half second; a snapshot
// is made only when something offered changed (the key), and each open page then gets one patch.
import { UiEvent, UiInputs, UiPatch, UiSnapshot, diffSnapshots, makeSnapshot } from './snapshot';

/** The events kept for the timeline. */
export const TIMELINE_LENGTH = 200;

/** One open page: its stream. */
export interface UiStream { send(event: string, data: string): void }

/** What a page gets when it opens its stream. */
export interface HelloMessage { snapshot: UiSnapshot; events: UiEvent[]; changedAt: string }
/** What it gets at each change. */
export interface PatchMessage { patch: UiPatch; events: UiEvent[]; changedAt: string }

export class UiHub {
  private snap: UiSnapshot | undefined;
  private key = '';
  private changedAt = new Date(0).toISOString();
  private readonly timeline: UiEvent[] = [];
  private readonly streams = new Set<UiStream>();

  constructor(private readonly now: () => number = Date.now) {}

  /** New inputs, when `key` differs from the last offered one (`make` is called only then). */
  offer(key: string, make: () => UiInputs): void {
    if (key === this.key && this.snap) return;
    this.key = key;
    const next = makeSnapshot(make());
    const prev = this.snap;
    this.snap = next;
    if (!prev) {
      this.changedAt = next.at;
      return;
    }
    const { patch, events } = diffSnapshots(prev, next);
    if (events.length || patch.upsert.length || patch.remove.length) this.changedAt = next.at;
    this.record(events);
    if (!this.streams.size) return;
    const msg: PatchMessage = { patch, events, changedAt: this.changedAt };
    this.broadcast('patch', JSON.stringify(msg));
  }

  /** An event that is not a change of the snapshot (an action done on the page). */
  note(kind: UiEvent['kind'], text: string): void {
    const e = { at: new Date(this.now()).toISOString(), kind, text };
    this.record([e]);
    this.broadcast('events', JSON.stringify({ events: [e] }));
  }

  snapshot(): UiSnapshot | undefined {
    return this.snap;
  }

  events(): readonly UiEvent[] {
    return this.timeline;
  }

  /** Opens a stream: the whole snapshot first (when there is one), then patches. */
  open(s: UiStream): () => void {
    this.streams.add(s);
    if (this.snap) s.send('snapshot', JSON.stringify({ snapshot: this.snap, events: this.timeline, changedAt: this.changedAt } satisfies HelloMessage));
    return () => { this.streams.delete(s); };
  }

  get streamCount(): number {
    return this.streams.size;
  }

  /** Tells every page the stream is alive (a page that hears nothing for a while shows its data as stale). */
  ping(): void {
    this.broadcast('ping', JSON.stringify({ at: new Date(this.now()).toISOString() }));
  }

  private broadcast(event: string, data: string): void {
    for (const s of this.streams) s.send(event, data);
  }

  private record(events: readonly UiEvent[]): void {
    this.timeline.push(...events);
    if (this.timeline.length > TIMELINE_LENGTH) this.timeline.splice(0, this.timeline.length - TIMELINE_LENGTH);
  }
}
