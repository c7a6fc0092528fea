import { shortTime } from './shortTime.js';

/**
 * When a page's cached figures were computed, in words. Figures older than the cache keeps them
 * are shown at once while newer ones are computed behind the page: then it says so, with a
 * link to reload, so a marketer who just acted does not take old figures for the result.
 *
 * @example
 * const { value, at, stale } = await cache(key, compute);
 * <p class="muted">Hits <FiguresAge at={at} stale={stale} />.</p>
 */
export function FiguresAge({ at, stale, reload = true }: { at: number; stale: boolean; /** False on a page a form's post rendered: reloading it would post again or lose what is on it. */ reload?: boolean }) {
  return stale ? (
    <span class="figures-age" data-stale="">
      as of {shortTime(at)} UTC; newer figures are being computed{reload ? <>: <a href="">reload</a> in a moment</> : ' and show on the next visit'}
    </span>
  ) : (
    <span class="figures-age">as of {shortTime(at)} UTC, under a minute old (older ones are recomputed when a page asks)</span>
  );
}
