// The executor pools this process opened, so that a one-shot command closes their connections when
// it ends (an open connection would keep the process alive). No imports: the command line loads it
// at start-up.
const open = new Set<{ close(): void }>();

export const trackPool = (p: { close(): void }): void => { open.add(p); };
export const untrackPool = (p: { close(): void }): void => { open.delete(p); };

/** Closes every pool still open. */
export function closeOpenPools(): void {
  for (const p of [...open]) p.close();
  open.clear();
}

/** Runs `f`; the pools it opened are closed when it ends (others are left open). */
export async function closingPools<T>(f: () => Promise<T>): Promise<T> {
  const before = new Set(open);
  try {
    return await f();
  } finally {
    for (const p of [...open]) if (!before.has(p)) p.close();
  }
}
