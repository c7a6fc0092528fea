import type { Kysely, Migration } from 'kysely';
import { isPostgres } from '../dialect.js';

/**
 * Indexes the dashboard's pages need to stay fast at 100,000 leads and 1,000,000 events
 * (measured with `bench/dashboard.ts`): each serves a range or order a page reads.
 */
export const dashboardIndexes: Migration = {
  async up(db: Kysely<any>) {
    // Visitors in a period (overview funnel and trend): count distinct from the index alone.
    await db.schema.createIndex('sessions_site_started').on('sessions').columns(['site_id', 'started_at', 'visitor_id']).execute();
    // New leads in a period (funnel, trend, first touch) and the leads list by creation; merged_into
    // rides along so the count needs no row.
    await db.schema.createIndex('leads_site_created').on('leads').columns(['site_id', 'created_at', 'id', 'merged_into']).execute();
    // The leads list by last activity, its default order.
    await db.schema.createIndex('leads_site_activity').on('leads').columns(['site_id', 'engagement_at', 'id']).execute();
    // Stage changes and feedback are joined to their lead only to learn its site and whether it
    // was merged: from this index alone (a third of the time of the row on SQLite).
    await db.schema.createIndex('leads_id_site').on('leads').columns(['id', 'site_id', 'merged_into']).execute();
    // Handovers, SQLs and customers in a period: by target stage and time, with what handoversOf
    // filters on, so no row is read.
    await db.schema.createIndex('stage_changes_to_stage_at').on('stage_changes').columns(['to_stage', 'at', 'from_stage', 'source', 'lead_id']).execute();
    // Speed to lead: first answers by the time of the handover they answer.
    await db.schema.createIndex('feedback_handover').on('feedback').columns(['handover_at']).execute();
    // Page views in a period (content page). PostgreSQL only: without statistics (the ingest
    // runs no ANALYZE) SQLite's planner prefers this index to events_visitor_ts for one
    // visitor's page views, and the overview's first-touch query then scans every page view of
    // the site for each lead (minutes instead of half a second, measured).
    if (isPostgres(db)) await db.schema.createIndex('events_site_type_ts').on('events').columns(['site_id', 'type', 'ts']).execute();
  },
  async down(db: Kysely<any>) {
    if (isPostgres(db)) await db.schema.dropIndex('events_site_type_ts').execute();
    for (const name of ['feedback_handover', 'stage_changes_to_stage_at', 'leads_id_site', 'leads_site_activity', 'leads_site_created', 'sessions_site_started']) await db.schema.dropIndex(name).execute();
  },
};
