// The dependencies of a pass on this machine, assembled in one place for the CLI, the tests and the
// benchmarks: the local node's handle (Docker engine with renaming, the host's address table,
// berth's files) and the CIB sources (a file, or the live store).
import { readTextFile } from '../cib/cib-file';
import { dockerEngine } from '../runtime/engine';
import type { ContainerEngine } from '../runtime/engine';
import { nodeEngines, podmanSocketOf, socketExists } from '../runtime/node-engines';
import { ipAddressTable } from '../runtime/addresses';
import type { CibStore } from '../store/store';
import { editCibFile } from '../commands/cib-file-edit';
import { editLive } from '../commands/cluster-cib';
import { fileClusterId, storeClusterId } from '../store/cluster-id';
import { nodeFiles } from './node-files';
import { nodeExecutors, remoteKeyPath } from '../inner/node-executors';
import type { CibSource, NodeDeps, NodeHandle, PassDeps } from './pass';

export interface LocalNodeOptions {
  node: string;
  stateDir: string;
  /** default: DOCKER_HOST or /var/run/docker.sock */
  socketPath?: string;
  /** podman's API socket for `<podman>` bundles: a path, or `off` (default: BERTH_PODMAN_SOCKET,
   * else /run/podman/podman.sock, used while it exists) */
  podmanSocket?: string;
  /** the Pacemaker key the replicas' executors use (default: PCMK_authkey_location, else
   * /etc/pacemaker/authkey) */
  remoteKey?: string;
  /** the connections answer the agents' attribute updates (the executor sends them to the newest
   * such connection): for what acts (controller, agent, apply), not for what only looks */
  provider?: boolean;
  /** how long an observation waits for new executor connections to be made and probed (default
   * 2500 ms: this node's own pass waits up to 5 s for its observation; an agent, answering a
   * controller's 1 s deadline, waits less) */
  settleMs?: number;
  log?: (line: string) => void;
}

/** This machine's engines as one: Docker, and podman when it is there (src/runtime/node-engines.ts). */
export function localEngines(o: Pick<LocalNodeOptions, 'socketPath' | 'podmanSocket'> = {}): ContainerEngine {
  const podman = podmanSocketOf(o.podmanSocket ?? process.env.BERTH_PODMAN_SOCKET);
  const docker = dockerEngine({ kind: 'docker', ...(o.socketPath ? { socketPath: o.socketPath } : {}) });
  return nodeEngines({ docker, ...(podman ? { podman: { engine: dockerEngine({ kind: 'podman', socketPath: podman }), present: socketExists(podman) } } : {}) });
}

/** This machine's engines (Docker, and podman when it is there; their events with the executors'
 * changes), addresses, files and the executors in its replica containers. */
export function localNodeDeps(o: LocalNodeOptions): NodeDeps {
  const keyPath = o.remoteKey ?? remoteKeyPath();
  const inner = nodeExecutors({ keyPath, provider: o.provider ?? true, settleMs: o.settleMs ?? 2500, ...(o.log ? { log: o.log } : {}) });
  return {
    engine: inner.withEvents(localEngines(o)),
    addresses: ipAddressTable(),
    files: nodeFiles(o.stateDir, keyPath),
    inner: inner.executors,
  };
}

/** A cluster of one: this node, always up; the CIB's other nodes take no part (no agent runs them
 * from here), so their replicas are placed on this node as far as it has room — unless the CIB
 * carries Pacemaker's status section, which then says which of them are up and what runs there. */
export function singleNode(node: string, deps: NodeDeps): PassDeps['nodes'] {
  const self: NodeHandle = { name: node, liveness: 'alive', deps };
  return (names) => [self, ...names.filter((n) => n !== node).map((name): NodeHandle => ({ name, liveness: 'lost', elsewhere: true, note: `not this node (${node}): berth on one node runs only its own` }))];
}

/** The pass's dependencies for one node. */
export function singleNodePassDeps(o: { node: string; cib: CibSource; deps: NodeDeps; stopTimeoutSeconds?: number; log?: (line: string) => void; now?: () => number }): PassDeps {
  return {
    cib: o.cib,
    nodes: singleNode(o.node, o.deps),
    now: o.now ?? (() => Date.now()),
    memory: new Map(),
    memo: {},
    // This node's own engine and executors: no network between, a slow engine is waited for.
    observeTimeoutMs: 5000,
    ...(o.stopTimeoutSeconds !== undefined ? { stopTimeoutSeconds: o.stopTimeoutSeconds } : {}),
    ...(o.log ? { log: o.log } : {}),
  };
}

/** A CIB file as the desired state, watched by polling (editors and `berth -f` replace the file
 * by rename, which fs.watch loses). Its cluster id is its real path's. */
export function fileCibSource(file: string, pollMs = 500): CibSource {
  return {
    where: file,
    read: async () => readTextFile(file),
    clusterId: async () => fileClusterId(file),
    edit: async (edit, args, flags) => editCibFile(file, edit, args, { ...flags, file }),
    watch: (onChange) => {
      const fs = require('node:fs') as typeof import('node:fs');
      const listener = () => onChange();
      fs.watchFile(file, { interval: pollMs }, listener);
      return () => fs.unwatchFile(file, listener);
    },
  };
}

/** The live CIB in a store as the desired state; its cluster id is the store's. */
export function storeCibSource(store: CibStore): CibSource {
  let id: Promise<string> | undefined;
  return {
    where: store.url,
    read: async () => (await store.read()).text,
    clusterId: () => (id ??= storeClusterId(store).catch((e) => { id = undefined; throw e; })),
    watch: (onChange) => store.watch(() => onChange()),
    edit: (edit, args, flags) => editLive(store, edit, args, flags),
    close: () => store.close(),
  };
}
