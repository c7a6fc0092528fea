import { PostgresAdapter, type Kysely } from 'kysely';

/**
 * True when the database is PostgreSQL. Row locks (`FOR UPDATE`, `SKIP LOCKED`) exist only
 * there; SQLite has one writer, which serialises every transaction already.
 *
 * @example
 * if (isPostgres(db)) query = query.forUpdate();
 */
export const isPostgres = (db: Kysely<any>) => db.getExecutor().adapter instanceof PostgresAdapter;
