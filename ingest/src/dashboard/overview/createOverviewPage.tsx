import { Hono, type Context } from 'hono';
import type { Child } from 'hono/jsx';
import { followUpSummary } from '../../followUp/followUpSummary.js';
import { weeklyEvaluation, type OutcomeCounts } from '../../followUp/weeklyEvaluation.js';
import { ApiError } from '../../http/apiError.js';
import { dailyTrend } from '../../reports/dailyTrend.js';
import { funnelFigures } from '../../reports/funnelFigures.js';
import { leadsByFirstTouch, type CohortFunnel } from '../../reports/leadsByFirstTouch.js';
import { speedToLead } from '../../reports/speedToLead.js';
import { catchUpRollups } from '../../rollups/processRollupQueue.js';
import type { DashboardDeps, DashboardEnv } from '../dashboardEnv.js';
import type { SiteConfig } from '../../config/schema.js';
import { Chart } from '../layout/Chart.js';
import { createReportCache } from '../layout/createReportCache.js';
import { formatDate, formatDuration, formatShare, formatTime } from '../layout/format.js';
import { FiguresAge } from '../layout/FiguresAge.js';
import { pageHref } from '../layout/links.js';
import { choosePeriod, periodBounds, periodQuery, PRESETS, type Period, type PeriodProblem } from './choosePeriod.js';
import { TableScroll } from '../layout/TableScroll.js';
import { reasonLabel } from '../leads/reasonLabel.js';

const DAY_MS = 86_400_000;

/** Figures are computed about once a minute for a site and period. */
const FIGURES_TTL_MS = 60_000;

const FUNNEL = [
  ['visitors', 'Visitors'],
  ['leads', 'Leads'],
  ['mqls', 'MQLs'],
  ['sqls', 'SQLs'],
  ['customers', 'Customers'],
] as const;

function CohortCells({ row }: { row: CohortFunnel }) {
  return (
    <>
      <td class="num">{row.leads}</td>
      <td class="num">{row.mqls}</td>
      <td class="num hide-narrow">{formatShare(row.mqls, row.leads)}</td>
      <td class="num">{row.sqls}</td>
      <td class="num">{row.customers}</td>
    </>
  );
}

const cohortHead = (
  <>
    <th scope="col" class="num">
      Leads
    </th>
    <th scope="col" class="num">
      MQLs
    </th>
    <th scope="col" class="num hide-narrow">
      Lead → MQL
    </th>
    <th scope="col" class="num">
      SQLs
    </th>
    <th scope="col" class="num">
      Customers
    </th>
  </>
);

function OutcomeCells({ row }: { row: OutcomeCounts }) {
  return (
    <>
      <td class="num">{row.mqls}</td>
      <td class="num">{row.accepted}</td>
      <td class="num">{row.rejected}</td>
      <td class="num">{row.won}</td>
      <td class="num">{row.lost}</td>
      <td class="num hide-narrow">{row.contacted}</td>
      <td class="num">{row.noAnswer}</td>
    </>
  );
}

const outcomeHead = (
  <>
    {['MQLs', 'Accepted', 'Rejected', 'Won', 'Lost'].map((h) => (
      <th scope="col" class="num">
        {h}
      </th>
    ))}
    <th scope="col" class="num hide-narrow">
      Contacted
    </th>
    <th scope="col" class="num">
      No answer
    </th>
  </>
);

/**
 * The period form (a GET form): a preset or custom dates. It says which dates it showed
 * (`shownFrom`, `shownTo`), so that dates a person edits mean custom dates even when the select
 * was left on a preset (the script also switches the select when a date is edited, and sends no
 * dates with a preset). Problems with the dates are shown beside them, with what was typed.
 */
function PeriodForm({ c, period, from, to, problems = {} }: { c: Context<DashboardEnv>; period: Period['period']; from: string; to: string; problems?: PeriodProblem['problems'] }) {
  const error = (field: 'from' | 'to'): Child =>
    problems[field] ? (
      <p role="alert" id={`o-${field}-error`} class="field-error">
        {problems[field]}
      </p>
    ) : null;
  return (
    <form method="get" action="/app" class="filters panel" aria-label="Period" data-period-form>
      <input type="hidden" name="site" value={c.get('site').key} />
      <input type="hidden" name="shownFrom" value={from} />
      <input type="hidden" name="shownTo" value={to} />
      <div>
        <label for="o-period">Period</label>
        <select id="o-period" name="period">
          {PRESETS.map((d) => (
            <option value={d} selected={period === d}>
              Last {d} days
            </option>
          ))}
          <option value="custom" selected={period === 'custom'}>
            Custom dates
          </option>
        </select>
      </div>
      <div>
        <label for="o-from">From (custom)</label>
        <input id="o-from" name="from" type="date" value={from} aria-invalid={problems.from ? 'true' : undefined} aria-describedby={problems.from ? 'o-from-error' : undefined} />
        {error('from')}
      </div>
      <div>
        <label for="o-to">To (custom, inclusive)</label>
        <input id="o-to" name="to" type="date" value={to} aria-invalid={problems.to ? 'true' : undefined} aria-describedby={problems.to ? 'o-to-error' : undefined} />
        {error('to')}
      </div>
      <div>
        <button type="submit">Show</button>
      </div>
    </form>
  );
}

/** Every figure of the overview for a site and period, as of `at`. */
async function computeOverview(db: DashboardDeps['db'], site: SiteConfig, p: Period, at: number) {
  const { from, to } = periodBounds(p, at);
  const range = { site: site.key, from, to };
  // The weekly evaluation covers the period's last seven days.
  const weekFrom = Math.max(from, to - 7 * DAY_MS);
  const figures = await Promise.all([
    funnelFigures(db, range),
    dailyTrend(db, range),
    leadsByFirstTouch(db, range),
    speedToLead(db, range),
    followUpSummary(db, site, { from, to, now: at }),
    weeklyEvaluation(db, site, { from: weekFrom, to }),
  ]);
  return { from, to, weekFrom, figures };
}

/**
 * `GET /app`: the overview of the chosen site for a period (last 30 days by default; 7, 30,
 * 90 days or custom dates): the funnel with conversions, leads by first campaign and by the
 * content stage that first touched them, speed to lead, a daily trend, and the follow-up
 * agreement with sales (answered within it, overdue MQLs, the weekly evaluation). The figures
 * of a site and period are computed about once a minute, behind the page (they aggregate the
 * whole period): only the first view of a period after a start waits for them.
 *
 * @example
 * dashboard.route('/', createOverviewPage(deps));
 */
export function createOverviewPage({ db: mainDb, reportsDb: db = mainDb, now = Date.now }: DashboardDeps) {
  const app = new Hono<DashboardEnv>();
  const cache = createReportCache<Awaited<ReturnType<typeof computeOverview>>>({ ttlMs: FIGURES_TTL_MS, now });
  app.get('/', async (c) => {
    const parsed = periodQuery.safeParse(c.req.query());
    if (!parsed.success) throw ApiError.fromZod(parsed.error);
    const site = c.get('site');
    const p = choosePeriod(parsed.data, now());
    if ('problems' in p) {
      // Dates that make no period: the form again, with what was typed and what is wrong.
      c.status(400);
      return c.render(
        <>
          <PeriodForm c={c} period="custom" from={p.typed.from} to={p.typed.to} problems={p.problems} />
          <p class="muted">No figures until the dates above make a period.</p>
        </>,
        { title: 'Overview' },
      );
    }
    // One entry a site and period (a preset moves with the clock; its entry is refreshed behind the page).
    const key = p.period === 'custom' ? `${site.key}:${p.from}:${p.to}` : `${site.key}:${p.period}`;
    const computed = await cache(key, async () => {
      // Events of the last second are folded into the rollups before they are read.
      await catchUpRollups(mainDb);
      return computeOverview(db, site, p, now());
    });
    const { from, to, weekFrom, figures } = computed.value;
    const [funnel, trend, split, speed, followUp, week] = figures;
    const overdue = followUp.openLeads.filter((l) => l.overdue);
    return c.render(
      <>
        <PeriodForm c={c} period={p.period} from={formatDate(from)} to={formatDate(to - 1)} />
        <p class="muted">
          {formatDate(from)} to {formatDate(to - 1)}, whole days (UTC); figures <FiguresAge at={computed.at} stale={computed.stale} />.
        </p>

        <section aria-labelledby="funnel">
          <h2 id="funnel">Funnel</h2>
          <div class="cards">
            {FUNNEL.map(([key, label]) => (
              <div class="card">
                <div class="value num">{funnel[key]}</div>
                <div class="label">{label}</div>
              </div>
            ))}
          </div>
          <div class="panel">
            <TableScroll label="Funnel with the conversion from each step to the next">
              <table class="funnel">
                <caption class="sr-only">Funnel with the conversion from each step to the next</caption>
                <thead>
                  <tr>
                    <th scope="col">Step</th>
                    <th scope="col" class="num">
                      People
                    </th>
                    <th scope="col" class="num">
                      From the step before
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {FUNNEL.map(([key, label], i) => (
                    <tr>
                      <th scope="row">{label}</th>
                      <td class="num">{funnel[key]}</td>
                      <td class="num">{i === 0 ? '' : formatShare(funnel[key], funnel[FUNNEL[i - 1]![0]])}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
            <p class="muted">Each step counts the people who reached it within the period: visitors active in the period, new leads, leads handed to sales (MQL), leads that became SQL, deals won.</p>
          </div>
        </section>

        <section aria-labelledby="trend">
          <h2 id="trend">Daily trend</h2>
          <Chart
            title="Visitors, new leads and MQLs a day (UTC)"
            x={trend.days.map((d) => d / 1000)}
            series={[
              { label: 'Visitors', values: trend.visitors },
              { label: 'New leads', values: trend.leads },
              { label: 'MQLs', values: trend.mqls },
            ]}
          />
        </section>

        <section aria-labelledby="speed">
          <h2 id="speed">Speed to lead</h2>
          <div class="cards">
            <div class="card">
              <div class="value num">{formatDuration(speed.medianMs)}</div>
              <div class="label">Median, handover to sales to first feedback</div>
            </div>
            <div class="card">
              <div class="value num">{formatDuration(speed.p90Ms)}</div>
              <div class="label">90th percentile, handover to first feedback</div>
            </div>
            <div class="card">
              <div class="value num">
                {speed.answered} / {speed.handovers}
              </div>
              <div class="label">handovers to sales answered</div>
            </div>
          </div>
          <p class="muted">Counted by handover to sales in the period: a lead handed over twice (back from nurture, say) counts twice here, once in the funnel’s MQLs.</p>
        </section>

        <section aria-labelledby="follow-up">
          <h2 id="follow-up">Follow-up agreement</h2>
          <div class="cards">
            <div class="card">
              <div class="value num">{followUp.answeredWithin.share === null ? '–' : formatShare(followUp.answeredWithin.count, followUp.mqls)}</div>
              <div class="label">of handovers to sales answered within {formatDuration(followUp.responseMinutes * 60_000)}</div>
            </div>
            <div class="card">
              <div class={followUp.overdue ? 'value num neg' : 'value num'}>{followUp.overdue}</div>
              <div class="label">MQLs overdue</div>
            </div>
            <div class="card">
              <div class="value num">{followUp.open}</div>
              <div class="label">MQLs waiting for sales</div>
            </div>
          </div>
          {overdue.length ? (
            <div class="panel">
              <p role="alert">
                <strong>
                  {followUp.overdue} {followUp.overdue === 1 ? 'MQL is' : 'MQLs are'} past the agreed response time of {formatDuration(followUp.responseMinutes * 60_000)}.
                </strong>
              </p>
              <TableScroll label="Overdue MQLs">
                <table>
                  <caption class="sr-only">Overdue MQLs</caption>
                  <thead>
                    <tr>
                      <th scope="col">Lead</th>
                      <th scope="col" class="hide-narrow">
                        Company
                      </th>
                      <th scope="col">Qualified (UTC)</th>
                      <th scope="col" class="num">
                        Overdue by
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {overdue.map((l) => (
                      <tr>
                        <th scope="row">
                          <a href={pageHref(c, `/app/leads/${encodeURIComponent(l.leadId)}`)}>{l.email}</a> <span class="badge warn">overdue</span>
                        </th>
                        <td class="hide-narrow">{l.company ?? ''}</td>
                        <td>{formatTime(Date.parse(l.qualifiedAt))}</td>
                        <td class="num">{formatDuration(l.overdueMinutes * 60_000)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableScroll>
            </div>
          ) : null}

          <h3 id="weekly">Weekly evaluation</h3>
          <p class="muted">
            MQLs handed to sales from {formatDate(weekFrom)} to {formatDate(to - 1)} (UTC), by where sales stand with them now.
          </p>
          <div class="panel">
            <TableScroll label="MQLs of the week by outcome">
              <table>
                <caption class="sr-only">MQLs of the week by outcome</caption>
                <thead>
                  <tr>
                    <th scope="col">All MQLs</th>
                    {outcomeHead}
                  </tr>
                </thead>
                <tbody>
                  <tr>
                    <th scope="row">This week</th>
                    <OutcomeCells row={week.outcomes} />
                  </tr>
                </tbody>
              </table>
            </TableScroll>
            {Object.keys(week.outcomes.rejectedFor).length ? (
              <p>
                Rejected because:{' '}
                {Object.entries(week.outcomes.rejectedFor)
                  .sort((a, b) => b[1] - a[1])
                  .map(([reason, n]) => `${reasonLabel(reason)} ${n}`)
                  .join(', ')}
              </p>
            ) : null}
          </div>
          <div class="panel">
            <TableScroll label="By the content that first touched the lead">
              <table>
                <caption>By the content that first touched the lead</caption>
                <thead>
                  <tr>
                    <th scope="col">First page</th>
                    {outcomeHead}
                  </tr>
                </thead>
                <tbody>
                  {week.byContent.map((r) => (
                    <tr>
                      <th scope="row">
                        {r.path ?? '(no page view)'} {r.stage ? <span class="badge">{r.stage}</span> : null}
                      </th>
                      <OutcomeCells row={r} />
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
          </div>
          <div class="panel">
            <TableScroll label="By the campaign of the lead's first visit">
              <table>
                <caption>By the campaign of the lead's first visit</caption>
                <thead>
                  <tr>
                    <th scope="col">Campaign</th>
                    {outcomeHead}
                  </tr>
                </thead>
                <tbody>
                  {week.byCampaign.map((r) => (
                    <tr>
                      <th scope="row">{[r.source, r.medium, r.campaign].some(Boolean) ? [r.source ?? '–', r.medium ?? '–', r.campaign ?? '–'].join(' / ') : '(direct)'}</th>
                      <OutcomeCells row={r} />
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
          </div>
        </section>

        <section aria-labelledby="by-campaign">
          <h2 id="by-campaign">New leads by campaign</h2>
          <p class="muted">Leads created in the period, by the campaign of their first visit (UTM source / medium / campaign), and how far they have come since.</p>
          <div class="panel">
            <TableScroll label="New leads by the campaign of their first visit">
              <table>
                <caption class="sr-only">New leads by the campaign of their first visit</caption>
                <thead>
                  <tr>
                    <th scope="col">Source</th>
                    <th scope="col">Medium</th>
                    <th scope="col">Campaign</th>
                    {cohortHead}
                  </tr>
                </thead>
                <tbody>
                  {split.byCampaign.map((r) => (
                    <tr>
                      <th scope="row">{r.source}</th>
                      <td>{r.medium ?? '–'}</td>
                      <td>{r.campaign ?? '–'}</td>
                      <CohortCells row={r} />
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
          </div>
        </section>

        <section aria-labelledby="by-stage">
          <h2 id="by-stage">New leads by the content stage that first touched them</h2>
          <div class="panel">
            <TableScroll label="New leads by first content stage">
              <table>
                <caption class="sr-only">New leads by first content stage</caption>
                <thead>
                  <tr>
                    <th scope="col">First content stage</th>
                    {cohortHead}
                  </tr>
                </thead>
                <tbody>
                  {split.byContentStage.map((r) => (
                    <tr>
                      <th scope="row">{r.stage ?? '(untagged)'}</th>
                      <CohortCells row={r} />
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
          </div>
        </section>
      </>,
      { title: 'Overview', charts: true },
    );
  });
  return app;
}
