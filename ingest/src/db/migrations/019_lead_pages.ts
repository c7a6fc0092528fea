import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Each lead's pages, kept: for every page (path, with the funnel stage it was stored with) the
 * first time any of the lead's browsers viewed it, counting a browser's events from when it was
 * linked to the lead (and an earlier link's within its range). "Had the lead viewed P before it
 * converted at T" is then `first_at <= T`, a short read of the lead's rows, where the content
 * page walked every converting lead's browsers' page views (about 0.4 s at 100,000 leads).
 *
 * The write path adds the pages of each new page view (a first view lowers `first_at`); changes
 * that can take pages away or bring a browser's history in (a link, a switch, a merge, an
 * erasure on a shared browser) bump the lead's `touch_seq`, and the first-touch job rebuilds
 * the lead's rows from its events (`leadPages/`). `stage` is '' for untagged pages, so it can
 * be part of the key on both dialects. Filled here from the stored events.
 *
 * The report's other half, which leads became leads in a period, reads a small partial index
 * of lead creations (visitor → lead) by site and time (the site is the stage change's, from
 * migration 018): counted and sampled from the index alone.
 */
export const leadPages: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('lead_pages')
      .addColumn('site_id', 'varchar(100)', (c) => c.notNull())
      .addColumn('lead_id', 'varchar(40)', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('stage', 'varchar(10)', (c) => c.notNull())
      .addColumn('first_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('lead_pages_pk', ['site_id', 'lead_id', 'path', 'stage'])
      .execute();
    // The same windows the first-touch job and scoring count (leadStore's eventsOfLead): a
    // browser's current link from its start, an earlier link within its range. Merged leads
    // have none (their links moved to the survivor).
    const windows = db
      .selectFrom('lead_visitors')
      .select(['site_id', 'lead_id', 'visitor_id', 'from_ts', sql<number | null>`cast(null as bigint)`.as('until_ts')])
      .unionAll(db.selectFrom('past_links').select(['site_id', 'lead_id', 'visitor_id', 'from_ts', 'until_ts']));
    await db
      .insertInto('lead_pages')
      .columns(['site_id', 'lead_id', 'path', 'stage', 'first_at'])
      .expression(
        db
          .selectFrom(windows.as('w'))
          .innerJoin('events as e', (j) => j.onRef('e.site_id', '=', 'w.site_id').onRef('e.visitor_id', '=', 'w.visitor_id').onRef('e.ts', '>=', 'w.from_ts'))
          .where('e.type', '=', 'pageview')
          .where((eb) => eb.or([eb('w.until_ts', 'is', null), eb('e.ts', '<', eb.ref('w.until_ts'))]))
          .select(['w.site_id', 'w.lead_id', 'e.path', sql<string>`coalesce(e.stage, '')`.as('stage'), sql<number>`min(e.ts)`.as('first_at')])
          .groupBy(['w.site_id', 'w.lead_id', 'e.path', sql`coalesce(e.stage, '')`]),
      )
      .execute();
    await db.schema
      .createIndex('stage_changes_site_became_lead')
      .on('stage_changes')
      .columns(['site_id', 'at', 'lead_id'])
      // Literal values: an index's WHERE takes no parameters, and queries name them the same way.
      .where(sql<boolean>`from_stage = 'visitor' and to_stage = 'lead'`)
      .execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropIndex('stage_changes_site_became_lead').execute();
    await db.schema.dropTable('lead_pages').execute();
  },
};
