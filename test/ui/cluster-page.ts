/// <reference lib="dom" />
// The status page on a real cluster: two nodes, each a network namespace with its own dockerd
// (test/helpers/cluster.ts), `berth agent` on each, and `berth controller --ui-listen ...
// --ui-actions` in the root namespace; the page opened in chromium at the address `berth ui`
// prints. Proven: the page shows the replicas as they run; a node powered off shows lost and its
// replicas running on the other node, without a reload; cleanup done on the page goes through the
// leader's cleanup and is refused with the CLI's problems; standby done on the page changes the CIB
// the controller runs with, and the page shows the node in standby; an image name that is hostile
// HTML (valid in a CIB) renders as text. Screenshots of the main views, light and dark, go to
// docs/ui/ (committed; the README shows one).
import t from 'tap';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Page } from 'puppeteer-core';
import { berthAsync, ensureBuilt, root } from '../helpers/cli';
import { CONTROLLER_PORT, startBerth } from '../helpers/berth-cluster';
import { until } from '../helpers/wait';
import { startCluster } from '../helpers/cluster';
import { startBrowser } from '../helpers/browser';

const REPLICAS = 4;
const UI_PORT = 7442;
const HOSTILE_IMAGE = '<img src=x onerror=alert(1)>';
const SHOTS = path.join(root, 'docs', 'ui');

function cibXml(nodes: string[], subnet: string): string {
  const nodeXml = nodes.map((n, i) => `<node id="${i + 1}" uname="${n}"/>`).join('');
  return `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="5" num_updates="0" admin_epoch="0"><configuration><crm_config/>
<nodes>${nodeXml}</nodes>
<resources><bundle id="web"><docker image="berth-test/httpd:1" replicas="${REPLICAS}" replicas-per-host="${REPLICAS}"/>
<network ip-range-start="${subnet}.100" host-interface="eth0" host-netmask="24"><port-mapping id="web-port" port="80"/></network></bundle>
<bundle id="hostile"><docker image="&lt;img src=x onerror=alert(1)&gt;" replicas="1"/></bundle></resources>
<constraints/><rsc_defaults><meta_attributes id="rsc_defaults-meta_attributes"><nvpair id="rsc_defaults-meta_attributes-resource-stickiness" name="resource-stickiness" value="1"/></meta_attributes></rsc_defaults></configuration><status/></cib>\n`;
}

/** A click in the page itself: the page redraws as data arrives, so an element found first may be gone by the click. */
const press = async (page: Page, sel: string) => { await page.waitForSelector(sel); await page.$eval(sel, (e) => (e as HTMLElement).click()); };

interface Row { key: string; name: string; node: string; state: string }
/** The replica rows the page holds now (its own data, as drawn from the stream). */
const pageRows = (page: Page) => page.evaluate(() => Array.from(document.querySelectorAll('#replicas .tr.rep[data-key]')).map((e) => {
  const cells = Array.from(e.children).map((c) => (c as HTMLElement).innerText);
  return { key: e.getAttribute('data-key') ?? '', name: cells[0], node: cells[2], state: cells[4] };
})) as Promise<Row[]>;

async function shoot(page: Page, view: 'overview' | 'nodes', scheme: 'light' | 'dark', node?: string) {
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: scheme }]);
  await press(page, `.tab[data-view="${view}"]`);
  if (node) await press(page, `[data-node="${node}"]`);
  await new Promise((r) => setTimeout(r, 300));
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${view}-${scheme}.png`) as `${string}.png` });
}

t.test('the status page on a real cluster', { timeout: 300_000 }, async (t) => {
  ensureBuilt();
  const names = ['n1', 'n2'];
  const c = await startCluster({ nodes: names, t });
  const dir = fs.mkdtempSync(path.join(tmpdir(), 'berth-ui-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const cib = path.join(dir, 'cib.xml');
  fs.writeFileSync(cib, cibXml(names, c.subnet));
  const berth = startBerth(t, c, { dir, cib, controllerArgs: ['--ui-listen', `${c.bridgeIp}:${UI_PORT}`, '--ui-actions'] });
  const agents: ChildProcess[] = names.map((n) => berth.startAgent(n));
  t.teardown(() => { for (const a of agents) a.kill('SIGKILL'); });

  const ui = await until('berth ui prints the address', async () => {
    const r = await berthAsync(['ui', '--controller', `http://${c.bridgeIp}:${CONTROLLER_PORT}`, '--authkey', berth.key]);
    return r.code === 0 ? r.stdout.trim() : undefined;
  }, 30_000, 200);
  t.match(ui, new RegExp(`^http://${c.bridgeIp.replace(/\./g, '\\.')}:${UI_PORT}/#token=[A-Za-z0-9_-]{43}$`), 'the page of the leader, with its token');

  const browser = await startBrowser(t);
  const page = await browser.newPage();
  await page.setViewport({ width: 1440, height: 860 });
  const dialogs: string[] = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
  await page.goto(ui);
  await page.evaluate(() => { (window as unknown as { mark: number }).mark = 1; });

  // ---- the replicas as they run ----
  const running = await until('the page shows every web replica running', async () => {
    const rows = (await pageRows(page)).filter((r) => r.name.startsWith('web-'));
    return rows.length === REPLICAS && rows.every((r) => r.state === 'running') ? rows : undefined;
  }, 90_000, 250);
  const engines = new Map<string, string>();
  for (const n of names) for (const k of await c.berthContainers(n)) if (k.state === 'running' && k.labels['berth.bundle'] === 'web') engines.set(k.name, n);
  t.same(running.map((r) => `${r.name} ${r.node}`).sort(), [...engines].map(([r, n]) => `${r} ${n}`).sort(), 'each replica on the node whose engine runs it');
  t.ok((await page.evaluate(() => document.body.innerText)).includes(HOSTILE_IMAGE), 'the hostile image name is shown as text');

  // ---- cleanup from the page: the leader's cleanup of every node's ledger, refused as the CLI is ----
  const controllerUrl = `http://${c.bridgeIp}:${CONTROLLER_PORT}`;
  await press(page, '[data-bundle="web"] button[data-action="cleanup"]');
  await page.waitForSelector('#confirm[open]');
  t.equal(await page.$eval('#confirm-command', (e) => e.textContent), `berth resource cleanup web --controller ${controllerUrl}`);
  await press(page, '#confirm-ok');
  await page.waitForFunction(() => /berth resource cleanup web/.test(document.querySelector('#toast')?.textContent ?? ''), { timeout: 15_000 });
  const refused = await page.evaluate(async () => {
    const csrf = (await (await fetch('/session')).json()).csrf;
    const x = await fetch('/action', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Berth-CSRF': csrf }, body: JSON.stringify({ kind: 'cleanup', bundle: 'nope' }) });
    return { status: x.status, body: await x.json() };
  });
  const cli = await berthAsync(['resource', 'cleanup', 'nope', '--controller', controllerUrl, '--authkey', berth.key, '--json']);
  t.equal(cli.code, 1);
  t.same([refused.status, refused.body.problems], [409, JSON.parse(cli.stderr).problems], 'a cleanup of an unknown bundle: the problems of `berth resource cleanup nope --controller ...`');

  // ---- power-off ----
  const load = (n: string) => running.filter((r) => r.node === n).length;
  const victim = names.reduce((a, b) => (load(b) > load(a) ? b : a));
  const other = names.find((n) => n !== victim)!;
  const t0 = Date.now();
  await c.powerOff(victim);
  await press(page, '.tab[data-view="nodes"]');
  await until(`the page shows ${victim} lost`, async () => (/lost/.test(await page.$eval(`[data-node="${victim}"]`, (e) => (e as HTMLElement).innerText)) ? true : undefined), 30_000, 100);
  const lostMs = Date.now() - t0;
  await press(page, '.tab[data-view="overview"]');
  await until(`the page shows every web replica running on ${other}`, async () => {
    const rows = (await pageRows(page)).filter((r) => r.name.startsWith('web-') && r.state === 'running');
    return rows.length === REPLICAS && rows.every((r) => r.node === other) ? true : undefined;
  }, 30_000, 100);
  t.pass(`power-off of ${victim}: shown lost after ${lostMs} ms, its replicas running on ${other} after ${Date.now() - t0} ms`);
  t.equal(await page.evaluate(() => (window as unknown as { mark?: number }).mark), 1, 'without a reload');
  await press(page, '.tab[data-view="activity"]');
  await until('the timeline tells the loss and the moves', async () => {
    const ev = await page.$eval('#events', (e) => (e as HTMLElement).innerText);
    return new RegExp(`node ${victim} lost`).test(ev) && /moved|started on/.test(ev) ? true : undefined;
  }, 10_000, 100);

  await shoot(page, 'overview', 'light');
  await shoot(page, 'nodes', 'light', other);
  await shoot(page, 'overview', 'dark');
  await shoot(page, 'nodes', 'dark', other);
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);

  // ---- standby from the page ----
  await press(page, '.tab[data-view="nodes"]');
  await press(page, `[data-node="${other}"] button[data-action="standby"]`);
  await page.waitForSelector('#confirm[open]');
  t.equal(await page.$eval('#confirm-command', (e) => e.textContent), `berth -f ${cib} node standby ${other}`, 'the command it is the same as');
  await press(page, '#confirm-ok');
  await page.waitForFunction((cmd) => new RegExp(`done\\s*${cmd}`).test(document.querySelector('#toast')?.textContent ?? ''), { timeout: 10_000 }, `berth -f ${cib} node standby ${other}`)
    .catch(async () => t.fail(`the page says: ${await page.$eval('#toast', (e) => e.textContent)}`));
  t.match(fs.readFileSync(cib, 'utf8'), new RegExp(`<node id="\\d+" uname="${other}">\\s*<instance_attributes id="nodes-\\d+">\\s*<nvpair id="nodes-\\d+-standby" name="standby" value="on"/>`), 'the CIB the controller runs with has the node in standby');
  await until(`the page shows ${other} in standby`, async () => (/standby/.test(await page.$eval(`[data-node="${other}"] .name`, (e) => (e as HTMLElement).innerText)) ? true : undefined), 15_000, 100);
  t.pass(`${other} shown in standby`);
  t.match(berth.controllerLog(), new RegExp(`status page: berth -f \\S+ node standby ${other}`), 'the controller logs the action');
  t.same(dialogs, [], 'no script from data ran');
  t.equal(await page.evaluate(() => document.querySelectorAll('img').length), 0, 'no image element was made from data');
});
