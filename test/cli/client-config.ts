// The client config: flags, then the environment, then the file ($BERTH_CONFIG); written by the
// daemons atomically with mode 0600, only when missing or different; a bad file is a coded error
// naming the file and the field; no controller anywhere names the three ways to give one.
import t from 'tap';
import type { Test } from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  ClientConfig, agentClientConfig, clientConfigPath, controllerClientConfig, parseClientConfig, readClientConfig, resolveClusterClient, writeClientConfig,
} from '../../src/cli/client-config';
import { main } from '../../src/cli/main';
import { BerthError, Problem } from '../../src/errors/registry';
import { generateAuthKey, writeAuthKeyFile } from '../../src/agent/authkey';

const FILE_CONFIG: ClientConfig = { controllers: ['http://file:7441'], authkey: '/file/authkey' };

t.test('precedence: flags, then environment, then the file, then the default', async (t) => {
  const table: { what: string; flags: { controller?: string; authkey?: string }; env: Record<string, string>; file?: ClientConfig; controllers?: [string, string]; authkey: [string, string]; reads: number }[] = [
    { what: 'flags win over all', flags: { controller: 'http://flag:1', authkey: '/flag/key' }, env: { BERTH_CONTROLLER: 'http://env:1', BERTH_AUTHKEY: '/env/key' }, file: FILE_CONFIG, controllers: ['http://flag:1', '--controller'], authkey: ['/flag/key', '--authkey'], reads: 0 },
    { what: 'environment over the file', flags: {}, env: { BERTH_CONTROLLER: 'http://env:1', BERTH_AUTHKEY: '/env/key' }, file: FILE_CONFIG, controllers: ['http://env:1', 'BERTH_CONTROLLER'], authkey: ['/env/key', 'BERTH_AUTHKEY'], reads: 0 },
    { what: 'the file', flags: {}, env: {}, file: FILE_CONFIG, controllers: ['http://file:7441', '/etc/berth/client.json'], authkey: ['/file/authkey', '/etc/berth/client.json'], reads: 1 },
    { what: 'mixed: a flag, the file for the rest', flags: { authkey: '/flag/key' }, env: {}, file: FILE_CONFIG, controllers: ['http://file:7441', '/etc/berth/client.json'], authkey: ['/flag/key', '--authkey'], reads: 1 },
    { what: 'BERTH_CONFIG names the file', flags: {}, env: { BERTH_CONFIG: '/tmp/x.json' }, file: { controllers: ['http://a:1', 'http://b:2'] }, controllers: ['http://a:1,http://b:2', '/tmp/x.json'], authkey: ['/etc/berth/authkey', 'the default'], reads: 1 },
    { what: 'nothing anywhere', flags: {}, env: {}, authkey: ['/etc/berth/authkey', 'the default'], reads: 1 },
  ];
  for (const c of table) {
    const read: string[] = [];
    const r = resolveClusterClient(c.flags, c.env, (file) => { read.push(file); return c.file; });
    t.same(r.controllers && [r.controllers.value, r.controllers.from], c.controllers, `${c.what}: controllers`);
    t.same([r.authkey.value, r.authkey.from], c.authkey, `${c.what}: authkey`);
    t.equal(read.length, c.reads, `${c.what}: the file read only when needed, once`);
    t.equal(r.file, clientConfigPath(c.env));
  }
});

t.test('a bad config file: CLIENT_CONFIG_INVALID naming the file, the field, the value, what is allowed', async (t) => {
  const f = '/etc/berth/client.json';
  const table: { what: string; text: string; problems: Partial<Problem>[] }[] = [
    { what: 'not JSON', text: '{controllers:', problems: [{ code: 'CLIENT_CONFIG_INVALID', path: f, allowed: 'a JSON object' }] },
    { what: 'not an object', text: '["http://a:1"]', problems: [{ code: 'CLIENT_CONFIG_INVALID', path: f, value: '["http://a:1"]', allowed: 'a JSON object' }] },
    { what: 'no controllers', text: '{"authkey":"/k"}', problems: [{ code: 'CLIENT_CONFIG_INVALID', path: `${f}: controllers`, allowed: 'a non-empty list of http://HOST:PORT' }] },
    { what: 'a bad URL', text: '{"controllers":["http://a:1","ftp://b"]}', problems: [{ code: 'CLIENT_CONFIG_INVALID', path: `${f}: controllers`, value: 'ftp://b', allowed: 'http://HOST:PORT' }] },
    { what: 'a relative authkey', text: '{"controllers":["http://a:1"],"authkey":"key"}', problems: [{ code: 'CLIENT_CONFIG_INVALID', path: `${f}: authkey`, value: 'key', allowed: 'an absolute file path' }] },
    {
      what: 'an unknown field, and a bad URL: every problem', text: '{"controller":"http://a:1","controllers":[7]}',
      problems: [{ code: 'CLIENT_CONFIG_INVALID', path: `${f}: controller`, value: 'controller', allowed: 'controllers, authkey' }, { code: 'CLIENT_CONFIG_INVALID', path: `${f}: controllers`, value: '7' }],
    },
  ];
  for (const c of table) {
    const r = parseClientConfig(c.text, f);
    t.equal(r.config, undefined, `${c.what}: no config`);
    t.match(r.problems, c.problems, `${c.what}: problems`);
    t.equal(r.problems.length, c.problems.length, `${c.what}: as many problems`);
    for (const p of r.problems) t.match(p.message, /^client config \/etc\/berth\/client\.json: /, `${c.what}: the message names the file`);
  }
  t.same(parseClientConfig('{"controllers":["http://a:1/"],"authkey":"/k"}', f), { config: { controllers: ['http://a:1'], authkey: '/k' }, problems: [] });
});

t.test('reading the file: missing is no config, broken or unreadable is an error', async (t) => {
  const dir = t.testdir({ 'bad.json': '{"controllers":[]}', 'good.json': '{"controllers":["http://a:1"]}', 'dir.json': {} });
  t.equal(readClientConfig(path.join(dir, 'none.json')), undefined);
  t.same(readClientConfig(path.join(dir, 'good.json')), { controllers: ['http://a:1'] });
  for (const name of ['bad.json', 'dir.json']) {
    const file = path.join(dir, name);
    try {
      readClientConfig(file);
      t.fail(`${name}: no error`);
    } catch (e) {
      t.ok(e instanceof BerthError, `${name}: a coded error`);
      t.match((e as BerthError).problems[0], { code: 'CLIENT_CONFIG_INVALID', path: new RegExp(`^${file.replace(/[.]/g, '\\.')}`) }, `${name}: names the file`);
    }
  }
});

t.test('written atomically, mode 0600, only when missing or different', async (t) => {
  const dir = t.testdir({});
  const file = path.join(dir, 'etc', 'client.json');
  t.equal(writeClientConfig(file, agentClientConfig(['http://a:1', 'http://b:2'], '/k/authkey')), 'written');
  t.equal(fs.statSync(file).mode & 0o777, 0o600, 'file 0600');
  t.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700, 'directory made 0700');
  t.same(readClientConfig(file), { controllers: ['http://a:1', 'http://b:2'], authkey: '/k/authkey' });
  const ino = fs.statSync(file).ino;
  t.equal(writeClientConfig(file, agentClientConfig(['http://a:1', 'http://b:2'], '/k/authkey')), 'unchanged');
  t.equal(fs.statSync(file).ino, ino, 'the same file: not rewritten');
  // a controller already listed changes nothing; one not listed is added, the authkey kept
  t.equal(writeClientConfig(file, controllerClientConfig('http://b:2', '/other/key')), 'unchanged');
  t.equal(writeClientConfig(file, controllerClientConfig('http://c:3', '/other/key')), 'written');
  t.not(fs.statSync(file).ino, ino, 'replaced by rename, not rewritten in place');
  t.same(readClientConfig(file), { controllers: ['http://a:1', 'http://b:2', 'http://c:3'], authkey: '/k/authkey' });
  t.equal(fs.statSync(file).mode & 0o777, 0o600);
  // a broken file is replaced whole by what the daemon knows
  fs.writeFileSync(file, '{oops');
  t.equal(writeClientConfig(file, controllerClientConfig('http://c:3', 'rel/key')), 'written');
  t.same(readClientConfig(file), { controllers: ['http://c:3'], authkey: path.resolve('rel/key') }, 'the authkey made absolute');
  t.same(fs.readdirSync(path.dirname(file)), ['client.json'], 'no temp file left');
});

t.test('a directory that cannot be written: FILE_WRITE_FAILED, nothing written', async (t) => {
  const dir = t.testdir({ 'client.json': {} });
  let problems: Problem[] = [];
  try {
    writeClientConfig(path.join(dir, 'client.json'), agentClientConfig(['http://a:1'], '/k'));
  } catch (e) {
    problems = (e as BerthError).problems;
  }
  t.match(problems, [{ code: 'FILE_WRITE_FAILED' }]);
  t.ok(fs.statSync(path.join(dir, 'client.json')).isDirectory(), 'left as it was');
});

/** `berth cluster status` as run from the command line, with this environment. */
async function clusterStatus(t: Test, env: Record<string, string | undefined>, args: string[] = []) {
  const saved: Record<string, string | undefined> = {};
  for (const k of ['BERTH_CONFIG', 'BERTH_CONTROLLER', 'BERTH_AUTHKEY']) { saved[k] = process.env[k]; delete process.env[k]; }
  Object.assign(process.env, Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)));
  t.teardown(() => { for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; } });
  let out = '';
  let err = '';
  const code = await main(['cluster', 'status', ...args], { out: (s) => { out += s; }, err: (s) => { err += s; } });
  for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
  return { code, out, err };
}

t.test('berth cluster status takes its defaults from the client config', async (t) => {
  const dir = t.testdir({ 'bad.json': '{"controllers":"http://a:1"}' });
  const key = path.join(dir, 'authkey');
  writeAuthKeyFile(key, generateAuthKey());
  const none = await clusterStatus(t, { BERTH_CONFIG: path.join(dir, 'none.json') });
  t.equal(none.code, 2, 'no controller anywhere: usage error');
  t.match(none.err, /no controller to ask: give --controller URL\[,URL\.\.\.\], set BERTH_CONTROLLER, or run where 'berth agent' or 'berth controller --listen' has written .*none\.json/);
  const bad = await clusterStatus(t, { BERTH_CONFIG: path.join(dir, 'bad.json') });
  t.equal(bad.code, 1);
  t.match(bad.err, /client config .*bad\.json: 'controllers' must be a non-empty list of URLs \[CLIENT_CONFIG_INVALID at .*bad\.json: controllers\]/);
  // from the file: nothing listens on port 9, so the controller it names is reported unreachable
  const good = path.join(dir, 'client.json');
  writeClientConfig(good, agentClientConfig(['http://127.0.0.1:9'], key));
  const fromFile = await clusterStatus(t, { BERTH_CONFIG: good });
  t.equal(fromFile.code, 1);
  t.match(fromFile.err, /no controller answers: http:\/\/127\.0\.0\.1:9: .*\[AGENT_UNREACHABLE/);
  // the flag wins over the file (and over the environment)
  const flag = await clusterStatus(t, { BERTH_CONFIG: good, BERTH_CONTROLLER: 'http://127.0.0.1:10' }, ['--controller', 'http://127.0.0.1:11', '--authkey', key]);
  t.match(flag.err, /no controller answers: http:\/\/127\.0\.0\.1:11: /);
  const fromEnv = await clusterStatus(t, { BERTH_CONFIG: good, BERTH_CONTROLLER: 'http://127.0.0.1:10' });
  t.match(fromEnv.err, /no controller answers: http:\/\/127\.0\.0\.1:10: /);
  // an authkey path from the file that does not exist: the error says where the path came from
  writeClientConfig(good, () => ({ controllers: ['http://127.0.0.1:9'], authkey: path.join(dir, 'nokey') }));
  const noKey = await clusterStatus(t, { BERTH_CONFIG: good });
  t.equal(noKey.code, 1);
  t.match(noKey.err, /authkey .*nokey: the file does not exist .*\(the path is from .*client\.json; give another with --authkey FILE, BERTH_AUTHKEY or 'authkey' in .*client\.json\) \[AUTHKEY_INVALID/);
});
