import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { describeRoute } from 'hono-openapi';
import { isbot } from 'isbot';
import { z } from 'zod';
import {
  MAX_BATCH_BYTES,
  MAX_BATCH_EVENTS,
  MAX_EVENT_BYTES,
  describeZodError,
  eventBatchEnvelopeSchema,
  trackedEventSchema,
  type ValidEvent,
} from '../../../shared/src/schemas.js';
import type { CollectResult } from '../../../shared/src/types.js';
import { createPageClassifier } from '../config/pageRules.js';
import type { LeadbeamConfig, SiteConfig } from '../config/schema.js';
import { ApiError } from '../http/apiError.js';
import type { EventWriter } from '../pipeline/createEventWriter.js';
import { TRUSTED_EVENT_ID_PREFIX } from '../pipeline/trustedEventIds.js';
import type { CollectLimits } from '../limits/createCollectLimits.js';
import { countRejectedEvent } from '../ops/metrics.js';
import { limitBodySize } from '../http/limitBodySize.js';
import { DERIVED_VISITOR_ID } from '../segment/toEvents.js';
import { correctClockSkew, eventTimeProblem } from './correctClockSkew.js';
import { unstorable } from './unstorable.js';
import { sensitiveIdProblem, toEventRow } from './toEventRow.js';
import { largestPart } from './largestPart.js';
import type { EventsTable } from '../db/schema.js';
import { errorResponses } from '../openapi/errorResponses.js';
import { jsonAnswer } from '../openapi/jsonAnswer.js';
import { jsonBody } from '../openapi/jsonBody.js';
import { schemaRef } from '../openapi/schemaRef.js';

export interface CollectOptions {
  config: LeadbeamConfig;
  /** Where validated events go; a 2xx is only sent once it has committed them. */
  writer: EventWriter;
  now?: () => number;
  /** Rate limits per client address and per site; none when absent. */
  limits?: CollectLimits;
  /** The sending client's key for the identity guardrails (`identity/guardrails.ts`). */
  clientKeyOf?: (c: Context) => string | undefined;
}

type Site = SiteConfig & {
  classifyPage: ReturnType<typeof createPageClassifier>;
  countsAsDownload: (e: ValidEvent) => boolean;
};

/**
 * The script reports every click on a link to a file; the site's `downloads` list says which
 * file types count (links marked as downloads in markup always do). Other events pass.
 */
function createDownloadFilter(types: string[]) {
  const counted = new Set(types.map((t) => t.toLowerCase().replace(/^\./, '')));
  return (e: ValidEvent) => {
    if (e.type !== 'download' || e.props?.marked) return true;
    const file = String(e.props?.url ?? e.name ?? '');
    return counted.has(/\.(\w+)$/.exec(file)?.[1]?.toLowerCase() ?? '');
  };
}

const tooLarge = (): never => {
  throw new ApiError(413, 'payload_too_large', `body is larger than ${MAX_BATCH_BYTES} bytes; send smaller batches`);
};
const limitBody = limitBodySize(MAX_BATCH_BYTES, tooLarge);

/** The batch as documented: the envelope, each event as `trackedEventSchema` checks it (one by one, so a bad one costs only itself). */
const documentedBatch = eventBatchEnvelopeSchema.extend({ events: z.array(trackedEventSchema).min(1).max(MAX_BATCH_EVENTS) });

const fieldOf = (message: string) => /^([\w.]+): /.exec(message)?.[1];

/**
 * `POST /v1/collect`: takes a batch of events as JSON or `text/plain` JSON (what sendBeacon
 * sends), checks each event on its own (a bad one never costs the good ones beside it), hands
 * the valid ones to the write pipeline and answers 2xx only after they are committed.
 *
 * @example
 * app.route('/v1/collect', createCollectRoute({ config, writer }));
 */
export function createCollectRoute({ config, writer, now = Date.now, limits, clientKeyOf }: CollectOptions) {
  const sites = new Map<string, Site>(
    config.sites.map((s) => [s.key, { ...s, classifyPage: createPageClassifier(s.pages), countsAsDownload: createDownloadFilter(s.downloads) }]),
  );
  const app = new Hono();

  app.post(
    '/',
    describeRoute({
      tags: ['Events'],
      summary: 'Send a batch of events (the browser script)',
      description:
        'The `site` in the body is the site’s public key: no other credentials, and from a browser only the site’s allowed origins (CORS). Sent as JSON or as `text/plain` JSON (what `sendBeacon` sends). Each event is checked on its own: a bad one is listed in `rejected` and costs only itself. With the site’s bot filter on, a bot’s batch is answered 202 with everything `ignored`.',
      security: [],
      requestBody: jsonBody(documentedBatch, `A batch of at most ${MAX_BATCH_EVENTS} events, ${MAX_BATCH_BYTES} bytes, ${MAX_EVENT_BYTES} bytes an event`, ['application/json', 'text/plain']),
      responses: {
        200: jsonAnswer('Stored (committed) once the answer is sent; duplicates and rejected events listed', schemaRef('CollectResult')),
        202: jsonAnswer('Nothing to store: every event was ignored (a bot, a link that is no counted download)', schemaRef('CollectResult')),
        400: jsonAnswer('The batch is not valid (the error body), or every event in it was rejected (the result, listing why)', { oneOf: [schemaRef('Error'), schemaRef('CollectResult')] }),
        ...errorResponses(403, 404, 413, 429),
      },
    }),
    limitBody,
    limits?.perAddress ?? ((_c, next) => next()),
    async (c) => {
      const receivedAt = now();
      let body: unknown;
      try {
        body = JSON.parse(await c.req.text());
      } catch {
        throw new ApiError(400, 'invalid_request', 'body is not valid JSON: expected {"site", "sentAt", "events": [...]}');
      }
      const envelope = eventBatchEnvelopeSchema.safeParse(body);
      if (!envelope.success) throw ApiError.fromZod(envelope.error);
      const { site: siteKey, sentAt, events } = envelope.data;

      const site = sites.get(siteKey);
      if (!site) throw new ApiError(404, 'not_found', `site: unknown site key "${siteKey}"`, { field: 'site' });
      await limits?.checkSite(site.key);
      limits?.checkEvents(c, events.length);
      const origin = c.req.header('origin');
      if (origin && !site.allowedOrigins.includes(origin)) {
        throw new ApiError(403, 'forbidden', `origin ${origin} is not allowed for site "${siteKey}": add it to the site's allowedOrigins in the config file`);
      }
      if (site.ignoreBots && isbot(c.req.header('user-agent') ?? '')) {
        return c.json({ accepted: 0, duplicates: 0, ignored: events.length, rejected: [] } satisfies CollectResult, 202);
      }

      const rejected: CollectResult['rejected'] = [];
      const reject = (index: number, id: string | undefined, error: string, field = fieldOf(error)) => {
        countRejectedEvent(field);
        rejected.push({ index, id, field, error });
      };
      let ignored = 0;
      const rows: EventsTable[] = [];
      const indexOf = new Map<string, number>();
      events.forEach((raw, index) => {
        const id = typeof (raw as { id?: unknown })?.id === 'string' ? (raw as { id: string }).id : undefined;
        // Depth first: measuring a 5,000-level object by serialising it would overflow the stack.
        const bad = unstorable(raw);
        if (bad) return reject(index, id, `${bad.field}: ${bad.problem}`, bad.field);
        const size = Buffer.byteLength(JSON.stringify(raw) ?? '');
        if (size > MAX_EVENT_BYTES) {
          const field = largestPart(raw);
          return reject(index, id, `${field}: the event is ${size} bytes, more than the limit of ${MAX_EVENT_BYTES} bytes an event; ${field} is its largest part`, field);
        }
        const parsed = trackedEventSchema.safeParse(raw);
        if (!parsed.success) return reject(index, id, describeZodError(parsed.error));
        const sensitiveId = sensitiveIdProblem(parsed.data);
        // Not echoing an event id that is itself such a number.
        if (sensitiveId) return reject(index, sensitiveId.field === 'id' ? undefined : id, sensitiveId.error, sensitiveId.field);
        // The server derives these from a Segment userId or anonymousId (toEvents.ts): a browser
        // that named itself so would write as that person's already linked, trusted visitor.
        if (DERIVED_VISITOR_ID.test(parsed.data.visitorId)) return reject(index, id, 'visitorId: ids starting su_, sa_, pu_ or pa_ are the server\'s (server-side events); a browser\'s id cannot start so', 'visitorId');
        if (parsed.data.id.startsWith(TRUSTED_EVENT_ID_PREFIX)) return reject(index, id, `id: ids starting ${TRUSTED_EVENT_ID_PREFIX} are the server's (a trusted sender's events); send a random id`, 'id');
        const late = eventTimeProblem({ clientTs: parsed.data.ts, sentAt });
        if (late) return reject(index, id, late);
        if (!site.countsAsDownload(parsed.data)) {
          ignored++;
          return;
        }
        indexOf.set(parsed.data.id, index);
        rows.push(toEventRow(site.key, parsed.data, { ts: correctClockSkew({ clientTs: parsed.data.ts, sentAt, receivedAt }), receivedAt, classify: site.classifyPage }));
      });

      if (rows.length === 0) {
        const result: CollectResult = { accepted: 0, duplicates: 0, ...(ignored && { ignored }), rejected };
        return c.json(result, rejected.length ? 400 : 202);
      }
      const outcome = await writer.submit({ rows, receivedAt, clientKey: clientKeyOf?.(c) });
      for (const r of outcome.refused) reject(indexOf.get(r.id) ?? -1, r.id, r.error, r.field);
      rejected.sort((a, b) => a.index - b.index);
      return c.json({ accepted: outcome.accepted, duplicates: outcome.duplicates, ...(ignored && { ignored }), rejected } satisfies CollectResult, 200);
    },
  );
  return app;
}
