import { randomUUID } from 'node:crypto';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Kysely } from 'kysely';
import { afterEach, expect, it, vi } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { startReceiver } from '../../../test/support/receiver.js';
import { openDatabase } from '../db/openDatabase.js';
import type { Database } from '../db/schema.js';
import { createWebhookDispatcher, type DispatcherOptions } from './dispatcher.js';

const MiB = 1024 * 1024;

const until = async (check: () => boolean | Promise<boolean>, ms = 8000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** An HTTP server on loopback answering as `answer` says. */
async function serve(answer: RequestListener) {
  const server = createServer(answer);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describeEachDialect('webhook dispatcher', (getDb) => {
  /** Run after each test, last first: dispatchers stop before the databases they use close. */
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    const { db } = getDb();
    await db.deleteFrom('webhook_attempts').execute();
    await db.deleteFrom('webhook_deliveries').execute();
    await db.deleteFrom('webhooks').execute();
  });

  const dispatcher = (options: DispatcherOptions) => {
    const d = createWebhookDispatcher({ allowPrivateWebhooks: true, ...options }); // the receivers are on loopback
    cleanups.push(() => d.stop());
    return d;
  };
  /** The database as another ingest process sees it: its own connections (its own pool on PostgreSQL). */
  const openAsAnotherProcess = () => {
    const { db } = openDatabase(getDb().url);
    cleanups.push(() => db.destroy());
    return db;
  };
  const receiverOf = async (answers?: Parameters<typeof startReceiver>[0]) => {
    const receiver = await startReceiver(answers);
    cleanups.push(receiver.close);
    return receiver;
  };
  const serving = async (answer: RequestListener) => {
    const server = await serve(answer);
    cleanups.push(server.close);
    return server;
  };

  /** Stores `count` deliveries due now to a new webhook at `url`, as the outbox would. */
  async function storeDeliveries(url: string, count: number): Promise<string[]> {
    const { db } = getDb();
    const at = Date.now();
    const webhookId = `wh_${randomUUID()}`;
    await db.insertInto('webhooks').values({ id: webhookId, site_id: null, url, secret: 'whsec_test_0123456789abcdef', events: '["lead.sql"]', created_at: at }).execute();
    const ids = Array.from({ length: count }, () => `dl_${randomUUID()}`);
    const rows = ids.map((id, i) => ({
      id,
      webhook_id: webhookId,
      event_type: 'lead.sql',
      lead_id: 'ld_test',
      payload: JSON.stringify({ id, type: 'lead.sql' }),
      status: 'pending' as const,
      attempts: 0,
      next_attempt_at: at + (i % 7) - 7, // due, in a mixed order
      created_at: at,
      delivered_at: null,
    }));
    for (let i = 0; i < rows.length; i += 50) await db.insertInto('webhook_deliveries').values(rows.slice(i, i + 50)).execute();
    return ids;
  }
  const deliveries = (db: Kysely<Database> = getDb().db) => db.selectFrom('webhook_deliveries').select(['id', 'status', 'attempts', 'next_attempt_at']).execute();
  const attemptsOf = (id: string) => getDb().db.selectFrom('webhook_attempts').select(['attempt', 'status_code', 'error']).where('delivery_id', '=', id).orderBy('attempt').execute();

  it('sends each delivery exactly once when two processes send at the same time', async () => {
    const receiver = await receiverOf();
    const ids = await storeDeliveries(receiver.url, 200);
    // Two processes on PostgreSQL; on SQLite one process holds the one writer, so they share it.
    const dbs = getDb().dialect === 'postgres' ? [openAsAnotherProcess(), openAsAnotherProcess()] : [getDb().db, getDb().db];
    const senders = dbs.map((db) => dispatcher({ db, pollMs: 5 }));
    for (const s of senders) s.start();
    const kicking = setInterval(() => senders.forEach((s) => void s.kick()), 3);
    try {
      await until(async () => (await deliveries()).every((d) => d.status === 'delivered'), 20_000);
    } finally {
      clearInterval(kicking);
    }
    await Promise.all(senders.map((s) => s.stop()));
    const sent = receiver.received.map((r) => String(r.headers['leadbeam-delivery']));
    expect(sent.sort()).toEqual(ids.sort());
    expect((await deliveries()).filter((d) => d.attempts !== 1)).toEqual([]);
  }, 30_000);

  it('sends again a delivery whose sender died mid-send, once its lease has run out', async () => {
    const receiver = await receiverOf(['hang']);
    const [id] = await storeDeliveries(receiver.url, 1);
    // The dead process cannot record its attempt; it says so on the console, which is noise here.
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    cleanups.push(() => quiet.mockRestore());
    const dyingDb = openAsAnotherProcess();
    const leaseMs = 1500;
    const claimedAfter = Date.now();
    const dying = dispatcher({ db: dyingDb, timeoutMs: 1000, leaseMs });
    void dying.kick();
    await until(() => receiver.received.length === 1);
    await dyingDb.destroy(); // it dies mid-send: the claim stays, nothing is recorded

    const survivor = dispatcher({ db: getDb().db, pollMs: 20 });
    survivor.start();
    await until(() => receiver.received.length === 2, 5000);
    const resent = receiver.received[1]!;
    expect(resent.headers['leadbeam-delivery']).toBe(id);
    expect(resent.at).toBeGreaterThanOrEqual(claimedAfter + leaseMs);
    await until(async () => (await deliveries())[0]!.status === 'delivered');
    expect(await attemptsOf(id!)).toEqual([{ attempt: 1, status_code: 200, error: null }]);
    expect(receiver.received).toHaveLength(2);
  }, 15_000);

  it('keeps sending to every other receiver while one hangs until its timeout, and gives the hanging one only its share of the sends', async () => {
    const hanging = await receiverOf(Array(30).fill('hang'));
    const healthy = await receiverOf();
    await storeDeliveries(hanging.url, 30);
    const sender = dispatcher({ db: getDb().db, timeoutMs: 10_000, pollMs: 20 });
    sender.start();
    await until(() => hanging.received.length > 0);
    // Stage changes that commit while the hanging sends wait for their timeout go out at once.
    const ids = await storeDeliveries(healthy.url, 5);
    void sender.kick();
    await until(() => healthy.received.length === 5, 3000);
    expect(healthy.received.map((r) => String(r.headers['leadbeam-delivery'])).sort()).toEqual(ids.sort());
    await until(async () => (await deliveries()).filter((d) => d.status === 'delivered').length === 5);
    expect(hanging.received).toHaveLength(10);
    expect(await getDb().db.selectFrom('webhook_attempts').select('status_code').where('status_code', 'is', null).execute()).toEqual([]);
    await hanging.close(); // the hanging sends fail now instead of at their timeout
  }, 15_000);

  it('does not follow a redirect: a 307 is a failed attempt, recorded with its status', async () => {
    const elsewhere = await receiverOf();
    const redirecting = await serving((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(307, { Location: elsewhere.url }).end());
    });
    const [id] = await storeDeliveries(redirecting.url, 1);
    await dispatcher({ db: getDb().db }).kick();
    expect(elsewhere.received).toHaveLength(0);
    expect(await deliveries()).toEqual([expect.objectContaining({ status: 'pending', attempts: 1 })]);
    expect(await attemptsOf(id!)).toEqual([{ attempt: 1, status_code: 307, error: `redirect to ${elsewhere.url} not followed` }]);
  });

  it('reads at most 64 KiB of an answer: a receiver streaming 50 MB is cut off at once', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let written = 0;
    const streaming = await serving((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        // Made as it is read (waiting for drain), so only the reader can hold it all.
        const more = () => {
          while (written < 50 * MiB && !res.destroyed) {
            written += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', more);
          }
          res.end();
        };
        more();
      });
    });
    const [id] = await storeDeliveries(streaming.url, 1);
    const sender = dispatcher({ db: getDb().db, timeoutMs: 20_000 });

    // Memory in use (JS heap and buffers), not RSS: RSS stays high after an earlier test freed its memory.
    const inUse = () => process.memoryUsage().heapUsed + process.memoryUsage().external;
    const before = inUse();
    let peak = before;
    const sampling = setInterval(() => (peak = Math.max(peak, inUse())), 2);
    const started = performance.now();
    await sender.kick();
    const took = performance.now() - started;
    clearInterval(sampling);
    peak = Math.max(peak, inUse());

    expect(took).toBeLessThan(2000);
    expect(peak - before).toBeLessThan(20 * MiB);
    expect(written).toBeLessThan(50 * MiB);
    expect(await deliveries()).toEqual([expect.objectContaining({ status: 'delivered', attempts: 1 })]);
    expect(await attemptsOf(id!)).toEqual([{ attempt: 1, status_code: 200, error: 'answer body longer than 64 KiB: cut off' }]);
  });
});
