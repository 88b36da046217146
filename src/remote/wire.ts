// Pacemaker Remote's framing (lib/common/remote.c, Pacemaker 2.1.5): every message is a 40-byte
// header (struct remote_header_v0, packed, in the sender's byte order) followed by the XML text
// and a NUL. Pure: bytes in, XML texts out; the TLS stream lives in executor.ts.
import { BerthError, problem } from '../errors/registry';

/** Written in the sender's byte order: read back as 0xBDDBDABA, the sender was big-endian. */
const ENDIAN_MAGIC = 0xbadadbbd;
const ENDIAN_SWAPPED = 0xbddbdaba;
/** REMOTE_MSG_VERSION of 2.1.5; a higher version is read when its payload is plain, as remote.c does. */
export const REMOTE_MSG_VERSION = 1;
export const HEADER_BYTES = 40;
/** A bound on one message, far above any executor message (a 1 MiB agent output is already huge). */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

const protocolError = (message: string, value?: string) =>
  new BerthError([problem('REMOTE_PROTOCOL', { path: 'remote-header', ...(value !== undefined ? { value } : {}), message })]);

/**
 * The frame of one XML message, little-endian (every sender berth runs on is): the header and the
 * payload apart, to be sent as two TLS records as Pacemaker sends them. The executor reads one TLS
 * record each time its socket wakes it, into a buffer sized by the header; a whole message in one
 * record is read only in part, and the rest waits in GnuTLS until more bytes arrive.
 */
export function encodeFrame(xml: string, id: number): [header: Buffer, payload: Buffer] {
  const payload = Buffer.from(xml + '\0', 'utf8');
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32LE(ENDIAN_MAGIC, 0);
  header.writeUInt32LE(REMOTE_MSG_VERSION, 4);
  header.writeBigUInt64LE(BigInt(id), 8);
  header.writeBigUInt64LE(0n, 16); // flags: none are defined
  header.writeUInt32LE(HEADER_BYTES + payload.length, 24); // size_total
  header.writeUInt32LE(HEADER_BYTES, 28); // payload_offset
  header.writeUInt32LE(0, 32); // payload_compressed: berth never compresses, nor does 2.1.5
  header.writeUInt32LE(payload.length, 36); // payload_uncompressed, NUL included
  return [header, payload];
}

/**
 * Collects bytes as they arrive and hands out each complete message's XML text. Throws
 * REMOTE_PROTOCOL on a header it cannot read: a bad byte-order mark, sizes that do not add up,
 * or a compressed payload (bz2: pacemaker-remoted 2.1.5 never sends one, it only accepts them).
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private held = 0;

  push(data: Buffer): string[] {
    this.chunks.push(data);
    this.held += data.length;
    const out: string[] = [];
    for (;;) {
      if (this.held < HEADER_BYTES) return out;
      const head = this.peek(HEADER_BYTES);
      const magic = head.readUInt32LE(0);
      if (magic !== ENDIAN_MAGIC && magic !== ENDIAN_SWAPPED) throw protocolError(`the executor sent a message that does not start with Pacemaker Remote's byte-order mark (got 0x${magic.toString(16)})`, `0x${magic.toString(16)}`);
      const u32 = (at: number) => (magic === ENDIAN_MAGIC ? head.readUInt32LE(at) : head.readUInt32BE(at));
      const total = u32(24), offset = u32(28), compressed = u32(32), plain = u32(36);
      if (total > MAX_MESSAGE_BYTES) throw protocolError(`the executor announced a message of ${total} bytes, more than the ${MAX_MESSAGE_BYTES} berth reads`, String(total));
      if (offset < HEADER_BYTES || offset > total) throw protocolError(`the executor sent a message whose payload offset ${offset} is outside its ${total} bytes`, String(offset));
      if (compressed !== 0) throw protocolError(`the executor sent a bz2-compressed message (${compressed} bytes): pacemaker-remoted 2.1.5 does not compress, berth does not decompress`, String(compressed));
      if (offset + plain !== total) throw protocolError(`the executor sent a message whose sizes do not add up (offset ${offset} + payload ${plain} != total ${total})`, String(total));
      if (this.held < total) return out;
      const frame = this.take(total);
      let end = total;
      while (end > offset && frame[end - 1] === 0) end--;
      out.push(frame.toString('utf8', offset, end));
    }
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0].subarray(0, n);
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.held = rest.length;
    return all.subarray(0, n);
  }
}
