/**
 * Speed to lead: from the beacon that crosses a threshold to the webhook arriving at a local
 * receiver, over real HTTP on loopback (SQLite). Budget: p99 under 1 s. Baseline, in the same
 * run: the beacon's own round trip (until the ingest has committed and answered).
 */
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createApp } from '../ingest/src/app.js';
import { createWebhookDispatcher } from '../ingest/src/webhooks/dispatcher.js';
import { createTestDatabase } from '../test/support/databases.js';
import { BROWSER_UA, DEMO_ORIGIN, TEST_SECRET_KEY, makeEvent, newId, testConfig } from '../test/support/ingest.js';
import { startReceiver } from '../test/support/receiver.js';

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!;

export async function benchHandover(rounds = 200): Promise<boolean> {
  const test = await createTestDatabase('sqlite');
  const receiver = await startReceiver();
  const dispatcher = createWebhookDispatcher({ db: test.db, allowPrivateWebhooks: true });
  dispatcher.start();
  const app = createApp({ db: test.db, config: testConfig, secretKey: TEST_SECRET_KEY, dispatcher, allowPrivateWebhooks: true });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    await fetch(`${base}/v1/webhooks`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TEST_SECRET_KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ url: receiver.url, events: ['lead.sql'], site: 'scored' }),
    });
    const handover: number[] = [];
    const roundTrip: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const email = `speed-${i}-${newId()}@fernhill.example`;
      const event = makeEvent({ visitorId: 'v_' + newId(), type: 'form', name: 'demo-request', traits: { email }, url: `${DEMO_ORIGIN}/demo` });
      const started = performance.now();
      const startedAt = Date.now();
      const res = await fetch(`${base}/v1/collect`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain', Origin: DEMO_ORIGIN, 'User-Agent': BROWSER_UA },
        body: JSON.stringify({ site: 'scored', sentAt: Date.now(), events: [event] }),
      });
      await res.arrayBuffer();
      roundTrip.push(performance.now() - started);
      for (;;) {
        const got = receiver.received.find((r) => r.body.includes(email));
        if (got) {
          handover.push(got.at - startedAt);
          break;
        }
        if (Date.now() - startedAt > 10_000) throw new Error('no webhook within 10 s');
        await new Promise((r) => setTimeout(r, 1));
      }
    }
    const p99 = quantile(handover, 0.99);
    console.log(`\nSpeed to lead: beacon crossing a threshold → signed webhook at a local receiver (${rounds} leads, SQLite)`);
    console.log(`  p50 ${quantile(handover, 0.5).toFixed(0)} ms, p99 ${p99.toFixed(0)} ms; the beacon's own round trip p50 ${quantile(roundTrip, 0.5).toFixed(1)} ms, p99 ${quantile(roundTrip, 0.99).toFixed(1)} ms (handover p99 ${(p99 / quantile(roundTrip, 0.99)).toFixed(1)}×)`);
    const ok = p99 < 1000;
    console.log(`  budget: p99 ${p99.toFixed(0)} ms of 1000 ms (${ok ? 'within' : 'OVER'})`);
    return ok;
  } finally {
    await dispatcher.stop();
    server.close();
    await receiver.close();
    await test.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = (await benchHandover()) ? 0 : 1;
}
