#!/usr/bin/env node
// Goldens of `pcs node utilization` and `pcs resource utilization` made by the REAL pcs 0.11.5:
//
//     node scripts/pcs-utilization-fixtures.mjs
//
// Each case (test/fixtures/pcs-utilization/<NN-name>/): input.xml (written here), the argv of
// `pcs -f FILE ...`, its exit code, stdout and stderr (case.json), and expected.xml (the file
// afterwards). test/commands/utilization.ts runs berth's commands on the same input.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.resolve(HERE, '..', 'test', 'fixtures', 'pcs-utilization');
const ENV = { ...process.env, LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8', TZ: 'UTC' };
delete ENV.CIB_file;
delete ENV.CIB_shadow;
const pcsVersion = spawnSync('pcs', ['--version'], { env: ENV, encoding: 'utf8' });
if (pcsVersion.error || pcsVersion.stdout.trim() !== '0.11.5') {
  console.error(`pcs-utilization-fixtures: these goldens are recorded with pcs 0.11.5; found '${pcsVersion.error ? 'no pcs' : pcsVersion.stdout.trim()}'`);
  process.exit(2);
}

const INPUT = `<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="5" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config/>
    <nodes>
      <node id="1" uname="node1"/>
      <node id="2" uname="node2">
        <instance_attributes id="nodes-2">
          <nvpair id="nodes-2-rack" name="rack" value="r1"/>
        </instance_attributes>
        <utilization id="nodes-2-utilization">
          <nvpair id="nodes-2-utilization-cpu" name="cpu" value="4"/>
          <nvpair id="nodes-2-utilization-memory" name="memory" value="2048"/>
        </utilization>
      </node>
      <node id="3" uname="node3">
        <instance_attributes id="nodes-3-utilization">
          <nvpair id="nodes-3-utilization-rack" name="rack" value="r2"/>
        </instance_attributes>
      </node>
    </nodes>
    <resources>
      <bundle id="web">
        <docker image="registry.example.com/web:1" replicas="2"/>
        <network ip-range-start="192.168.122.131"/>
        <primitive id="web-app" class="ocf" provider="heartbeat" type="Dummy"/>
      </bundle>
      <bundle id="db">
        <docker image="registry.example.com/db:1" replicas="1"/>
        <network ip-range-start="192.168.122.151"/>
        <primitive id="db-app" class="ocf" provider="heartbeat" type="Dummy">
          <utilization id="db-app-utilization">
            <nvpair id="db-app-utilization-cpu" name="cpu" value="2"/>
          </utilization>
        </primitive>
      </bundle>
    </resources>
    <constraints/>
  </configuration>
  <status/>
</cib>
`;

const CASES = [
  { name: 'node-new-set', description: 'a node without utilization: the set nodes-1-utilization, values in name order', argv: ['node', 'utilization', 'node1', 'memory=1024', 'cpu=2'] },
  { name: 'node-update-and-remove', description: 'one value changed, one removed (NAME=), one added', argv: ['node', 'utilization', 'node2', 'cpu=8', 'memory=', 'disk=100'] },
  { name: 'node-remove-all-keeps-set', description: 'removing every value keeps the emptied set', argv: ['node', 'utilization', 'node2', 'cpu=', 'memory='] },
  { name: 'node-remove-only-no-set', description: 'only removing on a node without a set: nothing changes', argv: ['node', 'utilization', 'node1', 'cpu='] },
  { name: 'node-set-id-taken', description: 'the set id nodes-3-utilization is taken: a unique one', argv: ['node', 'utilization', 'node3', 'cpu=4'] },
  { name: 'node-signed-values', description: 'signed integers are integers', argv: ['node', 'utilization', 'node1', 'cpu=+4', 'swap=-1'] },
  { name: 'node-not-integer', description: 'a value that is not an integer: refused, nothing changed', argv: ['node', 'utilization', 'node1', 'cpu=2.5'] },
  { name: 'node-unknown', description: 'an unknown node under -f', argv: ['node', 'utilization', 'nodeX', 'cpu=1'] },
  { name: 'node-missing-value', description: 'a word without =', argv: ['node', 'utilization', 'node1', 'cpu'] },
  { name: 'node-show-all', description: 'no node: every node with values', argv: ['node', 'utilization'] },
  { name: 'node-show-one', description: 'one node', argv: ['node', 'utilization', 'node2'] },
  { name: 'node-show-name', description: '--name: one value', argv: ['node', 'utilization', '--name', 'memory'] },
  { name: 'node-show-unknown', description: 'an unknown node', argv: ['node', 'utilization', 'nodeX'] },
  { name: 'resource-new-set', description: "the resource inside a bundle: the set web-app-utilization", argv: ['resource', 'utilization', 'web-app', 'cpu=1', 'memory=512'] },
  { name: 'resource-update', description: 'an existing set updated', argv: ['resource', 'utilization', 'db-app', 'cpu=3'] },
  { name: 'resource-bundle', description: 'a bundle is not a resource pcs sets utilization on', argv: ['resource', 'utilization', 'web', 'cpu=1'] },
  { name: 'resource-not-integer', description: 'a value that is not an integer', argv: ['resource', 'utilization', 'web-app', 'cpu=lots'] },
  { name: 'resource-show-all', description: 'every resource with values', argv: ['resource', 'utilization'] },
  { name: 'resource-show-one', description: 'one resource, even without values', argv: ['resource', 'utilization', 'web-app'] },
];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-pcs-utilization-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
CASES.forEach((c, i) => {
  const dir = path.join(OUT, `${String(i + 1).padStart(2, '0')}-${c.name}`);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(tmp, `${c.name}.xml`);
  fs.writeFileSync(file, INPUT);
  const r = spawnSync('pcs', ['-f', file, ...c.argv], { env: ENV, encoding: 'utf8' });
  fs.writeFileSync(path.join(dir, 'input.xml'), INPUT);
  fs.writeFileSync(path.join(dir, 'expected.xml'), fs.readFileSync(file, 'utf8'));
  const info = { name: c.name, description: c.description, tool: `pcs ${pcsVersion.stdout.trim()}`, argv: c.argv, exit: r.status, stdout: r.stdout, stderr: r.stderr };
  fs.writeFileSync(path.join(dir, 'case.json'), JSON.stringify(info, null, 2) + '\n');
  console.log(path.basename(dir));
});
