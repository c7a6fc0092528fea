import type { Kysely } from 'kysely';
import { isPostgres } from '../db/dialect.js';
import { fromJsonOrNull } from '../db/json.js';
import type { Database } from '../db/schema.js';
import { normaliseEmail } from '../leads/email.js';

/** An event that names a person by email in its traits. */
export interface NamingEvent {
  id: string;
  visitorId: string;
  sessionId: string;
  ts: number;
}

/**
 * A `LIKE` pattern every stored traits text naming `email` matches, in any case (the stored
 * email is as typed, trimmed: `normaliseEmail` lowercases it only for the lead): printable ASCII
 * stands for itself, apart from `%` and `_` (any one character: `_`) and `k` (`_`: U+212A, the
 * Kelvin sign, lowercases to it); anything else — non-ASCII, a control character, a quote or
 * backslash (JSON may escape it), and `i̇` (the lowercase of `İ`: two characters from one) — is
 * `%`. Wider than the email, never narrower; the caller checks each match exactly.
 *
 * @example
 * likePatternOf('ana_k@fernhill.example') // '%ana__@fernhill.example%'
 */
export function likePatternOf(email: string): string {
  let pattern = '%';
  const chars = [...email];
  for (const [i, c] of chars.entries()) {
    if ('%_k'.includes(c)) pattern += '_';
    else if (c === 'i' && chars[i + 1] === '\u0307') continue;
    else if (c >= '!' && c <= '~' && c !== '"' && c !== '\\') pattern += c;
    else if (!pattern.endsWith('%')) pattern += '%';
  }
  return pattern.endsWith('%') ? pattern : `${pattern}%`;
}

/**
 * Every stored event of a site whose traits name one of `emails` (normalised, as leads hold
 * them; `normaliseEmail`), whatever the event's type or browser: a form or identify, or a
 * server-side track or page view whose Segment `userId` is the email — also one whose browser
 * was never linked to the lead (the guardrails refused the link, or no lead could be created
 * then). One pass over the site's events that hold traits, with a case-insensitive `LIKE` on
 * the traits text; the matches are then checked exactly as the ingest reads them
 * (`normaliseEmail(traits.email)`).
 *
 * @example
 * const events = await eventsNaming(db, 'demo', ['ana@fernhill.example']);
 */
export async function eventsNaming(db: Kysely<Database>, siteId: string, emails: string[]): Promise<NamingEvent[]> {
  if (!emails.length) return [];
  const like = isPostgres(db) ? 'ilike' : 'like';
  const rows = await db
    .selectFrom('events')
    .select(['id', 'visitor_id', 'session_id', 'ts', 'traits'])
    .where('site_id', '=', siteId)
    .where('traits', 'is not', null)
    .where((eb) => eb.or([...new Set(emails.map(likePatternOf))].map((p) => eb('traits', like, p))))
    .execute();
  const wanted = new Set(emails);
  return rows
    .filter((r) => {
      const email = normaliseEmail(fromJsonOrNull(r.traits)?.email);
      return email !== undefined && wanted.has(email);
    })
    .map((r) => ({ id: r.id, visitorId: r.visitor_id, sessionId: r.session_id, ts: Number(r.ts) }));
}
