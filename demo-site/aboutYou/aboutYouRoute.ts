import { Hono } from 'hono';
import { IngestUnavailable, readVisitorRecord, type IngestReader } from './readVisitorRecord.js';

/** The shape of the ids the script makes (and the ingest accepts): nothing else is looked up. */
const VISITOR_ID = /^[A-Za-z0-9_-]{8,64}$/;

/**
 * `GET /api/about-you?visitor=<id>`: the demo site's own endpoint behind the about-you page.
 * It asks the ingest with the secret key, server-side, and answers only the visitor's record
 * (never the key, nor the ingest's own errors). Without a key it says so.
 *
 * @example
 * app.route('/api/about-you', createAboutYouRoute({ ingestUrl, siteKey: 'demo', secretKey }));
 */
export function createAboutYouRoute({ ingestUrl, siteKey, secretKey }: Omit<IngestReader, 'secretKey'> & { secretKey?: string }) {
  const app = new Hono();
  app.get('/', async (c) => {
    c.header('Cache-Control', 'no-store');
    const visitorId = c.req.query('visitor') ?? '';
    if (!VISITOR_ID.test(visitorId)) return c.json({ error: 'visitor: the id leadbeam.visitorId() gives, 8 to 64 letters, digits, _ or -' }, 400);
    if (!secretKey) return c.json({ error: 'the demo site was started without the ingest’s secret key, so it cannot look you up' }, 503);
    try {
      return c.json(await readVisitorRecord({ ingestUrl, siteKey, secretKey }, visitorId));
    } catch (err) {
      if (err instanceof IngestUnavailable) return c.json({ error: err.message }, 502);
      throw err;
    }
  });
  return app;
}
