// Bundle the CLI into one file (fast start-up: one module to load) and type-check everything.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

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
execFileSync('bin/berth', ['--help'], { stdio: 'ignore' }); // as users run it (the shebang's flags)
execFileSync(process.execPath, ['bin/berth', '--help'], { stdio: 'ignore' }); // as tests run it
if (!process.argv.includes('--no-typecheck')) {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--noEmit'], { stdio: 'inherit' });
}
