// Parsing a CIB "like" another (the shared-subtree parse `cib diff` uses for speed) must change
// nothing: the tree is exactly the one a parse on its own gives, and a diff of the shared trees is
// exactly the diff of trees parsed apart. Over generated pairs, and over large CIBs (elements past
// the sharing threshold) with a few bundles edited, added, removed or moved.
import t from 'tap';
import { SourceIndex, parseXml, serializeXml } from '../../src/cib/xml';
import { diffCib } from '../../src/patch/diff';
import { Gen, mutate, randomCib } from './random-cib';
import { exact } from './tree-compare';

function check(textA: string, textB: string): string | undefined {
  const index = new SourceIndex();
  const a = parseXml(textA, 'a', { index });
  const b = parseXml(textB, 'b', { like: index });
  const aAlone = parseXml(textA, 'a');
  const bAlone = parseXml(textB, 'b');
  if (exact(a) !== exact(aAlone)) return 'ORIG parsed with an index differs';
  if (exact(b) !== exact(bAlone)) return 'NEW parsed like ORIG differs from NEW parsed alone';
  for (const opts of [{}, { noVersion: true }]) {
    if (serializeXml(diffCib(a, b, opts)) !== serializeXml(diffCib(aAlone, bAlone, opts))) return `the diff ${JSON.stringify(opts)} of shared trees differs`;
  }
  if (exact(a) !== exact(aAlone)) return 'the diff changed a shared tree';
  return undefined;
}

t.test('generated pairs', async (t) => {
  const failures: string[] = [];
  for (let seed = 1; seed <= 400; seed++) {
    const g = new Gen(seed);
    const a = randomCib(g);
    const b = mutate(g, a);
    const why = check(serializeXml(a), serializeXml(b));
    if (why) failures.push(`seed ${seed}: ${why}`);
  }
  t.same(failures, [], '400 pairs');
});

function bigCib(n: number, edit: (i: number, xml: string) => string | undefined): string {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const xml = `<bundle id="b${i}"><docker image="img:${i % 7}" replicas="3" replicas-per-host="1" options="--log-driver=journald"/><network ip-range-start="10.${i % 250}.${(i >> 3) % 250}.1" host-interface="eth0" host-netmask="24"><port-mapping id="b${i}-port" port="80"/></network><storage><storage-mapping id="b${i}-storage" source-dir-root="/var/local/containers" target-dir="/var/www/html" options="rw"/></storage></bundle>`;
    const e = edit(i, xml);
    if (e !== undefined) parts.push(e);
  }
  return `<cib epoch="5" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes/><resources>${parts.join('\n')}</resources><constraints/></configuration><status/></cib>`;
}

t.test('large CIBs with a few bundles edited, removed, added or moved', async (t) => {
  const failures: string[] = [];
  for (let seed = 1; seed <= 20; seed++) {
    const g = new Gen(seed);
    const a = bigCib(400, (_, x) => x);
    const moved: string[] = [];
    const b = bigCib(400, (i, x) => {
      const r = g.int(40);
      if (r === 0) return x.replace('replicas="3"', 'replicas="4"');
      if (r === 1) return undefined;
      if (r === 2) return x + `<bundle id="new${i}"><docker image="x" replicas="1"/></bundle>`;
      if (r === 3) { moved.push(x); return undefined; }
      if (r === 4) return x.replace('options="rw"', 'options="ro"');
      return x;
    }).replace('</resources>', `${moved.join('')}</resources>`);
    const why = check(a, b);
    if (why) failures.push(`seed ${seed}: ${why}`);
  }
  t.same(failures, [], '20 large pairs');
});
