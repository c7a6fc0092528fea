import { resolver } from 'hono-openapi';
import type { z } from 'zod';

/**
 * A JSON request body documented from the very zod schema that validates it (through
 * hono-openapi's `resolver`, zod 4's JSON Schema), so the document cannot drift from the checks.
 *
 * @example
 * describeRoute({ requestBody: jsonBody(feedbackSchema, 'What sales did with the lead') })
 */
export function jsonBody(schema: z.ZodType, description: string, mediaTypes: string[] = ['application/json']) {
  return { required: true, description, content: Object.fromEntries(mediaTypes.map((media) => [media, { schema: resolver(schema) }])) };
}
