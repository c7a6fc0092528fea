import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** How old a delivery's timestamp may be before a receiver should refuse it (a replay). */
export const TOLERANCE_SECONDS = 300;

/**
 * The signature of a delivery: HMAC-SHA256 with the webhook's secret over
 * `<timestamp>.<body>`, hex, sent as `Leadbeam-Signature: v1=<hex>` beside
 * `Leadbeam-Timestamp: <unix seconds>`.
 *
 * @example
 * signPayload(secret, 1795837191, '{"type":"lead.mql",…}') // 'v1=5c2f…'
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

/**
 * Standard Webhooks (https://www.standardwebhooks.com, 1.0): every delivery also carries
 * `webhook-id` (the delivery id, the same on every retry), `webhook-timestamp` (Unix seconds of
 * the attempt) and `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, so
 * receivers verify with the reference libraries (npm `standardwebhooks`, Python, Go, Ruby, …).
 *
 * Keys: a secret in the standard form, `whsec_` + standard base64 of 24–64 bytes, signs with
 * those decoded bytes. Any other secret (config-file passphrases, secrets registered before
 * this, such as `whsec_test_0123456789abcdef` or our old base64url ones) signs with its UTF-8
 * bytes: a library verifies those given `standardSecret(secret)`, i.e. `whsec_` + base64 of
 * the secret's bytes.
 */
export const STANDARD_PREFIX = 'whsec_';
export const STANDARD_KEY_BYTES = { min: 24, max: 64 } as const;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The decoded bytes of a `whsec_<base64>` secret (any length), or null when it is not that form. */
function decodeStandard(secret: string): Buffer | null {
  if (!secret.startsWith(STANDARD_PREFIX)) return null;
  const encoded = secret.slice(STANDARD_PREFIX.length);
  if (!encoded || !BASE64.test(encoded)) return null;
  return Buffer.from(encoded, 'base64');
}

const inRange = (bytes: Buffer) => bytes.length >= STANDARD_KEY_BYTES.min && bytes.length <= STANDARD_KEY_BYTES.max;

/**
 * A new secret in the standard form: `whsec_` + base64 of 32 random bytes.
 *
 * @example
 * generateSecret() // 'whsec_Jr3w…='
 */
export function generateSecret(): string {
  return STANDARD_PREFIX + randomBytes(32).toString('base64');
}

/**
 * Why a secret given at registration cannot be used, or null. `whsec_` + base64 must decode
 * to 24–64 bytes; any other secret of at least 16 characters is accepted as before (it signs
 * with its UTF-8 bytes, see `standardSecret`).
 *
 * @example
 * secretProblem('whsec_dG9vIHNob3J0IGEga2V5IQ==') // 'a whsec_ secret is base64 of 24–64 bytes; this one is 16'
 */
export function secretProblem(secret: string): string | null {
  const bytes = decodeStandard(secret);
  if (bytes) return inRange(bytes) ? null : `a whsec_ secret is base64 of ${STANDARD_KEY_BYTES.min}–${STANDARD_KEY_BYTES.max} bytes; this one is ${bytes.length}`;
  return secret.length >= 16 ? null : 'use whsec_ + base64 of 24–64 random bytes (or at least 16 characters)';
}

/** The HMAC key of a secret for the Standard Webhooks signature (see above). */
export function standardKey(secret: string): Buffer {
  const bytes = decodeStandard(secret);
  return bytes && inRange(bytes) ? bytes : Buffer.from(secret, 'utf8');
}

/**
 * The secret to give a Standard Webhooks library: the secret itself when it is in the standard
 * form, otherwise `whsec_` + base64 of its UTF-8 bytes.
 *
 * @example
 * standardSecret('whsec_test_0123456789abcdef') // 'whsec_d2hzZWNfdGVzdF8wMTIzNDU2Nzg5YWJjZGVm'
 */
export function standardSecret(secret: string): string {
  const bytes = decodeStandard(secret);
  return bytes && inRange(bytes) ? secret : STANDARD_PREFIX + Buffer.from(secret, 'utf8').toString('base64');
}

/**
 * The `webhook-signature` header of a delivery: `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`.
 *
 * @example
 * signStandard(secret, 'dl_…', 1795837191, body) // 'v1,K5oZ…='
 */
export function signStandard(secret: string, id: string, timestamp: number, body: string): string {
  return 'v1,' + createHmac('sha256', standardKey(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
}

/**
 * What a Standard Webhooks receiver does, without a library: true when one of the
 * space-separated `v1,…` signatures matches and the timestamp is recent.
 *
 * @example
 * verifyStandard({ secret, body, id: h['webhook-id'], timestamp: h['webhook-timestamp'], signature: h['webhook-signature'] })
 */
export function verifyStandard({ secret, id, body, timestamp, signature, now = Date.now() }: { secret: string; id: string; body: string; timestamp: string | number; signature: string; now?: number }): boolean {
  const ts = Number(timestamp);
  if (!Number.isInteger(ts) || Math.abs(now / 1000 - ts) > TOLERANCE_SECONDS) return false;
  const expected = Buffer.from(signStandard(secret, id, ts, body));
  return signature.split(' ').some((given) => {
    const g = Buffer.from(given);
    return g.length === expected.length && timingSafeEqual(g, expected);
  });
}
