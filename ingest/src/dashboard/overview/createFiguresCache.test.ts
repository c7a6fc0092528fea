import { expect, it } from 'vitest';
import { createFiguresCache } from './createFiguresCache.js';

it('computes a key once within its time, then serves the old value while it computes a fresh one, and keeps no failure', async () => {
  const cache = createFiguresCache({ ttlMs: 60_000, max: 2 });
  let runs = 0;
  const compute = async () => ++runs;
  // Requests during the first computation share it.
  const [a, b] = await Promise.all([cache.get('k', compute, 0), cache.get('k', compute, 10)]);
  expect([a, b, runs]).toEqual([1, 1, 1]);
  expect(await cache.get('k', compute, 59_999)).toBe(1);
  // Too old: answered at once with the old value; the fresh one is there for the next request.
  expect(await cache.get('k', compute, 60_000)).toBe(1);
  expect(await cache.get('k', compute, 60_001)).toBe(2);
  expect(runs).toBe(2);
  // A failed first computation is not kept; a failed refresh keeps the old value.
  await expect(cache.get('bad', () => Promise.reject(new Error('database down')), 0)).rejects.toThrow('database down');
  expect(await cache.get('bad', async () => 'fine', 1)).toBe('fine');
  expect(await cache.get('bad', () => Promise.reject(new Error('down again')), 70_000)).toBe('fine');
  await new Promise((r) => setTimeout(r, 0));
  expect(await cache.get('bad', async () => 'later', 70_001)).toBe('fine');
  await new Promise((r) => setTimeout(r, 0));
  expect(await cache.get('bad', async () => 'unused', 70_002)).toBe('later');
  // At most `max` keys: the oldest goes first.
  await cache.get('x', compute, 70_003);
  await cache.get('y', compute, 70_004);
  const ran = runs;
  expect(await cache.get('k', compute, 70_005)).toBe(ran + 1);
});
