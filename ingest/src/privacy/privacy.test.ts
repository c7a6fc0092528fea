import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { DEMO_ORIGIN, TEST_SECRET_KEY, getWithKey, makeEvent, newId, postBatch, testApp } from '../../../test/support/ingest.js';
import { toJson } from '../db/json.js';
import type { Database } from '../db/schema.js';
import { markForReplay } from '../replay/replayQueue.js';
import { catchUpRollups } from '../rollups/processRollupQueue.js';

/** Columns that name a lead or a browser: a table with one of them can name a person. */
const PERSON_COLUMNS = ['lead_id', 'other_lead_id', 'visitor_id', 'subject', 'subject_id', 'merged_into', 'member'];
/** The one table meant to keep the erased lead's opaque id (and nothing else of it). */
const AUDIT = 'audit_log';

describeEachDialect('export and erase one person', (getDb) => {
  const auth = { Authorization: `Bearer ${TEST_SECRET_KEY}` };
  const json = async (res: Response | Promise<Response>) => (await res).json();

  /** A person with two browsers, a lead merged into theirs, and a shared computer used after them by someone else. */
  async function person() {
    const app = testApp(getDb().db);
    const tag = newId();
    const { db } = getDb();
    const [laptop, phone, shared, otherPerson] = ['v_' + newId(), 'v_' + newId(), 'v_' + newId(), 'v_' + newId()];
    const email = `erase-${tag}@fernhill.example`;
    const other = `someone-${tag}@fernhill.example`;
    // A trait value only this person has: it must leave the trait history and the files too.
    const phoneNumber = `+4420${String(parseInt(tag.slice(0, 8), 16)).padStart(10, '0').slice(0, 8)}`;
    // Hex digits as letters: the random hex can hold a Luhn-valid run of 13 to 19 digits (about
    // 1 in 1,000), which the ingest rightly drops from a trait as a card number.
    const company = `Fernhill ${tag.replace(/\d/g, (d) => 'ghijklmnop'[Number(d)]!)}`;
    const t = Date.now() - 60_000;
    // A webhook, so stage changes leave deliveries whose payloads name the person (never sent: no dispatcher here).
    await db.insertInto('webhooks').values({ id: `wh_${tag}`, site_id: 'scored', url: 'https://hooks.example.com/leadbeam', secret: 'whsec_test_0123456789abcdef', events: toJson(['lead.stage_changed']), created_at: t }).execute();
    const view = (v: string, ts: number, path = '/pricing') => makeEvent({ visitorId: v, sessionId: `s-${v}`, ts, path, url: `${DEMO_ORIGIN}${path}` });
    const form = (v: string, ts: number, address: string, traits = {}) => makeEvent({ visitorId: v, sessionId: `s-${v}`, ts, type: 'form', name: 'demo-request', traits: { email: address, jobTitle: 'CFO', ...traits }, url: `${DEMO_ORIGIN}/demo` });
    const s = 1000;
    // The form that makes the lead, then one that adds a phone number: a change in the trait history.
    await postBatch(app, { site: 'scored', events: [view(laptop, t), form(laptop, t + s, email)] });
    await postBatch(app, { site: 'scored', events: [form(laptop, t + 1.5 * s, email, { phone: phoneNumber })] });
    await postBatch(app, { site: 'scored', events: [view(phone, t + 2 * s), form(phone, t + 3 * s, `home-${tag}@gmail.com`)] });
    // On the shared computer the person adds their company: a change from a browser that later is someone else's.
    await postBatch(app, { site: 'scored', events: [view(shared, t + 4 * s), form(shared, t + 5 * s, email, { company }), view(shared, t + 6 * s)] });
    // Later, someone else on the shared computer.
    await postBatch(app, { site: 'scored', events: [form(shared, t + 10 * s, other), view(shared, t + 11 * s), view(otherPerson, t + 12 * s)] });
    const lead = (await json(getWithKey(app, `/v1/leads?email=${email}`))).leads[0];
    const home = (await json(getWithKey(app, `/v1/leads?email=home-${tag}@gmail.com`))).leads[0];
    const contacted = await app.request(`/v1/leads/${lead.id}/feedback`, { method: 'POST', body: JSON.stringify({ type: 'contacted', note: `called ${email}` }), headers: { ...auth, 'Content-Type': 'application/json' } });
    expect(contacted.status).toBe(200);
    await app.request(`/v1/leads/${lead.id}/merge`, { method: 'POST', body: JSON.stringify({ leadId: home.id }), headers: { ...auth, 'Content-Type': 'application/json' } });
    // Rows the in-process requests cannot make, or that workers absent here would take away: a
    // claim from a client address (the guardrails' hashed key), a follow-up breach of the sales
    // handover, and replays still queued (a late event for the laptop and for the lead).
    await markForReplay(db, [{ kind: 'visitor', site_id: 'scored', subject_id: laptop }, { kind: 'lead', site_id: 'scored', subject_id: lead.id }], t + 8 * s);
    await db.insertInto('identity_claims').values({ site_id: 'scored', client_key: `ck_${tag}`, kind: 'link', lead_id: lead.id, at: t + 7 * s }).execute();
    const handover = await db.selectFrom('stage_changes').select(['id', 'at']).where('lead_id', '=', lead.id).orderBy('at', 'desc').executeTakeFirstOrThrow();
    await db.insertInto('follow_up_breaches').values({ handover_id: handover.id, site_id: 'scored', lead_id: lead.id, qualified_at: handover.at, deadline_at: handover.at + 1, breached_at: handover.at + 2 }).execute();
    return { app, lead, home, email, other, phoneNumber, company, laptop, phone, shared, t, tag };
  }

  it('exports everything held about the person as JSON, and only what is theirs', async () => {
    const { app, lead, home, email, phoneNumber, company, laptop, phone, shared, t } = await person();
    const res = await app.request(`/v1/leads/${lead.id}/export`, { headers: auth });
    expect(res.status).toBe(200);
    const data = await res.json();
    expect(data.leads.map((l: any) => l.id).sort()).toEqual([lead.id, home.id].sort());
    expect(data.leads.find((l: any) => l.id === lead.id)).toMatchObject({ email, traits: { jobTitle: 'CFO' } });
    expect(new Set(data.events.map((e: any) => e.visitorId))).toEqual(new Set([laptop, phone, shared]));
    // The shared computer's events after it changed hands are someone else's.
    expect(data.events.filter((e: any) => e.visitorId === shared).map((e: any) => Date.parse(e.ts) < t + 10_000)).toEqual([true, true, true]);
    expect(data.stageHistory.map((c: any) => c.to)).toContain('sql');
    expect(data.identityLog.length).toBeGreaterThan(0);
    expect(data.scoreHits.length).toBeGreaterThan(0);
    // Trait history: every value a form gave, with where it came from.
    expect(data.traitHistory).toEqual(expect.arrayContaining([expect.objectContaining({ leadId: lead.id, trait: 'phone', value: phoneNumber, visitorId: laptop, accepted: true })]));
    expect(data.traitHistory).toEqual(expect.arrayContaining([expect.objectContaining({ leadId: lead.id, trait: 'company', value: company, visitorId: shared })]));
    expect(data.followUpBreaches).toEqual([expect.objectContaining({ leadId: lead.id })]);
    expect(data.webhookDeliveries.length).toBeGreaterThan(0);
    expect((await app.request(`/v1/leads/ld_nope/export`, { headers: auth })).status).toBe(404);
    expect((await app.request(`/v1/leads/${lead.id}/export`)).status).toBe(401);
  });

  it('erases the person everywhere, keeps the next user of a shared computer, and leaves an audit entry without personal data', async () => {
    const { app, lead, home, email, other, phoneNumber, company, laptop, phone, shared, tag } = await person();
    const { db } = getDb();
    // Every table, found in the database itself: a table added later is checked without a word here.
    const tables = (await db.introspection.getTables()).filter((t) => !t.name.startsWith('kysely_'));
    const textOf = async (table: string) => JSON.stringify(await db.selectFrom(table as keyof Database).selectAll().execute());
    const names = [email, `home-${tag}`, phoneNumber, company, lead.id, home.id, laptop, phone];
    // The dashboard's rollups hold the browsers once the job has folded their events in.
    await catchUpRollups(db);
    // Each table that can name a person does name this one before the erasure, so the check
    // after it means something: a new table holding a lead or visitor id fails here until the
    // person above fills it (and then below until the erasure empties it).
    for (const table of tables.filter((t) => t.name !== AUDIT && t.columns.some((c) => PERSON_COLUMNS.includes(c.name)))) {
      const text = await textOf(table.name);
      expect(names.some((n) => text.includes(n)), `${table.name} names the person before the erasure`).toBe(true);
    }
    const res = await app.request(`/v1/leads/${lead.id}`, { method: 'DELETE', headers: auth });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ erased: { leads: 2, visitors: 2 } });
    expect(await db.selectFrom('leads').select('id').where('id', 'in', [lead.id, home.id]).execute()).toEqual([]);
    expect(await db.selectFrom('events').select('id').where('visitor_id', 'in', [laptop, phone]).execute()).toEqual([]);
    expect(await db.selectFrom('visitors').select('visitor_id').where('visitor_id', 'in', [laptop, phone]).execute()).toEqual([]);
    // The shared computer's later events belong to the other person and stay.
    const sharedLeft = await db.selectFrom('events').select(['ts', 'traits']).where('visitor_id', '=', shared).execute();
    expect(sharedLeft.length).toBe(2);
    expect((await json(getWithKey(app, `/v1/leads?email=${other}`))).leads).toHaveLength(1);
    // Nothing anywhere names the person any more: every table, read as text (the audit entry
    // only by the erased lead's opaque id).
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['trait_changes', 'identity_claims', 'follow_up_breaches', 'webhook_deliveries']));
    for (const table of tables) {
      const text = await textOf(table.name);
      for (const name of names) if (!(table.name === AUDIT && name === lead.id)) expect(text, `${table.name} still holds ${name}`).not.toContain(name);
    }
    const audit = await db.selectFrom('audit_log').selectAll().where('subject', '=', lead.id).execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'lead.erased' });
    expect(JSON.stringify(audit)).not.toContain(email);
    expect((await app.request(`/v1/leads/${lead.id}`, { method: 'DELETE', headers: auth })).status).toBe(404);
    if (getDb().dialect === 'sqlite') {
      // Gone from the files too, not only from queries: freed pages overwritten, WAL truncated.
      const path = getDb().url.slice('sqlite:'.length);
      for (const file of [path, `${path}-wal`]) {
        const bytes = await readFile(file).catch(() => Buffer.alloc(0));
        expect(bytes.includes(Buffer.from(email)), file).toBe(false);
        expect(bytes.includes(Buffer.from(phoneNumber)), `${file} holds the phone number`).toBe(false);
      }
    }
  });

  it('erases known leads inactive for the site’s leadRetentionDays, keeps active ones and sites without the setting', async () => {
    const now = Date.now();
    const DAY = 86_400_000;
    const tag = newId();
    const at = (t: number) => testApp(getDb().db, () => t);
    const lead = async (email: string, t: number) => {
      const v = 'v_' + newId();
      await postBatch(at(t), { site: 'scored', sentAt: t, events: [makeEvent({ visitorId: v, sessionId: `s-${v}`, ts: t, type: 'form', name: 'contact', traits: { email }, url: `${DEMO_ORIGIN}/c` })] });
      return v;
    };
    await lead(`stale-${tag}@fernhill.example`, now - 400 * DAY);
    const comesBack = await lead(`back-${tag}@fernhill.example`, now - 400 * DAY);
    await postBatch(at(now - DAY), { site: 'scored', sentAt: now - DAY, events: [makeEvent({ visitorId: comesBack, sessionId: `s2-${comesBack}`, ts: now - DAY })] });
    await lead(`fresh-${tag}@fernhill.example`, now - 10 * DAY);
    const { parseConfig } = await import('../config/loadConfig.js');
    const { testConfig } = await import('../../../test/support/ingest.js');
    const { expireInactiveLeads } = await import('../retention/expireInactiveLeads.js');
    const kept = await expireInactiveLeads(getDb().db, testConfig, now);
    expect(kept.leads).toBe(0);
    const config = parseConfig({ sites: testConfig.sites.map((s) => (s.key === 'scored' ? { ...s, leadRetentionDays: 365 } : s)) }, 'retention');
    const result = await expireInactiveLeads(getDb().db, config, now);
    expect(result.leads).toBeGreaterThanOrEqual(1);
    const emails = (await getDb().db.selectFrom('leads').select('email').where('email', 'like', `%-${tag}@%`).execute()).map((l) => l.email).sort();
    expect(emails).toEqual([`back-${tag}@fernhill.example`, `fresh-${tag}@fernhill.example`]);
    expect(await getDb().db.selectFrom('audit_log').select('actor').where('actor', '=', 'retention').execute()).not.toEqual([]);
  });
});
