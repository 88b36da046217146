import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseXml } from '../../src/cib/xml';
import { diffCib } from '../../src/patch/diff';
import { formatPatchText } from '../../src/patch/text-format';

const fixture = (name: string, f: string) => parseXml(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'crm_diff', name, f), 'utf8'));

t.test('attributes: + added, - removed, ~ old => new; bundles named by id', async (t) => {
  const orig = fixture('03-attributes', 'orig.xml');
  t.equal(formatPatchText(orig, diffCib(orig, fixture('03-attributes', 'new.xml'))), `Version 0.17.2 => 0.18.0
~ cib
  ~ epoch: "17" => "18"
  ~ num_updates: "2" => "0"
  ~ configuration
    ~ resources
      ~ group "web-group"
        ~ primitive "web-svc"
          - type: "Dummy"
      ~ bundle "httpd-bundle"
        + description: "web front"
        ~ docker
          ~ replicas: "3" => "5"
          - options: "--log-driver=journald"
        ~ network
          - host-netmask: "24"
    ~ constraints
      ~ rsc_location "location-vip-node1-50"
        ~ score: "50" => "75"
0 added, 0 removed, 6 changed, 0 moved
`, 'an attribute that only moved (vip: class/type reordered) is not shown');
});

t.test('elements added and removed in full, moves with their position', async (t) => {
  const orig = parseXml('<cib><configuration><resources><bundle id="old"><docker image="x"/></bundle><bundle id="a"/><bundle id="b"/></resources></configuration></cib>');
  const next = parseXml('<cib><configuration><resources><bundle id="b"/><bundle id="a"/><bundle id="web"><docker image="nginx" replicas="2"/><!-- hi --></bundle></resources></configuration></cib>');
  t.equal(formatPatchText(orig, diffCib(orig, next)), `~ cib
  ~ configuration
    ~ resources
      - bundle "old"
        - docker
          - image: "x"
      ~ bundle "b" (moved to position 0)
      ~ bundle "a" (moved to position 1)
      + bundle "web" (at position 2)
        + docker
          + image: "nginx"
          + replicas: "2"
        + comment "hi"
1 added, 1 removed, 0 changed, 2 moved
`);
});

t.test('no changes', async (t) => {
  const orig = fixture('03-attributes', 'orig.xml');
  t.equal(formatPatchText(orig, diffCib(orig, orig)), 'No changes.\n');
});
