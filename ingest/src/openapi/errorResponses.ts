import type { ApiErrorStatus } from '../http/apiError.js';

/** The shared response component of each error status: all answer with the one error body. */
export const ERROR_RESPONSES = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  413: 'PayloadTooLarge',
  429: 'RateLimited',
  500: 'InternalError',
  503: 'Unavailable',
} as const satisfies Record<ApiErrorStatus, string>;

/**
 * The error answers of an operation, each a reference to its shared component (`ERROR_RESPONSES`,
 * defined in `apiDocumentation`), so every route documents the same `{"error": …}` body.
 *
 * @example
 * describeRoute({ responses: { 200: { description: 'The lead' }, ...errorResponses(401, 403, 404) } })
 */
export function errorResponses(...statuses: Array<Exclude<ApiErrorStatus, 500>>): Record<string, { $ref: string }> {
  return Object.fromEntries(statuses.map((status) => [String(status), { $ref: `#/components/responses/${ERROR_RESPONSES[status]}` }]));
}
