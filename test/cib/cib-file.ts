import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { berthAsync, berthSync } from '../helpers/cli';
import { parseCib, section, EMPTY_CIB_XML } from '../../src/cib/cib';
import { elements } from '../../src/cib/xml';
import { writeFileAtomic, withFileLock } from '../../src/cib/cib-file';

t.test('20 concurrent berth -f edits of one file lose no update', async (t) => {
  const dir = t.testdir({ 'cib.xml': EMPTY_CIB_XML });
  const file = path.join(dir, 'cib.xml');
  const runs = await Promise.all(
    Array.from({ length: 20 }, (_, i) => berthAsync(['-f', file, 'resource', 'bundle', 'create', `b${i}`, 'container', 'docker', 'image=img:1', 'network', `ip-range-start=127.0.1.${10 + i * 4}`])),
  );
  t.same(runs.map((r) => r.code), Array(20).fill(0), runs.map((r) => r.stderr).join(''));
  const cib = parseCib(fs.readFileSync(file, 'utf8'));
  const ids = elements(section(cib, 'resources'), 'bundle').map((b) => b.attrs.id).sort();
  t.same(ids, Array.from({ length: 20 }, (_, i) => `b${i}`).sort(), 'all 20 bundles present');
  t.equal(cib.attrs.epoch, '21', 'one epoch bump per edit');
  t.same(fs.readdirSync(dir).sort(), ['cib.xml'], 'no temp or lock files left');
});

t.test('a failed edit leaves the file byte-for-byte unchanged, with its mode', async (t) => {
  const dir = t.testdir({ 'cib.xml': EMPTY_CIB_XML.replace('<resources/>', '<resources>\n<!-- keep me -->\n</resources>') });
  const file = path.join(dir, 'cib.xml');
  fs.chmodSync(file, 0o640);
  const before = fs.readFileSync(file);
  const r = berthSync(['-f', file, 'resource', 'bundle', 'create', 'b', 'container', 'docker', 'image=x', 'replicas=0']);
  t.equal(r.code, 1);
  t.match(r.stderr, "'0' is not a valid replicas value");
  t.same(fs.readFileSync(file), before);
  const ok = berthSync(['-f', file, 'resource', 'bundle', 'create', 'b', 'container', 'docker', 'image=x']);
  t.equal(ok.code, 0, ok.stderr);
  t.equal(fs.statSync(file).mode & 0o777, 0o640, 'mode kept by the atomic write');
  t.match(fs.readFileSync(file, 'utf8'), '<!-- keep me -->', 'comments kept');
});

t.test('a lock held by a dead process is taken over; a live one times out cleanly', async (t) => {
  const dir = t.testdir({ 'cib.xml': EMPTY_CIB_XML });
  const file = path.join(dir, 'cib.xml');
  fs.writeFileSync(path.join(dir, '.cib.xml.lock'), '999999');
  const r = berthSync(['-f', file, 'resource', 'bundle', 'create', 'b', 'container', 'docker', 'image=x']);
  t.equal(r.code, 0, r.stderr);
  fs.writeFileSync(path.join(dir, '.cib.xml.lock'), String(process.pid));
  const before = fs.readFileSync(file);
  const locked = berthSync(['-f', file, '--json', 'resource', 'delete', 'b'], { env: { BERTH_LOCK_TIMEOUT_MS: '300' } });
  t.equal(locked.code, 1);
  t.equal(JSON.parse(locked.stderr).problems[0].code, 'FILE_LOCKED');
  t.same(fs.readFileSync(file), before);
  fs.unlinkSync(path.join(dir, '.cib.xml.lock'));
});

t.test('writeFileAtomic and withFileLock', async (t) => {
  const dir = t.testdir({});
  const file = path.join(dir, 'x.txt');
  withFileLock(file, () => writeFileAtomic(file, 'one'));
  t.equal(fs.readFileSync(file, 'utf8'), 'one');
  t.throws(() => withFileLock(file, () => { throw new Error('boom'); }), /boom/);
  t.notOk(fs.existsSync(path.join(dir, '.x.txt.lock')), 'lock released after an error');
});
