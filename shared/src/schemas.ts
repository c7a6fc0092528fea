import { z } from 'zod';
import { EVENT_TYPES, type EventBatch, type TrackedEvent } from './types.js';

/** Largest accepted event, serialized (Segment uses the same figure). */
export const MAX_EVENT_BYTES = 32 * 1024;
/** Largest accepted request body. */
export const MAX_BATCH_BYTES = 512 * 1024;
/** Most events in one batch. */
export const MAX_BATCH_EVENTS = 500;

const shortText = (max: number) => z.string().max(max);
const epochMs = z.number().int().positive().max(8.64e15);

export const funnelStageSchema = z.enum(['top', 'middle', 'bottom']);

export const propValueSchema = z.union([z.string().max(2000), z.number().finite(), z.boolean(), z.null()]);

export const campaignSchema = z
  .object({
    source: shortText(200),
    medium: shortText(200),
    campaign: shortText(200),
    term: shortText(200),
    content: shortText(200),
    gclid: shortText(500),
    fbclid: shortText(500),
    msclkid: shortText(500),
    li_fat_id: shortText(500),
  })
  .partial()
  .strict();

export const trackedEventSchema = z
  .object({
    id: z.string().min(8).max(64).regex(/^[\w-]+$/, 'letters, digits, - and _ only'),
    type: z.enum(EVENT_TYPES),
    name: shortText(200).optional(),
    ts: epochMs,
    visitorId: z.string().min(8).max(64),
    sessionId: z.string().min(8).max(64),
    visit: z.number().int().min(1).max(1_000_000),
    url: shortText(2000),
    path: shortText(2000).startsWith('/'),
    referrer: shortText(2000).optional(),
    title: shortText(500).optional(),
    stage: funnelStageSchema.optional(),
    category: shortText(100).optional(),
    campaign: campaignSchema.optional(),
    props: z
      .record(z.string().max(100), propValueSchema)
      .refine((p) => Object.keys(p).length <= 50, 'at most 50 properties')
      .optional(),
  })
  .strict();

/**
 * The batch envelope. Events are checked one by one afterwards, so one bad event never
 * costs the good ones beside it.
 */
export const eventBatchEnvelopeSchema = z.object({
  site: z.string().min(1).max(100),
  sentAt: epochMs,
  events: z.array(z.unknown()).min(1).max(MAX_BATCH_EVENTS),
});

// Compile-time proof that the zod schemas and the plain types describe the same thing.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const eventsAgree: Same<z.infer<typeof trackedEventSchema>, TrackedEvent> = true;
const batchAgree: Same<Omit<z.infer<typeof eventBatchEnvelopeSchema>, 'events'>, Omit<EventBatch, 'events'>> = true;
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
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}
