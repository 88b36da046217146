// A replace says which fields of the spec changed, from the spec record the old container was
// created with (label berth.spec); containers without one fall back to the image or the hash.
import t from 'tap';
import { computePlan } from '../../src/reconcile/plan';
import { planJson } from '../../src/reconcile/summary';
import { BERTH_LABELS } from '../../src/runtime/labels';
import { specHashOf } from '../../src/model/bundle';
import { SpecChange, formatSpecChange, formatSpecRecord, parseSpecRecord, specChanges, specRecordOf } from '../../src/model/spec-record';
import type { DesiredState } from '../../src/reconcile/desired';
import type { ObservedContainer } from '../../src/runtime/engine';
import type { ObservedState } from '../../src/reconcile/observed';
import { CLUSTER, T0, cib, desiredOf } from '../reconcile/scenario-kit';

interface Knobs {
  image?: string;
  options?: string;
  runCommand?: string;
  network?: string;
  port?: string;
  internal?: string;
  start?: string;
  target?: string;
}

/** One replica of bundle `web`, with knobs. */
function web(k: Knobs = {}): string {
  const attr = (name: string, v: string | undefined) => (v === undefined ? '' : ` ${name}="${v}"`);
  return cib(`<bundle id="web">
      <docker image="${k.image ?? 'pcmktest:http'}" replicas="1"${attr('options', k.options)}${attr('run-command', k.runCommand)}${attr('network', k.network)}/>
      <network ip-range-start="${k.start ?? '127.0.1.131'}" host-interface="lo"><port-mapping id="web-port" port="${k.port ?? '80'}"${attr('internal-port', k.internal)}/></network>
      <storage><storage-mapping id="web-data" source-dir-root="/srv/web" target-dir="${k.target ?? '/var/www/html'}" options="rw"/></storage>
    </bundle>`);
}

/** The container berth made for the first desired replica, as the engine lists it. */
function containerOf(d: DesiredState, labels?: Record<string, string>): ObservedContainer {
  const r = d.replicas[0];
  const l = labels ?? (r.spec.Labels as Record<string, string>);
  return {
    id: 'c-old', name: r.name, image: r.spec.Image, state: 'running', health: 'none', status: 'Up', labels: l,
    bundle: r.bundle, replica: r.index, node: d.node, specHash: l[BERTH_LABELS.specHash], cluster: CLUSTER, created: T0 / 1000 - 60,
  };
}

function observed(c: ObservedContainer, d: DesiredState): ObservedState {
  const files: Record<string, string | null> = {};
  for (const b of d.bundles) if (b.hostsFile) files[b.hostsFile.path] = b.hostsFile.content;
  return { containers: [c], foreign: [], runs: {}, addresses: [{ ip: '127.0.0.1', prefix: 8, interface: 'lo', label: 'lo' }, { ip: c.labels['berth.address']?.split('/')[0] ?? '127.0.1.131', prefix: 32, interface: 'lo', label: 'lo:berth' }], ledger: {}, files };
}

/** The replace of replica web-0 when the CIB goes from `from` to `to`. */
function replaceOf(from: Knobs, to: Knobs, labels?: (l: Record<string, string>) => Record<string, string>) {
  const before = desiredOf(web(from));
  const after = desiredOf(web(to));
  const c = containerOf(before, labels?.({ ...(before.replicas[0].spec.Labels as Record<string, string>) }));
  const plan = computePlan(after, observed(c, before), T0);
  return { plan, replace: plan.replace[0] };
}

const cases: { what: string; from?: Knobs; to: Knobs; changes: SpecChange[]; reason: string }[] = [
  {
    what: 'image', to: { image: 'pcmktest:http2' },
    changes: [{ field: 'image', change: 'changed', from: 'pcmktest:http', to: 'pcmktest:http2' }],
    reason: 'spec changed: image pcmktest:http → pcmktest:http2',
  },
  {
    what: 'port and image', to: { image: 'pcmktest:http2', port: '8080', internal: '80' },
    changes: [{ field: 'image', change: 'changed', from: 'pcmktest:http', to: 'pcmktest:http2' }, { field: 'port-map', change: 'changed', from: '80', to: '8080:80' }],
    reason: 'spec changed: image pcmktest:http → pcmktest:http2; port-map 80 → 8080:80',
  },
  {
    what: 'run-command set', to: { runCommand: '/bin/httpd -DFOREGROUND' },
    changes: [{ field: 'run-command', change: 'added', to: '/bin/httpd -DFOREGROUND' }],
    reason: 'spec changed: run-command (none) → /bin/httpd -DFOREGROUND',
  },
  {
    what: 'address', to: { start: '127.0.1.140' },
    changes: [{ field: 'address', change: 'changed', from: '127.0.1.131/32@lo', to: '127.0.1.140/32@lo' }],
    reason: 'spec changed: address 127.0.1.131/32@lo → 127.0.1.140/32@lo',
  },
  {
    what: 'network', to: { network: 'host' },
    // host networking publishes no ports (and sets no hostname: that follows from the name)
    changes: [{ field: 'port-map', change: 'removed', from: '80' }, { field: 'network', change: 'added', to: 'host' }],
    reason: 'spec changed: port-map 80 → (none); network (none) → host',
  },
  {
    what: 'storage', to: { target: '/data' },
    changes: [{ field: 'storage', change: 'changed', from: '/srv/web/web-0:/var/www/html:rw, /var/lib/berth/node/clusters/c-test/hosts/web:/etc/hosts:ro', to: '/srv/web/web-0:/data:rw, /var/lib/berth/node/clusters/c-test/hosts/web:/etc/hosts:ro' }],
    reason: 'spec changed: storage /srv/web/web-0:/var/www/html:rw, /var/lib/berth/node/clusters/c-test/hosts/web:/etc/hosts:ro → /srv/web/web-0:/data:rw, /var/lib/berth/node/clusters/c-test/hosts/web:/etc/hosts:ro',
  },
  {
    what: 'env: names only, never values', from: { options: '-e MODE=a -e KEEP=1' }, to: { options: '-e MODE=b -e KEEP=1 -e TOKEN=s3cret' },
    changes: [{ field: 'env', key: 'MODE', change: 'changed', hidden: true }, { field: 'env', key: 'TOKEN', change: 'added', hidden: true }],
    reason: 'spec changed: env MODE changed; env TOKEN added',
  },
  {
    what: 'other options by engine key', to: { options: '--health-cmd=true --memory=64m' },
    changes: [
      { field: 'options', key: 'Healthcheck', change: 'added', to: '{"Test":["CMD-SHELL","true"]}' },
      { field: 'options', key: 'HostConfig.Memory', change: 'added', to: '67108864' },
    ],
    reason: 'spec changed: options Healthcheck (none) → {"Test":["CMD-SHELL","true"]}; options HostConfig.Memory (none) → 67108864',
  },
];

t.test('a replace names the fields that changed', async (t) => {
  for (const c of cases) {
    const { plan, replace } = replaceOf(c.from ?? {}, c.to);
    t.equal(plan.replace.length, 1, `${c.what}: one replace`);
    t.strictSame(replace?.changes, c.changes, `${c.what}: changes (env: neither values nor their hashes)`);
    t.equal(replace?.reason, c.reason, `${c.what}: reason`);
    t.notMatch(JSON.stringify(planJson(plan)), /s3cret/, `${c.what}: no env value in plan --json`);
  }
});

t.test('plan --json carries the changes', async (t) => {
  const { plan } = replaceOf({}, { image: 'pcmktest:http2' });
  const json = planJson(plan) as { replace: { changes?: SpecChange[] }[] };
  t.strictSame(json.replace[0].changes, [{ field: 'image', change: 'changed', from: 'pcmktest:http', to: 'pcmktest:http2' }]);
});

t.test('a container without a (valid) spec record: the image or the hash, as before', async (t) => {
  const drop = (l: Record<string, string>) => { delete l[BERTH_LABELS.spec]; return l; };
  const bad = (l: Record<string, string>) => ({ ...l, [BERTH_LABELS.spec]: '{"v":1,"image":3}' });
  const table: { what: string; to: Knobs; labels: (l: Record<string, string>) => Record<string, string>; reason: RegExp }[] = [
    { what: 'no record, image changed', to: { image: 'pcmktest:http2' }, labels: drop, reason: /^image pcmktest:http → pcmktest:http2$/ },
    { what: 'no record, port changed', to: { port: '8080' }, labels: drop, reason: /^spec changed \(hash [0-9a-f]{16} → [0-9a-f]{16}\)$/ },
    { what: 'malformed record, port changed', to: { port: '8080' }, labels: bad, reason: /^spec changed \(hash [0-9a-f]{16} → [0-9a-f]{16}\)$/ },
  ];
  for (const c of table) {
    const { replace } = replaceOf({}, c.to, c.labels);
    t.match(replace?.reason, c.reason, c.what);
    t.equal(replace?.changes, undefined, `${c.what}: no changes list`);
  }
});

t.test('the record is not part of the spec hash: older containers are not replaced for it', async (t) => {
  const d = desiredOf(web()).replicas[0];
  const labels = { ...(d.spec.Labels as Record<string, string>) };
  t.ok(labels[BERTH_LABELS.spec], 'the record is written');
  delete labels[BERTH_LABELS.spec];
  t.equal(specHashOf({ ...d.spec, Labels: labels }), d.specHash);
  const converged = computePlan(desiredOf(web()), observed(containerOf(desiredOf(web()), labels), desiredOf(web())), T0);
  t.same(converged.replace, []);
});

t.test('records round-trip; unknown versions and shapes are refused', async (t) => {
  const r = specRecordOf(desiredOf(web({ options: '-e A=1 --health-cmd=true', runCommand: 'run me' })).replicas[0].spec);
  t.same(parseSpecRecord(formatSpecRecord(r)), r);
  t.same(specChanges(r, r), []);
  for (const bad of [undefined, '', 'not json', '{"v":2,"image":"x","ports":[],"storage":[],"env":{},"options":{}}', '{"v":1,"image":"x","ports":[1],"storage":[],"env":{},"options":{}}', '{"v":1,"image":"x","ports":[],"storage":[],"env":{},"options":{},"cmd":1}', 'null']) {
    t.equal(parseSpecRecord(bad), undefined, `refused: ${bad}`);
  }
  t.equal(formatSpecChange({ field: 'env', key: 'X', change: 'removed', hidden: true }), 'env X removed');
  t.equal(formatSpecChange({ field: 'port-map', change: 'removed', from: '80' }), 'port-map 80 → (none)');
});
