import { sql, type Kysely } from 'kysely';
import { fromJson } from '../db/json.js';
import type { Database } from '../db/schema.js';
import type { ScoringRules } from '../scoring/rulesSchema.js';

/** One rule of the version in effect and what it did lately. */
export interface RuleHits {
  id: string;
  kind: 'engagement' | 'fit';
  description: string | null;
  /** The points the rule gives. */
  points: number;
  /** Engagement rules: how often it gave points to leads in the period, and their sum (before decay). Fit rules are matched on traits, not events: null. */
  hits: number | null;
  pointsGiven: number | null;
}

const DAY_MS = 86_400_000;

/**
 * Each rule of the rule set in effect with its hits and points given to the site's leads over
 * the last `days` days (from the stored rule hits), in rule order, for the scoring page.
 * `rules` defaults to the version in effect in the database.
 *
 * @example
 * const rows = await ruleHits(db, 'demo', { days: 30 });
 * rows[0] // { id: 'pricing', kind: 'engagement', points: 10, hits: 48, pointsGiven: 480, … }
 */
export async function ruleHits(db: Kysely<Database>, site: string, { days = 30, now = Date.now(), rules }: { days?: number; now?: number; rules?: ScoringRules } = {}): Promise<RuleHits[]> {
  let ruleset = rules;
  if (!ruleset) {
    const stored = await db
      .selectFrom('rulesets_in_effect')
      .innerJoin('ruleset_versions', 'ruleset_versions.id', 'rulesets_in_effect.ruleset_id')
      .select('ruleset_versions.rules')
      .where('rulesets_in_effect.site_id', '=', site)
      .executeTakeFirst();
    if (!stored) return [];
    ruleset = fromJson(stored.rules);
  }
  // Hits are stored by subject (`lead:<id>`): only the lead's row says which site it belongs to.
  // When every lead is this site's (one site, the usual case: two index probes tell), the count
  // reads the covering index on score_hits alone.
  const anyLead = (op: '<' | '>') => db.selectFrom('leads').select('id').where('site_id', op, site).limit(1).executeTakeFirst();
  const otherSites = (await anyLead('<')) ?? (await anyLead('>'));
  let query = db
    .selectFrom('score_hits')
    .select(['score_hits.rule_id', (eb) => eb.fn.countAll().as('hits'), (eb) => eb.fn.sum('score_hits.points').as('points')])
    .where('score_hits.ts', '>=', now - days * DAY_MS)
    .where('score_hits.subject', 'like', 'lead:%')
    .groupBy('score_hits.rule_id');
  if (otherSites) query = query.where(({ exists, selectFrom }) => exists(selectFrom('leads').select('leads.id').where('leads.site_id', '=', site).where(sql<boolean>`leads.id = substr(score_hits.subject, 6)`)));
  const counts = await query.execute();
  const byRule = new Map(counts.map((c) => [c.rule_id, { hits: Number(c.hits), points: Math.round(Number(c.points) * 100) / 100 }]));
  return [
    ...ruleset.engagement.map((r) => ({ id: r.id, kind: 'engagement' as const, description: r.description ?? null, points: r.points, hits: byRule.get(r.id)?.hits ?? 0, pointsGiven: byRule.get(r.id)?.points ?? 0 })),
    ...ruleset.fit.map((r) => ({ id: r.id, kind: 'fit' as const, description: r.description ?? null, points: r.points, hits: null, pointsGiven: null })),
  ];
}
