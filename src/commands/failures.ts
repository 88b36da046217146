// resource failcount show / resource cleanup: pcs 0.11.5's words and output over berth's failure
// ledgers (one per node: src/reconcile/failures.ts). Pacemaker keeps fail counts per resource,
// node, operation and interval in the CIB's status; berth counts a replica's container failures
// per node. Pure: the CIB and the ledgers come in, text and the cleaned ledgers go out.
import type { Cib } from '../cib/cib';
import { BerthError, problem, usage } from '../errors/registry';
import type { FailureRecord } from '../reconcile/observed';
import { CleanupFilter, cleanedLedger, ledgerReplica } from '../reconcile/failures';
import { FAILCOUNT_INFINITY, parseInnerLedgerKey } from '../reconcile/inner';
import { findResource } from './resource';

export interface FailuresRequest {
  /** a bundle, the resource inside one, or a replica (`web-0`) */
  resource?: string;
  node?: string;
}

/** pcs's words: `[RSC] [node=NODE]` (pcs also takes operation= and interval=, which berth has not:
 * it counts container failures, not failures of agent operations). `--node NODE` is the same as node=. */
export function parseFailureWords(args: string[], nodeFlag: string | undefined): FailuresRequest {
  const rest = [...args];
  const resource = rest.length && !rest[0].includes('=') ? rest.shift() : undefined;
  let node = nodeFlag;
  for (const a of rest) {
    const i = a.indexOf('=');
    if (i < 0) throw usage(`unexpected argument '${a}': [RESOURCE] [node=NODE]`);
    const [k, v] = [a.slice(0, i), a.slice(i + 1)];
    if (k === 'node') {
      if (node !== undefined && node !== v) throw new BerthError([problem('OPTION_CONFLICT', { path: 'node', value: v, message: `two different nodes given: '${node}' and '${v}'` })]);
      node = v;
    } else if (k === 'operation' || k === 'interval') {
      throw new BerthError([problem('OPTION_UNKNOWN', { path: k, value: v, allowed: 'node', message: `'${k}' is not supported yet: berth shows and cleans up all operations of a resource together (--full lists them per operation)` })]);
    } else {
      throw new BerthError([problem('OPTION_UNKNOWN', { path: k, value: v, allowed: 'node', message: `Unknown option '${k}'` })]);
    }
  }
  return { ...(resource !== undefined ? { resource } : {}), ...(node !== undefined ? { node } : {}) };
}

/** Which replicas a resource id names: a bundle's, or one replica. Missing: undefined. */
export interface ReplicaFilter { bundle: string; index?: number; /** the resource inside was named: only its failures */ inner?: string }

export function replicaFilter(cib: Cib, resource: string): ReplicaFilter | undefined {
  const found = findResource(cib, resource);
  if (found?.el.tag === 'bundle') return { bundle: resource };
  if (found?.parent.tag === 'bundle') return { bundle: found.parent.attrs.id, inner: resource };
  const m = /^(.+)-(\d+)$/.exec(resource);
  if (!found && m && findResource(cib, m[1])?.el.tag === 'bundle') return { bundle: m[1], index: Number(m[2]) };
  return undefined;
}

/** A resource id cleanup can act on: berth's failures are a bundle's replicas'. */
export function requireReplicaFilter(cib: Cib, resource: string): ReplicaFilter {
  const f = replicaFilter(cib, resource);
  if (f) return f;
  const found = findResource(cib, resource);
  if (found) throw new BerthError([problem('ID_WRONG_KIND', { path: 'resource', value: resource, allowed: 'a bundle, the resource inside one, or a replica (BUNDLE-N)', message: `'${resource}' is a ${found.el.tag}, not a bundle: berth counts failures of bundles' replicas only` })]);
  throw new BerthError([problem('ID_NOT_FOUND', { path: 'resource', value: resource, message: `Resource '${resource}' not found` })]);
}

export interface NodeLedger { node: string; ledger: Record<string, FailureRecord> }

export interface FailCount {
  /** the replica (`web-0`), as `berth status` names it; for a resource inside, its id */
  resource: string;
  /** the node; for a resource inside, its guest node (the replica), as Pacemaker counts it */
  node: string;
  count: number;
  lastFailureAt?: number;
  /** a resource inside: the operation and interval (`monitor_30000`) */
  op?: string;
}

const matches = (f: ReplicaFilter | undefined, r: { bundle: string; index: number } | undefined) =>
  !f || (!!r && r.bundle === f.bundle && (f.index === undefined || f.index === r.index));

/** The fail counts of the ledgers, as pcs lists them (every count above 0). */
export function failCounts(ledgers: readonly NodeLedger[], filter: ReplicaFilter | undefined, node: string | undefined): FailCount[] {
  const out: FailCount[] = [];
  for (const l of ledgers) {
    if (node !== undefined && l.node !== node) continue;
    for (const [key, rec] of Object.entries(l.ledger)) {
      const r = ledgerReplica(key, rec);
      if (rec.count <= 0 || !matches(filter, r)) continue;
      const inner = parseInnerLedgerKey(key);
      const at = rec.lastFailureAt !== undefined ? { lastFailureAt: rec.lastFailureAt } : {};
      if (inner) out.push({ resource: rec.resource ?? key, node: rec.replica ?? l.node, count: rec.count, op: inner.op, ...at });
      else if (!filter?.inner) out.push({ resource: r ? `${r.bundle}-${r.index}` : key, node: l.node, count: rec.count, ...at });
    }
  }
  return out;
}

/** pcs's headline: `Failcounts for resource 'R' on node 'N'` / `No failcounts ...`. */
function headline(empty: boolean, resource: string | undefined, node: string | undefined): string {
  return [empty ? 'No failcounts' : 'Failcounts', ...(resource !== undefined ? [`for resource '${resource}'`] : []), ...(node !== undefined ? [`on node '${node}'`] : [])].join(' ');
}

/**
 * pcs 0.11.5's `resource failcount show` text: per resource (sorted) a headline, then per node
 * (sorted) `  NODE: COUNT`. With --full pcs adds a line per operation and interval; berth has none
 * and says the count and when the last failure was.
 */
export function failcountText(counts: readonly FailCount[], req: FailuresRequest, full: boolean): string {
  if (!counts.length) return headline(true, req.resource, req.node) + '\n';
  const lines: string[] = [];
  for (const resource of [...new Set(counts.map((c) => c.resource))].sort()) {
    lines.push(headline(false, resource, req.node));
    const mine = counts.filter((c) => c.resource === resource);
    for (const node of [...new Set(mine.map((c) => c.node))].sort()) {
      const here = mine.filter((c) => c.node === node);
      const count = here.reduce((k, c) => k + c.count, 0);
      if (!full) { lines.push(`  ${node}: ${Math.min(count, FAILCOUNT_INFINITY) >= FAILCOUNT_INFINITY ? 'INFINITY' : count}`); continue; }
      lines.push(`  ${node}:`);
      // pcs: one line per operation and interval; a container's failures are berth's own line.
      for (const c of here.filter((x) => x.op).sort((a, b) => (a.op! < b.op! ? -1 : 1))) {
        const m = /^(.*)_(\d+)$/.exec(c.op!);
        lines.push(`    ${m ? `${m[1]} ${m[2]}ms` : c.op}: ${c.count >= FAILCOUNT_INFINITY ? 'INFINITY' : c.count}`);
      }
      const containers = here.filter((x) => !x.op);
      if (containers.length) {
        const last = Math.max(...containers.map((c) => c.lastFailureAt ?? 0));
        lines.push(`    container failures: ${containers.reduce((k, c) => k + c.count, 0)}${last ? ` (last ${new Date(last).toISOString()})` : ''}`);
      }
    }
  }
  return lines.join('\n') + '\n';
}

/** One node's ledger after `resource cleanup`, and the lines crm_resource prints for it. */
export function cleanupLedger(l: NodeLedger, filter: ReplicaFilter | undefined): { ledger: Record<string, FailureRecord>; lines: string[]; changed: boolean } {
  const byBundle: CleanupFilter = filter ? { bundle: filter.bundle } : {};
  const onlyIndex = filter?.index;
  const all = cleanedLedger(l.ledger, byBundle);
  // Naming the resource inside cleans up its failures only (the containers' are the bundle's).
  const cleared = all.cleared.filter((c) => (onlyIndex === undefined || c.index === onlyIndex) && (!filter?.inner || parseInnerLedgerKey(c.key) !== undefined));
  const ledger = { ...l.ledger };
  for (const c of cleared) {
    if (all.ledger[c.key] === undefined) delete ledger[c.key];
    else ledger[c.key] = all.ledger[c.key];
  }
  // crm_resource's words: a replica on its node; a resource inside on its guest node.
  const names = [...new Set(cleared.map((c) => {
    const rec = l.ledger[c.key];
    if (parseInnerLedgerKey(c.key) && rec?.resource) return `${rec.resource} on ${rec.replica ?? l.node}`;
    return `${c.bundle !== undefined ? `${c.bundle}-${c.index}` : c.key} on ${l.node}`;
  }))].sort();
  return { ledger, lines: names.map((n) => `Cleaned up ${n}`), changed: cleared.length > 0 };
}
