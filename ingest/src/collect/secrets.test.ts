import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { DEMO_ORIGIN, getWithKey, makeEvent, newId, postBatch, testApp } from '../../../test/support/ingest.js';

/** Every secret in these events; none may appear anywhere in what is stored. */
const SECRETS = [
  'pw-7f3a9c', 'tok-51be20', 'key-c0ffee', 'jwt-e11e0d', 'oauth-code-42', 'implicit-9d1c', 'ref-tok-77aa', 'camp-sig-3b', '4111111111111111', '4111.1111.1111.1111', '123 45 6789',
  'jsess-5e55', 'semi-tok-9a', 'php-5e55', 'sid-77b1', 'rel-tok-3c', 'rel-tok-4d', 'nested-tok-1e', 'nested-pw-2f', '4111 1111 1111 1111', '4111_1111_1111_1111', '123-45-6789',
  '5555555555554444', '4111111111111112', '4111%201111', 'SECRET5', 'SECRET6', 'SECRET13', 'SECRET18', 'SECRET19',
  'bare-pw-61', 'cookie-sid-62', 'bearer0123456789ab63', 'utm-pw-64', 'screen-tok-65', 'trait-tok-66', 'www-tok-67', 'hdr-key-68',
];

describeEachDialect('secrets never stored', (getDb) => {
  const app = () => testApp(getDb().db);
  const storedRows = async (sessionId: string) => ({
    events: await getDb().db.selectFrom('events').selectAll().where('session_id', '=', sessionId).orderBy('ts').execute(),
    sessions: await getDb().db.selectFrom('sessions').selectAll().where('session_id', '=', sessionId).execute(),
  });
  const expectNoSecret = (rows: unknown) => {
    const text = JSON.stringify(rows);
    for (const secret of SECRETS) expect(text, secret).not.toContain(secret);
  };

  it('strips secrets from text that is a bare query, a cookie or a header line, from bearer tokens, relative URLs in names, URLs without a scheme, trait values and query-valued parameters (hostile-input probe)', async () => {
    const sessionId = 's_' + newId();
    const visitorId = 'v_' + newId();
    const email = `tr-${newId()}@fernhill.example`;
    const events = [
      makeEvent({
        sessionId,
        visitorId,
        ts: Date.now() - 3000,
        url: `${DEMO_ORIGIN}/?utm_term=password%3Dutm-pw-64&utm_source=ads`,
        title: 'see www.partner.example/reset?token=www-tok-67',
        props: { q: 'a=1&password=bare-pw-61', cookie: 'theme=dark; sessionid=cookie-sid-62', note: 'Authorization: Bearer bearer0123456789ab63', line: 'X-Api-Key: hdr-key-68' },
      }),
      makeEvent({ sessionId, visitorId, ts: Date.now() - 2000, type: 'click', name: 'reset?token=screen-tok-65' }),
      makeEvent({ sessionId, visitorId, ts: Date.now() - 1000, type: 'form', name: 'contact', traits: { email, company: 'https://x.example/?token=trait-tok-66' } }),
    ];
    const res = await postBatch(app(), { events });
    expect(await res.json()).toMatchObject({ accepted: 3, rejected: [] });
    const rows = await storedRows(sessionId);
    expect(rows.events).toHaveLength(3);
    expectNoSecret(rows);
    expectNoSecret(await getDb().db.selectFrom('leads').selectAll().where('email', '=', email).execute());
    expect(rows.events[0]!.url).toBe(`${DEMO_ORIGIN}/?utm_source=ads`);
    expect(JSON.parse(rows.events[0]!.props!)).toEqual({ q: 'a=1', cookie: 'theme=dark', note: 'Authorization: [redacted]', line: 'X-Api-Key: [redacted]' });
    expect(rows.events[1]!.name).toBe('reset');
  });

  it('strips secret parameters from URLs and referrers, keeping UTM parameters and click ids', async () => {
    const sessionId = 's_' + newId();
    const landing = makeEvent({
      sessionId,
      ts: Date.now() - 2000,
      path: '/pricing',
      url: `${DEMO_ORIGIN}/pricing?utm_source=news&password=pw-7f3a9c&token=tok-51be20&api_key=key-c0ffee&gclid=G-1&utm_campaign=spring#access_token=implicit-9d1c&state=s1`,
      referrer: 'https://partner.example/out?jwt=jwt-e11e0d&x-api-key=key-c0ffee&from=blog',
      campaign: { referrer: 'https://partner.example/out?sig=camp-sig-3b' },
    });
    const callback = makeEvent({ sessionId, ts: Date.now() - 1000, path: '/oauth/callback', url: `${DEMO_ORIGIN}/oauth/callback?code=oauth-code-42&state=s2`, referrer: `${DEMO_ORIGIN}/login?refresh_token=ref-tok-77aa` });
    expect((await postBatch(app(), { events: [landing, callback] })).status).toBe(200);

    const rows = await storedRows(sessionId);
    expect(rows.events).toHaveLength(2);
    expectNoSecret(rows);
    const [first, second] = rows.events;
    expect(first!.url).toBe(`${DEMO_ORIGIN}/pricing?utm_source=news&gclid=G-1&utm_campaign=spring#state=s1`);
    expect(first!.referrer).toBe('https://partner.example/out?from=blog');
    expect(JSON.parse(first!.campaign!)).toEqual({ source: 'news', campaign: 'spring', gclid: 'G-1', referrer: 'https://partner.example/out?from=blog' });
    expect(first!.stage).toBe('bottom');
    expect(second!.url).toBe(`${DEMO_ORIGIN}/oauth/callback?state=s2`);
    expect(second!.referrer).toBe(`${DEMO_ORIGIN}/login`);
  });

  it('strips secret path parameters (;jsessionid=) and ";"-separated secret query parameters, keeping UTM parameters and click ids', async () => {
    const sessionId = 's_' + newId();
    const event = makeEvent({
      sessionId,
      path: '/shop;jsessionid=jsess-5e55',
      url: `${DEMO_ORIGIN}/shop;jsessionid=jsess-5e55;v=2?utm_source=news;token=semi-tok-9a&gclid=G-2;utm_campaign=spring`,
      referrer: 'https://partner.example/p;phpsessid=php-5e55?from=blog;sid=sid-77b1',
    });
    expect((await postBatch(app(), { events: [event] })).status).toBe(200);

    const rows = await storedRows(sessionId);
    expectNoSecret(rows);
    expect(rows.events[0]).toMatchObject({
      url: `${DEMO_ORIGIN}/shop;v=2?utm_source=news&gclid=G-2;utm_campaign=spring`,
      path: '/shop',
      referrer: 'https://partner.example/p?from=blog',
    });
    expect(JSON.parse(rows.events[0]!.campaign!)).toMatchObject({ source: 'news' });
  });

  it('drops secret and card-like properties and card numbers sent as numbers or with dots, keeping the rest', async () => {
    const sessionId = 's_' + newId();
    const event = makeEvent({
      sessionId,
      type: 'track',
      name: 'checkout',
      props: {
        password: 'pw-7f3a9c',
        apiKey: 'key-c0ffee',
        accessToken: 'tok-51be20',
        cvv: 123,
        iban: 'DE89370400440532013000',
        note: 4111111111111111,
        ref: '4111.1111.1111.1111',
        who: '123 45 6789',
        file: `${DEMO_ORIGIN}/files/a.pdf?token=tok-51be20&v=2`,
        seats: 12,
        plan: 'growth',
        engagedMs: 61_000,
        scrollDepth: 80,
      },
    });
    expect((await postBatch(app(), { events: [event] })).status).toBe(200);

    const rows = await storedRows(sessionId);
    expectNoSecret(rows);
    expect(rows.events[0]!.props).not.toContain('DE89370400440532013000');
    expect(JSON.parse(rows.events[0]!.props!)).toEqual({ file: `${DEMO_ORIGIN}/files/a.pdf?v=2`, seats: 12, plan: 'growth', engagedMs: 61_000, scrollDepth: 80 });
  });

  it('drops sensitive names inside nested properties, cards and social security numbers inside text, and secrets in relative URLs', async () => {
    const sessionId = 's_' + newId();
    const event = makeEvent({
      sessionId,
      type: 'track',
      name: 'checkout',
      props: {
        meta: { token: 'nested-tok-1e', plan: 'pro', steps: [{ password: 'nested-pw-2f', n: 1 }] },
        note: 'card 4111 1111 1111 1111 ',
        ref: '4111_1111_1111_1111',
        who: 'SSN 123-45-6789',
        back: '/reset?token=rel-tok-3c&step=2',
        query: '?token=rel-tok-4d',
        exp_month: 12,
        export: 'csv',
        expires: 1718000000000,
        experience: 'five years',
        order: '1234567890123456',
      },
    });
    expect((await postBatch(app(), { events: [event] })).status).toBe(200);

    const rows = await storedRows(sessionId);
    expectNoSecret(rows);
    const props = JSON.parse(rows.events[0]!.props!);
    expect(props).toEqual({ meta: expect.any(String), back: '/reset?step=2', query: '', export: 'csv', expires: 1718000000000, experience: 'five years', order: '1234567890123456' });
    // A nested object is stored as its JSON text, without its secrets.
    expect(JSON.parse(props.meta)).toEqual({ plan: 'pro', steps: [{ n: 1 }] });
  });

  it('removes query and fragment parameters whose value is a card or social security number, card-named ones, and secrets in parameters that are URLs or follow a hash route', async () => {
    const sessionId = 's_' + newId();
    const landing = makeEvent({
      sessionId,
      ts: Date.now() - 2000,
      path: '/about',
      url: `${DEMO_ORIGIN}/about?note=4111111111111111&utm_source=news&utm_campaign=spring_sale_2026&order=123456789012&redirect=https%3A%2F%2Fa.example%2F%3Ftoken%3DSECRET18%26step%3D2#/reset&token=SECRET13&step=3`,
      referrer: 'https://partner.example/out?q=5555555555554444&from=blog',
    });
    const pay = makeEvent({
      sessionId,
      ts: Date.now() - 1000,
      path: '/pay?q=4111%201111%201111%201111&v=2',
      url: `${DEMO_ORIGIN}/pay?q=4111%201111%201111%201111&ccnum=4111111111111111&cardnumber=5555555555554444&card_number=4111111111111112&ssn=123-45-6789&plan=pro#who=123-45-6789&tab=1`,
    });
    expect((await postBatch(app(), { events: [landing, pay] })).status).toBe(200);

    const rows = await storedRows(sessionId);
    expectNoSecret(rows);
    const [first, second] = rows.events;
    expect(first!.url).toBe(`${DEMO_ORIGIN}/about?utm_source=news&utm_campaign=spring_sale_2026&order=123456789012&redirect=https%3A%2F%2Fa.example%2F%3Fstep%3D2#/reset&step=3`);
    expect(first!.referrer).toBe('https://partner.example/out?from=blog');
    expect(JSON.parse(first!.campaign!)).toEqual({ source: 'news', campaign: 'spring_sale_2026', referrer: 'https://partner.example/out?from=blog' });
    expect(second!.url).toBe(`${DEMO_ORIGIN}/pay?plan=pro#tab=1`);
    expect(second!.path).toBe('/pay?v=2');
  });

  it('redacts card and social security numbers in page paths, in the URL, the path and the referrer, so no page report or lead timeline shows them', async () => {
    const sessionId = 's_' + newId();
    const receipt = makeEvent({
      sessionId,
      ts: Date.now() - 1000,
      path: '/orders/4111111111111111/receipt',
      url: `${DEMO_ORIGIN}/orders/4111111111111111/receipt?utm_source=news`,
      referrer: `${DEMO_ORIGIN}/account/123-45-6789/cards/5555%205555%205555%204444`,
    });
    expect((await postBatch(app(), { events: [receipt] })).status).toBe(200);

    const rows = await storedRows(sessionId);
    expectNoSecret(rows);
    const [event] = rows.events;
    expect(event!.url).toBe(`${DEMO_ORIGIN}/orders/[redacted]/receipt?utm_source=news`);
    expect(event!.path).toBe('/orders/[redacted]/receipt');
    expect(event!.referrer).toBe(`${DEMO_ORIGIN}/account/[redacted]/cards/[redacted]`);
  });

  it('drops numbers written in other scripts, with typographic dashes or invisible characters, and property names holding one', async () => {
    const sessionId = 's_' + newId();
    const email = `unicode-${newId()}@fernhill.example`;
    const form = makeEvent({
      sessionId,
      type: 'form',
      name: 'contact',
      traits: { email, company: '4111\u200b1111\u200b1111\u200b1111', name: 'Ana \uff14\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11', jobTitle: 'CTO' },
      props: { '4111 1111 1111 1111': 'x', note: 'SSN 123\u201345\u20136789', card2: 'x', ref: '\u0664\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661', plan: 'pro' },
    });
    expect((await postBatch(app(), { events: [form] })).status).toBe(200);
    const rows = await storedRows(sessionId);
    const text = JSON.stringify(rows);
    for (const secret of ['4111 1111 1111 1111', '4111\u200b1111', '123\u201345', '\uff14\uff11\uff11\uff11', '\u0664\u0661\u0661']) expect(text, secret).not.toContain(JSON.stringify(secret).slice(1, -1));
    const [event] = rows.events;
    expect(JSON.parse(event!.props!)).toEqual({ plan: 'pro' });
    expect(JSON.parse(event!.traits!)).toEqual({ email, jobTitle: 'CTO' });
    const lead = await getDb().db.selectFrom('leads').select('traits').where('email', '=', email).executeTakeFirstOrThrow();
    expect(JSON.parse(lead.traits!)).toEqual({ email, jobTitle: 'CTO' });
  });

  it('drops a title, name or category holding a card or social security number, and cleans campaign fields for the whole visit', async () => {
    const visitorId = 'v_' + newId();
    const sessionId = 's_' + newId();
    const t0 = Date.now() - 5000;
    const landing = makeEvent({
      visitorId,
      sessionId,
      ts: t0,
      path: '/about',
      title: 'Card 4111 1111 1111 1111 SSN 123-45-6789',
      category: 'card 4111 1111 1111 1111',
      campaign: { term: '4111 1111 1111 1111', content: '?token=SECRET5', source: 'https://x.example/?token=SECRET6&a=1', medium: 'cpc', campaign: 'spring_sale_2026', gclid: '5555555555554444', referrer: 'not a link 4111 1111 1111 1111' },
    });
    const named = makeEvent({ visitorId, sessionId, ts: t0 + 1000, type: 'track', name: 'card 4111 1111 1111 1111', category: '123-45-6789' });
    const download = makeEvent({ visitorId, sessionId, ts: t0 + 2000, type: 'download', name: 'card%204111%201111%201111%201111.pdf', props: { marked: true } });
    const fine = makeEvent({ visitorId, sessionId, ts: t0 + 3000, type: 'track', name: 'Trial Started', title: 'Order 123456789012 — see https://x.example/r?token=SECRET19&k=1', category: 'guide' });
    const res = await postBatch(app(), { events: [landing, named, download, fine] });
    expect(await res.json()).toMatchObject({ accepted: 4, rejected: [] });

    const rows = await storedRows(sessionId);
    expectNoSecret(rows);
    const campaign = { source: 'https://x.example/?a=1', medium: 'cpc', campaign: 'spring_sale_2026' };
    expect(rows.events.map((e) => [e.name, e.title, e.category])).toEqual([
      [null, null, null],
      [null, null, null],
      [null, null, null],
      ['Trial Started', 'Order 123456789012 — see https://x.example/r?k=1', 'guide'],
    ]);
    // The campaign the visit started with, without its sensitive values, on every event of the visit and in its session.
    expect(rows.events.map((e) => JSON.parse(e.campaign!))).toEqual([campaign, campaign, campaign, campaign]);
    expect(JSON.parse(rows.sessions[0]!.campaign!)).toEqual(campaign);
    // As the API returns them.
    const { events } = await (await getWithKey(app(), `/v1/visitors/${visitorId}/events?limit=10`)).json();
    expectNoSecret(events);
    expect(events.map((e: { campaign: unknown }) => e.campaign)).toEqual([campaign, campaign, campaign, campaign]);
  });
});
