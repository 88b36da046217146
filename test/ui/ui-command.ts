// `berth controller --ui-listen` and `berth ui` as processes, without agents: the flags' refusals,
// the page's address (with the token) from the controller, UI_NOT_SERVED from one without a page,
// and a login with the password of --ui-password-file.
import t, { Test } from 'tap';
import * as fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ChildProcess, spawn } from 'node:child_process';
import { berthAsync, berthBin, berthSync, ensureBuilt, problemCodes } from '../helpers/cli';
import { until } from '../helpers/wait';

const CIB = `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="5" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes><node id="1" uname="n1"/></nodes><resources/><constraints/></configuration><status/></cib>\n`;

const freePort = () => new Promise<number>((resolve) => {
  const s = net.createServer();
  s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
});

function controller(t: Test, dir: string, port: number, extra: string[]): { p: ChildProcess; log: () => string } {
  let log = '';
  const p = spawn(process.execPath, [berthBin, 'controller', '--listen', `127.0.0.1:${port}`, '--cib', path.join(dir, 'cib.xml'), '--store', path.join(dir, 'store'), '--authkey', path.join(dir, 'key'), ...extra], { env: { ...process.env, BERTH_CONFIG: path.join(dir, 'client.json') } });
  p.stdout!.on('data', (d) => { log += d; });
  p.stderr!.on('data', (d) => { log += d; });
  t.teardown(() => { p.kill('SIGKILL'); });
  return { p, log: () => log };
}

t.test('flags of the page are refused without --ui-listen, and a short password', async (t) => {
  ensureBuilt();
  const dir = t.testdir({ 'cib.xml': CIB, 'short': 'abc\n' });
  t.equal(berthSync(['authkey', 'generate', path.join(dir, 'key')]).code, 0);
  const base = ['controller', '--listen', '127.0.0.1:1', '--cib', path.join(dir, 'cib.xml'), '--authkey', path.join(dir, 'key'), '--json'];
  for (const [extra, says] of [[['--ui-actions'], /--ui-actions is about the status page/], [['--ui-password-file', path.join(dir, 'short')], /--ui-password-file is about the status page/], [['--ui-listen', '1', '--ui-password-file', path.join(dir, 'short')], /shorter than 8 characters/], [['--ui-listen', 'nope:x'], /not a valid --ui-listen/]] as [string[], RegExp][]) {
    const r = await berthAsync([...base, ...extra]);
    t.equal(r.code, 2, `${extra.join(' ')}: exit 2`);
    t.same(problemCodes(r.stderr), ['USAGE']);
    t.match(JSON.parse(r.stderr).problems[0].message, says);
  }
  const local = await berthAsync(['controller', '--cib', path.join(dir, 'cib.xml'), '--ui-listen', '1', '--json']);
  t.same([local.code, problemCodes(local.stderr)], [2, ['USAGE']], 'the controller of one node has no page');
  t.match(JSON.parse(local.stderr).problems[0].message, /give --listen HOST:PORT too/);
});

t.test('berth ui: the page of the controller, with its token; UI_NOT_SERVED without one', { timeout: 60_000 }, async (t) => {
  ensureBuilt();
  const dir = t.testdir({ 'cib.xml': CIB, 'password': 'correct horse battery\nignored\n' });
  t.equal(berthSync(['authkey', 'generate', path.join(dir, 'key')]).code, 0);
  const [port, uiPort, bare] = [await freePort(), await freePort(), await freePort()];
  const c = controller(t, dir, port, ['--ui-listen', String(uiPort), '--ui-password-file', path.join(dir, 'password')]);
  const ask = (p: number, json = true) => berthAsync(['ui', '--controller', `http://127.0.0.1:${p}`, '--authkey', path.join(dir, 'key'), ...(json ? ['--json'] : [])]);
  const r = await until('berth ui answers', async () => { const x = await ask(port); return x.code === 0 ? x : undefined; }, 30_000, 200);
  const a = JSON.parse(r.stdout) as { url: string; controller: string; leading: boolean };
  t.match(a, { controller: `http://127.0.0.1:${port}`, leading: true });
  t.match(a.url, new RegExp(`^http://127\\.0\\.0\\.1:${uiPort}/#token=[A-Za-z0-9_-]{43}$`), 'the page on loopback (PORT alone), the token in the fragment');
  t.match(c.log(), `status page on http://127.0.0.1:${uiPort}/ (read-only;`);
  t.equal((await ask(port, false)).stdout, `${a.url}\n`, 'the text form: the address alone');

  const login = async (secret: string) => {
    const res = await fetch(`http://127.0.0.1:${uiPort}/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ secret }) });
    return { status: res.status, cookie: res.headers.get('set-cookie') ?? '', body: await res.json() as { problems?: { code: string }[] } };
  };
  const byToken = await login(decodeURIComponent(a.url.split('#token=')[1]));
  t.equal(byToken.status, 200, 'the token of berth ui logs in');
  t.match(byToken.cookie, /^berth_ui=[^;]+; HttpOnly; SameSite=Strict; Path=\//);
  t.equal((await login('correct horse battery')).status, 200, 'the first line of the password file logs in');
  const wrong = await login('ignored');
  t.same([wrong.status, wrong.body.problems?.map((p) => p.code)], [401, ['UI_AUTH_REQUIRED']], 'anything else does not');
  const page = await fetch(`http://127.0.0.1:${uiPort}/`);
  t.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/, 'no inline script may run');
  t.notMatch(await page.text(), /token=|authkey/i, 'no secret in the page');

  fs.mkdirSync(path.join(dir, 'b'));
  fs.copyFileSync(path.join(dir, 'cib.xml'), path.join(dir, 'b', 'cib.xml'));
  fs.copyFileSync(path.join(dir, 'key'), path.join(dir, 'b', 'key'));
  controller(t, path.join(dir, 'b'), bare, []);
  const none = await until('the controller without a page answers', async () => { const x = await ask(bare); return problemCodes(x.stderr).some((c) => c !== 'AGENT_UNREACHABLE') ? x : undefined; }, 30_000, 200);
  t.equal(none.code, 1);
  t.same(problemCodes(none.stderr), ['UI_NOT_SERVED']);
  t.match(JSON.parse(none.stderr).problems[0].message, /start the controller with --ui-listen/);
});
