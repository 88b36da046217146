// Two small wrappers around the engine the reconciler uses: renaming through dockerode (not part
// of ContainerEngine yet), and a recorder that counts every write (create, start, stop, remove,
// rename) so that tests and benchmarks can prove a converged pass makes none.
import type { ContainerEngine } from '../runtime/engine';
import { EngineError } from '../runtime/engine';
import type { ApplyEngine } from './apply';

/** The engine with `rename`, through its own dockerode client (required on first use). */
export function withDockerRename(engine: ContainerEngine, socketPath?: string): ApplyEngine {
  let client: import('dockerode') | undefined;
  return {
    ping: () => engine.ping(),
    listContainers: (f) => engine.listContainers(f),
    inspect: (id) => engine.inspect(id),
    create: (spec) => engine.create(spec),
    start: (id) => engine.start(id),
    stop: (id, t) => engine.stop(id, t),
    remove: (id, o) => engine.remove(id, o),
    events: (f, s) => engine.events(f, s),
    rename: async (idOrName, newName) => {
      if (!client) {
        const Docker = require('dockerode') as typeof import('dockerode');
        client = new Docker(socketPath ? { socketPath } : undefined);
      }
      try {
        await client.getContainer(idOrName).rename({ name: newName });
      } catch (e) {
        const d = e as { statusCode?: number; json?: { message?: string }; message?: string };
        const kind = d.statusCode === 404 ? 'not-found' : d.statusCode === 409 ? 'conflict' : 'failed';
        throw new EngineError(kind, 'rename', idOrName, d.json?.message ?? d.message ?? String(e), d.statusCode);
      }
    },
  };
}

export interface EngineWrite {
  operation: 'create' | 'start' | 'stop' | 'remove' | 'rename';
  target: string;
}

export interface RecordingEngine extends ApplyEngine {
  readonly writes: EngineWrite[];
}

/** Passes every call through and records the writes. */
export function recordingEngine(engine: ApplyEngine): RecordingEngine {
  const writes: EngineWrite[] = [];
  const rec = <T>(operation: EngineWrite['operation'], target: string, p: () => Promise<T>) => {
    writes.push({ operation, target });
    return p();
  };
  return {
    writes,
    ping: () => engine.ping(),
    listContainers: (f) => engine.listContainers(f),
    inspect: (id) => engine.inspect(id),
    create: (spec) => rec('create', spec.name, () => engine.create(spec)),
    start: (id) => rec('start', id, () => engine.start(id)),
    stop: (id, t) => rec('stop', id, () => engine.stop(id, t)),
    remove: (id, o) => rec('remove', id, () => engine.remove(id, o)),
    events: (f, s) => engine.events(f, s),
    ...(engine.rename ? { rename: (id: string, name: string) => rec('rename', id, () => engine.rename!(id, name)) } : {}),
  };
}
