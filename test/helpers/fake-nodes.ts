// In-memory nodes for unit tests of the cluster pass: each has an engine that records its
// containers (with berth's labels, as the real engine lists them) and reports their changes as
// engine events, an address table and files. The real thing is proven end to end on
// per-namespace engines (test/cluster/*.ts); the many-node rig (sim-agents.ts) serves these
// nodes through real agents.
import type { ApplyEngine } from '../../src/controller/apply';
import type { NodeFiles } from '../../src/controller/node-files';
import type { AddressTable } from '../../src/runtime/addresses';
import { BERTH_LABELS, ContainerDetails, ContainerSpec, EngineEvent, EventFilter, ObservedContainer } from '../../src/runtime/engine';
import type { FailureRecord, HostAddress } from '../../src/reconcile/observed';
import { NodeDeps, NodeHandle, PassDeps, PassResult, runPass } from '../../src/controller/pass';
import { takeSnapshot } from '../../src/controller/node-snapshot';
import { hostsFilePath } from '../../src/model/bundle';

/** The cluster id of the in-memory clusters. */
export const FAKE_CLUSTER = 'fake-cluster';

export interface FakeNode {
  name: string;
  containers: Map<string, ObservedContainer>;
  addresses: HostAddress[];
  /** observation and orders fail while set */
  unreachable: boolean;
  /** engine events emitted so far */
  events: number;
  /** berth's files on the node, by path */
  files: Map<string, string>;
  deps: { engine: ApplyEngine; addresses: AddressTable; files: NodeFiles };
}

let ids = 0;

/** Container events as the engine streams them: each subscriber gets those its label filter
 * matches, from when it subscribed until its signal aborts. */
function eventHub(onEmit: () => void) {
  const subscribers = new Set<{ filter: EventFilter; push: (e: EngineEvent) => void }>();
  const matches = (f: EventFilter, e: EngineEvent) => Object.entries(f.labels ?? {}).every(([k, v]) => (v === '' ? k in e.attributes : e.attributes[k] === v));
  return {
    emit: (action: string, c: ObservedContainer) => {
      onEmit();
      if (!subscribers.size) return;
      const e: EngineEvent = { action, id: c.id, name: c.name, attributes: { ...c.labels, name: c.name, image: c.image }, ...(c.bundle !== undefined ? { bundle: c.bundle } : {}), ...(Number.isFinite(c.replica) ? { replica: c.replica } : {}), time: Date.now() };
      for (const s of subscribers) if (matches(s.filter, e)) s.push(e);
    },
    stream: (filter: EventFilter, signal: AbortSignal): AsyncIterable<EngineEvent> => ({
      [Symbol.asyncIterator]: async function* () {
        const queue: EngineEvent[] = [];
        let wake: (() => void) | undefined;
        const sub = { filter, push: (e: EngineEvent) => { queue.push(e); wake?.(); } };
        const onAbort = () => wake?.();
        subscribers.add(sub);
        signal.addEventListener('abort', onAbort);
        try {
          while (!signal.aborted) {
            if (!queue.length) await new Promise<void>((r) => { wake = r; });
            wake = undefined;
            while (queue.length && !signal.aborted) yield queue.shift()!;
          }
        } finally {
          subscribers.delete(sub);
          signal.removeEventListener('abort', onAbort);
        }
      },
    }),
  };
}

/** Docker's "Up ..." of a container started `ms` ago (go-units HumanDuration). */
function upFor(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return 'Up Less than a second';
  if (s < 60) return `Up ${s} seconds`;
  const m = Math.floor(s / 60);
  if (m === 1) return 'Up About a minute';
  if (m < 60) return `Up ${m} minutes`;
  const h = Math.round(m / 60);
  return h === 1 ? 'Up About an hour' : `Up ${h} hours`;
}

/**
 * `stateDir`: where the node's files say they are (default /state/NAME). `docker`: behave as
 * Docker does where a pass can tell (the many-node rig): inspect answers with the container's
 * details, and a listing's "Up ..." grows with the time since the start (else a container looks
 * restarted and is inspected on every pass).
 */
export function fakeNode(name: string, o: { stateDir?: string; docker?: boolean } = {}): FakeNode {
  const files = new Map<string, string>();
  const node: FakeNode = { name, containers: new Map(), addresses: [{ ip: '10.0.0.1', prefix: 24, interface: 'eth0', label: 'eth0' }], unreachable: false, events: 0, files, deps: undefined as never };
  const check = () => { if (node.unreachable) throw new Error(`node ${name} does not answer`); };
  const hub = eventHub(() => { node.events++; });
  const startedAt = new Map<string, number>();
  const find = (ref: string) => node.containers.get(ref) ?? [...node.containers.values()].find((c) => c.name === ref);
  const listed = (c: ObservedContainer): ObservedContainer => ({ ...c, ...(o.docker && c.state === 'running' ? { status: upFor(Date.now() - (startedAt.get(c.id) ?? 0)) } : {}) });
  const details = (c: ObservedContainer): ContainerDetails => {
    const started = startedAt.get(c.id);
    const running = c.state === 'running';
    const state = { Status: c.state, Running: running, Pid: running ? 1 : 0, ExitCode: 0, OOMKilled: false, ...(started ? { StartedAt: new Date(started).toISOString() } : {}) };
    return {
      ...listed(c), imageId: `sha256:${c.image}`, running, pid: state.Pid, exitCode: 0, oomKilled: false, restartCount: 0,
      ...(started ? { startedAt: new Date(started).toISOString() } : {}),
      raw: { Id: c.id, Name: `/${c.name}`, RestartCount: 0, State: state, Config: { Image: c.image, Labels: c.labels } } as unknown as ContainerDetails['raw'],
    };
  };
  const ledgers = new Map<string, Record<string, FailureRecord>>();
  const engine: ApplyEngine = {
    ping: async () => check(),
    listContainers: async () => { check(); return [...node.containers.values()].map(listed); },
    inspect: async (ref) => {
      check();
      const c = o.docker ? find(ref) : undefined;
      return c && details(c);
    },
    create: async (spec: ContainerSpec) => {
      check();
      const id = `c${++ids}`;
      const labels = spec.Labels ?? {};
      const c: ObservedContainer = {
        id, name: spec.name, image: spec.Image, state: 'created', health: 'none', status: 'Created', labels,
        bundle: labels[BERTH_LABELS.bundle], replica: Number(labels[BERTH_LABELS.replica]), node: labels[BERTH_LABELS.node], specHash: labels[BERTH_LABELS.specHash], cluster: labels[BERTH_LABELS.cluster], created: Math.floor(Date.now() / 1000),
      };
      node.containers.set(id, c);
      hub.emit('create', c);
      return id;
    },
    start: async (id) => { check(); const c = node.containers.get(id); if (c) { c.state = 'running'; c.status = 'Up Less than a second'; startedAt.set(id, Date.now()); hub.emit('start', c); } },
    stop: async (id) => { check(); const c = node.containers.get(id); if (c) { c.state = 'exited'; c.status = 'Exited (0) 1 second ago'; hub.emit('die', c); } },
    remove: async (id) => { check(); const c = node.containers.get(id); node.containers.delete(id); startedAt.delete(id); if (c) hub.emit('destroy', c); },
    rename: async (id, newName) => { check(); const c = node.containers.get(id); if (c) { c.name = newName; hub.emit('rename', c); } },
    events: (filter, signal) => hub.stream(filter, signal),
  };
  const addresses: AddressTable = {
    list: async () => { check(); return node.addresses.map((a) => ({ ...a })); },
    add: async (a) => { check(); node.addresses.push({ ...a, label: `${a.interface}:berth` }); },
    remove: async (a) => { check(); node.addresses = node.addresses.filter((x) => !(x.ip === a.ip && x.interface === a.interface)); },
  };
  const nodeFiles: NodeFiles = {
    stateDir: o.stateDir ?? `/state/${name}`,
    read: async (f) => { check(); return files.get(f) ?? null; },
    readMany: async (fs) => { check(); return fs.map((f) => files.get(f) ?? null); },
    write: async (f, c) => { check(); files.set(f, c); },
    ensureDir: async () => check(),
    readLedger: async (cluster) => { check(); return { ...(ledgers.get(cluster) ?? {}) }; },
    readHostsFiles: async (cluster) => {
      check();
      const dir = hostsFilePath(nodeFiles.stateDir, cluster, '');
      return Object.fromEntries([...files].filter(([f]) => f.startsWith(dir)).sort());
    },
    writeLedger: async (cluster, l) => { check(); ledgers.set(cluster, { ...l }); },
  };
  node.deps = { engine, addresses, files: nodeFiles };
  return node;
}

/** Power off / self-fence: every container of the node is gone, and the addresses berth added. */
export function wipe(node: FakeNode): void {
  node.containers.clear();
  node.addresses = node.addresses.filter((a) => !a.label.endsWith(':berth'));
}

/** Running containers of each replica, over all nodes (unreachable ones included). */
export function runningCopies(nodes: readonly FakeNode[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const n of nodes) {
    for (const c of n.containers.values()) {
      if (c.state !== 'running') continue;
      const name = `${c.bundle}-${c.replica}`;
      out.set(name, [...(out.get(name) ?? []), n.name]);
    }
  }
  return out;
}

/**
 * How the pass sees a node: `alive`; `suspect` (silent: the pass does not even ask it);
 * `unreachable` (its heartbeats arrive but it does not answer); `lost`; `unknown` (never heard
 * from: no way to reach it yet).
 */
export type FakeState = 'alive' | 'suspect' | 'unreachable' | 'lost' | 'unknown';

/** In-memory nodes and the cluster pass over them, with the CIB as text. `snapshots`: each node
 * answers observations as an agent does (node-snapshot.ts, `unchanged` counted), and its handle
 * carries its engine events, as the cluster controller's do. */
export function fakeCluster(names: string[], clock: () => number = () => Date.now(), o: { snapshots?: boolean } = {}) {
  const nodes = names.map((n) => fakeNode(n));
  const state = new Map<string, FakeState>(names.map((n) => [n, 'alive']));
  const memory = new Map<string, Set<string>>();
  const snapshots = { unchanged: 0 };
  const depsOf = new Map<FakeNode, NodeDeps>(nodes.map((n) => [n, !o.snapshots ? n.deps : {
    ...n.deps,
    snapshot: async (cluster: string, known?: string) => {
      const a = await takeSnapshot(n.deps, cluster, known, clock());
      if ('unchanged' in a) snapshots.unchanged++;
      // Over the wire: the caller gets its own copy.
      return JSON.parse(JSON.stringify(a)) as typeof a;
    },
  }]));
  let text = '';
  const handles = (list: readonly string[]): NodeHandle[] => list.map((name) => {
    const n = nodes.find((x) => x.name === name)!;
    const s = state.get(name)!;
    n.unreachable = s === 'unreachable' || s === 'suspect';
    return { name, liveness: s === 'unreachable' ? 'alive' : s, ...(s !== 'lost' && s !== 'unknown' ? { deps: depsOf.get(n)!, ...(o.snapshots ? { events: n.events } : {}) } : {}) };
  });
  const deps: PassDeps = { cib: { where: 'test', read: async () => text, clusterId: async () => FAKE_CLUSTER }, nodes: handles, now: clock, memory, observeTimeoutMs: 1000 };
  const pass = (apply = true): Promise<PassResult> => runPass(deps, { apply });
  return { nodes, state, memory, pass, deps, snapshots, setCib: (x: string) => { text = x; }, node: (name: string) => nodes.find((n) => n.name === name)! };
}
