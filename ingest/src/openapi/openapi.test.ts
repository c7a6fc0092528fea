import { Validator } from '@seriousme/openapi-schema-validator';
import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { TEST_SECRET_KEY, testConfig } from '../../../test/support/ingest.js';
import { createApp } from '../app.js';
import type { KeyScope } from '../db/schema.js';
import { createKeyStore } from '../keys/keyStore.js';

/**
 * Pages for people, not an API: the marketer's dashboard (`/app`, and `/` and `/dashboard`, which
 * only redirect there), this reference page (`/docs`) and the script's files (`/sdk.js`,
 * `/sdk/<chunk>.js`). Everything else the app serves must be in the OpenAPI document.
 */
const PAGES_FOR_PEOPLE = ['/app', '/dashboard', '/docs', '/sdk'];
const isForPeople = (path: string) => path === '/' || PAGES_FOR_PEOPLE.some((prefix) => path === prefix || path.startsWith(`${prefix}/`) || path.startsWith(`${prefix}.`));

type Operation = { security?: Array<Record<string, string[]>>; requestBody?: { content: Record<string, { schema: Record<string, unknown> }> }; responses: Record<string, unknown> };
type Document = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { responses: Record<string, unknown>; schemas: Record<string, unknown> } };

describeEachDialect('the OpenAPI document', (getDb) => {
  const app = () => createApp({ db: getDb().db, config: testConfig, secretKey: TEST_SECRET_KEY });
  const documentOf = async () => {
    const res = await app().request('/openapi.json');
    expect(res.status).toBe(200);
    return (await res.json()) as Document;
  };
  /** Every documented operation as "METHOD /path". */
  const operationsOf = (doc: Document) => Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));

  it('is served without a key and validates as OpenAPI 3.1', async () => {
    const doc = await documentOf();
    expect(doc.openapi).toMatch(/^3\.1\./);
    const validator = new Validator();
    const result = await validator.validate(doc as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('lists every route the app serves, and nothing it does not', async () => {
    const served = new Set(
      app()
        .routes // app.use() entries are middleware (method ALL); a route with several handlers appears once each.
        .filter((r) => r.method !== 'ALL' && !isForPeople(r.path))
        .map((r) => `${r.method} ${r.path.replace(/:(\w+)(\{[^}]*\})?/g, '{$1}')}`),
    );
    expect(served.size).toBeGreaterThan(20);
    expect(operationsOf(await documentOf()).sort()).toEqual([...served].sort());
  });

  it('gives every operation its answers, with errors in the one shared error body', async () => {
    const doc = await documentOf();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(Object.keys(op.responses).some((s) => s.startsWith('2')), `${where}: a success answer`).toBe(true);
        for (const [status, answer] of Object.entries(op.responses)) {
          // A readiness check's 503 is its answer, not an error: the one exception.
          if (Number(status) >= 400 && where !== 'GET /ready') expect(JSON.stringify(answer), `${where} ${status}`).toMatch(/#\/components\/(responses\/\w+|schemas\/Error)"/);
        }
        // Keyed operations document what they answer without the key, or with too small a one,
        // and the 429 of an address that has sent too many wrong keys (auth/keyGuesses.ts).
        if (op.security?.some((s) => 'secretKey' in s || 'writeKey' in s)) {
          expect(Object.keys(op.responses), where).toEqual(expect.arrayContaining(['401', '403', '429']));
          expect(op.responses['429'], where).toEqual({ $ref: '#/components/responses/RateLimited' });
        }
        for (const media of Object.values(op.requestBody?.content ?? {})) expect(Object.keys(media.schema).length, `${where}: a body schema`).toBeGreaterThan(0);
      }
    }
    for (const response of Object.values(doc.components.responses)) expect(response).toMatchObject({ content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
  });

  it('documents the scope each keyed operation needs: without a key 401, with another scope 403, with that scope through', async () => {
    const doc = await documentOf();
    const store = createKeyStore({ db: getDb().db });
    const keyFor = new Map<string, string>();
    for (const scopes of [['read'], ['write'], ['admin'], ['read', 'write']] as KeyScope[][]) keyFor.set(scopes.join('+'), (await store.create({ name: `openapi-${scopes.join('+')}`, scopes })).key);
    const other: Record<KeyScope, string> = { read: 'write', write: 'read', admin: 'read+write' };
    const call = (method: string, path: string, key?: string) =>
      app().request(path.replace(/\{\w+\}/g, 'no-such-id'), {
        method,
        headers: { 'Content-Type': 'application/json', ...(key && { Authorization: `Bearer ${key}` }) },
        ...(method !== 'GET' && method !== 'DELETE' && { body: '{}' }),
      });
    let checked = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const scope = op.security?.find((s) => 'secretKey' in s)?.secretKey?.[0] as KeyScope | undefined;
        if (!scope) continue;
        const where = `${method.toUpperCase()} ${path} (${scope})`;
        expect((await call(method.toUpperCase(), path)).status, `${where} without a key`).toBe(401);
        expect((await call(method.toUpperCase(), path, keyFor.get(other[scope]))).status, `${where} with ${other[scope]}`).toBe(403);
        expect([401, 403], `${where} with ${scope}`).not.toContain((await call(method.toUpperCase(), path, keyFor.get(scope))).status);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(15);
  });

  it('serves a reference page for people at /docs that reads the document', async () => {
    const res = await app().request('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self' 'nonce-/);
    const html = await res.text();
    // Scalar's script, from this server (docsPage.test.ts has the rest), pointed at our document.
    const src = /<script src="(\/docs\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(src).toBeDefined();
    expect(html).toContain('"url": "/openapi.json"');
    const script = await app().request(src!);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^application\/javascript/);
  });
});
