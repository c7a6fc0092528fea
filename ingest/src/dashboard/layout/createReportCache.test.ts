import { expect, it } from 'vitest';
import { createReportCache } from './createReportCache.js';

it('computes a report once, answers with it while fresh, then with the old one while a new one is computed in the background', async () => {
  let clock = 1_000;
  const cache = createReportCache<number>({ ttlMs: 60_000, now: () => clock });
  let computed = 0;
  let release: () => void = () => {};
  const compute = () => new Promise<number>((resolve) => {
    computed++;
    const value = computed;
    release = () => resolve(value);
  });
  const first = cache('demo:30', compute);
  const alsoFirst = cache('demo:30', compute);
  release();
  expect(await first).toEqual({ value: 1, at: 1_000, stale: false });
  expect(await alsoFirst).toEqual({ value: 1, at: 1_000, stale: false });
  clock += 59_000;
  expect(await cache('demo:30', compute)).toEqual({ value: 1, at: 1_000, stale: false });
  expect(computed).toBe(1);
  // Stale: the old report at once, marked so, one refresh under way however many ask.
  clock += 2_000;
  expect(await cache('demo:30', compute)).toEqual({ value: 1, at: 1_000, stale: true });
  expect(await cache('demo:30', compute)).toEqual({ value: 1, at: 1_000, stale: true });
  expect(computed).toBe(2);
  release();
  await new Promise((r) => setTimeout(r, 0));
  expect(await cache('demo:30', compute)).toEqual({ value: 2, at: 62_000, stale: false });
  // Another key is its own report.
  const other = cache('demo:7', compute);
  release();
  expect((await other).value).toBe(3);
});

it('does not keep a failure: the next request computes again; a failed refresh keeps the old report', async () => {
  let clock = 0;
  const cache = createReportCache<string>({ ttlMs: 10, now: () => clock });
  await expect(cache('k', () => Promise.reject(new Error('database away')))).rejects.toThrow('database away');
  expect((await cache('k', async () => 'ok')).value).toBe('ok');
  clock = 20;
  expect((await cache('k', () => Promise.reject(new Error('again')))).value).toBe('ok');
  await new Promise((r) => setTimeout(r, 0));
  expect((await cache('k', async () => 'new')).value).toBe('ok');
  await new Promise((r) => setTimeout(r, 0));
  expect((await cache('k', async () => 'newer')).value).toBe('new');
});
