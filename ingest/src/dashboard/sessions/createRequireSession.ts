import { timingSafeEqual } from 'node:crypto';
import { createMiddleware } from 'hono/factory';
import type { LeadbeamConfig } from '../../config/schema.js';
import { ApiError } from '../../http/apiError.js';
import type { DashboardEnv } from '../dashboardEnv.js';
import type { SessionStore } from './createSessionStore.js';
import { readSessionCookie } from './sessionCookie.js';

const READS = new Set(['GET', 'HEAD']);

const sameToken = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * Lets a page through only with a live session; sets `session`, `site` and `sites`. Without
 * one, a page asks the browser to sign in first (and comes back after), and a change is
 * refused. Every change must carry the session's form token (`_csrf` in the form, or an
 * `X-CSRF-Token` header from the page's own script): with the SameSite=Strict cookie, that
 * is what keeps another site from making changes in a marketer's name.
 *
 * @example
 * dashboard.use('*', createRequireSession({ sessions, config }));
 */
export function createRequireSession({ sessions, config }: { sessions: SessionStore; config: LeadbeamConfig }) {
  return createMiddleware<DashboardEnv>(async (c, next) => {
    const token = readSessionCookie(c);
    const session = token ? await sessions.find(token) : undefined;
    if (!session) {
      if (READS.has(c.req.method)) {
        const url = new URL(c.req.url);
        return c.redirect(`/app/sign-in?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
      }
      throw new ApiError(401, 'unauthorized', 'session: sign in at /app/sign-in first');
    }
    if (!READS.has(c.req.method)) {
      let presented = c.req.header('x-csrf-token');
      if (!presented && /^(application\/x-www-form-urlencoded|multipart\/form-data)/.test(c.req.header('content-type') ?? '')) {
        const form = await c.req.parseBody();
        presented = typeof form._csrf === 'string' ? form._csrf : undefined;
      }
      if (!presented || !sameToken(presented, session.csrf)) throw new ApiError(403, 'forbidden', '_csrf: the form is out of date or not ours; reload the page and try again', { field: '_csrf' });
    }
    const wanted = c.req.query('site');
    const site = wanted ? config.sites.find((s) => s.key === wanted) : config.sites[0];
    if (!site) throw new ApiError(404, 'not_found', `site: no site "${wanted}" is configured`, { field: 'site' });
    c.set('session', session);
    c.set('site', site);
    c.set('sites', config.sites);
    await next();
  });
}
