// Shared pieces of the end-to-end tests on the real engine (no tests here): a node per test (its
// own node name, state dir and CIB file), berth's runtime commands run in-process exactly as the
// CLI runs them (argv → parseArgv → Command), HTTP checks, and waiting. Every container gets the
// scope's berth.test label through the bundle's options, every address berth may add is
// registered with the scope: both are removed at teardown even when the test fails.
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Test } from 'tap';
import { parseArgv } from '../../src/cli/argv';
import type { Command, Io } from '../../src/cli/invocation';
import { applyCmd, controllerCmd, planCmd, statusCmd } from '../../src/cli/runtime-commands';
import { fileCibSource, localNodeDeps, singleNodePassDeps } from '../../src/controller/deps';
import { closeOpenPools } from '../../src/inner/open-pools';
import type { NodeDeps, PassDeps } from '../../src/controller/pass';
import { DockerTestScope, dockerTestScope, ensureDocker } from '../helpers/docker';

export { sleep, until } from '../helpers/wait';

export async function getPage(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
  return res.text();
}

export interface BundleSpec {
  id: string;
  image?: string;
  replicas: number;
  start?: string;
  /** extra docker options (the test label and --init are always added) */
  options?: string;
  storageRoot?: string;
  storageTarget?: string;
  port?: number | null;
  meta?: Record<string, string>;
  network?: string;
  /** the container element (default docker) */
  container?: 'docker' | 'podman';
}

export interface E2eNode {
  t: Test;
  scope: DockerTestScope;
  node: string;
  dir: string;
  cibFile: string;
  stateDir: string;
  /** docker options every bundle of the test carries: the cleanup label, and --init so that a
   * stop takes milliseconds (busybox httpd as PID 1 ignores SIGTERM: 10 s each otherwise) */
  baseOptions: string;
  writeCib(bundles: BundleSpec[], props?: Record<string, string>): void;
  /** runs `berth WORDS... --cib F --node N --state-dir D`; resolves to the exit code and output */
  berth(...argv: string[]): Promise<{ code: number; out: string; err: string }>;
  /** this node's engine, addresses and files (extra replaces some) */
  nodeDeps(extra?: Partial<NodeDeps>): NodeDeps;
  /** a single-node pass over this node, the CIB file as the desired state */
  deps(extra?: Partial<NodeDeps>): PassDeps;
  /** registers the addresses start..start+n-1 for removal at teardown */
  addresses(start: string, n: number): string[];
}

const COMMANDS: Record<string, Command> = { plan: planCmd, apply: applyCmd, status: statusCmd, controller: controllerCmd };

export function bundleXml(b: BundleSpec, baseOptions: string): string {
  const meta = Object.entries(b.meta ?? {}).map(([k, v]) => `<nvpair id="${b.id}-meta_attributes-${k}" name="${k}" value="${v}"/>`).join('');
  const options = `${baseOptions}${b.options ? ' ' + b.options : ''}`.replace(/"/g, '&quot;');
  const port = b.port === null ? '' : `<port-mapping id="${b.id}-port-map" port="${b.port ?? 80}"/>`;
  return `<bundle id="${b.id}">
      <${b.container ?? 'docker'} image="${b.image ?? 'berth-test/httpd:1'}" replicas="${b.replicas}" replicas-per-host="${b.replicas}" options="${options}"${b.network ? ` network="${b.network}"` : ''}/>
      ${b.start ? `<network ip-range-start="${b.start}" host-netmask="32" host-interface="lo">${port}</network>` : ''}
      ${b.storageRoot ? `<storage><storage-mapping id="${b.id}-storage-map" source-dir-root="${b.storageRoot}" target-dir="${b.storageTarget ?? '/var/www/html'}" options="rw"/></storage>` : ''}
      ${meta ? `<meta_attributes id="${b.id}-meta_attributes">${meta}</meta_attributes>` : ''}
    </bundle>`;
}

let epoch = 10;
export function cibXml(bundles: string[], props: Record<string, string> = {}): string {
  const nv = Object.entries(props).map(([k, v]) => `<nvpair id="cib-bootstrap-options-${k}" name="${k}" value="${v}"/>`).join('');
  return `<cib validate-with="pacemaker-3.9" admin_epoch="0" epoch="${epoch++}" num_updates="0">
  <configuration>
    <crm_config><cluster_property_set id="cib-bootstrap-options">${nv}</cluster_property_set></crm_config>
    <nodes/>
    <resources>${bundles.join('\n')}</resources>
    <constraints/>
  </configuration>
  <status/>
</cib>
`;
}

const testDirs = new WeakMap<Test, string>();

export function e2eNode(t: Test, name: string): E2eNode {
  ensureDocker();
  const scope = dockerTestScope(t);
  // One directory per node, in the test's own (a test may run several nodes).
  const dir = path.join(testDirs.get(t) ?? testDirs.set(t, t.testdir({})).get(t)!, name);
  mkdirSync(dir, { recursive: true });
  const node = `e2e-${name}-${scope.runId}`;
  const cibFile = path.join(dir, 'cib.xml');
  const stateDir = path.join(dir, 'state');
  const baseOptions = `--init -l berth.test=${scope.runId}`;
  const n: E2eNode = {
    t,
    scope,
    node,
    dir,
    cibFile,
    stateDir,
    baseOptions,
    writeCib(bundles, props) {
      // Atomically, as berth -f does: the controller may be reading it.
      const tmp = cibFile + '.tmp';
      writeFileSync(tmp, cibXml(bundles.map((b) => bundleXml(b, baseOptions)), props));
      require('node:fs').renameSync(tmp, cibFile);
    },
    async berth(...argv) {
      let out = '';
      let err = '';
      const io: Io = { out: (s) => { out += s; }, err: (s) => { err += s; } };
      const { path, args, flags } = parseArgv([...argv, `--cib=${cibFile}`, `--node=${node}`, `--state-dir=${stateDir}`]);
      const cmd = COMMANDS[path[0]];
      if (!cmd) throw new Error(`no runtime command ${path[0]}`);
      const code = await cmd({ args, flags, io });
      return { code, out, err };
    },
    nodeDeps(extra = {}) {
      return { ...localNodeDeps({ node, stateDir }), ...extra };
    },
    deps(extra = {}) {
      return singleNodePassDeps({ node, cib: fileCibSource(cibFile, 200), deps: { ...localNodeDeps({ node, stateDir }), ...extra } });
    },
    addresses(start, count) {
      const [a, b, c, d] = start.split('.').map(Number);
      const out: string[] = [];
      for (let i = 0; i < count; i++) {
        const ip = `${a}.${b}.${c}.${d + i}`;
        scope.removeAddressAtEnd(ip);
        out.push(ip);
      }
      return out;
    },
  };
  return n;
}

/** berth's containers of this node, from the docker CLI (not through berth). */
export function dockerPs(node: string): { id: string; name: string; image: string; state: string }[] {
  const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
  const out = execFileSync('docker', ['ps', '-a', '--filter', `label=berth.node=${node}`, '--format', '{{.ID}}\t{{.Names}}\t{{.Image}}\t{{.State}}'], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean).map((l) => {
    const [id, name, image, state] = l.split('\t');
    return { id, name, image, state };
  }).sort((x, y) => x.name.localeCompare(y.name));
}

/** A fresh Pacemaker authkey in the node's directory as PCMK_authkey_location (the replicas of a
 * bundle that holds a resource mount it); the variable restored and the executor connections
 * closed at teardown. Resolves to the key's path. */
export function useTestAuthkey(n: E2eNode): string {
  const key = path.join(n.dir, 'pacemaker-authkey');
  writeFileSync(key, randomBytes(256), { mode: 0o400 });
  const before = process.env.PCMK_authkey_location;
  process.env.PCMK_authkey_location = key;
  n.t.teardown(() => {
    if (before === undefined) delete process.env.PCMK_authkey_location;
    else process.env.PCMK_authkey_location = before;
    closeOpenPools();
  });
  return key;
}

export function loAddresses(): string[] {
  const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
  const out = execFileSync('ip', ['-o', '-4', 'addr', 'show', 'dev', 'lo'], { encoding: 'utf8' });
  return [...out.matchAll(/inet (\d+\.\d+\.\d+\.\d+)\//g)].map((m) => m[1]);
}
