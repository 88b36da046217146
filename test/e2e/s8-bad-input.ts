// S8, the items that belong to the reconciler, on the real engine: each gets a clear error and
// nothing changes (no container, no address, nothing half-made).
import t from 'tap';
import { createServer } from 'node:net';
import { dockerPs, e2eNode, loAddresses } from './e2e-kit';

t.test('S8: bad input to the reconciler changes nothing', async (t) => {
  const n = e2eNode(t, 's8');
  n.addresses('127.0.1.161', 5);
  const nothingChanged = (what: string) => {
    t.strictSame(dockerPs(n.node), [], `${what}: no container`);
    const lo = loAddresses();
    t.notOk(['127.0.1.162', '127.0.1.163', '127.0.1.164', '127.0.1.165'].some((ip) => lo.includes(ip)), `${what}: no address added`);
  };

  // An unsupported docker option: the CIB is invalid, nothing is applied.
  n.writeCib([{ id: 's8opt', replicas: 1, start: '127.0.1.162', options: '--publish 8080:80 --env A=1' }]);
  const opt = await n.berth('apply', '--json');
  t.equal(opt.code, 2);
  const optProblems = JSON.parse(opt.err).problems;
  t.match(optProblems, [{ code: 'DOCKER_OPTION_UNSUPPORTED', value: '--publish', allowed: /--env/ }]);
  t.match(optProblems[0].message, /use port-map/);
  t.equal((await n.berth('plan')).code, 2, 'plan: error');
  nothingChanged('unsupported option');

  // An address range that overflows: invalid CIB.
  n.writeCib([{ id: 's8range', replicas: 3, start: '255.255.255.254', port: null }]);
  const range = await n.berth('apply');
  t.equal(range.code, 2);
  t.match(range.err, /\[BUNDLE_ADDRESS_OVERFLOW/);
  nothingChanged('overflowing range');

  // An address already held by something else on the host: a clear error, nothing made.
  n.scope.addLoopbackAddress('127.0.1.161');
  n.writeCib([{ id: 's8addr', replicas: 1, start: '127.0.1.161' }]);
  const plan = await n.berth('plan', '--json');
  t.equal(plan.code, 2, 'plan: error, a replica cannot run');
  t.match(JSON.parse(plan.out).problems, [{ code: 'ADDRESS_IN_USE', value: '127.0.1.161', message: /already on lo \(label lo:bt\d+\) and berth did not add it/ }]);
  const held = await n.berth('apply');
  t.equal(held.code, 1);
  t.match(held.err, /127\.0\.1\.161 \(replica s8addr-0\) is already on lo .*\[ADDRESS_IN_USE/);
  t.ok(loAddresses().includes('127.0.1.161'), 'the other owner keeps its address');
  nothingChanged('address in use');

  // A host port something else listens on: the engine refuses to start the container; the
  // container and the address berth added for it are removed again (nothing half-made).
  const server = createServer();
  await new Promise<void>((res, rej) => server.once('error', rej).listen(18765, '0.0.0.0', () => res()));
  t.teardown(() => new Promise<void>((res) => server.close(() => res())));
  n.writeCib([{ id: 's8port', replicas: 1, start: '127.0.1.163', port: 18765 }]);
  const port = await n.berth('apply');
  t.equal(port.code, 1);
  t.match(port.err, /replica s8port-0: start .*address already in use.*\[ENGINE_FAILED/);
  nothingChanged('port in use');
  // Waiting does not wait out the deadline for what only a person can fix: the same failure in
  // three passes in a row, nothing else done, and it gives up.
  const started = Date.now();
  const waited = await n.berth('apply', '--wait', '--timeout', '120');
  t.equal(waited.code, 1);
  t.match(waited.err, /Giving up: the same action failed in \d+ passes in a row over \d+ s/);
  t.ok(Date.now() - started < 30_000, `gave up after ${Date.now() - started} ms, not at the 120 s deadline`);
  nothingChanged('port in use, waited');

  // An image the engine does not have: create fails, the address goes again.
  n.writeCib([{ id: 's8img', replicas: 1, start: '127.0.1.164', image: 'berth-test/not-built:0' }]);
  const img = await n.berth('apply');
  t.equal(img.code, 1);
  t.match(img.err, /replica s8img-0: create .*\[ENGINE_FAILED/);
  nothingChanged('missing image');

  // One bad replica does not stop the others: s8mix-0's address is held, s8mix-1 runs.
  n.writeCib([{ id: 's8mix', replicas: 2, start: '127.0.1.161' }]);
  const mix = await n.berth('apply');
  t.equal(mix.code, 1);
  t.strictSame(dockerPs(n.node).map((c) => [c.name, c.state]), [['s8mix-1', 'running']]);

  n.writeCib([]);
  t.equal((await n.berth('apply', '--wait')).code, 0);
  nothingChanged('cleaned up');
});
