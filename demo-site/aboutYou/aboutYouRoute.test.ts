import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../ingest/src/app.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { DEMO_ORIGIN, TEST_SECRET_KEY, makeEvent, newId, postBatch, testConfig } from '../../test/support/ingest.js';
import { createDemoSite, listDemoPages } from '../createDemoSite.js';

const DAY = 86_400_000;

describe('the about-you page’s lookup', () => {
  let test: TestDatabase;
  let ingest: ServerType;
  let ingestApp: ReturnType<typeof createApp>;
  let site: ReturnType<typeof createDemoSite>;
  beforeAll(async () => {
    test = await createTestDatabase('sqlite');
    ingestApp = createApp({ db: test.db, config: testConfig, secretKey: TEST_SECRET_KEY });
    ingest = await new Promise((resolve) => {
      const s = serve({ fetch: ingestApp.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    const ingestUrl = `http://127.0.0.1:${(ingest.address() as { port: number }).port}`;
    // The test config's site with scoring rules: page views and pricing earn points.
    site = createDemoSite({ ingestUrl, siteKey: 'scored', secretKey: TEST_SECRET_KEY });
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => ingest?.close(() => resolve()));
    await test?.close();
  });

  const lookUp = async (visitorId: string) => {
    const res = await site.request(`/api/about-you?visitor=${encodeURIComponent(visitorId)}`);
    const text = await res.text();
    expect(text).not.toContain(TEST_SECRET_KEY);
    return { status: res.status, body: JSON.parse(text), cache: res.headers.get('cache-control') };
  };

  it('says nothing is known yet for a browser the ingest has not seen', async () => {
    const id = 'v_' + newId();
    expect(await lookUp(id)).toEqual({ status: 200, body: { known: false, visitorId: id }, cache: 'no-store' });
  });

  it('shows the visitor, its page views by stage, its events and, once a form named it, its lead with the score explained', async () => {
    const v = 'v_' + newId();
    const t0 = Date.now() - 2 * DAY;
    const view = (ts: number, path: string, visit = 1) => makeEvent({ visitorId: v, sessionId: `s${visit}-${v}`, ts, visit, path, url: `${DEMO_ORIGIN}${path}` });
    await postBatch(ingestApp, { site: 'scored', sentAt: t0 + 10, events: [view(t0, '/blog/a'), view(t0 + 10, '/pricing')] });
    const anonymous = await lookUp(v);
    expect(anonymous.body).toMatchObject({ known: true, visitorId: v, visits: 1, returning: false, pageviews: 2, pageviewsByStage: { top: 0, middle: 0, bottom: 1 }, lead: null });
    expect(anonymous.body.engagement).toBeCloseTo(9, 0); // page-view 2 × 2 and pricing 5, decayed a little
    expect(anonymous.body.recentEvents.map((e: any) => e.path)).toEqual(['/pricing', '/blog/a']);

    const form = makeEvent({ visitorId: v, sessionId: `s2-${v}`, ts: t0 + DAY, visit: 2, type: 'form', name: 'newsletter-signup', traits: { email: `you-${newId()}@fernhill.example` }, url: `${DEMO_ORIGIN}/newsletter` });
    await postBatch(ingestApp, { site: 'scored', sentAt: t0 + DAY, events: [view(t0 + DAY - 5, '/newsletter', 2), form] });
    const { body } = await lookUp(v);
    expect(body).toMatchObject({ visits: 2, returning: true, pageviews: 3 });
    expect(body.lead).toMatchObject({ stage: 'lead', stageHistory: [{ from: 'visitor', to: 'lead', cause: 'form:newsletter-signup' }] });
    const { score } = body.lead;
    expect(score.total).toBe(Math.round((score.engagement + score.fit) * 100) / 100);
    expect(score.items.length).toBeGreaterThan(0);
    expect(score.items[0]).toEqual({ kind: expect.any(String), ruleId: expect.any(String), ts: expect.any(String), points: expect.any(Number), remaining: expect.any(Number) });
  });

  it('shows a browser that only gave a known lead’s email nothing of that lead', async () => {
    const email = `ana-${newId()}@fernhill.example`;
    const owner = 'v_' + newId();
    const stranger = 'v_' + newId();
    const formOf = (visitorId: string) => makeEvent({ visitorId, sessionId: `s-${visitorId}`, type: 'form', name: 'demo-request', traits: { email, jobTitle: 'CFO', company: 'Fernhill' }, url: `${DEMO_ORIGIN}/demo` });
    await postBatch(ingestApp, { site: 'scored', events: [formOf(owner)] });
    await postBatch(ingestApp, { site: 'scored', events: [formOf(stranger)] });
    const claimed = await lookUp(stranger);
    expect(claimed.body).toMatchObject({ known: true, visitorId: stranger, claimedLead: true, lead: null });
    expect(JSON.stringify(claimed.body)).not.toMatch(new RegExp(`${email}|Fernhill|CFO`));
    expect((await lookUp(owner)).body).toMatchObject({ claimedLead: false, lead: { email, traits: { company: 'Fernhill' } } });
  });

  it('looks up only visitor ids, and never puts the secret key in a page, script or stylesheet', async () => {
    expect((await lookUp('../v1/leads')).status).toBe(400);
    expect((await lookUp('')).status).toBe(400);
    for (const path of [...(await listDemoPages()), '/about-you.js', '/site.css', '/favicon.svg', '/no-such-page']) {
      expect(await (await site.request(path)).text(), path).not.toContain(TEST_SECRET_KEY);
    }
  });

  it('says so when it has no key, and when the ingest does not answer', async () => {
    const keyless = createDemoSite({ ingestUrl: 'http://127.0.0.1:9', siteKey: 'demo' });
    expect((await keyless.request('/api/about-you?visitor=v_12345678')).status).toBe(503);
    const unreachable = createDemoSite({ ingestUrl: 'http://127.0.0.1:9', siteKey: 'demo', secretKey: TEST_SECRET_KEY });
    const res = await unreachable.request('/api/about-you?visitor=v_12345678');
    expect(res.status).toBe(502);
    expect(await res.text()).not.toContain(TEST_SECRET_KEY);
  });
});
