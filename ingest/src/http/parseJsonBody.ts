import type { Context } from 'hono';
import type { z } from 'zod';
import { describeZodError } from '../../../shared/src/schemas.js';

/**
 * Reads a JSON body and validates it: the data, or the 400 answer naming what is wrong.
 *
 * @example
 * const body = await parseJsonBody(c, feedbackSchema);
 * if (body instanceof Response) return body;
 */
export async function parseJsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S> | Response> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    return c.json({ error: 'body is not valid JSON' }, 400);
  }
  const parsed = schema.safeParse(raw);
  return parsed.success ? parsed.data : c.json({ error: describeZodError(parsed.error) }, 400);
}
