/** A seeded source of randomness with the few draws the demo data needs. */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** Uniform in [min, max). */
  between(min: number, max: number): number;
  /** A whole number in [min, max]. */
  int(min: number, max: number): number;
  /** One element, uniformly. */
  pick<T>(items: readonly T[]): T;
  /** One element, with probability proportional to its weight. */
  weighted<T>(items: ReadonlyArray<readonly [T, number]>): T;
  /** A new generator whose draws depend only on this seed and `label`: one story's draws never shift another's. */
  fork(label: string): Random;
}

/** FNV-1a, to turn labels into seeds. */
const hash = (text: string) => {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
};

/**
 * A deterministic pseudo-random generator (mulberry32): the same seed gives the same draws on
 * every machine, so the demo data is the same story on every first start. Not for secrets.
 *
 * @example
 * const random = createRandom(42);
 * random.pick(['blog', 'guide']); // the same on every run
 */
export function createRandom(seed: number | string): Random {
  const origin = typeof seed === 'number' ? seed >>> 0 : hash(seed);
  let state = origin;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const random: Random = {
    next,
    chance: (p) => next() < p,
    between: (min, max) => min + next() * (max - min),
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)]!,
    weighted(items) {
      const total = items.reduce((sum, [, w]) => sum + w, 0);
      let left = next() * total;
      for (const [item, w] of items) if ((left -= w) < 0) return item;
      return items[items.length - 1]![0];
    },
    fork: (label) => createRandom(hash(`${origin}:${label}`)),
  };
  return random;
}
