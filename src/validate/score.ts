// A score as Pacemaker's schema takes it (score.rng), and how a bad one is worded: one rule for
// constraints created on the command line and for scores read from a CIB file.
import { Problem, problem } from '../errors/registry';

/** Pacemaker's score.rng: xsd:integer or [+-]INFINITY, surrounding whitespace collapsed. */
export const schemaScore = (v: string) => {
  const t = v.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
  return /^[+-]?[0-9]+$/.test(t) || ['INFINITY', '+INFINITY', '-INFINITY'].includes(t);
};

export const invalidScore = (score: string, path = 'score'): Problem =>
  problem('SCORE_INVALID', { path, value: score, allowed: 'an integer, INFINITY or -INFINITY', message: `invalid score '${score}', use integer or INFINITY or -INFINITY` });
