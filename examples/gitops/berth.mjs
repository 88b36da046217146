#!/usr/bin/env node
// `berth` with the `gitops` commands routed (examples/gitops/cli.ts), for the example and the
// benchmark until src/cli/main.ts routes them. Bundled from the sources with esbuild on first use
// (and again when a source is newer), beside the dependencies so that they resolve as for bin/berth.
import { build } from 'esbuild';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = join(root, 'node_modules', '.cache', 'berth-gitops', 'cli.cjs');

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

export async function bundlePath() {
  let built = 0;
  try { built = statSync(out).mtimeMs; } catch { /* not built yet */ }
  if (built < Math.max(newest(join(root, 'src')), statSync(join(root, 'examples/gitops/cli.ts')).mtimeMs)) {
    mkdirSync(dirname(out), { recursive: true });
    await build({
      entryPoints: [join(root, 'examples/gitops/cli.ts')], bundle: true, platform: 'node', target: 'node20', format: 'cjs',
      outfile: out, external: ['dockerode', 'yargs', 'yargs/*', 'ajv', 'ajv/*'], logLevel: 'warning', absWorkingDir: root,
    });
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  createRequire(join(root, 'package.json'))(await bundlePath()).cli();
}
