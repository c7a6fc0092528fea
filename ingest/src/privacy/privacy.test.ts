import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { DEMO_ORIGIN, TEST_SECRET_KEY, getWithKey, makeEvent, newId, postBatch, testApp } from '../../../test/support/ingest.js';

describeEachDialect('export and erase one person', (getDb) => {
  const auth = { Authorization: `Bearer ${TEST_SECRET_KEY}` };
  const json = async (res: Response | Promise<Response>) => (await res).json();

  /** A person with two browsers, a lead merged into theirs, and a shared computer used after them by someone else. */
  async function person() {
    const app = testApp(getDb().db);
    const tag = newId();
    const [laptop, phone, shared, otherPerson] = ['v_' + newId(), 'v_' + newId(), 'v_' + newId(), 'v_' + newId()];
    const email = `erase-${tag}@fernhill.example`;
    const other = `someone-${tag}@fernhill.example`;
    const t = Date.now() - 60_000;
    const view = (v: string, ts: number, path = '/pricing') => makeEvent({ visitorId: v, sessionId: `s-${v}`, ts, path, url: `${DEMO_ORIGIN}${path}` });
    const form = (v: string, ts: number, address: string) => makeEvent({ visitorId: v, sessionId: `s-${v}`, ts, type: 'form', name: 'demo-request', traits: { email: address, jobTitle: 'CFO' }, url: `${DEMO_ORIGIN}/demo` });
    const s = 1000;
    await postBatch(app, { site: 'scored', events: [view(laptop, t), form(laptop, t + s, email)] });
    await postBatch(app, { site: 'scored', events: [view(phone, t + 2 * s), form(phone, t + 3 * s, `home-${tag}@gmail.com`)] });
    await postBatch(app, { site: 'scored', events: [view(shared, t + 4 * s), form(shared, t + 5 * s, email), view(shared, t + 6 * s)] });
    // Later, someone else on the shared computer.
    await postBatch(app, { site: 'scored', events: [form(shared, t + 10 * s, other), view(shared, t + 11 * s), view(otherPerson, t + 12 * s)] });
    const lead = (await json(getWithKey(app, `/v1/leads?email=${email}`))).leads[0];
    const home = (await json(getWithKey(app, `/v1/leads?email=home-${tag}@gmail.com`))).leads[0];
    await app.request(`/v1/leads/${lead.id}/merge`, { method: 'POST', body: JSON.stringify({ leadId: home.id }), headers: { ...auth, 'Content-Type': 'application/json' } });
    return { app, lead, home, email, other, laptop, phone, shared, t, tag };
  }

  it('exports everything held about the person as JSON, and only what is theirs', async () => {
    const { app, lead, home, email, laptop, phone, shared, t } = await person();
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
    expect((await app.request(`/v1/leads/ld_nope/export`, { headers: auth })).status).toBe(404);
    expect((await app.request(`/v1/leads/${lead.id}/export`)).status).toBe(401);
  });

  it('erases the person everywhere, keeps the next user of a shared computer, and leaves an audit entry without personal data', async () => {
    const { app, lead, home, email, other, laptop, phone, shared, tag } = await person();
    const res = await app.request(`/v1/leads/${lead.id}`, { method: 'DELETE', headers: auth });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ erased: { leads: 2, visitors: 2 } });
    const { db } = getDb();
    expect(await db.selectFrom('leads').select('id').where('id', 'in', [lead.id, home.id]).execute()).toEqual([]);
    expect(await db.selectFrom('events').select('id').where('visitor_id', 'in', [laptop, phone]).execute()).toEqual([]);
    expect(await db.selectFrom('visitors').select('visitor_id').where('visitor_id', 'in', [laptop, phone]).execute()).toEqual([]);
    // The shared computer's later events belong to the other person and stay.
    const sharedLeft = await db.selectFrom('events').select(['ts', 'traits']).where('visitor_id', '=', shared).execute();
    expect(sharedLeft.length).toBe(2);
    expect((await json(getWithKey(app, `/v1/leads?email=${other}`))).leads).toHaveLength(1);
    // Nothing anywhere names the person any more: every table, read as text.
    for (const table of ['events', 'visitors', 'leads', 'identity_log', 'webhook_deliveries', 'stage_changes', 'score_hits', 'lead_visitors', 'past_links', 'feedback', 'sessions'] as const) {
      const rows = await db.selectFrom(table).selectAll().execute();
      const text = JSON.stringify(rows);
      expect(text, table).not.toContain(email);
      expect(text, table).not.toContain(`home-${tag}`);
      expect(text, table).not.toContain(lead.id);
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
