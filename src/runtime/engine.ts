// The container engine as the reconciler sees it: a small interface (list berth's containers,
// inspect, create, start, stop, remove, events, ping) and its Docker implementation over
// dockerode. Thin on purpose: no planning, no retries, no defaults beyond the call itself.
// dockerode is required on first use, so importing this file costs nothing at CLI start-up.
//
// Terms: an "observed container" is what a listing tells about one container (cheap: one call
// for all); "details" add what only an inspect tells. berth's containers are the ones labelled
// `berth.bundle`; containers without it are never listed here, so never touched.
import type Dockerode from 'dockerode';
import type { ContainerCreateOptions, ContainerInfo, ContainerInspectInfo } from 'dockerode';
import { BERTH_LABELS } from './labels';

// The labels live in ./labels.ts, which imports no engine (the docker option parser needs them).
export { ADDRESS_LABEL, BERTH_LABELS, berthLabels } from './labels';
export type { ReplicaIdentity } from './labels';

/** The engines a node may have: the Docker engine, and podman through its Docker-compatible API. */
export type EngineKind = 'docker' | 'podman';
export const ENGINE_KIND_NAMES: readonly string[] = ['docker', 'podman'] satisfies EngineKind[];

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
/** `none`: the container has no health check. */
export type ContainerHealth = 'none' | 'starting' | 'healthy' | 'unhealthy';

export interface ObservedContainer {
  id: string;
  /** without Docker's leading slash */
  name: string;
  /** the image reference it was created from */
  image: string;
  state: ContainerState;
  health: ContainerHealth;
  /** Docker's own summary, e.g. "Up 3 minutes (healthy)" */
  status: string;
  labels: Record<string, string>;
  /** berth's labels, read back; a missing or malformed one is undefined */
  bundle: string;
  replica?: number;
  node?: string;
  specHash?: string;
  /** the cluster it belongs to (label berth.cluster); undefined: none */
  cluster?: string;
  /** creation time, Unix seconds */
  created: number;
  /** the engine that holds it, when the engine says (dockerEngine's `kind`) */
  engine?: EngineKind;
}

export interface ContainerDetails extends ObservedContainer {
  imageId: string;
  running: boolean;
  pid: number;
  exitCode: number;
  oomKilled: boolean;
  /** restarts done by the engine's restart policy since the container was created */
  restartCount: number;
  startedAt?: string;
  finishedAt?: string;
  /** the engine's error for the last start, if any */
  error?: string;
  /** the whole inspect answer, for what this interface does not name */
  raw: ContainerInspectInfo;
}

/** What berth hands to create: the engine's own create options, with a name and an image. */
export type ContainerSpec = ContainerCreateOptions & { name: string; Image: string };

export interface EngineEvent {
  /** e.g. create, start, die, stop, kill, destroy, oom, "health_status: healthy" */
  action: string;
  id: string;
  name?: string;
  /** the container's labels and Docker's own attributes (name, image, exitCode, ...) */
  attributes: Record<string, string>;
  bundle?: string;
  replica?: number;
  /** milliseconds since the epoch */
  time: number;
}

export interface EventFilter {
  /** only containers with all of these labels (value '' = the label exists) */
  labels?: Record<string, string>;
  /** replay events since this time (ms since the epoch) before following new ones */
  since?: number;
}

export type EngineErrorKind =
  | 'not-found' // no such container or image
  | 'conflict' // a name already in use, or a removal of a running container without force
  | 'unreachable' // no engine answers on the socket
  | 'failed'; // anything else the engine refused

export class EngineError extends Error {
  constructor(
    readonly kind: EngineErrorKind,
    readonly operation: string,
    readonly target: string | undefined,
    message: string,
    readonly statusCode?: number,
  ) {
    super(`${operation}${target ? ` ${target}` : ''}: ${message}`);
    this.name = 'EngineError';
  }
}

export interface ContainerEngine {
  /** Resolves when the engine answers; EngineError 'unreachable' otherwise. */
  ping(): Promise<void>;
  /** berth's containers in every state, optionally only those with the given labels. */
  listContainers(filter?: { labels?: Record<string, string> }): Promise<ObservedContainer[]>;
  /** undefined when there is no such container. */
  inspect(idOrName: string): Promise<ContainerDetails | undefined>;
  /** Creates (does not start) a container; resolves to its id. */
  create(spec: ContainerSpec): Promise<string>;
  /** Starting a running container is not an error. */
  start(idOrName: string): Promise<void>;
  /** Stopping a stopped container is not an error. timeoutSeconds: before SIGKILL (engine default 10). */
  stop(idOrName: string, timeoutSeconds?: number): Promise<void>;
  /** Removing a container that does not exist is not an error. force: remove a running one too. */
  remove(idOrName: string, opts?: { force?: boolean }): Promise<void>;
  /** Container events for berth's containers until the signal aborts. The iteration also ends
   * when the engine closes the stream (it restarted): resync, then follow again. */
  events(filter: EventFilter, signal: AbortSignal): AsyncIterable<EngineEvent>;
  /** Renames a container (a replace creates the new one beside the old, then takes its name). */
  rename?(idOrName: string, newName: string): Promise<void>;
  /** The engines behind this one, as of now (nodeEngines); absent: one engine of unknown kind. */
  kinds?(): Promise<EngineKind[]>;
}

export interface DockerEngineOptions {
  /** default: dockerode's, i.e. DOCKER_HOST or /var/run/docker.sock */
  socketPath?: string;
  /** what answers on the socket: tagged on what it lists and inspects, and named in its errors */
  kind?: EngineKind;
}

const STATES: readonly string[] = ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'];
const asState = (s: string): ContainerState => (STATES.includes(s) ? (s as ContainerState) : 'dead');

function healthFromStatus(status: string): ContainerHealth {
  if (status.includes('(healthy)')) return 'healthy';
  if (status.includes('(unhealthy)')) return 'unhealthy';
  if (status.includes('(health: starting)')) return 'starting';
  return 'none';
}

function asHealth(s: string | undefined): ContainerHealth {
  return s === 'healthy' || s === 'unhealthy' || s === 'starting' ? s : 'none';
}

function replicaIndex(v: string | undefined): number | undefined {
  return v !== undefined && /^(0|[1-9]\d*)$/.test(v) ? Number(v) : undefined;
}

function identity(labels: Record<string, string>) {
  return {
    bundle: labels[BERTH_LABELS.bundle] ?? '',
    replica: replicaIndex(labels[BERTH_LABELS.replica]),
    node: labels[BERTH_LABELS.node],
    specHash: labels[BERTH_LABELS.specHash],
    cluster: labels[BERTH_LABELS.cluster] || undefined,
  };
}

function fromListing(c: ContainerInfo, engine?: EngineKind): ObservedContainer {
  const labels = c.Labels ?? {};
  return {
    id: c.Id,
    name: (c.Names?.[0] ?? '').replace(/^\//, ''),
    image: c.Image,
    state: asState(c.State),
    health: healthFromStatus(c.Status ?? ''),
    status: c.Status ?? '',
    labels,
    ...identity(labels),
    created: c.Created,
    ...(engine ? { engine } : {}),
  };
}

function fromInspect(i: ContainerInspectInfo, engine?: EngineKind): ContainerDetails {
  const labels = i.Config?.Labels ?? {};
  const time = (t: string | undefined) => (t && !t.startsWith('0001-') ? t : undefined);
  return {
    id: i.Id,
    name: i.Name.replace(/^\//, ''),
    image: i.Config?.Image ?? '',
    state: asState(i.State.Status),
    health: asHealth(i.State.Health?.Status),
    status: i.State.Status,
    labels,
    ...identity(labels),
    created: Math.floor(Date.parse(i.Created) / 1000),
    imageId: i.Image,
    running: i.State.Running,
    pid: i.State.Pid,
    exitCode: i.State.ExitCode,
    oomKilled: i.State.OOMKilled,
    restartCount: i.RestartCount,
    startedAt: time(i.State.StartedAt),
    finishedAt: time(i.State.FinishedAt),
    error: i.State.Error || undefined,
    raw: i,
    ...(engine ? { engine } : {}),
  };
}

interface DockerodeError {
  statusCode?: number;
  code?: string;
  json?: { message?: string } | null;
  message?: string;
}

function toEngineError(e: unknown, operation: string, target?: string, engine: EngineKind = 'docker'): EngineError {
  if (e instanceof EngineError) return e;
  const d = (typeof e === 'object' && e !== null ? e : { message: String(e) }) as DockerodeError;
  const message = d.json?.message ?? d.message ?? String(e);
  if (d.code === 'ENOENT' || d.code === 'ECONNREFUSED' || d.code === 'EACCES' || d.code === 'ECONNRESET') {
    return new EngineError('unreachable', operation, target, `no ${engine === 'podman' ? 'podman API' : 'Docker engine'} answers (${d.code}): ${message}`);
  }
  const kind: EngineErrorKind = d.statusCode === 404 ? 'not-found' : d.statusCode === 409 ? 'conflict' : 'failed';
  return new EngineError(kind, operation, target, message, d.statusCode);
}

const statusOf = (e: unknown) => (typeof e === 'object' && e !== null ? (e as DockerodeError).statusCode : undefined);

function labelFilter(labels: Record<string, string> | undefined): string[] {
  const out = [BERTH_LABELS.bundle as string];
  for (const [k, v] of Object.entries(labels ?? {})) out.push(v === '' ? k : `${k}=${v}`);
  return out;
}

/** Docker's event stream: one JSON object a line. */
interface DockerEventMessage {
  Action?: string;
  status?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

function toEvent(m: DockerEventMessage): EngineEvent {
  const attributes = m.Actor?.Attributes ?? {};
  return {
    action: m.Action ?? m.status ?? '',
    id: m.Actor?.ID ?? m.id ?? '',
    name: attributes.name,
    attributes,
    bundle: attributes[BERTH_LABELS.bundle],
    replica: replicaIndex(attributes[BERTH_LABELS.replica]),
    time: m.timeNano ? Math.floor(m.timeNano / 1e6) : (m.time ?? 0) * 1000,
  };
}

export function dockerEngine(options: DockerEngineOptions = {}): ContainerEngine {
  let client: Dockerode | undefined;
  const docker = (): Dockerode => {
    if (!client) {
      // dockerode (and its ssh2, protobuf, ...) loads on the first call, not when this file is imported.
      const Docker = require('dockerode') as typeof import('dockerode');
      client = new Docker(options.socketPath ? { socketPath: options.socketPath } : undefined);
    }
    return client;
  };
  const call = async <T>(operation: string, target: string | undefined, f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      throw toEngineError(e, operation, target, options.kind);
    }
  };

  return {
    ping: () => call('ping', undefined, async () => { await docker().ping(); }),

    listContainers: (filter) =>
      call('list containers', undefined, async () => {
        const list = await docker().listContainers({ all: true, filters: { label: labelFilter(filter?.labels) } });
        return list.map((c) => fromListing(c, options.kind));
      }),

    inspect: (idOrName) =>
      call('inspect', idOrName, async () => {
        try {
          return fromInspect(await docker().getContainer(idOrName).inspect(), options.kind);
        } catch (e) {
          if (statusOf(e) === 404) return undefined;
          throw e;
        }
      }),

    create: (spec) => call('create', spec.name, async () => (await docker().createContainer(structuredClone(spec))).id),

    start: (idOrName) =>
      call('start', idOrName, async () => {
        try {
          await docker().getContainer(idOrName).start();
        } catch (e) {
          if (statusOf(e) !== 304) throw e;
        }
      }),

    stop: (idOrName, timeoutSeconds) =>
      call('stop', idOrName, async () => {
        try {
          await docker().getContainer(idOrName).stop(timeoutSeconds === undefined ? {} : { t: timeoutSeconds });
        } catch (e) {
          if (statusOf(e) !== 304) throw e;
        }
      }),

    remove: (idOrName, opts) =>
      call('remove', idOrName, async () => {
        try {
          await docker().getContainer(idOrName).remove({ force: opts?.force ?? false, v: true });
        } catch (e) {
          if (statusOf(e) !== 404) throw e;
        }
      }),

    rename: (idOrName, newName) => call('rename', idOrName, async () => { await docker().getContainer(idOrName).rename({ name: newName }); }),

    events: (filter, signal) => ({
      [Symbol.asyncIterator]: () => followEvents(docker, filter, signal, options.kind),
    }),
  };
}

async function* followEvents(docker: () => Dockerode, filter: EventFilter, signal: AbortSignal, kind?: EngineKind): AsyncGenerator<EngineEvent> {
  if (signal.aborted) return;
  const query: { filters: Record<string, string[]>; since?: number; abortSignal: AbortSignal } = {
    filters: { type: ['container'], label: labelFilter(filter.labels) },
    // An abort while the request is under way ends it too (nodeEngines aborts one engine's stream
    // when the other's fails, often before this answers).
    abortSignal: signal,
  };
  if (filter.since !== undefined) query.since = Math.floor(filter.since / 1000);
  let stream: NodeJS.ReadableStream & { destroy?: () => void };
  try {
    stream = await docker().getEvents(query);
  } catch (e) {
    if (signal.aborted) return;
    throw toEngineError(e, 'events', undefined, kind);
  }
  const end = () => stream.destroy?.();
  if (signal.aborted) return end();
  signal.addEventListener('abort', end, { once: true });
  let pending = '';
  try {
    for await (const chunk of stream) {
      pending += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl).trim();
        pending = pending.slice(nl + 1);
        if (line) yield toEvent(JSON.parse(line) as DockerEventMessage);
      }
    }
  } catch (e) {
    if (!signal.aborted) throw toEngineError(e, 'events', undefined, kind);
  } finally {
    signal.removeEventListener('abort', end);
    end();
  }
}
