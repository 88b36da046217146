// The documentation's engine blocks (<!-- berth-docs: engine --> in README.md and docs/*.md) run on
// the real Docker engine, as a reader runs them: in a directory per document with a private
// live-CIB store and node state dir (so a cluster id of their own), the test image of
// scripts/setup-docker.sh, loopback addresses only. Lines ending in `&` are daemons, stopped when
// the block ends; other lines are retried until they end as the document says (60 s). Every
// container of the clusters the document made and every address berth added are removed at the
// end, even when a line fails. test/docs/command-lines.ts checks the annotations and the file blocks.
import { runLiveDocs } from '../helpers/doc-live';

void runLiveDocs('engine');
