// What a CIB may ask of the hosts (src/validate/host-access-rules.ts): each bundle option that asks
// for host access is a coded problem naming the bundle, the option and how to allow it, unless the
// cluster property berth-host-access allows that access. One row per option: its code without the
// property, and none with the access allowed.
import t from 'tap';
import { parseCib } from '../../src/cib/cib';
import { cibProblems } from '../../src/validate/cib-rules';
import { hostAccessProblems } from '../../src/validate/host-access-rules';

function cib(container: string, storage = '', access?: string): string {
  const props = access === undefined ? '' : `<cluster_property_set id="cib-bootstrap-options"><nvpair id="p-access" name="berth-host-access" value="${access}"/></cluster_property_set>`;
  return `<cib epoch="1" num_updates="0" admin_epoch="0" validate-with="pacemaker-3.9"><configuration><crm_config>${props}</crm_config><nodes/><resources>
<bundle id="web"><docker image="nginx" ${container}/>${storage ? `<storage>${storage}</storage>` : ''}</bundle>
</resources><constraints/></configuration><status/></cib>`;
}

interface Row {
  name: string;
  container: string;
  storage?: string;
  /** the access it asks for, and where: undefined when nothing is asked beyond the default */
  access?: string;
  path?: string;
}

const OPTIONS = "/cib/configuration/resources/bundle[@id='web']/docker/@options";
const rows: Row[] = [
  { name: 'nothing special', container: 'options="--init -m 64m"' },
  { name: 'host network (allowed by default)', container: 'network="host"' },
  { name: 'a safe capability', container: 'options="--cap-add NET_BIND_SERVICE --cap-add CAP_IPC_LOCK"' },
  { name: '--privileged', container: 'options="--privileged"', access: 'privileged', path: OPTIONS },
  { name: '--device', container: 'options="--device /dev/fuse"', access: 'devices', path: OPTIONS },
  { name: '--cap-add SYS_ADMIN', container: 'options="--cap-add SYS_ADMIN"', access: 'cap-add', path: OPTIONS },
  { name: '--cap-add ALL', container: 'options="--cap-add ALL"', access: 'cap-add', path: OPTIONS },
  { name: '--security-opt seccomp=unconfined', container: 'options="--security-opt seccomp=unconfined"', access: 'unconfined', path: OPTIONS },
  { name: 'storage of /', container: '', storage: '<storage-mapping id="root" source-dir="/" target-dir="/host"/>', access: 'mount-system', path: "/cib/configuration/resources/bundle[@id='web']/storage/storage-mapping[@id='root']/@source-dir" },
  { name: 'storage of /etc/ssh', container: '', storage: '<storage-mapping id="ssh" source-dir="/etc/ssh" target-dir="/x"/>', access: 'mount-system', path: "/cib/configuration/resources/bundle[@id='web']/storage/storage-mapping[@id='ssh']/@source-dir" },
  { name: 'storage of /var (holds the docker socket)', container: '', storage: '<storage-mapping id="var" source-dir="/var" target-dir="/x"/>', access: 'mount-system', path: "/cib/configuration/resources/bundle[@id='web']/storage/storage-mapping[@id='var']/@source-dir" },
  { name: 'a storage root in /proc', container: '', storage: '<storage-mapping id="p" source-dir-root="/proc" target-dir="/x"/>', access: 'mount-system', path: "/cib/configuration/resources/bundle[@id='web']/storage/storage-mapping[@id='p']/@source-dir-root" },
  { name: 'ordinary storage', container: '', storage: '<storage-mapping id="d" source-dir-root="/srv/web" target-dir="/data"/>' },
];

t.test('each host access a bundle asks for: refused by default, allowed by berth-host-access', async (t) => {
  for (const row of rows) {
    const asked = hostAccessProblems(parseCib(cib(row.container, row.storage), 'test'));
    const expected = row.access ? [{ code: 'BUNDLE_HOST_ACCESS', severity: 'error', path: row.path, allowed: `cluster property berth-host-access including '${row.access}'` }] : [];
    t.strictSame(asked.map((p) => ({ code: p.code, severity: p.severity, path: p.path, allowed: p.allowed })), expected, row.name);
    if (row.access) t.match(asked[0].message, new RegExp(`bundle 'web' asks for host access '${row.access}'.*berth-host-access=${row.access}`), `${row.name}: names the bundle and how to allow it`);
    const allowed = hostAccessProblems(parseCib(cib(row.container, row.storage, `${row.access ?? 'privileged'}, host-pid`), 'test'));
    t.strictSame(allowed, [], `${row.name}: allowed`);
  }
});

t.test('allowing one access does not allow another', async (t) => {
  const problems = hostAccessProblems(parseCib(cib('options="--privileged --cap-add SYS_ADMIN"', '', 'privileged'), 'test'));
  t.strictSame(problems.map((p) => [p.code, p.value]), [['BUNDLE_HOST_ACCESS', 'CAP_SYS_ADMIN']]);
});

t.test('an unknown access in berth-host-access is an invalid value', async (t) => {
  const problems = hostAccessProblems(parseCib(cib('', '', 'privileged,everything'), 'test'));
  t.strictSame(problems.map((p) => [p.code, p.value]), [['OPTION_INVALID_VALUE', 'privileged,everything']]);
});

t.test('cibProblems reports it: the controllers do not apply such a CIB', async (t) => {
  t.strictSame(cibProblems(parseCib(cib('options="--privileged"'), 'test')).map((p) => p.code), ['BUNDLE_HOST_ACCESS']);
  t.strictSame(cibProblems(parseCib(cib('options="--privileged"', '', 'privileged'), 'test')), []);
});
