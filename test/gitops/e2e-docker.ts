// S6 on the real engine: a commit → `berth gitops run --once` → `berth apply --wait --store` →
// the replicas answer on their addresses; then a commit that scales out, and one that removes the
// bundle (pruned: containers and addresses go). Containers carry the scope's berth.test label and
// addresses 127.0.1.200-.202 are registered for removal: both are cleaned up even on failure.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { parseArgv } from '../../src/cli/argv';
import type { Io } from '../../src/cli/invocation';
import { applyCmd } from '../../src/cli/runtime-commands';
import { dockerTestScope, ensureDocker } from '../helpers/docker';
import { BundleSpec, cibXml, world } from './kit';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function page(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return res.status === 200 ? await res.text() : undefined;
  } catch {
    return undefined;
  }
}

async function answers(urls: string[], timeoutMs = 15000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await Promise.all(urls.map(page))).every((p) => p !== undefined)) return true;
    await sleep(200);
  }
  return false;
}

t.test('a commit converges on the real engine through gitops and apply', async (t) => {
  ensureDocker();
  const scope = dockerTestScope(t);
  const w = world(t);
  const node = `gitops-${scope.runId}`;
  const stateDir = path.join(w.store, '..', 'node-state');
  const ips = ['127.0.1.200', '127.0.1.201', '127.0.1.202'];
  for (const ip of ips) scope.removeAddressAtEnd(ip);
  const web = (replicas: number): BundleSpec => ({ id: `gw${process.pid}`, replicas, start: ips[0], options: `--init -l berth.test=${scope.runId}` });
  const id = web(1).id;

  const apply = async () => {
    let out = '';
    const io: Io = { out: (s) => { out += s; }, err: (s) => { out += s; } };
    const { args, flags } = parseArgv(['apply', '--wait', '--timeout', '60', '--store', w.store, '--node', node, '--state-dir', stateDir]);
    const code = await applyCmd({ args, flags, io });
    return { code, out };
  };
  const containers = () => execFileSync('docker', ['ps', '--filter', `label=berth.node=${node}`, '--format', '{{.Names}}'], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();

  w.repo.commit({ 'cib.xml': cibXml([web(2)]) }, 'web: 2 replicas');
  let r = await w.sync();
  t.equal(r.code, 0, r.err);
  let a = await apply();
  t.equal(a.code, 0, a.out);
  t.same(containers(), [`${id}-0`, `${id}-1`]);
  t.ok(await answers(ips.slice(0, 2).map((ip) => `http://${ip}/`)), 'both replicas answer');

  w.repo.commit({ 'cib.xml': cibXml([web(3)]) }, 'web: 3 replicas');
  r = await w.sync();
  t.equal(r.code, 0, r.err);
  t.match(r.out, /~ replicas: "2" => "3"/);
  a = await apply();
  t.equal(a.code, 0, a.out);
  t.same(containers(), [`${id}-0`, `${id}-1`, `${id}-2`]);
  t.ok(await answers(ips.map((ip) => `http://${ip}/`)), 'the third replica answers too');

  // a broken commit: refused, and the containers keep running
  w.repo.commit({ 'cib.xml': cibXml([web(1.5)]) }, 'oops: 1.5 replicas');
  r = await w.sync();
  t.equal(r.code, 1);
  a = await apply();
  t.equal(a.code, 0, a.out);
  t.match(a.out, /Nothing to do/);
  t.equal(containers().length, 3, 'still three');

  // the bundle leaves the source: pruned from the live CIB, its containers and addresses go
  w.repo.commit({ 'cib.xml': cibXml([]) }, 'web out');
  r = await w.sync();
  t.equal(r.code, 0, r.err);
  t.match(r.err, new RegExp(`pruned ${id}`));
  a = await apply();
  t.equal(a.code, 0, a.out);
  t.same(containers(), []);
  const lo = execFileSync('ip', ['-o', '-4', 'addr', 'show', 'dev', 'lo'], { encoding: 'utf8' });
  t.notOk(ips.some((ip) => lo.includes(`inet ${ip}/`)), 'the addresses are gone');
});
