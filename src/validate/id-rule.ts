// pcs's id rule (lib/pacemaker/values.py validate_id): ids are ASCII NCNames. Its own module, with
// no CIB import, so that the schema check (src/cib/schema.ts) words a bad id as the commands do.
import { Problem, problem } from '../errors/registry';

export const ID_FIRST_CHAR_NOT = /[^a-zA-Z_]/;
export const ID_REST_CHARS_NOT = /[^a-zA-Z0-9_.-]/;

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
  // one problem per bad character, not per occurrence: the same message twice says nothing more
  for (const ch of new Set(id.slice(1))) if (ID_REST_CHARS_NOT.test(ch)) out.push(bad(ch, false));
  return out;
}
