// The lease record on disk: a fixed size, rewritten in place once made (a full disk does not stop
// it), and a record read while a write is half done is never taken for a lease.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LEASE_FILE, LEASE_RECORD_BYTES, bootId, leaseRecordText, readLeaseRecord, writeLeaseRecord } from '../../src/agent/lease-record';

const dir = mkdtempSync(path.join(tmpdir(), 'berth-lease-record-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const boot = bootId();

t.test('made whole once, then rewritten in place at the same size', async (t) => {
  const file = path.join(dir, 'a', LEASE_FILE);
  writeLeaseRecord(file, { until: 1000, boot, incarnation: 'a1', cluster: 'c1' });
  const ino = statSync(file).ino;
  t.equal(statSync(file).size, LEASE_RECORD_BYTES);
  writeLeaseRecord(file, { until: 2000, boot, incarnation: 'a2', cluster: 'c1' });
  t.equal(statSync(file).ino, ino, 'the same file: written in place, no rename');
  t.equal(statSync(file).size, LEASE_RECORD_BYTES);
  t.same(readLeaseRecord(file), { until: 2000, boot, incarnation: 'a2', cluster: 'c1' });
});

t.test('a record of another size (an older berth\'s) is made whole again', async (t) => {
  const file = path.join(dir, 'b', LEASE_FILE);
  writeLeaseRecord(file, { until: 1000, boot, incarnation: 'a1' });
  writeFileSync(file, JSON.stringify({ until: 5, boot, incarnation: 'old' }) + '\n');
  t.same(readLeaseRecord(file), { until: 5, boot, incarnation: 'old' }, 'a record without a digest is read (made whole by a rename)');
  const ino = statSync(file).ino;
  writeLeaseRecord(file, { until: 3000, boot, incarnation: 'a3' });
  t.not(statSync(file).ino, ino, 'replaced by a rename');
  t.equal(statSync(file).size, LEASE_RECORD_BYTES);
});

t.test('a write half done is not a lease', async (t) => {
  const file = path.join(dir, 'c', LEASE_FILE);
  const older = leaseRecordText({ until: 19_999, boot, incarnation: 'aaaa', cluster: 'c1' });
  const newer = leaseRecordText({ until: 20_000, boot, incarnation: 'bbbb', cluster: 'c1' });
  t.equal(older.length, LEASE_RECORD_BYTES);
  writeLeaseRecord(file, { until: 1, boot, incarnation: 'x' });
  // Every point where a reader may find the new text's start over the old one's end.
  const seen = new Set<string>();
  for (let cut = 1; cut < LEASE_RECORD_BYTES; cut++) {
    writeFileSync(file, newer.slice(0, cut) + older.slice(cut));
    const r = readLeaseRecord(file);
    seen.add(r === undefined ? 'none' : `${r.until} ${r.incarnation}`);
  }
  // Cut before the texts differ: the old one whole; inside the JSON: no record; past both JSON
  // texts (in the padding): the new one whole.
  t.strictSame([...seen].sort(), ['19999 aaaa', '20000 bbbb', 'none'], 'the old or the new record, never a mix (29999, bbaa, ...)');
  t.match(readFileSync(file, 'utf8'), /"check":"[0-9a-f]{16}"\}/);
});
