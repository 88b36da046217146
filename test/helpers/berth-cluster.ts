// berth on a namespaced test cluster (cluster.ts): an authkey, one `berth controller --listen` in
// the root namespace on the bridge, and a `berth agent` per node inside the node (so that a
// power-off kills it). The controller is killed at the test's teardown.
import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Test } from 'tap';
import { berthBin, berthSync } from './cli';
import type { TestCluster } from './cluster';

export const CONTROLLER_PORT = 7441;
export const AGENT_PORT = 7440;

export interface BerthOnCluster {
  key: string;
  controller: ChildProcess;
  /** everything the controller printed so far */
  controllerLog(): string;
  /** starts (or starts again, after a power-on) the node's agent */
  startAgent(node: string): ChildProcess;
  /** the node's agent log, every start of it */
  agentLog(node: string): string;
}

export function startBerth(t: Test, c: TestCluster, o: { dir: string; cib: string; controllerArgs?: string[]; agentEnv?: Record<string, string> }): BerthOnCluster {
  const key = path.join(o.dir, 'authkey');
  t.equal(berthSync(['authkey', 'generate', key]).code, 0, 'authkey generated');
  const log: string[] = [];
  // The client config the daemons write stays in the test's directories, not /etc/berth.
  const controller = spawn(process.execPath, [berthBin, 'controller', '--listen', `${c.bridgeIp}:${CONTROLLER_PORT}`, '--cib', o.cib, '--store', path.join(o.dir, 'store'), '--authkey', key, ...(o.controllerArgs ?? [])], { env: { ...process.env, BERTH_CONFIG: path.join(o.dir, 'client.json') } });
  controller.stdout.on('data', (d) => log.push(String(d)));
  controller.stderr.on('data', (d) => log.push(String(d)));
  t.teardown(() => { controller.kill('SIGKILL'); });
  return {
    key,
    controller,
    controllerLog: () => log.join(''),
    startAgent: (n) => c.spawnOnNode(n, process.execPath, [berthBin, 'agent', '--node', n, '--listen', `${c.node(n).ip}:${AGENT_PORT}`, '--controller', `http://${c.bridgeIp}:${CONTROLLER_PORT}`, '--authkey', key, '--state-dir', path.join(c.node(n).dir, 'berth')], { log: 'agent.log', env: { BERTH_CONFIG: path.join(c.node(n).dir, 'client.json'), ...(o.agentEnv ?? {}) } }),
    agentLog: (n) => readFileSync(path.join(c.node(n).dir, 'agent.log'), 'utf8'),
  };
}
