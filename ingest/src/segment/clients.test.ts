import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Analytics as SegmentAnalytics } from '@segment/analytics-node';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { TEST_SECRET_KEY, testApp } from '../../../test/support/ingest.js';

/**
 * The real clients, over HTTP on the loopback address: Segment's and RudderStack's Node
 * libraries send identify (email and job title), track and page to the `scored` site, and the
 * API then shows a scored lead holding the visitor.
 */
describeEachDialect('Segment-compatible API with the real clients', (getDb) => {
  let server: ServerType;
  let base: string;
  const statuses: number[] = [];
  /** Content-Encoding of every Segment call the server saw. */
  const encodings: Array<string | null> = [];

  beforeAll(async () => {
    const app = testApp(getDb().db);
    await new Promise<void>((resolve) => {
      const fetch = (req: Request) => {
        if (new URL(req.url).pathname === '/v1/batch') encodings.push(req.headers.get('content-encoding'));
        return app.fetch(req);
      };
      server = serve({ fetch, hostname: '127.0.0.1', port: 0 }, () => resolve());
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const api = async (path: string) => {
    const res = await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${TEST_SECRET_KEY}` } });
    expect(res.status).toBe(200);
    return res.json();
  };

  /** The lead and visitor the API shows once a client has sent the three calls. */
  async function expectScoredLead(email: string, anonymousId: string) {
    const { leads } = await api(`/v1/leads?email=${encodeURIComponent(email)}`);
    expect(leads).toHaveLength(1);
    const [lead] = leads;
    expect(lead.traits).toMatchObject({ email, jobTitle: 'CFO' });
    // Fit: the `finance` rule (CFO); engagement: `trial-started` (8), a page view (2), the pricing page (5).
    expect(lead.score).toMatchObject({ fit: 15, engagement: 15 });
    expect(lead.stage).toBe('mql');
    const visitor = await api(`/v1/visitors/${anonymousId}`);
    expect(visitor).toMatchObject({ visitorId: anonymousId, site: 'scored', leadId: lead.id, pageviews: 1 });
  }

  it("Segment's analytics-node", async () => {
    const analytics = new SegmentAnalytics({ writeKey: 'scored', host: base, flushInterval: 50, maxRetries: 0 });
    analytics.on('http_response', (r) => statuses.push(r.status));
    const errors: unknown[] = [];
    analytics.on('error', (err) => errors.push(err));
    const anonymousId = randomUUID();
    const email = `ana-${anonymousId.slice(0, 8)}@fernhill.example`;
    analytics.identify({ anonymousId, userId: email, traits: { email, jobTitle: 'CFO' } });
    analytics.track({ anonymousId, userId: email, event: 'Trial Started', properties: { plan: 'growth' } });
    analytics.page({ anonymousId, userId: email, name: 'Pricing', properties: { url: 'https://www.example.com/pricing' } });
    await analytics.closeAndFlush({ timeout: 10_000 });
    expect(errors).toEqual([]);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200)).toBe(true);
    await expectScoredLead(email, anonymousId);
  });

  it("RudderStack's rudder-sdk-node (gzip bodies)", async () => {
    const client = new RudderAnalytics('scored', { dataPlaneUrl: base, flushAt: 10, flushInterval: 50, retryCount: 0, logLevel: 'error' });
    const anonymousId = randomUUID();
    const email = `ben-${anonymousId.slice(0, 8)}@fernhill.example`;
    client.identify({ anonymousId, userId: email, traits: { email, jobTitle: 'CFO' } });
    client.track({ anonymousId, userId: email, event: 'Trial Started', properties: { plan: 'growth' } });
    client.page({ anonymousId, userId: email, name: 'Pricing', properties: { url: 'https://www.example.com/pricing' } });
    encodings.length = 0;
    await client.flush();
    expect(encodings).toContain('gzip');
    await expectScoredLead(email, anonymousId);
  });
});
