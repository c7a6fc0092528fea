import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { DEMO_ORIGIN, TEST_SECRET_KEY, getWithKey, makeEvent, newId, testConfig } from '../../../test/support/ingest.js';
import type { TrackedEvent } from '../../../shared/src/types.js';
import { createApp } from '../app.js';
import type { Database } from '../db/schema.js';
import { MAX_NEW_BROWSERS_PER_LEAD_PER_CLIENT_PER_HOUR, MAX_NEW_LEADS_PER_CLIENT_PER_HOUR } from '../identity/guardrails.js';
import { collectFromClients } from '../../../test/support/loopbackServers.js';

/**
 * Export and erasure of a person whose email reached browsers that were never linked to them:
 * a link the guardrails refused (a burst of browsers from one client), and a form sent when its
 * client had made its leads for the hour, so no lead was made. Clients are told apart by
 * address: the app trusts the loopback proxy, so each request's `X-Forwarded-For` is its client.
 */
describeEachDialect('export and erasure reach browsers never linked to the person', (getDb) => {
  const auth = { Authorization: `Bearer ${TEST_SECRET_KEY}` };
  const app = () => createApp({ db: getDb().db, config: testConfig, secretKey: TEST_SECRET_KEY, limits: { perAddressPerMinute: 0, perSitePerMinute: 0, trustedProxies: ['loopback'] } });
  const collect = collectFromClients(app);
  const post = async (client: string, events: TrackedEvent[]) => {
    const res = await collect(client, events);
    const answer = await res.text();
    expect(res.status, answer).toBe(200);
    expect(JSON.parse(answer).rejected, answer).toEqual([]);
  };
  const view = (v: string, ts: number) => makeEvent({ visitorId: v, sessionId: `s-${v}`, ts, path: '/pricing', url: `${DEMO_ORIGIN}/pricing` });
  const form = (v: string, ts: number, traits: Record<string, string>) => makeEvent({ visitorId: v, sessionId: `s-${v}`, ts, type: 'form', name: 'demo-request', traits, url: `${DEMO_ORIGIN}/demo` });
  const leadOf = async (email: string) => (await (await getWithKey(app(), `/v1/leads?email=${encodeURIComponent(email)}`)).json()).leads[0];
  /** A person's values no one else has: the email (typed in capitals, as people do), a phone number and a company. */
  const personal = () => {
    const tag = newId();
    return {
      email: `erasetest-${tag}@corp.example`,
      phone: `+4420${String(parseInt(tag.slice(0, 8), 16)).padStart(10, '0').slice(0, 8)}`,
      // Hex digits as letters: a random run of digits can look like a card number, which is dropped.
      company: `Corp ${tag.replace(/\d/g, (d) => 'ghijklmnop'[Number(d)]!)}`,
    };
  };
  /** A distinct client address per scenario, so one's hourly limits do not reach another's. */
  let clients = 0;
  const client = () => `198.51.100.${++clients}`;
  const text = async (table: keyof Database) => JSON.stringify(await getDb().db.selectFrom(table).selectAll().execute());
  const browserRows = async (visitorIds: string[]) => ({
    events: await getDb().db.selectFrom('events').select(['visitor_id', 'type', 'traits']).where('visitor_id', 'in', visitorIds).execute(),
    visitors: await getDb().db.selectFrom('visitors').select(['visitor_id', 'score_state']).where('visitor_id', 'in', visitorIds).execute(),
  });

  /** Case A: six browsers from one client send the person's form; the guardrails link four and refuse two. */
  async function refusedBurst() {
    const { email, phone, company } = personal();
    const from = client();
    const browsers = Array.from({ length: 6 }, () => 'v_' + newId());
    const t = Date.now() - 60_000;
    for (const [i, v] of browsers.entries()) {
      // The last browser was used before (its page view is not known to be the person's).
      await post(from, [...(i === 5 ? [view(v, t + i * 1000 - 500)] : []), form(v, t + i * 1000, { email: email.toUpperCase(), phone, company })]);
    }
    const lead = await leadOf(email);
    const linked = browsers.slice(0, 1 + MAX_NEW_BROWSERS_PER_LEAD_PER_CLIENT_PER_HOUR);
    const refused = browsers.slice(1 + MAX_NEW_BROWSERS_PER_LEAD_PER_CLIENT_PER_HOUR);
    expect([...lead.visitorIds].sort()).toEqual([...linked].sort());
    const log = await getDb().db.selectFrom('identity_log').select('visitor_id').where('lead_id', '=', lead.id).where('kind', '=', 'refused').execute();
    expect(log.map((l) => l.visitor_id).sort()).toEqual([...refused].sort());
    // The refused browsers hold the person's values: in their events and their score state.
    const before = await browserRows(refused);
    expect(before.events.filter((e) => e.type === 'form').map((e) => e.traits)).toEqual([expect.stringContaining(phone), expect.stringContaining(phone)]);
    expect(before.visitors.map((v) => v.score_state)).toEqual([expect.stringContaining(company), expect.stringContaining(company)]);
    return { lead, email, phone, company, linked, refused };
  }

  /** Case B: the office's client has made its leads for the hour, so the person's form there makes none; they sign up later from home. */
  async function limitedOffice() {
    const { email, phone, company } = personal();
    const office = client();
    const tag = newId();
    const t = Date.now() - 60_000;
    await post(office, Array.from({ length: MAX_NEW_LEADS_PER_CLIENT_PER_HOUR }, (_, i) => form('v_' + newId(), t, { email: `colleague-${tag}-${i}@corp.example` })));
    const officeBrowser = 'v_' + newId();
    await post(office, [view(officeBrowser, t + 1000), form(officeBrowser, t + 2000, { email, phone })]);
    expect(await leadOf(email)).toBeUndefined();
    const home = 'v_' + newId();
    await post(client(), [form(home, t + 10_000, { email, company })]);
    const lead = await leadOf(email);
    expect(lead.visitorIds).toEqual([home]);
    const before = await browserRows([officeBrowser]);
    expect(before.events.find((e) => e.type === 'form')?.traits).toContain(phone);
    expect(before.visitors[0]?.score_state).toContain(phone);
    return { lead, email, phone, company, officeBrowser, home };
  }

  /** Nothing of the person's values in any table, and (SQLite) in the database's files. */
  async function expectGone(values: string[]) {
    const { db } = getDb();
    for (const table of (await db.introspection.getTables()).filter((t) => !t.name.startsWith('kysely_'))) {
      const held = await text(table.name as keyof Database);
      for (const value of values) expect(held.toLowerCase(), `${table.name} still holds ${value}`).not.toContain(value.toLowerCase());
    }
    if (getDb().dialect === 'sqlite') {
      const path = getDb().url.slice('sqlite:'.length);
      for (const file of [path, `${path}-wal`]) {
        const bytes = (await readFile(file).catch(() => Buffer.alloc(0))).toString('latin1').toLowerCase();
        for (const value of values) expect(bytes.includes(value.toLowerCase()), `${file} holds ${value}`).toBe(false);
      }
    }
  }

  it('exports the forms of browsers whose link the guardrails refused', async () => {
    const { lead, phone, linked, refused } = await refusedBurst();
    const res = await app().request(`/v1/leads/${lead.id}/export`, { headers: auth });
    expect(res.status).toBe(200);
    const data = await res.json();
    const forms = data.events.filter((e: any) => e.type === 'form');
    expect(forms.map((e: any) => e.visitorId).sort()).toEqual([...linked, ...refused].sort());
    for (const f of forms) expect(f.traits.phone).toBe(phone);
    expect(data.browsers).toEqual(expect.arrayContaining(refused.map((visitorId) => ({ visitorId, linked: false }))));
    // The page view the last refused browser had before is not known to be the person's.
    expect(data.events.filter((e: any) => e.type === 'pageview')).toEqual([]);
  });

  it('erases the person from browsers whose link the guardrails refused, keeping what else such a browser holds', async () => {
    const { lead, email, phone, company, refused } = await refusedBurst();
    const res = await app().request(`/v1/leads/${lead.id}`, { method: 'DELETE', headers: auth });
    expect(res.status).toBe(200);
    await expectGone([email, phone, company]);
    // The refused browser that held only the form is gone; the other keeps its page view, as anyone's.
    const after = await browserRows(refused);
    expect(after.events.map((e) => [e.visitor_id, e.type])).toEqual([[refused[1], 'pageview']]);
    expect(after.visitors.map((v) => v.visitor_id)).toEqual([refused[1]]);
    expect(JSON.parse(after.visitors[0]!.score_state!).traits).toEqual({});
    expect((await res.json()).erased).toMatchObject({ leads: 1, visitors: 4 + 1, events: 6, visitorsCleaned: 1 });
  });

  it("exports the form a browser sent when its client's lead limit made no lead", async () => {
    const { lead, phone, company, officeBrowser, home } = await limitedOffice();
    const data = await (await app().request(`/v1/leads/${lead.id}/export`, { headers: auth })).json();
    expect(data.events.filter((e: any) => e.type === 'form').map((e: any) => [e.visitorId, e.traits.phone ?? e.traits.company])).toEqual([
      [officeBrowser, phone],
      [home, company],
    ]);
    expect(data.browsers).toEqual(expect.arrayContaining([{ visitorId: officeBrowser, linked: false }]));
    expect(data.visits.map((v: any) => v.visitorId).sort()).toEqual([home, officeBrowser].sort());
  });

  it("erases the form a browser sent when its client's lead limit made no lead", async () => {
    const { lead, email, phone, company, officeBrowser } = await limitedOffice();
    const res = await app().request(`/v1/leads/${lead.id}`, { method: 'DELETE', headers: auth });
    expect(res.status).toBe(200);
    await expectGone([email, phone, company]);
    // The office browser keeps its page view, as anyone's, and is rescored from it off the request path.
    const after = await browserRows([officeBrowser]);
    expect(after.events.map((e) => e.type)).toEqual(['pageview']);
    expect(JSON.parse(after.visitors[0]!.score_state!).traits).toEqual({});
    expect(await getDb().db.selectFrom('replay_queue').select('subject').where('subject_id', '=', officeBrowser).execute()).toHaveLength(1);
    expect((await res.json()).erased).toMatchObject({ leads: 1, visitors: 1, events: 2, visitorsCleaned: 1 });
  });
});
