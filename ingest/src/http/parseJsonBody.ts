import type { Context } from 'hono';
import type { z } from 'zod';
import { unstorable } from '../collect/unstorable.js';
import { ApiError } from './apiError.js';

/**
 * Reads a JSON body and validates it: the data, or a thrown 400 `ApiError` naming what is
 * wrong (a value no store can keep included: `unstorable`), which `app.onError` answers.
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
  // A value no store can keep (NUL, a lone surrogate: PostgreSQL refuses both) is the sender's mistake, not a 500.
  const bad = unstorable(raw);
  if (bad) {
    const field = bad.field === '(event)' ? undefined : bad.field;
    throw new ApiError(400, 'invalid_request', `${field ?? '(body)'}: ${bad.problem}`, field ? { field } : {});
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw ApiError.fromZod(parsed.error);
  return parsed.data;
}
