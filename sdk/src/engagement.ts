import { now, on } from './dom.js';

/** Activity keeps a page "engaged" for this long; a longer pause counts only this much. */
const ACTIVE_MS = 15_000;

/**
 * Measures engaged time (visible and active, not merely open) and the deepest scroll.
 * Returns `take()`, which gives what accumulated since the last take and starts over (so a
 * page reported twice, hidden then left, reports each period once).
 *
 * @example
 * const take = createEngagement();
 * addEventListener('pagehide', () => send(take()));
 */
export function createEngagement() {
  let engagedMs = 0;
  let scrollDepth = 0;
  let lastActive = now();

  const active = () => {
    const at = now();
    if (lastActive) engagedMs += Math.min(at - lastActive, ACTIVE_MS);
    lastActive = document.hidden ? 0 : at;
    scrollDepth = Math.max(scrollDepth, Math.min(100, Math.round(((scrollY + innerHeight) / document.documentElement.scrollHeight) * 100) || 0));
  };

  'scroll mousemove pointerdown keydown visibilitychange'.split(' ').map((type) => on(type, active));

  return () => {
    active();
    const taken = { engagedMs, scrollDepth };
    engagedMs = scrollDepth = 0;
    return taken;
  };
}
