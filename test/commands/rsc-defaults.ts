// `resource defaults`: what pcs writes is checked by the golden cases (test/pcs-golden.ts,
// resource-defaults-*); here what berth adds: values checked, --force, the text and JSON views,
// and that the scheduler honours the stickiness it writes.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { parseCib } from '../../src/cib/cib';
import { readPlacementConfig } from '../helpers/placement-config';

async function berth(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => { out += s; }, err: (s) => { err += s; } });
  return { code, out, err };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-rsc-defaults-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

t.test('bad values: an error naming the attribute, the value and what is allowed; nothing written', async (t) => {
  const f = path.join(dir, 'bad.xml');
  t.equal((await berth('-f', f, 'resource', 'defaults', 'update', 'resource-stickiness=1')).code, 0);
  const before = fs.readFileSync(f, 'utf8');
  const cases: [string, RegExp][] = [
    ['resource-stickiness=abc', /'abc' is not a valid resource-stickiness value, use a score/],
    ['migration-threshold=1.5', /'1\.5' is not a valid migration-threshold value/],
    ['migration-threshold=-2', /'-2' is not a valid migration-threshold value, use INFINITY or a whole number/],
    ['failure-timeout=5us', /'5us' is not a valid failure-timeout value/],
    ['failure-timeout=5x', /'5x' is not a valid failure-timeout value, use a duration/],
    ['target-role=Running', /'Running' is not a valid target-role value, use Started, Stopped/],
    ['is-managed=maybe', /'maybe' is not a valid is-managed value, use a boolean/],
    ['priority=high', /'high' is not a valid priority value, use an integer/],
  ];
  for (const [arg, message] of cases) {
    const r = await berth('-f', f, 'resource', 'defaults', 'update', arg, '--json');
    t.equal(r.code, 1, arg);
    const [p] = JSON.parse(r.err).problems;
    t.match(p, { code: 'OPTION_INVALID_VALUE', path: `rsc_defaults/${arg.split('=')[0]}`, value: arg.split('=')[1], forceable: true, message }, arg);
    t.equal(fs.readFileSync(f, 'utf8'), before, `${arg}: the file is unchanged`);
  }
  const ok = ['resource-stickiness=-INFINITY', 'migration-threshold=+INFINITY', 'failure-timeout=PT1M30S', 'failure-timeout=2min', 'target-role=stopped', 'is-managed=off', 'priority=-5', 'multiple-active=block'];
  for (const arg of ok) t.equal((await berth('-f', f, 'resource', 'defaults', 'update', arg)).code, 0, `${arg} is accepted`);
});

t.test('--force takes a bad value, with a warning', async (t) => {
  const f = path.join(dir, 'force.xml');
  const r = await berth('-f', f, 'resource', 'defaults', 'update', 'resource-stickiness=abc', '--force');
  t.equal(r.code, 0);
  t.match(r.err, /Warning: 'abc' is not a valid resource-stickiness value/);
  t.match(fs.readFileSync(f, 'utf8'), /name="resource-stickiness" value="abc"/);
});

t.test('config: pcs\'s text, and JSON', async (t) => {
  const f = path.join(dir, 'config.xml');
  t.equal((await berth('-f', f, 'property', 'set', 'stonith-enabled=false')).code, 0);
  t.equal((await berth('-f', f, 'resource', 'defaults')).out, 'No defaults set\n');
  await berth('-f', f, 'resource', 'defaults', 'update', 'resource-stickiness=1', 'migration-threshold=3');
  t.equal((await berth('-f', f, 'resource', 'defaults', 'config')).out, 'Meta Attrs: rsc_defaults-meta_attributes\n  migration-threshold=3\n  resource-stickiness=1\n');
  t.same(JSON.parse((await berth('-f', f, 'resource', 'defaults', 'config', '--json')).out), {
    meta_attributes: [{
      id: 'rsc_defaults-meta_attributes', options: {}, rule: null,
      nvpairs: [
        { id: 'rsc_defaults-meta_attributes-resource-stickiness', name: 'resource-stickiness', value: '1' },
        { id: 'rsc_defaults-meta_attributes-migration-threshold', name: 'migration-threshold', value: '3' },
      ],
    }],
  });
  t.equal((await berth('-f', f, 'resource', 'defaults', 'config', 'extra')).code, 2, 'config takes no arguments');
  t.equal((await berth('-f', f, 'resource', 'defaults', 'update')).code, 2, 'update needs NAME=VALUE');
  t.match((await berth('resource', 'defaults', '--help')).out, /resource defaults update NAME=VALUE/);
});

t.test('the scheduler honours the stickiness written', async (t) => {
  const f = path.join(dir, 'sched.xml');
  await berth('-f', f, 'resource', 'bundle', 'create', 'web', 'container', 'docker', 'image=img:1', 'replicas=2');
  t.equal(readPlacementConfig(parseCib(fs.readFileSync(f, 'utf8'))).bundles[0].stickiness, 0, 'none set: 0');
  await berth('-f', f, 'resource', 'defaults', 'update', 'resource-stickiness=5');
  t.equal(readPlacementConfig(parseCib(fs.readFileSync(f, 'utf8'))).bundles[0].stickiness, 5);
});
