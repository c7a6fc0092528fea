import type { Scorer } from '../scoring/engine.js';

const queues = new WeakMap<Map<string, Scorer>, Promise<unknown>>();

/**
 * Runs `change` on a scorer registry after every change queued before it, one at a time. The
 * version watcher reads the version in effect and swaps scorers inside one such change, and a
 * publish swaps its scorer inside another, so a watcher that read the version in effect just
 * before a publish committed can never put the older scorer back after the publish.
 *
 * @example
 * await withRegistry(scorers, async () => void scorers.set('demo', createScorer(rules)));
 */
export function withRegistry<T>(scorers: Map<string, Scorer>, change: () => Promise<T>): Promise<T> {
  const run = (queues.get(scorers) ?? Promise.resolve()).catch(() => {}).then(change);
  queues.set(scorers, run);
  return run;
}
