// The "a pass is due" flag of a level-triggered loop (the node controller and the cluster
// controller): wake-ups only mark a pass as due, and end the loop's sleep; what woke it is never
// handed to the pass. Wake-ups during a pass make one more pass due.
export class PassTrigger {
  private due = true;
  private wake: (() => void) | undefined;

  constructor(private readonly signal: AbortSignal, private readonly log: (line: string) => void) {}

  get isDue(): boolean {
    return this.due;
  }

  /** A pass is due; `why` is logged with BERTH_DEBUG set. */
  poke(why: string): void {
    this.due = true;
    if (why && process.env.BERTH_DEBUG) this.log(`wake: ${why}`);
    this.wake?.();
  }

  /** The loop starts a pass: wake-ups from now on make another one due. */
  take(): void {
    this.due = false;
  }

  /** Sleeps `ms` at most: a wake-up or the abort ends it at once. */
  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
      if (this.due || this.signal.aborted) done();
    });
  }

  /** Ends a sleep under way (the loop is stopping). */
  interrupt(): void {
    this.wake?.();
  }
}
