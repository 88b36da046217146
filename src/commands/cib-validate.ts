// `berth cib validate`: every problem of a CIB (src/validate/cib-check.ts) and, when nothing stops
// it from running, what berth keeps and writes back but does not act on (the model's NOT_HONOURED
// warnings: resources that are no bundle, tickets, rule sets, ACLs, ...), so that taking a
// Pacemaker cluster's CIB over shows both before anything runs. A read: nothing is changed.
import { Problem, hasErrors } from '../errors/registry';
import { readModel } from '../model/model';
import { checkCibText } from '../validate/cib-check';
import { inDocumentOrder } from '../validate/cib-paths';

export function validateCibText(text: string, source: string): Problem[] {
  const checked = checkCibText(text, source);
  if (!checked.cib || hasErrors(checked.problems)) return checked.problems;
  // files named in docker options (--env-file) are the nodes', not this command's: not read here
  const notActedOn = readModel(checked.cib, { readFile: () => '' }).problems.filter((p) => p.code === 'NOT_HONOURED');
  return inDocumentOrder(checked.cib, [...checked.problems, ...notActedOn]);
}
