/// <reference lib="dom" />
// The status page in a real browser (Debian's chromium through puppeteer-core), against the page's
// own server with a hub fed by hand — the e2e test (test/e2e/ui-cluster.ts) feeds it from a real
// cluster. Proven here: login with the token of `berth ui` (and nothing without it); hostile
// bundle ids, node names and messages render as text (no element, no script, no dialog); a change
// shows without a reload; the stale, follower and new-leader banners; the stream closes while the
// tab is hidden; an action on the page writes the CIB byte for byte as the CLI does, and is refused
// with the CLI's coded problems; CSRF and read-only refusals.
import t, { Test } from 'tap';
import * as fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Page } from 'puppeteer-core';
import { UiHub } from '../../src/ui/hub';
import { Sessions, uiToken } from '../../src/ui/auth';
import { startUiServer } from '../../src/ui/server';
import { fileCibSource } from '../../src/controller/deps';
import { startBrowser } from '../helpers/browser';
import { berthInProcess } from '../helpers/cli';
import { alive, handInputs, InputSpec } from '../helpers/ui-inputs';

const HOSTILE_BUNDLE = '<img src=x onerror=alert(1)>';
const HOSTILE_NODE = '"><script>alert(2)</script>';
const HOSTILE_WHY = '<b>bold</b><img src=y onerror=alert(3)>';
const HOSTILE_PROBLEM = '<svg onload=alert(4)>';
const HOSTILE_FAILURE = 'monitor failed: <iframe src=javascript:alert(5)>';

const CIB = `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="5" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes><node id="1" uname="n1"/><node id="2" uname="n2"/></nodes><resources><bundle id="web"><docker image="berth-test/httpd:1" replicas="2"/></bundle></resources><constraints/></configuration><status/></cib>\n`;

const SPEC: InputSpec = {
  nodes: [alive('n1'), alive('n2'), alive(HOSTILE_NODE)],
  rows: [
    { bundle: 'web', index: 0, node: 'n1', state: 'running', address: '10.0.0.100' },
    { bundle: 'web', index: 1, node: 'n2', state: 'running', address: '10.0.0.101', resource: { id: 'db', agent: 'ocf:pacemaker:Stateful', role: 'Promoted', failcount: 1, lastFailure: HOSTILE_FAILURE, promotion: 10 } },
    { bundle: HOSTILE_BUNDLE, index: 0, node: HOSTILE_NODE, state: 'exited', failures: 2, why: HOSTILE_WHY },
  ],
  problems: [{ code: 'ADDRESS_IN_USE', message: HOSTILE_PROBLEM }],
};

async function serve(t: Test, actions: boolean) {
  const dir = t.testdir({ 'cib.xml': CIB });
  const cib = path.join(dir, 'cib.xml');
  const hub = new UiHub();
  const key = randomBytes(32);
  const cleanups: unknown[] = [];
  const source = fileCibSource(cib);
  const server = await startUiServer({
    host: '127.0.0.1', port: 0, hub, sessions: new Sessions([uiToken(key)]), actions, log: () => {}, pingMs: 500,
    deps: { cibFlag: `-f ${cib}`, controller: 'http://127.0.0.1:7441', edit: source.edit!, cleanup: async (req) => {
      cleanups.push(req);
      return req.node === 'n1' ? { lines: ['Cleaned up web-1 on n2'], unreachable: [{ node: 'n1', message: 'lost' }] } : { lines: ['Cleaned up web-0 on n1'], unreachable: [] };
    } },
  });
  t.teardown(() => server.close());
  let n = 0;
  const offer = (s: InputSpec) => hub.offer(String(++n), () => handInputs(s));
  offer(SPEC);
  return { hub, server, token: uiToken(key), cib, dir, cleanups, offer };
}

/** Opens the page logged in, and records dialogs and every request it makes. */
async function open(t: Test, browser: Awaited<ReturnType<typeof startBrowser>>, url: string, token: string) {
  const page = await browser.newPage();
  const dialogs: string[] = [];
  const requests: string[] = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
  page.on('request', (r) => { requests.push(r.url()); });
  await page.goto(`${url}#token=${token}`);
  await page.waitForFunction(() => /\d+ of \d+/.test(document.querySelector('#f-count')?.textContent ?? ''), { timeout: 10_000 });
  t.teardown(() => page.close().catch(() => {}));
  return { page, dialogs, requests };
}

/** A click in the page itself: the page redraws as data arrives, so an element found first may be gone by the click. */
const press = async (page: Page, sel: string) => { await page.waitForSelector(sel); await page.$eval(sel, (e) => (e as HTMLElement).click()); };
const text = (page: Page, sel: string) => page.$eval(sel, (e) => (e as HTMLElement).innerText);
/** The replica count the page shows once it has drawn (it draws at the next animation frame). */
const count = async (page: Page, want: string) => {
  await page.waitForFunction((w) => document.querySelector('#f-count')?.textContent === w, { timeout: 3000 }, want).catch(() => {});
  return text(page, '#f-count');
};
const tab = async (page: Page, view: string) => { await press(page, `.tab[data-view="${view}"]`); await new Promise((r) => setTimeout(r, 100)); };

t.test('the page in chromium', { timeout: 120_000 }, async (t) => {
  const browser = await startBrowser(t);
  const s = await serve(t, true);

  await t.test('without the token: the login form, and no data', async (t) => {
    const page = await browser.newPage();
    t.teardown(() => page.close());
    await page.goto(s.server.url);
    await page.waitForSelector('#login:not([hidden])');
    t.equal(await page.$eval('#main', (e) => (e as HTMLElement).hidden), true, 'nothing of the cluster is shown');
    const r = await page.evaluate(async () => { const x = await fetch('/events'); return { status: x.status, body: await x.json() }; });
    t.same([r.status, r.body.problems.map((p: { code: string }) => p.code)], [401, ['UI_AUTH_REQUIRED']], 'the stream needs a session');
    await page.type('#secret', 'wrong-token');
    await page.click('#login-form button');
    await page.waitForFunction(() => document.querySelector('#login-error')?.textContent === 'not accepted');
    t.pass('a wrong token is not accepted');
  });

  const { page, dialogs, requests } = await open(t, browser, s.server.url, s.token);

  await t.test('logged in with the token; the token leaves the address', async (t) => {
    t.equal(page.url(), s.server.url, 'the fragment with the token is removed');
    t.equal(await count(page, '3 of 3'), '3 of 3', 'every replica row');
    t.match(await text(page, '#cluster'), 'test-cluster');
    t.equal(await text(page, '#mode'), 'actions enabled');
    const cookies = await page.cookies();
    t.same(cookies.map((c) => [c.name, c.httpOnly, c.sameSite]), [['berth_ui', true, 'Strict']], 'one HttpOnly, SameSite=Strict session cookie');
    t.equal(await page.evaluate(() => document.cookie), '', 'the script cannot read it');
  });

  await t.test('hostile ids, names and messages render as text', async (t) => {
    const body = () => page.evaluate(() => document.body.innerText);
    t.ok((await body()).includes(HOSTILE_BUNDLE), 'the bundle id is shown as written');
    await press(page, `[data-key="${HOSTILE_BUNDLE}-0@${HOSTILE_NODE.replace(/"/g, '\\"')}"]`);
    await page.waitForSelector('#detail:not([hidden])');
    t.ok((await text(page, '#detail')).includes(HOSTILE_WHY), 'the reason is shown as written');
    await tab(page, 'nodes');
    t.ok((await body()).includes(HOSTILE_NODE), 'the node name is shown as written');
    await tab(page, 'activity');
    t.ok((await body()).includes(HOSTILE_PROBLEM), 'the problem message is shown as written');
    await tab(page, 'overview');
    t.same(await page.evaluate(() => ({ img: document.querySelectorAll('img').length, svg: document.querySelectorAll('svg').length, b: document.querySelectorAll('b').length, script: document.querySelectorAll('script').length })),
      { img: 0, svg: 0, b: await page.evaluate(() => document.querySelectorAll('#counts b').length), script: 1 }, 'no element was made from data (the only <b> are the counts, the only script the page\'s)');
    t.same(dialogs, [], 'no script ran: no dialog');
    t.same(requests.filter((u) => !u.startsWith(s.server.url)), [], 'every request goes to the page\'s own server');
  });

  await t.test('the resource inside a replica: its role, fail count and last failure', async (t) => {
    t.match(await text(page, '[data-key="web-1@n2"]'), /db\s+Promoted/, 'the role in the row');
    await press(page, '[data-key="web-1@n2"]');
    const detail = await text(page, '#detail');
    t.match(detail, /ocf:pacemaker:Stateful/);
    t.match(detail, /promotion score\s+10/);
    t.ok(detail.includes(HOSTILE_FAILURE), 'the last failure, as text');
    await tab(page, 'activity');
    t.ok((await text(page, '#failures')).includes(`db in web-1 on n2: ${HOSTILE_FAILURE} (fail count 1)`), 'and among the failures');
    t.equal(await page.evaluate(() => document.querySelectorAll('iframe').length), 0);
    await tab(page, 'overview');
    await page.select('#f-state', 'failed');
    t.equal(await count(page, '2 of 3'), '2 of 3', 'a failed resource counts as failed');
    await page.select('#f-state', '');
  });

  await t.test('a change shows without a reload', async (t) => {
    await page.evaluate(() => { (window as unknown as { mark: number }).mark = 1; });
    const t0 = Date.now();
    s.offer({ ...SPEC, pass: 2, nodes: [alive('n1', { liveness: 'lost', lostBy: 'lease' }), alive('n2'), alive(HOSTILE_NODE)], rows: [{ ...SPEC.rows[0], node: 'n2' }, ...SPEC.rows.slice(1)] });
    await page.waitForSelector('[data-key="web-0@n2"]', { timeout: 5000 });
    t.ok(Date.now() - t0 < 2000, `the moved replica shows on its new node (${Date.now() - t0} ms)`);
    t.equal(await page.evaluate(() => (window as unknown as { mark?: number }).mark), 1, 'the page was not reloaded');
    await tab(page, 'nodes');
    t.match(await text(page, '[data-node="n1"]'), /lost/, 'the node shows lost');
    await tab(page, 'activity');
    t.match(await text(page, '#events'), /node n1 lost/, 'the timeline tells it');
    t.match(await text(page, '#events'), /web-0 moved n1 -> n2/);
    await tab(page, 'overview');
  });

  await t.test('filters and search', async (t) => {
    await page.select('#f-node', 'n2');
    t.equal(await count(page, '2 of 3'), '2 of 3');
    await page.select('#f-node', '');
    await page.select('#f-state', 'failed');
    t.equal(await count(page, '2 of 3'), '2 of 3', 'the exited replica and the one whose resource failed');
    await page.select('#f-state', '');
    await page.type('#f-q', '10.0.0.101');
    await new Promise((r) => setTimeout(r, 100));
    t.equal(await count(page, '1 of 3'), '1 of 3');
    await page.$eval('#f-q', (e) => { (e as HTMLInputElement).value = ''; e.dispatchEvent(new Event('input')); });
  });

  await t.test('standby on the page writes the CIB as the CLI does', async (t) => {
    await tab(page, 'nodes');
    await press(page, '[data-node="n2"] button[data-action="standby"]');
    await page.waitForSelector('#confirm[open]');
    t.equal(await text(page, '#confirm-command'), `berth -f ${s.cib} node standby n2`, 'the equivalent command is shown');
    await press(page, '#confirm-ok');
    await page.waitForSelector('#toast:not([hidden])');
    t.match(await text(page, '#toast'), `berth -f ${s.cib} node standby n2`);
    const viaCli = path.join(s.dir, 'cli.xml');
    fs.writeFileSync(viaCli, CIB);
    t.equal((await berthInProcess(['-f', viaCli, 'node', 'standby', 'n2'])).code, 0);
    t.equal(fs.readFileSync(s.cib, 'utf8'), fs.readFileSync(viaCli, 'utf8'), 'the CIB is byte for byte what `berth -f FILE node standby n2` writes');
    t.match(fs.readFileSync(s.cib, 'utf8'), /name="standby" value="on"/);
    await tab(page, 'overview');
  });

  await t.test('cleanup goes to the controller\'s cleanup; a node it did not reach fails the action, as the CLI fails', async (t) => {
    await press(page, '[data-bundle="web"] button[data-action="cleanup"]');
    await page.waitForSelector('#confirm[open]');
    t.equal(await text(page, '#confirm-command'), 'berth resource cleanup web --controller http://127.0.0.1:7441');
    await press(page, '#confirm-ok');
    await page.waitForFunction(() => /Cleaned up web-0 on n1/.test(document.querySelector('#toast')?.textContent ?? ''));
    t.same(s.cleanups.at(-1), { resource: 'web' }, 'the cleanup asked for');
    const r = await page.evaluate(async () => {
      const csrf = (await (await fetch('/session')).json()).csrf;
      const x = await fetch('/action', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Berth-CSRF': csrf }, body: JSON.stringify({ kind: 'cleanup', node: 'n1' }) });
      return { status: x.status, body: await x.json() };
    });
    t.same([r.status, r.body.problems.map((p: { code: string }) => p.code), r.body.notes], [409, ['AGENT_UNREACHABLE'], ['Cleaned up web-1 on n2']], 'refused, saying what was done');
  });

  await t.test('refused with the coded problems of the CLI', async (t) => {
    const before = fs.readFileSync(s.cib, 'utf8');
    const r = await page.evaluate(async () => {
      const csrf = (await (await fetch('/session')).json()).csrf;
      const x = await fetch('/action', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Berth-CSRF': csrf }, body: JSON.stringify({ kind: 'disable', bundle: 'nope' }) });
      return { status: x.status, body: await x.json() };
    });
    const copy = path.join(s.dir, 'refused.xml');
    fs.writeFileSync(copy, before);
    const cli = await berthInProcess(['-f', copy, 'resource', 'disable', 'nope', '--json']);
    t.equal(r.status, 409);
    t.same(r.body.problems, JSON.parse(cli.stderr).problems, 'the same problems as `berth -f FILE resource disable nope --json`');
    t.equal(fs.readFileSync(s.cib, 'utf8'), before, 'the CIB is unchanged');
  });

  await t.test('CSRF: no token, or another origin, is refused', async (t) => {
    const before = fs.readFileSync(s.cib, 'utf8');
    const r = await page.evaluate(async () => {
      const x = await fetch('/action', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ kind: 'standby', node: 'n1' }) });
      return { status: x.status, body: await x.json() };
    });
    t.same([r.status, r.body.problems[0].code], [403, 'UI_CSRF_REFUSED'], 'without the CSRF header');
    const cookie = (await page.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const csrf = await page.evaluate(async () => (await (await fetch('/session')).json()).csrf as string);
    const post = (headers: Record<string, string>) => new Promise<{ status: number; body: string }>((resolve, reject) => {
      const u = new URL('/action', s.server.url);
      const req = http.request(u, { method: 'POST', headers: { 'Content-Type': 'application/json', Cookie: cookie, 'X-Berth-CSRF': csrf, ...headers } }, (res) => {
        let b = '';
        res.on('data', (d) => { b += d; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
      });
      req.on('error', reject);
      req.end(JSON.stringify({ kind: 'standby', node: 'n1' }));
    });
    const evil = await post({ Origin: 'http://evil.example' });
    t.same([evil.status, JSON.parse(evil.body).problems[0].code], [403, 'UI_CSRF_REFUSED'], 'from another origin, even with the cookie and the token');
    const rebound = await post({ Host: `evil.example:${new URL(s.server.url).port}` });
    t.same([rebound.status, JSON.parse(rebound.body).problems[0].code], [421, 'UI_CSRF_REFUSED'], 'through another host name (DNS rebinding)');
    t.equal(fs.readFileSync(s.cib, 'utf8'), before, 'the CIB is unchanged');
  });

  await t.test('banners: a new leader, a follower', async (t) => {
    s.offer({ ...SPEC, term: 2, pass: 3 });
    await page.waitForFunction(() => /leader changed: term 1 -> 2/i.test(document.querySelector('#banner')?.textContent ?? ''), { timeout: 5000 });
    t.pass('the leader change is said');
    s.offer({ ...SPEC, term: 2, pass: 4, leading: false, leader: 'http://10.9.9.9:7441' });
    await page.waitForFunction(() => /does not lead/.test(document.querySelector('#banner')?.textContent ?? ''), { timeout: 5000 });
    t.match(await text(page, '#banner'), /The leader is http:\/\/10\.9\.9\.9:7441/);
    s.offer({ ...SPEC, term: 2, pass: 5 });
  });

  await t.test('the stream closes while the tab is hidden, and opens again', async (t) => {
    t.equal(s.hub.streamCount, 1, 'one stream for the page');
    const setHidden = (hidden: boolean) => page.evaluate((h) => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
      document.dispatchEvent(new Event('visibilitychange'));
    }, hidden);
    await setHidden(true);
    await page.waitForFunction(() => document.querySelector('#conn')?.textContent === 'paused');
    await new Promise((r) => setTimeout(r, 200));
    t.equal(s.hub.streamCount, 0, 'no stream while hidden');
    await setHidden(false);
    await page.waitForFunction(() => document.querySelector('#conn')?.textContent === 'live', { timeout: 5000 });
    t.equal(s.hub.streamCount, 1, 'one stream again');
  });

  await t.test('stale: the controller stops answering', async (t) => {
    await s.server.close();
    await page.waitForFunction(() => /Stale/.test(document.querySelector('#banner')?.textContent ?? ''), { timeout: 10_000 });
    t.match(await text(page, '#conn'), 'stale');
  });
  t.same(dialogs, [], 'no dialog at any time');
});

t.test('read-only unless --ui-actions', { timeout: 60_000 }, async (t) => {
  const browser = await startBrowser(t);
  const s = await serve(t, false);
  const { page } = await open(t, browser, s.server.url, s.token);
  t.equal(await text(page, '#mode'), 'read-only');
  await tab(page, 'nodes');
  t.equal(await page.$$eval('button[data-action]', (b) => b.length), 0, 'no action buttons');
  const before = fs.readFileSync(s.cib, 'utf8');
  const r = await page.evaluate(async () => {
    const csrf = (await (await fetch('/session')).json()).csrf;
    const x = await fetch('/action', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Berth-CSRF': csrf }, body: JSON.stringify({ kind: 'standby', node: 'n1' }) });
    return { status: x.status, body: await x.json() };
  });
  t.same([r.status, r.body.problems[0].code], [403, 'UI_ACTIONS_DISABLED']);
  t.match(r.body.problems[0].message, `berth -f ${s.cib} node standby n1`, 'it names the command to run instead');
  t.equal(fs.readFileSync(s.cib, 'utf8'), before, 'the CIB is unchanged');
});
