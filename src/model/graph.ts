// Reachability in a small directed graph given as adjacency lists: what colocation and order
// loops are found with. Pure.

/** Whether `to` can be reached from `from` by following `next` (depth-first, each node once). */
export function reaches(next: ReadonlyMap<string, readonly string[]>, from: string, to: string): boolean {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length) {
    const x = stack.pop()!;
    if (x === to) return true;
    if (seen.has(x)) continue;
    seen.add(x);
    stack.push(...(next.get(x) ?? []));
  }
  return false;
}
