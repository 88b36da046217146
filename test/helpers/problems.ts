// The problem codes a promise fails with (['ok'] when it succeeds), for table-driven tests.
import { BerthError } from '../../src/errors/registry';

export const codesOf = async (p: Promise<unknown>): Promise<string[]> => {
  try {
    await p;
    return ['ok'];
  } catch (e) {
    if (e instanceof BerthError) return e.problems.map((x) => x.code);
    throw e;
  }
};
