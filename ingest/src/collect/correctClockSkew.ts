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
