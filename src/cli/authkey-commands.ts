// `berth authkey generate`: write a new cluster authkey (src/agent/authkey.ts), the shared secret
// that signs everything between the controller and the node agents.
import * as path from 'node:path';
import { BerthError, problem } from '../errors/registry';
import type { Command } from './invocation';
import { lazy } from './lazy';

export const authkeyGenerateHelp = `Usage: berth authkey generate [FILE] [--force] [--json]

Write a new cluster authkey to FILE (default /etc/berth/authkey): 256 random bytes, mode 0400, in
a directory created 0700 if missing; written to a temporary file and renamed, so a reader never
sees half a key. Copy the same file to every node (same path, same mode), as with Pacemaker's
/etc/pacemaker/authkey: the controller and every \`berth agent\` sign and check each request with
it, and refuse a key file that group or others can read.

  --force   replace an existing key file (every node then needs the new key before the
            controller can reach it again)
  --json    print {"path", "bytes"}

Exit codes: 0 written, 1 the file exists (without --force) or cannot be written, 2 usage error.
`;

export const authkeyGenerateCmd: Command = ({ args, flags, io }) => {
  if (args.length > 1) throw new BerthError([problem('USAGE', { value: args[1], message: `unexpected argument '${args[1]}': berth authkey generate takes one FILE at most` })]);
  const { DEFAULT_AUTHKEY_FILE, generateAuthKey, writeAuthKeyFile } = lazy.agentAuthkey();
  const file = path.resolve(args[0] ?? DEFAULT_AUTHKEY_FILE);
  const key = generateAuthKey();
  writeAuthKeyFile(file, key, { force: flags.force });
  if (flags.json) io.out(JSON.stringify({ path: file, bytes: key.length }) + '\n');
  else io.out(`Wrote a new authkey (${key.length} bytes) to ${file}. Copy it to the same path on every node.\n`);
  return 0;
};
