import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { DEMO_ORIGIN, getWithKey, makeEvent, newId, postBatch, testApp } from '../../../test/support/ingest.js';

describeEachDialect('what the ingest makes of events', (getDb) => {
  const app = () => testApp(getDb().db);
  const stored = async (visitorId: string) => (await (await getWithKey(app(), `/v1/visitors/${visitorId}/events?limit=100`)).json()).events.reverse();

  it('counts links to the site’s download file types, and marked downloads, and ignores other files', async () => {
    const visitorId = 'v_' + newId();
    let ts = Date.now() - 1000;
    const download = (file: string, marked?: boolean) =>
      makeEvent({ visitorId, ts: ts++, type: 'download', name: file, props: { url: `${DEMO_ORIGIN}/files/${file}`, ...(marked && { marked }) } });
    const res = await postBatch(app(), { events: [download('Close%20Benchmark.pdf'), download('photo.png'), download('export.json', true)] });
    expect(await res.json()).toMatchObject({ accepted: 2, ignored: 1 });
    expect((await stored(visitorId)).map((e: any) => e.name)).toEqual(['Close Benchmark.pdf', 'export.json']);
  });

  it('leaves out a campaign parameter that decodes to a NUL character (stored on SQLite; on PostgreSQL it broke the first-touch job)', async () => {
    const visitorId = 'v_' + newId();
    const landing = makeEvent({ visitorId, url: `${DEMO_ORIGIN}/pricing?utm_source=a%00b&utm_medium=email` });
    const res = await postBatch(app(), { events: [landing] });
    expect(await res.json()).toMatchObject({ accepted: 1, rejected: [] });
    expect((await stored(visitorId))[0].campaign).toEqual({ medium: 'email' });
  });

  it('keeps a download name as sent when decoding it would make a NUL character (it failed the batch with 503 on PostgreSQL)', async () => {
    const visitorId = 'v_' + newId();
    const poisoned = makeEvent({ visitorId, ts: Date.now() - 2000, type: 'download', name: 'report%00.pdf', props: { url: `${DEMO_ORIGIN}/files/report%00.pdf` } });
    const good = makeEvent({ visitorId, ts: Date.now() - 1000 });
    const res = await postBatch(app(), { events: [poisoned, good] });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 2, rejected: [] });
    expect((await stored(visitorId)).map((e: any) => e.name ?? null)).toEqual(['report%00.pdf', null]);
  });

  it('attributes every event of a visit to the campaign that started it, across batches', async () => {
    const visitorId = 'v_' + newId();
    const sessionId = 's_' + newId();
    const t0 = Date.now() - 10_000;
    const landing = makeEvent({ visitorId, sessionId, ts: t0, url: `${DEMO_ORIGIN}/pricing?utm_source=linkedin&utm_medium=paid&gclid=abc`, referrer: 'https://www.linkedin.com/' });
    await postBatch(app(), { events: [landing] });
    const later = makeEvent({ visitorId, sessionId, ts: t0 + 5000, url: `${DEMO_ORIGIN}/demo`, referrer: `${DEMO_ORIGIN}/pricing` });
    const nextVisit = makeEvent({ visitorId, sessionId: 's_' + newId(), visit: 2, ts: t0 + 9000, url: `${DEMO_ORIGIN}/` });
    await postBatch(app(), { events: [later, nextVisit] });
    const campaign = { source: 'linkedin', medium: 'paid', gclid: 'abc', referrer: 'https://www.linkedin.com/' };
    expect((await stored(visitorId)).map((e: any) => e.campaign)).toEqual([campaign, campaign, null]);
  });

  it('maps form fields onto lead traits, dropping other fields and card-like values', async () => {
    const visitorId = 'v_' + newId();
    const form = makeEvent({
      visitorId,
      type: 'form',
      name: 'demo-request',
      traits: { email: ' ana@fernhill.example ', jobtitle: 'Controller', companysize: '51-200', Company: 'Fernhill', message: 'call me', phone: '4111 1111 1111 1111' },
    });
    await postBatch(app(), { events: [form] });
    expect((await stored(visitorId))[0].traits).toEqual({ email: 'ana@fernhill.example', jobTitle: 'Controller', companySize: '51-200', company: 'Fernhill' });
  });

  it('keeps an email address whatever digits it holds (one that would pass as a card number inside text), and makes its lead', async () => {
    const visitorId = 'v_' + newId();
    // 936109660334671 inside this generated address passes the card checksum: as text it would be dropped.
    const email = `rs-a1bfcd3af936109660334671-${newId().replace(/\d/g, 'x')}@fernhill.example`;
    const res = await postBatch(app(), { site: 'scored', events: [makeEvent({ visitorId, type: 'form', name: 'contact', traits: { email, note: 'card 4111 1111 1111 1111' } })] });
    expect(await res.json()).toMatchObject({ accepted: 1, rejected: [] });
    expect((await stored(visitorId))[0].traits).toEqual({ email });
    const { leads } = await (await getWithKey(app(), `/v1/leads?email=${encodeURIComponent(email)}`)).json();
    expect(leads.map((l: { email: string }) => l.email)).toEqual([email]);
  });

  it('stores no card number in an email-shaped value: not as the email (no lead), not as another trait, not as a property', async () => {
    const visitorId = 'v_' + newId();
    const card = '4111111111111111@x.co';
    const res = await postBatch(app(), {
      site: 'scored',
      events: [makeEvent({ visitorId, type: 'form', name: 'contact', traits: { email: card, phone: '4111-1111-1111-1111@x.co', company: 'Fernhill' }, props: { note: '5555555555554444@pay.example' } })],
    });
    expect(await res.json()).toMatchObject({ accepted: 1, rejected: [] });
    const [event] = await stored(visitorId);
    expect(event.traits).toEqual({ company: 'Fernhill' });
    // The exact card numbers, not a short digit run: the event's random ids may hold '4111' or '5555'.
    const storedText = JSON.stringify(event);
    for (const number of ['4111111111111111', '4111-1111-1111-1111', '5555555555554444']) expect(storedText).not.toContain(number);
    expect((await (await getWithKey(app(), `/v1/leads?email=${encodeURIComponent(card)}`)).json()).leads).toEqual([]);
  });

  it('flattens properties, cuts long text instead of refusing the event, and takes the path from the URL', async () => {
    const visitorId = 'v_' + newId();
    const event = makeEvent({ visitorId, type: 'track', name: 'calc', title: 't'.repeat(900), props: { seats: 3, plan: { id: 'growth' }, list: [1, 2], note: 'n'.repeat(3000) } });
    delete event.path;
    event.url = `${DEMO_ORIGIN}/pricing?x=1`;
    const res = await postBatch(app(), { events: [event] });
    expect(res.status).toBe(200);
    const [e] = await stored(visitorId);
    expect(e.props).toEqual({ seats: 3, plan: '{"id":"growth"}', list: '[1,2]', note: 'n'.repeat(2000) });
    expect(e.title).toHaveLength(500);
    expect(e.path).toBe('/pricing');
    expect(e.stage).toBe('bottom');
  });

  it('reads the stage from markup in any case and ignores an unknown one, keeping the event', async () => {
    const visitorId = 'v_' + newId();
    const shouting = makeEvent({ visitorId, ts: Date.now() - 2000, path: '/about', stage: ' Bottom ' });
    const typo = makeEvent({ visitorId, ts: Date.now() - 1000, path: '/blog/x', stage: 'sideways' });
    const res = await postBatch(app(), { events: [shouting, typo] });
    expect(await res.json()).toMatchObject({ accepted: 2, rejected: [] });
    expect((await stored(visitorId)).map((e: any) => e.stage)).toEqual(['bottom', 'top']);
  });

  it("refuses an event whose URL is not a web page's (not a URL, javascript:, data:), naming the field", async () => {
    const res = await postBatch(app(), { events: [makeEvent({ url: 'not a url' }), makeEvent({ url: 'javascript:alert(1)//https://x.example/' }), makeEvent({ url: 'data:text/html,<script>1</script>' })] });
    expect(res.status).toBe(400);
    const { rejected } = await res.json();
    expect(rejected.map((r: { field: string }) => r.field)).toEqual(['url', 'url', 'url']);
    expect(rejected[1].error).toMatch(/^url: must be an absolute http\(s\) URL/);
  });
});
