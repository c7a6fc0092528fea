import { expect, it } from 'vitest';
import { createFiguresCache } from './createFiguresCache.js';

it('computes a key once within its time, again after it, shares a computation under way, and keeps no failure', async () => {
  const cache = createFiguresCache({ ttlMs: 60_000, max: 2 });
  let runs = 0;
  const compute = async () => ++runs;
  const [a, b] = await Promise.all([cache.get('k', compute, 0), cache.get('k', compute, 10)]);
  expect([a, b, runs]).toEqual([1, 1, 1]);
  expect(await cache.get('k', compute, 59_999)).toBe(1);
  expect(await cache.get('k', compute, 60_000)).toBe(2);
  await expect(cache.get('bad', () => Promise.reject(new Error('database down')), 0)).rejects.toThrow('database down');
  expect(await cache.get('bad', async () => 'fine', 1)).toBe('fine');
  // At most `max` keys: the oldest goes first.
  await cache.get('x', compute, 2);
  await cache.get('y', compute, 3);
  expect(await cache.get('k', compute, 60_001)).toBe(5);
});
