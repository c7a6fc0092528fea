import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../../test/support/databases.js';
import { APP_ORIGIN, signIn } from '../../../../test/support/dashboard.js';
import { TEST_SECRET_KEY, getWithKey, makeEvent, postBatch, testApp, testConfig } from '../../../../test/support/ingest.js';
import { createApp } from '../../app.js';
import { DASHBOARD_MAX_BODY_BYTES, SIGN_IN_MAX_BODY_BYTES } from '../createDashboard.js';

const form = (body: Record<string, string>, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { Origin: APP_ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(body).toString(),
});

describeEachDialect('dashboard sessions', (getDb) => {
  const app = () => testApp(getDb().db);
  const createKey = async (name: string, scopes: string[]) => {
    const res = await app().request('/v1/keys', { method: 'POST', headers: { Authorization: `Bearer ${TEST_SECRET_KEY}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ name, scopes }) });
    return (await res.json()).key as string;
  };

  it('without a session shows no lead data: pages send the browser to sign in, changes are refused', async () => {
    const res = await app().request('/app/leads?stage=mql');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/app/sign-in?next=%2Fapp%2Fleads%3Fstage%3Dmql');
    const change = await app().request('/app/sign-out', form({}));
    expect(change.status).toBe(401);
    const signInPage = await (await app().request('/app/sign-in')).text();
    expect(signInPage).toContain('type="password"');
  });

  it('signs in with the secret key into an HttpOnly, SameSite=Strict cookie that holds neither the key nor anything stored', async () => {
    const res = await app().request('/app/sign-in', form({ key: TEST_SECRET_KEY, next: '/app/leads' }));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/app/leads');
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^leadbeam_session=[\w-]{43};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/app');
    expect(cookie).not.toContain(TEST_SECRET_KEY);
    const token = /^leadbeam_session=([^;]+)/.exec(cookie)![1]!;
    const rows = JSON.stringify(await getDb().db.selectFrom('app_sessions').selectAll().execute());
    expect(rows).not.toContain(token);
    expect(rows).not.toContain(TEST_SECRET_KEY);
    const page = await app().request('/app', { headers: { Cookie: `leadbeam_session=${token}` } });
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<h1>Overview</h1>');
  });

  it('marks the cookie Secure behind a proxy that ended TLS (X-Forwarded-Proto or Forwarded), not over plain HTTP', async () => {
    const signInWith = async (headers: Record<string, string>) => (await app().request('/app/sign-in', form({ key: TEST_SECRET_KEY }, headers))).headers.get('set-cookie')!;
    expect(await signInWith({})).not.toMatch(/;\s*Secure/i);
    expect(await signInWith({ 'X-Forwarded-Proto': 'http' })).not.toMatch(/;\s*Secure/i);
    expect(await signInWith({ 'X-Forwarded-Proto': 'https' })).toMatch(/;\s*Secure/i);
    expect(await signInWith({ Forwarded: 'for=192.0.2.60;proto=https;by=203.0.113.43' })).toMatch(/;\s*Secure/i);
  });

  it('refuses a wrong key, a write-only key, and a next page outside the dashboard', async () => {
    const wrong = await app().request('/app/sign-in', form({ key: 'sk_not_a_key' }));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const writeOnly = await app().request('/app/sign-in', form({ key: await createKey('crm', ['write']) }));
    expect(writeOnly.status).toBe(403);
    expect(await writeOnly.text()).toContain('may not read leads');
    const reader = await app().request('/app/sign-in', form({ key: await createKey('marketing', ['read']), next: '//evil.example/app' }));
    expect(reader.status).toBe(303);
    expect(reader.headers.get('location')).toBe('/app');
  });

  it('refuses a body larger than its form could send before reading it, signed in or not (declared or chunked)', async () => {
    const big = form({ key: TEST_SECRET_KEY, pad: 'x'.repeat(SIGN_IN_MAX_BODY_BYTES) });
    const declared = await app().request('/app/sign-in', { ...big, headers: { ...big.headers, 'Content-Length': String(big.body.length) } });
    expect(declared.status).toBe(413);
    expect(declared.headers.get('set-cookie')).toBeNull();
    expect(await declared.text()).toContain(`larger than the ${SIGN_IN_MAX_BODY_BYTES} bytes`);
    // No length declared: counted as it is read, and cut at the limit.
    const chunked = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 40; i++) controller.enqueue(new TextEncoder().encode('pad=' + 'x'.repeat(1024) + '&'));
        controller.close();
      },
    });
    const streamed = await app().request('/app/sign-in', { method: 'POST', headers: { Origin: APP_ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded' }, body: chunked, duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);
    // A session does not lift the dashboard's own limit.
    const client = await signIn(app());
    const huge = await app().request('/app/sign-out', form({ _csrf: client.csrf, pad: 'x'.repeat(DASHBOARD_MAX_BODY_BYTES) }, { Cookie: client.cookie }));
    expect(huge.status).toBe(413);
    expect((await client.get('/app')).status).toBe(200);
  });

  it('refuses changes without the form token or from another origin', async () => {
    const client = await signIn(app());
    const noToken = await app().request('/app/sign-out', form({}, { Cookie: client.cookie }));
    expect(noToken.status).toBe(403);
    expect(await noToken.text()).toContain('_csrf');
    const otherOrigin = await app().request('/app/sign-out', form({ _csrf: client.csrf }, { Cookie: client.cookie, Origin: 'https://evil.example' }));
    expect(otherOrigin.status).toBe(403);
    expect((await client.get('/app')).status).toBe(200);
  });

  it('replacing the bootstrap key (LEADBEAM_SECRET_KEY) ends the sessions opened with the old one', async () => {
    const client = await signIn(app());
    expect((await client.get('/app')).status).toBe(200);
    const newKey = 'sk_replaced_0123456789abcdefghijklmnopqrstuv';
    const restarted = createApp({ db: getDb().db, config: testConfig, secretKey: newKey });
    const old = await restarted.request('/app', { headers: { Cookie: client.cookie } });
    expect(old.status).toBe(303);
    expect(old.headers.get('location')).toMatch(/^\/app\/sign-in/);
    // The new key signs in, and its session lives on after the restart.
    const fresh = await signIn(restarted, newKey);
    expect((await createApp({ db: getDb().db, config: testConfig, secretKey: newKey }).request('/app', { headers: { Cookie: fresh.cookie } })).status).toBe(200);
  });

  it('signing out ends the session on the server, not only in this browser', async () => {
    const client = await signIn(app());
    const out = await client.post('/app/sign-out');
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/leadbeam_session=;/);
    // The old cookie, replayed, opens nothing.
    expect((await client.get('/app')).status).toBe(303);
  });

  it('revoking a key ends the sessions opened with it, and a revoked key cannot sign in', async () => {
    const key = await createKey('temp', ['read']);
    const client = await signIn(app(), key);
    expect((await client.get('/app')).status).toBe(200);
    const list = await (await getWithKey(app(), '/v1/keys')).json();
    const id = list.keys.find((k: { name: string }) => k.name === 'temp').id;
    expect((await app().request(`/v1/keys/${id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${TEST_SECRET_KEY}` } })).status).toBeLessThan(300);
    expect((await client.get('/app')).status).toBe(303);
    expect((await app().request('/app/sign-in', form({ key }))).status).toBe(401);
  });

  it('shows the chosen site and refuses an unknown one', async () => {
    await postBatch(app(), { site: 'demo', events: [makeEvent({ type: 'identify', traits: { email: 'ana@fernhill.example' } } as never)] });
    const client = await signIn(app());
    expect((await client.get('/app?site=nope')).status).toBe(404);
    expect(await (await client.get('/app?site=other')).text()).toContain('<option value="other" selected="">');
  });

  it('a path under /app that is no page answers 404 with a page that says so, and without a session sends the browser to sign in', async () => {
    const client = await signIn(app());
    const res = await client.get('/app/nowhere');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await res.text();
    expect(page).toContain('<h1>Not found</h1>');
    expect(page).toContain('there is no dashboard page at /app/nowhere');
    const anonymous = await app().request('/app/nowhere');
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toMatch(/^\/app\/sign-in/);
  });
});

describeEachDialect('dashboard entrances', (getDb) => {
  it('the server root and /dashboard lead to the dashboard', async () => {
    const app = testApp(getDb().db);
    for (const path of ['/', '/dashboard']) {
      const res = await app.request(path);
      expect(res.status).toBeGreaterThanOrEqual(301);
      expect(res.status).toBeLessThanOrEqual(302);
      expect(res.headers.get('location')).toBe('/app');
    }
  });
});
