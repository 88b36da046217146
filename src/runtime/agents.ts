// The resource agents installed on this node, read the way Pacemaker reads them: the
// `AgentCatalog` that src/cib/agent.ts (pure: names, metadata, default operations) asks.
//
// What berth reads metadata of:
// - ocf:PROVIDER:TYPE — runs `$OCF_ROOT/resource.d/PROVIDER/TYPE meta-data` (OCF_ROOT defaults to
//   /usr/lib/ocf; 5 s timeout) with the environment Pacemaker gives it.
// - lsb:TYPE and service:TYPE — the metadata Pacemaker generates for an init script in /etc/init.d
//   (fixed actions, no parameters); service: resolves to the init script as it does without systemd.
// - systemd, upstart, nagios, heartbeat: no metadata (pcs reports that as a forceable error, as it
//   does on a node whose Pacemaker lacks the class).
// - stonith: refused by `resource create` (fence devices are not berth's business).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AgentCatalog, AgentListing, AgentName, fullAgentName } from '../cib/agent';

export interface SystemCatalogOptions {
  ocfRoot?: string;
  lsbRoot?: string;
  timeoutMs?: number;
}

const SAFE_SEGMENT = /^(?!\.\.?$)[^/\0]+$/;

function executableFiles(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => {
    if (n.startsWith('.')) return false;
    try {
      const full = path.join(dir, n);
      if (!fs.statSync(full).isFile()) return false;
      fs.accessSync(full, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function subdirectories(dir: string): string[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).filter((d) => !d.name.startsWith('.') && (d.isDirectory() || (d.isSymbolicLink() && isDir(path.join(dir, d.name))))).map((d) => d.name);
  } catch {
    return [];
  }
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

const byLower = (a: string, b: string) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0);
const xmlAttr = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);

/** The metadata Pacemaker 2.1 generates for an LSB init script (services_lsb.c): fixed actions. */
export function lsbMetadataXml(type: string): string {
  return `<?xml version="1.0"?>
<resource-agent name="${xmlAttr(type)}" version="0.1">
  <version>1.0</version>
  <longdesc lang="en"/>
  <shortdesc lang="en"/>
  <parameters/>
  <actions>
    <action name="meta-data" timeout="5"/>
    <action name="start" timeout="15"/>
    <action name="stop" timeout="15"/>
    <action name="status" timeout="15"/>
    <action name="restart" timeout="15"/>
    <action name="force-reload" timeout="15"/>
    <action name="monitor" timeout="15" interval="15"/>
  </actions>
  <special tag="LSB"/>
</resource-agent>
`;
}

/** Agents installed on this node, read the way Pacemaker reads them. Nothing is cached. */
export function systemCatalog(o: SystemCatalogOptions = {}): AgentCatalog {
  const ocfRoot = o.ocfRoot ?? process.env.OCF_ROOT ?? '/usr/lib/ocf';
  const lsbRoot = o.lsbRoot ?? '/etc/init.d';
  const timeout = o.timeoutMs ?? 5000;
  return {
    metadataXml(name) {
      if (name.standard === 'ocf') return ocfMetadata(ocfRoot, name, timeout);
      if (name.standard === 'lsb' || name.standard === 'service') {
        const file = name.type.startsWith('/') ? name.type : path.join(lsbRoot, name.type);
        try {
          fs.accessSync(file, fs.constants.R_OK);
          if (!fs.statSync(file).isFile()) return { error: `${file} is not a file` };
        } catch {
          return { error: `no init script ${file}` };
        }
        return { xml: lsbMetadataXml(name.type) };
      }
      return { error: `berth reads metadata of ocf, lsb and service agents only, not of ${name.standard} agents` };
    },
    list() {
      const out: AgentListing[] = [];
      const lsb = executableFiles(lsbRoot).sort(byLower);
      out.push({ standard: 'lsb', types: lsb });
      for (const provider of subdirectories(path.join(ocfRoot, 'resource.d')).sort(byLower)) {
        out.push({ standard: 'ocf', provider, types: executableFiles(path.join(ocfRoot, 'resource.d', provider)).sort(byLower) });
      }
      out.push({ standard: 'service', types: lsb });
      return out;
    },
  };
}

function ocfMetadata(ocfRoot: string, name: AgentName, timeout: number): { xml: string } | { error: string } {
  const provider = name.provider ?? '';
  // The name becomes a path: no separators and no dot segments, so nothing outside resource.d runs.
  if (!SAFE_SEGMENT.test(provider) || !SAFE_SEGMENT.test(name.type)) return { error: `'${fullAgentName(name)}' does not name a file under ${ocfRoot}/resource.d` };
  const file = path.join(ocfRoot, 'resource.d', provider, name.type);
  try {
    if (!fs.statSync(file).isFile()) return { error: `${file} is not a file` };
    fs.accessSync(file, fs.constants.X_OK);
  } catch {
    return { error: `${file} does not exist or is not executable` };
  }
  try {
    const xml = execFileSync(file, ['meta-data'], {
      encoding: 'utf8',
      timeout,
      maxBuffer: 16 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        OCF_ROOT: ocfRoot,
        OCF_RA_VERSION_MAJOR: '1',
        OCF_RA_VERSION_MINOR: '1',
        OCF_RESOURCE_TYPE: name.type,
        OCF_RESOURCE_PROVIDER: provider,
        OCF_RESOURCE_INSTANCE: name.type,
        PATH: `/usr/sbin:/usr/bin:/sbin:/bin${process.env.PATH ? `:${process.env.PATH}` : ''}`,
      },
    });
    if (!xml.trim()) return { error: `${file} meta-data printed nothing` };
    return { xml: xml.trim() };
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { status?: number | null; signal?: string | null; stderr?: string };
    if (err.code === 'ETIMEDOUT' || err.signal === 'SIGTERM') return { error: `${file} meta-data did not finish within ${timeout / 1000} s` };
    const why = String(err.stderr ?? '').trim();
    return { error: `${file} meta-data failed${err.status != null ? ` with exit code ${err.status}` : ''}${why ? `: ${why}` : ''}` };
  }
}
