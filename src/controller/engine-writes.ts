// A recorder around the engine the reconciler uses: it counts every write (create, start, stop,
// remove, rename) so that tests and benchmarks can prove a converged pass makes none.
import type { ApplyEngine } from './apply';

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
    ...(engine.kinds ? { kinds: () => engine.kinds!() } : {}),
    ...(engine.rename ? { rename: (id: string, name: string) => rec('rename', id, () => engine.rename!(id, name)) } : {}),
  };
}
