/**
 * Decides what happens when a test needs something the machine lacks (PostgreSQL, Chromium):
 * in CI, or when LEADBEAM_REQUIRE_ALL is set, that is a failure; on a laptop the tests skip
 * with a message saying what to install.
 */
export const mustRunEverything = Boolean(process.env.CI && process.env.CI !== 'false') || process.env.LEADBEAM_REQUIRE_ALL === '1';

const warned = new Set<string>();

/** Prints once per process why a suite is skipped. */
export function warnSkipped(what: string, howToFix: string): void {
  if (warned.has(what)) return;
  warned.add(what);
  console.warn(`\n[leadbeam tests] SKIPPING ${what}: ${howToFix}\n`);
}
