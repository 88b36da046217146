// From a bundle to replicas' create specs: names, labels, addresses, ports on the replica's own
// address, storage per replica, the add-host file, network, run-command, options, restart policy,
// the meta attributes the planner needs, and a spec hash that changes only when the spec does.
import t from 'tap';
import { parseCib } from '../../src/cib/cib';
import { parseDurationMs } from '../../src/reconcile/desired';
import { readModel } from '../../src/model/model';
import { CLUSTER, bundle, cib, desiredOf, STATE_DIR } from './scenario-kit';

t.test('the S1 bundle on one node', async (t) => {
  const d = desiredOf(cib(bundle({ options: '--init -e A=1 -l tier=web' })));
  t.equal(d.replicas.length, 3);
  const r = d.replicas[1];
  t.match(r, { bundle: 'httpd-bundle', index: 1, name: 'httpd-bundle-1', node: 'node1', address: { ip: '127.0.1.132', prefix: 32, interface: 'lo' }, sourceDirs: ['/srv/www/httpd-bundle-1'], healthCheck: false });
  t.match(r.spec, {
    name: 'httpd-bundle-1', Image: 'berth-test/httpd:1', Hostname: 'httpd-bundle-1', Env: ['A=1'],
    Labels: { tier: 'web', 'berth.bundle': 'httpd-bundle', 'berth.replica': '1', 'berth.node': 'node1', 'berth.spec-hash': r.specHash, 'berth.address': '127.0.1.132/32@lo', 'berth.cluster': CLUSTER },
    ExposedPorts: { '80/tcp': {} },
    HostConfig: {
      Init: true,
      Binds: ['/srv/www/httpd-bundle-1:/var/www/html:rw', `${STATE_DIR}/clusters/${CLUSTER}/hosts/httpd-bundle:/etc/hosts:ro`],
      PortBindings: { '80/tcp': [{ HostIp: '127.0.1.132', HostPort: '80' }] },
      RestartPolicy: { Name: 'unless-stopped' },
    },
  });
  t.equal(d.bundles[0].hostsFile?.content.split('\n').filter((l) => /^127\.0\.1\./.test(l)).join(','), '127.0.1.131\thttpd-bundle-0,127.0.1.132\thttpd-bundle-1,127.0.1.133\thttpd-bundle-2');
});

t.test('the spec hash is pinned (a change would replace every container on upgrade)', async (t) => {
  // Pinned when containers began to belong to a cluster (the hosts file moved under the
  // cluster's own state dir; containers of earlier versions carry no cluster id and are foreign
  // to every cluster, so they are left alone, not replaced). The cluster label itself is not
  // hashed: it says who owns the container, not what it runs.
  const hashes = (options: string) => desiredOf(cib(bundle({ options }))).replicas.map((r) => r.specHash);
  t.same(hashes(''), ['bb7b6c7538752254', 'a402ef527c20ce85', '935657929dc47a01']);
  t.same(hashes('--init -e A=1 -l tier=web'), ['5614ce42087e8117', '561693114e1801d1', '8e1bb04a8eb1bc8d']);
  t.same(hashes('--init -e A=1 -l tier=web --dns 1.1.1.1 --cap-add NET_ADMIN -m 64m'), ['a055960b501a6792', '9860e754430dbbb1', '4dbf2b4f53fd2281']);
});

t.test('the spec hash: stable, changed by the spec, not by scaling', async (t) => {
  const hash = (xml: string, i = 0) => desiredOf(xml).replicas[i].specHash;
  t.equal(hash(cib(bundle())), hash(cib(bundle())), 'the same CIB, the same hash');
  t.not(hash(cib(bundle())), hash(cib(bundle({ image: 'berth-test/httpd:2' }))), 'image');
  t.not(hash(cib(bundle())), hash(cib(bundle({ options: '-m 64m' }))), 'options');
  t.not(hash(cib(bundle())), hash(cib(bundle({ storage: false }))), 'storage');
  t.equal(hash(cib(bundle())), hash(cib(bundle({ replicas: 5, perHost: 5 }))), 'scaling does not change existing replicas (add-host is a file)');
  t.not(hash(cib(bundle()), 0), hash(cib(bundle()), 1), 'each replica its own spec');
});

t.test('network, run-command, no addresses, host network', async (t) => {
  const xml = cib(`<bundle id="b"><docker image="img" replicas="2" replicas-per-host="2" network="host" run-command="/bin/sh -c 'sleep 1000'"/>
    <network><port-mapping id="p" port="8080"/></network>
    <storage><storage-mapping id="s" source-dir="/shared" target-dir="/data" options="ro"/></storage></bundle>
    <bundle id="c"><docker image="img" replicas="1"/><network><port-mapping id="q" port="9000" internal-port="90"/><port-mapping id="r" range="7000-7001"/></network></bundle>`);
  const d = desiredOf(xml);
  const b0 = d.replicas.find((r) => r.name === 'b-0')!;
  t.strictSame(b0.spec.Cmd, ['/bin/sh', '-c', 'sleep 1000']);
  t.equal(b0.spec.HostConfig?.NetworkMode, 'host');
  t.equal(b0.spec.Hostname, undefined, 'no hostname on the host network');
  t.equal(b0.spec.HostConfig?.PortBindings, undefined, 'nothing to publish on the host network');
  t.strictSame(b0.spec.HostConfig?.Binds, ['/shared:/data:ro']);
  t.equal(b0.address, undefined);
  const c0 = d.replicas.find((r) => r.name === 'c-0')!;
  t.strictSame(c0.spec.HostConfig?.PortBindings, { '90/tcp': [{ HostIp: '', HostPort: '9000' }], '7000/tcp': [{ HostIp: '', HostPort: '7000' }], '7001/tcp': [{ HostIp: '', HostPort: '7001' }] }, 'on the host without ip-range-start');
  t.equal(d.bundles.find((x) => x.id === 'c')!.hostsFile, undefined, 'no add-host without addresses');
});

t.test('meta attributes and cluster properties', async (t) => {
  const s = (meta: Record<string, string>, props: Record<string, string> = {}) => desiredOf(cib(bundle({ meta }), props)).bundles[0];
  t.match(s({}), { role: 'Started', managed: true, migrationThreshold: Infinity, failureTimeoutMs: 0 });
  t.match(s({ 'target-role': 'Stopped' }), { role: 'Stopped' });
  t.match(s({ 'is-managed': 'false' }), { managed: false, unmanagedReason: 'is-managed=false' });
  t.match(s({ maintenance: 'true' }), { managed: false, unmanagedReason: 'maintenance=true' });
  t.match(s({}, { 'maintenance-mode': 'true' }), { managed: false, unmanagedReason: 'cluster maintenance-mode' });
  t.match(s({ 'migration-threshold': '3', 'failure-timeout': '2min' }), { migrationThreshold: 3, failureTimeoutMs: 120_000 });
  t.match(s({ 'migration-threshold': 'INFINITY' }), { migrationThreshold: Infinity });
  t.equal(desiredOf(cib(bundle({ meta: { 'target-role': 'Stopped' } }))).replicas.length, 0, 'a stopped bundle has no placements');
  const withDefaults = readModel(parseCib(cib(bundle(), {}, '<rsc_defaults><meta_attributes id="d"><nvpair id="d-m" name="migration-threshold" value="5"/></meta_attributes></rsc_defaults>')));
  t.equal(withDefaults.bundles[0].settings.migrationThreshold, 5, 'rsc_defaults apply');
  t.match(s({}, { 'stop-all-resources': 'true' }), { role: 'Stopped', stoppedBy: 'stop-all-resources=true' });
  t.equal(desiredOf(cib(bundle(), { 'stop-all-resources': 'true' })).replicas.length, 0, 'stop-all-resources: no placements');
  t.strictSame(['60', '60s', '1m', '1min', '60000ms', 'PT1M'].map(parseDurationMs), [60_000, 60_000, 60_000, 60_000, 60_000, 60_000]);
  t.equal(parseDurationMs('soon'), undefined);
});

t.test('a bundle whose options cannot be built is left alone, with the problem', async (t) => {
  const m = readModel(parseCib(cib(bundle({ options: '--env-file /nope' }))), { readFile: () => { throw new Error('ENOENT'); } });
  t.equal(m.bundles[0].build, undefined, 'no replica can be built');
  t.match(m.bundles[0].settings.problems, [{ code: 'DOCKER_OPTION_INVALID' }]);
});
