// Apply a plan, mechanically. Each replica's actions run in a fixed order (stop, remove, rename,
// add-address, replace, create, start, remove-address) as one chain; chains of different replicas
// run concurrently. An error ends only its own chain, after undoing what that chain made (nothing
// half-made: a created container that does not start is removed, an address added for it too);
// the other replicas go on.
import type { ContainerEngine } from '../runtime/engine';
import { EngineError } from '../runtime/engine';
import { AddressError, AddressTable, HostAddressSpec } from '../runtime/addresses';
import { Problem, problem } from '../errors/registry';
import type { Action, AddressAction, CreateAction, InnerAction, Plan, ReplaceAction } from '../reconcile/plan';
import { notRemovableProblem } from '../reconcile/plan';
import type { InnerExecutors } from '../inner/executors';
import { innerSteps } from '../reconcile/summary';
import { FAILCOUNT_INFINITY } from '../reconcile/inner';
import type { FailureRecord } from '../reconcile/observed';
import type { NodeFiles } from './node-files';
import { mergedDir } from './observe';

/** The engine, plus renaming (a replace creates the new container beside the old one first). */
export interface ApplyEngine extends ContainerEngine {
  rename?(idOrName: string, newName: string): Promise<void>;
}

export interface ApplyDeps {
  engine: ApplyEngine;
  addresses: AddressTable;
  files: NodeFiles;
  /** the executors in replica containers (bundles that hold a resource) */
  inner?: InnerExecutors;
  /** one line per action, as it completes or fails */
  log?: (line: string) => void;
}

export interface ApplyOptions {
  /** seconds a stopping container gets before SIGKILL (the engine's default: 10) */
  stopTimeoutSeconds?: number;
  /** replica chains run at once */
  concurrency?: number;
  /** the ledger as observed, to merge the plan's updates into */
  ledger: Record<string, FailureRecord>;
  /** the cluster whose ledger it is */
  cluster: string;
}

export interface Outcome {
  action: Action['kind'];
  replica: string;
  ok: boolean;
  error?: string;
}

export interface ApplyReport {
  outcomes: Outcome[];
  problems: Problem[];
}

function problemFor(e: unknown, replica: string): Problem {
  if (e instanceof AddressError) {
    return problem(/already on the host/.test(e.message) ? 'ADDRESS_IN_USE' : 'ENGINE_FAILED', { path: replica, value: e.address, message: `replica ${replica}: ${e.message}` });
  }
  if (e instanceof EngineError) {
    const hint = e.kind === 'conflict' && e.operation === 'create' ? ' (the name is taken by a container that is not a replica of this node: remove or rename it)' : '';
    return problem(e.kind === 'unreachable' ? 'ENGINE_UNREACHABLE' : 'ENGINE_FAILED', { path: replica, value: e.target, message: `replica ${replica}: ${e.message}${hint}` });
  }
  return problem('ENGINE_FAILED', { path: replica, message: `replica ${replica}: ${(e as Error).message ?? String(e)}` });
}

async function pool<T>(items: T[], limit: number, f: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await f(items[next++]);
  });
  await Promise.all(workers);
}

const ORDER: Action['kind'][] = ['stop', 'remove', 'rename', 'add-address', 'replace', 'create', 'start', 'remove-address'];

export async function applyPlan(plan: Plan, deps: ApplyDeps, opts: ApplyOptions): Promise<ApplyReport> {
  const outcomes: Outcome[] = [];
  const problems: Problem[] = [];
  const log = deps.log ?? (() => {});
  const { engine, addresses, files } = deps;
  const stopTimeout = opts.stopTimeoutSeconds;

  // berth's bookkeeping first: a failure is counted even if repairing it fails below.
  if (plan.ledger.length) {
    const ledger = { ...opts.ledger };
    for (const u of plan.ledger) {
      if (u.record) ledger[u.containerId] = { ...u.record, replica: u.replica };
      else delete ledger[u.containerId];
    }
    // Merged into the file as it is now: what `resource cleanup` changed meanwhile is kept.
    await files.writeLedger(opts.cluster, ledger, opts.ledger);
    for (const u of plan.ledger) {
      const before = opts.ledger[u.containerId]?.count ?? 0;
      if (u.record && u.record.count > before) {
        if (u.record.resource) log(`failure counted: ${u.record.resource} on ${u.replica}, ${u.record.op}: fail count ${u.record.count >= FAILCOUNT_INFINITY ? 'INFINITY' : u.record.count}${u.record.last ? ` (${u.record.last})` : ''}`);
        else log(`failure counted: ${u.replica} has failed ${u.record.count} time${u.record.count === 1 ? '' : 's'}`);
      }
    }
  }
  // Hosts files before any container that mounts them.
  for (const w of plan.writeFile) {
    try {
      await files.write(w.path, w.content);
      outcomes.push({ action: 'write-file', replica: w.bundle, ok: true });
      log(`write-file ${w.path}: ${w.reason}`);
    } catch (e) {
      problems.push(problem('FILE_WRITE_FAILED', { path: w.path, message: `cannot write ${w.path}: ${(e as Error).message}` }));
      outcomes.push({ action: 'write-file', replica: w.bundle, ok: false, error: (e as Error).message });
    }
  }

  const chains = new Map<string, Action[]>();
  for (const a of [...plan.inner, ...plan.stop, ...plan.remove, ...plan.rename, ...plan.addAddress, ...plan.replace, ...plan.create, ...plan.start, ...plan.removeAddress]) {
    const key = `${a.bundle}\u0000${a.index}`;
    const c = chains.get(key);
    if (c) c.push(a);
    else chains.set(key, [a]);
  }
  // A resource's stop runs before its container's actions; its other operations after them.
  const rank = (a: Action) => (a.kind === 'inner' ? (a.chain.before ? -1 : ORDER.length) : ORDER.indexOf(a.kind));
  for (const c of chains.values()) c.sort((a, b) => rank(a) - rank(b));

  const createReplica = async (a: CreateAction | ReplaceAction, name: string): Promise<string> => {
    for (const dir of a.desired.sourceDirs) await files.ensureDir(dir);
    return engine.create({ ...a.desired.spec, name });
  };

  /** Create the replica's container (as `name`) and start it; one that cannot start is not left behind. */
  const createAndStart = async (a: Parameters<typeof createReplica>[0], name = a.desired.name): Promise<string> => {
    const id = await createReplica(a, name);
    try {
      await engine.start(id);
    } catch (e) {
      await engine.remove(id, { force: true }).catch(() => {});
      throw e;
    }
    return id;
  };

  const replace = async (a: ReplaceAction): Promise<void> => {
    const id = await replaced(a);
    // A recovery: the failures of the old container are the new one's.
    if (a.carry) {
      const now = await files.readLedger(opts.cluster);
      await files.writeLedger(opts.cluster, { ...now, [id]: { ...a.carry, replica: a.replica } }, now);
    }
  };

  /** Replaces the container; resolves to the new one's id. The plan names the new container
   * (`as`: a name no other container holds, src/reconcile/plan.ts replaceName). */
  const replaced = async (a: ReplaceAction): Promise<string> => {
    if (!engine.rename || a.as === a.containerName) {
      // The new container takes the old one's name, or the engine cannot rename: the old one
      // goes first, and with it the replica's name if it held it (takeName).
      await engine.stop(a.containerId, stopTimeout);
      await engine.remove(a.containerId, { force: true });
      return createAndStart(a, a.takeName ? a.desired.name : a.as);
    }
    // The new container is made first: an image or option the engine refuses leaves the old
    // replica untouched. It takes the replica's name once the old one is gone (takeName).
    const id = await createReplica(a, a.as);
    if (!a.running) {
      // The old container does not run: there is nothing to fall back to, and it goes before the
      // new one starts. A stopped container can still hold what the new one needs: after an
      // engine restart, Docker keeps the published ports of a container that was running then
      // allocated to it until it is removed ("port is already allocated" on the new one).
      const stuck = await engine.remove(a.containerId, { force: true }).then(() => undefined, (e: unknown) => e);
      if (stuck !== undefined) {
        // The engine cannot remove it (a container stuck in removal). If it does not run, the
        // replica runs without it, under the new container's name; a later pass retries the removal.
        const old = await engine.inspect(a.containerId).catch(() => undefined);
        if (!old || old.running) {
          await engine.remove(id, { force: true }).catch(() => {});
          throw stuck;
        }
        problems.push(notRemovableProblem({ replica: a.replica, id: a.containerId, name: a.containerName, state: old.state, error: (stuck as Error).message ?? String(stuck), rootfs: mergedDir(old), attempts: 0, stillHere: `the replica runs as ${a.as} meanwhile` }));
      }
      try {
        await engine.start(id);
      } catch (e) {
        // No container holds the replica's address now: the next pass's plan removes it unless the
        // replica is placed here again (src/reconcile/plan.ts sweepAddresses).
        await engine.remove(id, { force: true }).catch(() => {});
        throw e;
      }
      if (stuck === undefined && a.takeName) await engine.rename(id, a.desired.name);
      return id;
    }
    try {
      await engine.stop(a.containerId, stopTimeout);
      try {
        await engine.start(id);
      } catch (e) {
        await engine.start(a.containerId).catch(() => {});
        throw e;
      }
    } catch (e) {
      await engine.remove(id, { force: true }).catch(() => {});
      throw e;
    }
    await engine.remove(a.containerId, { force: true });
    if (a.takeName) await engine.rename(id, a.desired.name);
    return id;
  };

  /** A replica's resource operations, through the node's executors; fencing its guest is
   * recovering its container. A stop before the container stops is best effort: the container
   * stops anyway (and with it everything in it). */
  const runInner = async (a: InnerAction) => {
    const steps = a.chain.steps;
    if (steps.some((s) => s.kind === 'fence')) {
      await engine.stop(a.chain.container, stopTimeout);
      await engine.start(a.chain.container);
      return;
    }
    if (!deps.inner) throw new Error('this node has no executors for resources inside bundles');
    const r = await deps.inner.act(a.replica, a.chain.container, steps);
    if (!r.ok && !a.chain.before) throw new Error(`${innerSteps(steps)}: ${r.error ?? 'failed'}${r.done.length ? ` (done: ${r.done.join(', ')})` : ''}`);
  };

  const runChain = async (chain: Action[]) => {
    const added: HostAddressSpec[] = [];
    for (const a of chain) {
      const replica = 'replica' in a ? a.replica : a.bundle;
      try {
        switch (a.kind) {
          case 'stop':
            await engine.stop(a.containerId, stopTimeout);
            break;
          case 'remove':
            // Gracefully first: scale-in lets the replica finish what it serves.
            if (!a.stuck) await engine.stop(a.containerId, stopTimeout);
            await engine.remove(a.containerId, { force: true });
            break;
          case 'rename':
            if (!engine.rename) throw new Error("this node's engine cannot rename containers");
            await engine.rename(a.containerId, a.to);
            break;
          case 'add-address':
            await addresses.add(a.address);
            added.push(a.address);
            break;
          case 'replace':
            await replace(a);
            break;
          case 'create': {
            await createAndStart(a);
            break;
          }
          case 'start':
            await engine.start(a.containerId);
            break;
          case 'remove-address':
            await addresses.remove((a as AddressAction).address);
            break;
          case 'write-file':
            break;
          case 'inner':
            await runInner(a);
            break;
        }
        outcomes.push({ action: a.kind, replica, ok: true });
        log(`${a.kind === 'inner' ? 'resource' : a.kind} ${replica}${a.kind === 'add-address' || a.kind === 'remove-address' ? ` ${a.address.ip}/${a.address.prefix} on ${a.address.interface}` : a.kind === 'inner' ? ` ${innerSteps(a.chain.steps)}` : ''}: ${a.reason}`);
      } catch (e) {
        const p = problemFor(e, replica);
        problems.push(p);
        outcomes.push({ action: a.kind, replica, ok: false, error: p.message });
        log(`FAILED ${a.kind === 'inner' ? 'resource' : a.kind} ${replica}: ${p.message}`);
        // Undo the addresses this chain added: nothing is left half-made.
        for (const addr of added) await addresses.remove(addr).catch(() => {});
        return;
      }
    }
  };

  await pool([...chains.values()], opts.concurrency ?? 64, runChain);
  return { outcomes, problems };
}
