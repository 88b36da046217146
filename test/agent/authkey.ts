// The authkey file (src/agent/authkey.ts) and `berth authkey generate`: written 0400 in a 0700
// directory, never over an existing key without --force, and refused when it cannot be trusted.
import t from 'tap';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AUTHKEY_BYTES, generateAuthKey, readAuthKey, writeAuthKeyFile } from '../../src/agent/authkey';
import { authkeyGenerateCmd } from '../../src/cli/authkey-commands';
import type { Flags, Io } from '../../src/cli/invocation';
import { BerthError } from '../../src/errors/registry';
import { codesOf } from '../helpers/problems';

const problemOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof BerthError) return { code: e.problems[0].code, path: e.problems[0].path, forceable: e.problems[0].forceable ?? false };
    throw e;
  }
  return { code: 'ok' };
};

t.test('generate and write: mode 0400, parent 0700, the same bytes back', async (t) => {
  const dir = t.testdir({});
  const file = path.join(dir, 'etc', 'berth', 'authkey');
  const key = generateAuthKey();
  t.equal(key.length, AUTHKEY_BYTES);
  t.not(key.toString('hex'), generateAuthKey().toString('hex'), 'random');
  writeAuthKeyFile(file, key);
  t.equal(statSync(file).mode & 0o777, 0o400);
  t.equal(statSync(path.dirname(file)).mode & 0o777, 0o700);
  t.ok(readAuthKey(file).equals(key));
  t.strictSame(readdirSync(path.dirname(file)), ['authkey'], 'no temporary file left');
});

t.test('an existing key is kept unless forced', async (t) => {
  const dir = t.testdir({});
  const file = path.join(dir, 'authkey');
  const first = generateAuthKey();
  writeAuthKeyFile(file, first);
  t.strictSame(problemOf(() => writeAuthKeyFile(file, generateAuthKey())), { code: 'FILE_WRITE_FAILED', path: file, forceable: true });
  t.ok(readFileSync(file).equals(first), 'unchanged');
  const second = generateAuthKey();
  writeAuthKeyFile(file, second, { force: true });
  t.ok(readAuthKey(file).equals(second));
  t.strictSame(readdirSync(dir), ['authkey'], 'no temporary file left');
});

t.test('a key that cannot be trusted is refused, naming the file and why', async (t) => {
  const dir = t.testdir({});
  const at = (name: string, content: Buffer, mode: number) => {
    const f = path.join(dir, name);
    writeFileSync(f, content);
    chmodSync(f, mode);
    return f;
  };
  const rows: [string, string, RegExp][] = [
    ['missing', path.join(dir, 'nothing'), /does not exist/],
    ['a directory', (mkdirSync(path.join(dir, 'd')), path.join(dir, 'd')), /not a regular file/],
    ['readable by others', at('world', generateAuthKey(), 0o644), /group or others can access it \(mode 0644\)/],
    ['readable by the group', at('group', generateAuthKey(), 0o440), /mode 0440/],
    ['too short', at('short', Buffer.alloc(31, 1), 0o400), /31 bytes is too short/],
    ['just long enough', at('ok', Buffer.alloc(32, 1), 0o600), /^$/],
  ];
  for (const [name, file, why] of rows) {
    let message = '';
    let code = 'ok';
    try {
      readAuthKey(file);
    } catch (e) {
      if (!(e instanceof BerthError)) throw e;
      code = e.problems[0].code;
      message = e.problems[0].message;
      t.equal(e.problems[0].path, file, `${name}: the path`);
      t.match(message, file, `${name}: the message names the file`);
    }
    t.equal(code, name === 'just long enough' ? 'ok' : 'AUTHKEY_INVALID', name);
    t.match(message, why, name);
  }
});

t.test('berth authkey generate [FILE] [--force] [--json]', async (t) => {
  const dir = t.testdir({});
  const file = path.join(dir, 'authkey');
  let out = '';
  const io: Io = { out: (s) => { out += s; }, err: () => {} };
  const flags = (f: Partial<Flags> = {}): Flags => ({ force: false, json: false, help: false, ...f });
  t.equal(await authkeyGenerateCmd({ args: [file], flags: flags({ json: true }), io }), 0);
  t.strictSame(JSON.parse(out), { path: file, bytes: AUTHKEY_BYTES });
  const key = readAuthKey(file);
  t.strictSame(await codesOf(Promise.resolve().then(() => authkeyGenerateCmd({ args: [file], flags: flags(), io }))), ['FILE_WRITE_FAILED']);
  t.ok(readAuthKey(file).equals(key), 'kept');
  out = '';
  t.equal(await authkeyGenerateCmd({ args: [file], flags: flags({ force: true }), io }), 0);
  t.match(out, `to ${file}`);
  t.notOk(readAuthKey(file).equals(key), 'replaced');
  t.strictSame(await codesOf(Promise.resolve().then(() => authkeyGenerateCmd({ args: [file, 'extra'], flags: flags(), io }))), ['USAGE']);
});
