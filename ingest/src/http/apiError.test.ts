import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createSdkAssetsRoute } from '../sdk-assets/sdkAssetsRoute.js';
import { ApiError, errorBody, handleError, handleNotFound } from './apiError.js';
import { logger } from '../ops/logger.js';

/** A tiny app wired like the ingest: one route per kind of error. */
function tinyApp() {
  const app = new Hono();
  app.onError(handleError);
  app.notFound(handleNotFound);
  app.get('/api-error', () => {
    throw new ApiError(409, 'conflict', 'leadId: a lead cannot be merged into itself', { field: 'leadId' });
  });
  app.get('/with-headers', () => {
    throw new ApiError(401, 'unauthorized', 'authorization: the secret key is not valid', { field: 'authorization', headers: { 'WWW-Authenticate': 'Bearer' } });
  });
  app.get('/zod', (c) => {
    const parsed = z.object({ events: z.array(z.object({ id: z.string() })) }).safeParse({ events: [{ id: 1 }] });
    if (!parsed.success) throw ApiError.fromZod(parsed.error);
    return c.json(parsed.data);
  });
  app.get('/zod-unknown-key', (c) => {
    const parsed = z.object({ rules: z.object({ mql: z.number() }).strict() }).strict().safeParse({ rules: { mql: 100, sql: 200 } });
    if (!parsed.success) throw ApiError.fromZod(parsed.error);
    return c.json(parsed.data);
  });
  app.get('/zod-root', (c) => {
    const parsed = z.string().safeParse(1);
    if (!parsed.success) throw ApiError.fromZod(parsed.error);
    return c.json(parsed.data);
  });
  app.get('/http-exception', () => {
    throw new HTTPException(413, { message: 'body too large', res: new Response(null, { headers: { 'Retry-After': '5' } }) });
  });
  app.get('/bug', () => {
    throw new Error('secret detail');
  });
  return app;
}

describe('ApiError and handleError', () => {
  afterEach(() => vi.restoreAllMocks());

  it('answers an ApiError with its status, code, message and field', async () => {
    const res = await tinyApp().request('/api-error');
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ error: { code: 'conflict', message: 'leadId: a lead cannot be merged into itself', field: 'leadId' } });
  });

  it('sends the headers an ApiError carries', async () => {
    const res = await tinyApp().request('/with-headers');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect((await res.json()).error).toMatchObject({ code: 'unauthorized', field: 'authorization' });
  });

  it('names the first bad field of a zod error by its dotted path, keeping the "field: message" text', async () => {
    const res = await tinyApp().request('/zod');
    expect(res.status).toBe(400);
    const { error } = await res.json();
    expect(error).toMatchObject({ code: 'invalid_request', field: 'events.0.id' });
    expect(error.message).toMatch(/^events\.0\.id: /);
  });

  it('names a key the object does not take as the field, not the object around it', async () => {
    const { error } = await (await tinyApp().request('/zod-unknown-key')).json();
    expect(error).toEqual({ code: 'invalid_request', field: 'rules.sql', message: 'rules.sql: Unrecognized key: "sql"' });
  });

  it('leaves the field out when the zod error is about the whole value', async () => {
    const { error } = await (await tinyApp().request('/zod-root')).json();
    expect(error.code).toBe('invalid_request');
    expect(error).not.toHaveProperty('field');
  });

  it("maps Hono's HTTPException to a code by its status, keeping its headers", async () => {
    const res = await tinyApp().request('/http-exception');
    expect(res.status).toBe(413);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toEqual({ error: { code: 'payload_too_large', message: 'body too large' } });
  });

  it('answers anything else as a bare 500 and logs it once', async () => {
    const log = vi.spyOn(logger, 'error').mockImplementation(() => {});
    const res = await tinyApp().request('/bug');
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { code: 'internal', message: 'internal error' } });
    expect(log).toHaveBeenCalledTimes(1);
    log.mockRestore();
  });

  it('answers an unknown route with not_found naming the method and path', async () => {
    const res = await tinyApp().request('/nowhere', { method: 'DELETE' });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'no route for DELETE /nowhere' } });
  });

  it('builds a body without a field key when there is no field', () => {
    expect(errorBody('not_found', 'gone')).toEqual({ error: { code: 'not_found', message: 'gone' } });
    expect(errorBody('conflict', 'id: taken', 'id')).toEqual({ error: { code: 'conflict', message: 'id: taken', field: 'id' } });
  });
});

it('the script route answers a missing build in the same shape', async () => {
  const app = new Hono();
  app.onError(handleError);
  app.route('/', createSdkAssetsRoute({ dir: '/nonexistent-leadbeam-dist/' }));
  const res = await app.request('/sdk.js');
  expect(res.status).toBe(404);
  expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'leadbeam.js is not built: run "npm run build:sdk"' } });
});
