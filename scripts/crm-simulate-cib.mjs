// What the crm_simulate fixture scripts share: running Pacemaker's and pcs's tools in a fixed
// environment (C locale, UTC, no CIB_file/CIB_shadow), checking their versions, a temp dir removed
// on exit, and the configuration every case starts from.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ENV = { ...process.env, LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8', TZ: 'UTC' };
delete ENV.CIB_file;
delete ENV.CIB_shadow;

/** Runs a tool; one that cannot run at all ends the script (`who` names it in the message). */
export function toolRunner(who) {
  return (cmd, args, env = ENV) => {
    const r = spawnSync(cmd, args, { env, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 });
    if (r.error) {
      console.error(`${who}: cannot run '${cmd}': ${r.error.code === 'ENOENT' ? 'not on PATH' : r.error.message}`);
      process.exit(2);
    }
    return r;
  };
}

/** The first line of each tool's --version; the script ends unless they are Pacemaker 2.1.5 and pcs 0.11.5. */
export function recordedTools(who, run, pacemakerTools) {
  const version = (cmd) => (run(cmd, ['--version']).stdout.split('\n')[0] || '').trim();
  const tools = Object.fromEntries([...pacemakerTools, 'pcs'].map((t) => [t, version(t)]));
  if (pacemakerTools.some((t) => !/Pacemaker 2\.1\.5/.test(tools[t])) || tools.pcs !== '0.11.5') {
    console.error(`${who}: these fixtures are recorded with Pacemaker 2.1.5 and pcs 0.11.5; found ${pacemakerTools.map((t) => `'${tools[t]}'`).join(', ')}, pcs '${tools.pcs}'`);
    process.exit(2);
  }
  return tools;
}

/** A temp dir removed when the script exits. */
export function tempDir(prefix) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
  return tmp;
}

/** `cibadmin --empty` with a <node id uname/> per node, stonith-enabled=false and quorum. */
export function baseCib(run, nodes) {
  let xml = run('cibadmin', ['--empty']).stdout;
  const nodeXml = Object.keys(nodes).map((n, i) => `      <node id="${i + 1}" uname="${n}"/>`).join('\n');
  xml = xml.replace('<nodes/>', `<nodes>\n${nodeXml}\n    </nodes>`);
  xml = xml.replace('<crm_config/>', `<crm_config>
      <cluster_property_set id="cib-bootstrap-options">
        <nvpair id="cib-bootstrap-options-stonith-enabled" name="stonith-enabled" value="false"/>
      </cluster_property_set>
    </crm_config>`);
  // Quorum as a running cluster of these nodes has it; crm_simulate reads it from here.
  return xml.replace('<cib ', '<cib have-quorum="1" ');
}

/** `pcs -f FILE ...`; a failure ends the case. */
export function pcsOn(run, file, argv) {
  const r = run('pcs', ['-f', file, ...argv]);
  if (r.status !== 0) throw new Error(`pcs ${argv.join(' ')} failed: ${r.stderr}`);
}

export function ipv4Add(start, n) {
  const v = start.split('.').reduce((a, p) => a * 256 + Number(p), 0) + n;
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}
