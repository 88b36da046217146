// bin/berth as users run it (through its shebang): node starts without NODE_EXTRA_CA_CERTS, whose
// CA bundle Node 20 would read and parse before any script runs, and every process berth starts
// gets the variable back.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { berthBin, ensureBuilt } from '../helpers/cli';

ensureBuilt();

t.test('the shebang fits the 127 characters older kernels read (Linux < 5.1)', async (t) => {
  const first = fs.readFileSync(berthBin, 'utf8').split('\n')[0];
  t.ok(first.length <= 127, `${first.length} characters`);
});

t.test('NODE_EXTRA_CA_CERTS: not read by berth, given back to what berth runs', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-startup-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  // A bundle that does not exist: node warns at start-up when it reads the variable.
  const bundle = path.join(dir, 'no such bundle.pem');
  const env = { ...process.env, NODE_EXTRA_CA_CERTS: bundle };
  const plain = spawnSync(process.execPath, ['-e', '0'], { env, encoding: 'utf8' });
  t.match(plain.stderr, /Ignoring extra certs/, 'node alone reads it (else this test proves nothing)');

  // A git repository as a GitOps source, and a `git` first on PATH that records the variables.
  const repo = path.join(dir, 'repo');
  fs.mkdirSync(repo);
  fs.writeFileSync(path.join(repo, 'cib.xml'), execFileSync('cibadmin', ['--empty'], { encoding: 'utf8' }));
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: repo });
  git('init', '-q');
  git('add', '.');
  git('commit', '-qm', 'empty CIB');
  const bin = path.join(dir, 'bin');
  const record = path.join(dir, 'seen');
  fs.mkdirSync(bin);
  const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  fs.writeFileSync(path.join(bin, 'git'), `#!/bin/sh\nprintf '%s|%s\\n' "\${NODE_EXTRA_CA_CERTS-unset}" "\${BERTH_CA-unset}" >> '${record}'\nexec '${realGit}' "$@"\n`, { mode: 0o755 });

  const r = spawnSync(berthBin, ['gitops', 'diff', '--source', repo, '--store', path.join(dir, 'store'), '--cache-dir', path.join(dir, 'cache')], {
    env: { ...env, PATH: `${bin}:${process.env.PATH}` },
    encoding: 'utf8',
  });
  t.equal(r.status, 0, r.stderr);
  t.notMatch(r.stderr, /extra certs/, 'berth did not read the CA bundle');
  const seen = fs.readFileSync(record, 'utf8').trim().split('\n');
  t.ok(seen.length > 0, 'berth ran git');
  t.same(new Set(seen), new Set([`${bundle}|unset`]), 'git got NODE_EXTRA_CA_CERTS back, and nothing of berth\'s');

  // Without the variable, none is made up.
  fs.rmSync(record);
  const { NODE_EXTRA_CA_CERTS: _, ...without } = env;
  const r2 = spawnSync(berthBin, ['gitops', 'diff', '--source', repo, '--store', path.join(dir, 'store'), '--cache-dir', path.join(dir, 'cache')], {
    env: { ...without, PATH: `${bin}:${process.env.PATH}` },
    encoding: 'utf8',
  });
  t.equal(r2.status, 0, r2.stderr);
  t.same(new Set(fs.readFileSync(record, 'utf8').trim().split('\n')), new Set(['unset|unset']));
  t.end();
});
