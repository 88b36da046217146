// The docker options real (OpenStack) bundles carry, run on the real engine: the host's IPC
// namespace once berth-host-access allows it (refused before, with its code), podman's
// --log-driver=k8s-file as the engine's json-file, --user=root, --hostname, and a storage mapping
// with an SELinux label (options="rw,z").
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleXml, cibXml, dockerPs, e2eNode } from './e2e-kit';

t.test('OpenStack-style docker options run as decided', async (t) => {
  const n = e2eNode(t, 'opts');
  const data = path.join(n.dir, 'data');
  const bundle = bundleXml({ id: 'osb', replicas: 1, port: null, storageRoot: data, storageTarget: '/data', options: '--ipc=host --log-driver=k8s-file --user=root --hostname=osb-host' }, n.baseOptions)
    .replace('options="rw"', 'options="rw,z"');
  const write = (props: Record<string, string>) => writeFileSync(n.cibFile, cibXml([bundle], props));

  write({});
  const refused = await n.berth('plan', '--json');
  t.equal(refused.code, 2, 'the host IPC namespace without berth-host-access: the CIB is invalid');
  t.match(JSON.parse(refused.err || refused.out), { problems: [{ code: 'BUNDLE_HOST_ACCESS', value: 'host' }] });
  t.strictSame(dockerPs(n.node), [], 'nothing was created');

  write({ 'berth-host-access': 'host-ipc' });
  const applied = await n.berth('apply', '--wait');
  t.equal(applied.code, 0, applied.out + applied.err);
  const [c] = dockerPs(n.node);
  t.match(c, { name: 'osb-0', state: 'running' });
  const inspect = JSON.parse(execFileSync('docker', ['inspect', c.id], { encoding: 'utf8' }))[0];
  t.equal(inspect.HostConfig.IpcMode, 'host', '--ipc=host');
  t.equal(inspect.HostConfig.LogConfig.Type, 'json-file', '--log-driver=k8s-file runs as json-file on the Docker engine');
  t.equal(inspect.Config.User, 'root', '--user=root');
  t.equal(inspect.Config.Hostname, 'osb-host', '--hostname');
  t.ok(inspect.HostConfig.Binds.includes(`${path.join(data, 'osb-0')}:/data:rw,z`), `storage options rw,z: ${inspect.HostConfig.Binds.join(' ')}`);
  const again = await n.berth('plan');
  t.equal(again.code, 0, `converged: a second pass changes nothing\n${again.out}`);
});
