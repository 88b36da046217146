// The examples in examples/ really run: each script as a user runs it, checked by what it prints.
// (examples/s1-httpd/up.sh shares S1's names and addresses: it runs after S1 in s1-httpd.ts.)
import t from 'tap';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ensureBuilt, root } from '../helpers/cli';

function runExample(script: string, args: string[] = []): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = spawn('bash', [path.join(root, 'examples', script), ...args], { cwd: root });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

ensureBuilt();

t.test('examples/httpd: the Red Hat bundle with the pcs grammar, checked by crm_verify', async (t) => {
  const r = await runExample('httpd/run.sh');
  t.equal(r.code, 0, r.out);
  t.match(r.out, /<bundle id="httpd-bundle">/);
  t.match(r.out, /ip-range-start="127\.0\.1\.131"/);
});

t.test('examples/two-operators: disjoint edits both land, the overlapping one is refused', async (t) => {
  const r = await runExample('two-operators/run.sh');
  t.equal(r.code, 0, r.out);
  t.match(r.out, /\[PATCH_CONFLICT at \/cib\/configuration\/resources\/bundle\[@id='web'\]\/docker\/@replicas\]/);
  t.match(r.out, /bob's push was refused, as it must be/);
});

t.test('examples/gitops: sync, scale out, a broken commit refused; with --converge the replicas answer', async (t) => {
  const r = await runExample('gitops/run.sh');
  t.equal(r.code, 0, r.out);
  t.match(r.out, /applied revision [0-9a-f]{12}/);
  const c = await runExample('gitops/run.sh', ['--converge']);
  t.equal(c.code, 0, c.out);
  t.match(c.out, /http:\/\/127\.0\.1\.222\/ -> \S/, 'the scaled-out replica answers');
});

t.test('examples/cluster: placement, cluster status, a standby move', { timeout: 180_000 }, async (t) => {
  const r = await runExample('cluster/run.sh');
  t.equal(r.code, 0, r.out);
  t.match(r.out, /Bundle example-web: 4 of 4 running/);
  t.match(r.out, /ex1\s+alive, standby/, 'the node in standby is shown so');
  const afterStandby = r.out.slice(r.out.indexOf('berth node standby ex1'));
  const inStandby = afterStandby.slice(0, afterStandby.indexOf('berth node unstandby'));
  t.notMatch(inStandby, /example-web-\d on ex1/, 'nothing runs on ex1 in standby');
  // Back from standby, with resource-stickiness=1: nothing moves (the same lines, ages aside).
  const where = (text: string) => [...text.matchAll(/^(example-web-\d) on (ex\d)/gm)].map((m) => `${m[1]}@${m[2]}`).sort();
  const back = afterStandby.slice(afterStandby.indexOf('berth node unstandby'), afterStandby.indexOf('controller log:'));
  t.same(where(back), where(inStandby), 'the moved replicas stay');
});

t.test('examples/pcmk-apache: apache inside the bundle through pacemaker-remoted, served, then stopped before its containers', { timeout: 300_000 }, async (t) => {
  const r = await runExample('pcmk-apache/run.sh');
  t.equal(r.code, 0, r.out);
  t.match(r.out, /web-httpd \(ocf:heartbeat:apache\): Started example/);
  t.match(r.out, /http:\/\/127\.0\.1\.236\/ -> <html><body><h1>berth-test\/pcmk:1<\/h1>/);
  t.match(r.out, /http:\/\/127\.0\.1\.237\/ -> <html>/);
  t.match(r.out, /resource web-bundle-0 stop: before its container stops/);
  t.match(r.out, /remove web-bundle-0: bundle web-bundle is no longer in the CIB/);
});
