import type { Kysely, Selectable } from 'kysely';
import { fromJson } from '../db/json.js';
import type { Database, LeadsTable } from '../db/schema.js';
import type { Scorer } from '../scoring/engine.js';

/** One trait as the lead has it, with the change that set it. */
export interface ProfileTrait {
  trait: string;
  value: string;
  /** `form:<name>`, `identify`, … of the accepted change that set it; null when no change is recorded. */
  source: string | null;
  at: number | null;
}

export interface LeadProfile {
  lead: Selectable<LeadsTable>;
  /** The id asked for, when it was merged into this lead. */
  mergedFrom: string | null;
  scores: { engagement: number; fit: number; total: number };
  traits: ProfileTrait[];
  /** Changes the identity guardrails refused, newest first (at most 20). */
  refusedTraits: Array<{ trait: string; value: string | null; source: string; at: number }>;
  /** Browsers linked now, and earlier links whose events stay with this lead. */
  browsers: Array<{ visitorId: string; linkedAt: number | null; firstSeenAt: number | null; lastSeenAt: number | null; visits: number; pageviews: number; until: number | null }>;
  /** Leads merged into this one. */
  mergedIds: string[];
}

/**
 * A lead's profile for its page: the lead (a merged id answers with the lead it was merged
 * into), its scores as the API gives them, every trait with the source and time of the change
 * that set it (`trait_changes`, including those of leads merged into it; traits the lead was
 * created with carry the cause and time of its creation), refused changes, and
 * its browsers. Undefined when there is no such lead. Reads by lead id only (indexed).
 *
 * @example
 * const profile = await leadProfile(db, scorers, 'ld_123', Date.now());
 */
export async function leadProfile(db: Kysely<Database>, scorers: Map<string, Scorer>, id: string, now: number): Promise<LeadProfile | undefined> {
  let lead = await db.selectFrom('leads').selectAll().where('id', '=', id).executeTakeFirst();
  for (let hops = 0; lead?.merged_into && hops < 10; hops++) lead = await db.selectFrom('leads').selectAll().where('id', '=', lead.merged_into).executeTakeFirst();
  if (!lead || lead.merged_into) return undefined;
  const scorer = scorers.get(lead.site_id);
  const mergedIds = (await db.selectFrom('leads').select('id').where('merged_into', '=', lead.id).execute()).map((r) => r.id);
  const owners = [lead.id, ...mergedIds];
  const [changes, refused, current, past, creation] = await Promise.all([
    db.selectFrom('trait_changes').select(['trait', 'value', 'source', 'at']).where('lead_id', 'in', owners).where('accepted', '=', 1).orderBy('at', 'desc').limit(500).execute(),
    db.selectFrom('trait_changes').select(['trait', 'value', 'source', 'at']).where('lead_id', 'in', owners).where('accepted', '=', 0).orderBy('at', 'desc').limit(20).execute(),
    db
      .selectFrom('lead_visitors')
      .leftJoin('visitors', (j) => j.onRef('visitors.site_id', '=', 'lead_visitors.site_id').onRef('visitors.visitor_id', '=', 'lead_visitors.visitor_id'))
      .select(['lead_visitors.visitor_id', 'lead_visitors.linked_at', 'visitors.first_seen_at', 'visitors.last_seen_at', 'visitors.visits', 'visitors.pageviews'])
      .where('lead_visitors.lead_id', '=', lead.id)
      .orderBy('lead_visitors.linked_at')
      .limit(100)
      .execute(),
    db.selectFrom('past_links').select(['visitor_id', 'from_ts', 'until_ts']).where('lead_id', '=', lead.id).orderBy('from_ts').limit(100).execute(),
    db.selectFrom('stage_changes').select(['cause', 'at']).where('lead_id', '=', lead.id).orderBy('at').orderBy('id').limit(1).executeTakeFirst(),
  ]);
  const traits = fromJson(lead.traits) as Record<string, unknown>;
  const setBy = (trait: string, value: string) => changes.find((ch) => ch.trait === trait && ch.value === value) ?? changes.find((ch) => ch.trait === trait);
  return {
    lead,
    mergedFrom: lead.id === id ? null : id,
    scores: scorer ? scorer.scoresAt(fromJson(lead.score_state), now) : { engagement: 0, fit: 0, total: 0 },
    traits: Object.entries(traits)
      .filter(([, v]) => v !== undefined && v !== null && v !== '')
      .map(([trait, v]) => {
        // Traits the lead was created with have no change of their own: they came with the event that created it.
        const change = setBy(trait, String(v)) ?? (creation ? { source: creation.cause, at: creation.at } : undefined);
        return { trait, value: String(v), source: change?.source ?? null, at: change ? Number(change.at) : null };
      }),
    refusedTraits: refused.map((r) => ({ trait: r.trait, value: r.value, source: r.source, at: Number(r.at) })),
    browsers: [
      ...current.map((b) => ({ visitorId: b.visitor_id, linkedAt: Number(b.linked_at), firstSeenAt: b.first_seen_at === null ? null : Number(b.first_seen_at), lastSeenAt: b.last_seen_at === null ? null : Number(b.last_seen_at), visits: Number(b.visits ?? 0), pageviews: Number(b.pageviews ?? 0), until: null })),
      ...past.map((p) => ({ visitorId: p.visitor_id, linkedAt: Number(p.from_ts), firstSeenAt: null, lastSeenAt: null, visits: 0, pageviews: 0, until: Number(p.until_ts) })),
    ],
    mergedIds,
  };
}
