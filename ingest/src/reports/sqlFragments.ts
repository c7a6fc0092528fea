import { sql, type Expression, type Kysely, type RawBuilder } from 'kysely';
import { isPostgres } from '../db/dialect.js';

/**
 * The few SQL spellings that differ between SQLite and PostgreSQL, for the dashboard's reports:
 * a text field of a JSON column, and a number as floating point (so that a division of two
 * integer columns does not round down).
 *
 * @example
 * const f = sqlFragments(db);
 * db.selectFrom('leads').select(f.jsonText(sql.ref('traits'), 'company').as('company'));
 */
export function sqlFragments(db: Kysely<any>) {
  const pg = isPostgres(db);
  return {
    /** `column->>'key'`: the field's text, or null. The key is a fixed identifier, never user input. */
    jsonText(column: Expression<unknown>, key: string): RawBuilder<string | null> {
      if (!/^\w+$/.test(key)) throw new Error(`not a JSON key: ${key}`);
      return pg ? sql<string | null>`(${column}::jsonb ->> ${sql.lit(key)})` : sql<string | null>`json_extract(${column}, ${sql.lit('$.' + key)})`;
    },
    /** The value as a double. */
    real(value: Expression<unknown>): RawBuilder<number> {
      return pg ? sql<number>`cast(${value} as double precision)` : sql<number>`cast(${value} as real)`;
    },
  };
}
