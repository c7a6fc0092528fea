import { describe, it } from 'vitest';
import { TEST_POSTGRES_URL, pgProblem as problem } from './databases.js';
import { mustRunEverything, warnSkipped } from './requirements.js';

/**
 * A suite that only means something on PostgreSQL (its pool, its backends). Without a
 * reachable server it fails in CI and skips, saying why, elsewhere: as `describeEachDialect`.
 *
 * @example
 * describePostgres('outage', () => { it('answers 503', async () => { … }); });
 */
export function describePostgres(name: string, suite: () => void): void {
  if (!problem) {
    describe(`${name} [postgres]`, suite);
    return;
  }
  if (mustRunEverything) {
    describe(`${name} [postgres]`, () => {
      it('needs PostgreSQL', () => {
        throw new Error(`PostgreSQL is required here but ${TEST_POSTGRES_URL} is not reachable: ${problem}`);
      });
    });
    return;
  }
  warnSkipped('the PostgreSQL suites', `${TEST_POSTGRES_URL} is not reachable (${problem}). Start PostgreSQL or set TEST_POSTGRES_URL.`);
  describe.skip(`${name} [postgres]`, suite);
}
