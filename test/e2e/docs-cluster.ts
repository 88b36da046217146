// The documentation's cluster blocks (<!-- berth-docs: cluster -->): agents and a controller as
// processes on loopback sharing this machine's Docker engine (as examples/cluster/run.sh runs them),
// started by the block's lines that end in `&` and stopped when the block ends. The rest is as for
// engine blocks (test/e2e/docs-engine.ts): private store and state, retries, everything removed.
import { runLiveDocs } from '../helpers/doc-live';

void runLiveDocs('cluster');
