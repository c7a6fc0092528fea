import { z } from 'zod';

/** An OpenAPI parameter object, as `describeRoute` takes it. */
export interface ParameterObject {
  name: string;
  in: 'query' | 'path';
  required: boolean;
  description?: string;
  schema: Record<string, unknown>;
}

/**
 * The query parameters a route's own zod schema validates, for `describeRoute` (we keep our own
 * validation, whose errors name the field, so hono-openapi's `validator` cannot derive them):
 * one parameter a property, with its JSON Schema as the client sends it (before coercion and
 * transforms), required when the schema requires it, and the description given for it.
 *
 * @example
 * describeRoute({ parameters: queryParameters(listQuerySchema, { email: 'One lead by email' }) })
 */
export function queryParameters<S extends z.ZodObject>(schema: S, descriptions: Partial<Record<keyof z.input<S> & string, string>> = {}): ParameterObject[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: json.required?.includes(name) ?? false,
    ...(descriptions[name as keyof typeof descriptions] && { description: descriptions[name as keyof typeof descriptions] }),
    schema: property,
  }));
}
