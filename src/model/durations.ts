// Pacemaker's durations and thresholds as the CIB writes them.
import { isInteger } from '../validate/options';

/** Pacemaker's durations: a number of seconds, or with a unit (ms, s, m/min, h), or ISO 8601 PTnHnMnS. */
export function parseDurationMs(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const s = v.trim();
  const m = /^(\d+(?:\.\d+)?)\s*(ms|msec|s|sec|m|min|h|hr)?$/i.exec(s);
  if (m) {
    const unit = (m[2] ?? 's').toLowerCase();
    const f = unit === 'ms' || unit === 'msec' ? 1 : unit === 's' || unit === 'sec' ? 1000 : unit === 'm' || unit === 'min' ? 60_000 : 3_600_000;
    return Math.round(Number(m[1]) * f);
  }
  const iso = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$/i.exec(s);
  if (iso && (iso[1] || iso[2] || iso[3])) return (Number(iso[1] ?? 0) * 3600 + Number(iso[2] ?? 0) * 60 + Number(iso[3] ?? 0)) * 1000;
  return undefined;
}

export function parseThreshold(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (/^\+?INFINITY$/i.test(v.trim())) return Infinity;
  if (isInteger(v.trim(), 0)) return Number(v.trim()) === 0 ? Infinity : Number(v.trim());
  return undefined;
}
