// What a controller logs after each pass, the same for one node and for a cluster: each fact once,
// when it changes (an invalid CIB, problems, held replicas, unreachable nodes, foreign containers,
// placement moves, what waits for another bundle), never again on every pass.
import { problemsKey } from '../errors/registry';
import type { PassResult } from './pass';

export class PassReporter {
  private reported = { cib: '', problems: '', held: '', unreachable: '', foreign: '', order: '' };
  private lastPlacements = new Map<string, string>();

  constructor(private readonly log: (line: string) => void, private readonly where: string) {}

  report(r: PassResult): void {
    const log = this.log;
    if (r.placements) {
      const moves: string[] = [];
      for (const [replica, node] of r.placements) {
        const was = this.lastPlacements.get(replica);
        if (was !== undefined && was !== node) moves.push(`${replica} ${was} -> ${node}`);
      }
      if (moves.length) log(`placement changed: ${moves.join(', ')}`);
      this.lastPlacements = r.placements;
    }
    const errors = r.cibProblems.filter((p) => p.severity === 'error');
    const cibKey = problemsKey(errors);
    if (cibKey !== this.reported.cib) {
      if (errors.length) {
        log(`the CIB from ${this.where} is invalid and is not applied${r.usedLastGood ? '; the last good CIB stays in force' : ''}:`);
        for (const p of errors) log(`  [${p.code}] ${p.message}`);
      } else log('the CIB is valid again');
    }
    const problems = [...r.problems, ...r.nodes.flatMap((n) => [...n.plan.problems, ...(n.applied?.problems ?? [])])];
    const pKey = problemsKey(problems);
    if (pKey !== this.reported.problems) for (const p of problems) log(`problem [${p.code}]: ${p.message}`);
    const heldKey = r.held.map((h) => h.message).join('|');
    if (heldKey !== this.reported.held) for (const h of r.held) log(h.message);
    const uKey = r.unreachable.map((u) => `${u.node}:${u.message}`).join('|');
    if (uKey !== this.reported.unreachable) for (const u of r.unreachable) log(`node ${u.node} cannot be observed: ${u.message}`);
    const foreign = r.nodes.flatMap((n) => n.plan.foreign.map((f) => `${n.node}: [${f.code}] ${f.message}`));
    const fKey = foreign.join('|');
    if (fKey !== this.reported.foreign) for (const f of foreign) log(f);
    // What waits for another bundle (order constraints): said when it changes.
    const order = r.nodes.flatMap((n) => n.plan.waiting.filter((w) => w.order).map((w) => `${r.nodes.length > 1 ? `${n.node}: ` : ''}waiting: ${w.message}`));
    const oKey = order.join('|');
    if (oKey !== this.reported.order) for (const o of order) log(o);
    this.reported = { cib: cibKey, problems: pKey, held: heldKey, unreachable: uKey, foreign: fKey, order: oKey };
  }
}
