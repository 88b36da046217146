// `resource failcount show` and `resource cleanup` over the failure ledgers of the nodes, for one
// node or a hundred alike: each node's ledger is read (and written back) through its NodeFiles —
// this node's files, or another node's through its agent. The words, the counts and the cleaned
// ledger are src/commands/failures.ts (pure); this module only reaches the ledgers. A write names
// the ledger it was computed from, so a controller writing meanwhile keeps the cleanup (mergeLedger).
import type { Cib } from '../cib/cib';
import { BerthError, Problem, problem } from '../errors/registry';
import { FailCount, FailuresRequest, NodeLedger, ReplicaFilter, cleanupLedger, failCounts, replicaFilter, requireReplicaFilter } from '../commands/failures';
import { readNodes } from '../model/nodes';
import type { NodeFiles } from './node-files';

/** A node whose ledger may be read: its files when it can be reached, else why not. */
export interface LedgerNode {
  name: string;
  files?: Pick<NodeFiles, 'readLedger' | 'writeLedger'>;
  /** why its files cannot be reached (lost, not heard from, ...) */
  why?: string;
}

/** A node whose ledger could not be read or written, and why. */
export interface UnreachedNode { node: string; message: string }

export interface FailcountsAnswer {
  failcounts: FailCount[];
  unreachable: UnreachedNode[];
}

export interface CleanupAnswer {
  /** crm_resource's lines: `Cleaned up web-0 on n1`, node by node */
  lines: string[];
  /** the replicas cleaned, by node, and crm_resource's lines for them */
  cleaned: { node: string; replicas: string[]; lines: string[] }[];
  unreachable: UnreachedNode[];
}

const DEFAULT_TIMEOUT_MS = 5000;

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms); })]).finally(() => clearTimeout(timer));
}

/** The nodes a request is about: the named one (it must be one of `nodes`), or all. */
function chosen(nodes: readonly LedgerNode[], node: string | undefined): LedgerNode[] {
  return node === undefined ? [...nodes] : nodes.filter((n) => n.name === node);
}

/** node= must name a node of the CIB (or the node the command runs on): a cleanup cannot reach another. */
export function requireKnownNode(nodes: readonly LedgerNode[], node: string | undefined): void {
  if (node === undefined || nodes.some((n) => n.name === node)) return;
  const names = nodes.map((n) => n.name);
  throw new BerthError([problem('ID_NOT_FOUND', { path: 'node', value: node, allowed: names.join(', ') || 'no nodes', message: `node '${node}' is not a node of the cluster (${names.join(', ') || 'no nodes in the CIB'})` })]);
}

/** The cluster's nodes as the CIB names them, in its order (what a cluster controller reaches). */
export const cibNodeNames = (cib: Cib): string[] => readNodes(cib).map((n) => n.name);

/** Every chosen node's ledger, at once; those that cannot be read are listed apart. */
async function readLedgers(nodes: readonly LedgerNode[], cluster: string, timeoutMs: number): Promise<{ ledgers: NodeLedger[]; unreachable: UnreachedNode[] }> {
  const ledgers: NodeLedger[] = [];
  const unreachable: UnreachedNode[] = [];
  await Promise.all(nodes.map(async (n) => {
    if (!n.files) { unreachable.push({ node: n.name, message: n.why ?? 'cannot be reached' }); return; }
    try {
      ledgers.push({ node: n.name, ledger: await withDeadline(n.files.readLedger(cluster), timeoutMs) });
    } catch (e) {
      unreachable.push({ node: n.name, message: `its ledger cannot be read: ${(e as Error).message}` });
    }
  }));
  const byName = (a: { node: string }, b: { node: string }) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0);
  return { ledgers: ledgers.sort(byName), unreachable: unreachable.sort(byName) };
}

/** `resource failcount show`: the counts of every chosen node's ledger. A resource that is no
 * bundle's has no failures berth counts: none, as pcs says "No failcounts". */
export async function readFailcounts(cib: Cib, cluster: string, nodes: readonly LedgerNode[], req: FailuresRequest, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<FailcountsAnswer> {
  const filter = req.resource !== undefined ? replicaFilter(cib, req.resource) : undefined;
  if (req.resource !== undefined && !filter) return { failcounts: [], unreachable: [] };
  const { ledgers, unreachable } = await readLedgers(chosen(nodes, req.node), cluster, timeoutMs);
  return { failcounts: failCounts(ledgers, filter, req.node), unreachable };
}

/** `resource cleanup`: the failures of the chosen replicas forgotten in every chosen node's ledger.
 * Bad input (an unknown resource, a resource berth counts nothing for) is refused before any
 * ledger is read. */
export async function cleanupFailures(cib: Cib, cluster: string, nodes: readonly LedgerNode[], req: FailuresRequest, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<CleanupAnswer> {
  const filter: ReplicaFilter | undefined = req.resource !== undefined ? requireReplicaFilter(cib, req.resource) : undefined;
  const { ledgers, unreachable } = await readLedgers(chosen(nodes, req.node), cluster, timeoutMs);
  const byNode = new Map(nodes.map((n) => [n.name, n]));
  const cleaned: CleanupAnswer['cleaned'] = [];
  const lines: string[] = [];
  await Promise.all(ledgers.map(async (l) => {
    const r = cleanupLedger(l, filter);
    if (!r.changed) return;
    try {
      await withDeadline(byNode.get(l.node)!.files!.writeLedger(cluster, r.ledger, l.ledger), timeoutMs);
      cleaned.push({ node: l.node, replicas: r.lines.map((x) => x.replace(/^Cleaned up (\S+) on .*$/, '$1')), lines: r.lines });
    } catch (e) {
      unreachable.push({ node: l.node, message: `its ledger cannot be written: ${(e as Error).message}` });
    }
  }));
  cleaned.sort((a, b) => (a.node < b.node ? -1 : 1));
  unreachable.sort((a, b) => (a.node < b.node ? -1 : 1));
  for (const c of cleaned) lines.push(...c.lines);
  return { lines, cleaned, unreachable };
}

/** The problem a command reports for nodes it could not reach (after saying what it did elsewhere). */
export function unreachedProblem(unreachable: readonly UnreachedNode[], verb: string): Problem {
  return problem('AGENT_UNREACHABLE', {
    path: 'node', value: unreachable.map((u) => u.node).join(', '),
    message: `${verb} did not reach ${unreachable.map((u) => `${u.node} (${u.message})`).join('; ')}`,
  });
}
