import type { KeyScope } from '../db/schema.js';

/**
 * The security of an operation behind `requireKey(scope)`: the `secretKey` scheme with the scope a
 * named key needs (`admin` holds them all; the bootstrap key may do everything). OpenAPI 3.1 lets
 * a bearer requirement list such roles. Document its 401 and 403 with `errorResponses(401, 403)`;
 * the 429 of too many wrong keys is added to every keyed operation by `withKeyGuessAnswers`.
 *
 * @example
 * describeRoute({ summary: 'One lead', ...requiresKey('read'), responses: { 200: …, ...errorResponses(401, 403, 404) } })
 */
export function requiresKey(scope: KeyScope): { security: Array<Record<string, string[]>> } {
  return { security: [{ secretKey: [scope] }] };
}
