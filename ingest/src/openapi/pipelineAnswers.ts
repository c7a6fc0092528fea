import { ERROR_RESPONSES } from './errorResponses.js';

/** The tags of the operations that write events: the browser script's route and Segment's calls. */
export const EVENT_WRITING_TAGS = ['Events', 'Segment-compatible'];

type Operations = Record<string, Record<string, { tags?: string[]; security?: Array<Record<string, unknown>>; responses?: Record<string, unknown> }>>;

/**
 * The document with the answers that every operation writing events can give beside its own
 * checks' (each tagged one of `EVENT_WRITING_TAGS`): they hand their events to the write pipeline
 * (`pipeline/createEventWriter.ts`), which answers 503 `unavailable` with `Retry-After` when it
 * cannot commit them (nothing stored: retry). Every operation that takes a key reads the
 * database too, and answers the same 503 while it is away (`handleError`). Added here once, from
 * where the answer comes, rather than by each route; a route that lists it already keeps its own.
 *
 * @example
 * const doc = withPipelineAnswers(await generateSpecs(app, options));
 * doc.paths['/v1/collect'].post.responses['503'] // { $ref: '#/components/responses/Unavailable' }
 */
export function withPipelineAnswers<D extends { paths: object }>(doc: D): D {
  for (const item of Object.values(doc.paths as Operations)) {
    for (const operation of Object.values(item)) {
      const writesEvents = operation.tags?.some((tag) => EVENT_WRITING_TAGS.includes(tag));
      const takesKey = operation.security?.some((s) => 'secretKey' in s || 'writeKey' in s);
      if (!writesEvents && !takesKey) continue;
      operation.responses = { ...operation.responses, 503: operation.responses?.['503'] ?? { $ref: `#/components/responses/${ERROR_RESPONSES[503]}` } };
    }
  }
  return doc;
}
