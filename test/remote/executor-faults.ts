// RemoteExecutor against a misbehaving executor: a TLS-PSK server on loopback that answers as told,
// for what the real pacemaker-remoted cannot be made to do (test/remote/executor.ts has the real one).
import t, { type Test } from 'tap';
import * as tls from 'node:tls';
import { randomBytes } from 'node:crypto';
import { parseXml, type XmlElement } from '../../src/cib/xml';
import { BerthError } from '../../src/errors/registry';
import { RemoteExecutor } from '../../src/remote/executor';
import { FrameDecoder, encodeFrame } from '../../src/remote/wire';

const key = randomBytes(256);

/** A server that hands each request to `answer`, which returns raw frames to send back. */
async function fakeExecutor(t: Test, answer: (req: XmlElement) => Buffer[]): Promise<number> {
  const srv = tls.createServer({ pskCallback: () => key, ciphers: 'PSK-AES256-GCM-SHA384', maxVersion: 'TLSv1.2' }, (s) => {
    const d = new FrameDecoder();
    s.on('data', (b: Buffer) => { for (const x of d.push(b)) for (const f of answer(parseXml(x))) s.write(f); });
    s.on('error', () => { /* the client went away */ });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.teardown(() => srv.close());
  return (srv.address() as { port: number }).port;
}

const reply = (req: XmlElement, attrs: string, kind = 'reply') =>
  Buffer.concat(encodeFrame(`<lrmd_reply ${attrs} lrmd_remote_msg_id="${req.attrs.lrmd_remote_msg_id}" lrmd_remote_msg_type="${kind}"/>`, 1));
const signOnReply = (req: XmlElement) => reply(req, 'lrmd_rc="0" lrmd_op="register" lrmd_clientid="c1" lrmd_protocol_version="1.1"');

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return e instanceof BerthError ? e.problems[0].code : `not a BerthError: ${String(e)}`;
  }
}

const connect = (port: number, over: object = {}) => RemoteExecutor.connect({ host: '127.0.0.1', port, key, nodeName: 'n', timeoutMs: 1000, keepaliveMs: 0, ...over });

t.test('a protocol version the executor refuses', async (t) => {
  const port = await fakeExecutor(t, (req) => [reply(req, 'lrmd_rc="-71" lrmd_op="register" lrmd_clientid="c1" lrmd_protocol_version="2.0"')]);
  try {
    await connect(port);
    t.fail('connected');
  } catch (e) {
    const p = (e as BerthError).problems[0];
    t.same({ code: p.code, value: p.value, allowed: p.allowed }, { code: 'REMOTE_PROTOCOL', value: '2.0', allowed: '1.1' });
  }
});

t.test('a sign-on that is never answered', async (t) => {
  const port = await fakeExecutor(t, () => []);
  t.equal(await codeOf(connect(port)), 'REMOTE_TIMEOUT');
});

t.test('a compressed message ends the connection', async (t) => {
  let closedWith = '';
  const port = await fakeExecutor(t, (req) => {
    if (req.attrs.lrmd_op === 'register') return [signOnReply(req)];
    const [h, p] = encodeFrame('<lrmd_notify/>', 2);
    h.writeUInt32LE(5, 32);
    return [h, p];
  });
  const ex = await connect(port);
  ex.onClose((why) => { closedWith = why.code; });
  t.equal(await codeOf(ex.poke()), 'REMOTE_PROTOCOL', 'the waiting request fails with the reason');
  t.equal(closedWith, 'REMOTE_PROTOCOL', 'and the close listener hears it');
});

t.test('a result that never comes', async (t) => {
  const port = await fakeExecutor(t, (req) => [req.attrs.lrmd_op === 'register' ? signOnReply(req) : reply(req, 'lrmd_rc="12"')]);
  const ex = await connect(port, { resultGraceMs: 100 });
  t.teardown(() => ex.close());
  t.equal(await codeOf(ex.exec('r', { action: 'start', timeoutMs: 100 })), 'REMOTE_TIMEOUT', 'given up after its timeout and the grace');
  t.equal(ex.isClosed, false, 'the connection stays');
});
