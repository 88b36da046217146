// Shared pieces of the gitops tests (no tests here): real git repositories made by the test,
// CIB texts built from a few bundle specs, a file store in the test's directory, and berth's
// commands run in-process exactly as the CLI runs them (argv → parseArgv → Command).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Test } from 'tap';
import { main } from '../../src/cli/main';
import type { Io } from '../../src/cli/invocation';
import { parseCib, section } from '../../src/cib/cib';
import { XmlElement, child, elements } from '../../src/cib/xml';

export interface Ran {
  code: number;
  out: string;
  err: string;
}

/** `berth ARGV...` in-process, as the CLI runs it. */
export async function berth(...argv: string[]): Promise<Ran> {
  let out = '';
  let err = '';
  const io: Io = { out: (s) => { out += s; }, err: (s) => { err += s; } };
  return { code: await main(argv, io), out, err };
}

export interface BundleSpec {
  id: string;
  replicas: number;
  image?: string;
  /** ip-range-start on lo, with a port mapping for port 80 */
  start?: string;
  options?: string;
  meta?: Record<string, string>;
}

export function bundleXml(b: BundleSpec): string {
  const meta = Object.entries(b.meta ?? {}).map(([k, v]) => `<nvpair id="${b.id}-meta_attributes-${k}" name="${k}" value="${v}"/>`).join('');
  return `    <bundle id="${b.id}">
      <docker image="${b.image ?? 'berth-test/httpd:1'}" replicas="${b.replicas}" replicas-per-host="${b.replicas}"${b.options ? ` options="${b.options.replace(/"/g, '&quot;')}"` : ''}/>
${b.start ? `      <network ip-range-start="${b.start}" host-netmask="32" host-interface="lo"><port-mapping id="${b.id}-port-map" port="80"/></network>\n` : ''}${meta ? `      <meta_attributes id="${b.id}-meta_attributes">${meta}</meta_attributes>\n` : ''}    </bundle>`;
}

export function cibXml(bundles: BundleSpec[], props: Record<string, string> = {}, extra = ''): string {
  const nv = Object.entries(props).map(([k, v]) => `<nvpair id="cib-bootstrap-options-${k}" name="${k}" value="${v}"/>`).join('');
  return `<cib validate-with="pacemaker-3.9" admin_epoch="0" epoch="1" num_updates="0">
  <!-- kept in git: berth gitops pushes it -->
  <configuration>
    <crm_config><cluster_property_set id="cib-bootstrap-options">${nv}</cluster_property_set></crm_config>
    <nodes/>
    <resources>
${bundles.map(bundleXml).join('\n')}
    </resources>
    <constraints>${extra}</constraints>
  </configuration>
  <status/>
</cib>
`;
}

export interface GitRepo {
  dir: string;
  /** writes (or with null, deletes) files, commits them, returns the commit id */
  commit(files: Record<string, string | null>, message: string): string;
  git(...args: string[]): string;
}

const GIT_ENV = { GIT_AUTHOR_NAME: 'test', GIT_AUTHOR_EMAIL: 'test@example.org', GIT_COMMITTER_NAME: 'test', GIT_COMMITTER_EMAIL: 'test@example.org', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };

export function gitRepo(dir: string): GitRepo {
  fs.mkdirSync(dir, { recursive: true });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, ...GIT_ENV } }).trim();
  git('init', '--quiet', '--initial-branch=main');
  return {
    dir,
    git,
    commit(files, message) {
      for (const [name, text] of Object.entries(files)) {
        const f = path.join(dir, name);
        if (text === null) { git('rm', '--quiet', name); continue; }
        fs.mkdirSync(path.dirname(f), { recursive: true });
        fs.writeFileSync(f, text);
        git('add', name);
      }
      git('commit', '--quiet', '--allow-empty', '-m', message);
      return git('rev-parse', 'HEAD');
    },
  };
}

/** A test's world: a git repository, a file store, a gitops cache, and `run` with them. */
export interface World {
  repo: GitRepo;
  store: string;
  cache: string;
  /** `berth gitops run --once --source REPO --store S --cache-dir C ARGS...` */
  sync(...args: string[]): Promise<Ran>;
  /** `berth gitops WHAT --store S --cache-dir C ARGS...` */
  gitops(what: string, ...args: string[]): Promise<Ran>;
  /** `berth ARGS... --store S` (live edits, cluster cib) */
  live(...args: string[]): Promise<Ran>;
  liveText(): string;
  bundle(id: string): XmlElement | undefined;
  replicas(id: string): string | undefined;
  state(): Promise<Record<string, unknown> & { applied: { revision: string; owned: string[] } | null; last?: { result: string; revision?: string }; lastError?: { result: string; revision?: string; message: string }; drift?: { items: unknown[] }; driftNow: unknown[]; suspended?: unknown }>;
}

export function world(t: Test): World {
  const dir = t.testdir({});
  const repo = gitRepo(path.join(dir, 'repo'));
  const store = path.join(dir, 'store');
  const cache = path.join(dir, 'cache');
  const w: World = {
    repo,
    store,
    cache,
    sync: (...args) => berth('gitops', 'run', '--once', '--source', repo.dir, '--store', store, '--cache-dir', cache, ...args),
    // only the commands that fetch take --cache-dir (an unknown flag is a usage error)
    gitops: (what, ...args) => berth('gitops', what, '--store', store, ...(what === 'diff' || what === 'run' ? ['--cache-dir', cache] : []), ...args),
    live: (...args) => berth(...args, '--store', store),
    liveText: () => {
      try { return fs.readFileSync(path.join(store, 'cib.xml'), 'utf8'); } catch { return ''; }
    },
    bundle: (id) => elements(section(parseCib(w.liveText() || '<cib><configuration><crm_config/><nodes/><resources/><constraints/></configuration></cib>'), 'resources'), 'bundle').find((b) => b.attrs.id === id),
    replicas: (id) => {
      const b = w.bundle(id);
      return b ? child(b, 'docker')?.attrs.replicas : undefined;
    },
    state: async () => JSON.parse((await w.gitops('status', '--json')).out),
  };
  return w;
}

export const bundleIds = (text: string) => elements(section(parseCib(text), 'resources'), 'bundle').map((b) => b.attrs.id).sort();
