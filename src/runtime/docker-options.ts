// The bundle's `options` attribute: a `docker run` options string, parsed into a fragment of the
// engine's create options. Pure: files (--env-file, --security-opt seccomp=FILE) and the caller's
// environment (-e NAME without a value) come in through the context, never from the process.
//
// Terms: a "word" is one shell word after quote removal; an "option" is a word that names a
// supported `docker run` option (`--memory`, `-m`); its "value" is the rest of the word after `=`
// (or after a short option's letter) or else the next word. Flags (--init) take no next word.
import type { ContainerCreateOptions, DeviceMapping, HealthConfig, HostConfig, Ulimit } from 'dockerode';
import { Problem, problem } from '../errors/registry';
import { ADDRESS_LABEL, BERTH_LABELS } from './labels';

export type DockerCreateFragment = Partial<ContainerCreateOptions>;

export interface ParsedDockerOptions {
  /** What the options set; use it only when `problems` is empty. */
  create: DockerCreateFragment;
  problems: Problem[];
}

export interface DockerOptionsContext {
  /** Reads a file named in the options (--env-file, seccomp profiles); throws when it cannot. */
  readFile?: (path: string) => string;
  /** `-e NAME` / a bare NAME in an env file takes its value from here, as `docker run` does from
   * its own environment; a name it does not know is left out (docker does the same). */
  lookupEnv?: (name: string) => string | undefined;
  /** The problems' path; defaults to `options`. */
  path?: string;
}

/** Labels berth puts on its containers; an options string may not set them. */
export const RESERVED_LABELS: readonly string[] = [...Object.values(BERTH_LABELS), ADDRESS_LABEL];

/** node:net's isIP, without loading node:net (tens of ms at start-up of every edit command). */
export function isIpAddress(v: string): boolean {
  const v4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
  if (v4.test(v)) return true;
  // IPv6: eight groups, or fewer around one '::', optionally ending in an IPv4 address; a zone after '%'.
  const [addr, zone] = v.split('%', 2);
  if (zone !== undefined && !/^[0-9A-Za-z_.-]+$/.test(zone)) return false;
  if (!/^[0-9A-Fa-f:.]+$/.test(addr) || addr.includes(':::')) return false;
  let tail = 0;
  let body = addr;
  const lastColon = addr.lastIndexOf(':');
  if (addr.includes('.')) {
    if (!v4.test(addr.slice(lastColon + 1))) return false;
    body = addr.slice(0, lastColon + 1) + '0:0';
    tail = 0;
  }
  const halves = body.split('::');
  if (halves.length > 2) return false;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const parts = halves.map(groups);
  if (parts.some((g) => g.some((x) => !/^[0-9A-Fa-f]{1,4}$/.test(x)))) return false;
  const n = parts.reduce((k, g) => k + g.length, 0) + tail;
  return halves.length === 2 ? n <= 7 : n === 8;
}

// ---- shell words ----

export type ShellWords = { ok: true; words: string[] } | { ok: false; message: string };

/** POSIX-shell word splitting and quote removal, without expansion: `'...'` is literal, `"..."`
 * honours backslash before `"`, `\`, `$`, `` ` `` and newline, a backslash outside quotes escapes
 * the next character. `$VAR` stays as written (berth does not expand variables). */
export function splitShellWords(input: string): ShellWords {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c === "'") {
      const end = input.indexOf("'", i + 1);
      if (end < 0) return { ok: false, message: `unterminated single quote at character ${i + 1}` };
      word += input.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < input.length && input[j] !== '"'; j++) {
        if (input[j] === '\\' && j + 1 < input.length && '"\\$`\n'.includes(input[j + 1])) {
          if (input[j + 1] !== '\n') word += input[j + 1];
          j++;
        } else {
          word += input[j];
        }
      }
      if (j >= input.length) return { ok: false, message: `unterminated double quote at character ${i + 1}` };
      inWord = true;
      i = j;
    } else if (c === '\\') {
      if (i + 1 >= input.length) return { ok: false, message: 'a backslash at the end escapes nothing' };
      if (input[i + 1] !== '\n') { word += input[i + 1]; inWord = true; }
      i++;
    } else if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return { ok: true, words };
}

// ---- values ----

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Docker's RAMInBytes: a number with an optional 1024-based unit b, k, m, g, t (`kb`, `kib` too). */
export function parseSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?) ?(?:([kmgt])(?:i?b)?|(b))?$/i.exec(text);
  if (!m) return undefined;
  const bytes = Math.floor(Number(m[1]) * UNITS[(m[2] ?? m[3] ?? '').toLowerCase()]);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

const DURATION_NS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration for non-negative values (`30s`, `1m30s`, `500ms`, `0`), in nanoseconds. */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  if (!/^(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/.test(text)) return undefined;
  let ns = 0;
  for (const m of text.matchAll(/(\d+\.?\d*|\.\d+)(ns|us|µs|ms|s|m|h)/g)) ns += Number(m[1]) * DURATION_NS[m[2]];
  ns = Math.round(ns);
  return Number.isSafeInteger(ns) ? ns : undefined;
}

// ---- what the options build ----

interface Acc {
  fileEnv: string[];
  env: string[];
  labels: Record<string, string>;
  logDriver?: string;
  logOpts?: Record<string, string>;
  capAdd: string[];
  capDrop: string[];
  memory?: number;
  nanoCpus?: number;
  user?: string;
  workdir?: string;
  readOnly?: boolean;
  tmpfs?: Record<string, string>;
  ulimits: Ulimit[];
  privileged?: boolean;
  dns: string[];
  health: { cmd?: string; interval?: number; timeout?: number; retries?: number; startPeriod?: number; none?: boolean; given: string[] };
  shmSize?: number;
  sysctls?: Record<string, string>;
  devices: DeviceMapping[];
  securityOpt: string[];
  init?: boolean;
  /** --ipc, --pid, --uts, --userns: the container's own namespace or the host's */
  ipcMode?: string;
  pidMode?: string;
  utsMode?: string;
  usernsMode?: string;
  networkMode?: string;
  hostname?: string;
}

/** A value the option does not accept: `allowed` says what it does; `reason` adds why, if known. */
interface Invalid { allowed: string; reason?: string }
type Apply = (value: string, acc: Acc, ctx: DockerOptionsContext) => Invalid | undefined;

interface OptionSpec {
  long: string;
  short?: string;
  /** A flag takes no separate value word; `--flag=false` is still accepted. */
  flag?: boolean;
  apply: Apply;
}

const KEY_VALUE = 'KEY=VALUE';
const SIZE = 'a size: a number with an optional unit b, k, m or g (1024-based), e.g. 512m';
const DURATION = 'a duration such as 30s, 1m30s or 500ms (0, or at least 1ms)';
const ABSOLUTE = 'an absolute path (without ..)';
const MIN_MEMORY = 6 * 1024 * 1024; // the engine refuses less

const CAPABILITIES = new Set(('CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP ' +
  'LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO ' +
  'SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE ' +
  'AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON ' +
  'BPF CHECKPOINT_RESTORE').split(' '));
const ULIMITS = ['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss',
  'rtprio', 'rttime', 'sigpending', 'stack'];
// Sysctls the engine allows in a container: the ones namespaced per container.
const SYSCTL_NAMES = ['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax',
  'kernel.shmmni', 'kernel.shm_rmid_forced'];
const SYSCTL_PREFIXES = ['fs.mqueue.', 'net.'];

const splitKeyValue = (v: string): [string, string | undefined] => {
  const at = v.indexOf('=');
  return at < 0 ? [v, undefined] : [v.slice(0, at), v.slice(at + 1)];
};
const isAbsolute = (p: string) => p.startsWith('/') && !p.split('/').includes('..');
const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

function envEntry(v: string, ctx: DockerOptionsContext): string | undefined {
  const [name, value] = splitKeyValue(v);
  if (value !== undefined) return `${name}=${value}`;
  const found = ctx.lookupEnv?.(name);
  return found === undefined ? undefined : `${name}=${found}`;
}

const ENV_NAME = /^[^=\s]+$/;

/** docker's env-file format: one NAME=VALUE (or NAME) a line, `#` comments, values verbatim. */
function parseEnvFile(text: string, ctx: DockerOptionsContext): { env: string[] } | { line: number; text: string } {
  const env: string[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const [name] = splitKeyValue(line);
    if (!ENV_NAME.test(name)) return { line: i + 1, text: line };
    const entry = envEntry(line, ctx);
    if (entry !== undefined) env.push(entry);
  }
  return { env };
}

function parseBool(v: string): boolean | undefined {
  return v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : undefined;
}

function flag(set: (acc: Acc, on: boolean) => void): Apply {
  return (v, acc) => {
    const on = parseBool(v);
    if (on === undefined) return { allowed: 'true or false (or the flag alone)' };
    set(acc, on);
    return undefined;
  };
}

function health(key: 'interval' | 'timeout' | 'startPeriod'): Apply {
  return (v, acc) => {
    const ns = parseDuration(v);
    if (ns === undefined || (ns > 0 && ns < 1e6)) return { allowed: DURATION };
    acc.health[key] = ns;
    return undefined;
  };
}

function capability(list: 'capAdd' | 'capDrop'): Apply {
  return (v, acc) => {
    const name = v.toUpperCase().replace(/^CAP_/, '');
    if (name !== 'ALL' && !CAPABILITIES.has(name)) return { allowed: 'a capability name such as NET_ADMIN or CAP_NET_ADMIN (see capabilities(7)), or ALL' };
    acc[list].push(name === 'ALL' ? 'ALL' : `CAP_${name}`);
    return undefined;
  };
}

const DEVICE_MODE = /^(?!.*(.).*\1)[rwm]{1,3}$/;

function securityOpt(v: string, ctx: DockerOptionsContext): string | Invalid {
  const allowed = 'no-new-privileges[=true|false], label=user:U|role:R|type:T|level:L|disable, apparmor=PROFILE, seccomp=unconfined|PROFILE-FILE, systempaths=unconfined';
  if (v === 'no-new-privileges') return v;
  const m = /^([a-z-]+)[=:](.*)$/.exec(v);
  if (!m) return { allowed };
  const [, key, value] = m;
  switch (key) {
    case 'no-new-privileges':
      return parseBool(value) === undefined ? { allowed } : `no-new-privileges=${parseBool(value)}`;
    case 'label':
      return value === 'disable' || /^(user|role|type|level):\S+$/.test(value) ? `label=${value}` : { allowed };
    case 'apparmor':
      return /^\S+$/.test(value) ? `apparmor=${value}` : { allowed };
    case 'systempaths':
      return value === 'unconfined' ? 'systempaths=unconfined' : { allowed };
    case 'seccomp': {
      if (value === 'unconfined') return 'seccomp=unconfined';
      // Like the docker CLI, send the profile's content: the engine does not read client files.
      if (!isAbsolute(value)) return { allowed, reason: 'a seccomp profile is named by an absolute path' };
      if (!ctx.readFile) return { allowed, reason: 'no file reader was given to read the seccomp profile' };
      try {
        return `seccomp=${JSON.stringify(JSON.parse(ctx.readFile(value)))}`;
      } catch (e) {
        return { allowed, reason: `the seccomp profile ${value} cannot be used: ${errorText(e)}` };
      }
    }
    default:
      return { allowed };
  }
}

/** A namespace option (--ipc, --pid, --uts, --userns): the values the engine takes that stay within
 * berth's own containers; `host` is host access (src/runtime/host-access.ts), judged against the
 * CIB's berth-host-access and the agents' --allow. Another container's namespace (`container:NAME`)
 * is refused: berth names and replaces its containers itself, so the name would not hold. */
function namespace(values: readonly string[], set: (acc: Acc, v: string) => void): Apply {
  const allowed = values.join(', ');
  return (v, acc) => {
    if (v.startsWith('container:')) return { allowed, reason: "another container's namespace is not supported: berth replaces containers and their names" };
    if (!values.includes(v)) return { allowed };
    set(acc, v);
    return undefined;
  };
}

/** Log drivers of podman that the Docker engine lacks, and the engine's driver that does the same
 * (podman's Docker API takes json-file for its k8s-file too): one CIB runs on either engine. */
const LOG_DRIVER_EQUIVALENT: Readonly<Record<string, string>> = { 'k8s-file': 'json-file' };

const SPECS: OptionSpec[] = [
  { long: '--cap-add', apply: capability('capAdd') },
  { long: '--cap-drop', apply: capability('capDrop') },
  {
    long: '--cpus',
    apply: (v, acc) => {
      const n = /^\d+(\.\d+)?$|^\.\d+$/.test(v) ? Number(v) : NaN;
      if (!(n >= 0.01)) return { allowed: 'a number of CPUs of at least 0.01, e.g. 1.5' };
      acc.nanoCpus = Math.round(n * 1e9);
      return undefined;
    },
  },
  {
    long: '--device',
    apply: (v, acc) => {
      const allowed = 'HOST-PATH[:CONTAINER-PATH][:PERMISSIONS], absolute paths, permissions made of r, w and m';
      const parts = v.split(':');
      let [host, inContainer, perms] = [parts[0], parts[0], 'rwm'];
      if (parts.length === 2) {
        if (DEVICE_MODE.test(parts[1])) perms = parts[1]; else inContainer = parts[1];
      } else if (parts.length === 3) {
        [host, inContainer, perms] = parts;
      } else if (parts.length > 3) {
        return { allowed };
      }
      if (!isAbsolute(host) || !isAbsolute(inContainer) || !DEVICE_MODE.test(perms)) return { allowed };
      acc.devices.push({ PathOnHost: host, PathInContainer: inContainer, CgroupPermissions: perms });
      return undefined;
    },
  },
  {
    long: '--dns',
    apply: (v, acc) => {
      if (!isIpAddress(v)) return { allowed: 'an IPv4 or IPv6 address' };
      acc.dns.push(v);
      return undefined;
    },
  },
  {
    long: '--env',
    short: '-e',
    apply: (v, acc, ctx) => {
      const [name] = splitKeyValue(v);
      if (!ENV_NAME.test(name)) return { allowed: 'NAME=VALUE, or NAME to pass the variable on; NAME is not empty and has no spaces' };
      const entry = envEntry(v, ctx);
      if (entry !== undefined) acc.env.push(entry);
      return undefined;
    },
  },
  {
    long: '--env-file',
    apply: (v, acc, ctx) => {
      const allowed = 'the absolute path of a readable file of NAME=VALUE lines';
      if (!isAbsolute(v)) return { allowed };
      if (!ctx.readFile) return { allowed, reason: 'no file reader was given' };
      let text: string;
      try {
        text = ctx.readFile(v);
      } catch (e) {
        return { allowed, reason: `it cannot be read: ${errorText(e)}` };
      }
      const parsed = parseEnvFile(text, ctx);
      if ('line' in parsed) return { allowed, reason: `line ${parsed.line} ('${parsed.text}') does not start with a variable name` };
      acc.fileEnv.push(...parsed.env);
      return undefined;
    },
  },
  { long: '--health-cmd', apply: (v, acc) => { if (!v.trim()) return { allowed: 'a shell command' }; acc.health.cmd = v; return undefined; } },
  { long: '--health-interval', apply: health('interval') },
  {
    long: '--health-retries',
    apply: (v, acc) => {
      if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) return { allowed: 'a non-negative integer' };
      acc.health.retries = Number(v);
      return undefined;
    },
  },
  { long: '--health-start-period', apply: health('startPeriod') },
  { long: '--health-timeout', apply: health('timeout') },
  {
    long: '--hostname',
    short: '-h',
    apply: (v, acc) => {
      if (!/^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/.test(v) || v.length > 253) return { allowed: 'a host name: letters, digits and -, in dot-separated labels of up to 63 characters' };
      acc.hostname = v;
      return undefined;
    },
  },
  { long: '--init', flag: true, apply: flag((acc, on) => { acc.init = on; }) },
  { long: '--ipc', apply: namespace(['host', 'private', 'shareable', 'none'], (acc, v) => { acc.ipcMode = v; }) },
  {
    long: '--label',
    short: '-l',
    apply: (v, acc) => {
      const [key, value] = splitKeyValue(v);
      if (!key || /\s/.test(key)) return { allowed: 'KEY=VALUE or KEY, KEY not empty and without spaces' };
      if (RESERVED_LABELS.includes(key)) return { allowed: `a label other than ${RESERVED_LABELS.join(', ')}`, reason: 'berth sets it' };
      acc.labels[key] = value ?? '';
      return undefined;
    },
  },
  {
    long: '--log-driver',
    apply: (v, acc) => {
      if (!/^[A-Za-z0-9][\w.:/-]*$/.test(v)) return { allowed: 'a logging driver name such as json-file, local, journald, syslog or none' };
      acc.logDriver = LOG_DRIVER_EQUIVALENT[v] ?? v;
      return undefined;
    },
  },
  {
    long: '--log-opt',
    apply: (v, acc) => {
      const [key, value] = splitKeyValue(v);
      if (!key || value === undefined) return { allowed: KEY_VALUE };
      acc.logOpts = { ...acc.logOpts, [key]: value };
      return undefined;
    },
  },
  {
    long: '--memory',
    short: '-m',
    apply: (v, acc) => {
      const bytes = parseSize(v);
      if (bytes === undefined || bytes < MIN_MEMORY) return { allowed: `${SIZE}, of at least 6m` };
      acc.memory = bytes;
      return undefined;
    },
  },
  {
    long: '--network',
    apply: (v, acc) => {
      // the same as the container's network= attribute (Pacemaker passes both to the engine)
      if (v.startsWith('container:')) return { allowed: 'host, bridge, none or a network name', reason: "another container's network is not supported: berth replaces containers and their names" };
      if (!/^[A-Za-z0-9][\w.-]*$/.test(v)) return { allowed: 'host, bridge, none or a network name' };
      acc.networkMode = v;
      return undefined;
    },
  },
  { long: '--no-healthcheck', flag: true, apply: flag((acc, on) => { acc.health.none = on || undefined; }) },
  { long: '--pid', apply: namespace(['host'], (acc, v) => { acc.pidMode = v; }) },
  { long: '--privileged', flag: true, apply: flag((acc, on) => { acc.privileged = on; }) },
  { long: '--read-only', flag: true, apply: flag((acc, on) => { acc.readOnly = on; }) },
  {
    long: '--security-opt',
    apply: (v, acc, ctx) => {
      const r = securityOpt(v, ctx);
      if (typeof r !== 'string') return r;
      acc.securityOpt.push(r);
      return undefined;
    },
  },
  {
    long: '--shm-size',
    apply: (v, acc) => {
      const bytes = parseSize(v);
      if (!bytes) return { allowed: `${SIZE}, above 0` };
      acc.shmSize = bytes;
      return undefined;
    },
  },
  {
    long: '--sysctl',
    apply: (v, acc) => {
      const [key, value] = splitKeyValue(v);
      const allowed = `NAME=VALUE where NAME is one of ${SYSCTL_NAMES.join(', ')} or starts with ${SYSCTL_PREFIXES.join(' or ')}`;
      const name = key.replace(/\//g, '.');
      if (value === undefined || !/^[a-z0-9_]+(\.[\w-]+)+$/i.test(name)) return { allowed };
      if (!SYSCTL_NAMES.includes(name) && !SYSCTL_PREFIXES.some((p) => name.startsWith(p))) {
        return { allowed, reason: 'it is not namespaced per container' };
      }
      acc.sysctls = { ...acc.sysctls, [name]: value };
      return undefined;
    },
  },
  {
    long: '--tmpfs',
    apply: (v, acc) => {
      const at = v.indexOf(':');
      const [path, opts] = at < 0 ? [v, ''] : [v.slice(0, at), v.slice(at + 1)];
      if (!isAbsolute(path) || (at >= 0 && !/^[\w.=-]+(,[\w.=-]+)*$/.test(opts))) {
        return { allowed: 'PATH[:MOUNT-OPTIONS], an absolute path and comma-separated options, e.g. /run:size=64m,noexec' };
      }
      acc.tmpfs = { ...acc.tmpfs, [path]: opts };
      return undefined;
    },
  },
  {
    long: '--ulimit',
    apply: (v, acc) => {
      const allowed = `NAME=SOFT[:HARD] with NAME one of ${ULIMITS.join(', ')} and integer limits (-1: unlimited), SOFT not above HARD`;
      const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(v);
      if (!m || !ULIMITS.includes(m[1])) return { allowed };
      const soft = Number(m[2]);
      const hard = m[3] === undefined ? soft : Number(m[3]);
      if (hard !== -1 && (soft === -1 || soft > hard)) return { allowed, reason: `the soft limit ${m[2]} is above the hard limit ${m[3]}` };
      acc.ulimits = [...acc.ulimits.filter((u) => u.Name !== m[1]), { Name: m[1], Soft: soft, Hard: hard }];
      return undefined;
    },
  },
  { long: '--userns', apply: namespace(['host'], (acc, v) => { acc.usernsMode = v; }) },
  { long: '--uts', apply: namespace(['host'], (acc, v) => { acc.utsMode = v; }) },
  {
    long: '--user',
    short: '-u',
    apply: (v, acc) => {
      if (!/^[^\s:]+(:[^\s:]+)?$/.test(v)) return { allowed: 'USER[:GROUP], names or numeric ids' };
      acc.user = v;
      return undefined;
    },
  },
  {
    long: '--workdir',
    short: '-w',
    apply: (v, acc) => {
      if (!isAbsolute(v)) return { allowed: ABSOLUTE };
      acc.workdir = v;
      return undefined;
    },
  },
];

const BY_NAME = new Map<string, OptionSpec>();
for (const s of SPECS) {
  BY_NAME.set(s.long, s);
  if (s.short) BY_NAME.set(s.short, s);
}
// docker's older spelling, as Pacemaker-era bundles write it
BY_NAME.set('--net', BY_NAME.get('--network')!);

/** The supported options, long names, sorted. */
export const SUPPORTED_DOCKER_OPTIONS: readonly string[] = SPECS.map((s) => s.long).sort();
/** Short forms and the long option each stands for. */
export const SHORT_DOCKER_OPTIONS: Readonly<Record<string, string>> = Object.fromEntries(
  SPECS.filter((s) => s.short).map((s) => [s.short as string, s.long]),
);
// Made when first needed: localeCompare loads ICU's collation (milliseconds at every edit's start-up).
let supportedText: string | undefined;
export const supportedDockerOptionsText = (): string => (supportedText ??= SPECS.map((s) => (s.short ? `${s.short}/${s.long}` : s.long)).sort((a, b) => a.replace(/^-.\//, '').localeCompare(b.replace(/^-.\//, ''))).join(', '));

// `docker run` options that berth sets from the bundle itself: said so, rather than just "unknown".
export const SET_BY_BERTH: Readonly<Record<string, string>> = {
  '--name': 'berth names each container after its replica',
  '-p': 'use port-map',
  '--publish': 'use port-map',
  '-P': 'use port-map',
  '--publish-all': 'use port-map',
  '--expose': 'use port-map',
  '-v': 'use storage-map',
  '--volume': 'use storage-map',
  '--mount': 'use storage-map',
  '--ip': 'use the network option ip-range-start=',
  '--add-host': 'the network option add-host= lists the replicas',
  '--entrypoint': 'use the container option run-command=',
  '--restart': 'berth sets the restart policy',
  '-d': 'berth runs every container detached',
  '--detach': 'berth runs every container detached',
  '--rm': 'berth removes containers itself',
};

/** Parses a `docker run` options string. Every problem is collected; none is thrown. */
export function parseDockerOptions(options: string | undefined, ctx: DockerOptionsContext = {}): ParsedDockerOptions {
  const path = ctx.path ?? 'options';
  const problems: Problem[] = [];
  const acc: Acc = { fileEnv: [], env: [], labels: {}, capAdd: [], capDrop: [], ulimits: [], dns: [], health: { given: [] }, devices: [], securityOpt: [] };

  const split = splitShellWords(options ?? '');
  if (!split.ok) {
    return {
      create: {},
      problems: [problem('DOCKER_OPTION_INVALID', { path, value: options, allowed: 'shell-style words: quote with \'...\' or "..."', message: `the docker options cannot be split into words: ${split.message}` })],
    };
  }
  const words = split.words;
  const unsupported = (name: string) => {
    const hint = SET_BY_BERTH[name];
    problems.push(problem('DOCKER_OPTION_UNSUPPORTED', {
      path,
      value: name,
      allowed: supportedDockerOptionsText(),
      message: `'${name}' is not a supported docker option${hint ? ` (${hint})` : ''}; supported are: ${supportedDockerOptionsText()}`,
    }));
  };
  const invalid = (option: string, value: string, bad: Invalid) => {
    problems.push(problem('DOCKER_OPTION_INVALID', {
      path,
      value,
      allowed: bad.allowed,
      message: `'${value}' is not a valid value for docker option ${option}${bad.reason ? ` (${bad.reason})` : ''}, use ${bad.allowed}`,
    }));
  };

  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (!word.startsWith('-') || word === '-' || word === '--') {
      problems.push(problem('DOCKER_OPTION_INVALID', {
        path,
        value: word,
        allowed: 'docker run options only',
        message: `'${word}' is not a docker option: options= holds only options (the image is image=, the command is run-command=)`,
      }));
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (word.startsWith('--')) {
      [name, inline] = splitKeyValue(word);
    } else {
      name = word.slice(0, 2);
      const rest = word.slice(2);
      inline = rest === '' ? undefined : rest.startsWith('=') ? rest.slice(1) : rest;
    }
    const spec = BY_NAME.get(name);
    if (!spec) {
      unsupported(name);
      // Its value, if it has one, would otherwise be reported as a stray word.
      if (inline === undefined && i + 1 < words.length && !words[i + 1].startsWith('-')) i++;
      continue;
    }
    let value: string;
    if (spec.flag) {
      value = inline ?? 'true';
    } else if (inline !== undefined) {
      value = inline;
    } else if (i + 1 < words.length) {
      value = words[++i];
    } else {
      problems.push(problem('DOCKER_OPTION_INVALID', { path, value: name, allowed: 'a value after the option', message: `docker option ${spec.long} needs a value` }));
      continue;
    }
    if (spec.long.startsWith('--health-')) acc.health.given.push(spec.long);
    const bad = spec.apply(value, acc, ctx);
    if (bad) invalid(spec.long, value, bad);
  }

  if (acc.health.none && acc.health.given.length) {
    problems.push(problem('DOCKER_OPTION_INVALID', {
      path,
      value: '--no-healthcheck',
      allowed: '--no-healthcheck alone, or --health-* options',
      message: `docker option --no-healthcheck conflicts with ${[...new Set(acc.health.given)].join(', ')}`,
    }));
  }
  return { create: toCreateOptions(acc), problems };
}

/** Only what the options set appears, so that an empty string gives `{}`. */
function toCreateOptions(acc: Acc): DockerCreateFragment {
  const create: DockerCreateFragment = {};
  const host: HostConfig = {};
  const env = [...acc.fileEnv, ...acc.env];
  if (env.length) create.Env = env;
  if (Object.keys(acc.labels).length) create.Labels = acc.labels;
  if (acc.user !== undefined) create.User = acc.user;
  if (acc.workdir !== undefined) create.WorkingDir = acc.workdir;
  const h = acc.health;
  if (h.none) {
    create.Healthcheck = { Test: ['NONE'] };
  } else if (h.given.length) {
    const hc: HealthConfig = {};
    if (h.cmd !== undefined) hc.Test = ['CMD-SHELL', h.cmd];
    if (h.interval !== undefined) hc.Interval = h.interval;
    if (h.timeout !== undefined) hc.Timeout = h.timeout;
    if (h.startPeriod !== undefined) hc.StartPeriod = h.startPeriod;
    if (h.retries !== undefined) hc.Retries = h.retries;
    create.Healthcheck = hc;
  }
  if (acc.logDriver !== undefined || acc.logOpts) host.LogConfig = { Type: acc.logDriver ?? '', Config: acc.logOpts ?? {} };
  if (acc.capAdd.length) host.CapAdd = acc.capAdd;
  if (acc.capDrop.length) host.CapDrop = acc.capDrop;
  if (acc.memory !== undefined) host.Memory = acc.memory;
  if (acc.nanoCpus !== undefined) host.NanoCpus = acc.nanoCpus;
  if (acc.readOnly !== undefined) host.ReadonlyRootfs = acc.readOnly;
  if (acc.tmpfs) host.Tmpfs = acc.tmpfs;
  if (acc.ulimits.length) host.Ulimits = acc.ulimits;
  if (acc.privileged !== undefined) host.Privileged = acc.privileged;
  if (acc.dns.length) host.Dns = acc.dns;
  if (acc.shmSize !== undefined) host.ShmSize = acc.shmSize;
  if (acc.sysctls) host.Sysctls = acc.sysctls;
  if (acc.devices.length) host.Devices = acc.devices;
  if (acc.securityOpt.length) host.SecurityOpt = acc.securityOpt;
  if (acc.init !== undefined) host.Init = acc.init;
  if (acc.ipcMode !== undefined) host.IpcMode = acc.ipcMode;
  if (acc.pidMode !== undefined) host.PidMode = acc.pidMode;
  if (acc.utsMode !== undefined) host.UTSMode = acc.utsMode;
  if (acc.usernsMode !== undefined) host.UsernsMode = acc.usernsMode;
  if (acc.networkMode !== undefined) host.NetworkMode = acc.networkMode;
  if (acc.hostname !== undefined) create.Hostname = acc.hostname;
  if (Object.keys(host).length) create.HostConfig = host;
  return create;
}
