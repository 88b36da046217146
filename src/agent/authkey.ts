// The cluster's shared authkey: a file of random bytes on every node (like Pacemaker's
// /etc/pacemaker/authkey), the key of the HMAC that signs everything between the controller and
// the node agents. Whoever can read it can command every node, so it is written 0400 in a 0700
// directory, and a copy that group or others can access is refused, as ssh refuses such a
// private key.
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { readFileBounded } from '../cib/cib-file';
import { writeFileAtomic } from '../cib/file-write';
import { BerthError, problem } from '../errors/registry';

export const DEFAULT_AUTHKEY_FILE = '/etc/berth/authkey';
export const AUTHKEY_BYTES = 256;
/** below this an HMAC key is guessable in principle; 32 bytes is SHA-256's own size */
export const AUTHKEY_MIN_BYTES = 32;
// A key file larger than this is not a key (a wrong path, say): do not read it all.
const AUTHKEY_MAX_BYTES = 64 * 1024;

export function generateAuthKey(): Buffer {
  return randomBytes(AUTHKEY_BYTES);
}

const invalid = (file: string, message: string) => new BerthError([problem('AUTHKEY_INVALID', { path: file, message: `authkey ${file}: ${message}` })]);

/** Writes the key atomically, mode 0400. An existing file is kept unless force: replacing the key
 * on one node cuts it off from the others until every node has the new one. */
export function writeAuthKeyFile(file: string, key: Buffer, opts: { force?: boolean } = {}): void {
  if (key.length < AUTHKEY_MIN_BYTES) throw invalid(file, `a key of ${key.length} bytes is too short (at least ${AUTHKEY_MIN_BYTES})`);
  const exists = () =>
    new BerthError([problem('FILE_WRITE_FAILED', { path: file, message: `authkey ${file}: the file exists; use --force to replace the key (every node then needs the new one)`, forceable: true })]);
  // Without force a link, not a rename: it fails if the file exists, even if it appeared just now.
  writeFileAtomic(file, key, { mode: 0o400, dirMode: 0o700, replace: opts.force === true, exists, what: 'authkey' });
}

/** The key in the file, or BerthError AUTHKEY_INVALID saying why it cannot be used. */
export function readAuthKey(file: string): Buffer {
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw invalid(file, code === 'ENOENT' ? "the file does not exist (make one with 'berth authkey generate' and copy it to every node)" : `cannot be read (${code ?? (e as Error).message})`);
  }
  if (!st.isFile()) throw invalid(file, 'not a regular file');
  if (st.mode & 0o077) {
    throw invalid(file, `group or others can access it (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}); run: chmod 400 ${file}`);
  }
  if (st.size > AUTHKEY_MAX_BYTES) throw invalid(file, `${st.size} bytes is not a key (at most ${AUTHKEY_MAX_BYTES})`);
  let key: Buffer;
  try {
    // Opened and checked again: the file may have been replaced since the stat (by a FIFO, say).
    key = readFileBounded(file, { what: 'authkey', maxBytes: AUTHKEY_MAX_BYTES });
  } catch (e) {
    throw invalid(file, `cannot be read (${(e as Error).message})`);
  }
  if (key.length < AUTHKEY_MIN_BYTES) throw invalid(file, `${key.length} bytes is too short (at least ${AUTHKEY_MIN_BYTES})`);
  return key;
}
