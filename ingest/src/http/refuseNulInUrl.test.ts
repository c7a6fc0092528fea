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
      ['GET', '/app/leads/%00'],
    ] as const) {
      const res = await send(method, path);
      expect(res.status, `${method} ${path}`).toBe(400);
      expect(await res.json(), `${method} ${path}`).toEqual({ error: { code: 'invalid_request', message: 'path: must not contain a NUL character (\\u0000)', field: 'path' } });
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

  it('leaves URLs without one alone, an encoded percent sign included', async () => {
    const res = await send('GET', '/v1/leads?site=demo&email=100%2500@b.example');
    expect(res.status).not.toBe(400);
    expect((await send('GET', '/v1/leads/ld_missing')).status).toBe(404);
  });
});
