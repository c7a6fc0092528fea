import { Hono } from 'hono';
import { z } from 'zod';
import { LEAD_SORTS, isLeadListCursor, listLeads } from '../../reports/listLeads.js';
import { STAGES } from '../../scoring/lifecycle.js';
import type { DashboardDeps, DashboardEnv } from '../dashboardEnv.js';
import { formatScore, formatTime, stageLabel } from '../layout/format.js';
import { pageHref } from '../layout/links.js';
import { TableScroll } from '../layout/TableScroll.js';

/** An empty field of a GET form means "not set". */
const optional = <T extends z.ZodTypeAny>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const filtersSchema = z.object({
  stage: optional(z.enum(STAGES)),
  min: optional(z.coerce.number().finite()),
  max: optional(z.coerce.number().finite()),
  active: optional(z.coerce.number().int().min(1).max(3650)),
  q: optional(z.string().max(200)),
  sort: optional(z.enum(LEAD_SORTS)),
  order: optional(z.enum(['asc', 'desc'])),
  after: optional(z.string().max(500)),
});
type Filters = z.infer<typeof filtersSchema>;

const FILTER_LABELS: Record<keyof Filters, string> = { stage: 'Stage', min: 'Score from', max: 'Score to', active: 'Active in the last (days)', q: 'Email or company', sort: 'Sort by', order: 'Order', after: 'Page' };

/**
 * The filters of a URL, each parsed on its own: the valid ones, and the problem of each invalid
 * one (named by its label, with what was given), so the page can keep the form and say what to
 * fix instead of answering with an error page.
 */
function readFilters(query: Record<string, string>): { filters: Filters; problems: Array<{ field: keyof Filters; message: string }> } {
  const filters: Filters = {};
  const problems: Array<{ field: keyof Filters; message: string }> = [];
  for (const field of Object.keys(filtersSchema.shape) as Array<keyof Filters>) {
    const one = filtersSchema.shape[field].safeParse(query[field]);
    if (one.success) (filters as Record<string, unknown>)[field] = one.data;
    else problems.push({ field, message: `${FILTER_LABELS[field]}: "${query[field]}" is not valid (${one.error.issues[0]?.message ?? 'invalid'})` });
  }
  // Each valid alone, yet not together or not ours: said rather than answered with an empty or first page.
  if (filters.min !== undefined && filters.max !== undefined && filters.min > filters.max) problems.push({ field: 'max', message: `Score to: ${filters.max} is below Score from (${filters.min}); no lead can match` });
  if (filters.after !== undefined && !isLeadListCursor(filters.after)) problems.push({ field: 'after', message: 'Page: the link to this page is broken or out of date; start again from the first page' });
  return { filters, problems };
}

const SORT_LABELS: Record<(typeof LEAD_SORTS)[number], string> = { activity: 'Last activity', score: 'Score', created: 'Created' };

/**
 * `GET /app/leads`: the site's leads, filtered by stage, score range, recent activity and a
 * search in email or company, sorted and paged by keyset. Every filter is in the URL (a GET
 * form), so a view can be bookmarked or shared.
 *
 * @example
 * dashboard.route('/', createLeadsPage(deps));
 */
export function createLeadsPage({ db: mainDb, reportsDb: db = mainDb, scorers, now = Date.now }: DashboardDeps) {
  const app = new Hono<DashboardEnv>();
  app.get('/leads', async (c) => {
    const { filters, problems } = readFilters(c.req.query());
    const site = c.get('site');
    // A bad filter lists nothing rather than leads it did not ask for: the form stays, and says what to fix.
    const { leads, nextCursor } = problems.length
      ? { leads: [], nextCursor: null }
      : await listLeads(
          db,
          scorers.get(site.key),
          { site: site.key, stage: filters.stage, minScore: filters.min, maxScore: filters.max, activeDays: filters.active, search: filters.q, sort: filters.sort, order: filters.order, after: filters.after },
          now(),
        );
    if (problems.length) c.status(400);
    const { after: _after, ...kept } = filters;
    const filtered = Object.values(kept).some((v) => v !== undefined);
    return c.render(
      <>
        <form method="get" action="/app/leads" class="filters panel" role="search" aria-label="Filter leads">
          <input type="hidden" name="site" value={site.key} />
          <div>
            <label for="f-q">Email or company</label>
            <input id="f-q" name="q" type="search" value={filters.q ?? ''} placeholder="ana@ or Fernhill" />
          </div>
          <div>
            <label for="f-stage">Stage</label>
            <select id="f-stage" name="stage">
              <option value="">Any</option>
              {STAGES.filter((s) => s !== 'visitor').map((s) => (
                <option value={s} selected={filters.stage === s}>
                  {stageLabel(s)}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="f-min">Score from</label>
            <input id="f-min" name="min" type="number" step="any" inputmode="decimal" size={5} value={filters.min ?? ''} />
          </div>
          <div>
            <label for="f-max">Score to</label>
            <input id="f-max" name="max" type="number" step="any" inputmode="decimal" size={5} value={filters.max ?? ''} />
          </div>
          <div>
            <label for="f-active">Active in the last (days)</label>
            <input id="f-active" name="active" type="number" min="1" max="3650" size={4} value={filters.active ?? ''} />
          </div>
          <div>
            <label for="f-sort">Sort by</label>
            <select id="f-sort" name="sort">
              {LEAD_SORTS.map((s) => (
                <option value={s} selected={(filters.sort ?? 'activity') === s}>
                  {SORT_LABELS[s]}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="f-order">Order</label>
            <select id="f-order" name="order">
              <option value="desc" selected={(filters.order ?? 'desc') === 'desc'}>
                Highest / newest first
              </option>
              <option value="asc" selected={filters.order === 'asc'}>
                Lowest / oldest first
              </option>
            </select>
          </div>
          <div>
            <button type="submit">Show</button> {filtered ? <a href={pageHref(c, '/app/leads')}>Clear</a> : null}
          </div>
        </form>
        {problems.length ? (
          <div role="alert" id="filters-error" class="notice">
            {problems.map((p) => (
              <p data-field={p.field}>{p.message}</p>
            ))}
            <p>Fix the filter above and press Show.</p>
          </div>
        ) : null}
        <div class="panel">
          <TableScroll label={`Leads${filters.after ? ', a later page' : ''}; times in UTC`}>
            <table class="leads">
              <caption class="sr-only">Leads{filters.after ? ', a later page' : ''}; times in UTC</caption>
              <thead>
                <tr>
                  <th scope="col">Email</th>
                  <th scope="col">Stage</th>
                  <th scope="col" class="num">Score</th>
                  <th scope="col" class="num hide-narrow">Fit</th>
                  <th scope="col" class="num hide-narrow">Engagement</th>
                  <th scope="col">Last activity (UTC)</th>
                  <th scope="col" class="hide-narrow">Company</th>
                  <th scope="col" class="hide-narrow">Job title</th>
                </tr>
              </thead>
              <tbody>
                {leads.map((lead) => (
                  <tr>
                    <th scope="row">
                      <a href={pageHref(c, `/app/leads/${encodeURIComponent(lead.id)}`)}>{lead.email}</a>
                    </th>
                    <td>
                      <span class="badge">{stageLabel(lead.stage)}</span>
                    </td>
                    <td class="num">{formatScore(lead.score.total)}</td>
                    <td class="num hide-narrow">{formatScore(lead.score.fit)}</td>
                    <td class="num hide-narrow">{formatScore(lead.score.engagement)}</td>
                    <td>{formatTime(lead.lastActivityAt)}</td>
                    <td class="hide-narrow">{lead.company ?? ''}</td>
                    <td class="hide-narrow">{lead.jobTitle ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
          {leads.length === 0 && !problems.length ? <p role="status">No leads match{filtered ? ' these filters' : ' yet'}.</p> : null}
        </div>
        <nav class="pager" aria-label="Pages">
          {filters.after ? <a href={pageHref(c, '/app/leads', { ...kept })}>First page</a> : null}
          {nextCursor ? (
            <a href={pageHref(c, '/app/leads', { ...kept, after: nextCursor })} rel="next">
              Next page
            </a>
          ) : null}
        </nav>
      </>,
      { title: 'Leads' },
    );
  });
  return app;
}
