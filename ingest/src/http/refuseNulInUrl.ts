import type { MiddlewareHandler } from 'hono';
import { ApiError } from './apiError.js';

/** Bytes PostgreSQL cannot store in text (`0x00`), as written in a URL: encoded or raw. */
const NUL = /%00|\u0000/i;

/** The query parameter whose name or value holds a NUL character (the first such), else undefined. */
function nulParam(query: string): string | undefined {
  for (const [name, value] of new URLSearchParams(query)) if (name.includes('\u0000') || value.includes('\u0000')) return name.replace(/\u0000/g, '\\u0000');
  return undefined;
}

/**
 * Refuses, with 400 naming the path or the parameter, a URL that carries a NUL character
 * (`/v1/leads/%00`, `?site=%00`): every route reads its ids and filters into queries, and
 * PostgreSQL refuses NUL in text, which would otherwise surface as a 500. Checked once here, for
 * every route, instead of in each route's schemas.
 *
 * @example
 * app.use('*', refuseNulInUrl());
 */
export function refuseNulInUrl(): MiddlewareHandler {
  return async function refuseNulInUrl(c, next) {
    const url = c.req.raw.url;
    if (!NUL.test(url)) return next();
    const queryAt = url.indexOf('?');
    const path = queryAt < 0 ? url : url.slice(0, queryAt);
    const field = NUL.test(path) ? 'path' : (nulParam(url.slice(queryAt + 1)) ?? 'path');
    throw new ApiError(400, 'invalid_request', `${field}: must not contain a NUL character (\\u0000)`, { field });
  };
}
