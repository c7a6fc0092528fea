import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, EventsTable } from '../db/schema.js';

/**
 * Event ids only the server gives: a trusted sender's event whose id a public sender took first.
 * Public senders (`/v1/collect`, a site key's Segment messages) may not use them.
 */
export const TRUSTED_EVENT_ID_PREFIX = 'st_';

/**
 * The id a trusted sender's event is stored under when a public sender already stored an
 * event with its id: the same for every retry of it, so a retry is still one event.
 *
 * @example
 * trustedEventId('crm-meeting-1042') // 'st_…' (32 characters after the prefix)
 */
export const trustedEventId = (id: string) => `${TRUSTED_EVENT_ID_PREFIX}${createHash('sha256').update(`trusted:${id}`).digest('base64url').slice(0, 32)}`;

/**
 * Of a trusted sender's events that came back as duplicates, those whose id is held by an
 * event a public sender stored: anyone with the site key could otherwise send a predictable id
 * first (`meeting-<bookingId>`) and the server's own event (the one a `sentBy: "server"` rule
 * waits for) would be dropped as a retry. These get `trustedEventId` and are to be inserted
 * again; a trusted event whose id a trusted event holds is a retry, as before.
 *
 * @example
 * const again = await reclaimTrustedIds(trx, duplicates.filter((r) => r.trusted === 1));
 */
export async function reclaimTrustedIds(trx: Kysely<Database>, duplicates: EventsTable[]): Promise<EventsTable[]> {
  if (!duplicates.length) return [];
  const held = await trx
    .selectFrom('events')
    .select(['site_id', 'id'])
    .where('id', 'in', [...new Set(duplicates.map((r) => r.id))])
    .where('trusted', '=', 0)
    .execute();
  const byPublic = new Set(held.map((r) => `${r.site_id}\u0000${r.id}`));
  return duplicates.filter((r) => byPublic.has(`${r.site_id}\u0000${r.id}`));
}
