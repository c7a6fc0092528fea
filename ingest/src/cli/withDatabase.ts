import type { Kysely } from 'kysely';
import { migrateToLatest } from '../db/migrate.js';
import { openDatabase } from '../db/openDatabase.js';
import type { Database } from '../db/schema.js';
import type { Settings } from '../settings.js';

export interface CliDatabase {
  db: Kysely<Database>;
  /** Where the data lives, without credentials, for messages. */
  location: string;
}

/**
 * Opens the database the settings name (`DATABASE_URL`, read by `readSettings` as the server
 * reads it), brings its schema up to date unless told not to, runs `use` and closes the
 * database whatever happens, so a command never leaves a pool holding the process open.
 * Commands check everything else (the config, their arguments) before calling this, so a
 * mistake never touches the database.
 *
 * @example
 * const leads = await withDatabase(readSettings(process.env), ({ db }) => db.selectFrom('leads').select('id').execute());
 */
export async function withDatabase<T>(
  settings: Pick<Settings, 'databaseUrl'>,
  use: (opened: CliDatabase) => Promise<T>,
  { migrate = true }: { migrate?: boolean } = {},
): Promise<T> {
  const { db, location } = openDatabase(settings.databaseUrl);
  try {
    // The same schema the server would bring it to on start: a command run before the first
    // start, or after an upgrade, must not fail on a missing table.
    if (migrate) await migrateToLatest(db);
    return await use({ db, location });
  } finally {
    await db.destroy();
  }
}
