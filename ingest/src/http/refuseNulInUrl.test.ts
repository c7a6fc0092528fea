import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { TEST_SECRET_KEY, testApp } from '../../../test/support/ingest.js';

describeEachDialect('a NUL character in a URL', (getDb) => {
  const app = () => testApp(getDb().db);
  const send = (method: string, path: string) =>
    app().request(path, { method, headers: { Authorization: `Bearer ${TEST_SECRET_KEY}`, 'Content-Type': 'application/json' }, ...(method === 'GET' || method === 'DELETE' ? {} : { body: '{}' }) });

  it('gets 400 naming the path on every keyed route that reads an id from it (PostgreSQL cannot store NUL: it was a 500)', async () => {
    for (const [method, path] of [
      ['GET', '/v1/visitors/%00'],
      ['GET', '/v1/visitors/%00/events'],
      ['GET', '/v1/leads/%00'],
      ['GET', '/v1/leads/%00/score'],
      ['DELETE', '/v1/leads/%00'],
      ['DELETE', '/v1/keys/%00'],
      ['DELETE', '/v1/webhooks/%00'],
      ['GET', '/v1/webhooks/%00/deliveries'],
      ['POST', '/v1/webhooks/deliveries/%00/resend'],
      ['POST', '/v1/leads/%00/feedback'],
    ] as const) {
      const res = await send(method, path);
      expect(res.status, `${method} ${path}`).toBe(400);
      expect(await res.json(), `${method} ${path}`).toEqual({ error: { code: 'invalid_request', message: 'path: must not contain a NUL character (\\u0000)', field: 'path' } });
    }
  });

  it('gets the dashboard\'s error page, not the API\'s JSON body, on a dashboard URL', async () => {
    for (const path of ['/app/leads/%00', '/app/leads?q=%00']) {
      const res = await send('GET', path);
      expect(res.status, path).toBe(400);
      expect(res.headers.get('content-type'), path).toMatch(/^text\/html/);
      expect(await res.text(), path).toMatch(/Please check[\s\S]*must not contain a NUL character/);
    }
  });

  it('gets 400 naming the query parameter that holds it', async () => {
    for (const [path, field] of [
      ['/v1/visitors/v_abcdefgh?site=%00', 'site'],
      ['/v1/leads?site=demo&email=a%00@b.example', 'email'],
      ['/v1/admin/rescore?lead=%00', 'lead'],
    ] as const) {
      const res = await send(path.startsWith('/v1/admin') ? 'POST' : 'GET', path);
      expect(res.status, path).toBe(400);
      expect((await res.json()).error.field, path).toBe(field);
    }
  });

  it('gets 400 naming the field for a NUL character or lone surrogate in a keyed route\'s JSON body (it was a 500 on PostgreSQL)', async () => {
    const post = (path: string, body: unknown) => app().request(path, { method: 'POST', headers: { Authorization: `Bearer ${TEST_SECRET_KEY}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const nul = await post('/v1/leads/ld_missing/feedback', { type: 'contacted', note: 'a\u0000b' });
    expect(nul.status).toBe(400);
    expect((await nul.json()).error).toMatchObject({ code: 'invalid_request', field: 'note', message: 'note: contains a NUL character (\\u0000), which cannot be stored' });
    const surrogate = await post('/v1/webhooks', { url: 'https://crm.example/hook', events: ['lead.mql'], site: '\ud800' });
    expect(surrogate.status).toBe(400);
    expect((await surrogate.json()).error.field).toBe('site');
  });

  it('gets 400, never 500, for a forged cursor: a NUL in its id, or a time that is no whole millisecond', async () => {
    const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const forged of [cursor([1, 'a\u0000']), cursor([1.5, 'x']), cursor([1e300, 'x'])]) {
      const res = await send('GET', `/v1/leads?site=demo&cursor=${forged}`);
      expect(res.status, forged).toBe(400);
      expect((await res.json()).error.field).toBe('cursor');
    }
    const events = await send('GET', `/v1/visitors/v_abcdefgh/events?site=demo&cursor=${cursor({ ts: 1, id: 'a\u0000' })}`);
    expect([400, 404]).toContain(events.status);
  });

  it('leaves URLs without one alone, an encoded percent sign included', async () => {
    const res = await send('GET', '/v1/leads?site=demo&email=100%2500@b.example');
    expect(res.status).not.toBe(400);
    expect((await send('GET', '/v1/leads/ld_missing')).status).toBe(404);
  });
});
