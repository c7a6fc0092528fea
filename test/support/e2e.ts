import { afterAll, beforeAll } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium } from './browser.js';
import { startStack, type Stack } from './stack.js';

/**
 * The product (ingest and demo site) and a headless Chromium for a suite, started before its
 * tests and closed after them.
 *
 * @example
 * const e2e = useStackAndBrowser();
 * it('…', async () => { const page = await e2e.browser.newPage(); … e2e.stack.api(…) });
 */
export function useStackAndBrowser(): { stack: Stack; browser: Browser } {
  const ctx = {} as { stack: Stack; browser: Browser };
  beforeAll(async () => {
    ctx.stack = await startStack();
    ctx.browser = await launchChromium();
  });
  afterAll(async () => {
    await ctx.browser?.close();
    await ctx.stack?.close();
  });
  return ctx;
}
