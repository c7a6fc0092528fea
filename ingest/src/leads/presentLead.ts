import type { Kysely, Selectable } from 'kysely';
import type { Database, LeadsTable } from '../db/schema.js';
import type { Scorer } from '../scoring/engine.js';

const iso = (ms: number | null | undefined) => (ms && Number.isFinite(ms) ? new Date(ms).toISOString() : null);

/**
 * Leads as other systems see them, with their visitors and stage history, in three queries
 * however many leads are asked for.
 *
 * @example
 * const [lead] = await presentLeads(db, scorers, [row], Date.now());
 */
export async function presentLeads(db: Kysely<Database>, scorers: Map<string, Scorer>, leads: Selectable<LeadsTable>[], now: number) {
  if (!leads.length) return [];
  const ids = leads.map((l) => l.id);
  const visitors = await db
    .selectFrom('lead_visitors')
    .innerJoin('visitors', (j) => j.onRef('visitors.site_id', '=', 'lead_visitors.site_id').onRef('visitors.visitor_id', '=', 'lead_visitors.visitor_id'))
    .select(['lead_visitors.lead_id', 'visitors.visitor_id', 'visitors.visits', 'visitors.first_seen_at', 'visitors.last_seen_at'])
    .where('lead_visitors.lead_id', 'in', ids)
    .execute();
  const changes = await db.selectFrom('stage_changes').selectAll().where('lead_id', 'in', ids).orderBy('at').orderBy('id').execute();
  const merged = await db.selectFrom('leads').select(['id', 'merged_into']).where('merged_into', 'in', ids).execute();
  const conflicts = await db.selectFrom('identity_log').selectAll().where('lead_id', 'in', ids).where('kind', 'in', ['switched', 'refused', 'merged']).orderBy('at').execute();
  return leads.map((lead) => {
    const mine = visitors.filter((v) => v.lead_id === lead.id);
    const scorer = scorers.get(lead.site_id);
    const score = scorer ? scorer.scoresAt(JSON.parse(lead.score_state), now) : { engagement: 0, fit: 0, total: 0 };
    return {
      id: lead.id,
      site: lead.site_id,
      email: lead.email,
      stage: lead.stage,
      score,
      ruleVersion: lead.rule_version,
      traits: JSON.parse(lead.traits),
      visitorIds: mine.map((v) => v.visitor_id),
      visits: mine.reduce((a, v) => a + v.visits, 0),
      firstSeenAt: iso(Math.min(...mine.map((v) => v.first_seen_at))) ?? iso(lead.created_at),
      lastSeenAt: iso(Math.max(...mine.map((v) => v.last_seen_at))) ?? iso(lead.updated_at),
      mergedIds: merged.filter((m) => m.merged_into === lead.id).map((m) => m.id),
      identityLog: conflicts.filter((c) => c.lead_id === lead.id).map((c) => ({ kind: c.kind, visitorId: c.visitor_id, otherLeadId: c.other_lead_id, detail: c.detail, at: iso(c.at) })),
      createdAt: iso(lead.created_at),
      updatedAt: iso(lead.updated_at),
      stageHistory: changes
        .filter((c) => c.lead_id === lead.id)
        .map((c) => ({ from: c.from_stage, to: c.to_stage, at: iso(c.at), cause: c.cause, source: c.source, scores: { engagement: c.engagement, fit: c.fit, total: Math.round((c.engagement + c.fit) * 100) / 100 }, ruleVersion: c.rule_version })),
    };
  });
}
