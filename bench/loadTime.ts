/**
 * Main-thread work of each tracker in headless Chromium, against Plausible's tracker (small)
 * and posthog-js (full-featured), median of many loads:
 * - at load: the time the script's evaluation blocks the page while it loads (timed inside
 *   the same script element, so that nothing the browser runs in between counts). Every page,
 *   the baseline too, first runs a line of its own that touches the DOM, as real pages do: on
 *   an otherwise empty page the first touch of `document` alone costs about a millisecond
 *   here, whoever makes it;
 * - in total: all JavaScript time on the page in its first 2.5 s (Chrome's ScriptDuration),
 *   minus that of the same page without a tracker, so work deferred to idle time and the
 *   browser's first-use costs (storage, network) count too.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { launchChromium } from '../test/support/browser.js';

const require = createRequire(import.meta.url);
export const LOAD_BUDGET_MS = 1;

const leadbeam = readFileSync('sdk/dist/leadbeam.js', 'utf8');
// Plausible ships an ES module; as a classic script it can be timed the same way.
const plausible = readFileSync(require.resolve('@plausible-analytics/tracker'), 'utf8').replace(/export\s*\{[^}]*\}\s*;?\s*$/, 'window.plausibleInit = init;');
const posthog = readFileSync(require.resolve('posthog-js/dist/array.js'), 'utf8');

const body = '<h1>Pricing</h1><p>Some text.</p><a href="/files/a.pdf">PDF</a><form id="f"><input type="email" name="email"></form>';
const pageOwnScript = '<script>window.pageTitle = document.title + location.href + innerWidth</script>';
const timed = (attributes: string, code: string) =>
  `<!doctype html><title>t</title>${pageOwnScript}<script ${attributes}>window.t0 = performance.now();\n${code}\n;window.atLoad = performance.now() - t0</script>${body}`;
const pages: Record<string, (origin: string) => string> = {
  baseline: () => timed('', 'window.x = 1'),
  leadbeam: (o) => timed(`data-site="demo" data-api="${o}/sink" data-track-automation="true"`, leadbeam),
  plausible: (o) => timed('', `${plausible}\nplausibleInit({ domain: 'example.com', endpoint: '${o}/sink', captureOnLocalhost: true, fileDownloads: true, formSubmissions: true })`),
  posthog: (o) => timed('', `${posthog}\nposthog.init('phc_bench', { api_host: '${o}/sink', autocapture: true, disable_session_recording: true })`),
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export interface LoadTimes {
  atLoad: Record<string, number>;
  total: Record<string, number>;
}

export async function measureLoadTimes(loads = 25): Promise<LoadTimes> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path.startsWith('/sink')) return res.writeHead(204, { 'Access-Control-Allow-Origin': '*' }).end();
    const page = pages[path.slice(1)];
    if (page) return res.writeHead(200, { 'Content-Type': 'text/html' }).end(page(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await launchChromium();
  const context = await browser.newContext();
  const atLoad: Record<string, number[]> = {};
  const total: Record<string, number[]> = {};
  try {
    // Interleaved, so that machine noise spreads evenly; the first rounds warm up.
    for (let i = 0; i < loads + 2; i++) {
      for (const name of Object.keys(pages)) {
        const page = await context.newPage();
        const cdp = await context.newCDPSession(page);
        await cdp.send('Performance.enable');
        await page.goto(`${origin}/${name}`, { waitUntil: 'load' });
        const sync = await page.evaluate(() => (window as any).atLoad as number);
        await page.waitForTimeout(2500);
        const { metrics } = await cdp.send('Performance.getMetrics');
        if (i >= 2) {
          (atLoad[name] ||= []).push(sync);
          (total[name] ||= []).push((metrics.find((m) => m.name === 'ScriptDuration')?.value ?? 0) * 1000);
        }
        await page.close();
      }
    }
  } finally {
    await browser.close();
    server.close();
  }
  const net = (xs: Record<string, number[]>) => {
    const base = median(xs.baseline!);
    return Object.fromEntries(Object.entries(xs).filter(([n]) => n !== 'baseline').map(([n, v]) => [n, Math.max(0, median(v) - base)]));
  };
  return { atLoad: net(atLoad), total: net(total) };
}

export function printLoadTimes({ atLoad, total }: LoadTimes): boolean {
  console.log('\nMain-thread time in headless Chromium (median; a page without a tracker subtracted)');
  console.log(`${'tracker'.padEnd(12)}${'at load'.padStart(10)}${'vs'.padStart(8)}${'total 2.5 s'.padStart(13)}${'vs'.padStart(8)}`);
  for (const name of Object.keys(atLoad)) {
    console.log(
      `${name.padEnd(12)}${atLoad[name]!.toFixed(2).padStart(7)} ms${(atLoad[name]! / Math.max(atLoad.leadbeam!, 0.01)).toFixed(1).padStart(7)}×${total[name]!.toFixed(2).padStart(10)} ms${(total[name]! / Math.max(total.leadbeam!, 0.01)).toFixed(1).padStart(7)}×`,
    );
  }
  const ok = atLoad.leadbeam! < LOAD_BUDGET_MS;
  console.log(`budget: leadbeam blocks the loading page for ${atLoad.leadbeam!.toFixed(2)} ms of ${LOAD_BUDGET_MS} ms (${ok ? 'within' : 'OVER'}); its work runs when the page is idle`);
  return ok;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = printLoadTimes(await measureLoadTimes()) ? 0 : 1;
}
