// Pacemaker's scores: integers saturating at ±INFINITY (1000000).

/** Pacemaker's INFINITY: scores saturate at ±1000000. */
export const INFINITY = 1_000_000;

/** Pacemaker's char2score: integers (clamped), [+-]INFINITY; undefined when not a score. */
export function parseScore(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (/^[+]?INFINITY$/i.test(t)) return INFINITY;
  if (/^-INFINITY$/i.test(t)) return -INFINITY;
  if (!/^[+-]?[0-9]+$/.test(t)) return undefined;
  return Math.max(-INFINITY, Math.min(INFINITY, Number(t)));
}

/** Pacemaker's pcmk__add_scores: -INFINITY wins over everything, then +INFINITY, else a clamped sum. */
export function addScores(a: number, b: number): number {
  if (a <= -INFINITY || b <= -INFINITY) return -INFINITY;
  if (a >= INFINITY || b >= INFINITY) return INFINITY;
  return Math.max(-INFINITY, Math.min(INFINITY, a + b));
}
