import { existsSync } from 'node:fs';
import { describe, it } from 'vitest';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { mustRunEverything, warnSkipped } from './requirements.js';
import { BROWSER_UA } from './ingest.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const chromiumMissing = !existsSync(CHROMIUM_PATH);

/**
 * Declares a browser suite: it runs when Chromium is installed, fails in CI when it is not,
 * and elsewhere skips saying how to install it.
 *
 * @example
 * describeInBrowser('demo site', () => { it(...) });
 */
export function describeInBrowser(name: string, suite: () => void): void {
  if (!chromiumMissing) {
    describe(name, suite);
    return;
  }
  if (mustRunEverything) {
    describe(name, () => {
      it('needs Chromium', () => {
        throw new Error(`Chromium is required here but ${CHROMIUM_PATH} does not exist: apt-get install -y chromium`);
      });
    });
    return;
  }
  warnSkipped('the browser tests', `${CHROMIUM_PATH} is missing: install it with "apt-get install -y chromium" (or set CHROMIUM_PATH).`);
  describe.skip(name, suite);
}

/** Headless Chromium with the flags this sandboxed, offline machine needs. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
      // Beacons sent while a page unloads carry the browser's own user agent, not a context's
      // override, and the ingest drops headless user agents as bots.
      `--user-agent=${BROWSER_UA}`,
    ],
  });
}

/** A fresh profile that looks like an ordinary desktop Chrome (the ingest drops headless user agents). */
export function newVisitorContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ userAgent: BROWSER_UA });
}
