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
