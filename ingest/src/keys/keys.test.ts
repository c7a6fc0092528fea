import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { TEST_SECRET_KEY, getWithKey, testApp } from '../../../test/support/ingest.js';

const MINUTE = 60_000;

describeEachDialect('named API keys', (getDb) => {
  let clock = Date.UTC(2026, 10, 2, 9, 0, 0);
  const app = () => testApp(getDb().db, () => clock);
  const send = (method: string, path: string, key: string, body?: unknown) =>
    app().request(path, {
      method,
      headers: { Authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const createKey = async (name: string, scopes: string[], key = TEST_SECRET_KEY) => {
    const res = await send('POST', '/v1/keys', key, { name, scopes });
    expect(res.status).toBe(201);
    return res.json();
  };

  it('shows a new key once, and lists keys without key material', async () => {
    const created = await createKey('crm sync', ['read']);
    expect(created).toMatchObject({ id: expect.stringMatching(/^key_/), name: 'crm sync', scopes: ['read'], createdAt: new Date(clock).toISOString() });
    expect(created.key).toMatch(/^sk_[\w-]{43}$/);

    const listRes = await getWithKey(app(), '/v1/keys');
    expect(listRes.status).toBe(200);
    const text = await listRes.text();
    expect(text).not.toContain(created.key);
    expect(text).not.toContain(created.key.slice(0, 12));
    const listed = JSON.parse(text).keys.find((k: { id: string }) => k.id === created.id);
    expect(listed).toEqual({ id: created.id, name: 'crm sync', scopes: ['read'], prefix: created.key.slice(0, 8), createdAt: created.createdAt, lastUsedAt: null, revokedAt: null });
    // Nor is it stored: only a hash is.
    const rows = await getDb().db.selectFrom('api_keys').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(created.key);
  });

  it('lets each scope do its routes, answers 403 naming the scope it lacks, and admin does everything', async () => {
    const read = (await createKey('dashboard', ['read'])).key;
    const write = (await createKey('crm feedback', ['write'])).key;
    const admin = (await createKey('ops', ['admin'])).key;
    const ok = (res: Response) => ![401, 403].includes(res.status);

    for (const path of ['/v1/leads?email=nobody@fernhill.example', '/v1/leads/ld_missing', '/v1/visitors/v_missing', '/v1/reports/speed-to-lead?site=demo']) {
      expect(ok(await send('GET', path, read)), path).toBe(true);
      expect(ok(await send('GET', path, admin)), path).toBe(true);
      const denied = await send('GET', path, write);
      expect(denied.status, path).toBe(403);
      expect(await denied.json()).toMatchObject({ error: { code: 'forbidden', message: expect.stringContaining('"read" scope'), field: 'authorization' } });
    }

    // Sales feedback is a write: the lead is unknown, so past the key it is a 404.
    expect((await send('POST', '/v1/leads/ld_missing/feedback', write, { type: 'accepted' })).status).toBe(404);
    expect((await send('POST', '/v1/leads/ld_missing/feedback', admin, { type: 'accepted' })).status).toBe(404);
    const readFeedback = await send('POST', '/v1/leads/ld_missing/feedback', read, { type: 'accepted' });
    expect(readFeedback.status).toBe(403);
    expect((await readFeedback.json()).error.message).toContain('"write" scope');

    const adminOnly: [string, string, unknown?][] = [
      ['POST', '/v1/leads/ld_missing/merge', { leadId: 'ld_other' }],
      ['GET', '/v1/leads/ld_missing/export'],
      ['DELETE', '/v1/leads/ld_missing'],
      ['GET', '/v1/webhooks'],
      ['POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/x', events: ['lead.mql'] }],
      ['POST', '/v1/admin/rescore?lead=ld_missing'],
      ['GET', '/v1/keys'],
      ['POST', '/v1/keys', { name: 'escalation', scopes: ['admin'] }],
      ['DELETE', '/v1/keys/key_missing'],
    ];
    for (const [method, path, body] of adminOnly) {
      for (const key of [read, write]) {
        const res = await send(method, path, key, body);
        expect(res.status, `${method} ${path}`).toBe(403);
        expect((await res.json()).error.message).toContain('"admin" scope');
      }
      expect(ok(await send(method, path, admin, body)), `${method} ${path}`).toBe(true);
    }
  });

  it('refuses a revoked key with 401, and revoking twice is a 404', async () => {
    const { id, key } = await createKey('leaver', ['read', 'write']);
    expect((await getWithKey(app(), '/v1/leads?email=a@fernhill.example', key)).status).toBe(200);
    expect((await send('DELETE', `/v1/keys/${id}`, TEST_SECRET_KEY)).status).toBe(204);
    const res = await getWithKey(app(), '/v1/leads?email=a@fernhill.example', key);
    expect(res.status).toBe(401);
    expect(res.headers.get('WWW-Authenticate')).toBe('Bearer');
    expect((await send('DELETE', `/v1/keys/${id}`, TEST_SECRET_KEY)).status).toBe(404);
    const listed = (await (await getWithKey(app(), '/v1/keys')).json()).keys.find((k: { id: string }) => k.id === id);
    expect(listed.revokedAt).toBe(new Date(clock).toISOString());
  });

  it('notes when a key was last used, at most once a minute', async () => {
    const { id, key } = await createKey('poller', ['read']);
    const lastUsed = async () => (await getDb().db.selectFrom('api_keys').select('last_used_at').where('id', '=', id).executeTakeFirstOrThrow()).last_used_at;
    expect(await lastUsed()).toBeNull();
    const t0 = clock;
    expect((await getWithKey(app(), '/v1/visitors/v_missing', key)).status).toBe(404);
    expect(await lastUsed()).toBe(t0);
    clock = t0 + MINUTE - 1;
    await getWithKey(app(), '/v1/visitors/v_missing', key);
    expect(await lastUsed()).toBe(t0);
    clock = t0 + MINUTE;
    await getWithKey(app(), '/v1/visitors/v_missing', key);
    expect(await lastUsed()).toBe(t0 + MINUTE);
    const listed = (await (await getWithKey(app(), '/v1/keys')).json()).keys.find((k: { id: string }) => k.id === id);
    expect(listed.lastUsedAt).toBe(new Date(t0 + MINUTE).toISOString());
  });

  it('answers 401 with WWW-Authenticate without a key, with a wrong one and with a site key', async () => {
    for (const key of [null, 'sk_not_a_key_anybody_made_0000000000000000000', 'demo', 'sk_dev_leadbeam_local_only']) {
      const res = await getWithKey(app(), '/v1/keys', key);
      expect(res.status).toBe(401);
      expect(res.headers.get('WWW-Authenticate')).toBe('Bearer');
    }
  });

  it('refuses a key request without a name or with an unknown scope', async () => {
    expect((await send('POST', '/v1/keys', TEST_SECRET_KEY, { name: '', scopes: ['read'] })).status).toBe(400);
    expect((await send('POST', '/v1/keys', TEST_SECRET_KEY, { name: 'x', scopes: ['everything'] })).status).toBe(400);
    expect((await send('POST', '/v1/keys', TEST_SECRET_KEY, { name: 'x', scopes: [] })).status).toBe(400);
  });
});
