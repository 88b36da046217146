// Id rules and id allocation, as pcs does them (lib/pacemaker/values.py validate_id, IdProvider).
import { Cib, idIndex } from '../cib/cib';
import { Problem, problem } from '../errors/registry';
import { XmlElement } from '../cib/xml';
import { validateId } from './id-rule';

export { validateId } from './id-rule';

/** Books ids that a command will create and generates free ones, so one command never reuses an id. */
export class IdProvider {
  private readonly existing: Map<string, XmlElement>;
  private readonly booked = new Set<string>();
  constructor(cib: Cib) {
    this.existing = idIndex(cib);
  }
  has(id: string): boolean {
    return this.booked.has(id) || this.existing.has(id);
  }
  /** pcs's find_unique_id over the CIB and the booked ids. */
  allocate(proposed: string): string {
    let candidate = proposed;
    for (let i = 1; this.has(candidate); i++) candidate = `${proposed}-${i}`;
    this.booked.add(candidate);
    return candidate;
  }
  book(id: string): Problem[] {
    if (this.has(id)) return [idExists(id)];
    this.booked.add(id);
    return [];
  }
  /** validate_id, then book when valid (pcs's ValueId with an id provider). */
  validateAndBook(id: string, description: string): Problem[] {
    const p = validateId(id, description);
    return p.length ? p : this.book(id);
  }
  /** Ids of elements the command removed are free again (pcs checks the live tree). */
  release(removed: XmlElement): void {
    const stack = [removed];
    while (stack.length) {
      const e = stack.pop()!;
      if (e.attrs.id !== undefined && this.existing.get(e.attrs.id)?.tag === e.tag) this.existing.delete(e.attrs.id);
      for (const c of e.children) if ('tag' in c) stack.push(c);
    }
  }
  lookup(id: string): XmlElement | undefined {
    return this.existing.get(id);
  }
}

export const idExists = (id: string) => problem('ID_DUPLICATE', { path: 'id', value: id, message: `'${id}' already exists` });
