import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { presentRuleset, type RulesetVersion } from './rulesetRows.js';

/**
 * A site's rule set versions, newest first, each with who made it, when, where from, its note,
 * its rules, whether it is in effect and how its rescore went (progress while it runs).
 *
 * @example
 * const versions = await listRulesets(db, 'demo');
 * versions.find((v) => v.inEffect)?.rescore // { state: 'done', total: 420, leads: 420, up: 3, down: 1, … }
 */
export async function listRulesets(db: Kysely<Database>, site: string, { limit = 100 }: { limit?: number } = {}): Promise<RulesetVersion[]> {
  const inEffect = await db.selectFrom('rulesets_in_effect').select('ruleset_id').where('site_id', '=', site).executeTakeFirst();
  const rows = await db.selectFrom('ruleset_versions').selectAll().where('site_id', '=', site).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return rows.map((r) => presentRuleset(r, inEffect?.ruleset_id));
}
