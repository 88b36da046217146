// Golden-fixture cases for berth, recorded against the real pcs.
// Consumed by ./gen.mjs (see its header for how to re-run).
//
// INPUTS: starting CIBs that gen.mjs builds (from `cibadmin --empty`) into
//   test/fixtures/pcs/inputs/<name>.xml. Each step is either
//   { pcs: [argv after `pcs -f FILE`] } or { cibadmin: [argv] } (run with
//   CIB_file=FILE). Every input must pass `crm_verify --xml-file`.
//
// CASES: each case starts from `input` ("empty" = `cibadmin --empty`, or
//   "inputs/<name>.xml") and runs `steps` (argv after `pcs -f FILE`) in order.
//   `error: true` means the LAST step is expected to fail and every earlier
//   step to succeed; `error: false` means every step must succeed.
//   `expectStderrIncludes` lists tokens that pcs's stderr of the last step
//   contains and that any equivalent message (berth's) must contain too.
//   gen.mjs checks all of these expectations against pcs and stops on mismatch.

const STONITH_OFF = ["property", "set", "stonith-enabled=false"];
const bundleCreate = (...a) => ["resource", "bundle", "create", ...a];
const bundleUpdate = (...a) => ["resource", "bundle", "update", ...a];
const bundleReset = (...a) => ["resource", "bundle", "reset", ...a];
const create = (...a) => ["resource", "create", ...a];

// Common bundles used as a starting point by many cases.
const HTTPD_BUNDLE = bundleCreate(
  "httpd-bundle",
  "container", "docker", "image=pcmktest:http", "replicas=3",
  "options=--log-driver=journald",
  "network", "ip-range-start=192.168.122.131", "host-interface=eth0",
  "host-netmask=24",
  "port-map", "id=httpd-port", "port=80",
  "storage-map", "id=httpd-root", "source-dir-root=/var/local/containers",
  "target-dir=/var/www/html", "options=rw",
);
const HTTPD_IN_BUNDLE = create("httpd", "ocf:heartbeat:apache", "bundle", "httpd-bundle");
const B_CP = bundleCreate(
  "b", "container", "docker", "image=img:1", "network", "control-port=3121",
);
const B_MIN = bundleCreate("b", "container", "docker", "image=img:1");
const B_FULL = bundleCreate(
  "b",
  "container", "docker", "image=img:1", "replicas=2", "run-command=/bin/run",
  "network", "control-port=3121", "host-interface=eth0", "host-netmask=24",
  "ip-range-start=10.0.0.10",
  "port-map", "port=80",
  "port-map", "port=443", "internal-port=8443",
  "storage-map", "source-dir=/srv/a", "target-dir=/a",
  "storage-map", "source-dir-root=/srv/r", "target-dir=/r", "options=ro",
  "meta", "priority=10", "target-role=Started",
);

export const INPUTS = {
  // A realistic CIB: nodes, cluster properties, rsc/op defaults, a primitive,
  // a group, a clone, a bundle with a resource inside, constraints of all three
  // kinds and a status section (node_state with resource history, including a
  // stale resource "ghost" and transient attributes).
  rich: {
    description:
      "Nodes, properties, rsc_defaults/op_defaults, primitive vip, group web-group (web-fs, web-svc), clone ping-clone, bundle httpd-bundle with apache inside, location/colocation/order constraints, status section with history of a stale resource 'ghost'.",
    steps: [
      { cibadmin: ["--create", "-o", "nodes", "-X", '<node id="1" uname="node1"/>'] },
      { cibadmin: ["--create", "-o", "nodes", "-X", '<node id="2" uname="node2"/>'] },
      { pcs: ["property", "set", "stonith-enabled=false", "no-quorum-policy=ignore"] },
      { pcs: ["resource", "defaults", "update", "resource-stickiness=100"] },
      { pcs: ["resource", "op", "defaults", "update", "timeout=30s"] },
      { pcs: create("vip", "ocf:heartbeat:IPaddr2", "ip=192.168.122.200", "cidr_netmask=24") },
      { pcs: create("web-fs", "ocf:heartbeat:Dummy", "--group", "web-group") },
      { pcs: create("web-svc", "ocf:heartbeat:Dummy", "--group", "web-group") },
      { pcs: create("ping", "ocf:pacemaker:ping", "host_list=192.168.122.1", "clone") },
      { pcs: HTTPD_BUNDLE },
      { pcs: HTTPD_IN_BUNDLE },
      { pcs: ["constraint", "location", "vip", "prefers", "node1=50"] },
      { pcs: ["constraint", "location", "httpd-bundle", "avoids", "node2"] },
      { pcs: ["constraint", "colocation", "add", "web-group", "with", "vip"] },
      { pcs: ["constraint", "order", "vip", "then", "web-group"] },
      { pcs: ["constraint", "colocation", "add", "httpd-bundle", "with", "ping-clone"] },
      {
        cibadmin: [
          "--create", "-o", "status", "-X",
          '<node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member">' +
            '<transient_attributes id="1"><instance_attributes id="status-1">' +
            '<nvpair id="status-1-pingd" name="pingd" value="1000"/>' +
            "</instance_attributes></transient_attributes>" +
            '<lrm id="1"><lrm_resources>' +
            '<lrm_resource id="ghost" class="ocf" provider="heartbeat" type="Dummy">' +
            '<lrm_rsc_op id="ghost_last_0" operation_key="ghost_stop_0" operation="stop" crm-debug-origin="do_update_resource" crm_feature_set="3.16.1" transition-key="1:1:0:aaaaaaaa-0000-0000-0000-000000000000" transition-magic="0:0;1:1:0:aaaaaaaa-0000-0000-0000-000000000000" call-id="2" rc-code="0" op-status="0" interval="0" last-rc-change="1700000000" exec-time="10" queue-time="0" op-digest="00000000000000000000000000000000"/>' +
            "</lrm_resource></lrm_resources></lrm></node_state>",
        ],
      },
      {
        cibadmin: [
          "--create", "-o", "status", "-X",
          '<node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member">' +
            '<lrm id="2"><lrm_resources/></lrm></node_state>',
        ],
      },
    ],
  },
  // Several bundles in different shapes, to update / reset / delete.
  bundles: {
    description:
      "Bundles: 'web' (docker, full network/port-map/storage-map/meta, apache inside, constraints on it), 'db' (podman, deprecated masters=1, no network), 'bare' (rkt, image only), plus a primitive 'standalone'.",
    steps: [
      { pcs: STONITH_OFF },
      {
        pcs: bundleCreate(
          "web", "container", "docker", "image=registry.local/web:2", "replicas=2",
          "replicas-per-host=1", "network", "control-port=3121",
          "ip-range-start=10.1.0.10", "host-netmask=16",
          "port-map", "port=80", "port-map", "range=9000-9009",
          "storage-map", "source-dir=/srv/web", "target-dir=/var/www", "options=ro",
          "meta", "resource-stickiness=50", "target-role=Started",
        ),
      },
      { pcs: create("web-app", "ocf:heartbeat:apache", "bundle", "web") },
      { pcs: bundleCreate("db", "container", "podman", "image=db:13", "masters=1", "replicas=2") },
      { pcs: bundleCreate("bare", "container", "rkt", "image=bare:1") },
      { pcs: create("standalone", "ocf:heartbeat:Dummy") },
      { pcs: ["constraint", "location", "web", "prefers", "node1=100"] },
      { pcs: ["constraint", "order", "standalone", "then", "web"] },
    ],
  },
};

export const CASES = [
  // ------------------------------------------------------------------ create
  {
    name: "bundle-create-minimal",
    description: "Minimal bundle: docker container with only an image.",
    steps: [STONITH_OFF, B_MIN],
  },
  {
    name: "bundle-create-container-options",
    description:
      "All container options (image, replicas, replicas-per-host, promoted-max, network, run-command, options); attribute order follows the command line.",
    steps: [
      STONITH_OFF,
      bundleCreate(
        "b", "container", "docker", "run-command=/usr/sbin/pcmk-init",
        "image=img:1", "replicas=4", "replicas-per-host=2", "promoted-max=1",
        "network=host", "options=--log-driver=journald --privileged",
      ),
    ],
  },
  {
    name: "bundle-create-masters-deprecated",
    description:
      "Deprecated container option 'masters' is accepted and written as 'masters' with a deprecation warning.",
    steps: [STONITH_OFF, bundleCreate("b", "container", "docker", "image=img:1", "masters=2", "replicas=3")],
    expectStderrIncludes: ["masters", "deprecated", "promoted-max"],
  },
  {
    name: "bundle-create-podman",
    description: "Container type podman.",
    steps: [STONITH_OFF, bundleCreate("b", "container", "podman", "image=img:1", "replicas=2")],
  },
  {
    name: "bundle-create-rkt",
    description: "Container type rkt.",
    steps: [STONITH_OFF, bundleCreate("b", "container", "rkt", "image=img:1")],
  },
  {
    name: "bundle-create-network-options",
    description: "All network options pcs knows (control-port, host-interface, host-netmask, ip-range-start).",
    steps: [
      STONITH_OFF,
      bundleCreate(
        "b", "container", "docker", "image=img:1", "network", "ip-range-start=192.168.122.131",
        "host-interface=eth0", "host-netmask=24", "control-port=3121",
      ),
    ],
  },
  {
    name: "bundle-create-network-add-host-forced",
    description:
      "pcs 0.11.5 does not know network option 'add-host' (Pacemaker does): with --force it is written with a warning.",
    steps: [
      STONITH_OFF,
      bundleCreate(
        "b", "container", "docker", "image=img:1", "network", "ip-range-start=10.0.0.1",
        "add-host=false", "--force",
      ),
    ],
    expectStderrIncludes: ["add-host", "network"],
  },
  {
    name: "bundle-create-port-maps",
    description:
      "port-map with port, port+internal-port, range and an explicit id; generated ids <bundle>-port-map-<port|range>.",
    steps: [
      STONITH_OFF,
      bundleCreate(
        "b", "container", "docker", "image=img:1", "network", "control-port=3121",
        "port-map", "port=80",
        "port-map", "port=443", "internal-port=8443",
        "port-map", "range=9000-9010",
        "port-map", "id=admin", "port=8080",
      ),
    ],
  },
  {
    name: "bundle-create-port-map-without-network-options",
    description: "port-map without a network section creates <network> with only port-mapping children.",
    steps: [STONITH_OFF, bundleCreate("b", "container", "docker", "image=img:1", "port-map", "port=80")],
  },
  {
    name: "bundle-create-storage-maps",
    description:
      "storage-map with source-dir, source-dir-root, options and an explicit id; generated ids <bundle>-storage-map, -1, ...",
    steps: [
      STONITH_OFF,
      bundleCreate(
        "b", "container", "docker", "image=img:1",
        "storage-map", "source-dir=/srv/data", "target-dir=/data",
        "storage-map", "source-dir-root=/var/local/containers", "target-dir=/var/www/html", "options=rw",
        "storage-map", "id=logs", "source-dir=/var/log/b", "target-dir=/var/log", "options=ro,z",
      ),
    ],
  },
  {
    name: "bundle-create-meta",
    description: "Meta attributes: nvpairs are written sorted by name with ids <bundle>-meta_attributes-<name>.",
    steps: [
      STONITH_OFF,
      bundleCreate(
        "b", "container", "docker", "image=img:1", "meta", "target-role=Started",
        "is-managed=false", "priority=10", "resource-stickiness=100",
      ),
    ],
  },
  {
    name: "bundle-create-disabled",
    description: "--disabled without meta: meta_attributes with target-role=Stopped becomes the FIRST child of the bundle.",
    steps: [STONITH_OFF, bundleCreate("b", "container", "docker", "image=img:1", "network", "control-port=3121", "--disabled")],
  },
  {
    name: "bundle-create-disabled-with-meta",
    description:
      "--disabled with meta (incl. target-role=Started): the existing meta_attributes (after storage) gets target-role=Stopped.",
    steps: [
      STONITH_OFF,
      bundleCreate(
        "b", "container", "docker", "image=img:1", "storage-map", "source-dir=/a", "target-dir=/b",
        "meta", "target-role=Started", "priority=1", "--disabled",
      ),
    ],
  },
  {
    name: "bundle-create-full",
    description: "The reference httpd-bundle from docs/bundles.md, then apache inside it.",
    steps: [STONITH_OFF, HTTPD_BUNDLE, HTTPD_IN_BUNDLE],
  },
  {
    name: "bundle-create-generated-id-collisions",
    description:
      "Repeated port/storage maps within one command get -1, -2 suffixes (ids booked within the command).",
    steps: [
      STONITH_OFF,
      bundleCreate(
        "b", "container", "docker", "image=img:1",
        "port-map", "port=80", "port-map", "port=80", "internal-port=8080", "port-map", "port=80", "internal-port=8081",
        "storage-map", "source-dir=/a", "target-dir=/a",
        "storage-map", "source-dir=/b", "target-dir=/b",
        "storage-map", "source-dir=/c", "target-dir=/c",
      ),
    ],
  },
  {
    name: "bundle-create-id-collision-existing",
    description:
      "Generated ids that are already used elsewhere in the CIB (explicit ids in another bundle) get -1 suffixes; also meta_attributes and its nvpairs.",
    steps: [
      STONITH_OFF,
      bundleCreate(
        "a", "container", "docker", "image=img:1",
        "port-map", "id=b-port-map-80", "port=80",
        "port-map", "id=b-meta_attributes", "port=81",
        "storage-map", "id=b-storage-map", "source-dir=/a", "target-dir=/a",
        "storage-map", "id=b-storage-map-1", "source-dir=/b", "target-dir=/b",
      ),
      bundleCreate(
        "b", "container", "docker", "image=img:1",
        "port-map", "port=80",
        "storage-map", "source-dir=/c", "target-dir=/c",
        "meta", "priority=5",
      ),
    ],
  },
  {
    name: "bundle-create-quoting",
    description:
      "Values with spaces, double/single quotes, &, <, > and unicode in container options, storage-map options and meta; XML escaping (&quot; &apos; &amp; &lt; &gt;, unicode raw UTF-8). Unicode is never followed by a markup character in the same value (Pacemaker 2.1.5 bug, see NOTES.md).",
    steps: [
      STONITH_OFF,
      bundleCreate(
        "b", "container", "docker", "image=registry.example.com:5000/äpp:1.0",
        "run-command=/bin/sh -c \"exec /usr/sbin/pacemaker-remoted\"",
        "options=--env 'A=B C' --label x=\"y\" --add-host a&b<c>:1.2.3.4",
        "storage-map", "source-dir=/srv/dätä dir", "target-dir=/data dir", "options=rw,Z & 'x' <y>",
        "meta", "description=<b>&amp;</b> \"quoted\" 'single' then Café ✓", "note=ünïcødé",
      ),
    ],
  },
  {
    name: "bundle-create-empty-values",
    description:
      "Empty values on create: empty network/storage options are omitted; an empty meta value IS written as value=\"\".",
    steps: [
      STONITH_OFF,
      bundleCreate(
        "b", "container", "docker", "image=img:1", "run-command=",
        "network", "control-port=3121", "host-interface=",
        "storage-map", "source-dir=/a", "target-dir=/b", "options=",
        "meta", "priority=", "is-managed=true",
      ),
    ],
  },
  {
    name: "bundle-create-port-values-edge",
    description:
      "pcs accepts a reversed port range and signed/zero-padded port numbers; the generated id is sanitized ('+' dropped).",
    steps: [
      STONITH_OFF,
      bundleCreate(
        "b", "container", "docker", "image=img:1",
        "port-map", "range=9010-9000", "port-map", "port=+81", "internal-port=0082",
      ),
    ],
  },
  {
    name: "bundle-create-host-netmask-forced",
    description: "host-netmask=33 is a forceable error: with --force it is written with a warning.",
    steps: [
      STONITH_OFF,
      bundleCreate("b", "container", "docker", "image=img:1", "network", "host-netmask=33", "--force"),
    ],
    expectStderrIncludes: ["33", "host-netmask"],
  },
  {
    name: "bundle-create-error-unknown-option-forced-schema",
    description:
      "Unknown container/port-map/storage-map options with --force: pcs only warns, but the CIB schema rejects the result, so the command fails ('Unable to update cib') and nothing is written.",
    steps: [
      STONITH_OFF,
      bundleCreate(
        "b", "container", "docker", "image=img:1", "foo=bar",
        "port-map", "port=80", "proto=udp",
        "storage-map", "source-dir=/a", "target-dir=/b", "mode=0700",
        "--force",
      ),
    ],
    error: true,
    expectStderrIncludes: ["foo"],
  },
  {
    name: "bundle-create-explicit-id-booked-first",
    description:
      "Explicit map ids are booked during validation, before ids are generated: port=80 gets b-port-map-80-1 because a later port-map says id=b-port-map-80; a repeated 'network' keyword merges into one section.",
    steps: [
      STONITH_OFF,
      bundleCreate(
        "b", "container", "docker", "image=img:1", "network", "control-port=3121",
        "port-map", "port=80", "port-map", "id=b-port-map-80", "port=81", "network", "host-netmask=8",
      ),
    ],
  },
  {
    name: "bundle-create-in-rich-cib",
    description: "Create a bundle in a CIB with other resources, constraints, defaults and status: everything else preserved.",
    input: "inputs/rich.xml",
    steps: [
      bundleCreate(
        "cache", "container", "docker", "image=redis:7", "replicas=2", "network", "control-port=3122",
        "port-map", "port=6379", "meta", "priority=3",
      ),
    ],
  },
  {
    name: "bundle-create-id-only-in-status",
    description: "Ids that exist only in the status section ('ghost', 'status-1') are free for new objects.",
    input: "inputs/rich.xml",
    steps: [
      bundleCreate("ghost", "container", "docker", "image=img:1", "port-map", "id=status-1", "port=80"),
    ],
  },
  // ------------------------------------------------------------ create errors
  {
    name: "bundle-create-error-invalid-id-first-char",
    description: "Bundle id starting with a digit.",
    steps: [STONITH_OFF, bundleCreate("1bad", "container", "docker", "image=img:1")],
    error: true,
    expectStderrIncludes: ["1bad", "'1'", "bundle name"],
  },
  {
    name: "bundle-create-error-invalid-id-char",
    description: "Bundle id with a non-ASCII character (not allowed by pcs's id rules).",
    steps: [STONITH_OFF, bundleCreate("bündle", "container", "docker", "image=img:1")],
    error: true,
    expectStderrIncludes: ["bündle", "'ü'", "bundle name"],
  },
  {
    name: "bundle-create-error-duplicate-id",
    description: "Bundle id already used by another bundle.",
    steps: [STONITH_OFF, B_MIN, bundleCreate("b", "container", "docker", "image=img:2")],
    error: true,
    expectStderrIncludes: ["'b'", "already exists"],
  },
  {
    name: "bundle-create-error-id-used-by-nvset",
    description: "Bundle id already used by a non-resource element (cluster_property_set).",
    steps: [STONITH_OFF, bundleCreate("cib-bootstrap-options", "container", "docker", "image=img:1")],
    error: true,
    expectStderrIncludes: ["cib-bootstrap-options", "already exists"],
  },
  {
    name: "bundle-create-error-replicas-zero",
    description: "replicas=0.",
    steps: [STONITH_OFF, bundleCreate("b", "container", "docker", "image=img:1", "replicas=0")],
    error: true,
    expectStderrIncludes: ["'0'", "replicas", "positive integer"],
  },
  {
    name: "bundle-create-error-replicas-negative",
    description: "replicas=-1.",
    steps: [STONITH_OFF, bundleCreate("b", "container", "docker", "image=img:1", "replicas=-1")],
    error: true,
    expectStderrIncludes: ["'-1'", "replicas", "positive integer"],
  },
  {
    name: "bundle-create-error-integer-options",
    description:
      "replicas=abc, replicas-per-host=0, promoted-max=-1 reported together (all errors of a command are reported).",
    steps: [
      STONITH_OFF,
      bundleCreate("b", "container", "docker", "image=img:1", "replicas=abc", "replicas-per-host=0", "promoted-max=-1"),
    ],
    error: true,
    expectStderrIncludes: ["'abc'", "replicas", "'0'", "replicas-per-host", "'-1'", "promoted-max"],
  },
  {
    name: "bundle-create-error-unknown-container-option",
    description: "Unknown container option (forceable).",
    steps: [STONITH_OFF, bundleCreate("b", "container", "docker", "image=img:1", "foo=bar")],
    error: true,
    expectStderrIncludes: ["foo", "container", "--force"],
  },
  {
    name: "bundle-create-error-missing-image",
    description: "Container section without image.",
    steps: [STONITH_OFF, bundleCreate("b", "container", "docker", "replicas=2")],
    error: true,
    expectStderrIncludes: ["image", "missing"],
  },
  {
    name: "bundle-create-error-empty-image",
    description: "image= (empty).",
    steps: [STONITH_OFF, bundleCreate("b", "container", "docker", "image=")],
    error: true,
    expectStderrIncludes: ["image", "empty"],
  },
  {
    name: "bundle-create-error-masters-and-promoted-max",
    description: "masters and promoted-max together.",
    steps: [STONITH_OFF, bundleCreate("b", "container", "docker", "image=img:1", "masters=1", "promoted-max=1")],
    error: true,
    expectStderrIncludes: ["masters", "promoted-max"],
  },
  {
    name: "bundle-create-error-container-type",
    description: "Unsupported container type.",
    steps: [STONITH_OFF, bundleCreate("b", "container", "lxc", "image=img:1")],
    error: true,
    expectStderrIncludes: ["lxc", "container type"],
  },
  {
    name: "bundle-create-error-no-container",
    description: "No container section at all.",
    steps: [STONITH_OFF, bundleCreate("b", "network", "control-port=3121")],
    error: true,
    expectStderrIncludes: ["container type"],
  },
  {
    name: "bundle-create-error-bad-ports",
    description: "port=99999, internal-port=0 in one port-map; port=abc in another.",
    steps: [
      STONITH_OFF,
      bundleCreate("b", "container", "docker", "image=img:1", "port-map", "port=99999", "internal-port=0", "port-map", "port=abc"),
    ],
    error: true,
    expectStderrIncludes: ["99999", "internal-port", "'0'", "abc"],
  },
  {
    name: "bundle-create-error-port-and-range",
    description: "port-map with both port and range.",
    steps: [STONITH_OFF, bundleCreate("b", "container", "docker", "image=img:1", "port-map", "port=80", "range=80-90")],
    error: true,
    expectStderrIncludes: ["port", "range"],
  },
  {
    name: "bundle-create-error-port-map-incomplete",
    description: "port-map with internal-port only (needs port; port or range required); bad range syntax.",
    steps: [
      STONITH_OFF,
      bundleCreate("b", "container", "docker", "image=img:1", "port-map", "internal-port=80", "port-map", "range=80:90"),
    ],
    error: true,
    expectStderrIncludes: ["internal-port", "port", "range", "80:90"],
  },
  {
    name: "bundle-create-error-storage-map-no-target",
    description: "storage-map without target-dir.",
    steps: [STONITH_OFF, bundleCreate("b", "container", "docker", "image=img:1", "storage-map", "source-dir=/a")],
    error: true,
    expectStderrIncludes: ["target-dir", "storage-map"],
  },
  {
    name: "bundle-create-error-storage-map-sources",
    description: "storage-map with both source-dir and source-dir-root; another with neither.",
    steps: [
      STONITH_OFF,
      bundleCreate(
        "b", "container", "docker", "image=img:1",
        "storage-map", "source-dir=/a", "source-dir-root=/r", "target-dir=/t",
        "storage-map", "target-dir=/u",
      ),
    ],
    error: true,
    expectStderrIncludes: ["source-dir", "source-dir-root", "storage-map"],
  },
  {
    name: "bundle-create-error-network-values",
    description: "control-port=0 and host-netmask=33.",
    steps: [
      STONITH_OFF,
      bundleCreate("b", "container", "docker", "image=img:1", "network", "control-port=0", "host-netmask=33"),
    ],
    error: true,
    expectStderrIncludes: ["control-port", "'0'", "host-netmask", "'33'"],
  },
  {
    name: "bundle-create-error-network-add-host",
    description: "pcs 0.11.5 rejects network option 'add-host' (forceable).",
    steps: [STONITH_OFF, bundleCreate("b", "container", "docker", "image=img:1", "network", "add-host=false")],
    error: true,
    expectStderrIncludes: ["add-host", "network", "--force"],
  },
  {
    name: "bundle-create-error-empty-section",
    description: "A section keyword without options ('network' followed by 'meta').",
    steps: [STONITH_OFF, bundleCreate("b", "container", "docker", "image=img:1", "network", "meta", "a=b")],
    error: true,
    expectStderrIncludes: ["No network options specified"],
  },
  {
    name: "bundle-create-error-empty-port-map",
    description: "'port-map' keyword at the end without options.",
    steps: [STONITH_OFF, bundleCreate("b", "container", "docker", "image=img:1", "port-map")],
    error: true,
    expectStderrIncludes: ["No port-map options specified"],
  },
  {
    name: "bundle-create-error-option-without-value",
    description: "An option without '='.",
    steps: [STONITH_OFF, bundleCreate("b", "container", "docker", "image")],
    error: true,
    expectStderrIncludes: ["missing value", "image"],
  },
  {
    name: "bundle-create-error-duplicate-option",
    description: "The same option twice with different values.",
    steps: [STONITH_OFF, bundleCreate("b", "container", "docker", "image=img:1", "replicas=1", "replicas=2")],
    error: true,
    expectStderrIncludes: ["duplicate option", "replicas", "'1'", "'2'"],
  },
  {
    name: "bundle-create-error-port-map-id",
    description: "Explicit port-map id that is invalid, and storage-map id that already exists.",
    steps: [
      STONITH_OFF,
      bundleCreate(
        "b", "container", "docker", "image=img:1",
        "port-map", "id=1port", "port=80",
        "storage-map", "id=cib-bootstrap-options", "source-dir=/a", "target-dir=/b",
      ),
    ],
    error: true,
    expectStderrIncludes: ["1port", "port-map id", "cib-bootstrap-options", "already exists"],
  },
  // ------------------------------------------------------------------ update
  {
    name: "bundle-update-container",
    description: "Change replicas, add options, remove run-command with an empty value; attribute set in place, new ones appended.",
    steps: [
      STONITH_OFF,
      B_FULL,
      bundleUpdate("b", "container", "replicas=5", "options=--privileged", "run-command=", "image=img:2"),
    ],
  },
  {
    name: "bundle-update-network",
    description: "Change ip-range-start, remove host-interface, add host-netmask on a bundle whose network has control-port.",
    steps: [
      STONITH_OFF,
      bundleCreate("b", "container", "docker", "image=img:1", "network", "control-port=3121", "host-interface=eth0", "ip-range-start=10.0.0.1"),
      bundleUpdate("b", "network", "ip-range-start=10.0.0.50", "host-interface=", "host-netmask=16"),
    ],
  },
  {
    name: "bundle-update-network-created",
    description: "Network options on a bundle without <network>: the element is appended at the END of the bundle (after storage and meta).",
    steps: [
      STONITH_OFF,
      bundleCreate("b", "container", "docker", "image=img:1", "storage-map", "source-dir=/a", "target-dir=/b", "meta", "priority=1"),
      bundleUpdate("b", "network", "control-port=3121"),
    ],
  },
  {
    name: "bundle-update-port-map-add-remove",
    description:
      "port-map delete and remove (removal happens before adding), port-map add with generated ids (collision with an existing id gives -1).",
    steps: [
      STONITH_OFF,
      B_FULL,
      bundleUpdate(
        "b",
        "port-map", "delete", "b-port-map-443",
        "port-map", "add", "port=80", "internal-port=8080",
        "port-map", "add", "range=7000-7010",
        "port-map", "remove", "b-port-map-80",
        "port-map", "add", "port=443",
      ),
    ],
  },
  {
    name: "bundle-update-port-map-on-bundle-without-network",
    description: "port-map add on a bundle with no <network>: network is created (appended at the end).",
    steps: [
      STONITH_OFF,
      bundleCreate("b", "container", "docker", "image=img:1", "meta", "priority=1"),
      bundleUpdate("b", "port-map", "add", "id=web", "port=80"),
    ],
  },
  {
    name: "bundle-update-remove-all-maps",
    description: "Removing every port-map and storage-map keeps empty <network/> and <storage/> elements.",
    steps: [
      STONITH_OFF,
      bundleCreate(
        "b", "container", "docker", "image=img:1", "port-map", "port=80",
        "storage-map", "source-dir=/a", "target-dir=/a", "storage-map", "source-dir=/b", "target-dir=/b",
      ),
      bundleUpdate("b", "port-map", "remove", "b-port-map-80", "storage-map", "delete", "b-storage-map", "b-storage-map-1"),
    ],
  },
  {
    name: "bundle-update-storage-map-add-remove",
    description: "storage-map remove then add; the freed id b-storage-map is reused.",
    steps: [
      STONITH_OFF,
      B_FULL,
      bundleUpdate(
        "b", "storage-map", "remove", "b-storage-map",
        "storage-map", "add", "source-dir=/srv/new", "target-dir=/new", "options=rw",
        "storage-map", "add", "id=extra", "source-dir-root=/srv/x", "target-dir=/x",
      ),
    ],
  },
  {
    name: "bundle-update-meta",
    description: "Meta update: change one, add one (appended, not re-sorted), remove one with an empty value.",
    steps: [
      STONITH_OFF,
      B_FULL,
      bundleUpdate("b", "meta", "target-role=Stopped", "priority=", "is-managed=false", "failure-timeout=60s"),
    ],
  },
  {
    name: "bundle-update-meta-created-first",
    description: "Meta on a bundle without meta_attributes: the new meta_attributes is inserted as the FIRST child.",
    steps: [STONITH_OFF, B_CP, bundleUpdate("b", "meta", "priority=3", "is-managed=true")],
  },
  {
    name: "bundle-update-all-sections",
    description: "Container, network, port-map, storage-map and meta in one update; port-map add port=80 while b-port-map-80 exists gives b-port-map-80-1.",
    steps: [
      STONITH_OFF,
      B_FULL,
      bundleUpdate(
        "b", "container", "replicas=1", "network", "host-netmask=", "port-map", "add", "port=8080",
        "port-map", "add", "port=80", "internal-port=81",
        "storage-map", "delete", "b-storage-map-1", "meta", "priority=20",
      ),
    ],
  },
  {
    name: "bundle-update-masters-to-promoted-max",
    description: "Switch from deprecated masters to promoted-max in one update (remove masters, set promoted-max).",
    steps: [
      STONITH_OFF,
      bundleCreate("b", "container", "docker", "image=img:1", "masters=1"),
      bundleUpdate("b", "container", "masters=", "promoted-max=2"),
    ],
    expectStderrIncludes: [],
  },
  {
    name: "bundle-update-unknown-network-option",
    description:
      "add-host (unknown to pcs 0.11.5, valid in the schema): setting it needs --force (warning); removing it (add-host=) needs no --force.",
    steps: [
      STONITH_OFF,
      bundleCreate("b", "container", "docker", "image=img:1", "network", "ip-range-start=10.0.0.1"),
      bundleUpdate("b", "network", "add-host=true", "--force"),
      bundleUpdate("b", "network", "add-host="),
    ],
  },
  {
    name: "bundle-update-remove-absent-option",
    description: "Removing an option that is not set (and that pcs does not know, foo=) is a successful no-op.",
    steps: [STONITH_OFF, B_MIN, bundleUpdate("b", "container", "foo=", "replicas=")],
  },
  {
    name: "bundle-update-error-unknown-option-forced-schema",
    description:
      "Setting an unknown container option with --force: pcs warns, then the CIB schema rejects it ('Unable to update cib'); nothing is written.",
    steps: [STONITH_OFF, B_MIN, bundleUpdate("b", "container", "foo=bar", "--force")],
    error: true,
    expectStderrIncludes: ["foo"],
  },
  {
    name: "bundle-update-remove-control-port-forced",
    description: "Removing control-port from a bundle with a resource inside and no ip-range-start, with --force: warning.",
    steps: [
      STONITH_OFF,
      B_CP,
      create("r", "ocf:heartbeat:Dummy", "bundle", "b"),
      bundleUpdate("b", "network", "control-port=", "--force"),
    ],
    expectStderrIncludes: ["r", "b", "control-port", "ip-range-start"],
  },
  {
    name: "bundle-update-in-bundles-cib",
    description: "Update a bundle holding a resource in a CIB with several bundles and constraints.",
    input: "inputs/bundles.xml",
    steps: [
      bundleUpdate(
        "web", "container", "replicas=3", "port-map", "remove", "web-port-map-9000-9009",
        "port-map", "add", "port=443", "meta", "resource-stickiness=", "priority=7",
      ),
    ],
  },
  // ----------------------------------------------------------- update errors
  {
    name: "bundle-update-error-missing-bundle",
    description: "Update of a bundle that does not exist.",
    steps: [STONITH_OFF, bundleUpdate("nope", "container", "replicas=2")],
    error: true,
    expectStderrIncludes: ["nope", "does not exist"],
  },
  {
    name: "bundle-update-error-not-a-bundle",
    description: "Update of an id that is a primitive, not a bundle.",
    steps: [STONITH_OFF, create("d", "ocf:heartbeat:Dummy"), bundleUpdate("d", "container", "replicas=2")],
    error: true,
    expectStderrIncludes: ["'d'", "bundle"],
  },
  {
    name: "bundle-update-error-delete-missing-port-map",
    description: "port-map delete of an id that does not exist.",
    steps: [STONITH_OFF, B_FULL, bundleUpdate("b", "port-map", "delete", "b-port-map-8080")],
    error: true,
    expectStderrIncludes: ["b-port-map-8080", "port-map", "b"],
  },
  {
    name: "bundle-update-error-delete-port-map-wrong-type",
    description: "port-map delete of an id that is a storage-map of the same bundle.",
    steps: [STONITH_OFF, B_FULL, bundleUpdate("b", "port-map", "delete", "b-storage-map")],
    error: true,
    expectStderrIncludes: ["b-storage-map", "port-map"],
  },
  {
    name: "bundle-update-error-delete-missing-storage-map",
    description: "storage-map remove of a missing id.",
    steps: [STONITH_OFF, B_FULL, bundleUpdate("b", "storage-map", "remove", "nope")],
    error: true,
    expectStderrIncludes: ["nope", "storage-map", "b"],
  },
  {
    name: "bundle-update-error-delete-map-of-other-bundle",
    description: "port-map delete of a port-mapping that belongs to another bundle.",
    steps: [
      STONITH_OFF,
      bundleCreate("a", "container", "docker", "image=img:1", "port-map", "port=80"),
      B_MIN,
      bundleUpdate("b", "port-map", "delete", "a-port-map-80"),
    ],
    error: true,
    expectStderrIncludes: ["a-port-map-80", "'b'"],
  },
  {
    name: "bundle-update-error-readd-removed-id",
    description:
      "Removing a port-map and adding one with the same explicit id in one command fails: explicit ids are checked against the CIB before the removal.",
    steps: [
      STONITH_OFF,
      bundleCreate("b", "container", "docker", "image=img:1", "port-map", "port=80"),
      bundleUpdate("b", "port-map", "remove", "b-port-map-80", "port-map", "add", "id=b-port-map-80", "port=81"),
    ],
    error: true,
    expectStderrIncludes: ["b-port-map-80", "already exists"],
  },
  {
    name: "bundle-update-error-map-syntax",
    description: "port-map without add/delete/remove.",
    steps: [STONITH_OFF, B_FULL, bundleUpdate("b", "port-map", "port=8080")],
    error: true,
    expectStderrIncludes: ["port-map", "add", "delete", "remove"],
  },
  {
    name: "bundle-update-error-empty-image",
    description: "image cannot be removed.",
    steps: [STONITH_OFF, B_MIN, bundleUpdate("b", "container", "image=")],
    error: true,
    expectStderrIncludes: ["image", "empty"],
  },
  {
    name: "bundle-update-error-values",
    description: "replicas=0, control-port=70000, host-netmask=abc in one update.",
    steps: [STONITH_OFF, B_FULL, bundleUpdate("b", "container", "replicas=0", "network", "control-port=70000", "host-netmask=abc")],
    error: true,
    expectStderrIncludes: ["replicas", "'0'", "control-port", "70000", "host-netmask", "abc"],
  },
  {
    name: "bundle-update-error-unknown-option",
    description: "Unknown container option on update (forceable).",
    steps: [STONITH_OFF, B_MIN, bundleUpdate("b", "container", "foo=bar")],
    error: true,
    expectStderrIncludes: ["foo", "container", "--force"],
  },
  {
    name: "bundle-update-error-masters-when-promoted-max",
    description: "Setting masters on a bundle that has promoted-max.",
    steps: [
      STONITH_OFF,
      bundleCreate("b", "container", "docker", "image=img:1", "promoted-max=1"),
      bundleUpdate("b", "container", "masters=2"),
    ],
    error: true,
    expectStderrIncludes: ["masters", "promoted-max", "already set"],
  },
  {
    name: "bundle-update-error-remove-control-port",
    description: "Removing control-port from a bundle with a resource inside and no ip-range-start (forceable).",
    steps: [
      STONITH_OFF,
      B_CP,
      create("r", "ocf:heartbeat:Dummy", "bundle", "b"),
      bundleUpdate("b", "network", "control-port="),
    ],
    error: true,
    expectStderrIncludes: ["'r'", "'b'", "control-port", "ip-range-start", "--force"],
  },
  {
    name: "bundle-update-error-port-map-add-invalid",
    description: "port-map add with both port and range, and with an id already in use.",
    steps: [
      STONITH_OFF,
      B_FULL,
      bundleUpdate("b", "port-map", "add", "port=1", "range=2-3", "port-map", "add", "id=b-storage-map", "port=5"),
    ],
    error: true,
    expectStderrIncludes: ["port", "range", "b-storage-map", "already exists"],
  },
  // ------------------------------------------------------------------- reset
  {
    name: "bundle-reset-no-resource",
    description: "Reset replaces the whole configuration; freed ids (port/storage maps, meta) are reused; network/storage/meta_attributes stay in place.",
    steps: [
      STONITH_OFF,
      B_FULL,
      bundleReset(
        "b", "container", "image=img:9", "replicas=1", "network", "control-port=3122",
        "port-map", "port=80", "storage-map", "source-dir=/x", "target-dir=/y", "meta", "priority=1",
      ),
    ],
  },
  {
    name: "bundle-reset-with-resource",
    description: "Reset keeps the primitive inside; empty network/storage/meta_attributes elements are kept when not refilled.",
    steps: [
      STONITH_OFF,
      B_FULL,
      create("r", "ocf:heartbeat:Dummy", "bundle", "b"),
      bundleReset("b", "container", "image=img:2", "network", "control-port=3121"),
    ],
  },
  {
    name: "bundle-reset-container-only",
    description: "Reset with only a container section: network loses everything and is kept as empty <network/> (no accessibility check on reset).",
    steps: [
      STONITH_OFF,
      B_FULL,
      create("r", "ocf:heartbeat:Dummy", "bundle", "b"),
      bundleReset("b", "container", "image=img:3"),
    ],
  },
  {
    name: "bundle-reset-disabled",
    description: "Reset with --disabled: target-role=Stopped put into the kept meta_attributes.",
    steps: [STONITH_OFF, B_FULL, bundleReset("b", "container", "image=img:1", "--disabled")],
  },
  {
    name: "bundle-reset-podman-in-bundles-cib",
    description: "Reset keeps the container type (podman) and drops the deprecated masters.",
    input: "inputs/bundles.xml",
    steps: [bundleReset("db", "container", "image=db:14", "promoted-max=1", "network", "control-port=3121")],
  },
  {
    name: "bundle-reset-error-missing-bundle",
    description: "Reset of a bundle that does not exist.",
    steps: [STONITH_OFF, bundleReset("nope", "container", "image=img:1")],
    error: true,
    expectStderrIncludes: ["nope", "does not exist"],
  },
  {
    name: "bundle-reset-error-no-image",
    description: "Reset without a container section fails: image is required on reset.",
    steps: [STONITH_OFF, B_FULL, bundleReset("b", "network", "control-port=3121")],
    error: true,
    expectStderrIncludes: ["image", "missing"],
  },
  // --------------------------------------------------------- resource create
  {
    name: "resource-create-apache-in-bundle",
    description: "apache in a bundle: default ops from metadata (start/stop/monitor; status, meta-data, validate-all skipped).",
    steps: [STONITH_OFF, B_CP, create("httpd", "ocf:heartbeat:apache", "bundle", "b")],
  },
  {
    name: "resource-create-dummy-ops-meta-attrs",
    description:
      "Dummy with instance attributes, a user monitor op (replaces the default monitor), extra op, meta; ids <rsc>-instance_attributes-<name>, <rsc>-<op>-interval-<interval>.",
    steps: [
      STONITH_OFF,
      B_CP,
      create(
        "d", "ocf:heartbeat:Dummy", "fake=abc", "state=/run/d.state",
        "op", "monitor", "interval=20s", "timeout=30s", "start", "timeout=60s",
        "meta", "priority=2", "migration-threshold=3", "bundle", "b",
      ),
    ],
  },
  {
    name: "resource-create-ipaddr2-in-bundle",
    description: "IPaddr2 in a bundle with ip-range-start only (no control-port).",
    steps: [
      STONITH_OFF,
      bundleCreate("b", "container", "docker", "image=img:1", "network", "ip-range-start=10.0.0.1"),
      create("vip", "ocf:heartbeat:IPaddr2", "ip=192.168.1.10", "cidr_netmask=24", "bundle", "b"),
    ],
  },
  {
    name: "resource-create-stateful-in-bundle",
    description: "Promotable agent: two role-specific monitor ops from metadata (role Promoted/Unpromoted).",
    steps: [
      STONITH_OFF,
      bundleCreate("b", "container", "docker", "image=img:1", "promoted-max=1", "network", "control-port=3121"),
      create("s", "ocf:pacemaker:Stateful", "bundle", "b"),
    ],
  },
  {
    name: "resource-create-disabled-in-bundle",
    description: "--disabled puts target-role=Stopped on the primitive (not the bundle).",
    steps: [STONITH_OFF, B_CP, create("d", "ocf:heartbeat:Dummy", "--disabled", "bundle", "b")],
  },
  {
    name: "resource-create-no-default-ops",
    description: "--no-default-ops: only the monitor operation (from metadata).",
    steps: [STONITH_OFF, B_CP, create("d", "ocf:heartbeat:Dummy", "--no-default-ops", "bundle", "b")],
  },
  {
    name: "resource-create-op-check-level",
    description:
      "OCF_CHECK_LEVEL on an op becomes an op instance_attributes nvpair; monitor without interval gets 60s.",
    steps: [
      STONITH_OFF,
      B_CP,
      create("d", "ocf:heartbeat:Dummy", "op", "monitor", "OCF_CHECK_LEVEL=10", "timeout=15s", "bundle", "b"),
    ],
  },
  {
    name: "resource-create-ip-range-forced",
    description: "Resource into a bundle without control-port/ip-range-start with --force: warning, added.",
    steps: [STONITH_OFF, B_MIN, create("d", "ocf:heartbeat:Dummy", "bundle", "b", "--force")],
    expectStderrIncludes: ["'d'", "'b'", "control-port", "ip-range-start"],
  },
  {
    name: "resource-create-unknown-agent-forced",
    description: "Unknown agent with --force: warning; only a monitor op with interval 60s.",
    steps: [STONITH_OFF, B_CP, create("x", "ocf:heartbeat:nope", "bundle", "b", "--force")],
    expectStderrIncludes: ["ocf:heartbeat:nope"],
  },
  {
    name: "resource-create-error-second-resource",
    description: "A second resource in the same bundle.",
    steps: [
      STONITH_OFF,
      B_CP,
      create("r1", "ocf:heartbeat:Dummy", "bundle", "b"),
      create("r2", "ocf:heartbeat:Dummy", "bundle", "b"),
    ],
    error: true,
    expectStderrIncludes: ["'b'", "'r1'", "at most one"],
  },
  {
    name: "resource-create-error-not-accessible",
    description: "Resource into a bundle without control-port or ip-range-start (forceable).",
    steps: [STONITH_OFF, B_MIN, create("d", "ocf:heartbeat:Dummy", "bundle", "b")],
    error: true,
    expectStderrIncludes: ["'d'", "'b'", "control-port", "ip-range-start", "--force"],
  },
  {
    name: "resource-create-error-unknown-agent",
    description: "Unknown agent (forceable).",
    steps: [STONITH_OFF, B_CP, create("x", "ocf:heartbeat:nope", "bundle", "b")],
    error: true,
    expectStderrIncludes: ["ocf:heartbeat:nope", "--force"],
  },
  {
    name: "resource-create-error-missing-bundle",
    description: "bundle ID that does not exist.",
    steps: [STONITH_OFF, create("d", "ocf:heartbeat:Dummy", "bundle", "nope")],
    error: true,
    expectStderrIncludes: ["nope", "does not exist"],
  },
  {
    name: "resource-create-error-duplicate-id",
    description: "Resource id equal to the bundle id.",
    steps: [STONITH_OFF, B_CP, create("b", "ocf:heartbeat:Dummy", "bundle", "b")],
    error: true,
    expectStderrIncludes: ["'b'", "already exists"],
  },
  {
    name: "resource-create-error-invalid-id",
    description: "Resource id starting with a digit.",
    steps: [STONITH_OFF, B_CP, create("1r", "ocf:heartbeat:Dummy", "bundle", "b")],
    error: true,
    expectStderrIncludes: ["1r", "'1'", "resource name"],
  },
  {
    name: "resource-create-error-two-bundles",
    description: "More than one id after 'bundle'.",
    steps: [STONITH_OFF, B_CP, create("d", "ocf:heartbeat:Dummy", "bundle", "b", "c")],
    error: true,
    expectStderrIncludes: ["exactly one bundle"],
  },
  {
    name: "resource-create-error-unknown-instance-attribute",
    description: "Unknown instance attribute for the agent (forceable).",
    steps: [STONITH_OFF, B_CP, create("d", "ocf:heartbeat:Dummy", "foo=bar", "bundle", "b")],
    error: true,
    expectStderrIncludes: ["foo", "--force"],
  },
  {
    name: "resource-create-error-missing-required-attribute",
    description: "IPaddr2 without its required 'ip' (forceable).",
    steps: [STONITH_OFF, B_CP, create("vip", "ocf:heartbeat:IPaddr2", "bundle", "b")],
    error: true,
    expectStderrIncludes: ["ip", "--force"],
  },
  {
    name: "resource-create-error-duplicate-op-interval",
    description: "Two monitor ops with the same interval (10s vs 10).",
    steps: [STONITH_OFF, B_CP, create("d", "ocf:heartbeat:Dummy", "op", "monitor", "interval=10s", "monitor", "interval=10", "bundle", "b")],
    error: true,
    expectStderrIncludes: ["monitor", "10s", "10"],
  },
  // ---------------------------------------------------------- resource delete
  {
    name: "resource-delete-bundle-empty",
    description: "Delete a bundle without a resource; constraints referencing it are removed too.",
    steps: [
      STONITH_OFF,
      B_FULL,
      ["constraint", "location", "b", "prefers", "node1"],
      ["resource", "delete", "b"],
    ],
  },
  {
    name: "resource-delete-bundle-with-resource",
    description: "Delete a bundle with a resource inside: the resource, constraints on both, and the bundle are removed.",
    steps: [
      STONITH_OFF,
      B_CP,
      create("r", "ocf:heartbeat:Dummy", "bundle", "b"),
      create("other", "ocf:heartbeat:Dummy"),
      ["constraint", "location", "b", "avoids", "node2"],
      ["constraint", "order", "other", "then", "b"],
      ["resource", "delete", "b"],
    ],
  },
  {
    name: "resource-delete-inner-resource",
    description: "Delete only the resource inside a bundle: the bundle stays.",
    steps: [
      STONITH_OFF,
      B_CP,
      create("r", "ocf:heartbeat:Dummy", "bundle", "b"),
      ["resource", "delete", "r"],
    ],
  },
  {
    name: "resource-remove-bundle-in-rich-cib",
    description: "'resource remove' (alias) of a bundle with apache inside in the rich CIB; everything else preserved.",
    input: "inputs/rich.xml",
    steps: [["resource", "remove", "httpd-bundle"]],
  },
  {
    name: "resource-delete-error-missing",
    description: "Delete of an id that does not exist.",
    steps: [STONITH_OFF, ["resource", "delete", "nope"]],
    error: true,
    expectStderrIncludes: ["nope", "does not exist"],
  },
  // ------------------------------------------------------- enable / disable
  {
    name: "resource-disable-enable-bundle",
    description: "disable writes target-role=Stopped into a new first meta_attributes; enable removes the nvpair, keeping an empty meta_attributes.",
    steps: [STONITH_OFF, B_CP, ["resource", "disable", "b"], ["resource", "enable", "b"]],
  },
  {
    name: "resource-disable-bundle-with-meta",
    description: "disable on a bundle with meta: target-role nvpair updated in place.",
    steps: [STONITH_OFF, B_FULL, ["resource", "disable", "b"]],
  },
  {
    name: "resource-enable-bundle-enables-inner",
    description: "Enabling a bundle also enables the resource inside it.",
    steps: [
      STONITH_OFF,
      B_CP,
      create("r", "ocf:heartbeat:Dummy", "--disabled", "bundle", "b"),
      ["resource", "disable", "b"],
      ["resource", "enable", "b"],
    ],
  },
  {
    name: "resource-disable-multiple",
    description: "disable several ids (a bundle and a primitive) at once.",
    input: "inputs/bundles.xml",
    steps: [["resource", "disable", "bare", "standalone"]],
  },
  {
    name: "resource-disable-inner-resource",
    description: "disable of the resource inside a bundle: only the primitive gets target-role=Stopped.",
    steps: [STONITH_OFF, B_CP, create("r", "ocf:heartbeat:Dummy", "bundle", "b"), ["resource", "disable", "r"]],
  },
  {
    name: "resource-disable-error-missing",
    description: "disable of an unknown id.",
    steps: [STONITH_OFF, B_MIN, ["resource", "disable", "b", "nope"]],
    error: true,
    expectStderrIncludes: ["nope", "does not exist"],
  },
  {
    name: "resource-enable-error-missing",
    description: "enable of an unknown id.",
    steps: [STONITH_OFF, ["resource", "enable", "nope"]],
    error: true,
    expectStderrIncludes: ["nope", "does not exist"],
  },
  // ---------------------------------------------------------------- property
  {
    name: "property-set-maintenance-mode",
    description: "Set maintenance-mode, change it together with a new property (appended), then unset it.",
    steps: [
      STONITH_OFF,
      ["property", "set", "maintenance-mode=true"],
      ["property", "set", "no-quorum-policy=freeze", "maintenance-mode=false"],
      ["property", "unset", "maintenance-mode"],
    ],
  },
  {
    name: "property-set-empty-value-removes",
    description: "property set NAME= removes the property.",
    steps: [STONITH_OFF, ["property", "set", "maintenance-mode=true"], ["property", "set", "maintenance-mode="]],
  },
  {
    name: "property-set-unknown-forced",
    description: "Unknown property with --force: warning, written.",
    steps: [STONITH_OFF, ["property", "set", "foo=bar", "--force"]],
    expectStderrIncludes: ["foo"],
  },
  {
    name: "property-set-in-rich-cib",
    description: "Property set in the rich CIB: nvpair appended to the existing cib-bootstrap-options.",
    input: "inputs/rich.xml",
    steps: [["property", "set", "maintenance-mode=true", "no-quorum-policy=stop"]],
  },
  {
    name: "property-set-error-unknown",
    description: "Unknown property without --force.",
    steps: [STONITH_OFF, ["property", "set", "foo=bar"]],
    error: true,
    expectStderrIncludes: ["foo", "cluster property", "--force"],
  },
  {
    name: "property-set-error-bad-value",
    description: "maintenance-mode=maybe.",
    steps: [STONITH_OFF, ["property", "set", "maintenance-mode=maybe"]],
    error: true,
    expectStderrIncludes: ["maybe", "maintenance-mode", "--force"],
  },
  {
    name: "property-unset-error-not-set",
    description: "Unset of a property that is not set.",
    steps: [STONITH_OFF, ["property", "unset", "maintenance-mode"]],
    error: true,
    expectStderrIncludes: ["maintenance-mode", "cib-bootstrap-options"],
  },
  // -------------------------------------------------------------- constraints
  {
    name: "constraint-location-prefers-avoids",
    description:
      "prefers NODE (INFINITY), prefers NODE=SCORE, avoids NODE (-INFINITY), avoids NODE=SCORE (negated); ids location-<rsc>-<node>-<score>.",
    steps: [
      STONITH_OFF,
      B_MIN,
      ["constraint", "location", "b", "prefers", "node1", "node2=50"],
      ["constraint", "location", "b", "avoids", "node3", "node4=20"],
    ],
  },
  {
    name: "constraint-location-replaces-same-node",
    description: "A second location for the same resource and node replaces the first (new id, appended at the end).",
    steps: [
      STONITH_OFF,
      B_MIN,
      create("d", "ocf:heartbeat:Dummy"),
      ["constraint", "location", "b", "prefers", "node1=10"],
      ["constraint", "location", "d", "prefers", "node1"],
      ["constraint", "location", "b", "avoids", "node1"],
    ],
  },
  {
    name: "constraint-location-inner-resource-forced",
    description: "Location on the resource inside a bundle with --force: written with rsc=<inner resource>.",
    steps: [
      STONITH_OFF,
      B_CP,
      create("r", "ocf:heartbeat:Dummy", "bundle", "b"),
      ["constraint", "location", "r", "prefers", "node1", "--force"],
    ],
  },
  {
    name: "constraint-colocation-add",
    description: "colocation A with B (INFINITY) and with an explicit score; ids colocation-<A>-<B>-<score>.",
    steps: [
      STONITH_OFF,
      B_MIN,
      create("d1", "ocf:heartbeat:Dummy"),
      create("d2", "ocf:heartbeat:Dummy"),
      ["constraint", "colocation", "add", "d1", "with", "b"],
      ["constraint", "colocation", "add", "d2", "with", "b", "-100"],
    ],
  },
  {
    name: "constraint-order",
    description: "order A then B (start/start, mandatory); order promote A then start B; order with kind=Optional.",
    steps: [
      STONITH_OFF,
      bundleCreate("b", "container", "docker", "image=img:1", "promoted-max=1"),
      create("d1", "ocf:heartbeat:Dummy"),
      create("d2", "ocf:heartbeat:Dummy"),
      ["constraint", "order", "d1", "then", "b"],
      ["constraint", "order", "promote", "b", "then", "start", "d2"],
      ["constraint", "order", "stop", "d1", "then", "stop", "d2", "kind=Optional"],
    ],
  },
  {
    name: "constraint-delete-remove",
    description: "constraint delete ID and constraint remove ID.",
    steps: [
      STONITH_OFF,
      B_MIN,
      create("d", "ocf:heartbeat:Dummy"),
      ["constraint", "location", "b", "prefers", "node1"],
      ["constraint", "colocation", "add", "d", "with", "b"],
      ["constraint", "order", "d", "then", "b"],
      ["constraint", "delete", "location-b-node1-INFINITY"],
      ["constraint", "remove", "order-d-b-mandatory"],
    ],
  },
  {
    name: "constraint-delete-in-rich-cib",
    description: "Delete a constraint in the rich CIB.",
    input: "inputs/rich.xml",
    steps: [["constraint", "delete", "colocation-web-group-vip-INFINITY"]],
  },
  {
    name: "constraint-location-error-inner-resource",
    description: "Location on the resource inside a bundle without --force.",
    steps: [
      STONITH_OFF,
      B_CP,
      create("r", "ocf:heartbeat:Dummy", "bundle", "b"),
      ["constraint", "location", "r", "prefers", "node1"],
    ],
    error: true,
    expectStderrIncludes: ["r", "bundle", "b", "--force"],
  },
  {
    name: "constraint-location-error-bad-score",
    description: "Non-numeric score.",
    steps: [STONITH_OFF, B_MIN, ["constraint", "location", "b", "prefers", "node1=abc"]],
    error: true,
    expectStderrIncludes: ["abc", "score"],
  },
  {
    name: "constraint-location-error-missing-resource",
    description: "Location for a resource that does not exist.",
    steps: [STONITH_OFF, ["constraint", "location", "nope", "prefers", "node1"]],
    error: true,
    expectStderrIncludes: ["nope", "does not exist"],
  },
  {
    name: "constraint-colocation-error-duplicate",
    description: "Second colocation of the same pair (score ignored for the duplicate check).",
    steps: [
      STONITH_OFF,
      B_MIN,
      create("d", "ocf:heartbeat:Dummy"),
      ["constraint", "colocation", "add", "d", "with", "b"],
      ["constraint", "colocation", "add", "d", "with", "b", "50"],
    ],
    error: true,
    expectStderrIncludes: ["duplicate constraint", "--force"],
  },
  {
    name: "constraint-colocation-error-missing-resource",
    description: "Colocation with a resource that does not exist.",
    steps: [STONITH_OFF, B_MIN, ["constraint", "colocation", "add", "b", "with", "nope"]],
    error: true,
    expectStderrIncludes: ["nope", "does not exist"],
  },
  {
    name: "constraint-order-error-duplicate",
    description: "Second order constraint with the same resources and actions.",
    steps: [
      STONITH_OFF,
      B_MIN,
      create("d", "ocf:heartbeat:Dummy"),
      ["constraint", "order", "d", "then", "b"],
      ["constraint", "order", "start", "d", "then", "start", "b"],
    ],
    error: true,
    expectStderrIncludes: ["duplicate constraint", "--force"],
  },
  {
    name: "constraint-delete-error-missing",
    description: "Delete of a constraint id that does not exist.",
    steps: [STONITH_OFF, ["constraint", "delete", "nope"]],
    error: true,
    expectStderrIncludes: ["nope"],
  },
  {
    name: "resource-defaults-update",
    description: "Resource defaults: set, change, add, remove one (rsc_defaults-meta_attributes).",
    steps: [
      STONITH_OFF,
      ["resource", "defaults", "update", "resource-stickiness=1"],
      ["resource", "defaults", "update", "resource-stickiness=INFINITY", "migration-threshold=3", "failure-timeout=60s"],
      ["resource", "defaults", "update", "failure-timeout="],
    ],
  },
  {
    name: "resource-defaults-legacy",
    description: "The deprecated form 'resource defaults NAME=VALUE', then update of the same set.",
    steps: [STONITH_OFF, ["resource", "defaults", "resource-stickiness=2"], ["resource", "defaults", "update", "priority=10"]],
  },
  {
    name: "resource-defaults-remove-last",
    description: "Removing the only default leaves the empty set, as pcs does.",
    steps: [STONITH_OFF, ["resource", "defaults", "update", "resource-stickiness=1"], ["resource", "defaults", "update", "resource-stickiness="]],
  },
  {
    name: "resource-defaults-error-missing-value",
    description: "A NAME without =VALUE.",
    steps: [STONITH_OFF, ["resource", "defaults", "update", "resource-stickiness"]],
    error: true,
    expectStderrIncludes: ["resource-stickiness"],
  },
];
