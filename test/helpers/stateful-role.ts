// The role Pacemaker's ocf:pacemaker:Stateful keeps in its replica's own state file, read from the
// host through the container's main process (/proc/PID/root), as the promoted-count samplers of
// test/cluster/inner-resources.ts and the chaos run do: the truth inside the replica, not berth's.
import { readFileSync } from 'node:fs';

/** Whether `pid` is a process of the container `containerId` (pids are reused). */
export function pidOfContainer(pid: number, containerId: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(containerId.slice(0, 12));
  } catch {
    return false;
  }
}

/** The role in the state file of resource `rsc` ('Promoted', 'Unpromoted'; '' before the agent
 * wrote one); undefined when `pid` is not (or no longer) that container's. */
export function statefulRole(pid: number, containerId: string, rsc: string): string | undefined {
  let role = '';
  try {
    role = readFileSync(`/proc/${pid}/root/run/Stateful-${rsc}.state`, 'utf8').trim();
  } catch {
    // not started yet, or gone
  }
  return pidOfContainer(pid, containerId) ? role : undefined;
}
