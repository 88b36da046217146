// The client config: where the cluster commands find the controllers and the authkey when no flag
// names them, like pcs's known hosts. `berth agent` and `berth controller --listen` write it when
// they start (atomically, mode 0600, only when it is missing or says something else), so that on a
// node `berth cluster status` works bare. Every value is taken from, in order: the flag, the
// environment (BERTH_CONTROLLER, BERTH_AUTHKEY), the file ($BERTH_CONFIG, else
// /etc/berth/client.json); the authkey last from its default, /etc/berth/authkey.
// See docs/client-config.md.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { BerthError, Problem, problem } from '../errors/registry';
import { writeFileAtomic } from '../cib/file-write';
import { DEFAULT_AUTHKEY_FILE } from '../agent/authkey';

export const DEFAULT_CLIENT_CONFIG = '/etc/berth/client.json';

export interface ClientConfig {
  /** the controllers' URLs, in the order they are asked */
  controllers: string[];
  /** the authkey file, an absolute path */
  authkey?: string;
}

/** Where a value came from, for messages: `--controller`, `BERTH_CONTROLLER`, the file, the default. */
export interface Sourced<T> {
  value: T;
  from: string;
}

type Env = Record<string, string | undefined>;

export const clientConfigPath = (env: Env): string => env.BERTH_CONFIG || DEFAULT_CLIENT_CONFIG;

const URL_SHAPE = /^https?:\/\/[^\s/]+\/?$/;
const KEYS = ['controllers', 'authkey'];

/** The file's text as a config, or every problem with it, each naming the file and the field. */
export function parseClientConfig(text: string, file: string): { config?: ClientConfig; problems: Problem[] } {
  const bad = (field: string, value: unknown, allowed: string, why: string) =>
    problem('CLIENT_CONFIG_INVALID', { path: `${file}${field ? `: ${field}` : ''}`, ...(value !== undefined ? { value: typeof value === 'string' ? value : JSON.stringify(value) } : {}), allowed, message: `client config ${file}: ${why}` });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { problems: [bad('', undefined, 'a JSON object', `not JSON (${(e as Error).message})`)] };
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { problems: [bad('', raw, 'a JSON object', 'not a JSON object')] };
  const o = raw as Record<string, unknown>;
  const problems: Problem[] = [];
  for (const k of Object.keys(o)) if (!KEYS.includes(k)) problems.push(bad(k, k, KEYS.join(', '), `'${k}' is not a field of the client config, use ${KEYS.join(' or ')}`));
  const controllers: string[] = [];
  if (!Array.isArray(o.controllers) || o.controllers.length === 0) {
    problems.push(bad('controllers', o.controllers, 'a non-empty list of http://HOST:PORT', "'controllers' must be a non-empty list of URLs"));
  } else {
    for (const u of o.controllers) {
      if (typeof u === 'string' && URL_SHAPE.test(u)) controllers.push(u.replace(/\/$/, ''));
      else problems.push(bad('controllers', u, 'http://HOST:PORT', `${JSON.stringify(u)} is not a controller URL, use http://HOST:PORT`));
    }
  }
  if (o.authkey !== undefined && (typeof o.authkey !== 'string' || !path.isAbsolute(o.authkey))) {
    problems.push(bad('authkey', o.authkey, 'an absolute file path', "'authkey' must be the absolute path of the authkey file"));
  }
  if (problems.length) return { problems };
  return { config: { controllers, ...(typeof o.authkey === 'string' ? { authkey: o.authkey } : {}) }, problems };
}

/** The config in `file`; undefined when there is none; BerthError CLIENT_CONFIG_INVALID when it
 * cannot be read or is not a config (never taken as absent: a broken file is a mistake to fix). */
export function readClientConfig(file: string): ClientConfig | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new BerthError([problem('CLIENT_CONFIG_INVALID', { path: file, ...(code ? { value: code } : {}), allowed: 'a readable JSON file', message: `client config ${file}: cannot be read (${code ?? (e as Error).message})` })]);
  }
  const { config, problems } = parseClientConfig(text, file);
  if (!config) throw new BerthError(problems);
  return config;
}

export interface ClusterClient {
  /** undefined: none given anywhere (the caller says so if it needs them) */
  controllers?: Sourced<string>;
  authkey: Sourced<string>;
  /** the client config file looked at */
  file: string;
}

/**
 * The controllers and the authkey from the flags, then the environment, then the client config
 * (read only when a flag and its variable are both missing). Pure but for `read`.
 */
export function resolveClusterClient(flags: { controller?: string; authkey?: string }, env: Env, read: (file: string) => ClientConfig | undefined = readClientConfig): ClusterClient {
  const file = clientConfigPath(env);
  let config: ClientConfig | undefined | null = null;
  const fromFile = () => (config === null ? (config = read(file)) : config);
  const controllers: Sourced<string> | undefined = flags.controller !== undefined ? { value: flags.controller, from: '--controller' }
    : env.BERTH_CONTROLLER ? { value: env.BERTH_CONTROLLER, from: 'BERTH_CONTROLLER' }
    : fromFile() ? { value: fromFile()!.controllers.join(','), from: file }
    : undefined;
  const authkey: Sourced<string> = flags.authkey !== undefined ? { value: flags.authkey, from: '--authkey' }
    : env.BERTH_AUTHKEY ? { value: env.BERTH_AUTHKEY, from: 'BERTH_AUTHKEY' }
    : fromFile()?.authkey ? { value: fromFile()!.authkey!, from: file }
    : { value: DEFAULT_AUTHKEY_FILE, from: 'the default' };
  return { ...(controllers ? { controllers } : {}), authkey, file };
}

/** The error for controllers given nowhere: it names the three ways to give them. */
export function controllersMissing(file: string): BerthError {
  return new BerthError([problem('USAGE', {
    path: '--controller',
    allowed: `--controller URL[,URL...], BERTH_CONTROLLER, or 'controllers' in ${file}`,
    message: `no controller to ask: give --controller URL[,URL...], set BERTH_CONTROLLER, or run where 'berth agent' or 'berth controller --listen' has written ${file} (BERTH_CONFIG names another file)`,
  })]);
}

/** What a daemon writes: the controllers it knows and the authkey it uses (made absolute). */
export function clientConfigText(c: ClientConfig): string {
  return JSON.stringify({ controllers: c.controllers, ...(c.authkey ? { authkey: path.resolve(c.authkey) } : {}) }, null, 2) + '\n';
}

export type ConfigWrite = 'written' | 'unchanged';

/**
 * Writes `next(current)` to `file` atomically with mode 0600 (the directory 0700 when made), only
 * when the file is missing or says something else. `current` is undefined when the file is
 * missing or not a valid config (then it is replaced). Throws FILE_WRITE_FAILED.
 */
export function writeClientConfig(file: string, next: (current: ClientConfig | undefined) => ClientConfig): ConfigWrite {
  let current: ClientConfig | undefined;
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
    current = parseClientConfig(text, file).config;
  } catch {
    // missing or unreadable: written anew
  }
  const wanted = clientConfigText(next(current));
  if (text === wanted) return 'unchanged';
  writeFileAtomic(file, wanted, { mode: 0o600, dirMode: 0o700, what: 'client config' });
  return 'written';
}

/** The agent's config: its controllers (it knows them all) and its authkey. */
export const agentClientConfig = (controllers: string[], authkey: string) => (): ClientConfig => ({ controllers, authkey });

/** A controller's config: its own URL added to the controllers already known (an agent on the same
 * node wrote them all), the authkey kept when one is known. */
export const controllerClientConfig = (self: string, authkey: string) => (current: ClientConfig | undefined): ClientConfig => ({
  controllers: current && current.controllers.length ? (current.controllers.includes(self) ? current.controllers : [...current.controllers, self]) : [self],
  authkey: current?.authkey ?? authkey,
});
