import type { Context } from 'hono';
import type { z } from 'zod';
import { ApiError } from './apiError.js';

/**
 * Reads a JSON body and validates it: the data, or a thrown 400 `ApiError` naming what is
 * wrong, which `app.onError` answers.
 *
 * @example
 * const body = await parseJsonBody(c, feedbackSchema);
 */
export async function parseJsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new ApiError(400, 'invalid_request', 'body is not valid JSON');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw ApiError.fromZod(parsed.error);
  return parsed.data;
}
