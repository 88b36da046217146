// Bundle the CLI into one file (fast start-up: one module to load) and type-check everything.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

// --allow-missing: while a module is being written, bundle a stub that fails when required.
const allowMissing = process.argv.includes('--allow-missing');
const missingStub = {
  name: 'missing-stub',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      const base = resolve(dirname(args.importer), args.path);
      if (['.ts', '/index.ts', ''].some((e) => existsSync(base + e) && statSync(base + e).isFile())) return undefined;
      return { path: base, namespace: 'missing' };
    });
    b.onLoad({ filter: /.*/, namespace: 'missing' }, (args) => ({ contents: `throw new Error('module not built yet: ${args.path}')`, loader: 'js' }));
  },
};

await build({
  entryPoints: ['src/cli/main.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outfile: 'dist/berth.js',
  external: ['dockerode', 'yargs', 'yargs/*', 'ajv', 'ajv/*'],
  sourcemap: 'linked',
  logLevel: 'warning',
  plugins: allowMissing ? [missingStub] : [],
});
chmodSync('bin/berth', 0o755);
// A fresh V8 code cache for bin/berth (see there): drop the old one, warm a new one.
for (const f of readdirSync('dist')) if (f.endsWith('.cache')) rmSync(`dist/${f}`, { force: true });
// The cache holds what the warming run compiled: warm it with an edit (the command people run most,
// and the one whose start-up is measured against pcs), on a scratch CIB file.
const scratch = mkdtempSync(join(tmpdir(), 'berth-warm-'));
const warm = ['-f', join(scratch, 'cib.xml'), 'resource', 'bundle', 'create', 'warm', 'container', 'docker', 'image=warm:1', 'replicas=2',
  'network', 'ip-range-start=192.168.122.131', 'host-interface=eth0', 'port-map', 'port=80', 'storage-map', 'source-dir-root=/srv/warm', 'target-dir=/data'];
try {
  execFileSync('bin/berth', warm, { stdio: 'ignore' }); // as users run it (the shebang's flags)
  rmSync(join(scratch, 'cib.xml'), { force: true });
  execFileSync(process.execPath, ['bin/berth', ...warm], { stdio: 'ignore' }); // as tests run it
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
if (!process.argv.includes('--no-typecheck')) {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--noEmit'], { stdio: 'inherit' });
}
