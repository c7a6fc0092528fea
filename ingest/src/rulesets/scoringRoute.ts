import { Hono, type Context } from 'hono';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { createKeyVerifier } from '../auth/createKeyVerifier.js';
import { backtestRules } from '../backtest/backtestRules.js';
import type { Database, KeyScope } from '../db/schema.js';
import { ApiError } from '../http/apiError.js';
import { parseJsonBody } from '../http/parseJsonBody.js';
import type { Scorer } from '../scoring/engine.js';
import { listRulesets } from './listRulesets.js';
import { publishRuleset } from './publishRuleset.js';
import { rescoreRuleset } from './rescoreRuleset.js';
import { ruleHits } from './ruleHits.js';

const siteQuery = z.object({ site: z.string().min(1, 'give the site key') }).strict();
const hitsQuery = z.object({ site: z.string().min(1, 'give the site key'), days: z.coerce.number().int().min(1).max(365).default(30) }).strict();

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

  app.post('/rulesets', async (c) => {
    const body = await parseJsonBody(c, z.unknown());
    // requireKey let it through: the key is valid, so it has a holder.
    const holder = await verifyKey(/^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1] ?? '');
    const result = await publishRuleset(db, scorers, body, { by: holder?.name ?? 'unknown', source: 'api', now: now() });
    if (!result.published) return c.json(result, 200);
    // Off the request path: the answer does not wait for every lead.
    void rescoreRuleset(db, result.ruleset.id, { now, onCommitted });
    return c.json(result, 201);
  });

  app.get('/rulesets', async (c) => {
    const { site } = query(c, siteQuery);
    if (!scorers.has(site)) throw new ApiError(404, 'not_found', `site: no site "${site}" in the config file`, { field: 'site' });
    const versions = await listRulesets(db, site);
    return c.json({ site, inEffect: versions.find((v) => v.inEffect)?.version ?? scorers.get(site)!.version, versions });
  });

  app.post('/backtest', async (c) => c.json(await backtestRules(db, scorers, await parseJsonBody(c, z.unknown()), { now: now() })));

  app.get('/rule-hits', async (c) => {
    const { site, days } = query(c, hitsQuery);
    const scorer = scorers.get(site);
    if (!scorer) throw new ApiError(404, 'not_found', `site: no site "${site}" in the config file`, { field: 'site' });
    return c.json({ site, version: scorer.version, days, rules: await ruleHits(db, site, { days, now: now(), rules: scorer.rules }) });
  });
  return app;
}
