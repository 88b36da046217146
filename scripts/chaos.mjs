// The chaos run's entry (issue 17; docs/chaos.md): bundles test/helpers/chaos.ts with esbuild,
// as bench/lib.mjs's loadTestHelper does, and runs its main() with this script's arguments.
// Usage: scripts/chaos.sh [--seed N] [--minutes M]
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Beside its source, so that the helpers' __dirname-relative paths hold.
const out = join(root, 'test', 'helpers', `.chaos-${process.pid}.cjs`);
let chaos;
try {
  await build({ entryPoints: [join(root, 'test', 'helpers', 'chaos.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: out, external: ['tap', 'dockerode'], logLevel: 'error' });
  chaos = createRequire(import.meta.url)(out);
} finally {
  rmSync(out, { force: true });
}
process.exitCode = await chaos.main(process.argv.slice(2));
