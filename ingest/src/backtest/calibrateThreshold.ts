/** How well one MQL engagement threshold separates won from lost leads. */
export interface ThresholdFit {
  threshold: number;
  wonQualified: number;
  lostQualified: number;
  /** Youden's J: share of won leads qualified minus share of lost leads qualified (−1 … 1). */
  youdenJ: number;
}

/** Won and lost leads calibration needs of each before it suggests a threshold: with fewer, the best split is chance. */
export const MIN_OUTCOMES_PER_CLASS = 10;

/**
 * Whether `best` is worth taking: `use`; `too_few_outcomes` (fewer than `MIN_OUTCOMES_PER_CLASS`
 * won or lost leads whose fit passed); `no_separation` (no threshold qualifies more of the won
 * leads than of the lost: Youden's J of 0 or less); `current_is_best` (the draft's own threshold
 * separates them as well: nothing to change); `no_outcomes` (no won or no lost lead).
 */
export type CalibrationAdvice = 'use' | 'too_few_outcomes' | 'no_separation' | 'no_outcomes' | 'current_is_best';

export interface Calibration {
  /** `youden`: the threshold maximising the share of won leads qualified minus the share of lost leads qualified. */
  method: 'youden';
  advice: CalibrationAdvice;
  /** `MIN_OUTCOMES_PER_CLASS`, for the message that asks for more outcomes. */
  minimumPerClass: number;
  won: number;
  lost: number;
  /** The best threshold, or null without at least one won and one lost lead whose fit passed. */
  best: ThresholdFit | null;
  /** The draft's own threshold, measured the same way (null without won and lost leads). */
  current: ThresholdFit | null;
  /** Peak engagement of won and lost leads, in equal buckets [from, to). */
  buckets: Array<{ from: number; to: number; won: number; lost: number }>;
  /** Leads whose fit never passed the fit threshold: no engagement threshold qualifies them. */
  neverFit: { won: number; lost: number };
}

const round2 = (n: number) => Math.round(n * 100) / 100;
/** A readable bucket width giving at most about `count` buckets. */
function bucketWidth(span: number, count: number) {
  const raw = Math.max(span / count, 1);
  const step = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * step).find((w) => w >= raw)!;
}

/**
 * Picks the MQL engagement threshold that best separates won from lost leads, given each
 * lead's peak engagement score under the rules (null: its fit never passed, so no engagement
 * threshold qualifies it). A lead is qualified at threshold T when its peak is ≥ T. "Best" is
 * Youden's J, the share of won leads qualified minus the share of lost leads qualified, so
 * neither class's size dominates; the candidates are the observed peaks (between two of them
 * nothing changes), and ties go to the lower threshold (a buyer missed costs more than a call
 * that sales turns down). `advice` says whether the best is worth taking: only with
 * `MIN_OUTCOMES_PER_CLASS` won and lost leads whose fit passed, and a split better than none. Pure.
 *
 * @example
 * calibrateThreshold({ won: [40, 55, 70], lost: [10, 20, 35] }, 100).best?.threshold // 40
 */
export function calibrateThreshold(peaks: { won: Array<number | null>; lost: Array<number | null> }, currentThreshold: number, { buckets = 10 }: { buckets?: number } = {}): Calibration {
  const won = peaks.won.filter((p): p is number => p !== null);
  const lost = peaks.lost.filter((p): p is number => p !== null);
  const measure = (threshold: number): ThresholdFit => {
    const wonQualified = won.filter((p) => p >= threshold).length;
    const lostQualified = lost.filter((p) => p >= threshold).length;
    return { threshold: round2(threshold), wonQualified, lostQualified, youdenJ: round2(wonQualified / peaks.won.length - lostQualified / peaks.lost.length) };
  };
  const comparable = peaks.won.length > 0 && peaks.lost.length > 0;
  let best: ThresholdFit | null = null;
  if (comparable && won.length + lost.length) {
    for (const candidate of [...new Set([...won, ...lost])].sort((a, b) => a - b)) {
      const fit = measure(candidate);
      if (!best || fit.youdenJ > best.youdenJ) best = fit;
    }
  }
  const all = [...won, ...lost];
  const histogram: Calibration['buckets'] = [];
  if (all.length) {
    const low = Math.min(0, Math.floor(Math.min(...all)));
    const high = Math.max(...all);
    const width = bucketWidth(high - low, buckets);
    const start = Math.floor(low / width) * width;
    for (let from = start; from <= high; from += width) {
      const inside = (p: number) => p >= from && p < from + width;
      histogram.push({ from, to: from + width, won: won.filter(inside).length, lost: lost.filter(inside).length });
    }
  }
  // A split no better than none is never worth taking, however many outcomes there are.
  const current = comparable ? measure(currentThreshold) : null;
  const advice: CalibrationAdvice = !best
    ? 'no_outcomes'
    : best.youdenJ <= 0
      ? 'no_separation'
      : current && current.youdenJ >= best.youdenJ
        ? 'current_is_best'
        : won.length < MIN_OUTCOMES_PER_CLASS || lost.length < MIN_OUTCOMES_PER_CLASS
          ? 'too_few_outcomes'
          : 'use';
  return {
    method: 'youden',
    advice,
    minimumPerClass: MIN_OUTCOMES_PER_CLASS,
    won: peaks.won.length,
    lost: peaks.lost.length,
    best,
    current,
    buckets: histogram,
    neverFit: { won: peaks.won.length - won.length, lost: peaks.lost.length - lost.length },
  };
}
