// Where berth checks more than pcs (bundles.md): each rule with a test, through the library
// command (codes, values, nothing changed) — the pcs-compatible behaviour is in test/pcs-golden.ts.
import t from 'tap';
import { parseCib, section, EMPTY_CIB_XML } from '../../src/cib/cib';
import { canonical, elements } from '../../src/cib/xml';
import { BerthError, Problem } from '../../src/errors/registry';
import { bundleCreate, bundleUpdate, BundleCreate } from '../../src/commands/bundle';

function create(over: Partial<BundleCreate>, cib = parseCib(EMPTY_CIB_XML)) {
  const before = canonical(cib);
  let problems: Problem[] = [];
  let error = false;
  try {
    problems = bundleCreate(cib, { id: 'b', containerType: 'docker', container: { image: 'x' }, network: {}, portMaps: [], storageMaps: [], meta: {}, disabled: false, force: false, ...over });
  } catch (e) {
    if (!(e instanceof BerthError)) throw e;
    problems = e.problems;
    error = true;
  }
  return { cib, error, problems, unchanged: canonical(cib) === before };
}

/** An accepted request, or the problem it is refused with (code and the value it names). */
type Case = { name: string; req: Partial<BundleCreate> } & ({ code?: undefined } | { code: string; value: string });

const cases: Case[] = [
  { name: 'ip-range-start not IPv4', req: { network: { 'ip-range-start': '300.1.1.1' } }, code: 'OPTION_INVALID_VALUE', value: '300.1.1.1' },
  { name: 'ip-range-start a host name', req: { network: { 'ip-range-start': 'web1' } }, code: 'OPTION_INVALID_VALUE', value: 'web1' },
  { name: 'ip-range-start with leading zeros', req: { network: { 'ip-range-start': '127.0.01.1' } }, code: 'OPTION_INVALID_VALUE', value: '127.0.01.1' },
  { name: 'range overflows', req: { container: { image: 'x', replicas: '3' }, network: { 'ip-range-start': '255.255.255.254' } }, code: 'BUNDLE_ADDRESS_OVERFLOW', value: '255.255.255.254' },
  { name: 'range overflow counts promoted-max', req: { container: { image: 'x', 'promoted-max': '5' }, network: { 'ip-range-start': '255.255.255.252' } }, code: 'BUNDLE_ADDRESS_OVERFLOW', value: '255.255.255.252' },
  { name: 'range just fits', req: { container: { image: 'x', replicas: '2' }, network: { 'ip-range-start': '255.255.255.254' } } },
  { name: 'same host port twice', req: { portMaps: [{ port: '80' }, { id: 'other', port: '80', 'internal-port': '8080' }] }, code: 'BUNDLE_PORT_CONFLICT', value: '80' },
  { name: 'port inside a range', req: { portMaps: [{ range: '8000-8010' }, { port: '8005' }] }, code: 'BUNDLE_PORT_CONFLICT', value: '8005' },
  { name: 'relative source-dir', req: { storageMaps: [{ 'source-dir': 'data', 'target-dir': '/data' }] }, code: 'BUNDLE_STORAGE_PATH', value: 'data' },
  { name: '.. in source-dir-root', req: { storageMaps: [{ 'source-dir-root': '/srv/../etc', 'target-dir': '/data' }] }, code: 'BUNDLE_STORAGE_PATH', value: '/srv/../etc' },
  { name: '.. in target-dir', req: { storageMaps: [{ 'source-dir': '/srv', 'target-dir': '/data/..' }] }, code: 'BUNDLE_STORAGE_PATH', value: '/data/..' },
  { name: 'add-host can be set', req: { network: { 'ip-range-start': '127.0.1.1', 'add-host': 'false' } } },
  { name: 'add-host must be a boolean', req: { network: { 'ip-range-start': '127.0.1.1', 'add-host': 'maybe' } }, code: 'OPTION_INVALID_VALUE', value: 'maybe' },
  { name: 'unsupported docker option', req: { container: { image: 'x', options: '--bogus-flag' } }, code: 'DOCKER_OPTION_UNSUPPORTED', value: '--bogus-flag' },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const r = create(c.req);
    if (c.code === undefined) {
      t.equal(r.error, false, JSON.stringify(r.problems));
      return;
    }
    t.equal(r.error, true, 'refused');
    t.ok(r.unchanged, 'CIB unchanged');
    const p = r.problems.find((x) => x.code === c.code);
    t.match(p, { value: c.value, path: String, message: String }, `${c.code} in ${r.problems.map((x) => x.code)}, naming its value`);
  });
}

t.test('an unsupported docker option or host access no pass could run is refused, --force or not', async (t) => {
  for (const force of [false, true]) {
    const r = create({ container: { image: 'x', options: '--bogus-flag' }, force });
    t.equal(r.error, true, `--bogus-flag, force=${force}`);
    t.ok(r.problems.some((p) => p.code === 'DOCKER_OPTION_UNSUPPORTED' && p.severity === 'error'));
    const h = create({ container: { image: 'x', options: '--privileged' }, force });
    t.equal(h.error, true, `--privileged, force=${force}`);
    t.ok(h.problems.some((p) => p.code === 'BUNDLE_HOST_ACCESS' && p.severity === 'error'));
  }
});

t.test('an update that would create a conflict is refused and changes nothing', async (t) => {
  const cib = parseCib(EMPTY_CIB_XML);
  create({ portMaps: [{ port: '80' }], network: { 'ip-range-start': '127.0.1.10' } }, cib);
  const before = canonical(cib);
  t.throws(() => bundleUpdate(cib, { id: 'b', container: { replicas: '5' }, network: { 'ip-range-start': '255.255.255.253' }, portMapAdd: [{ id: 'p2', port: '80' }], portMapRemove: [], storageMapAdd: [], storageMapRemove: [], meta: {}, force: false }), BerthError);
  t.equal(canonical(cib), before);
  t.equal(elements(section(cib, 'resources'), 'bundle').length, 1);
});
