// Runs the documentation's engine or cluster blocks as tap subtests, one per document (for
// test/e2e/docs-live.ts): a directory per document with a private
// live-CIB store and node state dir (so a cluster id of its own), daemons stopped when their block
// ends, other lines retried until they end as the document says, and every container of the
// clusters the document made and every address berth added removed at the end.
import type { Test } from 'tap';
import * as os from 'node:os';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readDocBlocks } from './doc-blocks';
import { berthLoopbackAddresses, clusterIdsIn, docDir, documents, removeClusters, runLiveBlock, StartedDaemon, stopDaemons } from './doc-runners';
import { root } from './cli';
import { ensureDocker } from './docker';

export async function runLiveDocs(kind: 'engine' | 'cluster', parent: Test): Promise<void> {
  ensureDocker();
  let blocks = 0;
  for (const file of documents()) {
    const mine = readDocBlocks(file, fs.readFileSync(path.join(root, file), 'utf8')).blocks.filter((b) => b.environment === kind);
    if (!mine.length) continue;
    await parent.test(`${file}: ${kind} blocks`, { timeout: 15 * 60_000 }, async (t) => {
      // A directory of its own (not t.testdir: tap removes that before teardowns run, and the
      // cleanup reads the clusters the document made from it).
      const own = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-docs-'));
      const d = docDir(t, file, own);
      const before = berthLoopbackAddresses();
      const started: StartedDaemon[] = [];
      // Also when a line throws: stop the daemons, then remove what the document made.
      t.teardown(async () => {
        await stopDaemons(started);
        const errors = removeClusters(await clusterIdsIn(d), before);
        fs.rmSync(own, { recursive: true, force: true });
        if (errors.length) throw new Error(`cleanup after ${file} failed:\n${errors.join('\n')}`);
      });
      for (const b of mine) {
        blocks++;
        const first = started.length;
        const results = await runLiveBlock(d, b, started);
        for (const r of results) {
          t.ok(r.ok, `${file}:${r.line.line}: ${r.line.text}`, { exit: r.code, expectedExit: r.line.exit, shows: r.line.shows, stdout: r.stdout.slice(-3000), stderr: r.stderr.slice(-3000) });
        }
        const mineStarted = started.slice(first);
        for (const s of mineStarted) {
          t.ok(s.process.exitCode === null && s.process.signalCode === null, `${file}:${s.line.line}: the daemon still runs at the end of its block`, { exit: s.process.exitCode, log: s.log().slice(-3000) });
        }
        await stopDaemons(mineStarted);
      }
    });
  }
  parent.ok(blocks > 0, `the documents have ${kind} blocks (${blocks})`);
}

