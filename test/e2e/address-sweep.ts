// On the real engine and iproute2: an address berth added for a replica whose container was never
// made (the controller was killed between the two; simulated by adding it by hand as berth labels
// it) is used by the next pass when the replica is placed here, and removed by it, as a planned
// step with its reason, when no replica here needs it; addresses that are not provably this
// cluster's (another owner's label in the range, berth's label outside every range) stay.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { dockerPs, e2eNode, loAddresses } from './e2e-kit';

const addBerthAddress = (ip: string) => execFileSync('ip', ['addr', 'add', `${ip}/32`, 'dev', 'lo', 'label', 'lo:berth']);

t.test('a leaked address is used where its replica is placed, swept where none needs it', async (t) => {
  const n = e2eNode(t, 'sweep');
  // sw: .246 .247; sx: .248 .249 (disabled, never created); .250 is in no range.
  n.addresses('127.0.1.246', 5);
  const sw = { id: 'sw', replicas: 2, start: '127.0.1.246' };
  const sx = { id: 'sx', replicas: 2, start: '127.0.1.248', meta: { 'target-role': 'Stopped' } };

  // sw-1's address is on the host, its container is not: the next pass creates it with it.
  n.writeCib([sw, sx]);
  addBerthAddress('127.0.1.247');
  const first = await n.berth('plan', '--json');
  t.equal(first.code, 1, 'changes pending');
  const p1 = JSON.parse(first.out);
  type Shown = { kind: string; replica: string; address?: string | { ip: string } };
  const kinds = (p: Record<string, Shown[]>) => ['create', 'start', 'stop', 'remove', 'replace', 'addAddress', 'removeAddress'].flatMap((b) => p[b])
    .map((a) => `${a.kind} ${a.replica}${a.kind.endsWith('-address') && typeof a.address === 'object' ? ' ' + a.address.ip : ''}`).sort();
  t.strictSame(kinds(p1), ['add-address sw-0 127.0.1.246', 'create sw-0', 'create sw-1'], 'sw-1 keeps the address already there');
  t.equal((await n.berth('apply', '--wait')).code, 0);
  t.strictSame(dockerPs(n.node).map((c) => [c.name, c.state]).sort(), [['sw-0', 'running'], ['sw-1', 'running']]);

  // sx-0's address was added and its container never made (the controller killed in between),
  // and sx was disabled since; someone else holds .249 (in sx's range, not berth's label), and an
  // address with berth's label in no range of this CIB is not this cluster's to know.
  addBerthAddress('127.0.1.248');
  n.scope.addLoopbackAddress('127.0.1.249');
  addBerthAddress('127.0.1.250');
  const second = await n.berth('plan', '--json');
  t.equal(second.code, 1, 'changes pending');
  const p2 = JSON.parse(second.out);
  t.strictSame(kinds(p2), ['remove-address sx-0 127.0.1.248']);
  t.match(p2.removeAddress, [{ kind: 'remove-address', replica: 'sx-0', address: { ip: '127.0.1.248', prefix: 32, interface: 'lo' }, reason: /nothing on this node holds it or needs it/, sweep: true }]);
  const text = await n.berth('plan');
  t.match(text.out, /remove-address +sx-0 +127\.0\.1\.248\/32 on lo: nothing on this node holds it or needs it/);

  t.equal((await n.berth('apply')).code, 0);
  const lo = loAddresses();
  t.notOk(lo.includes('127.0.1.248'), 'the leaked address is gone');
  for (const ip of ['127.0.1.246', '127.0.1.247', '127.0.1.249', '127.0.1.250']) t.ok(lo.includes(ip), `${ip} stays`);
  t.strictSame(dockerPs(n.node).map((c) => [c.name, c.state]).sort(), [['sw-0', 'running'], ['sw-1', 'running']], 'the replicas are untouched');
  t.equal((await n.berth('plan')).code, 0, 'converged');

  n.writeCib([]);
  t.equal((await n.berth('apply', '--wait')).code, 0);
});
