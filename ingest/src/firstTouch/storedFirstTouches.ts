import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { Database } from '../db/schema.js';
import { computeFirstTouches, type FirstTouch } from './computeFirstTouches.js';

/** A lead row's stored first touch, as `FirstTouch`. */
export const touchOfRow = (r: { touch_path: string | null; touch_stage: FirstTouch['stage']; touch_category: string | null; touch_source: string | null; touch_medium: string | null; touch_campaign: string | null; touch_referred: number | string }): FirstTouch => ({
  path: r.touch_path,
  stage: r.touch_stage,
  category: r.touch_category,
  source: r.touch_source,
  medium: r.touch_medium,
  campaign: r.touch_campaign,
  referred: Number(r.touch_referred) === 1,
});

/**
 * The first touches of a site's leads (ids, or a subquery selecting `lead_id`): read from the
 * leads where the background job has them current, found in the events for the few it has not
 * reached yet, so the answer is exact either way.
 *
 * @example
 * const touches = await storedFirstTouches(db, 'demo', handedOverThisWeek);
 */
export async function storedFirstTouches(db: Kysely<Database>, site: string, leadIds: string[] | SelectQueryBuilder<Database, any, { lead_id: string }>): Promise<Map<string, FirstTouch>> {
  if (Array.isArray(leadIds) && !leadIds.length) return new Map();
  const rows = await db
    .selectFrom('leads')
    .select(['id', 'touch_seq', 'touch_done', 'touch_path', 'touch_stage', 'touch_category', 'touch_source', 'touch_medium', 'touch_campaign', 'touch_referred'])
    .where('id', 'in', leadIds as string[])
    .execute();
  const touches = new Map<string, FirstTouch>();
  const pending: string[] = [];
  for (const r of rows) {
    if (Number(r.touch_seq) > Number(r.touch_done)) pending.push(r.id);
    else touches.set(r.id, touchOfRow(r));
  }
  for (const [id, touch] of await computeFirstTouches(db, site, pending)) touches.set(id, touch);
  return touches;
}
