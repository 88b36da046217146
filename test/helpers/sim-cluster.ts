// A cluster of many simulated nodes driven by the real controllers: `berth controller --listen`
// processes (bin/berth, as operators run them) on loopback, sharing one store (a directory for
// one controller, etcd for several), and the sim-agents rig (sim-agents.ts: real agents over
// in-memory engines) joining them by heartbeats. For test/cluster/sim-agents.ts and
// bench/scale.mjs. Every process started here is stopped by stop().
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { SimAgents, startSimAgents } from './sim-agents';
import { freePort } from './etcd';

export { freePort };

export const berthBin = path.join(__dirname, '..', '..', 'bin', 'berth');

export interface SimClusterOptions {
  nodes: string[];
  /** a directory of its own: authkey, logs, agents' state dirs */
  dir: string;
  /** the live CIB's store URL (etcd://... for several controllers) */
  store: string;
  /** how many controllers (default 1) */
  controllers?: number;
  /** more flags for every controller (e.g. --interval 2) */
  controllerArgs?: string[];
  /** node's own flags for the controllers and the rig (e.g. --cpu-prof) */
  nodeArgs?: string[];
}

export interface SimCluster {
  agents: SimAgents;
  key: string;
  urls: string[];
  /** the controller processes (undefined once killed) */
  controllers: (ChildProcess | undefined)[];
  controllerLog(i: number): string;
  /** what the agents logged */
  agentsLog(): string;
  /** `berth ARGS` against this cluster's store and controllers (env: the client config) */
  berth(args: string[]): { code: number; stdout: string; stderr: string; ms: number };
  /** `berth cluster status --json`, parsed */
  status(): ClusterStatusJson;
  stop(): Promise<void>;
}

export interface ClusterStatusJson {
  leading: boolean;
  term: number | null;
  passes: number;
  lastPassMs: number | null;
  controller: { url: string };
  nodes: { name: string; liveness: string }[];
  cluster: { converged: boolean; at: string } | null;
}

export async function startSimCluster(o: SimClusterOptions): Promise<SimCluster> {
  mkdirSync(o.dir, { recursive: true });
  const env = { ...process.env, BERTH_CONFIG: path.join(o.dir, 'client.json') };
  const key = path.join(o.dir, 'authkey');
  const run = (args: string[]) => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [berthBin, ...args], { encoding: 'utf8', env, maxBuffer: 256 * 2 ** 20 });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
  };
  const g = run(['authkey', 'generate', key]);
  if (g.code !== 0) throw new Error(`authkey generate: ${g.stderr}`);
  const n = o.controllers ?? 1;
  const ports: number[] = [];
  for (let i = 0; i < n; i++) ports.push(await freePort());
  const urls = ports.map((p) => `http://127.0.0.1:${p}`);
  const logs = ports.map((_, i) => path.join(o.dir, `controller-${i}.log`));
  const controllers: (ChildProcess | undefined)[] = ports.map((port, i) => spawn(process.execPath, [...(o.nodeArgs ?? []), berthBin, 'controller', '--listen', `127.0.0.1:${port}`, '--store', o.store, '--authkey', key, ...(o.controllerArgs ?? [])], { env, stdio: ['ignore', openSync(logs[i], 'a'), openSync(logs[i], 'a')] }));
  let agents: SimAgents | undefined;
  const stop = async () => {
    await agents?.stop();
    // SIGTERM when profiling, so that node writes the profile
    for (const c of controllers) c?.kill(o.nodeArgs?.length ? 'SIGTERM' : 'SIGKILL');
  };
  try {
    agents = await startSimAgents({ nodes: o.nodes, controllers: urls, authkey: key, dir: path.join(o.dir, 'nodes'), logFile: path.join(o.dir, 'agents.log'), ...(o.nodeArgs ? { nodeArgs: o.nodeArgs } : {}) });
  } catch (e) {
    await stop();
    throw e;
  }
  const controllerArgs = ['--controller', urls.join(','), '--authkey', key];
  return {
    agents, key, urls, controllers,
    controllerLog: (i) => readFileSync(logs[i], 'utf8'),
    agentsLog: () => readdirSync(o.dir).filter((f) => f.startsWith('agents.log.')).map((f) => readFileSync(path.join(o.dir, f), 'utf8')).join(''),
    berth: run,
    status: () => {
      const r = run(['cluster', 'status', '--json', ...controllerArgs]);
      if (r.code !== 0) throw new Error(`cluster status: ${r.stderr}`);
      return JSON.parse(r.stdout) as ClusterStatusJson;
    },
    stop,
  };
}
