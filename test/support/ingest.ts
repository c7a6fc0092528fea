import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { createApp } from '../../ingest/src/app.js';
import { parseConfig } from '../../ingest/src/config/loadConfig.js';
import type { Database } from '../../ingest/src/db/schema.js';
import type { EventBatch, TrackedEvent } from '../../shared/src/types.js';

export const TEST_SECRET_KEY = 'sk_test_0123456789abcdef';
export const DEMO_ORIGIN = 'http://localhost:3000';
export const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

/** A small rule set for scoring tests: thresholds low enough to cross in a few events. */
export const TEST_SCORING = {
  halfLifeDays: 30,
  caps: { engagement: 100 },
  thresholds: { mql: { engagement: 15, fit: 10 } },
  engagement: [
    { id: 'page-view', match: { type: 'pageview' }, points: 2, limit: { max: 5, perDays: 1 } },
    { id: 'pricing', match: { type: 'pageview', category: 'pricing' }, points: 5, limit: 'oncePerVisit' },
    { id: 'returning', match: { type: 'visit', visit: 'returning' }, points: 4 },
    { id: 'download', match: { type: 'download' }, points: 10 },
    { id: 'careers', match: { type: 'pageview', path: '/careers/**' }, points: -6 },
    { id: 'demo-request', match: { type: 'form', name: 'demo-request' }, points: 20, limit: 'once', qualifies: 'sql' },
    { id: 'trial-started', match: { type: 'track', name: 'Trial Started' }, points: 8, limit: 'once' },
  ],
  fit: [
    { id: 'finance', trait: 'jobTitle', matches: 'cfo|controller', points: 15 },
    { id: 'free-mail', trait: 'emailDomain', in: ['freemail'], points: -10 },
  ],
};

export const testConfig = parseConfig(
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
      },
      { key: 'other', allowedOrigins: ['https://other.example'] },
      { key: 'scored', allowedOrigins: [DEMO_ORIGIN], pages: [{ match: '/pricing', stage: 'bottom', category: 'pricing' }], scoring: TEST_SCORING },
    ],
  },
  'test config',
);

export const newId = () => randomBytes(12).toString('hex');

/** A valid page view; override any field. */
export function makeEvent(overrides: Partial<TrackedEvent> = {}): TrackedEvent {
  const path = overrides.path ?? '/';
  return {
    id: newId(),
    type: 'pageview',
    ts: Date.now(),
    visitorId: 'v_' + newId(),
    sessionId: 's_' + newId(),
    visit: 1,
    url: `${DEMO_ORIGIN}${path}`,
    path,
    ...overrides,
  };
}

export function testApp(db: Kysely<Database>, now?: () => number) {
  return createApp({ db, config: testConfig, secretKey: TEST_SECRET_KEY, now });
}

/** Posts a batch the way the script does: text/plain, from the demo origin, with a browser's user agent. */
export function postBatch(
  app: ReturnType<typeof testApp>,
  batch: Partial<EventBatch> | string,
  headers: Record<string, string> = {},
) {
  const body = typeof batch === 'string' ? batch : JSON.stringify({ site: 'demo', sentAt: Date.now(), ...batch });
  return app.request('/v1/collect', {
    method: 'POST',
    body,
    headers: { 'Content-Type': 'text/plain;charset=UTF-8', Origin: DEMO_ORIGIN, 'User-Agent': BROWSER_UA, ...headers },
  });
}

export function getWithKey(app: ReturnType<typeof testApp>, path: string, key: string | null = TEST_SECRET_KEY) {
  return app.request(path, { headers: key ? { Authorization: `Bearer ${key}` } : {} });
}
