// Fuzz: >= 10,000 mutated CIB files and command lines through the real CLI entry point.
// The contract: a clean error (exit 1 or 2, never the internal-error code 70, never a hang) with
// the file byte-for-byte unchanged, or success with a result that is still a loadable CIB.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { parseCib } from '../../src/cib/cib';
import { prng } from '../helpers/prng';

const SEED_CIB = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'cib', 'rich.xml'), 'utf8');


const SNIPPETS = ['<', '>', '/>', '"', "'", '&', '&amp;', '&#0;', '&#x110000;', '&bogus;', '<!DOCTYPE x [<!ENTITY a "b">]>', '<!--', '-->', ']]>', '<![CDATA[', '\u0000', '\uFFFF', '\xff', ' id="dup"', '<bundle id="b"/>', '<docker image=""/>', ' replicas="-1"', ' epoch="x"', '</cib>', '<cib>', '{', '}', '"tag":', '\n', '=', ' ', 'é', '😀'];

function mutate(text: string, rnd: () => number): string | Buffer {
  const n = 1 + Math.floor(rnd() * 4);
  let s = text;
  for (let i = 0; i < n; i++) {
    const at = Math.floor(rnd() * (s.length + 1));
    const op = Math.floor(rnd() * 6);
    if (op === 0) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(rnd() * 20));
    else if (op === 1) s = s.slice(0, at) + SNIPPETS[Math.floor(rnd() * SNIPPETS.length)] + s.slice(at);
    else if (op === 2) s = s.slice(0, at) + String.fromCharCode(Math.floor(rnd() * 128)) + s.slice(at + 1);
    else if (op === 3) { const len = Math.floor(rnd() * 200); s = s.slice(0, at) + s.slice(at, at + len) + s.slice(at); }
    else if (op === 4) s = s.slice(0, at);
    else {
      const b = Buffer.from(s);
      const k = Math.floor(rnd() * b.length);
      b[k] = Math.floor(rnd() * 256);
      return b;
    }
  }
  return s;
}

const WORDS = ['resource', 'bundle', 'create', 'update', 'reset', 'delete', 'enable', 'disable', 'config', 'container', 'docker', 'podman', 'network', 'port-map', 'storage-map', 'meta', 'add', 'remove', 'b1', 'b2', 'httpd', '1bad', 'image=x', 'image=', 'replicas=3', 'replicas=-1', 'replicas=abc', 'promoted-max=2', 'masters=1', 'ip-range-start=127.0.1.1', 'ip-range-start=300.1.1.1', 'ip-range-start=255.255.255.255', 'host-netmask=33', 'control-port=3121', 'port=80', 'port=80', 'range=8000-8010', 'internal-port=81', 'source-dir=/a', 'source-dir=../x', 'source-dir-root=/r', 'target-dir=/t', 'target-role=Stopped', 'options=--cpus=1', 'options=--bogus', 'id=x', '=v', 'k', '--force', '--disabled', '--json', 'property', 'set', 'unset', 'constraint', 'location', 'prefers', 'avoids', 'node1', 'node1=50', 'order', 'then', 'colocation', 'with'];

function randomArgv(rnd: () => number): string[] {
  const len = Math.floor(rnd() * 12);
  const out: string[] = [];
  if (rnd() < 0.7) out.push('resource', 'bundle', ['create', 'update', 'reset'][Math.floor(rnd() * 3)], rnd() < 0.5 ? 'httpd-bundle' : 'b' + Math.floor(rnd() * 3));
  for (let i = 0; i < len; i++) out.push(WORDS[Math.floor(rnd() * WORDS.length)]);
  return out;
}

const silent = { out: () => {}, err: () => {} };

t.test('mutated CIBs and command lines: clean error with the file unchanged, or a valid result', async (t) => {
  const dir = t.testdir({});
  const file = path.join(dir, 'cib.xml');
  const rnd = prng(20261123);
  const N = Number(process.env.BERTH_FUZZ_N ?? 10000);
  let ok = 0, refused = 0;
  const failures: string[] = [];
  for (let i = 0; i < N && failures.length < 5; i++) {
    const mutateFile = i % 2 === 0;
    const content = mutateFile ? mutate(SEED_CIB, rnd) : SEED_CIB;
    fs.writeFileSync(file, content);
    const before = fs.readFileSync(file);
    const argv = mutateFile ? ['resource', 'bundle', 'create', 'fz' + i, 'container', 'docker', 'image=x'] : randomArgv(rnd);
    const code = await main(['-f', file, ...argv], silent);
    const after = fs.readFileSync(file);
    if (code === 0) {
      ok++;
      try { parseCib(after.toString('utf8'), 'result'); } catch (e) { failures.push(`#${i} success left an unloadable CIB: ${(e as Error).message} argv=${JSON.stringify(argv)}`); }
    } else {
      refused++;
      if (code === 70) failures.push(`#${i} internal error for argv=${JSON.stringify(argv)} file=${JSON.stringify(content.toString().slice(0, 300))}`);
      if (!before.equals(after)) failures.push(`#${i} file changed on error, argv=${JSON.stringify(argv)}`);
    }
  }
  t.same(failures, [], 'no crash, no change on error');
  t.ok(ok > 100 && refused > 100, `both outcomes exercised (ok=${ok}, refused=${refused})`);
});

t.test('hostile files', async (t) => {
  const dir = t.testdir({});
  const cases: [string, string | Buffer, string][] = [
    ['billion laughs', '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><cib>&lol2;</cib>', 'XML_ENTITY_REFUSED'],
    ['external entity', '<!DOCTYPE cib [<!ENTITY x SYSTEM "file:///etc/passwd">]><cib a="&x;"/>', 'XML_ENTITY_REFUSED'],
    ['invalid utf-8', Buffer.from([0x3c, 0x63, 0x69, 0x62, 0x20, 0x61, 0x3d, 0x22, 0xc3, 0x28, 0x22, 0x2f, 0x3e]), 'FILE_NOT_UTF8'],
    ['malformed', '<cib><configuration></cib>', 'XML_MALFORMED'],
    ['not a cib', '<foo/>', 'CIB_NOT_A_CIB'],
    // no tree (a value that is not text, a node that is neither element, comment nor text); a value
    // an option rule refuses is read as XML reads it (test/cib/cib.ts)
    ['json that is no tree', JSON.stringify({ tag: 'cib', attrs: { epoch: 1 }, children: [{ tag: 'configuration', children: [{ tag: 'resources', children: [{ node: 'bundle' }] }] }] }), 'SCHEMA_VIOLATION'],
    ['bad json', '{"tag": "cib",', 'JSON_MALFORMED'],
  ];
  for (const [name, content, code] of cases) {
    const file = path.join(dir, name.replace(/\W+/g, '_') + '.xml');
    fs.writeFileSync(file, content);
    const before = fs.readFileSync(file);
    let err = '';
    const rc = await main(['-f', file, '--json', 'resource', 'bundle', 'create', 'b', 'container', 'docker', 'image=x'], { out: () => {}, err: (s) => { err += s; } });
    t.equal(rc, 1, `${name}: exit 1`);
    t.match(JSON.parse(err).problems[0].code, code, `${name}: ${code}`);
    t.same(fs.readFileSync(file), before, `${name}: file unchanged`);
  }
});

t.test('a 100 MB file is refused before it is read', async (t) => {
  const dir = t.testdir({});
  const file = path.join(dir, 'big.xml');
  const fd = fs.openSync(file, 'w');
  const chunk = Buffer.alloc(1024 * 1024, 0x20);
  fs.writeSync(fd, '<cib>');
  for (let i = 0; i < 100; i++) fs.writeSync(fd, chunk);
  fs.writeSync(fd, '</cib>');
  fs.closeSync(fd);
  const size = fs.statSync(file).size;
  let err = '';
  const started = Date.now();
  const rc = await main(['-f', file, '--json', 'resource', 'config'], { out: () => {}, err: (s) => { err += s; } });
  t.equal(rc, 1);
  t.equal(JSON.parse(err).problems[0].code, 'FILE_TOO_LARGE');
  t.equal(fs.statSync(file).size, size, 'file untouched');
  t.ok(Date.now() - started < 2000, 'refused quickly');
});

t.test('argv with missing sections or values', async (t) => {
  const dir = t.testdir({});
  const file = path.join(dir, 'cib.xml');
  fs.writeFileSync(file, SEED_CIB);
  const before = fs.readFileSync(file);
  const cases: string[][] = [
    ['resource', 'bundle', 'create'],
    ['resource', 'bundle', 'create', 'b', 'container'],
    ['resource', 'bundle', 'create', 'b', 'container', 'docker', 'image=x', 'network'],
    ['resource', 'bundle', 'create', 'b', 'container', 'docker', 'image=x', 'port-map'],
    ['resource', 'bundle', 'create', 'b', 'container', 'docker', 'image'],
    ['resource', 'bundle', 'create', 'b', 'container', 'docker', '=x'],
    ['resource', 'bundle', 'update', 'httpd-bundle', 'port-map', 'add'],
    ['resource', 'bundle', 'update', 'httpd-bundle', 'port-map', 'frob', 'x'],
    ['resource', 'bundle', 'bogus'],
    ['resource', 'delete'],
    ['-f'],
  ];
  for (const argv of cases) {
    const rc = await main(argv[0] === '-f' ? argv : ['-f', file, ...argv], silent);
    t.ok(rc === 1 || rc === 2, `${argv.join(' ')} -> ${rc}`);
    t.same(fs.readFileSync(file), before, 'file unchanged');
  }
});
