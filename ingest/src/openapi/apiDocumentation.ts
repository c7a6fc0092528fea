import type { openAPIRouteHandler } from 'hono-openapi';
import type { KeyScope } from '../db/schema.js';
import type { ErrorCode } from '../http/apiError.js';
import { STAGES } from '../scoring/lifecycle.js';
import { ERROR_RESPONSES } from './errorResponses.js';

const ERROR_CODES = ['invalid_request', 'unauthorized', 'forbidden', 'not_found', 'conflict', 'payload_too_large', 'rate_limited', 'unavailable', 'internal'] as const satisfies readonly ErrorCode[];
// Compile-time proof that every code a route may answer is listed.
const everyCodeListed: Exclude<ErrorCode, (typeof ERROR_CODES)[number]> extends never ? true : false = true;
void everyCodeListed;

const ERROR_MEANING: Record<keyof typeof ERROR_RESPONSES, string> = {
  400: 'The request is not valid; `field` names what is wrong (`events.0.id`, `batch.2.timestamp`, `cursor`).',
  401: 'No key, or one that is unknown or revoked. `WWW-Authenticate` names the scheme to use.',
  403: 'The key lacks the scope the operation needs (the message names it), or the origin is not allowed for the site.',
  404: 'Nothing of that id, or no such route.',
  409: 'The change conflicts with the current state (e.g. merging a lead into itself, deleting a webhook from the config file).',
  413: 'The body is over the size limit.',
  429: 'Over a rate limit, or, on an operation that takes a key, too many wrong keys from this client address (20 a minute, counted together on the keyed API, the Segment-compatible routes and the dashboard’s sign-in): until its minute passes every key it presents, the right one too, is refused unchecked. `Retry-After` says in how many seconds to try again.',
  500: 'A bug; nothing about the request is disclosed. It is logged.',
  503: 'Storage is unavailable (the database is not answering, or the ingest is shutting down): nothing was stored. `Retry-After` says when to send the same request again. Every operation that writes events or takes a key may answer it.',
};

/** The headers an error answer carries, beside its body. */
const ERROR_HEADERS: Partial<Record<keyof typeof ERROR_RESPONSES, Record<string, { description: string; required: boolean; schema: Record<string, unknown> }>>> = {
  401: { 'WWW-Authenticate': { description: 'The scheme to use: `Bearer` on keyed routes, `Basic realm="leadbeam"` on the Segment-compatible ones.', required: true, schema: { type: 'string' } } },
  429: { 'Retry-After': { description: 'Whole seconds until the limit lets the request through again (at least 1).', required: true, schema: { type: 'integer', minimum: 1 } } },
  503: { 'Retry-After': { description: 'Whole seconds to wait before sending the same request again.', required: true, schema: { type: 'integer', minimum: 1 } } },
};

/** The document minus its paths, as hono-openapi takes it. */
type Documentation = NonNullable<NonNullable<Parameters<typeof openAPIRouteHandler>[1]>['documentation']>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const iso = { type: 'string' as const, format: 'date-time' };
const isoOrNull = { type: ['string' as const, 'null' as const], format: 'date-time' };
const scores = { type: 'object' as const, properties: { engagement: { type: 'number' as const }, fit: { type: 'number' as const }, total: { type: 'number' as const } } };
const SCOPES = ['read', 'write', 'admin'] as const satisfies readonly KeyScope[];

/**
 * Everything in the OpenAPI document that is not an operation: the info, the tags, the security
 * schemes (the bootstrap or a named key as bearer, a site key as Segment's write key), the one
 * error body and a shared response for each error status, and the shapes of the answers.
 * Operations describe themselves beside their handlers with `describeRoute`.
 *
 * @example
 * openAPIRouteHandler(app, { documentation: apiDocumentation('0.1.0') })
 */
export function apiDocumentation(version: string): Documentation {
  return {
    info: {
      title: 'leadbeam',
      version,
      description:
        'Website lead tracking and lead scoring. The script and server-side senders write events (`/v1/collect`, the Segment-compatible `/v1/batch` …); other systems read visitors, leads and scores, send sales feedback and register webhooks with a secret key. Every error answers with one body: `{"error": {"code", "message", "field"?}}`.',
    },
    tags: [
      { name: 'Events', description: 'Writing events: the browser script and server-side senders.' },
      { name: 'Segment-compatible', description: "Segment's HTTP Tracking API, so Segment's and RudderStack's libraries, email tools and CRMs can send events. Segment's limits: 32 KB an event, 500 KB a batch (gzip accepted)." },
      { name: 'Visitors' },
      { name: 'Leads' },
      { name: 'Reports' },
      { name: 'Webhooks' },
      { name: 'Keys', description: 'Named API keys with scopes.' },
      { name: 'Admin' },
      { name: 'Operations', description: 'Health, readiness, metrics and this document.' },
    ],
    components: {
      securitySchemes: {
        secretKey: {
          type: 'http',
          scheme: 'bearer',
          description:
            '`Authorization: Bearer <key>`: the bootstrap key (`LEADBEAM_SECRET_KEY` or the key file; may do everything) or a named key from `POST /v1/keys`. An operation lists the scope a named key needs: `read`, `write` or `admin` (which holds them all).',
        },
        writeKey: {
          type: 'http',
          scheme: 'basic',
          description: "Segment's write key: a site's public key as the HTTP Basic username with an empty password, as Segment's libraries send it (`writeKey` in the body works too). The events go to that site.",
        },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string', enum: [...ERROR_CODES], description: 'What a client branches on.' },
                message: { type: 'string', description: 'For people; starts with the field it is about. May change.' },
                field: { type: 'string', description: 'Dotted path of the bad input, when there is one (`events.0.id`).' },
              },
            },
          },
          examples: [{ error: { code: 'invalid_request', message: 'events.0.id: letters, digits, - and _ only', field: 'events.0.id' } }],
        },
        CollectResult: {
          type: 'object',
          required: ['accepted', 'duplicates', 'rejected'],
          properties: {
            accepted: { type: 'integer', description: 'Events stored.' },
            duplicates: { type: 'integer', description: 'Events already stored under their id (a retry).' },
            ignored: { type: 'integer', description: 'Events dropped on purpose (a bot, a link that is no counted download).' },
            rejected: { type: 'array', items: { type: 'object', properties: { index: { type: 'integer' }, id: { type: 'string' }, field: { type: 'string' }, error: { type: 'string' } } } },
          },
        },
        SegmentResult: {
          type: 'object',
          required: ['success', 'accepted', 'duplicates', 'ignored', 'rejected'],
          description: "Segment's `success`, then what leadbeam did with each message (Segment's clients ignore the rest).",
          properties: {
            success: { const: true },
            accepted: { type: 'integer' },
            duplicates: { type: 'integer', description: 'Messages already stored under their messageId.' },
            ignored: { type: 'array', items: { type: 'object', properties: { index: { type: 'integer' }, messageId: { type: 'string' }, reason: { type: 'string' } } } },
            rejected: { type: 'array', items: { type: 'object', properties: { index: { type: 'integer' }, messageId: { type: 'string' }, field: { type: 'string' }, error: { type: 'string' } } } },
          },
        },
        Visitor: {
          type: 'object',
          properties: {
            visitorId: { type: 'string' },
            site: { type: 'string' },
            firstSeenAt: iso,
            lastSeenAt: iso,
            visits: { type: 'integer' },
            returning: { type: 'boolean' },
            events: { type: 'integer' },
            pageviews: { type: 'integer' },
            pageviewsByStage: { type: 'object', properties: { top: { type: 'integer' }, middle: { type: 'integer' }, bottom: { type: 'integer' } } },
            score: { type: 'object', properties: { engagement: { type: 'number' } } },
            leadId: { type: ['string', 'null'] },
            ownsLeadTraits: {
              type: 'boolean',
              description: 'Whether this browser may change its lead’s known traits: it made the lead, or a trusted source (an API key) linked it. False for a browser linked only by giving a known lead’s email, and when there is no lead: show such a browser nothing of the lead it claimed.',
            },
          },
        },
        Event: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            type: { type: 'string' },
            name: { type: ['string', 'null'] },
            ts: iso,
            clientTs: iso,
            receivedAt: iso,
            visitorId: { type: 'string' },
            sessionId: { type: 'string' },
            visit: { type: 'integer' },
            firstVisit: { type: 'boolean' },
            url: { type: 'string' },
            path: { type: ['string', 'null'] },
            referrer: { type: ['string', 'null'] },
            title: { type: ['string', 'null'] },
            stage: { type: ['string', 'null'] },
            category: { type: ['string', 'null'] },
            campaign: { type: ['object', 'null'] },
            props: { type: ['object', 'null'] },
            traits: { type: ['object', 'null'] },
          },
        },
        Lead: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            site: { type: 'string' },
            email: { type: 'string' },
            stage: { type: 'string', enum: [...STAGES] },
            score: scores,
            ruleVersion: { type: 'string' },
            traits: { type: 'object', additionalProperties: { type: 'string' } },
            visitorIds: { type: 'array', items: { type: 'string' } },
            visits: { type: 'integer' },
            firstSeenAt: isoOrNull,
            lastSeenAt: isoOrNull,
            mergedIds: { type: 'array', items: { type: 'string' } },
            identityLog: { type: 'array', items: { type: 'object', properties: { kind: { type: 'string' }, visitorId: { type: ['string', 'null'] }, otherLeadId: { type: ['string', 'null'] }, detail: { type: 'string' }, at: isoOrNull } } },
            createdAt: isoOrNull,
            updatedAt: isoOrNull,
            stageHistory: {
              type: 'array',
              items: { type: 'object', properties: { from: { type: 'string' }, to: { type: 'string' }, at: isoOrNull, cause: { type: 'string' }, source: { type: 'string' }, scores, ruleVersion: { type: 'string' } } },
            },
          },
        },
        Webhook: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            url: { type: 'string', format: 'uri' },
            events: { type: 'array', items: { type: 'string' } },
            site: { type: ['string', 'null'] },
            source: { type: 'string', enum: ['api', 'config'] },
            createdAt: isoOrNull,
          },
        },
        ApiKey: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            name: { type: 'string' },
            scopes: { type: 'array', items: { type: 'string', enum: [...SCOPES] } },
            prefix: { type: 'string', description: 'The first characters of the key, to tell keys apart.' },
            createdAt: iso,
            lastUsedAt: isoOrNull,
            revokedAt: isoOrNull,
          },
        },
      },
      responses: Object.fromEntries(
        Object.entries(ERROR_RESPONSES).map(([status, name]) => {
          const headers = ERROR_HEADERS[Number(status) as keyof typeof ERROR_RESPONSES];
          return [name, { description: ERROR_MEANING[Number(status) as keyof typeof ERROR_RESPONSES], ...(headers && { headers }), content: { 'application/json': { schema: ref('Error') } } }];
        }),
      ),
    },
  };
}
