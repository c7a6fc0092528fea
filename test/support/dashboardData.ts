import type { Kysely } from 'kysely';
import { createApp } from '../../ingest/src/app.js';
import { parseConfig } from '../../ingest/src/config/loadConfig.js';
import type { Database } from '../../ingest/src/db/schema.js';
import { DEMO_ORIGIN, TEST_SCORING, TEST_SECRET_KEY } from './ingest.js';

/** The test rules, each with a description (the lead page shows it beside the points). */
export const DESCRIBED_SCORING = {
  ...TEST_SCORING,
  engagement: TEST_SCORING.engagement.map((r) => ({ ...r, description: `Because of ${r.id.replace(/-/g, ' ')}` })),
};

/** Points of a rule of the test rule set, by id: tests derive figures from the rules, never from output. */
export const points = (ruleId: string) => {
  const rule = [...DESCRIBED_SCORING.engagement, ...DESCRIBED_SCORING.fit].find((r) => r.id === ruleId);
  if (!rule) throw new Error(`no rule ${ruleId}`);
  return rule.points;
};

export const dashboardConfig = parseConfig(
  {
    sites: [
      {
        key: 'demo',
        allowedOrigins: [DEMO_ORIGIN],
        pages: [
          { match: '/blog/**', stage: 'top', category: 'blog' },
          { match: '/guides/**', stage: 'middle', category: 'guide' },
          { match: '/pricing', stage: 'bottom', category: 'pricing' },
        ],
        scoring: DESCRIBED_SCORING,
      },
      { key: 'other', allowedOrigins: ['https://other.example'] },
    ],
  },
  'dashboard test config',
);

/**
 * The app as the dashboard's tests use it: the `demo` site scored by the described test rules,
 * on a clock the test sets.
 *
 * @example
 * const app = dashboardApp(db, () => clock);
 */
export function dashboardApp(db: Kysely<Database>, now?: () => number) {
  return createApp({ db, config: dashboardConfig, secretKey: TEST_SECRET_KEY, now });
}

/**
 * Makes a named key with the given scopes through the API and returns it.
 *
 * @example
 * const readKey = await createKey(app, 'marketing', ['read']);
 */
export async function createKey(app: ReturnType<typeof createApp>, name: string, scopes: string[]): Promise<string> {
  const res = await app.request('/v1/keys', { method: 'POST', headers: { Authorization: `Bearer ${TEST_SECRET_KEY}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ name, scopes }) });
  if (res.status !== 201 && res.status !== 200) throw new Error(`key creation answered ${res.status}`);
  return (await res.json()).key as string;
}
