import { sql, type Kysely } from 'kysely';
import type { FunnelStage } from '../../../shared/src/types.js';
import type { Database } from '../db/schema.js';
import { computeFirstTouches } from '../firstTouch/computeFirstTouches.js';

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

/** The source a first touch is counted under: its UTM source, else a referral or direct visit. */
const sourceOf = (source: string | null, referred: boolean) => source ?? (referred ? '(referral)' : '(direct)');

/**
 * The leads created in `[from, to)`, split by the campaign of their first visit and by the
 * content stage (top, middle, bottom) of their first page view, each with how many have since
 * become MQL, SQL and customer. Both are kept on the lead (the first touch by the first-touch
 * job, `firstTouch/`; how far it came with each stage change), so one GROUP BY over one index
 * does it. The few leads whose events changed since the job last ran, read in the same
 * statement, are corrected: their stored first touch is taken out and the one their events give
 * now put in, so the answer is exact either way.
 *
 * @example
 * const { byCampaign } = await leadsByFirstTouch(db, { site: 'demo', from, to });
 * byCampaign[0] // { source: 'linkedin', medium: 'paid', campaign: 'q4-close', leads: 12, mqls: 5, sqls: 2, customers: 1 }
 */
export async function leadsByFirstTouch(db: Kysely<Database>, { site, from, to }: { site: string; from: number; to: number }): Promise<FirstTouchSplit> {
  const inPeriod = () => db.selectFrom('leads as l').where('l.site_id', '=', site).where('l.merged_into', 'is', null).where('l.created_at', '>=', from).where('l.created_at', '<', to);
  const bit = (n: number) => sql<number | string>`sum(case when (l.reached / ${sql.lit(n)}) % 2 = 1 then 1 else 0 end)`;
  const source = sql<string>`coalesce(l.touch_source, case when l.touch_referred = 1 then '(referral)' else '(direct)' end)`;
  // One statement, so both halves read the same moment: the period's leads grouped by their
  // stored first touch, and, one row each, the leads the job has not caught up with yet.
  const both = await inPeriod()
    .select([sql<string>`'grouped'`.as('kind'), sql<string | null>`null`.as('id'), source.as('source'), 'l.touch_medium as medium', 'l.touch_campaign as campaign', 'l.touch_stage as first_stage', sql<number | string>`count(*)`.as('leads'), bit(1).as('mqls'), bit(2).as('sqls'), bit(4).as('customers'), sql<number | null>`null`.as('reached')])
    .groupBy([source, 'l.touch_medium', 'l.touch_campaign', 'l.touch_stage'])
    .unionAll(
      inPeriod()
        // A literal, so that both planners use the partial index of pending leads.
        .where(sql<boolean>`l.touch_seq > l.touch_done`)
        .select([sql<string>`'pending'`.as('kind'), 'l.id', source.as('source'), 'l.touch_medium as medium', 'l.touch_campaign as campaign', 'l.touch_stage as first_stage', sql<number | string>`1`.as('leads'), sql<number | string>`0`.as('mqls'), sql<number | string>`0`.as('sqls'), sql<number | string>`0`.as('customers'), 'l.reached']),
    )
    .execute();
  const grouped = both.filter((r) => r.kind === 'grouped');
  const pending = both.filter((r) => r.kind === 'pending').map((r) => ({ ...r, id: r.id!, reached: Number(r.reached) }));
  const touches = await computeFirstTouches(
    db,
    site,
    pending.map((p) => p.id),
  );
  const counts = (reached: number, sign: 1 | -1) => ({ leads: sign, mqls: sign * (reached & 1), sqls: sign * ((reached >> 1) & 1), customers: sign * ((reached >> 2) & 1) });
  // Each pending lead moves from the group of its stored touch to that of the touch its events give now.
  const rows = [
    ...grouped,
    ...pending.flatMap((p) => {
      const t = touches.get(p.id)!;
      return [
        { source: p.source, medium: p.medium, campaign: p.campaign, first_stage: p.first_stage, ...counts(p.reached, -1) },
        { source: sourceOf(t.source, t.referred), medium: t.medium, campaign: t.campaign, first_stage: t.stage, ...counts(p.reached, 1) },
      ];
    }),
  ];

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
    byCampaign: [...campaigns.values()].filter((c) => c.leads !== 0).sort((a, b) => b.leads - a.leads || a.source.localeCompare(b.source)),
    byContentStage: [...stages.values()].filter((c) => c.leads !== 0).sort((a, b) => (order[a.stage ?? ''] ?? 3) - (order[b.stage ?? ''] ?? 3)),
  };
}
