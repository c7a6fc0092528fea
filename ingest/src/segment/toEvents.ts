import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { largestPart } from '../collect/largestPart.js';
import { MAX_EVENT_BYTES, describeZodError, issuePath, trackedEventSchema } from '../../../shared/src/schemas.js';
import type { Campaign, TrackedEvent } from '../../../shared/src/types.js';
import { idLooksSensitive } from '../../../shared/src/sensitive.js';
import { correctClockSkew, eventTimeProblem } from '../collect/correctClockSkew.js';
import { unstorable } from '../collect/unstorable.js';
import { toEventRow } from '../collect/toEventRow.js';
import { TRUSTED_EVENT_ID_PREFIX } from '../pipeline/trustedEventIds.js';
import { createPageClassifier } from '../config/pageRules.js';
import type { SiteConfig } from '../config/schema.js';
import type { EventsTable } from '../db/schema.js';

/** The calls of Segment's HTTP Tracking API, as `type` in a batch and as the path of the single calls. */
export const SEGMENT_TYPES = ['identify', 'track', 'page', 'screen', 'group', 'alias'] as const;
export type SegmentType = (typeof SEGMENT_TYPES)[number];

/** What became of one Segment message: a row to store, or why it is not one. */
export type MappedMessage =
  | { row: EventsTable }
  | { ignored: string }
  | { field?: string; error: string };

const DAY_MS = 86_400_000;
const hash = (s: string, length: number) => createHash('sha256').update(s).digest('base64url').slice(0, length);
const EVENT_ID = /^[\w-]{8,64}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** An id as Segment's clients send one: a string, or a number some libraries allow. Blank counts as absent. */
const idSchema = z
  .union([z.string(), z.number()])
  .transform((v) => String(v).trim() || undefined)
  .nullish();
/** ISO 8601 text (what every client sends) or epoch milliseconds. */
const timeSchema = z
  .union([z.string(), z.number()])
  .refine((v) => Number.isFinite(typeof v === 'number' ? v : Date.parse(v)), 'must be an ISO 8601 date')
  .transform((v) => (typeof v === 'number' ? v : Date.parse(v)))
  .nullish();
const record = z.record(z.string(), z.unknown());
const optionalText = z.string().nullish();

/** One Segment message as leadbeam reads it (other fields pass and are ignored). */
export const messageSchema = z.looseObject({
  type: z.enum(SEGMENT_TYPES, 'must be one of identify, track, page, screen, group, alias'),
  messageId: idSchema,
  userId: idSchema,
  anonymousId: idSchema,
  event: optionalText,
  name: optionalText,
  category: optionalText,
  groupId: idSchema,
  properties: record.nullish(),
  traits: record.nullish(),
  timestamp: timeSchema,
  originalTimestamp: timeSchema,
  sentAt: timeSchema,
  context: z
    .looseObject({
      page: z.looseObject({ url: optionalText, referrer: optionalText, title: optionalText }).nullish(),
      campaign: record.nullish(),
    })
    .nullish(),
});
type Message = z.output<typeof messageSchema>;

/** Segment's `context.campaign` (`name`, not `campaign`) in leadbeam's campaign shape; strings only. */
function campaignFrom(c: Record<string, unknown> | null | undefined): Campaign | undefined {
  if (!c) return undefined;
  const out: Campaign = {};
  for (const [from, to] of [['name', 'campaign'], ['source', 'source'], ['medium', 'medium'], ['term', 'term'], ['content', 'content']] as const) {
    if (typeof c[from] === 'string' && c[from]) out[to] = c[from];
  }
  return Object.keys(out).length ? out : undefined;
}

/**
 * Segment's identify traits as leadbeam reads them: `company` may be an object (`{ name }`) and
 * the country sits in `address`; a `userId` that is an email is the email when none is given.
 */
function identifyTraits(m: Message): Record<string, unknown> {
  const traits: Record<string, unknown> = { ...m.traits };
  const company = traits.company as { name?: unknown } | undefined;
  if (company && typeof company === 'object') traits.company = company.name;
  const address = traits.address as { country?: unknown } | undefined;
  if (address && typeof address === 'object' && traits.country === undefined) traits.country = address.country;
  delete traits.address;
  if (traits.email === undefined && m.userId && EMAIL.test(m.userId)) traits.email = m.userId;
  return traits;
}

const isWebUrl = (url: string) => /^https?:/i.test(url);
const textOf = (...values: unknown[]) => values.find((v): v is string => typeof v === 'string' && v.trim() !== '');

/**
 * Makes the mapping from Segment's messages onto leadbeam events, one site's rows at a time:
 * `track` → `track` (name = event, props = properties), `page`/`screen` → `pageview`
 * (both with traits `{ email }` when the `userId` is an email, so they link the visitor to its
 * lead as identify does), `identify` → `identify` with traits, `group` → `identify` with traits `{ company }`, `alias`
 * → ignored. Ids: `messageId` is the event id (hashed when it does not fit the events table's
 * format), `anonymousId` the visitor id (a hash of `userId` without one). Server-side events
 * have no session: one synthetic session per visitor and UTC day, visit 1.
 *
 * @example
 * const toEvent = createSegmentMapper();
 * const out = toEvent(site, { type: 'track', event: 'Signed Up', userId: 'u1' }, { receivedAt: Date.now() });
 * if ('row' in out) rows.push(out.row);
 */
/** Visitor ids the server derives from a Segment userId or anonymousId (`su_`/`sa_` for a secret key's messages, `pu_`/`pa_` for a site key's). */
export const DERIVED_VISITOR_ID = /^[sp][ua]_/;

export function createSegmentMapper() {
  const classifiers = new Map<string, ReturnType<typeof createPageClassifier>>();
  const classifierOf = (site: SiteConfig) => {
    let classify = classifiers.get(site.key);
    if (!classify) classifiers.set(site.key, (classify = createPageClassifier(site.pages)));
    return classify;
  };

  return function toEvent(site: SiteConfig, raw: unknown, { receivedAt, batchSentAt, trusted = false }: { receivedAt: number; batchSentAt?: number; /** Sent with a secret key (a CRM, a backend), not a public site key. */ trusted?: boolean }): MappedMessage {
    // Depth first, before measuring: serialising a 5,000-level object would overflow the stack.
    const bad = unstorable(raw);
    if (bad) return { field: bad.field, error: `${bad.field}: ${bad.problem}` };
    const size = Buffer.byteLength(JSON.stringify(raw) ?? '');
    if (size > MAX_EVENT_BYTES) {
      const field = largestPart(raw);
      return { field, error: `${field}: the event is ${size} bytes, more than Segment's limit of ${MAX_EVENT_BYTES} bytes an event; ${field} is its largest part` };
    }
    const parsed = messageSchema.safeParse(raw);
    if (!parsed.success) {
      const path = parsed.error.issues[0] ? issuePath(parsed.error.issues[0]) : [];
      return { ...(path.length && { field: path.map(String).join('.') }), error: describeZodError(parsed.error) };
    }
    const m = parsed.data;
    if (!m.userId && !m.anonymousId) return { field: 'userId', error: 'userId: every message needs a userId or an anonymousId' };
    if (m.type === 'alias') return { ignored: 'alias: leadbeam links visitors to leads by email (identify with traits.email), not by alias; nothing stored' };
    if (m.type === 'track' && !m.event?.trim()) return { field: 'event', error: 'event: a track call needs an event name' };
    if (m.type === 'group' && !textOf(m.traits?.name)) return { ignored: 'group: no traits.name, so no company to record; nothing stored' };

    // Segment's clock rule: trust the gap between the event and the send, not the sender's clock.
    // Without a sentAt the timestamp stands as sent (never later than its arrival).
    const clientTs = Math.round(m.timestamp ?? m.originalTimestamp ?? receivedAt);
    const sentAt = Math.round(m.sentAt ?? batchSentAt ?? receivedAt);
    const late = eventTimeProblem({ clientTs, sentAt }, { field: 'timestamp', sent: (m.sentAt ?? batchSentAt) ? 'the message was sent (sentAt)' : 'it arrived (no sentAt was given)' });
    if (late) return { field: 'timestamp', error: late };
    const ts = Math.min(receivedAt, correctClockSkew({ clientTs, sentAt, receivedAt }));

    // An id that is a card or social security number is never stored, as on /v1/collect.
    if (m.anonymousId && idLooksSensitive(m.anonymousId)) return { field: 'anonymousId', error: 'anonymousId: looks like a card or social security number, which is never stored; send a random id' };
    // Ids derived from a userId are a hash anyone can compute: a public site key's messages get
    // ids of their own (pu_, pa_), so they never write as the visitor a secret key's sender
    // (a CRM) made, nor name one of those ids themselves.
    if (!trusted && m.anonymousId && DERIVED_VISITOR_ID.test(m.anonymousId)) {
      return { field: 'anonymousId', error: 'anonymousId: ids starting su_, sa_, pu_ or pa_ are the server\'s; send the browser\'s own id' };
    }
    const [forUser, forAnonymous] = trusted ? ['su_', 'sa_'] : ['pu_', 'pa_'];
    const visitorId =
      m.anonymousId && m.anonymousId.length >= 8 && m.anonymousId.length <= 64 ? m.anonymousId : m.anonymousId ? `${forAnonymous}${hash(`anonymousId:${m.anonymousId}`, 24)}` : `${forUser}${hash(`userId:${m.userId}`, 24)}`;
    // Without a messageId there is nothing to dedup by: a random id, as Segment assigns one.
    // Ids starting st_ are the server's (a trusted event whose id a public sender took first): a site key's message with one is hashed.
    const ownId = m.messageId && EVENT_ID.test(m.messageId) && !idLooksSensitive(m.messageId) && (trusted || !m.messageId.startsWith(TRUSTED_EVENT_ID_PREFIX));
    const id = ownId ? m.messageId! : `sg_${m.messageId ? hash(`messageId:${m.messageId}`, 32) : randomBytes(24).toString('base64url')}`;
    const page = m.context?.page ?? undefined;
    const properties = m.properties ?? undefined;

    const isPage = m.type === 'page' || m.type === 'screen';
    const pageUrl = textOf(page?.url, properties?.url);
    const url =
      // A hybrid app's page (capacitor://, file://) is no web page: it is named like a screen.
      (pageUrl && URL.canParse(pageUrl) && isWebUrl(pageUrl) ? pageUrl : undefined) ??
      (m.type === 'screen' ? `app://screen/${encodeURIComponent(textOf(m.name, properties?.name) ?? '')}` : m.type === 'page' ? `app://page/${encodeURIComponent(textOf(m.name, properties?.name) ?? '')}` : 'app://server/');

    const event: TrackedEvent = {
      id,
      type: isPage ? 'pageview' : m.type === 'track' ? 'track' : 'identify',
      ts: clientTs,
      visitorId,
      sessionId: `ss_${hash(`${visitorId}:${Math.floor(ts / DAY_MS)}`, 24)}`,
      visit: 1,
      url,
      ...(m.type === 'track' && { name: m.event! }),
      ...(isPage && textOf(m.name) && { name: m.name! }),
      ...(m.type === 'group' && { name: 'group' }),
      ...(isPage && textOf(page?.referrer, properties?.referrer) && { referrer: textOf(page?.referrer, properties?.referrer)! }),
      ...(isPage && textOf(page?.title, properties?.title) && { title: textOf(page?.title, properties?.title)! }),
      ...(isPage && textOf(m.category) && { category: m.category! }),
      ...(campaignFrom(m.context?.campaign) && { campaign: campaignFrom(m.context?.campaign)! }),
      ...((m.type === 'track' || isPage) && properties && { props: properties }),
      // A userId that is an email names the lead here as it does in identify: the same link, guardrails and fit.
      ...((m.type === 'track' || isPage) && m.userId && EMAIL.test(m.userId) && { traits: { email: m.userId } }),
      ...(m.type === 'identify' && { traits: identifyTraits(m) }),
      ...(m.type === 'group' && { traits: { company: textOf(m.traits?.name), ...(m.userId && EMAIL.test(m.userId) && { email: m.userId }) } }),
    };
    const valid = trackedEventSchema.safeParse(event);
    if (!valid.success) {
      const path = valid.error.issues[0] ? issuePath(valid.error.issues[0]) : [];
      return { ...(path.length && { field: String(path[0]) }), error: describeZodError(valid.error) };
    }
    return { row: toEventRow(site.key, valid.data, { ts, receivedAt, classify: isWebUrl(valid.data.url) ? classifierOf(site) : undefined }) };
  };
}

