import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { DEMO_ORIGIN, makeEvent, newId, postBatch, testApp, TEST_SECRET_KEY } from '../../../test/support/ingest.js';
import type { TrackedEvent } from '../../../shared/src/types.js';
import { sql, type Kysely } from 'kysely';
import { openDatabase } from '../db/openDatabase.js';
import type { Database } from '../db/schema.js';
import { computeFirstTouches } from './computeFirstTouches.js';
import { refreshFirstTouches } from './refreshFirstTouches.js';
import { storedFirstTouches } from './storedFirstTouches.js';

const MIN = 60_000;
const T = Math.floor(Date.now() / 1000) * 1000;

describeEachDialect('first touch', (getDb) => {
  const app = () => testApp(getDb().db, () => T);
  const send = (events: TrackedEvent[]) => postBatch(app(), { site: 'demo', sentAt: T, events });
  const browser = () => ({ visitorId: 'v_' + newId(), sessionId: 's_' + newId() });
  const page = (v: ReturnType<typeof browser>, at: number, path: string, query = '') => makeEvent({ ...v, ts: at, path, url: `${DEMO_ORIGIN}${path}${query}` });
  const form = (v: ReturnType<typeof browser>, at: number, email: string) => makeEvent({ ...v, ts: at, type: 'form', name: 'contact', path: '/contact', url: `${DEMO_ORIGIN}/contact`, traits: { email } });
  const leadOf = async (email: string) => {
    const lead = await getDb().db.selectFrom('leads').selectAll().where('email', '=', email).executeTakeFirstOrThrow();
    return { ...lead, pending: Number(lead.touch_seq) > Number(lead.touch_done) };
  };
  const refreshAll = async () => {
    while ((await refreshFirstTouches(getDb().db, 2)) === 2);
  };

  it('stores the first page view of the anonymous history and the campaign of the first visit, as the events say', async () => {
    const v = browser();
    await send([page(v, T - 60 * MIN, '/blog/a', '?utm_source=linkedin&utm_medium=paid&utm_campaign=q4'), page(v, T - 50 * MIN, '/pricing'), form(v, T - 40 * MIN, 'first@touch.example')]);
    const pending = await leadOf('first@touch.example');
    expect(pending.pending).toBe(true);
    await refreshAll();
    const lead = await leadOf('first@touch.example');
    expect(lead).toMatchObject({ pending: false, touch_path: '/blog/a', touch_stage: 'top', touch_category: 'blog', touch_source: 'linkedin', touch_medium: 'paid', touch_campaign: 'q4', touch_referred: 0 });
    // What is stored is what the events give.
    expect((await storedFirstTouches(getDb().db, 'demo', [lead.id])).get(lead.id)).toEqual((await computeFirstTouches(getDb().db, 'demo', [lead.id])).get(lead.id));
  });

  it('moves the first touch when a second browser with an earlier history joins the lead, and when an earlier page view arrives late', async () => {
    const laptop = browser();
    await send([page(laptop, T - 30 * MIN, '/pricing'), form(laptop, T - 29 * MIN, 'two@devices.example')]);
    await refreshAll();
    expect(await leadOf('two@devices.example')).toMatchObject({ pending: false, touch_path: '/pricing', touch_stage: 'bottom', touch_source: null });

    // The phone read a guide two days ago, then fills the form: the lead's first touch is the guide.
    const phone = browser();
    await send([page(phone, T - 2 * 24 * 60 * MIN, '/guides/close', '?utm_source=newsletter&utm_medium=email'), form(phone, T - 10 * MIN, 'two@devices.example')]);
    expect((await leadOf('two@devices.example')).pending).toBe(true);
    await refreshAll();
    expect(await leadOf('two@devices.example')).toMatchObject({ pending: false, touch_path: '/guides/close', touch_stage: 'middle', touch_source: 'newsletter', touch_medium: 'email' });

    // An offline queue delivers a laptop page view from three days ago, from another site.
    const late = makeEvent({ ...laptop, ts: T - 3 * 24 * 60 * MIN, path: '/blog/old', url: `${DEMO_ORIGIN}/blog/old`, referrer: 'https://news.example/item' });
    await send([late]);
    await refreshAll();
    expect(await leadOf('two@devices.example')).toMatchObject({ pending: false, touch_path: '/blog/old', touch_stage: 'top' });
  });

  it('gives the survivor of a merge the earlier first touch of the two', async () => {
    const a = browser();
    const b = browser();
    await send([page(a, T - 20 * MIN, '/pricing'), form(a, T - 19 * MIN, 'keep@merge.example'), page(b, T - 5 * 60 * MIN, '/blog/early'), form(b, T - 18 * MIN, 'dupe@merge.example')]);
    await refreshAll();
    const [keep, dupe] = [await leadOf('keep@merge.example'), await leadOf('dupe@merge.example')];
    expect(keep.touch_path).toBe('/pricing');
    const res = await app().request(`/v1/leads/${keep.id}/merge`, { method: 'POST', body: JSON.stringify({ leadId: dupe.id }), headers: { Authorization: `Bearer ${TEST_SECRET_KEY}`, 'Content-Type': 'application/json' } });
    expect(res.status).toBe(200);
    expect((await leadOf('keep@merge.example')).pending).toBe(true);
    await refreshAll();
    expect(await leadOf('keep@merge.example')).toMatchObject({ pending: false, touch_path: '/blog/early', touch_stage: 'top' });
  });

  it('stays current through later events of a lead that has its first page view, and through a rescore', async () => {
    const v = browser();
    await send([page(v, T - 9 * MIN, '/blog/steady'), form(v, T - 8 * MIN, 'steady@lead.example')]);
    await refreshAll();
    expect(await leadOf('steady@lead.example')).toMatchObject({ pending: false, touch_path: '/blog/steady' });
    await send([page(v, T - 7 * MIN, '/pricing')]);
    expect((await leadOf('steady@lead.example')).pending).toBe(false);
    const res = await app().request('/v1/admin/rescore', { method: 'POST', body: JSON.stringify({ site: 'demo' }), headers: { Authorization: `Bearer ${TEST_SECRET_KEY}`, 'Content-Type': 'application/json' } });
    expect(res.status).toBeLessThan(300);
    expect((await leadOf('steady@lead.example')).pending).toBe(false);
  });

  it('marks the earlier person of a shared browser when the later one is erased: their window goes with the browser', async () => {
    const shared = browser();
    await send([page(shared, T - 6 * MIN, '/blog/first-person'), form(shared, T - 5 * MIN, 'first@shared.example'), page(shared, T - 4 * MIN, '/pricing'), form(shared, T - 3 * MIN, 'second@shared.example')]);
    await refreshAll();
    const first = await leadOf('first@shared.example');
    expect(first).toMatchObject({ pending: false, touch_path: '/blog/first-person' });
    const second = await leadOf('second@shared.example');
    const res = await app().request(`/v1/leads/${second.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${TEST_SECRET_KEY}` } });
    expect(res.status).toBe(200);
    expect((await leadOf('first@shared.example')).pending).toBe(true);
    await refreshAll();
    expect(await leadOf('first@shared.example')).toMatchObject({ pending: false, touch_path: null, touch_stage: null });
  });

  /** A pass on `db` that lets `meanwhile` run (on another connection: another process) right after it read which leads are due. */
  const passWith = (leadId: string, meanwhile: (other: Kysely<Database>) => Promise<void>) => {
    const db = getDb().db;
    const other = openDatabase(getDb().url).db;
    let done = false;
    const racing = db.withPlugin({
      transformQuery: (args) => args.node,
      transformResult: async (args) => {
        if (!done && args.result.rows?.some((r: any) => r?.id === leadId && 'touch_seq' in r && !('email' in r))) {
          done = true;
          await meanwhile(other);
        }
        return args.result;
      },
    });
    return refreshFirstTouches(racing, 500).finally(() => other.destroy());
  };
  const bump = (db: Kysely<Database>, id: string) => db.updateTable('leads').set({ touch_seq: sql<number>`touch_seq + 1` }).where('id', '=', id).execute();

  it('leaves a lead pending when a writer changed it during the pass, and clears it on the next', async () => {
    const v = browser();
    await send([page(v, T - 15 * MIN, '/guides/x'), form(v, T - 14 * MIN, 'busy@lead.example')]);
    const { id } = await leadOf('busy@lead.example');
    await passWith(id, async (other) => void (await bump(other, id)));
    expect((await leadOf('busy@lead.example')).pending).toBe(true);
    await refreshAll();
    expect(await leadOf('busy@lead.example')).toMatchObject({ pending: false, touch_path: '/guides/x', touch_stage: 'middle' });
  });

  it('leaves a lead pending when another process stored it and a writer changed it again during the pass', async () => {
    const v = browser();
    await send([page(v, T - 13 * MIN, '/guides/y'), form(v, T - 12 * MIN, 'aba@lead.example')]);
    const { id } = await leadOf('aba@lead.example');
    // Another process's pass stores the lead, then a writer changes it: this pass read it before both.
    await passWith(id, async (other) => {
      while ((await refreshFirstTouches(other, 500)) === 500);
      await bump(other, id);
    });
    expect((await leadOf('aba@lead.example')).pending).toBe(true);
  });
});
