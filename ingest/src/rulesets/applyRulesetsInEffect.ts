import type { Kysely } from 'kysely';
import { fromJson } from '../db/json.js';
import type { Database } from '../db/schema.js';
import { createScorer, type Scorer } from '../scoring/engine.js';
import { withRegistry } from './withRegistry.js';

/**
 * Makes every site's scorer the version in effect in the database, replacing the registry's
 * entry in place so that everything holding the registry (the app, the write pipeline, the
 * replayer) scores with it from the next event on. Reads one small row a site; the rules only
 * when the version changed. Returns the sites that changed.
 *
 * @example
 * const changed = await applyRulesetsInEffect(db, scorers); // ['demo']
 */
export function applyRulesetsInEffect(db: Kysely<Database>, scorers: Map<string, Scorer>): Promise<string[]> {
  return withRegistry(scorers, () => apply(db, scorers));
}

async function apply(db: Kysely<Database>, scorers: Map<string, Scorer>): Promise<string[]> {
  const inEffect = await db.selectFrom('rulesets_in_effect').select(['site_id', 'ruleset_id', 'version']).execute();
  const changed: string[] = [];
  for (const row of inEffect) {
    const current = scorers.get(row.site_id);
    // Sites no longer in the config file are not scored here.
    if (!current || current.version === row.version) continue;
    const stored = await db.selectFrom('ruleset_versions').select('rules').where('id', '=', row.ruleset_id).executeTakeFirst();
    if (!stored) continue;
    scorers.set(row.site_id, createScorer(fromJson(stored.rules)));
    changed.push(row.site_id);
  }
  return changed;
}
