import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { signIn } from '../../../test/support/dashboard.js';
import { makeEvent, newId, postBatch, testApp } from '../../../test/support/ingest.js';

describeEachDialect('a dashboard form with a NUL character', (getDb) => {
  it('gets 400 naming the field on every form that stores what it is given (it was a 500 on PostgreSQL and stored on SQLite)', async () => {
    const app = testApp(getDb().db);
    const email = `nul-${newId()}@fernhill.example`;
    await postBatch(app, { events: [makeEvent({ type: 'form', name: 'contact', traits: { email } })] });
    const lead = await getDb().db.selectFrom('leads').select('id').where('email', '=', email).executeTakeFirstOrThrow();
    const admin = await signIn(app);
    const webhooksBefore = await getDb().db.selectFrom('webhooks').select('id').execute();

    for (const [path, form, field] of [
      [`/app/leads/${lead.id}/feedback?site=demo`, { type: 'contacted', note: 'a\u0000b' }, 'note'],
      [`/app/leads/${lead.id}/merge?site=demo`, { other: 'ld_\u0000' }, 'other'],
      ['/app/webhooks?site=demo', { url: 'https://crm.example/\u0000', events: 'lead.mql' }, 'url'],
      ['/app/scoring/publish?site=demo', { note: 'n\u0000', rules: '{}' }, 'note'],
    ] as const) {
      const res = await admin.post(path, form);
      expect(res.status, path).toBe(400);
      expect(res.headers.get('content-type'), path).toMatch(/^text\/html/);
      expect(await res.text(), path).toContain(`${field}: contains a NUL character (\\u0000), which cannot be stored`);
    }
    expect(await getDb().db.selectFrom('feedback').select('id').where('lead_id', '=', lead.id).execute()).toEqual([]);
    expect(await getDb().db.selectFrom('webhooks').select('id').execute()).toEqual(webhooksBefore);
  });
});
