import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import { describeZodError, issuePath } from '../../../shared/src/schemas.js';
import { isDatabaseUnavailable } from '../db/isDatabaseUnavailable.js';
import { logger } from '../ops/logger.js';

/** What a client branches on; the message is for people and may change. */
export type ErrorCode = 'invalid_request' | 'unauthorized' | 'forbidden' | 'not_found' | 'conflict' | 'payload_too_large' | 'rate_limited' | 'unavailable' | 'internal';

/** The statuses an `ApiError` answers with: one per code. */
export type ApiErrorStatus = Extract<ContentfulStatusCode, 400 | 401 | 403 | 404 | 409 | 413 | 429 | 503 | 500>;

/** The one error body every route answers with. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; field?: string };
}

/**
 * An error a route throws for the client to see, like Hono's `HTTPException`; `handleError`
 * turns it into the answer, so every route answers errors in the same shape.
 *
 * @example
 * if (!lead) throw new ApiError(404, 'not_found', `id: no lead "${id}"`, { field: 'id' });
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: ApiErrorStatus;
  readonly code: ErrorCode;
  /** Dotted path of the bad field, e.g. `events.0.id`. */
  readonly field?: string;
  /** Extra response headers, e.g. `WWW-Authenticate`. */
  readonly headers?: Record<string, string>;

  constructor(status: ApiErrorStatus, code: ErrorCode, message: string, options: { field?: string; headers?: Record<string, string> } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    if (options.field !== undefined) this.field = options.field;
    if (options.headers !== undefined) this.headers = options.headers;
  }

  /**
   * A 400 naming what failed validation. The message keeps the "field: message" text of
   * `describeZodError`, so it still starts with the field's name.
   *
   * @example
   * const query = schema.safeParse(c.req.query());
   * if (!query.success) throw ApiError.fromZod(query.error);
   */
  static fromZod(error: z.ZodError): ApiError {
    const path = error.issues[0] ? issuePath(error.issues[0]) : [];
    return new ApiError(400, 'invalid_request', describeZodError(error), path.length ? { field: path.map(String).join('.') } : {});
  }
}

/**
 * The error body, without a `field` key when there is no field.
 *
 * @example
 * errorBody('not_found', 'id: no lead "ld_1"', 'id') // { error: { code: 'not_found', message: 'id: no lead "ld_1"', field: 'id' } }
 */
export function errorBody(code: ErrorCode, message: string, field?: string): ErrorBody {
  return { error: field === undefined ? { code, message } : { code, message, field } };
}

/** The code of an `HTTPException` thrown by Hono or its middleware. */
const CODE_BY_STATUS: Partial<Record<number, ErrorCode>> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  429: 'rate_limited',
  503: 'unavailable',
};
const codeForStatus = (status: number): ErrorCode => CODE_BY_STATUS[status] ?? (status < 500 ? 'invalid_request' : 'internal');

/**
 * `app.onError`: an `ApiError` answers with its own status, body and headers; Hono's
 * `HTTPException` with its status, a code for it and its headers (e.g. `WWW-Authenticate`);
 * anything else is a bug, logged once and answered as a bare 500 so no detail leaks.
 *
 * @example
 * app.onError(handleError);
 */
export function handleError(err: Error, c: Context): Response {
  if (err instanceof ApiError) return c.json(errorBody(err.code, err.message, err.field), err.status, err.headers);
  if (err instanceof HTTPException) {
    const headers: Record<string, string> = {};
    err.res?.headers.forEach((value, name) => {
      if (name !== 'content-type' && name !== 'content-length') headers[name] = value;
    });
    const code = codeForStatus(err.status);
    return c.json(errorBody(code, err.message || code.replace(/_/g, ' ')), err.status, headers);
  }
  // Not a bug: the database is away for now (see openDatabase: the pool reconnects by itself).
  if (isDatabaseUnavailable(err)) {
    logger.warn({ err: err.message }, 'database unavailable');
    return c.json(errorBody('unavailable', 'the database is not answering; retry later'), 503, { 'Retry-After': '5' });
  }
  // The message and stack, never the request: it may carry keys or personal data.
  logger.error({ err: err.message, stack: err.stack }, 'unhandled error');
  return c.json(errorBody('internal', 'internal error'), 500);
}

/**
 * `app.notFound`: a 404 naming the method and path nothing answers.
 *
 * @example
 * app.notFound(handleNotFound);
 */
export function handleNotFound(c: Context): Response {
  return c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404);
}
