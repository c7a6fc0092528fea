import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { DEMO_ORIGIN, makeEvent, newId, postBatch, testApp, TEST_SECRET_KEY } from '../../../test/support/ingest.js';
import type { TrackedEvent } from '../../../shared/src/types.js';
import { openDatabase } from '../db/openDatabase.js';
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
  const leadOf = async (email: string) => getDb().db.selectFrom('leads').selectAll().where('email', '=', email).executeTakeFirstOrThrow();
  const refreshAll = async () => {
    while ((await refreshFirstTouches(getDb().db, 2)) === 2);
  };

  it('stores the first page view of the anonymous history and the campaign of the first visit, as the events say', async () => {
    const v = browser();
    await send([page(v, T - 60 * MIN, '/blog/a', '?utm_source=linkedin&utm_medium=paid&utm_campaign=q4'), page(v, T - 50 * MIN, '/pricing'), form(v, T - 40 * MIN, 'first@touch.example')]);
    const pending = await leadOf('first@touch.example');
    expect(pending.touch_pending).toBeGreaterThan(0);
    await refreshAll();
    const lead = await leadOf('first@touch.example');
    expect(lead).toMatchObject({ touch_pending: 0, touch_path: '/blog/a', touch_stage: 'top', touch_category: 'blog', touch_source: 'linkedin', touch_medium: 'paid', touch_campaign: 'q4', touch_referred: 0 });
    // What is stored is what the events give.
    expect((await storedFirstTouches(getDb().db, 'demo', [lead.id])).get(lead.id)).toEqual((await computeFirstTouches(getDb().db, 'demo', [lead.id])).get(lead.id));
  });

  it('moves the first touch when a second browser with an earlier history joins the lead, and when an earlier page view arrives late', async () => {
    const laptop = browser();
    await send([page(laptop, T - 30 * MIN, '/pricing'), form(laptop, T - 29 * MIN, 'two@devices.example')]);
    await refreshAll();
    expect(await leadOf('two@devices.example')).toMatchObject({ touch_pending: 0, touch_path: '/pricing', touch_stage: 'bottom', touch_source: null });

    // The phone read a guide two days ago, then fills the form: the lead's first touch is the guide.
    const phone = browser();
    await send([page(phone, T - 2 * 24 * 60 * MIN, '/guides/close', '?utm_source=newsletter&utm_medium=email'), form(phone, T - 10 * MIN, 'two@devices.example')]);
    expect((await leadOf('two@devices.example')).touch_pending).toBeGreaterThan(0);
    await refreshAll();
    expect(await leadOf('two@devices.example')).toMatchObject({ touch_pending: 0, touch_path: '/guides/close', touch_stage: 'middle', touch_source: 'newsletter', touch_medium: 'email' });

    // An offline queue delivers a laptop page view from three days ago, from another site.
    const late = makeEvent({ ...laptop, ts: T - 3 * 24 * 60 * MIN, path: '/blog/old', url: `${DEMO_ORIGIN}/blog/old`, referrer: 'https://news.example/item' });
    await send([late]);
    await refreshAll();
    expect(await leadOf('two@devices.example')).toMatchObject({ touch_pending: 0, touch_path: '/blog/old', touch_stage: 'top' });
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
    expect((await leadOf('keep@merge.example')).touch_pending).toBeGreaterThan(0);
    await refreshAll();
    expect(await leadOf('keep@merge.example')).toMatchObject({ touch_pending: 0, touch_path: '/blog/early', touch_stage: 'top' });
  });

  it('leaves a lead pending when a writer changed it during the pass, and clears it on the next', async () => {
    const v = browser();
    await send([page(v, T - 15 * MIN, '/guides/x'), form(v, T - 14 * MIN, 'busy@lead.example')]);
    const { id, touch_pending } = await leadOf('busy@lead.example');
    // A writer (another process: its own connection) bumps the lead after the pass read it: the
    // pass's update must not clear that bump.
    const db = getDb().db;
    const other = openDatabase(getDb().url).db;
    const racing = db.withPlugin({
      transformQuery: (args) => args.node,
      transformResult: async (args) => {
        if (args.result.rows?.some((r: any) => r?.id === id && 'touch_pending' in r && !('email' in r))) {
          await other.updateTable('leads').set((eb) => ({ touch_pending: eb('touch_pending', '+', 1) })).where('id', '=', id).execute();
        }
        return args.result;
      },
    });
    await refreshFirstTouches(racing, 500);
    await other.destroy();
    expect((await leadOf('busy@lead.example')).touch_pending).toBe(touch_pending + 1);
    await refreshAll();
    expect(await leadOf('busy@lead.example')).toMatchObject({ touch_pending: 0, touch_path: '/guides/x', touch_stage: 'middle' });
  });
});
