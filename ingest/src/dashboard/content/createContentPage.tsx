import { Hono } from 'hono';
import { z } from 'zod';
import { ApiError } from '../../http/apiError.js';
import { contentBeforeConversion } from '../../reports/contentBeforeConversion.js';
import { pageRulePreview } from '../../reports/pageRulePreview.js';
import { pageTraffic } from '../../reports/pageTraffic.js';
import { untaggedPages } from '../../reports/untaggedPages.js';
import { catchUpRollups } from '../../rollups/processRollupQueue.js';
import type { DashboardDeps, DashboardEnv } from '../dashboardEnv.js';
import { createReportCache } from '../layout/createReportCache.js';
import { formatDate } from '../layout/format.js';
import { pageHref } from '../layout/links.js';
import { FiguresAge } from '../layout/FiguresAge.js';
import { TableScroll } from '../layout/TableScroll.js';

const DAY = 86_400_000;
const PERIODS = [7, 30, 90] as const;
const querySchema = z.object({
  site: z.string().optional(),
  days: z.coerce
    .number()
    .int()
    .refine((d) => (PERIODS as readonly number[]).includes(d), `one of ${PERIODS.join(', ')}`)
    .default(30),
});

/** Pages listed in the table; the rule preview and the untagged list look at more. */
const SHOWN_PAGES = 100;
/** Paths read for the rule preview and the untagged list: the period's most viewed. */
const PREVIEW_PATHS = 2000;
const SHOWN_UNTAGGED = 50;

const STAGE_LABEL: Record<string, string> = { top: 'Top', middle: 'Middle', bottom: 'Bottom' };
const stageLabel = (s: string | null | undefined) => (s ? (STAGE_LABEL[s] ?? s) : 'no stage');
const share = (n: number, of: number) => (of ? `${Math.round((100 * n) / of)} %` : '–');

/**
 * `GET /app/content`: which content the site's visitors read, by funnel stage and category,
 * and which pages preceded the period's new leads and MQLs (the top- versus bottom-of-funnel
 * question); the untagged pages to tag, and each URL rule with the real paths it matches.
 *
 * @example
 * dashboard.route('/', createContentPage(deps));
 */
export function createContentPage({ db: mainDb, reportsDb: db = mainDb, now = Date.now }: DashboardDeps) {
  const app = new Hono<DashboardEnv>();
  // A period's figures move slowly and cost a pass over its page views: kept a minute.
  const reports = createReportCache<{ from: number; to: number; traffic: Awaited<ReturnType<typeof pageTraffic>>; converted: Awaited<ReturnType<typeof contentBeforeConversion>> }>({ ttlMs: 60_000, now });
  app.get('/content', async (c) => {
    const query = querySchema.safeParse(c.req.query());
    if (!query.success) throw ApiError.fromZod(query.error);
    const site = c.get('site');
    const { value, at, stale } = await reports(`${site.key}:${query.data.days}`, async () => {
      // Whole UTC days (today and the days before it), so that distinct visitors come from the
      // daily rollups, with the events of the last second folded in first.
      const to = (Math.floor(now() / DAY) + 1) * DAY;
      const from = to - query.data.days * DAY;
      await catchUpRollups(mainDb);
      const [traffic, converted] = await Promise.all([pageTraffic(db, { site: site.key, from, to, limit: PREVIEW_PATHS }), contentBeforeConversion(db, { site: site.key, from, to })]);
      return { from, to, traffic, converted };
    });
    const { from, to, traffic, converted } = value;
    const preceded = new Map(converted.pages.map((p) => [p.path, p]));
    const shown = traffic.pages.slice(0, SHOWN_PAGES);
    // Pages that preceded conversions but are not among the most viewed still belong in the table.
    const inTable = new Set(shown.map((p) => p.path));
    const extra = converted.pages.filter((p) => !inTable.has(p.path) && p.leads + p.mqls > 0).slice(0, 50);
    const untagged = untaggedPages(site.pages, traffic.pages);
    const rules = pageRulePreview(site.pages, traffic.pages);
    const stageRow = (stage: string | null) => converted.stages.find((s) => s.stage === stage) ?? { leads: 0, mqls: 0 };

    return c.render(
      <>
        <form method="get" action="/app/content" class="filters" aria-label="Period">
          <input type="hidden" name="site" value={site.key} />
          <div>
            <label for="days">Period</label>
            <select id="days" name="days">
              {PERIODS.map((d) => (
                <option value={d} selected={d === query.data.days}>
                  Last {d} days
                </option>
              ))}
            </select>
          </div>
          <button type="submit">Show</button>
        </form>
        <p class="muted">
          From {formatDate(from)} to {formatDate(to - 1)}, whole days (UTC); figures <FiguresAge at={at} stale={stale} />.
        </p>

        <section aria-labelledby="pipeline">
          <h2 id="pipeline">Content before conversion</h2>
          <p>
            Of the {converted.leads} leads and {converted.mqls} MQLs of the period, how many had viewed pages of each funnel stage before they became a lead or an MQL.
            {converted.sampled.leads < converted.leads || converted.sampled.mqls < converted.mqls
              ? ` Pages and stages are counted over the latest ${converted.sampled.leads} leads and ${converted.sampled.mqls} MQLs of the period; shares are of those.`
              : ''}
          </p>
          <div class="panel">
            <TableScroll label="Leads and MQLs by the funnel stage of the content they viewed before">
              <table>
                <caption class="sr-only">Leads and MQLs by the funnel stage of the content they viewed before</caption>
                <thead>
                  <tr>
                    <th scope="col">Funnel stage viewed before</th>
                    <th scope="col" class="num">Leads</th>
                    <th scope="col" class="num">Share of leads</th>
                    <th scope="col" class="num">MQLs</th>
                    <th scope="col" class="num">Share of MQLs</th>
                  </tr>
                </thead>
                <tbody>
                  {(['top', 'middle', 'bottom', null] as const).map((stage) => {
                    const row = stageRow(stage);
                    return (
                      <tr data-stage={stage ?? 'untagged'}>
                        <th scope="row">{stage ? stageLabel(stage) : 'Pages with no stage'}</th>
                        <td class="num">{row.leads}</td>
                        <td class="num">{share(row.leads, converted.sampled.leads)}</td>
                        <td class="num">{row.mqls}</td>
                        <td class="num">{share(row.mqls, converted.sampled.mqls)}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </TableScroll>
          </div>
        </section>

        <section aria-labelledby="groups">
          <h2 id="groups">By funnel stage and category</h2>
          <div class="panel">
            <TableScroll label="Page views by funnel stage and category">
              <table>
                <caption class="sr-only">Page views by funnel stage and category</caption>
                <thead>
                  <tr>
                    <th scope="col">Stage</th>
                    <th scope="col">Category</th>
                    <th scope="col" class="num">Pages</th>
                    <th scope="col" class="num">Views</th>
                    <th scope="col" class="num">Visitors</th>
                  </tr>
                </thead>
                <tbody>
                  {traffic.groups.length ? (
                    traffic.groups.map((g) => (
                      <tr>
                        <th scope="row">{stageLabel(g.stage)}</th>
                        <td>{g.category ?? '–'}</td>
                        <td class="num">{g.pages}</td>
                        <td class="num">{g.views}</td>
                        <td class="num">{g.visitors}</td>
                      </tr>
                    ))
                  ) : (
                    <tr>
                      <td colspan={5}>No page views in this period.</td>
                    </tr>
                  )}
                </tbody>
              </table>
            </TableScroll>
          </div>
        </section>

        <section aria-labelledby="pages">
          <h2 id="pages">Pages</h2>
          <p>The most viewed pages of the period, then others that preceded leads or MQLs. Leads and MQLs: how many had viewed the page before they became one.</p>
          <div class="panel">
            <TableScroll label="Pages with their views, visitors and the leads and MQLs they preceded">
              <table id="content-pages">
                <caption class="sr-only">Pages with their views, visitors and the leads and MQLs they preceded</caption>
                <thead>
                  <tr>
                    <th scope="col">Page</th>
                    <th scope="col">Stage</th>
                    <th scope="col" class="hide-narrow">Category</th>
                    <th scope="col" class="num">Views</th>
                    <th scope="col" class="num">Visitors</th>
                    <th scope="col" class="num">Leads</th>
                    <th scope="col" class="num">MQLs</th>
                  </tr>
                </thead>
                <tbody>
                  {shown.map((p) => (
                    <tr data-path={p.path}>
                      <th scope="row">{p.path}</th>
                      <td>{stageLabel(p.stage)}</td>
                      <td class="hide-narrow">{p.category ?? '–'}</td>
                      <td class="num">{p.views}</td>
                      <td class="num">{p.visitors}</td>
                      <td class="num">{preceded.get(p.path)?.leads ?? 0}</td>
                      <td class="num">{preceded.get(p.path)?.mqls ?? 0}</td>
                    </tr>
                  ))}
                  {extra.map((p) => (
                    <tr data-path={p.path}>
                      <th scope="row">{p.path}</th>
                      <td colspan={2}>not viewed in this period</td>
                      <td class="num">0</td>
                      <td class="num">0</td>
                      <td class="num">{p.leads}</td>
                      <td class="num">{p.mqls}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
            {traffic.pages.length > SHOWN_PAGES ? <p>The {SHOWN_PAGES} most viewed of {traffic.more ? `more than ${PREVIEW_PATHS}` : traffic.pages.length} pages.</p> : null}
          </div>
        </section>

        <section aria-labelledby="untagged">
          <h2 id="untagged">Untagged pages</h2>
          <p>
            Pages with no funnel stage and no category: neither their markup (<code>leadbeam:stage</code> and <code>leadbeam:category</code> meta tags) nor a URL rule of the site tags them. Add a rule to the site's <code>pages</code> in the config file to tag them: it applies from the ingest's next restart, to page views from then on.
          </p>
          {untagged.length ? (
            <div class="panel">
              <TableScroll label="Untagged pages, most viewed first">
                <table id="untagged-pages">
                  <caption class="sr-only">Untagged pages, most viewed first</caption>
                  <thead>
                    <tr>
                      <th scope="col">Page</th>
                      <th scope="col" class="num">Views</th>
                      <th scope="col" class="num">Visitors</th>
                    </tr>
                  </thead>
                  <tbody>
                    {untagged.slice(0, SHOWN_UNTAGGED).map((p) => (
                      <tr>
                        <th scope="row">{p.path}</th>
                        <td class="num">{p.views}</td>
                        <td class="num">{p.visitors}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableScroll>
              {untagged.length > SHOWN_UNTAGGED ? <p>The {SHOWN_UNTAGGED} most viewed of {untagged.length} untagged pages.</p> : null}
            </div>
          ) : (
            <p class="notice">Every page viewed in this period is tagged.</p>
          )}
        </section>

        <section aria-labelledby="rules">
          <h2 id="rules">URL rules</h2>
          <p>
            The site's <code>pages</code> rules, in order (the first rule that matches a page gives it its stage and category), each with the real paths it matches among the pages viewed in this period.
          </p>
          {rules.length ? (
            <div class="panel">
              <TableScroll label="URL rules with the paths they match">
                <table id="page-rules">
                  <caption class="sr-only">URL rules with the paths they match</caption>
                  <thead>
                    <tr>
                      <th scope="col">Pattern</th>
                      <th scope="col">Stage</th>
                      <th scope="col">Category</th>
                      <th scope="col" class="num">Pages</th>
                      <th scope="col" class="num">Views</th>
                      <th scope="col">Matches</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rules.map((r) => (
                      <tr data-rule={r.rule.match}>
                        <th scope="row">
                          <code>{r.rule.match}</code>
                        </th>
                        <td>{r.rule.stage ? stageLabel(r.rule.stage) : '–'}</td>
                        <td>{r.rule.category ?? '–'}</td>
                        <td class="num">{r.matched}</td>
                        <td class="num">{r.views}</td>
                        <td>
                          {r.paths.length ? (
                            <ul class="paths">
                              {r.paths.map((p) => (
                                <li>
                                  <code>{p.path}</code> ({p.views}){p.shadowedBy ? <span class="badge warn">{` ${p.shadowedBy} comes first`}</span> : null}
                                </li>
                              ))}
                              {r.matched > r.paths.length ? <li>and {r.matched - r.paths.length} more</li> : null}
                            </ul>
                          ) : (
                            <span class="badge warn">matches no page viewed in this period</span>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableScroll>
            </div>
          ) : (
            <p class="notice">
              This site has no URL rules. <a href={pageHref(c, '/app/content', { days: query.data.days })}>Pages</a> are tagged by their markup only.
            </p>
          )}
        </section>
      </>,
      { title: 'Content' },
    );
  });
  return app;
}
