/**
 * Event types shared by the browser script and the ingest.
 *
 * Plain TypeScript only: the SDK imports this file with `import type`, so nothing here may
 * pull in a runtime dependency. `schemas.ts` holds the zod schemas the ingest validates with,
 * and a compile-time check there keeps the two in step.
 */

/** Where a page sits in the buying journey. */
export type FunnelStage = 'top' | 'middle' | 'bottom';

export const EVENT_TYPES = ['pageview', 'track', 'download', 'form', 'click', 'engagement', 'identify', 'vitals'] as const;
/** What happened: a page view, a custom `track` call, a file download, a form submission, … */
export type EventType = (typeof EVENT_TYPES)[number];

/** A property value: flat and small on purpose, so events stay cheap to store and to score. */
export type PropValue = string | number | boolean | null;

/** Campaign attribution kept for the whole session. */
export interface Campaign {
  source?: string;
  medium?: string;
  campaign?: string;
  term?: string;
  content?: string;
  gclid?: string;
  fbclid?: string;
  msclkid?: string;
  li_fat_id?: string;
  /** The external page that started the visit. */
  referrer?: string;
}

/**
 * What a form or `identify` says about the person. Forms map common field names onto these
 * (see docs/tracking.md); markup (`data-leadbeam-field`) can map any other field.
 */
export interface LeadTraits {
  email?: string;
  name?: string;
  firstName?: string;
  lastName?: string;
  company?: string;
  jobTitle?: string;
  companySize?: string;
  industry?: string;
  country?: string;
  phone?: string;
}

export const TRAIT_NAMES = ['email', 'name', 'firstName', 'lastName', 'company', 'jobTitle', 'companySize', 'industry', 'country', 'phone'] as const;

/** One event as the browser (or a server) sends it. */
export interface TrackedEvent {
  /** Unique id made by the sender; the ingest stores each id once, so retries are safe. */
  id: string;
  type: EventType;
  /** Event name for `track`, `click`, `form` (form id) and `download` (file name). */
  name?: string;
  /** Client clock, epoch milliseconds; corrected for skew by the ingest. */
  ts: number;
  visitorId: string;
  sessionId: string;
  /** 1 on the visitor's first visit, 2 on the second, … */
  visit: number;
  url: string;
  /** Taken from `url` when absent. */
  path?: string;
  referrer?: string;
  title?: string;
  /** `top`, `middle` or `bottom` (any case); anything else is ignored, never an error. */
  stage?: FunnelStage | (string & {});
  category?: string;
  /** Campaign for server-side senders; the ingest reads UTM parameters and click ids from `url` itself. */
  campaign?: Campaign;
  /** Flat values are kept as they are; anything else is stored as its JSON text. */
  props?: Record<string, unknown>;
  /**
   * Who the person says they are, on `form` and `identify` events: trait names (`email`,
   * `jobTitle`, …) or common form field names (`job_title`, `work_email`, …), which the ingest
   * maps onto traits; other keys are dropped.
   */
  traits?: Record<string, unknown>;
}

/** What the script posts to `/v1/collect`. */
export interface EventBatch {
  /** The site's public key (`data-site`). */
  site: string;
  /** Client clock when the batch left, epoch milliseconds: the base of skew correction. */
  sentAt: number;
  events: TrackedEvent[];
}

/** What `/v1/collect` answers. */
export interface CollectResult {
  accepted: number;
  duplicates: number;
  ignored?: number;
  /** Events refused, each with the field at fault (when one is) and a message that starts with it. */
  rejected: Array<{ index: number; id?: string; field?: string; error: string }>;
}
