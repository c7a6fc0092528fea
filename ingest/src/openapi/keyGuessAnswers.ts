import { ERROR_RESPONSES } from './errorResponses.js';

/** The security schemes whose credentials are checked against the count of wrong keys (`auth/keyGuesses.ts`). */
export const KEY_SCHEMES = ['secretKey', 'writeKey'];

type Operations = Record<string, Record<string, { security?: Array<Record<string, string[]>>; responses?: Record<string, unknown> }>>;

/**
 * The document with the answer every operation that checks a key can give beside its own
 * checks': once a client address has sent too many wrong keys (`auth/keyGuesses.ts`: 20 a
 * minute, one count for the keyed API, the Segment-compatible routes and the dashboard's
 * sign-in), every key it presents is refused unchecked with 429 `rate_limited` and
 * `Retry-After` (the shared `RateLimited` response) until its window passes. Added here once,
 * to each operation whose `security` names a key scheme (`KEY_SCHEMES`), rather than by each
 * route; a route that lists 429 already keeps its own.
 *
 * @example
 * const doc = withKeyGuessAnswers(await generateSpecs(app, options));
 * doc.paths['/v1/leads'].get.responses['429'] // { $ref: '#/components/responses/RateLimited' }
 */
export function withKeyGuessAnswers<D extends { paths: object }>(doc: D): D {
  for (const item of Object.values(doc.paths as Operations)) {
    for (const operation of Object.values(item)) {
      if (!operation.security?.some((requirement) => KEY_SCHEMES.some((scheme) => scheme in requirement))) continue;
      operation.responses = { ...operation.responses, 429: operation.responses?.['429'] ?? { $ref: `#/components/responses/${ERROR_RESPONSES[429]}` } };
    }
  }
  return doc;
}
