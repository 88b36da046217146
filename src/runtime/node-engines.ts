// A node's engines as one ContainerEngine: the Docker engine always, and podman's Docker-compatible
// API when the node has it. A `<podman>` bundle's containers (label berth.container=podman) are
// created on podman when it is there, every other container on Docker; listings and events cover
// both; every other call goes to the engine that holds the container.
//
// Terms: podman is *present* while its API socket exists (its service removes the socket when it
// stops). Present but not answering is an engine failure, as when Docker does not answer: the
// listing fails and the pass changes nothing, rather than take podman's replicas for gone.
import { statSync } from 'node:fs';
import { BERTH_LABELS } from './labels';
import { EngineError } from './engine';
import type { ContainerEngine, ContainerSpec, EngineEvent, EngineKind, EventFilter } from './engine';

/** podman's API socket when berth runs as root (`podman system service`, or its systemd socket). */
export const PODMAN_SOCKET = '/run/podman/podman.sock';

/** The podman socket a setting names: a path, `off` (no podman), or unset (PODMAN_SOCKET). */
export function podmanSocketOf(setting: string | undefined): string | undefined {
  const v = setting?.trim();
  if (v === 'off') return undefined;
  if (!v) return PODMAN_SOCKET;
  return v.startsWith('unix://') ? v.slice('unix://'.length) : v;
}

/** The engine a spec asks for: podman for a `<podman>` bundle's replica. */
export const wantedEngine = (spec: ContainerSpec): EngineKind => (spec.Labels?.[BERTH_LABELS.container] === 'podman' ? 'podman' : 'docker');

export interface NodeEnginesOptions {
  docker: ContainerEngine;
  /** podman's API and whether it is present now (default: never) */
  podman?: { engine: ContainerEngine; present: () => boolean };
}

/** Whether a socket file exists now. */
export const socketExists = (path: string) => () => {
  try {
    return statSync(path).isSocket();
  } catch {
    return false;
  }
};

export function nodeEngines(o: NodeEnginesOptions): ContainerEngine {
  const engines: Record<EngineKind, ContainerEngine | undefined> = { docker: o.docker, podman: o.podman?.engine };
  const present = (): boolean => !!o.podman && o.podman.present();
  // Which engine holds a container, by id and by name, from listings, inspects and creates.
  const held = new Map<string, EngineKind>();
  const note = (kind: EngineKind, ...refs: string[]) => { for (const r of refs) held.set(r, kind); };
  const kinds = (): EngineKind[] => (present() ? ['docker', 'podman'] : ['docker']);

  const holder = async (ref: string): Promise<ContainerEngine> => {
    const k = held.get(ref);
    if (k && engines[k] && (k === 'docker' || present())) return engines[k]!;
    if (!present()) return o.docker;
    if (await o.docker.inspect(ref)) return o.docker;
    if (await engines.podman!.inspect(ref)) return engines.podman!;
    return o.docker;
  };

  return {
    ping: () => o.docker.ping(),
    kinds: async () => kinds(),

    listContainers: async (filter) => {
      // podman's socket gone while berth's replicas ran on it: its containers go on running
      // without the API service, so taking them for gone would start a second copy of each on
      // Docker. The listing fails (the pass changes nothing) until podman is back, or a restart of
      // this process with BERTH_PODMAN_SOCKET=off says the operator stopped them.
      if (!present() && [...held.values()].includes('podman')) {
        throw new EngineError('unreachable', 'list containers', undefined, "podman's API socket is gone while replicas of this node ran on podman: start podman's service again (podman system service, or podman.socket), or stop those containers (podman stop) and restart berth with BERTH_PODMAN_SOCKET=off");
      }
      const lists = await Promise.all(kinds().map(async (k) => (await engines[k]!.listContainers(filter)).map((c) => ({ ...c, engine: k }))));
      // One container listed by both (BERTH_PODMAN_SOCKET naming Docker's socket) is one
      // container, not a second copy of its replica to remove.
      const seen = new Set<string>();
      const all = lists.flat().filter((c) => !seen.has(c.id) && !!seen.add(c.id));
      // what podman holds is what it lists now (a container removed behind berth's back no longer
      // counts as held there)
      if (present()) for (const [ref, k] of held) if (k === 'podman') held.delete(ref);
      for (const c of all) note(c.engine, c.id, c.name);
      return all;
    },

    inspect: async (ref) => {
      const d = await (await holder(ref)).inspect(ref);
      if (d) note(d.engine ?? 'docker', d.id, d.name);
      return d;
    },

    create: async (spec) => {
      const kind: EngineKind = wantedEngine(spec) === 'podman' && present() ? 'podman' : 'docker';
      const id = await engines[kind]!.create(spec);
      note(kind, id, spec.name);
      return id;
    },

    start: async (ref) => (await holder(ref)).start(ref),
    stop: async (ref, t) => (await holder(ref)).stop(ref, t),
    remove: async (ref, opts) => {
      await (await holder(ref)).remove(ref, opts);
      held.delete(ref);
    },
    rename: async (ref, name) => {
      const e = await holder(ref);
      if (!e.rename) throw new EngineError('failed', 'rename', ref, 'this engine cannot rename containers');
      await e.rename(ref, name);
      const k = e === o.docker ? 'docker' : 'podman';
      note(k, name);
    },

    events: (filter, signal) => ({ [Symbol.asyncIterator]: () => mergedEvents(engines, kinds, filter, signal) }),
  };
}

/** Both engines' events as one stream. It ends when either stream ends, or when podman appears or
 * goes (checked every 2 s), so that the follower resyncs and follows what the node has now. */
async function* mergedEvents(engines: Record<EngineKind, ContainerEngine | undefined>, kinds: () => EngineKind[], filter: EventFilter, signal: AbortSignal): AsyncGenerator<EngineEvent> {
  const at = kinds();
  if (at.length === 1) {
    // One engine: its own stream, ended when podman appears.
    const stop = new AbortController();
    const end = () => stop.abort();
    signal.addEventListener('abort', end, { once: true });
    const timer = setInterval(() => { if (kinds().length !== 1) end(); }, 2000);
    try {
      yield* engines[at[0]]!.events(filter, stop.signal);
    } finally {
      clearInterval(timer);
      signal.removeEventListener('abort', end);
    }
    return;
  }
  const stop = new AbortController();
  const end = () => stop.abort();
  signal.addEventListener('abort', end, { once: true });
  const queue: EngineEvent[] = [];
  let done = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const finish = (e?: unknown) => {
    if (e !== undefined && failure === undefined && !stop.signal.aborted) failure = e;
    done = true;
    end();
    wake?.();
  };
  for (const k of at) {
    void (async () => {
      try {
        for await (const e of engines[k]!.events(filter, stop.signal)) {
          queue.push(e);
          wake?.();
        }
        finish();
      } catch (e) {
        finish(e);
      }
    })();
  }
  const timer = setInterval(() => { if (kinds().length !== at.length) finish(); }, 2000);
  try {
    while (true) {
      while (queue.length) yield queue.shift()!;
      if (done) break;
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
    if (failure !== undefined && !signal.aborted) throw failure;
  } finally {
    clearInterval(timer);
    signal.removeEventListener('abort', end);
    end();
  }
}
