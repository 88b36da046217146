// What a pass sees on the node, as plain data: berth's containers (one engine listing), what
// inspects told about some of them, the host's IPv4 addresses, berth's failure ledger and the
// hosts files it keeps. The shell (src/controller/observe.ts) fills it; the planner only reads it.
import type { EngineKind, ObservedContainer } from '../runtime/engine';

export type { ObservedContainer };
import type { InnerObserved } from './inner';

/** One IPv4 address on a host interface (`ip -j addr`). */
export interface HostAddress {
  ip: string;
  prefix: number;
  interface: string;
  /** the address label (`lo`, `lo:berth`, ...); berth labels what it adds `<interface>:berth` */
  label: string;
}

/** What only an inspect tells about a container's runs. Times in ms since the epoch. */
export interface ContainerRun {
  /** restarts done by the engine's restart policy since the container was created */
  restartCount: number;
  exitCode: number;
  startedAt?: number;
  finishedAt?: number;
  oomKilled?: boolean;
  /** the engine's State.Running (a listing's `removing` or `dead` never runs, Docker says so first) */
  running?: boolean;
  /** the engine's error about the container (State.Error): why its removal failed, for one */
  error?: string;
  /** its root filesystem on the host (overlay2's merged directory), told for a container stuck in
   * removal: what an operator looks for in /proc/PID/mountinfo */
  rootfs?: string;
}

/**
 * berth's memory of a container's failures (Pacemaker keeps fail-counts in the CIB status; berth
 * keeps them per node). The engine counts its own restarts (`restartCount`); berth adds the
 * failures it repaired itself (`extra`) and forgets both when failure-timeout passes (`baseline`).
 */
export interface FailureRecord {
  /** engine restarts already forgotten (failure-timeout) */
  baseline: number;
  /** failures berth saw and repaired itself (an exited container it started again) */
  extra: number;
  /** the failure count as last computed, used when the container was not inspected */
  count: number;
  /** ms since the epoch */
  lastFailureAt?: number;
  /** berth stopped the container itself (target-role, migration-threshold): starting it again is
   * not the repair of a failure */
  stoppedByBerth?: boolean;
  /** the replica the record is about (`web-0`), so that `resource cleanup web` finds it without
   * asking the engine; records written before berth kept it have none */
  replica?: string;
  /** failures of the resource inside (key `inner:<container>:<op key>`): the resource, the op
   * key (monitor_30000), its on-fail when it failed, the last failure in words, and the last
   * failure counted (`<connection>:<seq>`, so that none is counted twice) */
  resource?: string;
  op?: string;
  onFail?: string;
  last?: string;
  seen?: string;
  /** `resource cleanup` cleared this op's failures up to this `<connection>:<seq>` */
  cleaned?: string;
  /** a node attribute's value (key `attr:<container>:<name>`): the promotion score an agent set */
  value?: string;
  /** removals of a container stuck in removal (src/reconcile/plan.ts removeStuck): how many were
   * planned, and when the last one was (ms since the epoch); the next one backs off */
  removal?: { attempts: number; lastAt: number };
}

export interface ObservedState {
  /** this cluster's containers labelled for this node */
  containers: ObservedContainer[];
  /** berth containers of another cluster, or of none, on this node's engine: never touched */
  foreign: ObservedContainer[];
  /** inspects, by container id: the containers a listing alone cannot judge */
  runs: Record<string, ContainerRun>;
  /** every IPv4 address on the host */
  addresses: HostAddress[];
  /** by container id */
  ledger: Record<string, FailureRecord>;
  /** content of the files berth keeps (hosts files), by path; null: missing */
  files: Record<string, string | null>;
  /** the instances of the resources inside, by replica, as the node's executors know them */
  inner?: Record<string, InnerObserved>;
  /** the engines the node has (Docker, and podman when present); absent: not known */
  engines?: EngineKind[];
}
