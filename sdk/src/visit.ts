/** A visit ends after this long without activity (the common analytics rule). */
export const SESSION_TIMEOUT_MS = 30 * 60 * 1000;

/**
 * What the script remembers about this browser, in one small record (as Snowplow does):
 * visitor id, session id, visit number, last activity and the session's campaign.
 */
export interface VisitState {
  /** Visitor id. */
  v: string;
  /** Session id. */
  s: string;
  /** Visit number: 1 on the first visit. */
  n: number;
  /** Last activity, epoch ms. */
  t: number;
  /** Campaign of this session (UTM parameters and click ids). */
  c?: Record<string, string>;
}

/**
 * Moves the visit state forward to `now`: a new visitor gets visit 1, a gap of more than 30
 * minutes starts the next visit (and forgets the old session's campaign).
 *
 * @example
 * const first = touchVisit(undefined, Date.now(), makeId); // { n: 1, … }
 */
export function touchVisit(prev: VisitState | undefined, now: number, makeId: () => string): VisitState {
  if (!prev?.v) return { v: makeId(), s: makeId(), n: 1, t: now };
  if (!(now - prev.t <= SESSION_TIMEOUT_MS)) return { v: prev.v, s: makeId(), n: (prev.n || 0) + 1, t: now };
  return { ...prev, t: now };
}

/**
 * A random id of about 100 bits. Ids only need to be unique, not secret, and Math.random is
 * far cheaper at page load than the first use of crypto (randomUUID is also missing on
 * plain-http pages).
 */
export const makeId = (): string => Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
