// Id rules and id allocation, as pcs does them (lib/pacemaker/values.py validate_id, IdProvider).
import { Cib, ID_FIRST_CHAR_NOT, ID_REST_CHARS_NOT, idIndex } from '../cib/cib';
import { Problem, problem } from '../errors/registry';
import { XmlElement } from '../cib/xml';

export function validateId(id: string, description = 'id'): Problem[] {
  if (!id) return [problem('ID_INVALID', { path: description, value: id, allowed: 'a non-empty XML id', message: `${description} cannot be empty` })];
  const out: Problem[] = [];
  const bad = (ch: string, first: boolean) =>
    problem('ID_INVALID', {
      path: description,
      value: id,
      allowed: 'letters, digits, _ . - (starting with a letter or _)',
      message: `invalid ${description} '${id}', '${ch}' is not a valid ${first ? 'first ' : ''}character for a ${description}`,
    });
  if (ID_FIRST_CHAR_NOT.test(id[0])) out.push(bad(id[0], true));
  for (const ch of id.slice(1)) if (ID_REST_CHARS_NOT.test(ch)) out.push(bad(ch, false));
  return out;
}

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
