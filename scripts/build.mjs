// Bundle the CLI into one file (fast start-up: one module to load) and type-check everything.
// Each step is skipped when its output is newer than every input (the examples and the test
// command call scripts/setup.sh, which builds: a bundle rewritten under running tests, or a
// type-check of the whole tree per example, cost the suite minutes); `--force` does both anyway.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const force = process.argv.includes('--force');
/** The newest modification time (ms) of these files and of every file under these folders. */
function newest(paths) {
  let max = 0;
  const visit = (p) => {
    let st;
    try { st = statSync(p); } catch { return; }
    // A folder's own time counts too: a file removed from it changes only that.
    max = Math.max(max, st.mtimeMs);
    if (st.isDirectory()) for (const f of readdirSync(p)) if (f !== 'node_modules') visit(join(p, f));
  };
  for (const p of paths) visit(p);
  return max;
}
const mtime = (f) => { try { return statSync(f).mtimeMs; } catch { return -1; } };
// What the bundle is made of: the sources, the dependencies' versions, this script, the launcher.
const bundleInputs = ['src', 'schemas', 'package.json', 'package-lock.json', 'scripts/build.mjs', 'bin/berth'];
const bundleFresh = !force && mtime('dist/berth.js') >= newest(bundleInputs)
  && readdirSync('dist').some((f) => f.endsWith('.cache'));

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

if (!bundleFresh) {
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
}
// The type-check covers what tsconfig.json includes; dist/.typechecked marks the last that passed.
const TYPECHECKED = 'dist/.typechecked';
if (!process.argv.includes('--no-typecheck') && (force || mtime(TYPECHECKED) < newest(['src', 'test', 'bench', 'tsconfig.json', 'package-lock.json']))) {
  const started = Date.now();
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--noEmit'], { stdio: 'inherit' });
  writeFileSync(TYPECHECKED, '');
  // A file edited while tsc ran is newer than the mark, then: checked again next time.
  const t = new Date(started);
  utimesSync(TYPECHECKED, t, t);
}
