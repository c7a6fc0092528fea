import type { MiddlewareHandler } from 'hono';
import { unstorable } from '../collect/unstorable.js';
import { ApiError } from './apiError.js';

const FORM = /^(application\/x-www-form-urlencoded|multipart\/form-data)/;

/**
 * Refuses, with 400 naming the field, a posted form with a value no store can keep: a NUL
 * character (`note=a%00b`), which PostgreSQL refuses (a 500) and SQLite would store. The JSON
 * API checks its bodies the same way (`parseJsonBody`); this does it once for every form.
 *
 * @example
 * dashboard.on(['POST', 'PUT', 'PATCH', 'DELETE'], '*', refuseUnstorableForm());
 */
export function refuseUnstorableForm(): MiddlewareHandler {
  return async function refuseUnstorableForm(c, next) {
    if (FORM.test(c.req.header('content-type') ?? '')) {
      const bad = unstorable(await c.req.parseBody({ all: true }));
      if (bad) throw new ApiError(400, 'invalid_request', `${bad.field}: ${bad.problem}`, { field: bad.field });
    }
    return next();
  };
}
