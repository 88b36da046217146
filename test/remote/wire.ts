// Pacemaker Remote's framing (src/remote/wire.ts): the header as remote.c lays it out, messages
// read back however the bytes are cut, and each header the decoder must refuse.
import t from 'tap';
import { BerthError } from '../../src/errors/registry';
import { FrameDecoder, HEADER_BYTES, encodeFrame } from '../../src/remote/wire';

const frame = (xml: string, id: number) => Buffer.concat(encodeFrame(xml, id));

t.test('the header is struct remote_header_v0, little-endian', async (t) => {
  const [header, payload] = encodeFrame('<a/>', 7);
  t.equal(header.length, HEADER_BYTES);
  t.same({
    endian: header.readUInt32LE(0).toString(16), version: header.readUInt32LE(4), id: header.readBigUInt64LE(8), flags: header.readBigUInt64LE(16),
    total: header.readUInt32LE(24), offset: header.readUInt32LE(28), compressed: header.readUInt32LE(32), plain: header.readUInt32LE(36),
  }, { endian: 'badadbbd', version: 1, id: 7n, flags: 0n, total: 45, offset: 40, compressed: 0, plain: 5 });
  t.same(payload, Buffer.from('<a/>\0'), 'the payload ends with a NUL, counted in its size');
});

t.test('messages are read back however the bytes are cut', async (t) => {
  const texts = ['<a x="1"/>', '<b>é</b>', '<c/>'];
  const all = Buffer.concat(texts.map((x, i) => frame(x, i + 1)));
  for (const cut of [1, 3, 39, 40, 41, 50, all.length]) {
    const d = new FrameDecoder();
    const got: string[] = [];
    for (let i = 0; i < all.length; i += cut) got.push(...d.push(all.subarray(i, i + cut)));
    t.same(got, texts, `in pieces of ${cut} bytes`);
  }
});

t.test('a big-endian sender is read too', async (t) => {
  const payload = Buffer.from('<big/>\0');
  const h = Buffer.alloc(HEADER_BYTES);
  h.writeUInt32BE(0xbadadbbd, 0); h.writeUInt32BE(1, 4); h.writeBigUInt64BE(1n, 8);
  h.writeUInt32BE(HEADER_BYTES + payload.length, 24); h.writeUInt32BE(HEADER_BYTES, 28); h.writeUInt32BE(payload.length, 36);
  t.same(new FrameDecoder().push(Buffer.concat([h, payload])), ['<big/>']);
});

t.test('headers the decoder refuses', async (t) => {
  const good = () => frame('<a/>', 1);
  const cases: { name: string; change: (b: Buffer) => void; value: string }[] = [
    { name: 'no byte-order mark', change: (b) => b.writeUInt32LE(0x12345678, 0), value: '0x12345678' },
    { name: 'a compressed payload (bz2)', change: (b) => b.writeUInt32LE(3, 32), value: '3' },
    { name: 'a payload offset inside the header', change: (b) => b.writeUInt32LE(8, 28), value: '8' },
    { name: 'sizes that do not add up', change: (b) => b.writeUInt32LE(99, 36), value: '45' },
    { name: 'a message over the limit', change: (b) => b.writeUInt32LE(0xffffffff, 24), value: String(0xffffffff) },
  ];
  for (const c of cases) {
    const b = good();
    c.change(b);
    try {
      new FrameDecoder().push(b);
      t.fail(`${c.name}: accepted`);
    } catch (e) {
      t.same(e instanceof BerthError && { code: e.problems[0].code, value: e.problems[0].value }, { code: 'REMOTE_PROTOCOL', value: c.value }, c.name);
    }
  }
});
