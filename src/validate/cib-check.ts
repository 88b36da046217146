// Everything wrong with a CIB, found at once and said once. The stages (reading, the JSON Schema,
// the rules) all run on what can be read: a value the schema refuses is left to the schema's
// problem (worded as the command line words it), and the rules skip it rather than say it again
// or trip over it. One list, in the order of the document. What `berth cib validate`, the
// controller's pass, GitOps revisions and `cluster cib-push` check a CIB with.
import { Cib, readCib, toJson } from '../cib/cib';
import { schemaProblems } from '../cib/schema';
import { BerthError, Problem, failIfErrors } from '../errors/registry';
import { cibProblems } from './cib-rules';
import { inDocumentOrder } from './cib-paths';

export interface CibCheck {
  /** The tree, when the text could be read as one (even with problems). */
  cib?: Cib;
  problems: Problem[];
}

/** A CIB text, XML or JSON: every problem, never thrown. */
export function checkCibText(text: string, source: string): CibCheck {
  let read: ReturnType<typeof readCib>;
  try {
    read = readCib(text, source);
  } catch (e) {
    if (e instanceof BerthError) return { problems: e.problems };
    throw e;
  }
  return { cib: read.cib, problems: merge(read.cib, read.schema, cibProblems(read.cib)) };
}

/** A CIB tree: the schema on its JSON form and the rules, merged as for a text. */
export function checkCib(cib: Cib): Problem[] {
  return merge(cib, schemaProblems(toJson(cib)), cibProblems(cib));
}

/** The tree of a CIB text when it has no error; else throws every problem at once (warnings are kept for the caller). */
export function loadCheckedCib(text: string, source: string): { cib: Cib; warnings: Problem[] } {
  const r = checkCibText(text, source);
  failIfErrors(r.problems);
  return { cib: r.cib!, warnings: r.problems };
}

/**
 * What the rules say of a place the schema already reported is not said again: of an attribute
 * whose value the schema refused, nothing (the value is not what the rule assumed; only an id's
 * uniqueness is a fact of its own), of an element, the same code.
 */
function merge(cib: Cib, schema: Problem[], rules: Problem[]): Problem[] {
  const said = new Set(schema.map((p) => `${p.code}|${p.path}`));
  const attributes = new Set(schema.map((p) => p.path).filter((path) => path !== undefined && isAttributePath(path)));
  const repeats = (p: Problem) => said.has(`${p.code}|${p.path}`) || (p.path !== undefined && attributes.has(p.path) && p.code !== 'ID_DUPLICATE');
  return inDocumentOrder(cib, [...schema, ...rules.filter((p) => !repeats(p))]);
}

const isAttributePath = (path: string) => /\/@[^/']+$/.test(path);
