import { z } from 'zod';
import { cutText } from './cutText.js';
import { USERINFO, dropSensitiveProps, dropSensitiveTraits } from './sensitive.js';
import { mapTraits } from './traits.js';
import { EVENT_TYPES, type EventBatch, type PropValue, type TrackedEvent } from './types.js';

/** Largest accepted event, serialized (Segment uses the same figure). */
export const MAX_EVENT_BYTES = 32 * 1024;
/** Largest accepted request body. */
export const MAX_BATCH_BYTES = 512 * 1024;
/** Most events in one batch. */
export const MAX_BATCH_EVENTS = 500;

/**
 * Text that is cut to `max` characters rather than refused: a long title never costs an event.
 * The cut never splits an emoji (`cutText`): half of one is text no store keeps.
 */
const text = (max: number) => z.string().transform((s) => cutText(s.trim(), max));
const epochMs = z.number().int().positive().max(8.64e15);

export const funnelStageSchema = z.enum(['top', 'middle', 'bottom']);

/** A stage from markup: any case; an unknown one is dropped instead of failing the event. */
const lenientStage = z
  .string()
  .transform((s) => funnelStageSchema.safeParse(s.trim().toLowerCase()).data)
  .optional();

export const campaignSchema = z
  .object({
    source: text(200),
    medium: text(200),
    campaign: text(200),
    term: text(200),
    content: text(200),
    gclid: text(500),
    fbclid: text(500),
    msclkid: text(500),
    li_fat_id: text(500),
    referrer: text(2000),
  })
  .partial()
  .strict();

/**
 * Flattens properties: flat values stay, strings are cut to 2,000 characters and names to 100
 * (never inside an emoji: `cutText`), anything else is kept as its JSON text; at most 50 keys.
 * Sensitive names and values are dropped first, at every depth (`dropSensitiveProps`): once a
 * nested object is JSON text, nothing can.
 */
function flattenProps(props: Record<string, unknown>): Record<string, PropValue> | undefined {
  const out: Record<string, PropValue> = {};
  for (const [key, value] of Object.entries(dropSensitiveProps(props)).slice(0, 50)) {
    if (value === undefined) continue;
    out[cutText(key, 100)] =
      value === null || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))
        ? (value as PropValue)
        : cutText(typeof value === 'string' ? value : JSON.stringify(value) ?? String(value), 2000);
  }
  return Object.keys(out).length ? out : undefined;
}

/**
 * A page's address: http(s), or the `app://` of a server-side event. `javascript:` and `data:`
 * URLs are no page anyone visited, and a system that showed them as links would run them.
 */
const isUrl = (s: string) => URL.canParse(s) && /^(https?|app):$/.test(new URL(s).protocol);


/**
 * A URL as kept: without its user and password, cut to 2,000 characters. A cut inside the host
 * (a long percent-encoded one) can leave no URL: then the event is refused naming `url`, as
 * one that was never a URL is, instead of failing later where the URL is read.
 */
function cutUrl(url: string, ctx: z.RefinementCtx): string {
  // A user and password are a secret, never stored, and go before the cut so the cut keeps the host.
  // Most URLs are short and carry no user: nothing to cut, nothing to parse again.
  if (url.length <= 2000 && !url.includes('@')) return url;
  const cut = cutText(url.replace(USERINFO, '$1'), 2000);
  if (isUrl(cut)) return cut;
  ctx.addIssue({ code: 'custom', message: 'over 2,000 characters, and cut to that it is no longer a URL' });
  return z.NEVER;
}

export const trackedEventSchema = z
  .object({
    id: z.string().min(8).max(64).regex(/^[\w-]+$/, 'letters, digits, - and _ only'),
    type: z.enum(EVENT_TYPES),
    name: z.union([z.string(), z.number()]).transform((v) => cutText(String(v).trim(), 200) || undefined).optional(),
    ts: epochMs,
    visitorId: z.string().min(8).max(64),
    sessionId: z.string().min(8).max(64),
    visit: z.number().int().min(1).max(1_000_000),
    url: z.string().max(8000).refine(isUrl, 'must be an absolute http(s) URL').transform(cutUrl),
    path: text(2000).refine((p) => p.startsWith('/'), 'must start with "/"').optional(),
    referrer: text(2000).optional(),
    title: text(500).optional(),
    stage: lenientStage,
    category: text(100).transform((s) => s || undefined).optional(),
    campaign: campaignSchema.optional(),
    props: z.record(z.string(), z.unknown()).transform(flattenProps).optional(),
    traits: z.record(z.string(), z.unknown()).transform((t) => dropSensitiveTraits(mapTraits(t))).optional(),
  })
  .strict();

/** An event once validated and normalised by the ingest. */
export type ValidEvent = z.output<typeof trackedEventSchema>;

/**
 * The batch envelope. Events are checked one by one afterwards, so one bad event never
 * costs the good ones beside it.
 */
export const eventBatchEnvelopeSchema = z.object({
  site: z.string().min(1).max(100),
  sentAt: epochMs,
  events: z.array(z.unknown()).min(1).max(MAX_BATCH_EVENTS),
});

// Compile-time proof that the schemas accept every event and batch the plain types allow.
type Accepts<Schema, T> = [T] extends [Schema] ? true : false;
const eventsAgree: Accepts<z.input<typeof trackedEventSchema>, TrackedEvent> = true;
const batchAgree: Accepts<Omit<z.input<typeof eventBatchEnvelopeSchema>, 'events'>, Omit<EventBatch, 'events'>> = true;
void eventsAgree;
void batchAgree;

/**
 * Names the first failing field of a zod error in words a developer can act on.
 *
 * @example
 * describeZodError(trackedEventSchema.safeParse({}).error!) // 'id: Invalid input: expected string, received undefined'
 */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => {
      const path = issuePath(issue);
      return `${path.length ? path.join('.') : '(root)'}: ${issue.message}`;
    })
    .join('; ');
}

/**
 * Where an issue is: its path, and for keys an object does not take (`unrecognized_keys`,
 * which zod reports on the object) the first such key, so the field named is the one to remove.
 *
 * @example
 * issuePath(z.object({ a: z.number() }).strict().safeParse({ a: 1, b: 2 }).error!.issues[0]!) // ['b']
 */
export function issuePath(issue: z.core.$ZodIssue): PropertyKey[] {
  return issue.code === 'unrecognized_keys' && issue.keys.length ? [...issue.path, issue.keys[0]!] : issue.path;
}
