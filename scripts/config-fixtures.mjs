#!/usr/bin/env node
// Records what the REAL pcs prints for its config commands, on every CIB made by pcs in
// test/fixtures (and on a few more built here with pcs and cibadmin for what those lack), for
// test/commands/resource-config.ts and test/commands/constraint-config.ts. Tests never run pcs;
// they read what this script wrote to test/fixtures/<command>-config/:
//
//   inputs/<name>.xml       extra CIBs, built from `cibadmin --empty` by the steps in INPUTS below
//   cases.json              per case: the CIB (a path under test/fixtures), the ids asked for, the
//                           format (pcs's flags), pcs's exit code and stderr, the golden file, and
//                           the other CIBs with the same section (pcs's output depends on no other)
//   golden/<case>.<ext>     pcs's standard output, byte for byte
//
// Re-run from the repository root on a host with pcs 0.11.5 / Pacemaker 2.1.5 (Debian 12) and the
// ocf:pacemaker agents:   node scripts/config-fixtures.mjs [resource|constraint]
// (both without an argument). About a second per pcs call, a few minutes per command. Output is
// deterministic (constraint rules are judged expired against today's date by pcs: the recorded
// ones are far in the past or future). It refuses to run without pcs 0.11.5, and stops when an
// extra input cannot be built.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { toolRunner } from './tool-run.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = path.join(root, 'test', 'fixtures');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-rc-'));

const run = toolRunner(tmp);

const version = run('pcs', ['--version']).stdout.trim();
if (version !== '0.11.5') {
  console.error(`pcs 0.11.5 is needed, found '${version}'`);
  process.exit(1);
}
const pacemaker = run('crm_verify', ['--version']).stdout.split('\n')[0].trim();
const TOOL = `pcs ${version} / ${pacemaker}`;

// ---- extra inputs: what the recorded fixtures do not have ----

const pcsStep = (...argv) => ({ pcs: argv });
const cibStep = (...argv) => ({ cibadmin: argv });
const RESOURCE_INPUTS = {
  // every attribute pcs shows for an operation, quoting of values, utilization, a description,
  // group and clone meta, a clone of a group, a promotable clone, a stonith device (never shown)
  kinds: [
    pcsStep('property', 'set', 'stonith-enabled=false'),
    pcsStep('resource', 'create', 'q', 'ocf:pacemaker:Dummy', '--no-default-ops', 'fake=a b', 'state=x"y', `passwd=it's "both"`, 'op_sleep=ü=1',
      'op', 'monitor', 'interval=10s', 'role=Master', 'on-fail=restart', 'OCF_CHECK_LEVEL=10', 'timeout=20s',
      'op', 'start', 'interval=0s', 'start-delay=5s', 'enabled=false', 'record-pending=true',
      'op', 'stop', 'interval=0s', 'interval-origin=2s',
      'meta', 'target-role=Stopped', 'priority=5'),
    pcsStep('resource', 'utilization', 'q', 'cpu=2', 'memory=1024'),
    pcsStep('resource', 'create', 'g1', 'ocf:pacemaker:Dummy', '--no-default-ops', '--group', 'g'),
    pcsStep('resource', 'create', 'g2', 'ocf:pacemaker:Dummy', '--no-default-ops', '--group', 'g'),
    pcsStep('resource', 'meta', 'g', 'priority=3'),
    pcsStep('resource', 'clone', 'g', 'clone-max=2'),
    pcsStep('resource', 'create', 'p', 'ocf:pacemaker:Stateful', '--no-default-ops', 'promotable', 'p-clone', 'promoted-max=1'),
    pcsStep('stonith', 'create', 'st', 'fence_ack_manual', '--force'),
    pcsStep('resource', 'create', 'a0', 'ocf:pacemaker:Dummy', '--no-default-ops'),
    cibStep('--modify', '-X', '<group id="g" description="grp"/>'),
    cibStep('--modify', '-X', '<clone id="g-clone" description="cl"/>'),
    cibStep('--modify', '-X', '<primitive id="q" description="the q"/>'),
  ],
  // what pcs 0.11.5 cannot create: <master> (with and without meta), a primitive without a
  // provider, several meta sets (only the first is shown) with an option, an empty set
  legacy: [
    pcsStep('property', 'set', 'stonith-enabled=false'),
    cibStep('--create', '-o', 'resources', '-X', '<master id="ms"><meta_attributes id="ms-meta"><nvpair id="ms-meta-notify" name="notify" value="true"/></meta_attributes><primitive id="msr" class="ocf" provider="pacemaker" type="Stateful"/></master>'),
    cibStep('--create', '-o', 'resources', '-X', '<master id="ms2"><primitive id="msr2" class="ocf" provider="pacemaker" type="Stateful"/></master>'),
    cibStep('--create', '-o', 'resources', '-X', '<primitive id="sp" class="systemd" type="sshd"><meta_attributes id="sp-meta-2" score="10"><nvpair id="sp-b" name="b" value="2"/><nvpair id="sp-a" name="a" value="1"/></meta_attributes><meta_attributes id="sp-meta-3"><nvpair id="sp-c" name="c" value="3"/></meta_attributes><instance_attributes id="sp-empty"/></primitive>'),
    pcsStep('resource', 'create', 'cl', 'ocf:pacemaker:Dummy', '--no-default-ops', 'clone'),
  ],
  // a podman bundle with the deprecated masters, add-host=false (forced), a description
  bundle: [
    pcsStep('property', 'set', 'stonith-enabled=false'),
    pcsStep('resource', 'bundle', 'create', 'bd', 'container', 'podman', 'image=img:1', 'masters=2', 'run-command=/bin/run -x', 'network', 'control-port=3121', 'add-host=false', 'port-map', 'port=80', 'storage-map', 'source-dir=/a', 'target-dir=/b', 'meta', 'priority=1', '--force'),
    pcsStep('resource', 'create', 'bdr', 'ocf:pacemaker:Dummy', '--no-default-ops', 'bundle', 'bd'),
    pcsStep('resource', 'bundle', 'create', 'bn', 'container', 'docker', 'image=img:2', 'network=host', 'replicas-per-host=1', 'network', 'host-interface=eth0', 'host-netmask=24', 'ip-range-start=10.0.0.1', 'add-host=true', '--force'),
    cibStep('--modify', '-X', '<bundle id="bd" description="a &quot;bundle&quot;"/>'),
  ],
};

// rules inside attribute sets (pcs cannot write them): every kind of expression pcs prints, nested
Object.assign(RESOURCE_INPUTS, {
  rules: [
    pcsStep('property', 'set', 'stonith-enabled=false'),
    cibStep('--create', '-o', 'resources', '-X', '<primitive id="ru" class="ocf" provider="pacemaker" type="Dummy"><instance_attributes id="ru-ia" score="5"><rule id="ru-ia-rule" boolean-op="or" score="10"><expression id="ru-ia-e1" attribute="#uname" operation="eq" value="node one"/><date_expression id="ru-ia-d1" operation="date_spec"><date_spec id="ru-ia-ds" hours="9-17" weekdays="1-5"/></date_expression><rule id="ru-ia-r2"><date_expression id="ru-ia-d2" operation="in_range" start="2020-01-01"><duration id="ru-ia-du" years="500"/></date_expression><expression id="ru-ia-e2" attribute="pingd" operation="defined"/><date_expression id="ru-ia-d3" operation="gt" start="2001-01-01"/><expression id="ru-ia-e3" attribute="x" operation="lt" type="integer" value="5"/></rule></rule><nvpair id="ru-ia-a" name="fake" value="1"/></instance_attributes><meta_attributes id="ru-meta"><rule id="ru-meta-rule"><date_expression id="ru-meta-d" operation="in_range" start="2001-01-01" end="2999-01-01"/></rule><nvpair id="ru-meta-p" name="priority" value="3"/></meta_attributes></primitive>'),
  ],
});

// a location rule that expired long ago (pcs hides it without --all), one in effect, one in the future
const CONSTRAINT_INPUTS = {
  expired: [
    pcsStep('property', 'set', 'stonith-enabled=false'),
    pcsStep('resource', 'create', 'R', 'ocf:pacemaker:Dummy', '--no-default-ops'),
    pcsStep('constraint', 'location', 'R', 'rule', 'score=5', 'date', 'lt', '2001-01-01'),
    pcsStep('constraint', 'location', 'R', 'rule', 'score=7', '#uname', 'eq', 'n1'),
    pcsStep('constraint', 'location', 'R', 'rule', 'score=9', 'date', 'gt', '2999-01-01'),
  ],
};

// ---- the commands ----

const SELECT = [
  ['bundle-with-primitive', 'pcs/inputs/bundles.xml', ['web']],
  ['primitive-in-bundle', 'pcs/inputs/bundles.xml', ['web-app']],
  ['several-unsorted', 'pcs/inputs/rich.xml', ['httpd-bundle', 'web-group', 'vip', 'ping-clone', 'web-svc']],
  ['group', 'resource-config/inputs/kinds.xml', ['g']],
  ['group-and-member', 'resource-config/inputs/kinds.xml', ['g', 'g2']],
  ['clone-of-group', 'resource-config/inputs/kinds.xml', ['g-clone']],
  ['promotable', 'resource-config/inputs/kinds.xml', ['p-clone', 'q']],
  ['master', 'resource-config/inputs/legacy.xml', ['ms', 'sp']],
  ['repeated-id', 'resource-config/inputs/kinds.xml', ['q', 'q']],
  ['missing', 'resource-config/inputs/kinds.xml', ['nope']],
  ['found-and-missing', 'resource-config/inputs/kinds.xml', ['q', 'nope']],
  ['stonith', 'resource-config/inputs/kinds.xml', ['st']],
];

/**
 * Per command: where its fixtures go, the CIB section its output depends on, pcs's flags per
 * format with the golden's extension, extra inputs, and cases that ask for ids.
 */
const COMMANDS = {
  resource: {
    argv: ['resource', 'config'],
    section: 'resources',
    formats: { text: { flags: [], ext: 'txt' }, cmd: { flags: ['--output-format', 'cmd'], ext: 'cmd' }, json: { flags: ['--output-format', 'json'], ext: 'json' } },
    inputs: RESOURCE_INPUTS,
    select: SELECT,
  },
  constraint: {
    argv: ['constraint', 'config'],
    section: 'constraints',
    formats: { text: { flags: [], ext: 'txt' }, full: { flags: ['--full'], ext: 'full.txt' }, all: { flags: ['--all'], ext: 'all.txt' }, 'full-all': { flags: ['--full', '--all'], ext: 'full-all.txt' } },
    inputs: CONSTRAINT_INPUTS,
    select: [],
  },
};

function buildInputs(out, inputs) {
  fs.mkdirSync(path.join(out, 'inputs'), { recursive: true });
  for (const [name, steps] of Object.entries(inputs)) {
    const file = path.join(tmp, `${name}.xml`);
    fs.writeFileSync(file, run('cibadmin', ['--empty']).stdout);
    for (const s of steps) {
      const r = s.pcs ? run('pcs', ['-f', file, ...s.pcs]) : run('cibadmin', s.cibadmin, { CIB_file: file });
      if (r.exit !== 0) {
        console.error(`input ${name}: ${JSON.stringify(s)} failed:\n${r.stderr}`);
        process.exit(1);
      }
    }
    const v = run('crm_verify', ['--xml-file', file]);
    if (v.exit !== 0) {
      console.error(`input ${name} does not pass crm_verify:\n${v.stderr}`);
      process.exit(1);
    }
    fs.copyFileSync(file, path.join(out, 'inputs', `${name}.xml`));
  }
}

/** Every pcs-made CIB under test/fixtures, as paths relative to it. */
function pcsMadeCibs() {
  const SOURCES = ['pcs', 'resource-create', 'property-constraint', 'crm_simulate', 'resource-config/inputs', 'constraint-config/inputs'];
  const files = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.xml') && /^\s*(<\?xml[^>]*\?>\s*)?<cib[\s>]/.test(fs.readFileSync(p, 'utf8'))) files.push(path.relative(fixtures, p));
    }
  };
  for (const s of SOURCES) if (fs.existsSync(path.join(fixtures, s))) walk(path.join(fixtures, s));
  return files;
}

const caseName = (f) => f.replace(/\.xml$/, '').replace(/[^A-Za-z0-9_.-]+/g, '--');

function recordCommand(name) {
  const c = COMMANDS[name];
  const out = path.join(fixtures, `${name}-config`);
  const files = pcsMadeCibs();
  // one case per distinct section (whitespace between tags aside)
  const sectionOf = (text) => (text.match(new RegExp(`<${c.section}\\s*/>|<${c.section}>[\\s\\S]*?</${c.section}>`)) ?? [''])[0].replace(/>\s+</g, '><');
  const distinct = new Map();
  for (const f of files) {
    const key = sectionOf(fs.readFileSync(path.join(fixtures, f), 'utf8'));
    if (!distinct.has(key)) distinct.set(key, []);
    distinct.get(key).push(f);
  }

  const record = (caseId, cib, ids, format, same) => {
    const file = path.join(tmp, 'cib.xml');
    fs.copyFileSync(path.join(fixtures, cib), file);
    const argv = [...c.argv, ...ids, ...c.formats[format].flags];
    const r = run('pcs', ['-f', file, ...argv]);
    const golden = `golden/${caseId}.${c.formats[format].ext}`;
    fs.writeFileSync(path.join(out, golden), r.stdout);
    return { name: caseId, cib, argv, ids, format, exit: r.exit, stderr: r.stderr, golden, ...(same.length ? { same } : {}) };
  };

  fs.rmSync(path.join(out, 'golden'), { recursive: true, force: true });
  fs.mkdirSync(path.join(out, 'golden'));
  const cases = [];
  for (const [, paths] of distinct) {
    const [cib, ...same] = paths;
    for (const format of Object.keys(c.formats)) cases.push(record(caseName(cib), cib, [], format, same));
  }
  for (const [label, cib, ids] of c.select) for (const format of Object.keys(c.formats)) cases.push(record(`select-${label}`, cib, ids, format, []));
  fs.writeFileSync(path.join(out, 'cases.json'), JSON.stringify({ tool: TOOL, cases }, null, 1) + '\n');
  console.log(`${name} config: ${distinct.size} distinct <${c.section}> of ${files.length} CIBs, ${cases.length} cases`);
}

const wanted = process.argv.slice(2);
for (const w of wanted) if (!(w in COMMANDS)) {
  console.error(`unknown command '${w}': use ${Object.keys(COMMANDS).join(' or ')}`);
  process.exit(2);
}
// every command's inputs first: each command records every pcs-made CIB, the others' inputs too
for (const [name, c] of Object.entries(COMMANDS)) buildInputs(path.join(fixtures, `${name}-config`), c.inputs);
for (const name of wanted.length ? wanted : Object.keys(COMMANDS)) recordCommand(name);
fs.rmSync(tmp, { recursive: true, force: true });
