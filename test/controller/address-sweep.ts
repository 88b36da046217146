// Over the cluster pass: an address swept from one node (nothing holds it there) counts as a copy
// of its replica until it is gone, so the replica never starts on another node beside its own
// address; and a foreign address in the same subnet is never touched.
import t from 'tap';
import { fakeCluster } from '../helpers/fake-nodes';

const cibXml = (ban?: string) => `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config/>`
  + `<nodes><node id="1" uname="n1"/><node id="2" uname="n2"/></nodes>`
  + `<resources><bundle id="web"><docker image="berth-test/httpd:1" replicas="1" replicas-per-host="1"/><network ip-range-start="10.0.0.50" host-netmask="24" host-interface="eth0"/></bundle></resources>`
  + `<constraints>${ban ? `<rsc_location id="ban" rsc="web" node="${ban}" score="-INFINITY"/>` : ''}</constraints></configuration><status/></cib>`;

t.test('a leaked address on n1, the replica placed on n2: removed on n1 first, then started on n2', async (t) => {
  const c = fakeCluster(['n1', 'n2']);
  c.setCib(cibXml('n1'));
  // A controller died between adding web-0's address on n1 and creating its container there.
  c.node('n1').addresses.push({ ip: '10.0.0.50', prefix: 24, interface: 'eth0', label: 'eth0:berth' });
  // Someone else's address in the same subnet, and one outside berth's range with berth's label.
  c.node('n1').addresses.push({ ip: '10.0.0.51', prefix: 24, interface: 'eth0', label: 'eth0' }, { ip: '10.0.0.90', prefix: 24, interface: 'eth0', label: 'eth0:berth' });

  const first = await c.pass();
  const n1 = first.nodes.find((n) => n.node === 'n1')!;
  const n2 = first.nodes.find((n) => n.node === 'n2')!;
  t.match(n1.plan.removeAddress, [{ replica: 'web-0', address: { ip: '10.0.0.50', interface: 'eth0' }, sweep: true }]);
  t.equal(n1.plan.removeAddress.length, 1, 'only the leaked address');
  t.strictSame(n2.plan.create, [], 'not created on n2 while its address is on n1');
  t.match(first.held, [{ replica: 'web-0', message: /its address is still on n1/ }]);
  t.strictSame(c.node('n1').addresses.map((a) => a.ip), ['10.0.0.1', '10.0.0.51', '10.0.0.90'], 'n1 keeps its own and the foreign addresses');

  const second = await c.pass();
  t.match(second.nodes.find((n) => n.node === 'n2')!.plan.create, [{ replica: 'web-0' }], 'created on n2 once the address is gone from n1');
  t.strictSame(c.node('n2').addresses.filter((a) => a.ip === '10.0.0.50').length, 1);
  t.strictSame(c.node('n1').addresses.map((a) => a.ip), ['10.0.0.1', '10.0.0.51', '10.0.0.90']);
  const third = await c.pass();
  t.ok(third.nodes.every((n) => n.plan.removeAddress.length === 0 && n.plan.create.length === 0), 'converged');
});
