import { Hono } from 'hono';
import { csrf } from 'hono/csrf';
import { secureHeaders } from 'hono/secure-headers';
import { createKeyVerifier } from '../auth/createKeyVerifier.js';
import type { KeyGuessLimit } from '../auth/keyGuesses.js';
import { createAssetsRoute } from './assets/createAssetsRoute.js';
import type { DashboardDeps, DashboardEnv } from './dashboardEnv.js';
import { createLayout } from './layout/createLayout.js';
import { ApiError } from '../http/apiError.js';
import { refuseUnstorableForm } from '../http/refuseUnstorableForm.js';
import { limitBodySize } from '../http/limitBodySize.js';
import { renderErrorPage } from './layout/renderErrorPage.js';
import { createRequireSession } from './sessions/createRequireSession.js';
import { createSessionStore } from './sessions/createSessionStore.js';
import { clearSessionCookie, readSessionCookie } from './sessions/sessionCookie.js';
import { createSignInRoute } from './signIn/createSignInRoute.js';
import { createOverviewPage } from './overview/createOverviewPage.js';
import { createLeadsPage } from './leads/createLeadsPage.js';
import { createLeadPage } from './leads/createLeadPage.js';
import { createContentPage } from './content/createContentPage.js';
import { createWebhooksPage } from './webhooks/createWebhooksPage.js';
import { createScoringPage } from './scoring/createScoringPage.js';

/** The largest form the dashboard reads (a rule set in the draft editor is the largest there is). */
export const DASHBOARD_MAX_BODY_BYTES = 1024 * 1024;
/** The sign-in form holds a key and where to go next. */
export const SIGN_IN_MAX_BODY_BYTES = 16 * 1024;
const tooLarge = (max: number) => (): never => {
  throw new ApiError(413, 'payload_too_large', `body: larger than the ${max} bytes this form may send`, { field: 'body' });
};

/**
 * The marketer's dashboard, served by the ingest at `/app`: sign-in with a secret key, then
 * server-rendered pages (Hono JSX) over the same stores as the API. Each page is a sub-app of
 * its own folder, mounted below. The sign-in form counts wrong keys in `keyGuesses`, the app's
 * one count shared with the API (its own when not given).
 *
 * @example
 * app.route('/app', createDashboard({ db, config, scorers, secretKey, keyGuesses }));
 */
export function createDashboard(deps: DashboardDeps & { keyGuesses?: KeyGuessLimit }) {
  const { db, config, secretKey, now, keyGuesses } = deps;
  const app = new Hono<DashboardEnv>();
  const sessions = createSessionStore({ db, secretKey, now });

  app.onError(renderErrorPage);
  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // uPlot positions its parts with style attributes.
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
      },
      referrerPolicy: 'same-origin',
    }),
  );
  app.route('/assets', createAssetsRoute());
  // Lead data must not linger in shared caches or the back button of a signed-out browser.
  app.use('*', async (c, next) => {
    await next();
    c.header('Cache-Control', 'no-store');
  });
  // Forms posted from another origin are refused before anything else runs.
  app.use('*', csrf());
  // No form of the dashboard comes near this (a rule set in the draft editor is the largest):
  // a bigger body is refused before anyone reads it, signed in or not.
  app.on(['POST', 'PUT', 'PATCH', 'DELETE'], '*', limitBodySize(DASHBOARD_MAX_BODY_BYTES, tooLarge(DASHBOARD_MAX_BODY_BYTES)));
  app.post('/sign-in', limitBodySize(SIGN_IN_MAX_BODY_BYTES, tooLarge(SIGN_IN_MAX_BODY_BYTES)));
  app.on(['POST', 'PUT', 'PATCH', 'DELETE'], '*', refuseUnstorableForm());
  app.route('/', createSignInRoute({ sessions, verifyKey: createKeyVerifier({ db, secretKey, now }), keyGuesses }));
  app.use('*', createRequireSession({ sessions, config }));
  app.post('/sign-out', async (c) => {
    const token = readSessionCookie(c);
    if (token) await sessions.end(token);
    clearSessionCookie(c);
    return c.redirect('/app/sign-in', 303);
  });
  app.use('*', createLayout());

  // Pages: one folder each (ingest/src/dashboard/<page>/), mounted here.
  app.route('/', createOverviewPage(deps));
  app.route('/', createLeadsPage(deps));
  app.route('/', createLeadPage(deps));
  app.route('/', createContentPage(deps));
  app.route('/', createScoringPage(deps));
  app.route('/', createWebhooksPage(deps));
  // Any other path under /app is a page a person mistyped or followed: answer with a page, not JSON.
  app.all('*', (c) => {
    throw new ApiError(404, 'not_found', `there is no dashboard page at ${c.req.path}`);
  });

  return app;
}
