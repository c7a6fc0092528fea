import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { fromJson, fromJsonOrNull } from '../db/json.js';
import { DEMO_ORIGIN, makeEvent, newId, postBatch, testApp } from '../../../test/support/ingest.js';

const ROCKET = '\ud83d\ude80';
/**
 * Half an emoji as it shows in JSON text: JSON.stringify writes a lone surrogate as an escape
 * (`\ud83d`), in a text column's value and in the JSON a JSON column holds alike.
 */
const LONE_ESCAPE = /\\ud[89a-f]/i;

describeEachDialect('POST /v1/collect cutting long text', (getDb) => {
  const app = () => testApp(getDb().db);

  it('stores a form whose traits, a page view whose title, name, category, props and campaign, and a click whose URL are cut inside an emoji, dropping the emoji whole', async () => {
    const visitorId = 'v_' + newId();
    const email = `ana-${newId()}@fernhill.example`;
    // 199 letters and an emoji are 201 UTF-16 code units: a cut at 200 falls between its halves.
    const form = makeEvent({ visitorId, type: 'form', name: 'contact', traits: { email, company: 'a'.repeat(199) + ROCKET, job_title: 'b'.repeat(199) + ROCKET } });
    const page = makeEvent({
      visitorId,
      title: 't'.repeat(499) + ROCKET,
      name: 'n'.repeat(199) + ROCKET,
      category: 'c'.repeat(99) + ROCKET,
      props: { note: 'p'.repeat(1999) + ROCKET, ['k'.repeat(99) + ROCKET]: 1 },
      campaign: { source: 's'.repeat(199) + ROCKET },
      url: `${DEMO_ORIGIN}/?utm_campaign=${'u'.repeat(199)}${encodeURIComponent(ROCKET)}`,
    });
    // A URL is cut at 2,000 code units; this one has an emoji, as typed, across the cut.
    const longUrl = `${DEMO_ORIGIN}/${'x'.repeat(1999 - DEMO_ORIGIN.length - 1)}`;
    const link = makeEvent({ visitorId, type: 'click', url: longUrl + ROCKET });
    const res = await postBatch(app(), { events: [form, page, link] });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 3, rejected: [] });

    const rows = await getDb().db.selectFrom('events').selectAll().where('id', 'in', [form.id, page.id, link.id]).execute();
    expect(rows).toHaveLength(3);
    const stored = (id: string) => rows.find((r) => r.id === id)!;
    expect(JSON.stringify(rows)).not.toMatch(LONE_ESCAPE);
    expect(JSON.stringify(rows)).not.toContain('\ufffd');

    expect(fromJsonOrNull(stored(form.id).traits)).toEqual({ email, company: 'a'.repeat(199), jobTitle: 'b'.repeat(199) });
    const view = stored(page.id);
    expect(view.title).toBe('t'.repeat(499));
    expect(view.name).toBe('n'.repeat(199));
    expect(view.category).toBe('c'.repeat(99));
    expect(fromJsonOrNull(view.props)).toEqual({ note: 'p'.repeat(1999), ['k'.repeat(99)]: 1 });
    expect(fromJsonOrNull(view.campaign)).toMatchObject({ source: 's'.repeat(199), campaign: 'u'.repeat(199) });

    expect(stored(link.id).url).toBe(longUrl);

    const lead = await getDb().db.selectFrom('leads').selectAll().where('email', '=', email).executeTakeFirstOrThrow();
    expect(JSON.stringify(lead)).not.toMatch(LONE_ESCAPE);
    expect(JSON.stringify(lead)).not.toContain('\ufffd');
    expect(fromJson(lead.traits)).toMatchObject({ company: 'a'.repeat(199), jobTitle: 'b'.repeat(199) });
  });

  it('keeps the events beside a URL over 2,000 characters: a long user and password are dropped before the cut, and a URL the cut leaves unreadable is refused alone, naming url', async () => {
    const visitorId = 'v_' + newId();
    const good = makeEvent({ visitorId });
    // Cut at 2,000 characters this was `https://a:bbbb…` with no host: a 500 that lost the batch.
    const withPassword = makeEvent({ visitorId, url: `https://a:${'b'.repeat(2000)}@x.example/pricing` });
    // Cut at 2,000 characters inside a percent-escape of its host: no URL any more.
    const longHost = makeEvent({ visitorId, url: `https://bb${'%61'.repeat(700)}.example/` });
    const res = await postBatch(app(), { events: [good, withPassword, longHost] });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      accepted: 2,
      rejected: [{ index: 2, id: longHost.id, field: 'url', error: 'url: over 2,000 characters, and cut to that it is no longer a URL' }],
    });
    const rows = await getDb().db.selectFrom('events').select(['id', 'url', 'path']).where('visitor_id', '=', visitorId).orderBy('id').execute();
    expect(rows.find((r) => r.id === withPassword.id)).toMatchObject({ id: withPassword.id, url: 'https://x.example/pricing' });
    expect(rows.map((r) => r.id).sort()).toEqual([good.id, withPassword.id].sort());
  });

  it('keeps an emoji that fits whole', async () => {
    const visitorId = 'v_' + newId();
    const email = `bo-${newId()}@fernhill.example`;
    const form = makeEvent({ visitorId, type: 'form', name: 'contact', traits: { email, company: 'a'.repeat(198) + ROCKET } });
    const page = makeEvent({ visitorId, title: 't'.repeat(498) + ROCKET });
    const res = await postBatch(app(), { events: [form, page] });
    expect(res.status).toBe(200);
    const rows = await getDb().db.selectFrom('events').select(['id', 'title', 'traits']).where('id', 'in', [form.id, page.id]).execute();
    expect(fromJsonOrNull(rows.find((r) => r.id === form.id)!.traits)).toMatchObject({ company: 'a'.repeat(198) + ROCKET });
    expect(rows.find((r) => r.id === page.id)!.title).toBe('t'.repeat(498) + ROCKET);
  });
});
