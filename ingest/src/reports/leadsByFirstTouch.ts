import { sql, type Kysely } from 'kysely';
import type { FunnelStage } from '../../../shared/src/types.js';
import type { Database } from '../db/schema.js';
import { sqlFragments } from './sqlFragments.js';

/** The funnel of one group of leads: how many there are and how far they have come so far. */
export interface CohortFunnel {
  leads: number;
  /** Handed to sales at some point (scoring took them to MQL or SQL). */
  mqls: number;
  sqls: number;
  customers: number;
}

export interface FirstTouchSplit {
  /** By the campaign of each lead's first visit: UTM source, medium and campaign; `(direct)` or `(referral)` without UTM. */
  byCampaign: Array<{ source: string; medium: string | null; campaign: string | null } & CohortFunnel>;
  /** By the funnel stage of the lead's first page view; null: that page was not tagged. */
  byContentStage: Array<{ stage: FunnelStage | null } & CohortFunnel>;
}

/**
 * The leads created in `[from, to)`, split by the campaign of their first visit and by the
 * content stage (top, middle, bottom) of their first page view (as the weekly evaluation
 * reads first touch), each with how many have since become MQL, SQL and customer. One query:
 * per new lead, indexed look-ups of its first page view (events by site, visitor and time) and
 * of its stage changes (by lead), then GROUP BY. Costs a few index look-ups per new lead.
 *
 * @example
 * const { byCampaign } = await leadsByFirstTouch(db, { site: 'demo', from, to });
 * byCampaign[0] // { source: 'linkedin', medium: 'paid', campaign: 'q4-close', leads: 12, mqls: 5, sqls: 2, customers: 1 }
 */
export async function leadsByFirstTouch(db: Kysely<Database>, { site, from, to }: { site: string; from: number; to: number }): Promise<FirstTouchSplit> {
  const f = sqlFragments(db);
  // How far each lead has come, as bits of one number (one read of its stage changes): 1 handed
  // to sales (the follow-up agreement's handover), 2 SQL, 4 customer.
  const reach = sql<number>`(select coalesce(max(case when sc.to_stage in ('mql', 'sql') and sc.from_stage in ('visitor', 'lead', 'recycled') and sc.source in ('scoring', 'rescore') then 1 else 0 end), 0)
    + 2 * coalesce(max(case when sc.to_stage = 'sql' then 1 else 0 end), 0)
    + 4 * coalesce(max(case when sc.to_stage = 'customer' then 1 else 0 end), 0)
    from stage_changes sc where sc.lead_id = l.id)`;
  const perLead = db
    .selectFrom('leads as l')
    .select((eb) => [
      // The lead's first page view (its browsers' events from their link on): the page carries its
      // funnel stage and the campaign of its visit.
      eb
        .selectFrom('lead_visitors as lv')
        .innerJoin('events as e', (j) => j.onRef('e.site_id', '=', 'lv.site_id').onRef('e.visitor_id', '=', 'lv.visitor_id'))
        .select('e.id')
        .whereRef('lv.lead_id', '=', 'l.id')
        .whereRef('e.ts', '>=', 'lv.from_ts')
        .where('e.type', '=', 'pageview')
        .orderBy('e.ts')
        .orderBy('e.id')
        .limit(1)
        .as('first_event'),
      reach.as('reach'),
    ])
    .where('l.site_id', '=', site)
    .where('l.merged_into', 'is', null)
    .where('l.created_at', '>=', from)
    .where('l.created_at', '<', to);

  const campaign = sql.ref('e.campaign');
  const source = sql<string>`coalesce(${f.jsonText(campaign, 'source')}, case when ${f.jsonText(campaign, 'referrer')} is not null then '(referral)' else '(direct)' end)`;
  const medium = f.jsonText(campaign, 'medium');
  const name = f.jsonText(campaign, 'campaign');
  const bit = (n: number) => sql<number | string>`sum(case when (first_touch.reach / ${sql.lit(n)}) % 2 = 1 then 1 else 0 end)`;
  const rows = await db
    // Materialized: each lead's look-ups run once, not once for every column that uses them.
    .with((cte) => cte('first_touch').materialized(), () => perLead)
    .selectFrom('first_touch')
    .leftJoin('events as e', (j) => j.on('e.site_id', '=', site).onRef('e.id', '=', 'first_touch.first_event'))
    .select([
      source.as('source'),
      medium.as('medium'),
      name.as('campaign'),
      'e.stage as first_stage',
      sql<number | string>`count(*)`.as('leads'),
      bit(1).as('mqls'),
      bit(2).as('sqls'),
      bit(4).as('customers'),
    ])
    .groupBy([source, medium, name, 'e.stage'])
    .execute();

  const add = (into: CohortFunnel, r: (typeof rows)[number]) => {
    into.leads += Number(r.leads);
    into.mqls += Number(r.mqls);
    into.sqls += Number(r.sqls);
    into.customers += Number(r.customers);
  };
  const campaigns = new Map<string, FirstTouchSplit['byCampaign'][number]>();
  const stages = new Map<string, FirstTouchSplit['byContentStage'][number]>();
  for (const r of rows) {
    const ck = JSON.stringify([r.source, r.medium, r.campaign]);
    if (!campaigns.has(ck)) campaigns.set(ck, { source: r.source, medium: r.medium, campaign: r.campaign, leads: 0, mqls: 0, sqls: 0, customers: 0 });
    add(campaigns.get(ck)!, r);
    const sk = String(r.first_stage);
    if (!stages.has(sk)) stages.set(sk, { stage: (r.first_stage as FunnelStage | null) ?? null, leads: 0, mqls: 0, sqls: 0, customers: 0 });
    add(stages.get(sk)!, r);
  }
  const order = { top: 0, middle: 1, bottom: 2 } as Record<string, number>;
  return {
    byCampaign: [...campaigns.values()].sort((a, b) => b.leads - a.leads || a.source.localeCompare(b.source)),
    byContentStage: [...stages.values()].sort((a, b) => (order[a.stage ?? ''] ?? 3) - (order[b.stage ?? ''] ?? 3)),
  };
}
