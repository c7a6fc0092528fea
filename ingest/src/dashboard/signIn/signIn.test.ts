import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../../test/support/databases.js';
import { TEST_SECRET_KEY, testConfig } from '../../../../test/support/ingest.js';
import { createApp } from '../../app.js';
import { FAILED_KEY_WINDOW_MS, MAX_FAILED_KEY_CHECKS } from '../../auth/keyGuesses.js';
import { loopbackServers } from '../../../../test/support/loopbackServers.js';

// A loopback server: other clients are told apart by the X-Forwarded-For that a proxy on this
// host (trusted by default) passes on.

describeEachDialect('guessing secret keys on the sign-in form', (getDb) => {
  const serveApp = loopbackServers();
  const listen = async () => {
    const origin = await serveApp(createApp({ db: getDb().db, config: testConfig, secretKey: TEST_SECRET_KEY }));
    return (client: string, key: string) =>
      fetch(`${origin}/app/sign-in`, {
        method: 'POST',
        redirect: 'manual',
        headers: { Origin: origin, 'Content-Type': 'application/x-www-form-urlencoded', 'X-Forwarded-For': client },
        body: new URLSearchParams({ key, next: '/app/leads' }).toString(),
      });
  };

  it(`shows a page saying when to try again, with 429 and Retry-After, once one address has sent ${MAX_FAILED_KEY_CHECKS} wrong keys; the right key from it is not checked until then`, async () => {
    const signIn = await listen();
    for (let i = 0; i < MAX_FAILED_KEY_CHECKS; i++) {
      const res = await signIn('203.0.113.44', `sk_guess_${String(i).padStart(16, '0')}`);
      expect(res.status).toBe(401);
      expect(await res.text()).toContain('That key is not valid');
    }
    for (const key of ['sk_guess_one_more_0000', TEST_SECRET_KEY]) {
      const limited = await signIn('203.0.113.44', key);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('set-cookie')).toBeNull();
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(FAILED_KEY_WINDOW_MS / 1000);
      expect(limited.headers.get('content-type')).toMatch(/^text\/html/);
      const page = await limited.text();
      expect(page).not.toContain('"error"');
      expect(page).toMatch(new RegExp(`<p role="alert">Too many wrong keys from your address \\(${MAX_FAILED_KEY_CHECKS} wrong keys within a minute\\)\\. Try again in ${retryAfter} seconds\\.</p>`));
      // The form stays, to try again later.
      expect(page).toContain('type="password"');
    }
  });

  it(`checks at most ${MAX_FAILED_KEY_CHECKS} of 300 wrong keys sent at once from one address and answers the rest 429, unchecked`, async () => {
    // In process, so all 300 are in flight before the first check is over (each waits on the
    // database); in-process requests have no socket: they are all one client.
    const app = createApp({ db: getDb().db, config: testConfig, secretKey: TEST_SECRET_KEY });
    const signIn = async (key: string) =>
      app.request('/app/sign-in', {
        method: 'POST',
        redirect: 'manual',
        headers: { Origin: 'http://localhost', 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ key, next: '/app/leads' }).toString(),
      });
    const statuses = await Promise.all(Array.from({ length: 300 }, (_, i) => signIn(`sk_guess_${String(i).padStart(16, '0')}`).then((r) => r.status)));
    expect(statuses.filter((s) => s === 401)).toHaveLength(MAX_FAILED_KEY_CHECKS);
    expect(statuses.filter((s) => s === 429)).toHaveLength(300 - MAX_FAILED_KEY_CHECKS);
    expect((await signIn(TEST_SECRET_KEY)).status).toBe(429);
  });

  it("signs in another address's right key while one address is locked out", async () => {
    const signIn = await listen();
    for (let i = 0; i < MAX_FAILED_KEY_CHECKS; i++) await signIn('198.51.100.44', `sk_guess_${String(i).padStart(16, '0')}`);
    expect((await signIn('198.51.100.44', TEST_SECRET_KEY)).status).toBe(429);
    const other = await signIn('198.51.100.45', TEST_SECRET_KEY);
    expect(other.status).toBe(303);
    expect(other.headers.get('location')).toBe('/app/leads');
    expect(other.headers.get('set-cookie')).toMatch(/^leadbeam_session=/);
  });
});
