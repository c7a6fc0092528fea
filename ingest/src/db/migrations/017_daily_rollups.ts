import { sql, type CreateTableBuilder, type Kysely, type Migration } from 'kysely';
import { isPostgres } from '../dialect.js';

/** Separates a funnel stage from a category in a content group's key (never in either). */
export const GROUP_SEPARATOR = '\u001f';
const DAY_MS = 86_400_000;

/**
 * Daily rollups for the dashboard's distinct-visitor counts (visitors of the site, of each page,
 * of each funnel stage and category) and page views, so a period's figures add up from small
 * tables instead of scanning its page views.
 *
 * Distinct counts do not add up from daily totals, so each member (a browser) keeps one row
 * a day it was active in a dimension, with the previous day it was active there
 * (`rollup_members.prev_day`, -1 for none). A browser active in days `D1..D2` is then counted
 * exactly once, on its first active day of the period: the day whose `prev_day` lies before
 * `D1`. `rollup_counts` holds how many members each (day, prev_day) pair has, so a period's
 * distinct visitors are a sum over rows that grow with days and pages, not with events.
 *
 * The write path queues the keys of the events each commit stored (`rollup_queue`); a
 * background job folds them in off the request path, one process at a time.
 */
export const dailyRollups: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('rollup_queue')
      // 64-bit on PostgreSQL: a row a commit would run a 32-bit sequence out within a year at 100 commits a second.
      .addColumn('seq', isPostgres(db) ? 'bigint' : sql`integer`, (c) => (isPostgres(db) ? c.generatedAlwaysAsIdentity().primaryKey() : c.primaryKey().autoIncrement()))
      .addColumn('site_id', 'varchar(100)', (c) => c.notNull())
      // The event ids of one commit, as a JSON array: one row a commit and site, not one an event.
      .addColumn('event_ids', 'text', (c) => c.notNull())
      .addColumn('queued_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('rollup_members')
      .addColumn('site_id', 'varchar(100)', (c) => c.notNull())
      // 'v' the site, 'p' a page (dim: its path), 'g' a funnel stage and category (dim: both, separated).
      .addColumn('kind', 'varchar(1)', (c) => c.notNull())
      .addColumn('dim', 'text', (c) => c.notNull())
      .addColumn('member', 'varchar(200)', (c) => c.notNull())
      .addColumn('day', 'integer', (c) => c.notNull())
      .addColumn('prev_day', 'integer', (c) => c.notNull())
      // By browser first: the job reads a browser's days in every dimension at once, and
      // erasure drops them; on SQLite the rows are stored in this order (no rowid), so that read is one range.
      .addPrimaryKeyConstraint('rollup_members_pk', ['site_id', 'member', 'kind', 'dim', 'day'])
      .$call(withoutRowid(db))
      .execute();
    await db.schema
      .createTable('rollup_counts')
      .addColumn('site_id', 'varchar(100)', (c) => c.notNull())
      .addColumn('kind', 'varchar(1)', (c) => c.notNull())
      .addColumn('dim', 'text', (c) => c.notNull())
      .addColumn('day', 'integer', (c) => c.notNull())
      .addColumn('prev_day', 'integer', (c) => c.notNull())
      .addColumn('members', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('rollup_counts_pk', ['site_id', 'kind', 'day', 'dim', 'prev_day'])
      .$call(withoutRowid(db))
      .execute();
    await db.schema
      .createTable('rollup_page_views')
      .addColumn('site_id', 'varchar(100)', (c) => c.notNull())
      .addColumn('day', 'integer', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      // '' for none: primary-key columns cannot be null.
      .addColumn('stage', 'varchar(10)', (c) => c.notNull())
      .addColumn('category', 'varchar(100)', (c) => c.notNull())
      .addColumn('views', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('rollup_page_views_pk', ['site_id', 'day', 'path', 'stage', 'category'])
      .$call(withoutRowid(db))
      .execute();
    // Paths are index keys from here on (here and in lead_pages), which PostgreSQL caps at 2,704
    // bytes: stored paths are kept to 500 characters (collect/toEventRow.ts), older ones cut alike.
    await sql`UPDATE events SET path = substr(path, 1, 500) WHERE length(path) > 500`.execute(db);
    await fillRollups(db);
  },
  async down(db: Kysely<any>) {
    for (const t of ['rollup_page_views', 'rollup_counts', 'rollup_members', 'rollup_queue']) await db.schema.dropTable(t).execute();
  },
};

/** On SQLite, a table stored in its primary key's order: a period's rows are one range, read without look-ups. */
const withoutRowid =
  (db: Kysely<any>) =>
  <T extends CreateTableBuilder<any, any>>(table: T): T =>
    isPostgres(db) ? table : (table.modifyEnd(sql`without rowid`) as T);

/**
 * Rebuilds every rollup from the stored events, set-based (window functions): the upgrade's
 * backfill, and how bulk-loaded data (the dashboard benchmark) gets its rollups.
 *
 * @example
 * await fillRollups(db);
 */
export async function fillRollups(db: Kysely<any>): Promise<void> {
  const day = sql`(ts / ${sql.lit(DAY_MS)})`;
  await sql`DELETE FROM rollup_queue`.execute(db);
  await sql`DELETE FROM rollup_members`.execute(db);
  await sql`DELETE FROM rollup_counts`.execute(db);
  await sql`DELETE FROM rollup_page_views`.execute(db);
  await sql`INSERT INTO rollup_page_views (site_id, day, path, stage, category, views)
    SELECT site_id, ${day}, path, coalesce(stage, ''), coalesce(category, ''), count(*) FROM events WHERE type = 'pageview'
    GROUP BY site_id, ${day}, path, coalesce(stage, ''), coalesce(category, '')`.execute(db);
  await sql`INSERT INTO rollup_members (site_id, kind, dim, member, day, prev_day)
    SELECT site_id, kind, dim, member, day, coalesce(lag(day) OVER (PARTITION BY site_id, kind, dim, member ORDER BY day), -1) FROM (
      SELECT DISTINCT site_id, 'v' AS kind, '' AS dim, visitor_id AS member, ${day} AS day FROM events
      UNION SELECT DISTINCT site_id, 'p', path, visitor_id, ${day} FROM events WHERE type = 'pageview'
      UNION SELECT DISTINCT site_id, 'g', coalesce(stage, '') || ${GROUP_SEPARATOR} || coalesce(category, ''), visitor_id, ${day} FROM events WHERE type = 'pageview'
    ) d`.execute(db);
  await sql`INSERT INTO rollup_counts (site_id, kind, dim, day, prev_day, members)
    SELECT site_id, kind, dim, day, prev_day, count(*) FROM rollup_members GROUP BY site_id, kind, dim, day, prev_day`.execute(db);
}
