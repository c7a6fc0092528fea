import { Hono, type Context } from 'hono';
import { collectCors } from './collect/collectCors.js';
import type { Kysely } from 'kysely';
import { apiScope } from './auth/apiScope.js';
import { createRequireKey } from './auth/requireKey.js';
import { createKeyGuessLimit } from './auth/keyGuesses.js';
import { createKeysRoute } from './keys/keysRoute.js';
import { handleError, handleNotFound } from './http/apiError.js';
import { refuseNulInUrl } from './http/refuseNulInUrl.js';
import { closeUnreadBodies } from './http/closeUnreadBodies.js';
import { createCollectRoute } from './collect/collectRoute.js';
import { createSegmentRoute } from './segment/segmentRoute.js';
import type { LeadbeamConfig } from './config/schema.js';
import type { Database } from './db/schema.js';
import { createSdkAssetsRoute } from './sdk-assets/sdkAssetsRoute.js';
import { createVisitorsRoute } from './visitors/visitorsRoute.js';
import { createScorer, type Scorer } from './scoring/engine.js';
import { createScoringRoute, scoringScope } from './rulesets/scoringRoute.js';
import { createFollowUpRoute } from './followUp/followUpRoute.js';
import { createLeadsRoute } from './leads/leadsRoute.js';
import { createAdminRoute } from './admin/adminRoute.js';
import type { WebhookDispatcher } from './webhooks/dispatcher.js';
import { createWebhooksRoute } from './webhooks/webhooksRoute.js';
import { createReportsRoute } from './reports/reportsRoute.js';
import { createEventWriter, type EventWriter } from './pipeline/createEventWriter.js';
import type { ReplayWorker } from './replay/createReplayWorker.js';
import { createCollectLimits } from './limits/createCollectLimits.js';
import { createSegmentLimits } from './limits/createSegmentLimits.js';
import { createClientAddress, createThisMachineCheck } from './limits/clientAddress.js';
import { createClientKey } from './identity/guardrails.js';
import { createOpsRoute } from './ops/createOpsRoute.js';
import { createDashboard } from './dashboard/createDashboard.js';
import { renderErrorPage } from './dashboard/layout/renderErrorPage.js';
import { observeRequests } from './ops/observeRequests.js';
import { createOpenApiRoute } from './openapi/createOpenApiRoute.js';
import { DEFAULT_LIMITS, type Limits } from './limits/readLimits.js';
import { limitBodySize } from './http/limitBodySize.js';
import { ApiError } from './http/apiError.js';

export interface AppOptions {
  db: Kysely<Database>;
  config: LeadbeamConfig;
  /** Reads and changes go through this key; the sites' public keys only write events. */
  secretKey: string;
  /** Folder holding the built script (default: `sdk/dist`). */
  sdkDir?: string;
  /** The server's clock; tests pass a fixed one. */
  now?: () => number;
  /** Sends webhook deliveries; kicked right after a stage change commits. */
  dispatcher?: WebhookDispatcher;
  /** Let webhooks be registered for loopback, private and internal hosts (local development only). */
  allowPrivateWebhooks?: boolean;
  /** Replays long histories off the request path; kicked right after a commit queues one. */
  replayer?: ReplayWorker;
  /** The write pipeline (group commit); one is made for the app when not given. */
  writer?: EventWriter;
  /** One scorer a site, shared with the writer and the replayer and replaced in place when a rule set version is published (`rulesets/`); compiled from the config file when not given. */
  scorers?: Map<string, Scorer>;
  /** Where reports read (the dashboard's report pages, `/v1/reports`): `openReportReader` on SQLite; `db` when absent. */
  reportsDb?: Kysely<Database>;
  /**
   * Rate limits on `/v1/collect` and, when their fields are given, the Segment-compatible routes
   * (see `limits/readLimits.ts`); none when absent. Its `trustedProxies` also say whose
   * `X-Forwarded-For` names the client for the identity guardrails and the one count of wrong
   * keys (`auth/keyGuesses.ts`); loopback when absent. Nothing here reads the environment.
   */
  limits?: Pick<Limits, 'perAddressPerMinute' | 'perSitePerMinute' | 'trustedProxies'> & Partial<Pick<Limits, 'eventsPerAddressPerMinute' | 'segmentPerAddressPerMinute' | 'segmentPerKeyPerMinute'>>;
}

/** The largest body a keyed API route takes (a rule set is the largest there is). */
export const API_MAX_BODY_BYTES = 1024 * 1024;
/** Routes with body limits of their own: the beacon route and Segment's calls. */
const OWN_BODY_LIMITS = /^\/v1\/(collect|batch|identify|track|page|screen|group|alias)\/?$/;

/**
 * The whole ingest as one Hono app: the server and the tests use the same factory.
 *
 * @example
 * const app = createApp({ db, config, secretKey });
 * const res = await app.request('/v1/collect', { method: 'POST', body });
 */
export function createApp({ db, reportsDb = db, config, secretKey, sdkDir, now, dispatcher, allowPrivateWebhooks, replayer, writer, limits, scorers: sharedScorers }: AppOptions) {
  const app = new Hono();
  app.use('*', observeRequests());
  app.use('*', closeUnreadBodies());
  app.use('*', refuseNulInUrl());
  // Without limits given, a proxy on this host is trusted as readLimits does by default.
  const trustedProxies = limits?.trustedProxies ?? DEFAULT_LIMITS.trustedProxies;
  // One count of wrong secret keys per client address for every place that checks a key (the
  // keyed API, the dashboard's sign-in form, the Segment-compatible routes): a guesser gets 20
  // in all, not 20 at each door.
  const keyGuesses = createKeyGuessLimit({ trustedProxies });
  // The bootstrap key may do anything; named keys what their scopes allow (auth/apiScope.ts).
  const requireKey = createRequireKey({ db, secretKey, now, keyGuesses });
  const allowedOrigins = new Set(config.sites.flatMap((s) => s.allowedOrigins));
  const scorers = sharedScorers ?? createScorers(config);
  const events =
    writer ??
    createEventWriter({
      db,
      scorers,
      onCommitted: ({ stageChanges, queuedReplays }) => {
        if (stageChanges) void dispatcher?.kick();
        if (queuedReplays) void replayer?.kick();
      },
    });

  // The dashboard's pages answer errors as pages, also those thrown before its own `onError`
  // runs (a NUL in its URL, refused by the middleware above for every route).
  app.onError((err, c) => (isDashboardPath(c.req.path) ? renderErrorPage(err, c) : handleError(err, c)));
  app.notFound(handleNotFound);

  app.use('/metrics', requireKey('admin'));
  app.route('/', createOpsRoute({ db }));
  app.route('/', createSdkAssetsRoute({ dir: sdkDir }));

  // No keyed API body needs more (a rule set is the largest): a larger one is refused before
  // anything reads or parses it. Beacons and Segment calls have limits (and answers) of their own.
  const limitApiBody = limitBodySize(API_MAX_BODY_BYTES, () => {
    throw new ApiError(413, 'payload_too_large', `body: larger than the API's ${API_MAX_BODY_BYTES} bytes`, { field: 'body' });
  });
  app.use('/v1/*', (c, next) => (OWN_BODY_LIMITS.test(c.req.path) ? next() : limitApiBody(c, next)));
  app.use('/v1/collect', collectCors(allowedOrigins));
  // Identity guardrails count per client: a keyed hash of its address, never the address.
  const addressOf = createClientAddress(trustedProxies);
  const isThisMachine = createThisMachineCheck(trustedProxies);
  const keyOf = createClientKey(secretKey);
  // This machine itself (a test, a benchmark, a local proxy that forwarded no address): per-client
  // limits could not tell its users apart. A forwarded address always counts, loopback or not.
  const clientKeyOf = (c: Context) => (isThisMachine(c) ? undefined : keyOf(addressOf(c)));
  app.route('/v1/collect', createCollectRoute({ config, writer: events, now, limits: limits && createCollectLimits(limits), clientKeyOf }));
  // Segment's HTTP API for server-side senders: authenticated by key, so no CORS and no bot filter.
  const segmentLimits = limits && createSegmentLimits({ segmentPerAddressPerMinute: 0, segmentPerKeyPerMinute: 0, ...limits });
  app.route('/v1', createSegmentRoute({ db, config, secretKey, writer: events, now, clientKeyOf, limits: segmentLimits, keyGuesses }));

  app.use('/v1/visitors/*', requireKey(apiScope));
  app.route('/v1/visitors', createVisitorsRoute({ db, scorers, now }));
  app.use('/v1/leads/*', requireKey(apiScope));
  app.use('/v1/leads', requireKey(apiScope));
  app.route('/v1/leads', createLeadsRoute({ db, scorers, now, onCommitted: () => void dispatcher?.kick() }));
  app.use('/v1/webhooks/*', requireKey('admin'));
  app.use('/v1/webhooks', requireKey('admin'));
  app.route('/v1/webhooks', createWebhooksRoute({ db, now, allowPrivateWebhooks, siteKeys: new Set(config.sites.map((s) => s.key)), onCommitted: () => void dispatcher?.kick() }));
  app.use('/v1/reports/*', requireKey(apiScope));
  app.route('/v1/reports', createReportsRoute({ db: reportsDb, siteKeys: new Set(config.sites.map((s) => s.key)), now }));
  app.route('/v1/reports', createFollowUpRoute({ db: reportsDb, config, now }));
  app.use('/v1/scoring/*', requireKey(scoringScope));
  app.route('/v1/scoring', createScoringRoute({ db, scorers, secretKey, now, onCommitted: () => void dispatcher?.kick() }));
  app.use('/v1/admin/*', requireKey('admin'));
  app.route('/v1/admin', createAdminRoute({ db, scorers, now }));
  app.use('/v1/keys/*', requireKey('admin'));
  app.use('/v1/keys', requireKey('admin'));
  app.route('/v1/keys', createKeysRoute({ db, now }));
  // Where people look first: the server's root and the usual dashboard path lead to it.
  app.get('/', (c) => c.redirect('/app', 302));
  app.get('/dashboard', (c) => c.redirect('/app', 301));
  // The marketer's dashboard: pages for people, signed in with a secret key.
  app.route('/app', createDashboard({ db, reportsDb, config, scorers, secretKey, now, onCommitted: () => void dispatcher?.kick(), allowPrivateWebhooks, keyGuesses }));
  // The OpenAPI document of every route above (each describes itself) and its reference page.
  app.route('/', createOpenApiRoute(app));
  return app;
}

const isDashboardPath = (path: string) => path === '/app' || path.startsWith('/app/');

/**
 * One scorer a site, compiled from its rules.
 *
 * @example
 * const scorers = createScorers(config);
 */
export const createScorers = (config: LeadbeamConfig) => new Map(config.sites.map((s) => [s.key, createScorer(s.scoring)]));
