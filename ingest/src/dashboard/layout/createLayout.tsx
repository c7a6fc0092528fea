import type { Child } from 'hono/jsx';
import { jsxRenderer, useRequestContext } from 'hono/jsx-renderer';
import type { DashboardEnv } from '../dashboardEnv.js';
import { pageHref } from './links.js';

declare module 'hono' {
  interface ContextRenderer {
    (content: string | Promise<string>, props: PageProps): Response | Promise<Response>;
  }
}

/** What every page tells the layout. */
export interface PageProps {
  /** The page's heading and the start of the window's title. */
  title: string;
  /** The page loads uPlot and draws its `<Chart>`s. */
  charts?: boolean;
}

const NAV = [
  ['/app', 'Overview'],
  ['/app/leads', 'Leads'],
  ['/app/content', 'Content'],
  ['/app/scoring', 'Scoring'],
  ['/app/webhooks', 'Webhooks'],
] as const;

/** The section a path belongs to, so the navigation can mark it for screen readers too. */
const sectionOf = (path: string) => NAV.filter(([href]) => path === href || path.startsWith(href + '/')).at(-1)?.[0];

function Header() {
  const c = useRequestContext<DashboardEnv>();
  const session = c.get('session');
  const site = c.get('site');
  const current = sectionOf(c.req.path);
  const sites = c.get('sites');
  return (
    <header class="top">
      <a class="brand" href={pageHref(c, '/app')}>
        leadbeam
      </a>
      <nav aria-label="Main">
        <ul>
          {NAV.map(([href, label]) => (
            <li>
              <a href={pageHref(c, href)} aria-current={href === current ? 'page' : undefined}>
                {label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {sites.length > 1 ? (
        <form method="get" action={c.req.path} class="site-switch">
          <label for="site-switch">Site</label>
          <select id="site-switch" name="site" data-autosubmit>
            {sites.map((s) => (
              <option value={s.key} selected={s.key === site.key}>
                {s.name ?? s.key}
              </option>
            ))}
          </select>
          <noscript>
            <button type="submit">Show</button>
          </noscript>
        </form>
      ) : null}
      <form method="post" action="/app/sign-out" class="sign-out">
        <input type="hidden" name="_csrf" value={session.csrf} />
        <span class="who">{session.name}</span> <button type="submit">Sign out</button>
      </form>
    </header>
  );
}

/**
 * The page frame: skip link, header with navigation (the current section marked with
 * `aria-current`), one `<h1>` and a `<main>` landmark. Pages call `c.render(content, props)`.
 *
 * @example
 * app.use('*', createLayout());
 * app.get('/', (c) => c.render(<p>Hello</p>, { title: 'Overview' }));
 */
export function createLayout() {
  return jsxRenderer(
    ({ children, title, charts }: { children?: Child } & PageProps) => (
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{`${title} · leadbeam`}</title>
          <link rel="icon" href="/app/assets/favicon.svg" type="image/svg+xml" />
          <link rel="stylesheet" href="/app/assets/app.css" />
          {charts ? <link rel="stylesheet" href="/app/assets/uplot.css" /> : null}
          {charts ? <script src="/app/assets/uplot.js" defer></script> : null}
          <script src="/app/assets/app.js" defer></script>
        </head>
        <body>
          <a class="skip" href="#main">
            Skip to content
          </a>
          <Header />
          <main id="main" tabindex={-1}>
            <h1>{title}</h1>
            {children}
          </main>
        </body>
      </html>
    ),
    { docType: true },
  );
}
