/**
 * Bulk data for the dashboard benchmark: 100,000 leads and 1,000,000 events on the demo site,
 * with visitors, sessions, rule hits, stage changes, sales feedback, follow-up breaches,
 * webhooks and their deliveries, identity log and trait changes, in the shapes the write path
 * stores them. Written set-based (`INSERT … SELECT` over a generated series, one statement a
 * table or a rule) inside one transaction, the same SQL on SQLite and PostgreSQL, so a million
 * events take seconds rather than the pipeline's hours. Deterministic: arithmetic on row
 * numbers, no randomness.
 *
 * Shape: 250,000 visitors with 4 events each (two visits of two events), the first 100,000 of
 * them leads (`bl<i>` is lead `ld_b<i>`'s browser, its fourth event the form that made it);
 * events spread over 90 days before `now` across ~350 paths (the demo site's pages, 300 blog
 * posts, untagged pages) and 7 campaign sources; leads in every stage, sales feedback after
 * each handover at response times from minutes to a week, the MQLs left unanswered raised as
 * follow-up breaches.
 */
import { sql, type Kysely } from 'kysely';
import { isPostgres } from '../../ingest/src/db/dialect.js';
import type { Database } from '../../ingest/src/db/schema.js';
import { fillRollups } from '../../ingest/src/db/migrations/017_daily_rollups.js';
import { refreshFirstTouches } from '../../ingest/src/firstTouch/refreshFirstTouches.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const SITE = 'demo';
const ORIGIN = 'http://localhost:3000';

export interface BulkSize {
  leads: number;
  events: number;
}

export interface BulkReport {
  rows: Record<string, number>;
  seconds: number;
}

/** A deterministic number in [0, 1000003) from a row number and a salt: the generator's only source of variety. */
const h = (x: string, salt: number) => `((${x}) * 2654435761 + ${salt * 7919}) % 1000003`;
/** Caps a time at `now - 1 s`, so nothing happens after the benchmark starts. */
const capped = (t: string, now: number) => `(CASE WHEN ${t} > ${now - 1000} THEN ${now - 1000} ELSE ${t} END)`;

/**
 * Fills an empty, migrated database with the dashboard benchmark's data set.
 *
 * @example
 * const { rows, seconds } = await fillDashboardData(db, { leads: 100_000, events: 1_000_000 }, { now: Date.now(), ruleVersion: scorer.version });
 */
export async function fillDashboardData(db: Kysely<Database>, { leads, events }: BulkSize, { now, ruleVersion }: { now: number; ruleVersion: string }): Promise<BulkReport> {
  const started = performance.now();
  const pg = isPostgres(db);
  const visitors = Math.ceil(events / 4);
  if (leads > visitors) throw new Error(`${leads} leads need at least ${leads * 4} events`);
  const series = (n: number) => (pg ? `WITH RECURSIVE g(n) AS (SELECT generate_series(1, ${n}))` : `WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ${n})`);
  const rows: Record<string, number> = {};

  await db.transaction().execute(async (trx) => {
    const run = async (table: string, text: string) => {
      const result = await sql.raw(text).execute(trx);
      rows[table] = (rows[table] ?? 0) + Number(result.numAffectedRows ?? 0);
    };
    // Bulk data for a benchmark: losing it in a crash costs nothing, so PostgreSQL need not wait for the disk.
    if (pg) await sql`SET LOCAL synchronous_commit = off`.execute(trx);

    // Events: visitor v = (n - 1) / 4 + 1, its k-th event (k = 0..3), visit s = k / 2.
    const first = `${now - 90 * DAY} + (${h('v', 1)}) * 7689`; // in [now − 90 d, now − 1 d)
    // The demo site's pages, 300 blog posts, integrations and customer stories (untagged).
    const path = `COALESCE(pages.path, CASE WHEN e.pp < 4 THEN '/blog/post-' || (r % 300) WHEN e.pp = 17 THEN '/integrations/' || (r % 12) ELSE '/customers/' || (r % 30) END)`;
    await run(
      'events',
      `${series(events)},
      b AS (SELECT n, (n - 1) / 4 + 1 AS v, (n - 1) % 4 AS k FROM g),
      c AS (SELECT n, v, k, k / 2 AS s, ${first} AS first FROM b),
      d AS (
        SELECT n, v, k, s,
          first + s * (CASE WHEN first + 10 * ${DAY} + ${HOUR} > ${now} THEN 600000 ELSE (${h('v', 2)}) % 10 * ${DAY} + ${HOUR} END) + (k % 2) * (20000 + (${h('n', 3)}) % 600000) AS ts,
          CASE WHEN v <= ${leads} AND k = 3 THEN 100 ELSE (${h('n', 4)}) % 100 END AS tp,
          (${h('n', 5)}) % 20 AS pp,
          (${h('v * 2 + s', 6)}) % 10 AS cp,
          (${h('n', 7)}) AS r
        FROM c),
      e AS (
        SELECT n, v, k, s, ts, tp, cp, r,
          CASE WHEN tp = 100 THEN (CASE WHEN v % 3 = 0 THEN 10 ELSE 13 END) ELSE pp END AS pp
        FROM d)
      INSERT INTO events (site_id, id, visitor_id, session_id, type, name, ts, client_ts, received_at, visit, url, path, referrer, title, stage, category, campaign, props, traits)
      SELECT '${SITE}', 'be' || n, CASE WHEN v <= ${leads} THEN 'bl' ELSE 'ba' END || v, 'bs' || v || '_' || s,
        CASE WHEN tp = 100 THEN 'form' WHEN tp < 60 OR tp >= 91 THEN 'pageview' WHEN tp < 78 THEN 'engagement' WHEN tp < 83 THEN 'download' WHEN tp < 87 THEN 'click' ELSE 'track' END,
        CASE WHEN tp = 100 THEN (CASE WHEN v % 3 = 0 THEN 'demo-request' ELSE 'newsletter-signup' END) WHEN tp < 60 OR tp >= 91 OR tp < 78 THEN NULL WHEN tp < 83 THEN 'close-benchmark-2026.pdf' WHEN tp < 87 THEN 'webinar_signup' ELSE 'pricing_calculator_used' END,
        ts, ts, ts, s + 1,
        '${ORIGIN}' || ${path}, ${path},
        CASE WHEN k % 2 = 0 AND cp IN (5, 6) THEN 'https://www.google.com/' ELSE NULL END,
        ${path} || ' · Northwind Ledger', pages.stage, pages.category,
        CASE cp WHEN 0 THEN '{"source":"google","medium":"cpc","campaign":"close-software"}' WHEN 1 THEN '{"source":"google","medium":"cpc","campaign":"close-software","term":"month end close"}'
          WHEN 2 THEN '{"source":"linkedin","medium":"paid-social","campaign":"benchmark-2026"}' WHEN 3 THEN '{"source":"newsletter","medium":"email","campaign":"the-close-monthly"}'
          WHEN 4 THEN '{"source":"partner","medium":"referral","campaign":"two-day-close-webinar"}' WHEN 5 THEN '{"referrer":"https://www.google.com/"}' WHEN 6 THEN '{"referrer":"https://www.google.com/"}' ELSE NULL END,
        CASE WHEN tp = 100 OR tp < 60 OR tp >= 91 THEN NULL WHEN tp < 78 THEN '{"engagedMs":' || (r % 180000) || ',"scrollDepth":' || (r % 100) || '}'
          WHEN tp < 83 THEN '{"url":"${ORIGIN}/files/close-benchmark-2026.pdf"}' WHEN tp < 87 THEN '{"webinar":"two-day-close"}' ELSE '{"users":' || (r % 20 + 1) || '}' END,
        CASE WHEN tp = 100 THEN '{"email":"lead' || v || '@co' || (v % 20000) || '.example","company":"Company ' || (v % 20000) || '"}' ELSE NULL END
      FROM e JOIN (
        SELECT 0 AS pp, 'top' AS stage, 'blog' AS category, NULL AS path UNION ALL SELECT 1, 'top', 'blog', NULL UNION ALL SELECT 2, 'top', 'blog', NULL UNION ALL SELECT 3, 'top', 'blog', NULL
        UNION ALL SELECT 4, 'top', 'blog', '/blog/' UNION ALL SELECT 5, 'middle', 'guide', '/guides/month-end-close-checklist' UNION ALL SELECT 6, 'middle', 'guide', '/guides/'
        UNION ALL SELECT 7, 'middle', 'whitepaper', '/resources/' UNION ALL SELECT 8, 'bottom', 'pricing', '/pricing' UNION ALL SELECT 9, 'bottom', 'pricing', '/pricing'
        UNION ALL SELECT 10, 'bottom', 'demo-request', '/demo' UNION ALL SELECT 11, NULL, NULL, '/' UNION ALL SELECT 12, NULL, NULL, '/' UNION ALL SELECT 13, 'top', 'newsletter', '/newsletter'
        UNION ALL SELECT 14, NULL, 'careers', '/careers/' UNION ALL SELECT 15, NULL, NULL, '/about' UNION ALL SELECT 16, NULL, NULL, '/contact'
        UNION ALL SELECT 17, NULL, NULL, NULL UNION ALL SELECT 18, NULL, NULL, NULL UNION ALL SELECT 19, NULL, NULL, '/legal/privacy'
      ) pages ON pages.pp = e.pp`,
    );

    // Visits and visitors, from the events, as the write path rolls them up.
    await run(
      'sessions',
      `INSERT INTO sessions (site_id, session_id, visitor_id, started_at, campaign)
       SELECT site_id, session_id, MIN(visitor_id), MIN(ts), MIN(campaign) FROM events WHERE site_id = '${SITE}' GROUP BY site_id, session_id`,
    );
    await run(
      'visitors',
      `INSERT INTO visitors (site_id, visitor_id, first_seen_at, last_seen_at, visits, events, pageviews, pageviews_top, pageviews_middle, pageviews_bottom, updated_at, engagement, engagement_at)
       SELECT site_id, visitor_id, MIN(ts), MAX(ts), MAX(visit), COUNT(*),
         SUM(CASE WHEN type = 'pageview' THEN 1 ELSE 0 END), SUM(CASE WHEN type = 'pageview' AND stage = 'top' THEN 1 ELSE 0 END),
         SUM(CASE WHEN type = 'pageview' AND stage = 'middle' THEN 1 ELSE 0 END), SUM(CASE WHEN type = 'pageview' AND stage = 'bottom' THEN 1 ELSE 0 END),
         MAX(ts), SUM(CASE WHEN type = 'pageview' THEN 1 ELSE 0 END), MAX(ts)
       FROM events WHERE site_id = '${SITE}' GROUP BY site_id, visitor_id`,
    );

    // Leads: one per form event of a lead's browser; lead i's stage from i % 100.
    const stageOf = `CASE WHEN i % 100 < 50 THEN 'lead' WHEN i % 100 < 65 THEN 'mql' WHEN i % 100 < 75 THEN 'sql' WHEN i % 100 < 79 THEN 'opportunity' WHEN i % 100 < 83 THEN 'customer' WHEN i % 100 < 95 THEN 'recycled' ELSE 'disqualified' END`;
    const title = `CASE i % 6 WHEN 0 THEN 'CFO' WHEN 1 THEN 'Financial Controller' WHEN 2 THEN 'Finance Manager' WHEN 3 THEN 'Operations Manager' WHEN 4 THEN 'Founder' ELSE 'Senior Accountant' END`;
    const size = `CASE i % 4 WHEN 0 THEN '51-200' WHEN 1 THEN '201-1000' WHEN 2 THEN '11-50' ELSE '1-10' END`;
    const country = `CASE i % 7 WHEN 0 THEN 'de' WHEN 1 THEN 'gb' WHEN 2 THEN 'fr' WHEN 3 THEN 'nl' WHEN 4 THEN 'pt' WHEN 5 THEN 'es' ELSE 'us' END`;
    const fit = `(CASE WHEN i % 6 IN (0, 1, 2, 5) THEN 20 ELSE 0 END + CASE WHEN i % 4 IN (0, 1) THEN 15 WHEN i % 4 = 2 THEN 5 ELSE 0 END + CASE WHEN i % 7 = 6 THEN -20 ELSE 0 END)`;
    const traits = `'{"email":"lead' || i || '@co' || (i % 20000) || '.example","company":"Company ' || (i % 20000) || '","jobTitle":"' || ${title} || '","companySize":"' || ${size} || '","country":"' || ${country} || '"}'`;
    const engagement = `(CASE WHEN i % 100 < 50 THEN (${h('i', 8)}) % 60 ELSE 60 + (${h('i', 8)}) % 90 END)`;
    await run(
      'leads',
      `INSERT INTO leads (id, site_id, email, traits, stage, score_state, rule_version, engagement, engagement_at, fit, created_at, updated_at)
       SELECT 'ld_b' || i, '${SITE}', 'lead' || i || '@co' || (i % 20000) || '.example', ${traits}, ${stageOf},
         '{"engagement":' || ${engagement} || ',"at":' || ts || ',"lastId":"be' || (i * 4) || '","visits":["bs' || i || '_1"],"fired":{},"traits":' || ${traits} || '}',
         '${ruleVersion}', ${engagement}, ts, ${fit}, ts, ${capped(`ts + (${h('i', 9)}) % (5 * ${DAY})`, now)}
       FROM (SELECT CAST(substr(visitor_id, 3) AS INTEGER) AS i, ts FROM events WHERE site_id = '${SITE}' AND type = 'form' AND visitor_id LIKE 'bl%') forms`,
    );
    await run('lead_visitors', `INSERT INTO lead_visitors (site_id, visitor_id, lead_id, linked_at, from_ts, owns_traits) SELECT '${SITE}', 'bl' || substr(id, 5), id, created_at, 0, 1 FROM leads WHERE id LIKE 'ld_b%'`);

    // Rule hits of the demo rules, on the leads' events and the anonymous visitors' page views.
    const hits: Array<[string, number, string]> = [
      ['page-view', 1, `type = 'pageview'`],
      ['top-content', 2, `type = 'pageview' AND stage = 'top'`],
      ['middle-content', 5, `type = 'pageview' AND stage = 'middle'`],
      ['pricing-page', 10, `type = 'pageview' AND category = 'pricing'`],
      ['careers-page', -10, `type = 'pageview' AND category = 'careers'`],
      ['download', 10, `type = 'download'`],
      ['engaged-reading', 3, `type = 'engagement'`],
      ['pricing-calculator', 5, `type = 'track'`],
      ['demo-request', 30, `type = 'form' AND name = 'demo-request'`],
      ['newsletter', 10, `type = 'form' AND name = 'newsletter-signup'`],
    ];
    for (const [rule, points, where] of hits) {
      await run('score_hits', `INSERT INTO score_hits (subject, event_id, rule_id, points, ts) SELECT 'lead:ld_b' || substr(visitor_id, 3), id, '${rule}', ${points}, ts FROM events WHERE site_id = '${SITE}' AND visitor_id LIKE 'bl%' AND ${where}`);
    }
    await run('score_hits', `INSERT INTO score_hits (subject, event_id, rule_id, points, ts) SELECT 'visitor:${SITE}:' || visitor_id, id, 'page-view', 1, ts FROM events WHERE site_id = '${SITE}' AND visitor_id LIKE 'ba%' AND type = 'pageview'`);

    // Stage changes and sales feedback: the handover a minute after the form, sales' first answer after a response time from minutes to a week.
    const L = `(SELECT id, CAST(substr(id, 5) AS INTEGER) AS i, stage, created_at, engagement, fit FROM leads WHERE id LIKE 'ld_b%') l`;
    const mqlAt = `(created_at + 60000)`;
    const answer = `${capped(`${mqlAt} + CASE (${h('i', 10)}) % 4 WHEN 0 THEN 300000 + (${h('i', 11)}) % 3000000 WHEN 1 THEN ${HOUR} + (${h('i', 11)}) * 25 WHEN 2 THEN ${DAY} + (${h('i', 11)}) * 170 ELSE 4 * ${DAY} + (${h('i', 11)}) * 430 END`, now)}`;
    const change = (n: number, from: string, to: string, at: string, cause: string, source: string, where: string) =>
      run(
        'stage_changes',
        `INSERT INTO stage_changes (id, lead_id, from_stage, to_stage, at, cause, source, engagement, fit, rule_version, site_id, handover)
         SELECT 'sc_b' || i || '_${n}', id, ${from}, ${to}, ${at}, ${cause}, '${source}', engagement, fit, '${ruleVersion}', '${SITE}',
           CASE WHEN ${to} IN ('mql', 'sql') AND ${from} IN ('visitor', 'lead', 'recycled') AND '${source}' IN ('scoring', 'rescore') THEN 1 ELSE 0 END
         FROM ${L} WHERE ${where}`,
      );
    await change(1, `'visitor'`, `'lead'`, 'created_at', `CASE WHEN i % 3 = 0 THEN 'form:demo-request' ELSE 'form:newsletter-signup' END`, 'scoring', '1 = 1');
    await change(2, `'lead'`, `'mql'`, mqlAt, `CASE WHEN i % 3 = 0 THEN 'rule:demo-request' ELSE 'threshold:mql' END`, 'scoring', `stage <> 'lead'`);
    await change(3, `'mql'`, `'sql'`, answer, `'feedback:accepted'`, 'api', `stage IN ('sql', 'opportunity', 'customer')`);
    await change(4, `'sql'`, `'opportunity'`, capped(`${answer} + 3 * ${DAY}`, now), `'feedback:opportunity'`, 'api', `stage IN ('opportunity', 'customer')`);
    await change(5, `'opportunity'`, `'customer'`, capped(`${answer} + 12 * ${DAY}`, now), `'feedback:won'`, 'api', `stage = 'customer'`);
    await change(6, `'mql'`, `'recycled'`, answer, `'feedback:rejected:' || CASE i % 4 WHEN 0 THEN 'not_ready' WHEN 1 THEN 'no_budget' WHEN 2 THEN 'bad_fit' ELSE 'other' END`, 'api', `stage = 'recycled'`);
    await change(7, `'mql'`, `'disqualified'`, answer, `'feedback:rejected:bad_fit'`, 'api', `stage = 'disqualified'`);

    const feedback = (n: number, type: string, reason: string, at: string, first: boolean, where: string) =>
      run(
        'feedback',
        `INSERT INTO feedback (id, lead_id, type, reason, note, by_user, at, handover_at, response_ms)
         SELECT 'fb_b' || i || '_${n}', id, '${type}', ${reason}, NULL, 'sam@northwind.example', ${at}, ${first ? mqlAt : 'NULL'}, ${first ? `${at} - ${mqlAt}` : 'NULL'} FROM ${L} WHERE ${where}`,
      );
    await feedback(1, 'accepted', 'NULL', answer, true, `stage IN ('sql', 'opportunity', 'customer')`);
    await feedback(2, 'contacted', 'NULL', capped(`${answer} + ${HOUR}`, now), false, `stage IN ('sql', 'opportunity', 'customer') AND i % 2 = 0`);
    await feedback(3, 'opportunity', 'NULL', capped(`${answer} + 3 * ${DAY}`, now), false, `stage IN ('opportunity', 'customer')`);
    await feedback(4, 'won', 'NULL', capped(`${answer} + 12 * ${DAY}`, now), false, `stage = 'customer'`);
    await feedback(5, 'rejected', `CASE i % 4 WHEN 0 THEN 'not_ready' WHEN 1 THEN 'no_budget' WHEN 2 THEN 'bad_fit' ELSE 'other' END`, answer, true, `stage = 'recycled'`);
    await feedback(6, 'rejected', `'bad_fit'`, answer, true, `stage = 'disqualified'`);
    // What recordStageChanges and recordFeedback keep on each handover (migration 018): its first
    // answer, the lead's previous handover, and whether sales still owes an answer.
    await sql
      .raw(
        `UPDATE stage_changes SET
          first_answer_at = (SELECT min(feedback.at) FROM feedback WHERE feedback.lead_id = stage_changes.lead_id AND feedback.at >= stage_changes.at),
          prev_handover_at = (SELECT max(p.at) FROM stage_changes p
            WHERE p.lead_id = stage_changes.lead_id AND p.handover = 1 AND (p.at < stage_changes.at OR (p.at = stage_changes.at AND p.id < stage_changes.id)))
        WHERE handover = 1 AND id LIKE 'sc_b%'`,
      )
      .execute(trx);
    await sql
      .raw(`UPDATE stage_changes SET awaiting = 1 WHERE handover = 1 AND id LIKE 'sc_b%' AND first_answer_at IS NULL AND lead_id IN (SELECT id FROM leads WHERE stage IN ('mql', 'sql'))`)
      .execute(trx);
    // Unanswered MQLs past their hour were raised as breaches (so the checker finds none to raise at start).
    await run(
      'follow_up_breaches',
      `INSERT INTO follow_up_breaches (handover_id, site_id, lead_id, qualified_at, deadline_at, breached_at)
       SELECT 'sc_b' || i || '_2', '${SITE}', id, ${mqlAt}, ${mqlAt} + ${HOUR}, ${mqlAt} + ${HOUR} FROM ${L} WHERE stage = 'mql' AND ${mqlAt} + ${HOUR} < ${now}`,
    );

    // Identity: each lead's browser linked by its form, and the traits the form set.
    await run('identity_log', `INSERT INTO identity_log (id, site_id, visitor_id, lead_id, other_lead_id, kind, detail, at) SELECT 'il_b' || i, '${SITE}', 'bl' || i, id, NULL, 'linked', 'linked by form', created_at FROM ${L}`);
    for (const [n, trait, value] of [[1, 'company', `'Company ' || (i % 20000)`], [2, 'jobTitle', title]] as const) {
      await run('trait_changes', `INSERT INTO trait_changes (id, lead_id, trait, value, previous, source, visitor_id, accepted, at) SELECT 'tc_b' || i || '_${n}', id, '${trait}', ${value}, NULL, 'form:demo-request', 'bl' || i, 1, created_at FROM ${L}`);
    }

    // Two webhooks (to a loopback address the dispatcher refuses: nothing leaves the machine) and their delivery log.
    await run('webhooks', `INSERT INTO webhooks (id, site_id, url, secret, events, created_at) VALUES ('wh_bench_crm', '${SITE}', 'http://127.0.0.1:9/crm', 'whsec_YmVuY2gtc2VjcmV0LWJlbmNoLXNlY3JldC0wMQ==', '["lead.mql","lead.sql"]', ${now - 90 * DAY}), ('wh_bench_all', NULL, 'http://127.0.0.1:9/all', 'whsec_YmVuY2gtc2VjcmV0LWJlbmNoLXNlY3JldC0wMg==', '["lead.stage_changed"]', ${now - 90 * DAY})`);
    await run(
      'webhook_deliveries',
      `INSERT INTO webhook_deliveries (id, webhook_id, event_type, lead_id, payload, status, attempts, next_attempt_at, created_at, delivered_at)
       SELECT 'dl_b' || i || '_' || w.n, w.id, w.type, l.id, '{"type":"' || w.type || '","lead":{"id":"' || l.id || '"}}', CASE WHEN i % 50 = 0 THEN 'failed' ELSE 'delivered' END,
         CASE WHEN i % 50 = 0 THEN 8 ELSE 1 END, ${mqlAt}, ${mqlAt}, CASE WHEN i % 50 = 0 THEN NULL ELSE ${mqlAt} + 300 END
       FROM ${L} CROSS JOIN (SELECT 1 AS n, 'wh_bench_crm' AS id, 'lead.mql' AS type UNION ALL SELECT 2, 'wh_bench_all', 'lead.stage_changed') w WHERE stage <> 'lead'`,
    );
    await run(
      'webhook_attempts',
      `INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, error, duration_ms)
       SELECT id, 1, created_at, CASE WHEN status = 'failed' THEN 503 ELSE 200 END, NULL, 40 + LENGTH(id) FROM webhook_deliveries WHERE id LIKE 'dl_b%'`,
    );
  });
  // How far each lead came, as recordStageChanges keeps it on the lead with each change.
  await sql`UPDATE leads SET reached = (SELECT
      coalesce(max(CASE WHEN sc.to_stage IN ('mql', 'sql') AND sc.from_stage IN ('visitor', 'lead', 'recycled') AND sc.source IN ('scoring', 'rescore') THEN 1 ELSE 0 END), 0)
      + 2 * coalesce(max(CASE WHEN sc.to_stage = 'sql' THEN 1 ELSE 0 END), 0)
      + 4 * coalesce(max(CASE WHEN sc.to_stage = 'customer' THEN 1 ELSE 0 END), 0)
    FROM stage_changes sc WHERE sc.lead_id = leads.id) WHERE id LIKE 'ld_b%'`.execute(db);
  // The daily visitor and page-view rollups the server's job (rollups/) folds in, built set-based.
  await fillRollups(db);
  // As autovacuum leaves a table in steady use: statistics, and a visibility map for index-only scans.
  if (pg) await sql`VACUUM ANALYZE`.execute(db);
  // What a running server's first-touch job (firstTouch/) keeps on every lead, done as it does it
  // (after the statistics: without them PostgreSQL plans its look-ups badly, as it would not in use):
  // the first touch, and the lead's pages (leadPages/) rebuilt from its browsers' page views.
  while ((await refreshFirstTouches(db, 2000)) === 2000);
  if (pg) await sql`VACUUM ANALYZE leads, lead_pages`.execute(db);
  return { rows, seconds: (performance.now() - started) / 1000 };
}
