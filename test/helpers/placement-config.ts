// What placement takes from a CIB, as the pass gets it: the model read once, then its placement
// part (and the model's warnings about what is not acted on).
import type { Cib } from '../../src/cib/cib';
import { readModel } from '../../src/model/model';
import { placementConfig } from '../../src/scheduler/placement';

export function readPlacementConfig(cib: Cib) {
  const model = readModel(cib, { readFile: () => '', lookupEnv: () => undefined });
  return { ...placementConfig(model), problems: model.problems };
}
