import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { describeRoute } from 'hono-openapi';
import { z } from 'zod';
import type { Kysely } from 'kysely';
import { MAX_BATCH_EVENTS } from '../../../shared/src/schemas.js';
import type { LeadbeamConfig } from '../config/schema.js';
import type { Database, EventsTable } from '../db/schema.js';
import { ApiError } from '../http/apiError.js';
import { countRejectedEvent } from '../ops/metrics.js';
import type { SegmentLimits } from '../limits/createSegmentLimits.js';
import type { KeyGuessLimit } from '../auth/keyGuesses.js';
import type { EventWriter } from '../pipeline/createEventWriter.js';
import { createSegmentAuth } from './segmentAuth.js';
import { SEGMENT_TYPES, createSegmentMapper, messageSchema, type SegmentType } from './toEvents.js';
import { errorResponses } from '../openapi/errorResponses.js';
import { jsonAnswer } from '../openapi/jsonAnswer.js';
import { jsonBody } from '../openapi/jsonBody.js';
import { schemaRef } from '../openapi/schemaRef.js';

export interface SegmentOptions {
  db: Kysely<Database>;
  config: LeadbeamConfig;
  /** The bootstrap key, which may send to any site like a named `write` key. */
  secretKey: string;
  /** Where mapped events go; `200 {"success": true}` is only sent once they are committed. */
  writer: EventWriter;
  now?: () => number;
  /** The sending client's key for the identity guardrails (`identity/guardrails.ts`). */
  clientKeyOf?: (c: Context) => string | undefined;
  /** Rate limits per client address and per key (`limits/createSegmentLimits.ts`); none when absent. */
  limits?: SegmentLimits;
  /** The app's count of wrong keys per client address, shared with its other key checks (`segmentAuth.ts`); one of its own when absent. */
  keyGuesses?: KeyGuessLimit;
}

/** Segment's limit on a request, after decompression. */
export const SEGMENT_MAX_BATCH_BYTES = 500 * 1024;
/**
 * Most messages in one batch: `/v1/collect`'s 500 events a batch. Segment itself counts only
 * bytes, but its libraries send fewer a batch (15 to 250 by default); 500 KB of tiny
 * messages would otherwise be over 10,000 events in one request.
 */
export const SEGMENT_MAX_BATCH_MESSAGES = MAX_BATCH_EVENTS;

/** What a Segment call answers: Segment's `success`, then what leadbeam did (its clients ignore the rest). */
export interface SegmentResult {
  success: true;
  accepted: number;
  duplicates: number;
  ignored: Array<{ index: number; messageId?: string; reason: string }>;
  rejected: Array<{ index: number; messageId?: string; field?: string; error: string }>;
}

const tooLarge = (what: string) => new ApiError(400, 'invalid_request', `body: ${what} is larger than Segment's limit of ${SEGMENT_MAX_BATCH_BYTES} bytes a batch; send smaller batches`, { field: 'body' });
// Segment answers an oversized body with 400, and its clients drop a batch on a 4xx rather than retry it.
const limitBody = bodyLimit({
  maxSize: SEGMENT_MAX_BATCH_BYTES,
  onError: () => {
    throw tooLarge('the body');
  },
});
const gunzipAsync = promisify(gunzip);

/** The JSON body, gunzipped when it says so; decompression stops at the batch limit (no gzip bombs). */
async function readBody(c: Context): Promise<Record<string, unknown>> {
  let raw = Buffer.from(await c.req.arrayBuffer());
  const encoding = (c.req.header('content-encoding') ?? 'identity').trim().toLowerCase();
  if (encoding === 'gzip' || encoding === 'x-gzip') {
    try {
      raw = await gunzipAsync(raw, { maxOutputLength: SEGMENT_MAX_BATCH_BYTES });
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge('the decompressed body');
      throw new ApiError(400, 'invalid_request', 'body: Content-Encoding says gzip but the body is not valid gzip', { field: 'body' });
    }
  } else if (encoding !== 'identity') {
    throw new ApiError(400, 'invalid_request', `content-encoding: "${encoding}" is not supported; send gzip or no encoding`, { field: 'content-encoding' });
  }
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new ApiError(400, 'invalid_request', 'body: not valid JSON', { field: 'body' });
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'invalid_request', 'body: expected a JSON object', { field: 'body' });
  return body as Record<string, unknown>;
}

/** What each call does, for the OpenAPI document. */
const SUMMARIES: Record<'batch' | SegmentType, string> = {
  batch: 'Send several calls at once (what Segment’s libraries do)',
  identify: 'Say who a visitor is: traits, and an email (`traits.email` or an email `userId`) that links it to a lead',
  track: 'Record an action (email opened, trial started, meeting booked…)',
  page: 'Record a page view',
  screen: 'Record an app screen view (stored as a page view)',
  group: 'Record the visitor’s company (`traits.name`)',
  alias: 'Accepted and ignored: leadbeam links visitors to leads by email, not by alias',
};
// The bodies as documented, from the schema each message is checked with; `writeKey` is the
// body's alternative to HTTP Basic, `context.site` names the site when a secret key sends.
const writeKey = z.string().optional();
const singleBody = messageSchema.omit({ type: true }).extend({ writeKey });
const batchBody = z.object({ batch: z.array(messageSchema).max(SEGMENT_MAX_BATCH_MESSAGES), sentAt: z.string().optional(), context: z.looseObject({ site: z.string().optional() }).optional(), writeKey });
const describeCall = (call: 'batch' | SegmentType) =>
  describeRoute({
    tags: ['Segment-compatible'],
    summary: SUMMARIES[call],
    description:
      'Segment’s HTTP Tracking API. With a site key as the write key every message goes to that site; with a secret key (bootstrap or named, `write` scope) each names its site in `context.site` (unless the ingest serves one). A call’s `userId` that is an email links the visitor (`anonymousId`) to that lead, under the identity guardrails. Rate limited per client address and per key, and a site key’s messages count against its client address’s events budget, as on `/v1/collect`; an address that has sent too many wrong keys (here, on the keyed API and the dashboard’s sign-in together) has every key refused until its minute passes (429 with `Retry-After`). Gzip bodies are read.',
    security: [{ writeKey: [] }, { secretKey: ['write'] }],
    requestBody: jsonBody(call === 'batch' ? batchBody : singleBody, call === 'batch' ? `Messages, each with its \`type\`; at most ${SEGMENT_MAX_BATCH_MESSAGES}, ${SEGMENT_MAX_BATCH_BYTES} bytes in all` : 'One message; its type is the path'),
    responses: {
      200: jsonAnswer(call === 'batch' ? 'Stored; bad messages listed in `rejected`, the good ones kept' : 'Stored (or ignored, saying why)', schemaRef('SegmentResult')),
      ...errorResponses(400, 401, 403, 429),
    },
  });

const textOf = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);
const contextSite = (v: unknown) => textOf((v as { context?: { site?: unknown } } | null)?.context?.site);
const sentAtOf = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' && Number.isFinite(Date.parse(v)) ? Date.parse(v) : undefined);

/**
 * Segment's HTTP Tracking API, so backends, email tools and CRMs can send events with Segment's
 * or RudderStack's libraries: `POST /batch`, `/identify`, `/track`, `/page`, `/screen`, `/group`
 * and `/alias` (mounted under `/v1`). Gzip bodies are read; 32 KB an event, 500 KB and 500
 * messages a batch, 400 beyond. Messages become events (`toEvents.ts`) and go through the same
 * write pipeline, identity guardrails and scoring as the script's; the browser bot filter does
 * not apply.
 * A single call with a bad message answers 400; a batch keeps its good messages and lists the
 * others (400 only when none is good).
 *
 * With a site key, every message goes to that site. With a secret key (bearer), each message
 * names its site in `context.site` (or the batch's `context.site`); when the config declares
 * one site, that one. Senders with the public site key count against the identity guardrails
 * per client address, as the script does; secret-key senders are trusted (a CRM sync creates
 * many leads from one address). Rate limits (`limits`): requests per client address before the
 * body is read, requests per key once the call is authenticated, and a site key's messages per
 * client address (`/v1/collect`'s events budget; secret keys are exempt); 429 with `Retry-After`.
 *
 * @example
 * app.route('/v1', createSegmentRoute({ db, config, secretKey, writer }));
 * // curl -u "$SITE_KEY:" https://ingest.example/v1/track -d '{"userId":"u1","event":"Signed Up"}'
 */
export function createSegmentRoute({ db, config, secretKey, writer, now = Date.now, clientKeyOf, limits, keyGuesses }: SegmentOptions) {
  const authenticate = createSegmentAuth({ db, config, secretKey, now, keyGuesses });
  const toEvent = createSegmentMapper();
  const sites = new Map(config.sites.map((s) => [s.key, s]));
  const onlySite = config.sites.length === 1 ? config.sites[0] : undefined;
  const app = new Hono();

  for (const call of ['batch', ...SEGMENT_TYPES] as const) {
    app.post(`/${call}`, describeCall(call), limits?.perAddress ?? ((_c, next) => next()), limitBody, async (c) => {
      const receivedAt = now();
      const body = await readBody(c);
      const sender = await authenticate(c, body);
      // A page (browsers send Origin) writes with a site key only from the site's own origins, as
      // on /v1/collect: otherwise any page could make its visitors' browsers write leads.
      const origin = c.req.header('origin');
      if (sender.kind === 'site' && origin && !sender.site.allowedOrigins.includes(origin)) {
        throw new ApiError(403, 'forbidden', `origin ${origin} is not allowed for site "${sender.site.key}": add it to the site's allowedOrigins in the config file`);
      }
      // Each key its own budget: a site key, the bootstrap key or a named key (by id, never by its secret).
      const budget = sender.kind === 'site' ? { key: `site:${sender.site.key}`, label: `write key "${sender.site.key}"` } : { key: `key:${sender.id}`, label: `key "${sender.name}"` };
      await limits?.checkKey(budget.key, budget.label);
      const isBatch = call === 'batch';
      if (isBatch && !Array.isArray(body.batch)) throw new ApiError(400, 'invalid_request', 'batch: expected a list of messages', { field: 'batch' });
      // A single call's type is its path, whatever the body says.
      const messages: unknown[] = isBatch ? (body.batch as unknown[]) : [{ ...body, type: call }];
      // Whatever the key, as /v1/collect: 400 like Segment's own size limits, which its clients drop rather than retry.
      if (messages.length > SEGMENT_MAX_BATCH_MESSAGES) {
        throw new ApiError(400, 'invalid_request', `batch: ${messages.length} messages is more than ${SEGMENT_MAX_BATCH_MESSAGES} a batch; send smaller batches`, { field: 'batch' });
      }
      // The public key buys no more than the script's endpoint: its messages count as /v1/collect's events do.
      if (sender.kind === 'site') limits?.checkSiteKeyEvents(c, messages.length);
      const batchSentAt = isBatch ? sentAtOf(body.sentAt) : undefined;
      const prefix = isBatch ? (i: number) => `batch.${i}.` : () => '';

      const result: SegmentResult = { success: true, accepted: 0, duplicates: 0, ignored: [], rejected: [] };
      const reject = (index: number, messageId: string | undefined, error: string, field?: string) => {
        countRejectedEvent(field);
        result.rejected.push({ index, ...(messageId !== undefined && { messageId }), ...(field !== undefined && { field: prefix(index) + field }), error: field ? prefix(index) + error : error });
      };
      const rows: EventsTable[] = [];
      const indexOf = new Map<string, number>();
      messages.forEach((message, index) => {
        const messageId = textOf((message as { messageId?: unknown } | null)?.messageId);
        let site = sender.kind === 'site' ? sender.site : undefined;
        if (sender.kind === 'secret') {
          const key = contextSite(message) ?? contextSite(body);
          site = key === undefined ? onlySite : sites.get(key);
          if (!site) return reject(index, messageId, key === undefined ? 'context.site: name the site (its key) in context.site; the ingest serves more than one' : `context.site: unknown site key "${key}"`, 'context.site');
        }
        const out = toEvent(site!, message, { receivedAt, batchSentAt, trusted: sender.kind === 'secret' });
        if ('row' in out) {
          indexOf.set(out.row.id, index);
          rows.push(out.row);
        } else if ('ignored' in out) result.ignored.push({ index, ...(messageId !== undefined && { messageId }), reason: out.ignored });
        else reject(index, messageId, out.error, out.field);
      });

      // Segment answers 400 for a bad call; a batch's good messages are kept (its clients drop a batch on a 400).
      const first = result.rejected[0];
      if (first && (!isBatch || rows.length === 0)) throw new ApiError(400, 'invalid_request', first.error, first.field === undefined ? {} : { field: first.field });
      if (rows.length) {
        // A key's holder is a trusted source (a CRM, a backend): its traits win over a browser's.
        const outcome = await writer.submit({ rows, receivedAt, clientKey: sender.kind === 'site' ? clientKeyOf?.(c) : undefined, trusted: sender.kind === 'secret' });
        result.accepted = outcome.accepted;
        result.duplicates = outcome.duplicates;
        for (const r of outcome.refused) reject(indexOf.get(r.id) ?? -1, r.id, r.error, r.field);
        result.rejected.sort((a, b) => a.index - b.index);
      }
      return c.json(result, 200);
    });
  }
  return app;
}
