// Choosing the store from its URL (`--store URL`, else BERTH_STORE, else the default directory).
// `parseStoreUrl` is pure, so the URL rules are tested without opening anything.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BerthError, problem } from '../errors/registry';
import type { EtcdEndpoint } from './etcd-store';
import { FileStore } from './file-store';
import { CibStore } from './store';

export const DEFAULT_STORE_URL = 'file:///var/lib/berth';
export const DEFAULT_ETCD_PREFIX = '/berth';
export const DEFAULT_ETCD_PORT = 2379;

export const STORE_URL_FORMS = 'file:///ABSOLUTE/DIR, a directory path (absolute or relative), or etcd://HOST:PORT[,HOST:PORT...]/PREFIX';

export type StoreLocation =
  | { kind: 'file'; dir: string }
  | { kind: 'etcd'; endpoints: EtcdEndpoint[]; prefix: string };

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const PREFIX_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

function invalid(url: string, source: string, why: string): BerthError {
  return new BerthError([problem('STORE_URL_INVALID', { path: source, value: url, allowed: STORE_URL_FORMS, message: `'${url}' (${source}) is not a valid store URL: ${why}; use ${STORE_URL_FORMS}` })]);
}

function parseEndpoint(text: string, url: string, source: string): EtcdEndpoint {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+))(?::([0-9]{1,5}))?$/.exec(text);
  const host = m?.[1] ?? m?.[2];
  if (!m || !host || (m[2] !== undefined && !HOSTNAME.test(host))) throw invalid(url, source, `'${text}' is not HOST:PORT`);
  const port = m[3] === undefined ? DEFAULT_ETCD_PORT : Number(m[3]);
  if (port < 1 || port > 65535) throw invalid(url, source, `port ${m[3]} is not between 1 and 65535`);
  return { host, port };
}

/** The store a URL names; `source` says where the URL came from, for the message. */
export function parseStoreUrl(url: string, source = 'store URL'): StoreLocation {
  if (url.trim() === '') throw invalid(url, source, 'it is empty');
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: 'file', dir: path.resolve(url) };
  if (scheme === 'file') {
    if (!url.startsWith('file://')) throw invalid(url, source, "a file URL starts with 'file://' and an absolute path");
    if (/[?#]/.test(url)) throw invalid(url, source, 'a file URL has no query or fragment');
    try {
      return { kind: 'file', dir: path.resolve(fileURLToPath(url)) };
    } catch (e) {
      throw invalid(url, source, (e as Error).message);
    }
  }
  if (scheme === 'etcd') {
    const m = /^etcd:\/\/([^/?#]*)(\/[^?#]*)?$/i.exec(url);
    if (!m) throw invalid(url, source, 'an etcd URL has no query or fragment');
    if (!m[1]) throw invalid(url, source, 'it names no etcd endpoint');
    const endpoints = m[1].split(',').map((e) => parseEndpoint(e, url, source));
    const segments = (m[2] ?? '').split('/').filter((s) => s !== '');
    const bad = segments.find((s) => !PREFIX_SEGMENT.test(s));
    if (bad !== undefined) throw invalid(url, source, `prefix segment '${bad}' may hold only letters, digits, '_', '.', '-' (not starting with '.')`);
    return { kind: 'etcd', endpoints, prefix: segments.length ? `/${segments.join('/')}` : DEFAULT_ETCD_PREFIX };
  }
  throw invalid(url, source, `'${scheme}:' is not a store kind`);
}

/** The store at `url`, else BERTH_STORE, else file:///var/lib/berth. Opening touches nothing:
 * a file store's directory is made on the first write. */
export function openStore(url?: string): CibStore {
  const fromEnv = process.env.BERTH_STORE;
  const [chosen, source] = url !== undefined ? [url, 'store URL'] : fromEnv ? [fromEnv, 'BERTH_STORE'] : [DEFAULT_STORE_URL, 'default store'];
  const at = parseStoreUrl(chosen, source);
  if (at.kind === 'file') return new FileStore(at.dir);
  // Loaded only for etcd URLs: its HTTP client costs start-up time that file-store users need not pay.
  // Only an etcd store loads etcd's client (node:http and all): a file store is the common case.
  const { EtcdStore } = require('./etcd-store') as typeof import('./etcd-store');
  return new EtcdStore(at.endpoints, at.prefix);
}
