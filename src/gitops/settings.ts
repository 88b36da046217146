// The source's own settings: `berth-gitops.json` beside the CIB in the source, part of each
// revision (a commit can switch a cluster to report-only). Pure: text in, settings or problems out.
//
//   { "drift": "repair" | "report-only",   // default "repair"
//     "prune": true | false }              // default true: remove resources the source created
import { Problem, problem } from '../errors/registry';
import { GITOPS_SETTINGS_INVALID } from './problems';

export const SETTINGS_FILE = 'berth-gitops.json';

export interface SourceSettings {
  drift: 'repair' | 'report-only';
  prune: boolean;
}

export const DEFAULT_SETTINGS: SourceSettings = { drift: 'repair', prune: true };

const ALLOWED: Record<keyof SourceSettings, string> = {
  drift: "'repair' or 'report-only'",
  prune: 'true or false',
};

/** `text` undefined: no settings file, the defaults. */
export function parseSettings(text: string | undefined, where: string): { settings: SourceSettings; problems: Problem[] } {
  const settings = { ...DEFAULT_SETTINGS };
  if (text === undefined) return { settings, problems: [] };
  const bad = (path: string, value: string | undefined, allowed: string, message: string) =>
    problem(GITOPS_SETTINGS_INVALID, { path: `${where}${path}`, value, allowed, message: `${where}: ${message}` });
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { settings, problems: [bad('', undefined, 'a JSON object', `not valid JSON: ${(e as Error).message}`)] };
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { settings, problems: [bad('', JSON.stringify(data), 'a JSON object', 'the settings must be a JSON object')] };
  }
  const problems: Problem[] = [];
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    if (k === 'drift') {
      if (v === 'repair' || v === 'report-only') settings.drift = v;
      else problems.push(bad('#drift', JSON.stringify(v), ALLOWED.drift, `'drift' is ${JSON.stringify(v)}; use "repair" or "report-only"`));
    } else if (k === 'prune') {
      if (typeof v === 'boolean') settings.prune = v;
      else problems.push(bad('#prune', JSON.stringify(v), ALLOWED.prune, `'prune' is ${JSON.stringify(v)}; use true or false`));
    } else {
      problems.push(bad(`#${k}`, k, Object.keys(ALLOWED).join(', '), `'${k}' is not a gitops setting; the settings are ${Object.keys(ALLOWED).join(', ')}`));
    }
  }
  return { settings, problems };
}
