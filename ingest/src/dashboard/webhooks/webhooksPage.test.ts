import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../../test/support/databases.js';
import { APP_ORIGIN, signIn, type DashboardClient } from '../../../../test/support/dashboard.js';
import { TEST_SECRET_KEY, makeEvent, newId, postBatch, testConfig } from '../../../../test/support/ingest.js';
import { startReceiver } from '../../../../test/support/receiver.js';
import { createApp } from '../../app.js';
import { createWebhookDispatcher } from '../../webhooks/dispatcher.js';
import { verifyStandard } from '../../webhooks/sign.js';

const auth = { Authorization: `Bearer ${TEST_SECRET_KEY}`, 'Content-Type': 'application/json' };
const until = async <T>(check: () => T | undefined | Promise<T | undefined>, ms = 8000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
};
/** The text of an element's content with tags removed. */
const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();

describeEachDialect('webhooks page', (getDb) => {
  let ok: Awaited<ReturnType<typeof startReceiver>>;
  let flaky: Awaited<ReturnType<typeof startReceiver>>;
  let dispatcher: ReturnType<typeof createWebhookDispatcher>;
  let app: ReturnType<typeof createApp>;
  let admin: DashboardClient;
  let reader: DashboardClient;
  beforeAll(async () => {
    ok = await startReceiver();
    // The first delivery fails; after that it answers 200.
    flaky = await startReceiver([500]);
    // One attempt each: a failure is final at once, so resending is the only way to send again.
    dispatcher = createWebhookDispatcher({ db: getDb().db, pollMs: 50, timeoutMs: 1000, maxAttempts: 1, allowPrivateWebhooks: true });
    dispatcher.start();
    app = createApp({ db: getDb().db, config: testConfig, secretKey: TEST_SECRET_KEY, dispatcher, allowPrivateWebhooks: true });
    admin = await signIn(app);
    const created = await app.request('/v1/keys', { method: 'POST', headers: auth, body: JSON.stringify({ name: 'marketing', scopes: ['read'] }) });
    reader = await signIn(app, (await created.json()).key);
  });
  afterAll(async () => {
    await dispatcher?.stop();
    await ok?.close();
    await flaky?.close();
  });

  /** Posts the add form as the browser does: several `events` checkboxes. */
  const add = (client: DashboardClient, fields: Array<[string, string]>) =>
    app.request('/app/webhooks?site=scored', {
      method: 'POST',
      headers: { Cookie: client.cookie, Origin: APP_ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams([['_csrf', client.csrf], ...fields]).toString(),
    });
  const newLead = async () => {
    const email = `hook-${newId()}@fernhill.example`;
    const res = await postBatch(app, { site: 'scored', events: [makeEvent({ type: 'form', name: 'newsletter', traits: { email } })] });
    expect((await res.json()).accepted).toBe(1);
    return email;
  };

  it('adds a webhook through the form, showing its secret once, and it receives the site’s new leads', async () => {
    const res = await add(admin, [['url', ok.url], ['events', 'lead.created'], ['events', 'lead.mql'], ['scope', 'site']]);
    expect(res.status).toBe(201);
    const page = await res.text();
    const secret = /id="new-secret" readonly="" value="(whsec_[^"]+)"/.exec(page)?.[1];
    expect(secret).toBeDefined();
    const stored = await getDb().db.selectFrom('webhooks').selectAll().where('url', '=', ok.url).executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ site_id: 'scored', secret });
    expect(JSON.parse(stored.events)).toEqual(['lead.created', 'lead.mql']);
    // The list, as the API sees it too; the secret is never shown again.
    const list = await (await admin.get('/app/webhooks?site=scored')).text();
    expect(list).toContain(`data-webhook="${stored.id}"`);
    expect(list).not.toContain(secret!);
    expect((await (await app.request('/v1/webhooks', { headers: auth })).json()).webhooks).toContainEqual(expect.objectContaining({ id: stored.id, site: 'scored', events: ['lead.created', 'lead.mql'] }));
    // Another site's page does not list it.
    expect(await (await admin.get('/app/webhooks?site=demo')).text()).not.toContain(stored.id);

    const email = await newLead();
    const got = await until(() => ok.received.find((r) => r.body.includes(email)));
    expect(verifyStandard({ secret: secret!, id: String(got.headers['webhook-id']), body: got.body, timestamp: String(got.headers['webhook-timestamp']), signature: String(got.headers['webhook-signature']) })).toBe(true);
    const deliveryId = String(got.headers['webhook-id']);
    const log = await until(async () => {
      const html = await (await admin.get(`/app/webhooks/${stored.id}?site=scored`)).text();
      return html.includes('>delivered<') ? html : undefined;
    });
    const row = new RegExp(`<tr data-delivery="${deliveryId}">([\\s\\S]*?)</tr>`).exec(log)![1]!;
    expect(text(row)).toMatch(/lead\.created .* delivered .*: 200 \(\d+ ms\)/);
    // The lead is named by the email the receiver got, linking to its page.
    const leadId = JSON.parse(got.body).lead.id;
    expect(row).toContain(`<a href="/app/leads/${leadId}?site=scored">${email}</a>`);
  });

  it('refuses a bad webhook naming the field, and keeps what was typed', async () => {
    const res = await add(admin, [['url', 'ftp://crm.example/hook'], ['events', 'lead.mql']]);
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).toMatch(/role="alert">url: must be an http\(s\) URL/);
    expect(page).toContain('value="ftp://crm.example/hook"');
    const none = await add(admin, [['url', 'https://crm.example/hook']]);
    expect(none.status).toBe(400);
    expect(await none.text()).toMatch(/role="alert">events: /);
  });

  it('shows every attempt of a failed delivery and resends it, same delivery id, until it is delivered', async () => {
    const res = await add(admin, [['url', flaky.url], ['events', 'lead.created']]);
    expect(res.status).toBe(201);
    const hook = await getDb().db.selectFrom('webhooks').select('id').where('url', '=', flaky.url).executeTakeFirstOrThrow();
    const email = await newLead();
    const first = await until(() => flaky.received.find((r) => r.body.includes(email)));
    const deliveryId = String(first.headers['webhook-id']);
    const failed = await until(async () => {
      const html = await (await admin.get(`/app/webhooks/${hook.id}?site=scored`)).text();
      return html.includes('>failed<') ? html : undefined;
    });
    expect(failed).toContain(`action="/app/webhooks/deliveries/${deliveryId}/resend?site=scored"`);

    const resent = await admin.post(`/app/webhooks/deliveries/${deliveryId}/resend?site=scored`);
    expect(resent.status).toBe(303);
    expect(resent.headers.get('location')).toBe(`/app/webhooks/${hook.id}?site=scored&resent=${encodeURIComponent(deliveryId)}`);
    const again = await until(() => flaky.received.filter((r) => r.body.includes(email))[1]);
    expect(again.headers['webhook-id']).toBe(deliveryId);
    expect(again.body).toBe(first.body);
    const log = await until(async () => {
      const html = await (await admin.get(`/app/webhooks/${hook.id}?site=scored`)).text();
      return html.includes('>delivered<') ? html : undefined;
    });
    const attempts = [...log.matchAll(/<li data-attempt="(\d)">([\s\S]*?)<\/li>/g)].map((m) => [m[1], text(m[2]!)]);
    expect(attempts).toEqual([
      ['1', expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d: 500 \(\d+ ms\)$/)],
      ['2', expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d: 200 \(\d+ ms\)$/)],
    ]);
  });

  it('lets a read-only session look but not change: no forms, and 403 from the server', async () => {
    const hook = await getDb().db.selectFrom('webhooks').select('id').where('url', '=', ok.url).executeTakeFirstOrThrow();
    const list = await reader.get('/app/webhooks?site=scored');
    expect(list.status).toBe(200);
    const html = await list.text();
    expect(html).toContain(`data-webhook="${hook.id}"`);
    expect(html).not.toContain('id="add-webhook"');
    expect(html).not.toContain('/remove');
    const log = await (await reader.get(`/app/webhooks/${hook.id}?site=scored`)).text();
    expect(log).toContain('>delivered<');
    expect(log).not.toContain('/resend');
    const delivery = await getDb().db.selectFrom('webhook_deliveries').select('id').where('webhook_id', '=', hook.id).executeTakeFirstOrThrow();
    expect((await add(reader, [['url', ok.url], ['events', 'lead.mql']])).status).toBe(403);
    expect((await reader.post(`/app/webhooks/${hook.id}/remove?site=scored`)).status).toBe(403);
    expect((await reader.post(`/app/webhooks/deliveries/${delivery.id}/resend?site=scored`)).status).toBe(403);
    expect(await getDb().db.selectFrom('webhooks').select('id').where('id', '=', hook.id).executeTakeFirst()).toBeDefined();
  });

  it('shows a session without admin scope only the scheme and host of a webhook’s URL (its path and query can be the secret); an admin sees it whole', async () => {
    const url = 'https://hooks.slack.example/services/T0001/B0001/SecretPathToken?token=QUERYSECRET';
    const created = await app.request('/v1/webhooks', { method: 'POST', headers: auth, body: JSON.stringify({ url, events: ['lead.sla_breached'], site: 'scored' }) });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    for (const path of ['/app/webhooks?site=scored', `/app/webhooks/${id}?site=scored`]) {
      const res = await reader.get(path);
      expect(res.status, path).toBe(200);
      const html = await res.text();
      expect(html, path).toContain('https://hooks.slack.example/…');
      for (const secret of ['SecretPathToken', 'QUERYSECRET', '/services/T0001']) expect(html, path).not.toContain(secret);
      expect(await (await admin.get(path)).text(), path).toContain(url);
    }
    // The list names the delivery log by the host alone too.
    expect(await (await reader.get('/app/webhooks?site=scored')).text()).toContain('aria-label="Delivery log of https://hooks.slack.example/…"');
    // An attempt's error can repeat the address (a redirect to it over https): shown by host alone as well.
    const hook = await getDb().db.selectFrom('webhooks').select('id').where('url', '=', ok.url).executeTakeFirstOrThrow();
    const delivery = await getDb().db.selectFrom('webhook_deliveries').select('id').where('webhook_id', '=', hook.id).executeTakeFirstOrThrow();
    await getDb().db.insertInto('webhook_attempts').values({ delivery_id: delivery.id, attempt: 99, at: Date.now(), status_code: 301, error: `redirect to ${url} not followed`, duration_ms: 3 }).execute();
    const log = await (await reader.get(`/app/webhooks/${hook.id}?site=scored`)).text();
    expect(log).toContain('redirect to https://hooks.slack.example/… not followed');
    expect(log).not.toContain('QUERYSECRET');
    expect(await (await admin.get(`/app/webhooks/${hook.id}?site=scored`)).text()).toContain(`redirect to ${url} not followed`);
    await getDb().db.deleteFrom('webhook_attempts').where('delivery_id', '=', delivery.id).where('attempt', '=', 99).execute();
    expect((await app.request(`/v1/webhooks/${id}`, { method: 'DELETE', headers: auth })).status).toBeLessThan(300);
  });

  it('removes a webhook after asking; it is gone from the page and the API, and its log from the dashboard', async () => {
    const hook = await getDb().db.selectFrom('webhooks').select(['id', 'url']).where('url', '=', ok.url).executeTakeFirstOrThrow();
    const list = await (await admin.get('/app/webhooks?site=scored')).text();
    expect(list).toContain(`data-confirm="Remove the webhook to ${hook.url}?`);
    const res = await admin.post(`/app/webhooks/${hook.id}/remove?site=scored`);
    expect(res.status).toBe(303);
    const after = await (await admin.get(res.headers.get('location')!)).text();
    expect(after).toContain(`Webhook ${hook.id} removed.`);
    expect(after).not.toContain(`data-webhook="${hook.id}"`);
    expect((await (await app.request('/v1/webhooks', { headers: auth })).json()).webhooks.map((w: { id: string }) => w.id)).not.toContain(hook.id);
    expect((await admin.post(`/app/webhooks/${hook.id}/remove?site=scored`)).status).toBe(404);
    expect((await admin.get(`/app/webhooks/${hook.id}?site=scored`)).status).toBe(404);
  });
});
