import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../../test/support/databases.js';
import { signIn } from '../../../../test/support/dashboard.js';
import { testApp } from '../../../../test/support/ingest.js';

describeEachDialect('dashboard assets', (getDb) => {
  it('every stylesheet, script and icon a page links is served with its type, the sign-in page included (no 404 in the browser console)', async () => {
    const app = testApp(getDb().db);
    const client = await signIn(app);
    const pages = [await (await app.request('/app/sign-in')).text(), await (await client.get('/app')).text(), await (await client.get('/app/leads')).text()];
    const linked = new Set(pages.flatMap((html) => [...html.matchAll(/(?:href|src)="(\/app\/assets\/[^"?]+)"/g)].map((m) => m[1]!)));
    expect([...linked]).toEqual(expect.arrayContaining(['/app/assets/app.css', '/app/assets/app.js', '/app/assets/favicon.svg']));
    const types: Record<string, RegExp> = { css: /^text\/css/, js: /^application\/javascript/, svg: /^image\/svg\+xml/ };
    for (const path of linked) {
      const res = await app.request(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toMatch(types[path.split('.').at(-1)!]!);
    }
    expect((await app.request('/app/assets/nothing.js')).status).toBe(404);
  });
});
