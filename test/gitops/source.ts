// Sources: the --source/--ref/--path rules (pure, with a fake probe), and reading revisions from
// real git repositories (branch, annotated tag, missing ref, missing file) and directories.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BerthError } from '../../src/errors/registry';
import { PathKind, fetchRevision, parseSourceSpec } from '../../src/gitops/source';
import { GITOPS_SOURCE_INVALID, GITOPS_SOURCE_UNREACHABLE } from '../../src/gitops/problems';
import { cibXml, gitRepo } from './kit';

const probe = (p: string): PathKind => (p.endsWith('/repo') || p.endsWith('/bare.git') ? 'git' : p.endsWith('/plain') ? 'dir' : p.endsWith('/file.xml') ? 'file' : 'missing');

async function rejection(p: Promise<unknown>): Promise<BerthError | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    if (e instanceof BerthError) return e;
    throw e;
  }
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    if (e instanceof BerthError) return e.problems[0].code;
    throw e;
  }
}

t.test('--source, --ref, --path', async (t) => {
  const ok: [string, { ref?: string; path?: string }, object][] = [
    ['/x/repo', {}, { kind: 'git', repository: '/x/repo', ref: 'HEAD' }],
    ['/x/bare.git', { ref: 'v1.2', path: 'a/cib.json' }, { kind: 'git', repository: '/x/bare.git', ref: 'v1.2', path: 'a/cib.json' }],
    ['file:///x/repo', { ref: 'refs/heads/main' }, { kind: 'git', repository: 'file:///x/repo', ref: 'refs/heads/main' }],
    ['/x/plain', {}, { kind: 'dir', dir: '/x/plain' }],
    ['dir:/x/repo', { path: 'cib.xml' }, { kind: 'dir', dir: '/x/repo', path: 'cib.xml' }],
  ];
  for (const [src, o, want] of ok) t.same(parseSourceSpec(src, o, probe), want, src);
  const bad: [string, { ref?: string; path?: string }][] = [
    ['', {}], ['-x', {}], ['/x/missing', {}], ['/x/file.xml', {}], ['https://h/r.git', {}], ['file:///x/plain', {}],
    ['/x/plain', { ref: 'main' }], ['/x/repo', { ref: '--upload-pack=evil' }], ['/x/repo', { ref: 'a..b' }], ['/x/repo', { ref: 'a:b' }],
    ['/x/repo', { path: '/etc/passwd' }], ['/x/repo', { path: 'a/../../b' }], ['/x/repo', { path: '' }],
  ];
  for (const [src, o] of bad) t.equal(codeOf(() => parseSourceSpec(src, o, probe)), GITOPS_SOURCE_INVALID, `${src} ${JSON.stringify(o)}`);
});

t.test('revisions from a real git repository', async (t) => {
  const dir = t.testdir({});
  const repo = gitRepo(path.join(dir, 'repo'));
  const cacheDir = path.join(dir, 'cache');
  const c1 = repo.commit({ 'cib.xml': cibXml([{ id: 'web', replicas: 1 }]), 'berth-gitops.json': '{"drift":"report-only"}' }, 'first');
  repo.git('tag', '-a', 'v1', '-m', 'v1');
  const c2 = repo.commit({ 'cib.xml': null, 'cib.json': '{}' }, 'to json');
  const spec = (ref?: string, p?: string) => parseSourceSpec(repo.dir, { ...(ref ? { ref } : {}), ...(p ? { path: p } : {}) });

  let r = await fetchRevision(spec(), { cacheDir });
  t.equal(r.revision, c2);
  t.equal(r.subject, 'to json');
  t.same(r.cib, { path: 'cib.json', text: '{}' }, 'cib.xml missing: cib.json');
  t.equal(r.settings?.path, 'berth-gitops.json');
  r = await fetchRevision(spec('v1'), { cacheDir });
  t.equal(r.revision, c1, 'an annotated tag is peeled to its commit');
  t.equal(r.cib?.path, 'cib.xml');
  r = await fetchRevision(spec('main', 'cib.xml'), { cacheDir });
  t.equal(r.cib, undefined, 'no CIB at that path in this revision');
  t.same(r.looked, ['cib.xml']);
  t.equal((await rejection(fetchRevision(spec('nope'), { cacheDir })))?.problems[0].code, GITOPS_SOURCE_UNREACHABLE, 'a ref that is not there');
  fs.rmSync(repo.dir, { recursive: true });
  t.match((await rejection(fetchRevision({ kind: 'git', repository: repo.dir, ref: 'HEAD' }, { cacheDir })))?.message, /cannot fetch/, 'a repository that is gone');
});

t.test('revisions of a directory: the hash of its content', async (t) => {
  const dir = t.testdir({ 'cib.xml': '<cib/>' });
  const spec = parseSourceSpec(dir);
  const a = await fetchRevision(spec, { cacheDir: '/nonexistent' });
  t.match(a.revision, /^sha256:[0-9a-f]{64}$/);
  t.equal((await fetchRevision(spec, { cacheDir: '/nonexistent' })).revision, a.revision, 'same content, same revision');
  fs.writeFileSync(path.join(dir, 'berth-gitops.json'), '{}');
  const b = await fetchRevision(spec, { cacheDir: '/nonexistent' });
  t.not(b.revision, a.revision, 'the settings are part of the revision');
  fs.rmSync(path.join(dir, 'cib.xml'));
  t.equal((await rejection(fetchRevision(spec, { cacheDir: '/nonexistent' })))?.problems[0].code, GITOPS_SOURCE_UNREACHABLE, 'no CIB in the directory');
});
