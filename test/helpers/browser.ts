// A real browser for tests of the status page: Debian's chromium, headless, driven with
// puppeteer-core (nothing is downloaded). A fresh profile per browser, removed at teardown with the
// browser; no network besides what the page asks of its own loopback server.
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';
import { launch } from 'puppeteer-core';
import type { Browser } from 'puppeteer-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Starts chromium for this test; fails (never skips) when it is not installed. */
export async function startBrowser(t: Test): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh (Debian package chromium)`);
  const profile = mkdtempSync(path.join(tmpdir(), 'berth-chromium-'));
  const browser = await launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', `--user-data-dir=${profile}`],
  });
  t.teardown(async () => {
    await browser.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  });
  return browser;
}
