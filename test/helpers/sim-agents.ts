// Many nodes on one machine, honestly: one process serves N simulated nodes, each through a real
// `berth agent` (src/agent/daemon.ts: the signed protocol, incarnations, the term guard, scope
// checks, heartbeats to the controllers, its lease and self-fence, its term and lease files on
// disk) on its own loopback port. What is simulated is below the agent: each node's engine and
// addresses are kept in memory (fake-nodes.ts; containers carry berth's labels, and every change
// is an engine event, so passes are woken as Docker's events wake them). Nothing runs in a
// container. berth's node files (hosts files, failure ledgers) are real files in the node's
// state dir (src/controller/node-files.ts), as on a real node.
//
// The rig runs as child processes (startSimAgents bundles this file with esbuild and starts one
// per `perProcess` nodes), so that the agents do not share an event loop with the test or the
// bench, nor all with each other (an order burst to one node delays the heartbeats of every node
// in its process). Each is driven by lines on its stdin, each answered by one JSON line on its
// stdout:
//   counts [all]  -> { running: replicas running on live nodes, copies: the most copies of one
//                      replica over live nodes, perNode: { node: running }, lagMs: the longest
//                      the rig's event loop was held up since the last counts (a rig too busy
//                      to send heartbeats on time makes its agents fence themselves); with
//                      `all`, names: every running replica (once per copy) }
//   lose NODE     -> the node is powered off: its agent stops answering and sending heartbeats,
//                    its containers and berth's addresses are gone -> { lost: NODE }
//   quit          -> every agent stopped -> { quit: true }
import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Agent, startAgent } from '../../src/agent/daemon';
import { nodeFiles } from '../../src/controller/node-files';
import { FakeNode, fakeNode, wipe } from './fake-nodes';

export interface SimAgentsConfig {
  nodes: string[];
  controllers: string[];
  /** the authkey file */
  authkey: string;
  /** each node's state dir (its agent's term and lease files) is DIR/NODE */
  dir: string;
}

export interface SimCounts {
  running: number;
  copies: number;
  perNode: Record<string, number>;
  lagMs: number;
  names?: string[];
}

/** In the rig's process: an agent per node over its in-memory engine. */
async function serveNodes(c: SimAgentsConfig, key: Buffer, log: (line: string) => void) {
  const nodes = new Map<string, { node: FakeNode; agent: Agent }>();
  const lost = new Set<string>();
  for (const name of c.nodes) {
    const stateDir = path.join(c.dir, name);
    mkdirSync(stateDir, { recursive: true });
    const node = fakeNode(name, { stateDir, docker: true });
    const agent = await startAgent({
      node: name, listen: { host: '127.0.0.1', port: 0 }, controllers: c.controllers, key, stateDir,
      engine: node.deps.engine, addresses: node.deps.addresses, files: nodeFiles(stateDir), log: (l) => log(`${name}: ${l}`),
    });
    nodes.set(name, { node, agent });
  }
  return {
    counts: (all: boolean): Omit<SimCounts, 'lagMs'> => {
      const perNode: Record<string, number> = {};
      const copies = new Map<string, number>();
      const names: string[] = [];
      let running = 0;
      for (const [name, { node }] of nodes) {
        if (lost.has(name)) continue;
        let k = 0;
        for (const x of node.containers.values()) {
          if (x.state !== 'running') continue;
          k++;
          const r = `${x.bundle}-${x.replica}`;
          copies.set(r, (copies.get(r) ?? 0) + 1);
          if (all) names.push(r);
        }
        perNode[name] = k;
        running += k;
      }
      return { running, copies: Math.max(0, ...copies.values()), perNode, ...(all ? { names } : {}) };
    },
    lose: (name: string) => {
      const n = nodes.get(name);
      if (!n) throw new Error(`no node ${name}`);
      lost.add(name);
      // A power-off: nothing answers any more, whatever ran is gone.
      n.node.unreachable = true;
      wipe(n.node);
      void n.agent.stop();
    },
    stop: () => Promise.all([...nodes.values()].map((n) => n.agent.stop().catch(() => {}))),
  };
}

/** The rig's process: config as JSON in argv[2], commands on stdin (see the header). */
export async function runSimAgentsProcess(): Promise<void> {
  const { readFileSync } = await import('node:fs');
  const c = JSON.parse(process.argv[2]) as SimAgentsConfig;
  const quiet = /joining empty|heartbeat: granted again|a heartbeat is granted/;
  const rig = await serveNodes(c, readFileSync(c.authkey), (l) => { if (!quiet.test(l)) process.stderr.write(`${new Date().toISOString()} ${l}\n`); });
  const say = (v: unknown) => process.stdout.write(JSON.stringify(v) + '\n');
  const lag = monitorEventLoopDelay({ resolution: 20 });
  lag.enable();
  say({ ready: c.nodes.length });
  for await (const line of createInterface({ input: process.stdin })) {
    const [cmd, arg] = line.trim().split(/\s+/);
    try {
      if (cmd === 'counts') {
        say({ ...rig.counts(arg === 'all'), lagMs: Math.round(lag.max / 1e6) });
        lag.reset();
      }
      else if (cmd === 'lose') { rig.lose(arg); say({ lost: arg }); }
      else if (cmd === 'quit') { await rig.stop(); say({ quit: true }); break; }
      else say({ error: `unknown command: ${line}` });
    } catch (e) {
      say({ error: (e as Error).message });
    }
  }
  process.exit(0);
}

export interface SimAgents {
  processes: ChildProcess[];
  counts(): Promise<SimCounts>;
  lose(node: string): Promise<void>;
  /** stops every agent and the process */
  stop(): Promise<void>;
}

/** One process of the rig (its agents log to `logFile`), once every agent serves. */
async function startSimProcess(c: SimAgentsConfig & { logFile: string; nodeArgs?: string[] }): Promise<SimAgents & { ask(line: string): Promise<Record<string, unknown>> }> {
  const { build } = await import('esbuild');
  const { openSync } = await import('node:fs');
  const out = path.join(c.dir, 'sim-agents.cjs');
  await build({
    stdin: { contents: `require(${JSON.stringify(path.join(__dirname, 'sim-agents.ts'))}).runSimAgentsProcess();`, resolveDir: __dirname, loader: 'js' },
    bundle: true, platform: 'node', format: 'cjs', outfile: out, external: ['tap', 'dockerode', 'esbuild'], logLevel: 'error',
  });
  const { logFile, nodeArgs, ...config } = c;
  const p = spawn(process.execPath, [...(nodeArgs ?? []), out, JSON.stringify(config)], { stdio: ['pipe', 'pipe', openSync(logFile, 'a')] });
  const lines = createInterface({ input: p.stdout! });
  const waiting: ((v: Record<string, unknown>) => void)[] = [];
  let failed: Error | undefined;
  lines.on('line', (l) => waiting.shift()?.(JSON.parse(l) as Record<string, unknown>));
  p.once('exit', (code, signal) => {
    failed = new Error(`the sim-agents process ended (${signal ?? `exit ${code}`}); see ${logFile}`);
    for (const w of waiting.splice(0)) w({ error: failed.message });
  });
  const next = () => new Promise<Record<string, unknown>>((resolve) => (failed ? resolve({ error: failed.message }) : waiting.push(resolve)));
  const ask = async (line: string) => {
    const answer = next();
    p.stdin!.write(line + '\n');
    const a = await answer;
    if (typeof a.error === 'string') throw new Error(a.error);
    return a;
  };
  const ready = await next();
  if (typeof ready.error === 'string') throw new Error(ready.error);
  return {
    processes: [p],
    ask,
    counts: async () => (await ask('counts')) as unknown as SimCounts,
    lose: async (node) => { await ask(`lose ${node}`); },
    stop: async () => {
      if (p.exitCode !== null || p.signalCode !== null) return;
      const gone = new Promise((r) => p.once('exit', r));
      await ask('quit').catch(() => {});
      const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(t);
    },
  };
}

/**
 * Starts the rig: one process per `perProcess` nodes (default 25), each logging to
 * `logFile`.K, and waits until every agent serves. The agents then join the cluster as real
 * agents do: by their heartbeats. `counts()` adds the processes up; a replica running in two of
 * them counts as two copies.
 */
export async function startSimAgents(c: SimAgentsConfig & { logFile: string; nodeArgs?: string[]; perProcess?: number }): Promise<SimAgents> {
  const { perProcess: per = 25, ...rest } = c;
  const groups: Awaited<ReturnType<typeof startSimProcess>>[] = [];
  try {
    for (let i = 0; i * per < c.nodes.length; i++) groups.push(await startSimProcess({ ...rest, nodes: c.nodes.slice(i * per, (i + 1) * per), logFile: `${c.logFile}.${i}` }));
  } catch (e) {
    await Promise.all(groups.map((g) => g.stop()));
    throw e;
  }
  const owner = (node: string) => groups[Math.floor(c.nodes.indexOf(node) / per)];
  return {
    processes: groups.flatMap((g) => g.processes),
    counts: async () => {
      if (groups.length === 1) return groups[0].counts();
      const parts = (await Promise.all(groups.map((g) => g.ask('counts all')))) as unknown as SimCounts[];
      const copies = new Map<string, number>();
      for (const n of parts.flatMap((x) => x.names ?? [])) copies.set(n, (copies.get(n) ?? 0) + 1);
      return {
        running: parts.reduce((k, x) => k + x.running, 0),
        copies: Math.max(0, ...copies.values()),
        perNode: Object.assign({}, ...parts.map((x) => x.perNode)) as Record<string, number>,
        lagMs: Math.max(...parts.map((x) => x.lagMs)),
      };
    },
    lose: async (node) => {
      const g = owner(node);
      if (!g) throw new Error(`no node ${node}`);
      await g.lose(node);
    },
    stop: async () => { await Promise.all(groups.map((g) => g.stop())); },
  };
}
