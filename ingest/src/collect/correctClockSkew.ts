/**
 * Moves a client timestamp onto the server's clock: the gap between when the event happened
 * and when its batch left is trusted, the client's absolute clock is not (the same rule as
 * Segment, PostHog and Snowplow). Never later than the moment the batch arrived.
 *
 * @example
 * correctClockSkew({ clientTs: 1_000, sentAt: 5_000, receivedAt: 105_000 }) // 101_000
 */
export function correctClockSkew({ clientTs, sentAt, receivedAt }: { clientTs: number; sentAt: number; receivedAt: number }): number {
  const age = Math.max(0, sentAt - clientTs);
  return receivedAt - age;
}

/** The oldest event accepted: how long the script's offline queue may hold one. */
export const MAX_EVENT_AGE_MS = 30 * 86_400_000;
/** How far after its batch left an event may claim to have happened (clock jitter). */
export const MAX_EVENT_LEAD_MS = 5 * 60_000;

/**
 * Why an event's time is outside the accepted window, measured on the sender's own clock (so a
 * wrong clock costs nothing): at most 30 days before its batch left, at most 5 minutes after.
 * Undefined when it is inside. Without a bound, any client could make the ingest replay a
 * long history, or place events in 1971.
 *
 * @example
 * eventTimeProblem({ clientTs: Date.UTC(1971, 0, 1), sentAt: Date.now() }) // 'ts: more than 30 days before the batch was sent …'
 */
export function eventTimeProblem(
  { clientTs, sentAt }: { clientTs: number; sentAt: number },
  /** How the message names the event's time and the sending (Segment's calls have `timestamp`, and `sentAt` only when the client sends one). */
  { field = 'ts', sent = 'the batch was sent (sentAt)' }: { field?: string; sent?: string } = {},
): string | undefined {
  if (sentAt - clientTs > MAX_EVENT_AGE_MS) return `${field}: more than 30 days before ${sent}; events that old are not accepted`;
  if (clientTs - sentAt > MAX_EVENT_LEAD_MS) return `${field}: more than 5 minutes after ${sent}; an event cannot happen after it is sent`;
  return undefined;
}
