// Store URLs: which store each form names, and the error for everything else.
import t from 'tap';
import * as path from 'node:path';
import { BerthError } from '../../src/errors/registry';
import { EtcdStore } from '../../src/store/etcd-store';
import { FileStore } from '../../src/store/file-store';
import { privateDir } from '../helpers/etcd';
import { problemsThrown } from '../helpers/problems';
import { DEFAULT_STORE_URL, STORE_URL_FORMS, StoreLocation, openStore, parseStoreUrl } from '../../src/store/open';

const parsed = (url: string): StoreLocation | { code: string; value?: string; allowed?: string } => {
  try {
    return parseStoreUrl(url);
  } catch (e) {
    if (!(e instanceof BerthError)) throw e;
    const { code, value, allowed } = e.problems[0];
    return { code, value, allowed };
  }
};

t.test('the forms a store URL takes', async (t) => {
  const ep = (host: string, port = 2379) => ({ host, port });
  const cases: [string, StoreLocation][] = [
    ['file:///var/lib/berth', { kind: 'file', dir: '/var/lib/berth' }],
    ['file:///var/lib/berth/', { kind: 'file', dir: '/var/lib/berth' }],
    ['file://localhost/srv/my%20cib', { kind: 'file', dir: '/srv/my cib' }],
    ['/srv/berth', { kind: 'file', dir: '/srv/berth' }],
    ['state/berth', { kind: 'file', dir: path.resolve('state/berth') }],
    ['./x', { kind: 'file', dir: path.resolve('x') }],
    ['etcd://127.0.0.1:2379/berth', { kind: 'etcd', endpoints: [ep('127.0.0.1')], prefix: '/berth' }],
    ['etcd://a.example:1,b.example:2,[::1]:3/clusters/prod', { kind: 'etcd', endpoints: [ep('a.example', 1), ep('b.example', 2), ep('::1', 3)], prefix: '/clusters/prod' }],
    ['etcd://db1/', { kind: 'etcd', endpoints: [ep('db1')], prefix: '/berth' }],
    ['ETCD://db1:2379', { kind: 'etcd', endpoints: [ep('db1')], prefix: '/berth' }],
    ['etcd://db1:2379//a//b/', { kind: 'etcd', endpoints: [ep('db1')], prefix: '/a/b' }],
  ];
  for (const [url, want] of cases) t.same(parsed(url), want, url);
});

t.test('anything else is refused, naming the URL and the allowed forms', async (t) => {
  const bad = [
    '', '   ', 'http://127.0.0.1:2379', 'etcd:127.0.0.1:2379', 'etcd://', 'etcd:///berth', 'etcd://h:0/x', 'etcd://h:65536/x',
    'etcd://h:port/x', 'etcd://h:1,/x', 'etcd://h_1:1/x', 'etcd://h:1/x?timeout=1', 'etcd://h:1/.hidden', 'etcd://h:1/a b',
    'file:relative', 'file://otherhost/x', 'file:///x?y', 'c:\\berth',
  ];
  for (const url of bad) t.same(parsed(url), { code: 'STORE_URL_INVALID', value: url, allowed: STORE_URL_FORMS }, JSON.stringify(url));
  t.match(problemsThrown(() => parseStoreUrl('redis://x', 'BERTH_STORE')), [{
    path: 'BERTH_STORE',
    message: `'redis://x' (BERTH_STORE) is not a valid store URL: 'redis:' is not a store kind; use ${STORE_URL_FORMS}`,
  }], 'says where the URL came from, and why it is refused');
});

t.test('openStore: the argument, else BERTH_STORE, else the default; opening touches nothing', async (t) => {
  const saved = process.env.BERTH_STORE;
  t.teardown(() => { if (saved === undefined) delete process.env.BERTH_STORE; else process.env.BERTH_STORE = saved; });
  const dir = privateDir(t);
  process.env.BERTH_STORE = 'etcd://127.0.0.1:1/from-env';
  const fromArg = openStore(path.join(dir, 'a'));
  t.ok(fromArg instanceof FileStore);
  t.equal(fromArg.url, `file://${dir}/a`);
  const fromEnv = openStore();
  t.ok(fromEnv instanceof EtcdStore);
  t.equal(fromEnv.url, 'etcd://127.0.0.1:1/from-env');
  await fromEnv.close();
  for (const unset of [undefined, '']) {
    if (unset === undefined) delete process.env.BERTH_STORE; else process.env.BERTH_STORE = unset;
    const def = openStore();
    t.equal(def.url, DEFAULT_STORE_URL, `BERTH_STORE ${JSON.stringify(unset)}: the default`);
  }
  process.env.BERTH_STORE = 'nope://x';
  const failure = (open: () => unknown) => {
    try {
      open();
      return 'opened';
    } catch (e) {
      const { code, path } = (e as BerthError).problems[0];
      return { code, path };
    }
  };
  t.same(failure(() => openStore()), { code: 'STORE_URL_INVALID', path: 'BERTH_STORE' });
  t.same(failure(() => openStore('')), { code: 'STORE_URL_INVALID', path: 'store URL' }, 'an empty argument is not "unset"');
});
