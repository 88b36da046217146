// The documentation's engine and cluster blocks (<!-- berth-docs: engine --> / cluster in README.md
// and docs/*.md) run on the real Docker engine, as a reader runs them: in a directory per document
// with a private live-CIB store and node state dir (so a cluster id of their own), the test image
// of scripts/setup-docker.sh, loopback addresses only. Engine blocks first, then cluster blocks
// (agents and a controller as processes on loopback), one after the other in this one file: the
// documents name their bundles as a reader would (`web`), and a container name is the engine's,
// so two of them must never run at once. Lines ending in `&` are daemons, stopped when the block
// ends; other lines are retried until they end as the document says (60 s). Every container of
// the clusters a document made and every address berth added are removed at the end, even when a
// line fails. test/docs/command-lines.ts checks the annotations and runs the file blocks.
import t from 'tap';
import { runLiveDocs } from '../helpers/doc-live';

t.test('engine blocks', async (t) => runLiveDocs('engine', t));
t.test('cluster blocks', async (t) => runLiveDocs('cluster', t));
