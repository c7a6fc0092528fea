/**
 * A time as the dashboard shows it: ISO-like, to the minute, in UTC (pages say "UTC" once).
 *
 * @example
 * shortTime(Date.UTC(2026, 10, 29, 14, 5)) // '2026-11-29 14:05'
 */
export function shortTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}
