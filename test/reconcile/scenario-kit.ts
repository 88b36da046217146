// Building blocks for planner tests: CIBs from a few lines, and observed states written as short
// descriptions ("b-0 running on the current spec") instead of engine JSON. No tests here.
import { parseCib } from '../../src/cib/cib';
import { ADDRESS_LABEL, DesiredState, desiredStateOf, replicaName } from '../../src/reconcile/desired';
import { readModel } from '../../src/model/model';
import { nodeStates } from '../../src/scheduler/nodes';
import { RunningReplica, placeReplicas, placementConfig } from '../../src/scheduler/placement';
import type { ContainerRun, FailureRecord, HostAddress, ObservedState } from '../../src/reconcile/observed';
import { BERTH_LABELS, ContainerHealth, ContainerState, ObservedContainer } from '../../src/runtime/engine';

export const NODE = 'node1';
export const STATE_DIR = '/var/lib/berth/node';
export const T0 = Date.parse('2025-01-01T12:00:00Z');
export const CLUSTER = 'c-test';

export function cib(resources: string, props: Record<string, string> = {}, extra = ''): string {
  const nv = Object.entries(props).map(([k, v]) => `<nvpair id="cib-bootstrap-options-${k}" name="${k}" value="${v}"/>`).join('');
  return `<cib validate-with="pacemaker-3.9" admin_epoch="0" epoch="3" num_updates="0">
  <configuration>
    <crm_config><cluster_property_set id="cib-bootstrap-options">${nv}</cluster_property_set></crm_config>
    <nodes/>
    <resources>${resources}</resources>
    <constraints/>${extra}
  </configuration>
  <status/>
</cib>`;
}

export interface BundleOpts {
  id?: string;
  image?: string;
  replicas?: number;
  perHost?: number;
  start?: string;
  iface?: string | null;
  options?: string;
  meta?: Record<string, string>;
  storage?: boolean;
  ports?: boolean;
}

/** The S1 httpd bundle, with knobs. */
export function bundle(o: BundleOpts = {}): string {
  const id = o.id ?? 'httpd-bundle';
  const meta = Object.entries(o.meta ?? {}).map(([k, v]) => `<nvpair id="${id}-meta_attributes-${k}" name="${k}" value="${v}"/>`).join('');
  const iface = o.iface === null ? '' : ` host-interface="${o.iface ?? 'lo'}"`;
  return `<bundle id="${id}">
      <docker image="${o.image ?? 'berth-test/httpd:1'}" replicas="${o.replicas ?? 3}" replicas-per-host="${o.perHost ?? 3}"${o.options ? ` options="${o.options}"` : ''}/>
      <network ip-range-start="${o.start ?? '127.0.1.131'}" host-netmask="32"${iface}>${o.ports === false ? '' : `<port-mapping id="${id}-port-map-80" port="80"/>`}</network>
      ${o.storage === false ? '' : `<storage><storage-mapping id="${id}-storage-map" source-dir-root="/srv/www" target-dir="/var/www/html" options="rw"/></storage>`}
      ${meta ? `<meta_attributes id="${id}-meta_attributes">${meta}</meta_attributes>` : ''}
    </bundle>`;
}

/** The desired state of `node` as the pass makes it: the model, placement over `nodes` (all up)
 * and the CIB's own nodes with what runs now (`current`), then the node's share. */
export function desiredOf(xml: string, node = NODE, nodes?: string[], current: RunningReplica[] = []): DesiredState {
  const model = readModel(parseCib(xml), { readFile: () => '', lookupEnv: () => undefined });
  const all = [...model.nodes];
  for (const n of nodes ?? [node]) if (!all.some((x) => x.name === n)) all.push({ id: n, name: n, type: 'member', standby: false, attributes: {} });
  const placed = placeReplicas({ ...placementConfig(model), nodes: nodeStates(all, () => true), current, now: T0 });
  return desiredStateOf(model, { node, stateDir: STATE_DIR, cluster: CLUSTER }, { placements: placed.placements, unplaced: placed.unplaced });
}

export interface Seen {
  /** `<bundle>-<index>` */
  replica: string;
  state?: ContainerState;
  health?: ContainerHealth;
  /** 'current' (default): the desired spec; 'old': another hash; or an image: another hash with that image */
  spec?: 'current' | 'old' | string;
  name?: string;
  id?: string;
  node?: string;
  /** an inspect was made */
  run?: Partial<ContainerRun>;
  ledger?: Partial<FailureRecord>;
  address?: string;
  created?: number;
}

const lo: HostAddress = { ip: '127.0.0.1', prefix: 8, interface: 'lo', label: 'lo' };

/** An observed state: containers as described, berth's addresses for every running one (unless
 * `addresses` is given), hosts files as berth would write them (unless `files` is given). */
export function observedOf(desired: DesiredState, seen: Seen[], extra: { addresses?: HostAddress[]; files?: Record<string, string | null> } = {}): ObservedState {
  const obs: ObservedState = { containers: [], foreign: [], runs: {}, addresses: [lo], ledger: {}, files: {} };
  for (const s of seen) {
    const m = /^(.*)-(\d+)$/.exec(s.replica)!;
    const bundle = m[1];
    const index = Number(m[2]);
    const d = desired.replicas.find((r) => r.bundle === bundle && r.index === index);
    const id = s.id ?? `c-${s.replica}${s.spec && s.spec !== 'current' ? `-${s.spec}` : ''}`;
    const spec = s.spec ?? 'current';
    const hash = spec === 'current' && d ? d.specHash : `old-${spec}`;
    const image = spec !== 'current' && spec !== 'old' ? spec : d?.spec.Image ?? 'berth-test/httpd:1';
    const address = s.address ?? (d?.address ? `${d.address.ip}/${d.address.prefix}@${d.address.interface ?? ''}` : undefined);
    const labels: Record<string, string> = {
      [BERTH_LABELS.cluster]: CLUSTER,
      [BERTH_LABELS.bundle]: bundle,
      [BERTH_LABELS.replica]: String(index),
      [BERTH_LABELS.node]: s.node ?? desired.node,
      [BERTH_LABELS.specHash]: hash,
      ...(address ? { [ADDRESS_LABEL]: address } : {}),
    };
    const state = s.state ?? 'running';
    const c: ObservedContainer = {
      id, name: s.name ?? replicaName(bundle, index), image, state, health: s.health ?? 'none', status: state, labels,
      bundle, replica: index, node: s.node ?? desired.node, specHash: hash, cluster: CLUSTER, created: s.created ?? T0 / 1000 - 3600,
    };
    obs.containers.push(c);
    if (s.run) obs.runs[id] = { restartCount: 0, exitCode: 0, ...s.run };
    if (s.ledger) obs.ledger[id] = { baseline: 0, extra: 0, count: 0, ...s.ledger };
    if (!extra.addresses && address && (state === 'running' || state === 'restarting')) {
      const ip = address.split('/')[0];
      if (!obs.addresses.some((a) => a.ip === ip)) obs.addresses.push({ ip, prefix: 32, interface: 'lo', label: 'lo:berth' });
    }
  }
  if (extra.addresses) obs.addresses = [lo, ...extra.addresses];
  if (extra.files) obs.files = extra.files;
  else for (const b of desired.bundles) if (b.hostsFile) obs.files[b.hostsFile.path] = b.hostsFile.content;
  return obs;
}

/** What the descriptions say runs where (for the specs the observed containers are made from). */
export const currentOfSeen = (seen: Seen[]): RunningReplica[] => seen.map((s) => {
  const m = /^(.*)-(\d+)$/.exec(s.replica)!;
  return { bundle: m[1], index: Number(m[2]), node: s.node ?? NODE };
});

/** What runs where, as the pass hands it to placement. */
export const currentOf = (o: ObservedState): RunningReplica[] =>
  o.containers.filter((c) => c.replica !== undefined && c.node !== undefined).map((c) => ({ bundle: c.bundle, index: c.replica!, node: c.node!, failed: c.state !== 'running' && c.state !== 'restarting' }));

export const berthAddress = (ip: string): HostAddress => ({ ip, prefix: 32, interface: 'lo', label: 'lo:berth' });
