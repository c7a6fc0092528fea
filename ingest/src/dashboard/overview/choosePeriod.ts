import { z } from 'zod';
import { formatDate } from '../layout/format.js';

const DAY_MS = 86_400_000;
export const PRESETS = ['7', '30', '90'] as const;
export const MAX_DAYS = 366;

const text = z.preprocess((v) => (v === '' ? undefined : v), z.string().max(40).optional());

/**
 * The overview's period form as the browser sends it: the Period select, the two dates, and the
 * dates the form showed when it was drawn (`shownFrom`, `shownTo`), so that dates a person
 * edited can be told from those the form prefilled.
 */
export const periodQuery = z.object({
  period: z.enum([...PRESETS, 'custom']).default('30'),
  from: text,
  to: text,
  shownFrom: text,
  shownTo: text,
});
export type PeriodQuery = z.infer<typeof periodQuery>;

/** A period the overview can show: a preset (moves with the clock) or custom dates (UTC, inclusive). */
export type Period = { period: (typeof PRESETS)[number] } | { period: 'custom'; from: string; to: string };

/** What a person typed that makes no period, with what is wrong with each date, in words. */
export interface PeriodProblem {
  typed: { from: string; to: string };
  problems: { from?: string; to?: string };
}

/**
 * The dates of "the last N days" at `now`: today and the N - 1 days before it.
 *
 * @example
 * presetDates(7, Date.UTC(2026, 10, 29, 14)) // { from: '2026-11-23', to: '2026-11-29' }
 */
export function presetDates(days: number, now: number): { from: string; to: string } {
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  return { from: formatDate(today - (days - 1) * DAY_MS), to: formatDate(today) };
}

const isDate = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && formatDate(Date.parse(`${s}T00:00:00Z`)) === s;

/**
 * The period a request of the overview's form means. "Custom dates" takes the dates. With a
 * preset chosen, dates that differ from those the form showed (or, without them, from the
 * preset's own dates today) were typed by the person: they mean custom dates too, and a date
 * left empty keeps the one shown. Dates equal to those shown leave the preset, so choosing
 * "Last 7 days" on a page showing other dates shows the last 7 days.
 *
 * @example
 * choosePeriod({ period: '30', from: '2026-11-01', to: '2026-11-29' }, now) // { period: 'custom', from: '2026-11-01', to: '2026-11-29' } unless those are the last 30 days
 */
export function choosePeriod(q: PeriodQuery, now: number): Period | PeriodProblem {
  let from = q.from;
  let to = q.to;
  if (q.period !== 'custom') {
    if (from === undefined && to === undefined) return { period: q.period };
    const shown = q.shownFrom !== undefined && q.shownTo !== undefined ? { from: q.shownFrom, to: q.shownTo } : presetDates(Number(q.period), now);
    from ??= shown.from;
    to ??= shown.to;
    if (from === shown.from && to === shown.to) return { period: q.period };
  }
  const problems: PeriodProblem['problems'] = {};
  if (from === undefined) problems.from = 'Give the first day of the period.';
  else if (!isDate(from)) problems.from = `“${from}” is not a date: give the first day as YYYY-MM-DD.`;
  if (to === undefined) problems.to = 'Give the last day of the period.';
  else if (!isDate(to)) problems.to = `“${to}” is not a date: give the last day as YYYY-MM-DD.`;
  if (!problems.from && !problems.to) {
    if (from! > to!) problems.to = 'The last day comes before the first: give a last day on or after the first.';
    else if ((Date.parse(to!) - Date.parse(from!)) / DAY_MS >= MAX_DAYS) problems.to = `A period is at most ${MAX_DAYS} days: give a last day closer to the first.`;
  }
  if (problems.from || problems.to) return { typed: { from: from ?? '', to: to ?? '' }, problems };
  return { period: 'custom', from: from!, to: to! };
}

/**
 * A period's bounds `[from, to)` in ms, always whole UTC days, so that its distinct visitors
 * come from the daily rollups.
 *
 * @example
 * periodBounds({ period: 'custom', from: '2026-11-01', to: '2026-11-01' }, now) // one day
 */
export function periodBounds(p: Period, now: number): { from: number; to: number } {
  if (p.period === 'custom') return { from: Date.parse(`${p.from}T00:00:00Z`), to: Date.parse(`${p.to}T00:00:00Z`) + DAY_MS };
  const tomorrow = (Math.floor(now / DAY_MS) + 1) * DAY_MS;
  return { from: tomorrow - Number(p.period) * DAY_MS, to: tomorrow };
}
