/**
 * The cost of a late event: one request carrying an event an hour older than the last of a
 * visitor with 8,000 stored events, against one carrying a fresh visitor's first event, both
 * through the real app (validation, group commit, scoring) on SQLite and PostgreSQL. A late
 * event must never replay the history inside the request. Goal: at most 3× the fresh cost.
 */
import { createTestDatabase } from '../test/support/databases.js';
import { DEMO_ORIGIN, TEST_SECRET_KEY, makeEvent, newId, postBatch, testConfig } from '../test/support/ingest.js';
import { createApp } from '../ingest/src/app.js';

const DAY = 86_400_000;
const HISTORY = 8000;
const SAMPLES = 300;
const GOAL = 3;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchLateEvent(): Promise<boolean> {
  console.log(`\nLate event: an hour-late event for a visitor with ${HISTORY} events, against a fresh visitor's first (median of ${SAMPLES} requests)`);
  let ok = true;
  for (const dialect of ['sqlite', 'postgres'] as const) {
    const test = await createTestDatabase(dialect);
    try {
      const T = Date.now();
      const app = (now: number) => createApp({ db: test.db, config: testConfig, secretKey: TEST_SECRET_KEY, now: () => now });
      const v = 'v_late_' + newId();
      // The history, 2,000 a day over four days (the daily cap), sent as the script would: in order.
      let last = 0;
      for (let day = 3; day >= 0; day--) {
        const now = T - day * DAY;
        const at = app(now);
        for (let i = 0; i < 2000; i += 500) {
          const events = Array.from({ length: 500 }, (_, k) => makeEvent({ visitorId: v, sessionId: `s${day}-${v}`, ts: (last = now - 3_600_000 + (i + k) * 1000), path: k % 7 ? '/' : '/pricing', url: `${DEMO_ORIGIN}/` }));
          const res = await postBatch(at, { sentAt: now, events });
          if (res.status !== 200) throw new Error(`history: ${res.status} ${await res.text()}`);
        }
      }
      const at = app(T);
      const time = async (events: () => ReturnType<typeof makeEvent>[]) => {
        const samples: number[] = [];
        for (let i = 0; i < SAMPLES; i++) {
          const batch = events();
          const started = performance.now();
          const res = await postBatch(at, { sentAt: T, events: batch });
          samples.push(performance.now() - started);
          if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`);
        }
        return median(samples);
      };
      // Interleaved warm-up, then each kind.
      await time(() => [makeEvent({ ts: T - 1000 })]);
      const fresh = await time(() => [makeEvent({ ts: T - 1000 })]);
      const late = await time(() => [makeEvent({ visitorId: v, sessionId: `late-${v}`, ts: last - 3_600_000, url: `${DEMO_ORIGIN}/pricing`, path: '/pricing' })]);
      const ratio = late / fresh;
      ok &&= ratio <= GOAL;
      console.log(`  ${dialect.padEnd(9)} fresh visitor ${fresh.toFixed(2)} ms, late event (${HISTORY} stored) ${late.toFixed(2)} ms: ${ratio.toFixed(2)}× (goal ≤ ${GOAL}×) ${ratio <= GOAL ? 'ok' : 'OVER'}`);
    } finally {
      await test.close();
    }
  }
  return ok;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = (await benchLateEvent()) ? 0 : 1;
}
