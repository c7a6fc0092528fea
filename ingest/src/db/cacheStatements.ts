import type SQLite from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

/**
 * better-sqlite3 for kysely's `SqliteDialect`, keeping prepared statements: kysely prepares
 * every query anew, and preparing a small insert costs more than running it. The cache holds
 * the `size` most recently used statements (SQL with `IN` lists of many lengths would
 * otherwise grow it without end). A statement still being iterated (a streamed query) is never
 * handed out twice: that query gets a fresh one.
 *
 * @example
 * const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cacheStatements(new SQLite(path)) }) });
 */
export function cacheStatements(sqlite: SQLite.Database, size = 256): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => void sqlite.close(),
    prepare(sql: string) {
      const cached = cache.get(sql);
      if (cached) {
        if (cached.busy) return sqlite.prepare(sql);
        // Most recently used last, so the first key is the one to evict.
        cache.delete(sql);
        cache.set(sql, cached);
        return cached;
      }
      const statement = sqlite.prepare(sql);
      cache.set(sql, statement);
      if (cache.size > size) cache.delete(cache.keys().next().value!);
      return statement;
    },
  };
}
