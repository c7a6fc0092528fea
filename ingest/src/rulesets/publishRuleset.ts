import type { Kysely } from 'kysely';
import { z } from 'zod';
import { isPostgres } from '../db/dialect.js';
import type { Database, RulesetSource } from '../db/schema.js';
import { ApiError } from '../http/apiError.js';
import { createScorer, type Scorer } from '../scoring/engine.js';
import { ruleVersion, scoringSchema } from '../scoring/rulesSchema.js';
import { withRegistry } from './withRegistry.js';
import { importKey, newRulesetRow, presentRuleset, putInEffect, type RulesetRow, type RulesetVersion } from './rulesetRows.js';

/** A draft as the API and the dashboard send it; errors name the field from the body's root (`rules.engagement.2.points`). */
export const draftSchema = z.object({ site: z.string().min(1), rules: scoringSchema, note: z.string().max(2000).optional() }).strict();

/** What a publish did. */
export interface Published {
  /** False when the rules were those in effect already: nothing changed. */
  published: boolean;
  message: string;
  ruleset: RulesetVersion;
}

/**
 * Makes a draft the rule set in effect for its site: a new version (who, when, where from, a
 * note) with a rescore queued, and this process's scorer replaced at once (others pick it up
 * within seconds: `createRulesetWatcher`). Rules identical to those in effect change nothing
 * and say so. A site with no versions yet first gets its current rules as the first version,
 * so the history starts where scoring was. Throws a 400 `ApiError` naming the field for an
 * invalid draft, 404 for an unknown site. Start the rescore with `rescoreRuleset` afterwards.
 *
 * @example
 * const { published, ruleset } = await publishRuleset(db, scorers, { site: 'demo', rules, note: 'pricing counts more' }, { by: 'bootstrap', source: 'api' });
 */
export async function publishRuleset(
  db: Kysely<Database>,
  scorers: Map<string, Scorer>,
  draft: unknown,
  { by, source, now = Date.now() }: { by: string; source: RulesetSource; now?: number },
): Promise<Published> {
  const parsed = draftSchema.safeParse(draft);
  if (!parsed.success) throw ApiError.fromZod(parsed.error);
  const { site, rules, note } = parsed.data;
  const current = scorers.get(site);
  if (!current) throw new ApiError(404, 'not_found', `site: no site "${site}" in the config file`, { field: 'site' });
  const version = ruleVersion(rules);
  const outcome = await db.transaction().execute(async (trx) => {
    let q = trx.selectFrom('rulesets_in_effect').select(['ruleset_id', 'version']).where('site_id', '=', site);
    // Publishes of one site queue here, so "identical to the version in effect" is exact.
    if (isPostgres(trx)) q = q.forUpdate();
    let inEffect = await q.executeTakeFirst();
    if (!inEffect) {
      const seed = newRulesetRow(site, current.rules, { source: 'config', by: 'config', at: now, importKey: importKey(site, current.version, undefined), rescore: false });
      await trx.insertInto('ruleset_versions').values(seed).onConflict((oc) => oc.column('import_key').doNothing()).execute();
      const seeded = await trx.selectFrom('ruleset_versions').select(['id', 'version']).where('import_key', '=', seed.import_key).executeTakeFirstOrThrow();
      await putInEffect(trx, { ...seeded, site_id: site }, now);
      inEffect = { ruleset_id: seeded.id, version: seeded.version };
    }
    if (inEffect.version === version) {
      const row = await trx.selectFrom('ruleset_versions').selectAll().where('id', '=', inEffect.ruleset_id).executeTakeFirstOrThrow();
      return { published: false, row };
    }
    const row: RulesetRow = newRulesetRow(site, rules, { source, by, at: now, note: note ?? null, rescore: true });
    await trx.insertInto('ruleset_versions').values(row).execute();
    await putInEffect(trx, row, now);
    return { published: true, row };
  });
  // Queued behind a version watcher's pass that may have read the version in effect before this commit.
  if (outcome.published) await withRegistry(scorers, async () => void scorers.set(site, createScorer(rules)));
  return {
    published: outcome.published,
    message: outcome.published ? `version ${version} is in effect for ${site}; every lead is being rescored` : `these rules are the version in effect for ${site} (${version}): nothing changed`,
    ruleset: presentRuleset(outcome.row, outcome.row.id),
  };
}
