#!/usr/bin/env node
// Builds the corpus of CIBs that Pacemaker accepts, with the REAL tools, for test/cib/corpus.ts
// (berth loads each, round-trips it XML -> JSON -> XML, and says what it does not act on) and
// test/controller/plan-from-status.ts (a running cluster's CIB planned on each of its nodes).
// Tests never run the tools; they read what this script wrote to test/fixtures/corpus/:
//
//   <case>/cib.xml          `cibadmin --empty` (with have-quorum="1" where the case runs or asks), then the steps in CASES below (cibadmin with
//                           CIB_file, pcs -f, crm_attribute with CIB_file), then
//                           `cibadmin --upgrade --force` where the case starts from an older schema
//   <case>/running.xml      where the case has nodes: cib.xml after `crm_simulate --in-place` until
//                           a transition has nothing to do, i.e. the CIB of the cluster once
//                           Pacemaker started everything, with the status section it writes
//   <case>/running.sim.xml  `crm_simulate --xml-file running.xml --simulate --output-as=xml`: where
//                           each replica runs, and that nothing moves (an empty transition)
//   <case>/case.json        what the case covers, the steps, the tool versions, crm_verify's
//                           verdict on cib.xml (and running.xml)
//   refused/<case>/         the same for CIBs Pacemaker accepts and berth refuses with a code
//   schema-names.json       the elements and attributes of Pacemaker's schema (its RNG files)
//
// Re-run from the repository root on a host with pcs 0.11.5 / Pacemaker 2.1.5 (Debian 12):
//   node scripts/corpus-fixtures.mjs [FILTER]
// It refuses to run with other versions and stops when a step fails or crm_verify refuses a case.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { toolRunner } from './tool-run.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'test', 'fixtures', 'corpus');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-corpus-'));

const run = toolRunner(tmp);

const pcsVersion = run('pcs', ['--version']).stdout.trim();
const pacemaker = run('crm_verify', ['--version']).stdout.split('\n')[0].trim();
if (pcsVersion !== '0.11.5' || !pacemaker.includes('2.1.5')) {
  console.error(`pcs 0.11.5 and Pacemaker 2.1.5 are needed, found pcs '${pcsVersion}', '${pacemaker}'`);
  process.exit(1);
}
const TOOLS = { pcs: pcsVersion, pacemaker, cibadmin: run('cibadmin', ['--version']).stdout.split('\n')[0].trim() };

const cib = (...argv) => ({ cibadmin: argv });
const create = (section, xml) => cib('--create', '-o', section, '-X', xml);
const pcs = (...argv) => ({ pcs: argv });
const attr = (...argv) => ({ crm_attribute: argv });
const property = (name, value) => create('crm_config', `<cluster_property_set id="p-${name}"><nvpair id="p-${name}-v" name="${name}" value="${value}"/></cluster_property_set>`);
const nodes = (...names) => names.map((n, i) => create('nodes', `<node id="${i + 1}" uname="${n}"/>`));
// node_state as the controller writes it when members join (crm_simulate reads members from it)
const members = (...names) => names.map((n, i) => create('status', `<node_state id="${i + 1}" uname="${n}" in_ccm="true" crmd="online" join="member" expected="member"/>`));
const noStonith = property('stonith-enabled', 'false');

/** name → { about, steps, upgradeFrom? (an older schema the empty CIB starts from) } */
const CASES = {
  'templates': {
    about: 'resource templates: a primitive and the resource inside a bundle defined from a <template> (no class/type of their own), operations merged',
    steps: [
      noStonith,
      create('resources', '<template id="apache-t" class="ocf" provider="heartbeat" type="apache"><instance_attributes id="apache-t-ia"><nvpair id="apache-t-ia-conf" name="configfile" value="/etc/apache2/apache2.conf"/></instance_attributes><operations><op id="apache-t-mon" name="monitor" interval="30s" timeout="20s"/><op id="apache-t-start" name="start" interval="0s" timeout="40s"/></operations></template>'),
      create('resources', '<primitive id="site" template="apache-t"><operations><op id="site-mon" name="monitor" interval="30s" timeout="9s"/></operations></primitive>'),
      pcs('resource', 'bundle', 'create', 'web', 'container', 'docker', 'image=berth-test/httpd:1', 'replicas=2', 'network', 'control-port=3121'),
      cib('--modify', '-X', '<bundle id="web"><primitive id="web-httpd" template="apache-t"/></bundle>'),
    ],
  },
  'id-refs': {
    about: 'references: nvpair id-ref (with and without a name of its own), meta_attributes / instance_attributes id-ref, rule id-ref, resource_set id-ref',
    steps: [
      noStonith,
      ...nodes('node1', 'node2'),
      cib('--create', '-o', 'configuration', '-X', '<rsc_defaults><meta_attributes id="shared"><nvpair id="shared-stick" name="resource-stickiness" value="7"/><nvpair id="shared-prio" name="priority" value="2"/></meta_attributes></rsc_defaults>'),
      pcs('resource', 'bundle', 'create', 'a', 'container', 'docker', 'image=berth-test/httpd:1', 'replicas=1'),
      pcs('resource', 'bundle', 'create', 'b', 'container', 'docker', 'image=berth-test/httpd:1', 'replicas=1'),
      cib('--modify', '-X', '<bundle id="a"><meta_attributes id="a-meta"><nvpair id-ref="shared-stick"/><nvpair id-ref="shared-prio" name="priority"/></meta_attributes></bundle>'),
      cib('--modify', '-X', '<bundle id="b"><meta_attributes id-ref="a-meta"/></bundle>'),
      create('constraints', '<rsc_location id="loc-a" rsc="a"><rule id="prefer-node2" score="50"><expression id="prefer-node2-e" attribute="#uname" operation="eq" value="node2"/></rule></rsc_location>'),
      create('constraints', '<rsc_location id="loc-b" rsc="b"><rule id-ref="prefer-node2"/></rsc_location>'),
      create('constraints', '<rsc_colocation id="col" score="INFINITY"><resource_set id="ab"><resource_ref id="a"/><resource_ref id="b"/></resource_set></rsc_colocation>'),
      create('constraints', '<rsc_order id="ord"><resource_set id-ref="ab"/></rsc_order>'),
    ],
  },
  'clone-status': {
    about: "the status section as Pacemaker's attribute manager and controller write it: clone instance ids with ':' (fail counts of pingd:0), transient attributes set with crm_attribute, a clone and its history",
    steps: [
      noStonith,
      ...nodes('node1', 'node2'),
      ...members('node1', 'node2'),
      create('resources', '<clone id="pingd-clone"><primitive id="pingd" class="ocf" provider="pacemaker" type="ping"><instance_attributes id="pingd-ia"><nvpair id="pingd-ia-host" name="host_list" value="127.0.0.1"/></instance_attributes></primitive></clone>'),
      attr('--node', 'node1', '--lifetime', 'reboot', '--name', 'pingd', '--update', '1000'),
      attr('--node', 'node1', '--lifetime', 'forever', '--name', 'rack', '--update', 'r1'),
      cib('--modify', '-X', '<node_state id="1"><transient_attributes id="1"><instance_attributes id="status-1"><nvpair id="status-1-fail-count-pingd:0.monitor_30000" name="fail-count-pingd:0#monitor_30000" value="1"/><nvpair id="status-1-last-failure-pingd:0.monitor_30000" name="last-failure-pingd:0#monitor_30000" value="1700000000"/></instance_attributes></transient_attributes><lrm id="1"><lrm_resources><lrm_resource id="pingd:0" class="ocf" provider="pacemaker" type="ping"><lrm_rsc_op id="pingd:0_last_0" operation_key="pingd:0_start_0" operation="start" crm-debug-origin="do_update_resource" crm_feature_set="3.16.1" transition-key="1:0:0:00000000-0000-0000-0000-000000000000" transition-magic="0:0;1:0:0:00000000-0000-0000-0000-000000000000" exit-reason="" on_node="node1" call-id="6" rc-code="0" op-status="0" interval="0" last-rc-change="1700000000" exec-time="20" queue-time="0" op-digest="00000000000000000000000000000000"/></lrm_resource></lrm_resources></lrm></node_state>'),
    ],
  },
  'rules': {
    about: 'rules and expressions where the schema allows them: meta_attributes of a bundle and rsc_defaults with rules, a cluster_property_set with a rule, op_defaults, location rules with date expressions, node attributes, boolean-op',
    steps: [
      noStonith,
      ...nodes('node1', 'node2'),
      create('crm_config', '<cluster_property_set id="night" score="10"><rule id="night-r" score="0"><date_expression id="night-d" operation="date_spec"><date_spec id="night-ds" hours="0-6"/></date_expression></rule><nvpair id="night-m" name="maintenance-mode" value="false"/></cluster_property_set>'),
      cib('--create', '-o', 'configuration', '-X', '<rsc_defaults><meta_attributes id="def-rule"><rule id="def-rule-r" score="0" boolean-op="or"><expression id="def-rule-e" attribute="#uname" operation="eq" value="node1"/><date_expression id="def-rule-d" operation="lt" end="2030-01-01"/></rule><nvpair id="def-rule-stick" name="resource-stickiness" value="100"/></meta_attributes></rsc_defaults>'),
      cib('--create', '-o', 'configuration', '-X', '<op_defaults><meta_attributes id="op-def"><nvpair id="op-def-timeout" name="timeout" value="40s"/></meta_attributes></op_defaults>'),
      pcs('resource', 'bundle', 'create', 'web', 'container', 'docker', 'image=berth-test/httpd:1', 'replicas=2'),
      cib('--modify', '-X', '<bundle id="web"><meta_attributes id="web-weekdays"><rule id="web-weekdays-r" score="0"><date_expression id="web-weekdays-d" operation="date_spec"><date_spec id="web-weekdays-ds" weekdays="1-5"/></date_expression></rule><nvpair id="web-weekdays-prio" name="priority" value="5"/></meta_attributes></bundle>'),
      create('constraints', '<rsc_location id="web-until" rsc="web"><rule id="web-until-r" score="INFINITY" boolean-op="and"><expression id="web-until-e" attribute="#uname" operation="ne" value="node2"/><date_expression id="web-until-d" operation="in_range" start="2020-01-01" end="2099-01-01"/></rule></rsc_location>'),
    ],
  },
  'kept-sections': {
    about: 'what berth keeps and writes back but does not act on: a resource that is no bundle, a group, a tag, ACLs, alerts, fencing levels, a ticket constraint, utilization, a description',
    steps: [
      noStonith,
      ...nodes('node1', 'node2'),
      create('resources', '<group id="g" description="two dummies"><primitive id="d1" class="ocf" provider="pacemaker" type="Dummy"/><primitive id="d2" class="ocf" provider="pacemaker" type="Dummy"/></group>'),
      create('resources', '<primitive id="fence1" class="stonith" type="fence_dummy"/>'),
      cib('--create', '-o', 'configuration', '-X', '<tags><tag id="tagged"><obj_ref id="d1"/><obj_ref id="d2"/></tag></tags>'),
      cib('--create', '-o', 'configuration', '-X', '<acls><acl_role id="ro"><acl_permission id="ro-read" kind="read" xpath="/cib"/></acl_role><acl_target id="alice"><role id="ro"/></acl_target></acls>'),
      cib('--create', '-o', 'configuration', '-X', '<alerts><alert id="mail" path="/usr/share/pacemaker/alerts/alert_smtp.sh.sample"><recipient id="mail-to" value="ops@example.invalid"/></alert></alerts>'),
      cib('--create', '-o', 'configuration', '-X', '<fencing-topology><fencing-level id="fl1" target="node1" index="1" devices="fence1"/></fencing-topology>'),
      create('constraints', '<rsc_ticket id="tk" rsc="g" ticket="t1"/>'),
      pcs('resource', 'bundle', 'create', 'web', 'container', 'podman', 'image=berth-test/httpd:1', 'replicas=2', 'meta', 'description=x'),
    ],
  },
  'openstack-bundles': {
    about: 'bundles as OpenStack deploys them: three controllers, podman and docker, network=host with control-port, run-command kolla_start, --ipc=host (allowed by berth-host-access), --log-driver=k8s-file, --user=root, storage options rw,z and ro,Z, a resource inside, resource-stickiness INFINITY',
    steps: [
      noStonith,
      property('berth-host-access', 'host-ipc'),
      ...nodes('controller-0', 'controller-1', 'controller-2'),
      ...members('controller-0', 'controller-1', 'controller-2'),
      cib('--create', '-o', 'configuration', '-X', '<rsc_defaults><meta_attributes id="rsc-options"><nvpair id="rsc-options-stick" name="resource-stickiness" value="INFINITY"/></meta_attributes></rsc_defaults>'),
      create('resources', '<bundle id="haproxy-bundle"><podman image="berth-test/httpd:1" replicas="3" network="host" options="--ipc=host --log-driver=k8s-file --user=root -e KOLLA_CONFIG_STRATEGY=COPY_ALWAYS" run-command="/bin/bash /usr/local/bin/kolla_start"/><network control-port="3121"/><storage><storage-mapping id="haproxy-cfg" source-dir="/var/lib/kolla/config_files/haproxy.json" target-dir="/var/lib/kolla/config_files/config.json" options="ro,Z"/><storage-mapping id="haproxy-log" source-dir="/var/log/containers/haproxy" target-dir="/var/log/haproxy" options="rw,z"/></storage></bundle>'),
      create('resources', '<bundle id="galera-bundle"><docker image="berth-test/httpd:1" replicas="3" replicas-per-host="1" network="host" options="--user=root --log-driver=k8s-file" run-command="/bin/bash /usr/local/bin/kolla_start"/><network control-port="3123"/><storage><storage-mapping id="galera-data" source-dir="/var/lib/mysql" target-dir="/var/lib/mysql" options="rw,z"/></storage><primitive id="galera" class="ocf" provider="heartbeat" type="Dummy"><operations><op id="galera-mon" name="monitor" interval="20s" timeout="30s"/></operations></primitive></bundle>'),
    ],
    running: true,
  },
  'three-nodes-addressed': {
    about: 'a docker bundle with addresses on three nodes, one replica per node, port mapping, and a location preference',
    steps: [
      noStonith,
      ...nodes('node1', 'node2', 'node3'),
      ...members('node1', 'node2', 'node3'),
      pcs('resource', 'bundle', 'create', 'web', 'container', 'docker', 'image=berth-test/httpd:1', 'replicas=3', 'network', 'ip-range-start=192.168.122.131', 'port-map', 'port=80', 'storage-map', 'source-dir-root=/srv/web', 'target-dir=/srv', 'options=rw,z'),
      pcs('resource', 'bundle', 'create', 'db', 'container', 'docker', 'image=berth-test/httpd:1', 'replicas=2'),
      pcs('constraint', 'location', 'db', 'prefers', 'node3=100'),
    ],
    running: true,
  },
  'three-nodes-after-failover': {
    about: 'the cluster of three-nodes-addressed after node1 failed and came back: its replicas moved to the other nodes and stay there (Pacemaker keeps clone and bundle instances where they run), so where they run is not where a fresh cluster would put them',
    steps: [
      noStonith,
      ...nodes('node1', 'node2', 'node3'),
      ...members('node1', 'node2', 'node3'),
      pcs('resource', 'bundle', 'create', 'web', 'container', 'docker', 'image=berth-test/httpd:1', 'replicas=2', 'network', 'ip-range-start=192.168.122.131', 'port-map', 'port=80'),
      pcs('resource', 'bundle', 'create', 'db', 'container', 'docker', 'image=berth-test/httpd:1', 'replicas=1'),
      cib('--create', '-o', 'configuration', '-X', '<rsc_defaults><meta_attributes id="stick"><nvpair id="stick-v" name="resource-stickiness" value="100"/></meta_attributes></rsc_defaults>'),
    ],
    running: true,
    // node1 fails and is fenced (the DC then erases its resource history, as cibadmin does here),
    // and comes back
    history: [['--node-fail', 'node1'], cib('--delete', '--xpath', "//node_state[@uname='node1']/lrm"), ['--node-up', 'node1']],
  },
  'counts-below-one': {
    about: 'replicas and replicas-per-host below 1, which Pacemaker reads as 1 (replicas="0" even beside promoted-max="2"): one replica each, one per node',
    steps: [
      noStonith,
      ...nodes('node1', 'node2', 'node3'),
      ...members('node1', 'node2', 'node3'),
      create('resources', '<bundle id="zero"><docker image="berth-test/httpd:1" replicas="0"/></bundle>'),
      create('resources', '<bundle id="negative"><docker image="berth-test/httpd:1" replicas="-2" promoted-max="2"/></bundle>'),
      create('resources', '<bundle id="per-host"><docker image="berth-test/httpd:1" replicas="3" replicas-per-host="0"/></bundle>'),
    ],
    running: true,
  },
  'old-schema': {
    about: 'a CIB written for pacemaker-2.10 with the syntax of its time (a master resource, role Master, masters= in a bundle), upgraded with cibadmin --upgrade --force',
    upgradeFrom: 'pacemaker-2.10',
    steps: [
      noStonith,
      ...nodes('node1', 'node2'),
      create('resources', '<master id="ms"><meta_attributes id="ms-meta"><nvpair id="ms-meta-notify" name="notify" value="true"/></meta_attributes><primitive id="stateful" class="ocf" provider="pacemaker" type="Stateful"/></master>'),
      create('resources', '<bundle id="legacy"><docker image="berth-test/httpd:1" masters="1" replicas="2"/></bundle>'),
      create('constraints', '<rsc_location id="ms-loc" rsc="ms" role="Master" node="node1" score="10"/>'),
    ],
  },
  'schema-sweep': {
    about: "every element and attribute of Pacemaker's schema (pacemaker-3.9, the one cibadmin --empty writes) that the other cases leave out, in forms berth accepts: descriptions, every op attribute, operations by id-ref, utilization, clone/master/template, every bundle and network attribute, rkt, rsc_pattern, resource-discovery, score-attribute, value-source, lifetime, every date_spec field, duration, rsc_expression, op_expression, set attributes, ticket loss-policy, acl_group and ACL permissions, alert selections, fencing levels by pattern and attribute",
    quorum: true, // with a fencing device, crm_verify warns of no quorum
    steps: [
      noStonith,
      cib('--create', '-o', 'nodes', '-X', '<node id="1" uname="sw-n" type="member" description="a node"/>'),
      create('resources', '<primitive id="sw-st" class="stonith" type="fence_dummy"/>'),
      create('resources', '<primitive id="sw-p" class="ocf" provider="pacemaker" type="Dummy" description="a primitive"><operations id="sw-ops"><op id="sw-p-mon" name="monitor" interval="10s" description="watch" enabled="true" on-fail="restart" record-pending="true" role="Started" start-delay="0s" timeout="20s"/><op id="sw-p-mon2" name="monitor" interval="1h" interval-origin="02:00"/></operations><utilization id="sw-p-u"><nvpair id="sw-p-u-cpu" name="cpu" value="1"/></utilization></primitive>'),
      create('resources', '<primitive id="sw-p2" class="ocf" provider="pacemaker" type="Dummy"><operations id-ref="sw-ops"/></primitive>'),
      create('resources', '<clone id="sw-clone" description="a clone"><primitive id="sw-c" class="ocf" provider="pacemaker" type="Dummy"/></clone>'),
      create('resources', '<master id="sw-ms" description="a promotable clone, as older CIBs write it"><primitive id="sw-m" class="ocf" provider="pacemaker" type="Stateful"/></master>'),
      create('resources', '<template id="sw-t" class="ocf" provider="pacemaker" type="Dummy" description="a template"/>'),
      create('resources', '<bundle id="sw-b" description="a bundle"><docker image="berth-test/httpd:1" replicas="2" promoted-max="0" replicas-per-host="2"/><network ip-range-start="192.168.122.200" host-interface="eth0" host-netmask="24" add-host="true"><port-mapping id="sw-pm1" port="8080" internal-port="80"/><port-mapping id="sw-pm2" range="9000-9001"/></network></bundle>'),
      create('resources', '<bundle id="sw-pod"><podman image="berth-test/httpd:1" replicas="2" replicas-per-host="2" masters="0"/></bundle>'),
      create('resources', '<bundle id="sw-pod2"><podman image="berth-test/httpd:1" promoted-max="0"/></bundle>'),
      create('resources', '<bundle id="sw-rkt"><rkt image="berth-test/httpd:1" replicas="1" replicas-per-host="1" masters="0" network="bridge" options="--user=root" run-command="/bin/true"/></bundle>'),
      create('resources', '<bundle id="sw-rkt2"><rkt image="berth-test/httpd:1" promoted-max="0"/></bundle>'),
      create('constraints', '<rsc_colocation id="sw-col" rsc="sw-b" with-rsc="sw-pod" score="100" rsc-role="Started" with-rsc-role="Started" node-attribute="#uname" influence="true"/>'),
      create('constraints', '<rsc_order id="sw-ord" first="sw-pod" then="sw-b" first-action="start" then-action="start" kind="Optional" symmetrical="false" require-all="true"/>'),
      create('constraints', '<rsc_order id="sw-ord-set" kind="Optional"><resource_set id="sw-set1" sequential="true" require-all="true" action="start" ordering="group" kind="Optional"><resource_ref id="sw-pod"/></resource_set><resource_set id="sw-set2" role="Started"><resource_ref id="sw-b"/></resource_set></rsc_order>'),
      create('constraints', '<rsc_location id="sw-pat" rsc-pattern="sw-p.*" node="sw-n" score="-10" resource-discovery="always"/>'),
      create('constraints', '<rsc_location id="sw-sa" rsc="sw-b"><rule id="sw-sa-r" score-attribute="prio"><expression id="sw-sa-e" attribute="prio" operation="defined" value-source="literal"/></rule></rsc_location>'),
      create('constraints', '<rsc_location id="sw-life" rsc="sw-pod" node="sw-n" score="1"><lifetime><rule id="sw-life-r" score="0"><date_expression id="sw-life-d" operation="lt" end="2099-01-01"/></rule></lifetime></rsc_location>'),
      create('constraints', '<rsc_location id="sw-ds" rsc="sw-p"><rule id="sw-ds-r" score="5" boolean-op="or"><date_expression id="sw-ds-d" operation="date_spec"><date_spec id="sw-ds-s" hours="0-23" minutes="0-59" seconds="0-59" monthdays="1-31" weekdays="1-7" yeardays="1-366" months="1-12" weeks="1-53" years="2020-2099" weekyears="2020-2099" moon="0-7" yearsdays="1-366"/></date_expression><date_expression id="sw-ds-in" operation="in_range" start="2020-01-01"><duration id="sw-ds-du" years="100" months="1" weeks="1" days="1" hours="1" minutes="1" seconds="1"/></date_expression></rule></rsc_location>'),
      create('constraints', '<rsc_ticket id="sw-tk" rsc="sw-b" rsc-role="Started" ticket="tk1" loss-policy="stop"/>'),
      cib('--create', '-o', 'configuration', '-X', '<rsc_defaults><meta_attributes id="sw-rd"><rule id="sw-rd-r" score="0"><rsc_expression id="sw-rd-e" class="ocf" provider="pacemaker" type="Dummy"/></rule><nvpair id="sw-rd-1" name="migration-threshold" value="3"/></meta_attributes></rsc_defaults>'),
      cib('--create', '-o', 'configuration', '-X', '<op_defaults><meta_attributes id="sw-od"><rule id="sw-od-r" score="0"><op_expression id="sw-od-e" name="monitor" interval="10s"/></rule><nvpair id="sw-od-1" name="timeout" value="30s"/></meta_attributes></op_defaults>'),
      cib('--create', '-o', 'configuration', '-X', '<acls><acl_role id="sw-r" description="a role"><acl_permission id="sw-r-1" kind="write" object-type="primitive" attribute="target-role" description="d"/><acl_permission id="sw-r-2" kind="deny" reference="sw-b"/></acl_role><acl_target id="sw-t1" name="bob"><role id="sw-r"/></acl_target><acl_group id="sw-g" name="admins"><role id="sw-r"/></acl_group></acls>'),
      cib('--create', '-o', 'configuration', '-X', '<alerts><alert id="sw-al" path="/bin/true" description="an alert"><select><select_attributes><attribute id="sw-al-a" name="standby"/></select_attributes><select_fencing/><select_nodes/><select_resources/></select><meta_attributes id="sw-al-m"><nvpair id="sw-al-m1" name="timeout" value="10s"/></meta_attributes><recipient id="sw-al-r" value="/tmp/alerts" description="a recipient"/></alert></alerts>'),
      cib('--create', '-o', 'configuration', '-X', '<fencing-topology><fencing-level id="sw-fl1" target-pattern="sw-.*" index="1" devices="sw-st"/><fencing-level id="sw-fl2" target-attribute="rack" target-value="r1" index="2" devices="sw-st"/></fencing-topology>'),
    ],
  },
};

// CIBs Pacemaker accepts and berth refuses, each with the code it refuses it with and why: what
// berth cannot run as written is refused rather than ignored (the "accepted means honoured" rule).
// Written to test/fixtures/corpus/refused/<case>/ like the cases above; test/cib/corpus.ts holds
// the codes.
const bundleWith = (inner, container = '<docker image="berth-test/httpd:1" replicas="2"/>') => create('resources', `<bundle id="b">${container}${inner}</bundle>`);
const REFUSED = {
  'netmask-zero': { about: 'host-netmask=0: berth adds each replica address with a prefix of 1 to 32', steps: [noStonith, bundleWith('<network ip-range-start="10.0.0.1" host-netmask="0"/>')] },
  'ipv6-range': { about: 'an IPv6 ip-range-start: berth gives replicas IPv4 addresses only', steps: [noStonith, bundleWith('<network ip-range-start="fd00::1"/>')] },
  'relative-storage': { about: 'a relative source-dir: berth binds absolute host paths only', steps: [noStonith, bundleWith('<storage><storage-mapping id="s" source-dir="data" target-dir="/d"/></storage>')] },
  'same-host-port': { about: 'two port mappings of one host port: the second container could not start', steps: [noStonith, bundleWith('<network ip-range-start="10.0.0.1"><port-mapping id="p1" port="80"/><port-mapping id="p2" port="80"/></network>')] },
  'unsupported-docker-option': { about: 'a docker run option berth does not parse (--cpuset-cpus): it cannot say what the container would be', steps: [noStonith, create('resources', '<bundle id="b"><docker image="berth-test/httpd:1" options="--cpuset-cpus=0"/></bundle>')] },
  'host-pid-not-allowed': { about: '--pid=host without berth-host-access allowing host-pid', steps: [noStonith, create('resources', '<bundle id="b"><docker image="berth-test/httpd:1" options="--pid=host"/></bundle>')] },
  'promoted-colocation': { about: 'a colocation with a promoted role: berth places bundles by their Started role only', steps: [noStonith, bundleWith(''), create('resources', '<bundle id="c"><docker image="berth-test/httpd:1"/></bundle>'), create('constraints', '<rsc_colocation id="cc" rsc="b" with-rsc="c" score="INFINITY" rsc-role="Promoted"/>')] },
  'non-ascii-id': { about: "an id with a letter outside ASCII: berth's ids follow pcs's rule", steps: [noStonith, create('resources', '<bundle id="café"><docker image="berth-test/httpd:1"/></bundle>')] },
};

/** crm_verify's verdict: accepted when it finds no error (a warning, such as a deprecated form,
 * makes it exit 78 with "Warnings found": Pacemaker loads and runs such a CIB). */
function verdict(file) {
  const r = run('crm_verify', ['--xml-file', file, '-V', '-V']);
  const stderr = r.stderr.replaceAll(file, path.basename(file));
  return { exit: r.exit, accepted: r.exit === 0 || (/Warnings found/.test(stderr) && !/\berror:|Errors found/.test(stderr)), stderr };
}

function buildCase(name, c, under = out) {
  const dir = path.join(under, name);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(tmp, `${name}.xml`);
  let xml = run('cibadmin', ['--empty']).stdout;
  if (c.upgradeFrom) xml = xml.replace(/validate-with="[^"]*"/, `validate-with="${c.upgradeFrom}"`);
  // a running cluster has quorum (the controller writes have-quorum; crm_simulate blocks without it)
  if (c.running || c.quorum) xml = xml.replace('<cib ', '<cib have-quorum="1" ');
  fs.writeFileSync(file, xml);
  const env = { CIB_file: file };
  for (const s of c.steps) {
    const r = s.pcs ? run('pcs', ['-f', file, ...s.pcs]) : s.crm_attribute ? run('crm_attribute', s.crm_attribute, env) : run('cibadmin', s.cibadmin, env);
    if (r.exit !== 0) throw new Error(`${name}: ${JSON.stringify(s)} failed (${r.exit}): ${r.stderr}`);
  }
  if (c.upgradeFrom) {
    const r = run('cibadmin', ['--upgrade', '--force'], env);
    if (r.exit !== 0) throw new Error(`${name}: cibadmin --upgrade failed: ${r.stderr}`);
  }
  const verify = verdict(file);
  if (!verify.accepted) throw new Error(`${name}: crm_verify refuses it: ${verify.stderr}`);
  fs.copyFileSync(file, path.join(dir, 'cib.xml'));
  const record = { about: c.about, tools: TOOLS, steps: c.steps, ...(c.upgradeFrom ? { upgradedFrom: c.upgradeFrom } : {}), crm_verify: verify };
  if (c.running) {
    // --in-place stores each transition's results back, as the cluster would record them: repeated
    // until a transition has nothing to do (probes first, then starts and monitors)
    const running = path.join(tmp, `${name}.running.xml`);
    fs.copyFileSync(file, running);
    // a fixed clock, so that the operation history (last-rc-change) is the same on every run
    const clock = ['--set-datetime', '2026-12-01T00:00:00Z'];
    let transitions = 0;
    const settle = () => {
      for (;;) {
        const check = run('crm_simulate', ['--xml-file', running, '--simulate', ...clock]);
        if (check.exit !== 0) throw new Error(`${name}: crm_simulate failed: ${check.stderr}`);
        const summary = check.stdout.slice(check.stdout.indexOf('Transition Summary:'), check.stdout.indexOf('Revised Cluster Status:'));
        if (!/\* (Resource action|Pseudo action|Cluster action)|\* (Start|Stop|Move|Restart|Recover|Promote|Demote|Migrate)\b/.test(summary)) return;
        if (++transitions > 10) throw new Error(`${name}: still acting after 10 transitions`);
        const sim = run('crm_simulate', ['--xml-file', running, '--in-place', ...clock]);
        if (sim.exit !== 0) throw new Error(`${name}: crm_simulate --in-place failed: ${sim.stderr}`);
      }
    };
    settle();
    // a history, so that where replicas run is not where a fresh cluster would put them: each
    // event simulated in place (a node leaves, comes back), then settled again
    for (const event of c.history ?? []) {
      const r = event.cibadmin ? run('cibadmin', event.cibadmin, { CIB_file: running }) : run('crm_simulate', ['--xml-file', running, '--in-place', ...clock, ...event]);
      if (r.exit !== 0) throw new Error(`${name}: ${JSON.stringify(event)} failed: ${r.stderr}`);
      if (!event.cibadmin) transitions++;
      settle();
    }
    // crm_simulate stamps each operation with the real time (--set-datetime does not reach
    // last-rc-change): set to the fixed clock, so that a re-run writes the same fixture
    const fixed = String(Date.parse('2026-12-01T00:00:00Z') / 1000);
    fs.writeFileSync(running, fs.readFileSync(running, 'utf8').replace(/last-rc-change="\d+"/g, `last-rc-change="${fixed}"`));
    const again = run('crm_simulate', ['--xml-file', running, '--simulate', '--output-as=xml', ...clock]);
    if (again.exit !== 0) throw new Error(`${name}: crm_simulate of the running CIB failed: ${again.stderr}`);
    const verifyRunning = verdict(running);
    if (!verifyRunning.accepted) throw new Error(`${name}: crm_verify refuses the running CIB: ${verifyRunning.stderr}`);
    fs.copyFileSync(running, path.join(dir, 'running.xml'));
    fs.writeFileSync(path.join(dir, 'running.sim.xml'), again.stdout.replaceAll(tmp, '/tmp/TMPDIR'));
    record.running = { made: `a copy of cib.xml, then crm_simulate --xml-file running.xml --in-place --set-datetime 2026-12-01T00:00:00Z until a transition has nothing to do${c.history ? `, with these events in between: ${c.history.map((e) => (e.cibadmin ? `cibadmin ${e.cibadmin.join(' ')}` : `crm_simulate ${e.join(' ')}`)).join('; ')}` : ''} (${transitions} transitions)`, simulated: 'crm_simulate --xml-file running.xml --simulate --output-as=xml --set-datetime 2026-12-01T00:00:00Z > running.sim.xml', crm_verify: verifyRunning };
  }
  fs.writeFileSync(path.join(dir, 'case.json'), JSON.stringify(record, null, 2) + '\n');
  console.log(`${name}: ok`);
}

// The elements and attributes of the schema `cibadmin --empty` validates with, read from
// Pacemaker's own RNG files (following externalRef and include), for the coverage test.
function schemaNames() {
  const { XMLParser } = createRequire(import.meta.url)('fast-xml-parser');
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', preserveOrder: true });
  const dir = '/usr/share/pacemaker';
  const version = /validate-with="([^"]+)"/.exec(run('cibadmin', ['--empty']).stdout)[1];
  const elements = {};
  const seen = new Set();
  const load = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    walk(parser.parse(fs.readFileSync(path.join(dir, file), 'utf8')), undefined);
  };
  const walk = (nodes, current) => {
    for (const n of nodes) {
      const tag = Object.keys(n).find((k) => k !== ':@');
      if (!tag || tag === '#text') continue;
      const name = n[':@']?.['@name'];
      if ((tag === 'externalRef' || tag === 'include') && n[':@']?.['@href']) load(n[':@']['@href']);
      if (tag === 'element' && name) {
        elements[name] ??= [];
        walk(n[tag], name);
      } else if (tag === 'attribute' && name && current) {
        if (!elements[current].includes(name)) elements[current].push(name);
        walk(n[tag], current);
      } else {
        walk(n[tag], current);
      }
    }
  };
  load(`${version}.rng`);
  for (const k of Object.keys(elements)) elements[k].sort();
  return { schema: version, files: [...seen].sort(), elements: Object.fromEntries(Object.entries(elements).sort(([a], [b]) => (a < b ? -1 : 1))) };
}

const filter = process.argv[2];
if (!filter) fs.writeFileSync(path.join(out, 'schema-names.json'), JSON.stringify({ made: "Pacemaker's RNG files in /usr/share/pacemaker", tools: TOOLS, ...schemaNames() }, null, 2) + '\n');
for (const [name, c] of Object.entries(CASES)) if (!filter || name.includes(filter)) buildCase(name, c);
for (const [name, c] of Object.entries(REFUSED)) if (!filter || name.includes(filter)) buildCase(name, c, path.join(out, 'refused'));
fs.rmSync(tmp, { recursive: true, force: true });
