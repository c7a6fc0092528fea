import { Hono } from 'hono';
import type { DashboardDeps, DashboardEnv } from '../dashboardEnv.js';
import { pageHref } from '../layout/links.js';

/**
 * `GET /app`: the overview of the chosen site.
 *
 * @example
 * dashboard.route('/', createOverviewPage(deps));
 */
export function createOverviewPage({ db }: DashboardDeps) {
  const app = new Hono<DashboardEnv>();
  app.get('/', async (c) => {
    const site = c.get('site');
    const stages = await db.selectFrom('leads').select(['stage', (eb) => eb.fn.countAll<number | string>().as('n')]).where('site_id', '=', site.key).where('merged_into', 'is', null).groupBy('stage').execute();
    return c.render(
      <section aria-labelledby="stages">
        <h2 id="stages">Leads by stage</h2>
        <ul>
          {stages.map((s) => (
            <li>
              <a href={pageHref(c, '/app/leads', { stage: s.stage })}>{s.stage}</a>: {Number(s.n)}
            </li>
          ))}
        </ul>
      </section>,
      { title: 'Overview' },
    );
  });
  return app;
}
