/**
 * A time as the dashboard shows it: ISO-like, to the minute, in UTC (the pages say so once).
 *
 * @example
 * formatTime(Date.UTC(2026, 10, 29, 14, 5)) // '2026-11-29 14:05'
 */
export const formatTime = (ms: number | null | undefined): string => (ms && Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 16).replace('T', ' ') : '–');

/**
 * A date (UTC) as `YYYY-MM-DD`, the form date inputs use.
 *
 * @example
 * formatDate(Date.UTC(2026, 10, 29, 14, 5)) // '2026-11-29'
 */
export const formatDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * A score figure: two decimals at most, none when whole.
 *
 * @example
 * formatScore(12.5) // '12.5'
 */
export const formatScore = (n: number): string => String(Math.round(n * 100) / 100);

/**
 * A share as a percentage with one decimal, or a dash when there is nothing to divide.
 *
 * @example
 * formatShare(1, 3) // '33.3%'
 */
export const formatShare = (part: number, whole: number): string => (whole > 0 ? `${(Math.round((part / whole) * 1000) / 10).toFixed(1)}%` : '–');

/**
 * A duration in the largest unit that keeps it readable: `45 s`, `12 min`, `3.5 h`, `2.1 d`.
 *
 * @example
 * formatDuration(5_400_000) // '1.5 h'
 */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const s = ms / 1000;
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 36 * 3600) return `${Math.round((s / 3600) * 10) / 10} h`;
  return `${Math.round((s / 86400) * 10) / 10} d`;
}

const STAGE_LABELS: Record<string, string> = { visitor: 'Visitor', lead: 'Lead', mql: 'MQL', sql: 'SQL', opportunity: 'Opportunity', customer: 'Customer', recycled: 'Recycled', disqualified: 'Disqualified' };

/**
 * A lifecycle stage as people write it.
 *
 * @example
 * stageLabel('mql') // 'MQL'
 */
export const stageLabel = (stage: string): string => STAGE_LABELS[stage] ?? stage;
