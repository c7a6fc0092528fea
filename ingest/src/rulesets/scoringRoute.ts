import { Hono, type Context } from 'hono';
import { describeRoute } from 'hono-openapi';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { createKeyVerifier } from '../auth/createKeyVerifier.js';
import type { Database, KeyScope } from '../db/schema.js';
import { ApiError } from '../http/apiError.js';
import { parseJsonBody } from '../http/parseJsonBody.js';
import { errorResponses } from '../openapi/errorResponses.js';
import { jsonAnswer } from '../openapi/jsonAnswer.js';
import { jsonBody } from '../openapi/jsonBody.js';
import { queryParameters } from '../openapi/queryParameters.js';
import { requiresKey } from '../openapi/requiresKey.js';
import { backtestRules, backtestSchema } from '../backtest/backtestRules.js';
import type { Scorer } from '../scoring/engine.js';
import { listRulesets } from './listRulesets.js';
import { draftSchema, publishRuleset } from './publishRuleset.js';
import { rescoreRuleset } from './rescoreRuleset.js';
import { ruleHits } from './ruleHits.js';

const siteQuery = z.object({ site: z.string().min(1, 'give the site key') }).strict();
const hitsQuery = z.object({ site: z.string().min(1, 'give the site key'), days: z.coerce.number().int().min(1).max(365).default(30) }).strict();

const int = { type: 'integer' };
const scores = { type: 'object', properties: { stage: { type: 'string' }, engagement: { type: 'number' }, fit: { type: 'number' }, total: { type: 'number' } } };
/** A rule set version as the API answers it (`RulesetVersion` in rulesetRows.ts). */
const rulesetVersionSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    site: { type: 'string' },
    version: { type: 'string', description: 'A hash of the rules: the same rules always have the same version' },
    inEffect: { type: 'boolean' },
    source: { type: 'string', enum: ['config', 'api', 'app'] },
    by: { type: 'string', description: "The key's name, `bootstrap`, or `config` for an import of the config file" },
    at: { type: 'string', format: 'date-time' },
    note: { type: ['string', 'null'] },
    rules: { type: 'object', description: 'The rule set (as in the config file\'s `scoring`)' },
    rescore: {
      type: ['object', 'null'],
      description: 'The rescore of every lead that followed it (null for a first version)',
      properties: {
        state: { type: 'string', enum: ['pending', 'running', 'done', 'failed', 'superseded'] },
        total: int,
        leads: int,
        events: int,
        up: int,
        down: int,
        startedAt: { type: ['string', 'null'], format: 'date-time' },
        finishedAt: { type: ['string', 'null'], format: 'date-time' },
        error: { type: ['string', 'null'] },
      },
    },
  },
};
const published = { type: 'object', properties: { published: { type: 'boolean' }, message: { type: 'string' }, ruleset: rulesetVersionSchema } };
const outcomeCount = { type: 'object', properties: { leads: int, qualifiedNow: int, qualifiedDraft: int } };
const thresholdFit = { type: ['object', 'null'], properties: { threshold: { type: 'number' }, wonQualified: int, lostQualified: int, youdenJ: { type: 'number' } } };
/** `Backtest` in backtest/backtestRules.ts. */
const backtestAnswer = {
  type: 'object',
  properties: {
    site: { type: 'string' },
    versions: { type: 'object', properties: { now: { type: 'string' }, draft: { type: 'string' } } },
    identical: { type: 'boolean' },
    leads: int,
    events: int,
    mqlOrBeyond: { type: 'object', properties: { now: int, draft: int } },
    handovers: { type: 'object', description: 'Leads publishing would hand to sales at once (below MQL to MQL or beyond, each a handover with its webhooks), and take back below MQL', properties: { toSales: int, backFromSales: int } },
    moves: {
      type: 'object',
      properties: {
        up: int,
        down: int,
        truncated: { type: 'boolean' },
        leads: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, email: { type: 'string' }, company: { type: ['string', 'null'] }, now: scores, draft: scores } } },
      },
    },
    outcomes: { type: 'object', properties: { acceptedOrWon: outcomeCount, rejectedOrLost: outcomeCount } },
    calibration: {
      type: 'object',
      properties: {
        method: { type: 'string', enum: ['youden'] },
        advice: { type: 'string', enum: ['use', 'too_few_outcomes', 'no_separation', 'no_outcomes', 'current_is_best'], description: 'Whether `best` is worth taking: only with `minimumPerClass` won and lost leads whose fit passed, and a split better than none' },
        minimumPerClass: int,
        won: int,
        lost: int,
        best: thresholdFit,
        current: thresholdFit,
        buckets: { type: 'array', items: { type: 'object', properties: { from: { type: 'number' }, to: { type: 'number' }, won: int, lost: int } } },
        neverFit: { type: 'object', properties: { won: int, lost: int } },
      },
    },
  },
};

/**
 * The scope a scoring request needs: `read` to look (versions, rule hits) and to backtest (it
 * changes nothing), `admin` to publish.
 *
 * @example
 * app.use('/v1/scoring/*', requireKey(scoringScope));
 */
export function scoringScope(c: Context): KeyScope {
  if (c.req.method === 'GET' || c.req.method === 'HEAD') return 'read';
  return c.req.method === 'POST' && c.req.path.endsWith('/backtest') ? 'read' : 'admin';
}

export interface ScoringRouteOptions {
  db: Kysely<Database>;
  /** The registry the app scores with: a publish replaces the site's scorer in it at once. */
  scorers: Map<string, Scorer>;
  /** To name who published (the key's name, or `bootstrap`). */
  secretKey: string;
  now?: () => number;
  /** Called when the rescore after a publish may have queued webhook deliveries. */
  onCommitted?: () => void;
}

/**
 * Rule sets as versions, their backtest and their hits. `POST /rulesets` publishes a draft
 * (then rescores every lead off the request path), `GET /rulesets?site=` lists versions with
 * their rescore's progress, `POST /backtest` replays every lead under a draft without writing,
 * `GET /rule-hits?site=&days=` counts each rule's hits.
 *
 * @example
 * app.route('/v1/scoring', createScoringRoute({ db, scorers, secretKey }));
 */
export function createScoringRoute({ db, scorers, secretKey, now = Date.now, onCommitted }: ScoringRouteOptions) {
  const app = new Hono();
  const verifyKey = createKeyVerifier({ db, secretKey, now });
  const query = <S extends z.ZodType>(c: Context, schema: S): z.output<S> => {
    const parsed = schema.safeParse(c.req.query());
    if (!parsed.success) throw ApiError.fromZod(parsed.error);
    return parsed.data;
  };

  app.post('/rulesets', describeRoute({
    tags: ['Scoring'],
    summary: 'Publish a rule set: it becomes the version in effect, and every lead is rescored in the background',
    ...requiresKey('admin'),
    requestBody: jsonBody(draftSchema, 'The site, the rules (as in the config file\'s `scoring`) and an optional note; a bad field is named as a path, e.g. `rules.engagement.2.points`'),
    responses: {
      201: jsonAnswer('The new version, in effect; follow its rescore with GET /v1/scoring/rulesets', published),
      200: jsonAnswer('The rules are the version in effect already: nothing changed (`published: false`)', published),
      ...errorResponses(400, 401, 403, 404),
    },
  }), async (c) => {
    const body = await parseJsonBody(c, z.unknown());
    // requireKey let it through: the key is valid, so it has a holder.
    const holder = await verifyKey(/^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1] ?? '');
    const result = await publishRuleset(db, scorers, body, { by: holder?.name ?? 'unknown', source: 'api', now: now() });
    if (!result.published) return c.json(result, 200);
    // Off the request path: the answer does not wait for every lead.
    void rescoreRuleset(db, result.ruleset.id, { now, onCommitted });
    return c.json(result, 201);
  });

  app.get('/rulesets', describeRoute({
    tags: ['Scoring'],
    summary: "A site's rule set versions, newest first: which is in effect, who made each, when, from where, and its rescore's progress and outcome",
    ...requiresKey('read'),
    parameters: queryParameters(siteQuery, { site: 'The site key' }),
    responses: {
      200: jsonAnswer('The versions', { type: 'object', properties: { site: { type: 'string' }, inEffect: { type: 'string' }, versions: { type: 'array', items: rulesetVersionSchema } } }),
      ...errorResponses(400, 401, 403, 404),
    },
  }), async (c) => {
    const { site } = query(c, siteQuery);
    if (!scorers.has(site)) throw new ApiError(404, 'not_found', `site: no site "${site}" in the config file`, { field: 'site' });
    const versions = await listRulesets(db, site);
    return c.json({ site, inEffect: versions.find((v) => v.inEffect)?.version ?? scorers.get(site)!.version, versions });
  });

  app.post('/backtest', describeRoute({
    tags: ['Scoring'],
    summary: 'Backtest a draft rule set: replay every lead under it without changing anything, against sales outcomes, with threshold calibration',
    ...requiresKey('read'),
    requestBody: jsonBody(backtestSchema, 'The site and the draft rules'),
    responses: { 200: jsonAnswer('What the draft would do', backtestAnswer), ...errorResponses(400, 401, 403, 404) },
  }), async (c) => c.json(await backtestRules(db, scorers, await parseJsonBody(c, z.unknown()), { now: now() })));

  app.get('/rule-hits', describeRoute({
    tags: ['Scoring'],
    summary: 'Each rule of the rule set in effect with its hits and points given to leads over the last days',
    ...requiresKey('read'),
    parameters: queryParameters(hitsQuery, { site: 'The site key', days: 'How many days back (default 30)' }),
    responses: {
      200: jsonAnswer('The rules in order with their hits (fit rules: null)', {
        type: 'object',
        properties: {
          site: { type: 'string' },
          version: { type: 'string' },
          days: int,
          rules: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, kind: { type: 'string', enum: ['engagement', 'fit'] }, description: { type: ['string', 'null'] }, points: { type: 'number' }, hits: { type: ['integer', 'null'] }, pointsGiven: { type: ['number', 'null'] } } } },
        },
      }),
      ...errorResponses(400, 401, 403, 404),
    },
  }), async (c) => {
    const { site, days } = query(c, hitsQuery);
    const scorer = scorers.get(site);
    if (!scorer) throw new ApiError(404, 'not_found', `site: no site "${site}" in the config file`, { field: 'site' });
    return c.json({ site, version: scorer.version, days, rules: await ruleHits(db, site, { days, now: now(), rules: scorer.rules }) });
  });
  return app;
}
