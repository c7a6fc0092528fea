import type { Kysely } from 'kysely';
import type { Json } from '../db/json.js';
import type { Campaign } from '../../../shared/src/types.js';
import type { Database, EventsTable, SessionsTable } from '../db/schema.js';

const visitKey = (r: { site_id: string; session_id: string }) => `${r.site_id}\u0000${r.session_id}`;

/**
 * Gives every event the campaign of its visit: an event that carries one (UTM parameters,
 * click ids, an external referrer) sets it for the events after it; one without inherits it.
 * The visit's campaign is kept in `sessions`, so it spans batches and pages. One read and one
 * upsert for the whole group.
 *
 * @example
 * await attributeToVisits(trx, rows); // rows[i].campaign is now set from their visits
 */
export async function attributeToVisits(trx: Kysely<Database>, rows: EventsTable[]): Promise<void> {
  if (!rows.length) return;
  const known = await trx
    .selectFrom('sessions')
    .select(['site_id', 'session_id', 'campaign'])
    // Site first: the primary key (site_id, session_id) serves this lookup.
    .where('site_id', 'in', [...new Set(rows.map((r) => r.site_id))])
    .where('session_id', 'in', [...new Set(rows.map((r) => r.session_id))])
    .execute();
  const campaignOfVisit = new Map<string, Json<Campaign> | null>(known.map((s) => [visitKey(s), s.campaign]));
  const changed = new Map<string, SessionsTable>();
  for (const row of [...rows].sort((a, b) => a.ts - b.ts)) {
    const k = visitKey(row);
    const current = campaignOfVisit.get(k);
    if (row.campaign && row.campaign !== current) {
      campaignOfVisit.set(k, row.campaign);
      changed.set(k, { site_id: row.site_id, session_id: row.session_id, visitor_id: row.visitor_id, started_at: row.ts, campaign: row.campaign });
    } else {
      row.campaign ??= current ?? null;
      if (current === undefined && !changed.has(k)) {
        campaignOfVisit.set(k, null);
        changed.set(k, { site_id: row.site_id, session_id: row.session_id, visitor_id: row.visitor_id, started_at: row.ts, campaign: null });
      }
    }
  }
  if (changed.size === 0) return;
  const values = [...changed.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => v);
  for (let i = 0; i < values.length; i += 500) {
    await trx
      .insertInto('sessions')
      .values(values.slice(i, i + 500))
      .onConflict((oc) => oc.columns(['site_id', 'session_id']).doUpdateSet((eb) => ({ campaign: eb.ref('excluded.campaign') })))
      .execute();
  }
}
