import type { ValidEvent } from '../../../shared/src/schemas.js';
import { dropSensitiveProps, dropSensitiveText, dropSensitiveUrlText, idLooksSensitive, stripSecretParams } from '../../../shared/src/sensitive.js';
import type { PageClassification } from '../config/pageRules.js';
import { toJsonOrNull } from '../db/json.js';
import type { EventsTable } from '../db/schema.js';
import { campaignOf, cleanCampaign } from './campaign.js';
import { textProblem } from './unstorable.js';

/**
 * A file name as people read it (`Close%20Benchmark.pdf` → `Close Benchmark.pdf`); as sent when
 * it is no valid escape, or when decoding makes text no store can keep (`%00`, checked for in
 * the event as sent, only appears here).
 */
const safeDecode = (s: string) => {
  try {
    const decoded = decodeURIComponent(s);
    return textProblem(decoded) ? s : decoded;
  } catch {
    return s;
  }
};

/**
 * The most characters of a path kept: a path is part of index keys (the daily rollups, each
 * lead's pages), and PostgreSQL refuses a key over 2,704 bytes; 500 characters are at most
 * 2,000 bytes in UTF-8. Real paths are far shorter; the URL keeps the whole one.
 */
export const MAX_STORED_PATH = 500;

/** The path cut to `MAX_STORED_PATH` characters (code points, as the databases count them). */
const capPath = (path: string) => (path.length <= MAX_STORED_PATH ? path : Array.from(path).slice(0, MAX_STORED_PATH).join(''));

/** An optional free text as stored: null when absent, emptied, or holding a card or social security number (`dropSensitiveText`). */
const cleanText = (text: string | undefined) => (text === undefined ? null : dropSensitiveText(text) || null);

/**
 * The id fields of an event that would store a card or social security number
 * (`idLooksSensitive`): such an event is refused, as dropping its visitor or session id cannot
 * keep it. Undefined when the ids are fine.
 *
 * @example
 * sensitiveIdProblem({ ...event, visitorId: '4111111111111111' })
 * // { field: 'visitorId', error: 'visitorId: looks like a card or social security number, …' }
 */
export function sensitiveIdProblem(e: Pick<ValidEvent, 'id' | 'visitorId' | 'sessionId'>): { field: string; error: string } | undefined {
  for (const field of ['visitorId', 'sessionId', 'id'] as const) {
    if (idLooksSensitive(e[field])) return { field, error: `${field}: looks like a card or social security number, which is never stored; send a random id` };
  }
  return undefined;
}

/**
 * A validated event as an `events` row: the one place that decides what is stored, for the
 * browser's `/v1/collect` and for server-side senders alike. Secrets never reach storage,
 * whoever sends them (older scripts send `location.href` whole), nor do card or social
 * security numbers in URLs, free text (title, name, category, campaign) or properties; UTM
 * parameters and click ids stay, so the campaign still reads. Ids that are such numbers are
 * refused before (`sensitiveIdProblem`). `classify` gives the page its funnel stage and category
 * (markup on the page wins); without it (a synthetic `app://` URL) the event's own category
 * stands.
 *
 * @example
 * const row = toEventRow('demo', event, { ts: correctClockSkew(…), receivedAt, classify: site.classifyPage });
 */
export function toEventRow(
  siteKey: string,
  e: ValidEvent,
  { ts, receivedAt, classify }: { ts: number; receivedAt: number; classify?: (path: string, markup: PageClassification) => PageClassification },
): EventsTable {
  const url = stripSecretParams(e.url);
  const referrer = (e.referrer && dropSensitiveUrlText(e.referrer)) || null;
  const path = capPath(stripSecretParams(e.path ?? (new URL(e.url).pathname || '/')));
  // The event's own campaign; events without one get their visit's when stored.
  const campaign = cleanCampaign({ ...e.campaign, ...campaignOf(url, referrer) });
  // Free text holding a card or social security number is dropped, as a property value is.
  const category = cleanText(e.category) ?? undefined;
  const page: PageClassification = classify?.(path, { stage: e.stage, category }) ?? { category };
  return {
    site_id: siteKey,
    id: e.id,
    visitor_id: e.visitorId,
    session_id: e.sessionId,
    type: e.type,
    name: cleanText(e.type === 'download' && e.name ? safeDecode(e.name) : e.name),
    ts,
    client_ts: e.ts,
    received_at: receivedAt,
    visit: e.visit,
    url,
    path,
    referrer,
    title: cleanText(e.title),
    stage: page.stage ?? null,
    category: page.category ?? null,
    campaign: toJsonOrNull(campaign),
    // Nested props are JSON text by now: the schema dropped what they held when it flattened them.
    props: toJsonOrNull(e.props && dropSensitiveProps(e.props)),
    traits: toJsonOrNull(e.traits),
    // A browser's or the site key's: the writer marks a secret key's batches (`PendingBatch.trusted`).
    trusted: 0,
  };
}
