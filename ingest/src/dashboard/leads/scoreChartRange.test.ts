import { describe, expect, it } from 'vitest';
import { SCORE_CHART_MIN_SPAN, scoreChartRange } from './scoreChartRange.js';

const DAY = 86_400;
/** 2026-11-29 14:11:58 UTC, in seconds (uPlot's time unit). */
const NOW = Date.UTC(2026, 10, 29, 14, 11, 58) / 1000;
const year = (s: number) => new Date(s * 1000).getUTCFullYear();

describe('scoreChartRange', () => {
  it('gives a new lead’s lone point a week around it, in seconds', () => {
    const [min, max] = scoreChartRange([NOW])!;
    expect(min).toBeLessThan(NOW);
    expect(max).toBeGreaterThan(NOW);
    expect(max - min).toBeGreaterThanOrEqual(SCORE_CHART_MIN_SPAN);
    expect(max - min).toBeLessThanOrEqual(SCORE_CHART_MIN_SPAN + 2);
    // Seconds, not milliseconds, and not uPlot's [t, t + 1000 days]: the axis stays in the lead's year.
    expect(year(min)).toBe(2026);
    expect(year(max)).toBe(2026);
    expect(NOW - min).toBeGreaterThanOrEqual(3 * DAY);
    expect(max - NOW).toBeGreaterThanOrEqual(3 * DAY);
  });

  it('pads points within one day (or a few hours across midnight) to a week that contains them all', () => {
    const points = [NOW - 14 * 3600, NOW - 2 * 3600, NOW];
    const [min, max] = scoreChartRange(points)!;
    for (const p of points) {
      expect(p).toBeGreaterThan(min);
      expect(p).toBeLessThan(max);
    }
    expect(max - min).toBeGreaterThanOrEqual(SCORE_CHART_MIN_SPAN);
    // Centred on the points.
    expect(Math.abs(points[0]! - min - (max - NOW))).toBeLessThanOrEqual(1);
  });

  it('keeps a history of a week or more to its own range', () => {
    const points = Array.from({ length: 10 }, (_, i) => NOW - (9 - i) * DAY);
    expect(scoreChartRange(points)).toEqual([NOW - 9 * DAY, NOW]);
  });

  it('has no range without points', () => {
    expect(scoreChartRange([])).toBeUndefined();
  });
});
