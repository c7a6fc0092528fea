import type { Kysely } from 'kysely';
import type { LeadbeamConfig } from '../config/schema.js';
import type { Database } from '../db/schema.js';
import { ruleVersion } from '../scoring/rulesSchema.js';
import { importKey, newRulesetRow, putInEffect } from './rulesetRows.js';

/** What happened to one site's rules at start. */
export interface ConfigImport {
  site: string;
  version: string;
  /** `seeded`: the site's first version; `imported`: the config file changed and now rules; `unchanged`: the version in effect stays. */
  outcome: 'seeded' | 'imported' | 'unchanged';
}

/**
 * Brings the config file's rule sets into the database at start. A site without versions gets
 * the file's rules as its first; a file whose rules changed since the last version imported
 * from it becomes a new version, in effect, with a rescore queued; otherwise the version in
 * effect stays (one published through the API survives restarts). Processes starting together
 * import a change once: the import's key is derived from the previous import, and unique.
 *
 * @example
 * const imports = await syncConfigRulesets(db, config);
 */
export async function syncConfigRulesets(db: Kysely<Database>, config: LeadbeamConfig, now = Date.now()): Promise<ConfigImport[]> {
  const done: ConfigImport[] = [];
  for (const site of config.sites) {
    const version = ruleVersion(site.scoring);
    const outcome = await db.transaction().execute(async (trx) => {
      const last = await trx
        .selectFrom('ruleset_versions')
        .select(['id', 'version'])
        .where('site_id', '=', site.key)
        .where('source', '=', 'config')
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (last?.version === version) {
        // A version published before this table had a pointer row (or none at all): keep one.
        await trx.insertInto('rulesets_in_effect').values({ site_id: site.key, ruleset_id: last.id, version, since: now }).onConflict((oc) => oc.column('site_id').doNothing()).execute();
        return 'unchanged' as const;
      }
      const row = newRulesetRow(site.key, site.scoring, { source: 'config', by: 'config', at: now, importKey: importKey(site.key, version, last?.id), rescore: !!last });
      const inserted = await trx.insertInto('ruleset_versions').values(row).onConflict((oc) => oc.column('import_key').doNothing()).executeTakeFirst();
      // Another process imported this very change first.
      if (!Number(inserted.numInsertedOrUpdatedRows ?? 0)) return 'unchanged' as const;
      await putInEffect(trx, row, now);
      return last ? ('imported' as const) : ('seeded' as const);
    });
    done.push({ site: site.key, version, outcome });
  }
  return done;
}
