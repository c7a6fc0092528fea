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
  /** By the funnel stage of the first tagged page or event that touched each lead; null: none was tagged. */
  byContentStage: Array<{ stage: FunnelStage | null } & CohortFunnel>;
}

/**
 * The leads created in `[from, to)`, split by the campaign of their first visit and by the
 * content stage (top, middle, bottom) that first touched them, each with how many have since
 * become MQL, SQL and customer. One query: per new lead, indexed look-ups of its browsers'
 * first visit (sessions by site and visitor), first tagged event (events by visitor and time)
 * and its stage changes (by lead), then GROUP BY.
 *
 * @example
 * const { byCampaign } = await leadsByFirstTouch(db, { site: 'demo', from, to });
 * byCampaign[0] // { source: 'linkedin', medium: 'paid', campaign: 'q4-close', leads: 12, mqls: 5, sqls: 2, customers: 1 }
 */
export async function leadsByFirstTouch(db: Kysely<Database>, { site, from, to }: { site: string; from: number; to: number }): Promise<FirstTouchSplit> {
  const f = sqlFragments(db);
  const reached = (stages: string[], handover = false) =>
    sql<number>`(case when exists (select 1 from stage_changes sc where sc.lead_id = l.id and sc.to_stage in (${sql.join(stages)})${
      handover ? sql` and sc.from_stage in ('visitor', 'lead', 'recycled') and sc.source in ('scoring', 'rescore')` : sql``
    }) then 1 else 0 end)`;
  const perLead = db
    .selectFrom('leads as l')
    .select((eb) => [
      eb
        .selectFrom('lead_visitors as lv')
        .innerJoin('sessions as s', (j) => j.onRef('s.site_id', '=', 'lv.site_id').onRef('s.visitor_id', '=', 'lv.visitor_id'))
        .select('s.campaign')
        .whereRef('lv.lead_id', '=', 'l.id')
        .orderBy('s.started_at')
        .limit(1)
        .as('campaign'),
      eb
        .selectFrom('lead_visitors as lv')
        .innerJoin('events as e', (j) => j.onRef('e.site_id', '=', 'lv.site_id').onRef('e.visitor_id', '=', 'lv.visitor_id'))
        .select('e.stage')
        .whereRef('lv.lead_id', '=', 'l.id')
        .whereRef('e.ts', '>=', 'lv.from_ts')
        .where('e.stage', 'is not', null)
        .orderBy('e.ts')
        .limit(1)
        .as('first_stage'),
      reached(['mql', 'sql'], true).as('reached_mql'),
      reached(['sql']).as('reached_sql'),
      reached(['customer']).as('reached_customer'),
    ])
    .where('l.site_id', '=', site)
    .where('l.merged_into', 'is', null)
    .where('l.created_at', '>=', from)
    .where('l.created_at', '<', to);

  const campaign = sql.ref('campaign');
  const source = sql<string>`coalesce(${f.jsonText(campaign, 'source')}, case when ${f.jsonText(campaign, 'referrer')} is not null then '(referral)' else '(direct)' end)`;
  const medium = f.jsonText(campaign, 'medium');
  const name = f.jsonText(campaign, 'campaign');
  const rows = await db
    .with('first_touch', () => perLead)
    .selectFrom('first_touch')
    .select([
      source.as('source'),
      medium.as('medium'),
      name.as('campaign'),
      'first_stage',
      sql<number | string>`count(*)`.as('leads'),
      sql<number | string>`sum(reached_mql)`.as('mqls'),
      sql<number | string>`sum(reached_sql)`.as('sqls'),
      sql<number | string>`sum(reached_customer)`.as('customers'),
    ])
    .groupBy([source, medium, name, 'first_stage'])
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
