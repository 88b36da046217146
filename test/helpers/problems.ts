// The problem codes a promise fails with (['ok'] when it succeeds), for table-driven tests.
import { BerthError, Problem } from '../../src/errors/registry';

export const codesOf = async (p: Promise<unknown>): Promise<string[]> => {
  try {
    await p;
    return ['ok'];
  } catch (e) {
    if (e instanceof BerthError) return e.problems.map((x) => x.code);
    throw e;
  }
};

/** The problems a function throws ([] when it returns): an assert on them runs either way. */
export const problemsThrown = (f: () => unknown): Problem[] => {
  try {
    f();
    return [];
  } catch (e) {
    if (e instanceof BerthError) return e.problems;
    throw e;
  }
};
