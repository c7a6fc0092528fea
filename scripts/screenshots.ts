/**
 * `npm run screenshots`: starts leadbeam as `npm start` does, on a fresh SQLite file in a
 * temporary folder (so the demo data fills it), signs in to the dashboard in headless
 * Chromium and saves the main pages to docs/screenshots/, where the README shows them.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';

const OUT = 'docs/screenshots';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer().once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'leadbeam-screens-'));
  const key = 'sk_screens_' + randomBytes(16).toString('hex');
  const port = await freePort();
  const env = { ...process.env, DATABASE_URL: `sqlite:${join(dir, 'leadbeam.db')}`, PORT: String(port), DEMO_PORT: String(await freePort()), LEADBEAM_SECRET_KEY: key, LEADBEAM_LOG_LEVEL: 'warn' };
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('leadbeam did not start within 120 s')), 120_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('leadbeam is running')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`leadbeam exited with ${code}`)));
    });
    const base = `http://127.0.0.1:${port}`;
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    try {
      mkdirSync(OUT, { recursive: true });
      const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
      const page = await context.newPage();
      await page.goto(`${base}/app/sign-in`);
      await page.getByLabel('Secret key').fill(key);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${base}/app`);
      const shoot = async (p: Page, name: string, path: string) => {
        await p.goto(base + path);
        // Charts draw once the page has settled.
        await p.waitForLoadState('networkidle');
        await p.screenshot({ path: join(OUT, `${name}.png`) });
        console.log(`  ${name.padEnd(12)} ${path}`);
      };
      await shoot(page, 'overview', '/app');
      await shoot(page, 'leads', '/app/leads');
      // The lead with the highest score: the most to explain.
      await page.goto(`${base}/app/leads?sort=score`);
      const leadPath = await page.locator('main table a[href^="/app/leads/"]').first().getAttribute('href');
      if (!leadPath) throw new Error('the leads page lists no lead: did the demo data load?');
      await shoot(page, 'lead', leadPath);
      await shoot(page, 'content', '/app/content');
      await shoot(page, 'scoring', '/app/scoring');
      const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, storageState: await context.storageState() });
      await shoot(await phone.newPage(), 'lead-phone', leadPath);
    } finally {
      await browser.close();
    }
    console.log(`Screenshots saved in ${OUT}/`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`screenshots failed: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
