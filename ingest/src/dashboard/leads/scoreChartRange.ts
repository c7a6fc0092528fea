const DAY = 86_400;
/** The shortest stretch of time the score chart shows, in seconds: a week. */
export const SCORE_CHART_MIN_SPAN = 7 * DAY;

/**
 * The x range of a lead's score chart, in Unix seconds (uPlot's unit), from the points' times
 * (seconds, oldest first): the points' own range when they span a week or more, else a week
 * centred on them. A new lead's history is one point (today, at `now`), and uPlot ranges a lone
 * time point to [t, t + 1000 days] (its `86400 / ms` slip), which draws the point against the
 * left edge under years of empty axis; a history of a few hours would get hour ticks.
 * `undefined` when there are no points.
 *
 * @example
 * scoreChartRange([1_795_960_000]) // [1_795_657_600, 1_796_262_400]: 3.5 days each side
 */
export function scoreChartRange(x: readonly number[]): [number, number] | undefined {
  if (x.length === 0) return undefined;
  const min = Math.min(...x);
  const max = Math.max(...x);
  if (max - min >= SCORE_CHART_MIN_SPAN) return [min, max];
  const pad = (SCORE_CHART_MIN_SPAN - (max - min)) / 2;
  return [Math.floor(min - pad), Math.ceil(max + pad)];
}
