import { Command } from 'commander';
import { Migrator } from 'kysely';
import { migrations } from '../../db/migrations/index.js';
import { readSettings } from '../../settings.js';
import { withDatabase } from '../withDatabase.js';

/**
 * `leadbeam migrate`: brings the schema up to date and says which migrations ran, so an
 * upgrade can be migrated (and checked) before the new server starts.
 *
 * @example
 * program.addCommand(migrateCommand(process.env));
 */
export function migrateCommand(env: Record<string, string | undefined>): Command {
  return new Command('migrate')
    .description('run the database migrations (DATABASE_URL), printing each one applied')
    .action(async () => {
      await withDatabase(
        readSettings(env),
        async ({ db, location }) => {
          // kysely's Migrator directly (not migrateToLatest) for its per-migration results.
          const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
          const { error, results = [] } = await migrator.migrateToLatest();
          for (const r of results) if (r.status === 'Success') console.log(`applied ${r.migrationName}`);
          if (error) {
            const failed = results.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
            throw new Error(`migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`);
          }
          console.log(results.length ? `${location}: up to date (${results.length} applied)` : `${location}: up to date`);
        },
        { migrate: false },
      );
    });
}
