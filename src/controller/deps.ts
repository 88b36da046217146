// The dependencies of a pass on a real node, assembled in one place for the CLI, the tests and
// the benchmark: the Docker engine (with renaming), the host's address table, berth's files, and
// a CIB source (a file, or the live store).
import { readTextFile } from '../cib/cib-file';
import { dockerEngine } from '../runtime/engine';
import { ipAddressTable } from '../runtime/addresses';
import { withDockerRename } from './engine-writes';
import { nodeFiles } from './node-files';
import type { CibSource, PassDeps } from './pass';

export interface LocalNodeOptions {
  node: string;
  cib: CibSource;
  stateDir: string;
  /** default: DOCKER_HOST or /var/run/docker.sock */
  socketPath?: string;
  stopTimeoutSeconds?: number;
  log?: (line: string) => void;
}

export function localNodeDeps(o: LocalNodeOptions): PassDeps {
  return {
    node: o.node,
    cib: o.cib,
    engine: withDockerRename(dockerEngine(o.socketPath ? { socketPath: o.socketPath } : {}), o.socketPath),
    addresses: ipAddressTable(),
    files: nodeFiles(o.stateDir),
    now: () => Date.now(),
    ...(o.stopTimeoutSeconds !== undefined ? { stopTimeoutSeconds: o.stopTimeoutSeconds } : {}),
    ...(o.log ? { log: o.log } : {}),
  };
}

/** A CIB file as the desired state, watched by polling (editors and `berth -f` replace the file
 * by rename, which fs.watch loses). */
export function fileCibSource(file: string, pollMs = 500): CibSource {
  return {
    where: file,
    read: async () => readTextFile(file),
    watch: (onChange) => {
      const fs = require('node:fs') as typeof import('node:fs');
      const listener = () => onChange();
      fs.watchFile(file, { interval: pollMs }, listener);
      return () => fs.unwatchFile(file, listener);
    },
  };
}
