import type { Kysely } from 'kysely';
import type { LeadbeamConfig } from '../config/schema.js';
import { isPostgres } from '../db/dialect.js';
import type { Database } from '../db/schema.js';
import { logger } from '../ops/logger.js';
import { expireInactiveLeads } from './expireInactiveLeads.js';
import { retractVisitors } from '../rollups/retractVisitors.js';

const DAY_MS = 86_400_000;

/**
 * Deletes anonymous visitors (never linked to a lead) not seen for the site's
 * `anonymousRetentionDays`, with their events, visits and score hits, in small batches. Known
 * leads' visitors are kept whatever their age. Mautic's databases filled up with millions of
 * empty contacts because nothing did this. Safe beside live traffic: on PostgreSQL the visitors
 * are locked as they are chosen and any that a write holds are skipped (`SKIP LOCKED`), and the
 * age and link checks are made under that lock, so a visitor that comes back or is linked
 * meanwhile is never deleted.
 *
 * @example
 * const { visitors, events } = await expireAnonymousVisitors(db, config, Date.now());
 */
export async function expireAnonymousVisitors(db: Kysely<Database>, config: LeadbeamConfig, now: number, batchSize = 500) {
  let visitors = 0;
  let events = 0;
  for (const site of config.sites) {
    const cutoff = now - site.anonymousRetentionDays * DAY_MS;
    for (;;) {
      const ids = await db.transaction().execute(async (trx) => {
        let choose = trx
          .selectFrom('visitors')
          .select('visitor_id')
          .where('site_id', '=', site.key)
          .where('last_seen_at', '<', cutoff)
          .where(({ not, exists, selectFrom }) =>
            not(exists(selectFrom('lead_visitors').select('lead_visitors.visitor_id').whereRef('lead_visitors.visitor_id', '=', 'visitors.visitor_id').whereRef('lead_visitors.site_id', '=', 'visitors.site_id'))),
          )
          .where(({ not, exists, selectFrom }) =>
            not(exists(selectFrom('past_links').select('past_links.visitor_id').whereRef('past_links.visitor_id', '=', 'visitors.visitor_id').whereRef('past_links.site_id', '=', 'visitors.site_id'))),
          )
          .limit(batchSize);
        if (isPostgres(trx)) choose = choose.forUpdate().skipLocked();
        const ids = (await choose.execute()).map((v) => v.visitor_id);
        if (!ids.length) return ids;
        const deleted = await retractVisitors(trx, site.key, ids, () => trx.deleteFrom('events').where('site_id', '=', site.key).where('visitor_id', 'in', ids).executeTakeFirst());
        events += Number(deleted.numDeletedRows);
        await trx.deleteFrom('sessions').where('site_id', '=', site.key).where('visitor_id', 'in', ids).execute();
        await trx.deleteFrom('score_hits').where('subject', 'in', ids.map((id) => `visitor:${site.key}:${id}`)).execute();
        await trx.deleteFrom('visitors').where('site_id', '=', site.key).where('visitor_id', 'in', ids).execute();
        return ids;
      });
      visitors += ids.length;
      if (ids.length < batchSize) break;
    }
  }
  return { visitors, events };
}

/**
 * Runs the retention jobs (anonymous visitors, then inactive leads where a site sets it) now and
 * then every `everyMs` (default six hours), inside the server: nobody has to remember a cron entry.
 */
export function scheduleRetention(db: Kysely<Database>, config: LeadbeamConfig, everyMs = 6 * 3_600_000) {
  const run = () =>
    expireAnonymousVisitors(db, config, Date.now())
      .then(({ visitors, events }) => visitors && logger.info({ visitors, events }, 'retention removed anonymous visitors'))
      .then(() => expireInactiveLeads(db, config, Date.now()))
      .then((r) => r?.leads && logger.info({ leads: r.leads }, 'retention erased inactive leads'))
      .catch((err) => logger.error({ err: err instanceof Error ? err.message : String(err) }, 'retention job failed'));
  void run();
  const timer = setInterval(run, everyMs);
  timer.unref?.();
  return () => clearInterval(timer);
}
