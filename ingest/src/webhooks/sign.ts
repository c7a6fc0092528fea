import { createHmac, timingSafeEqual } from 'node:crypto';

/** How old a delivery's timestamp may be before a receiver should refuse it (a replay). */
export const TOLERANCE_SECONDS = 300;

/**
 * The signature of a delivery: HMAC-SHA256 with the webhook's secret over
 * `<timestamp>.<body>`, hex, sent as `Leadbeam-Signature: v1=<hex>` beside
 * `Leadbeam-Timestamp: <unix seconds>`.
 *
 * @example
 * signPayload('whsec_…', 1795837191, '{"type":"lead.mql",…}') // 'v1=5c2f…'
 */
export function signPayload(secret: string, timestamp: number, body: string): string {
  return 'v1=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/**
 * What a receiver does: true when the signature matches and the timestamp is recent.
 *
 * @example
 * verifySignature({ secret, body, timestamp: req.headers['leadbeam-timestamp'], signature: req.headers['leadbeam-signature'] })
 */
export function verifySignature({ secret, body, timestamp, signature, now = Date.now() }: { secret: string; body: string; timestamp: string | number; signature: string; now?: number }): boolean {
  const ts = Number(timestamp);
  if (!Number.isInteger(ts) || Math.abs(now / 1000 - ts) > TOLERANCE_SECONDS) return false;
  const expected = Buffer.from(signPayload(secret, ts, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
