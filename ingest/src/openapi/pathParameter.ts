import type { ParameterObject } from './queryParameters.js';

/**
 * A path parameter (`/v1/leads/{id}`): always required, text.
 *
 * @example
 * describeRoute({ parameters: [pathParameter('id', 'The lead id (a merged lead’s id answers with its survivor)')] })
 */
export function pathParameter(name: string, description: string): ParameterObject {
  return { name, in: 'path', required: true, description, schema: { type: 'string' } };
}
