import type { Context } from 'hono';
import type { KeyScope } from '../db/schema.js';

/** Lookups and reports: what a CRM sync or a dashboard needs. */
const READS = /^\/v1\/(visitors|leads|reports)(\/|$)/;
const EXPORTS = /^\/v1\/leads\/[^/]+\/export$/;
/** Sales feedback from a CRM: changes a lead's stage, nothing else. */
const WRITES = /^\/v1\/leads\/[^/]+\/feedback$/;

/**
 * The scope a request needs, for routes that mix them: `read` for GET on visitors, leads and
 * reports, `write` for sales feedback, `admin` for everything else (merging, and whatever is
 * added later, until it is listed here). The Segment-compatible routes check `write` themselves
 * (`segment/segmentAuth.ts`): a write key may also send server-side events.
 *
 * @example
 * app.use('/v1/leads/*', requireKey(apiScope));
 * apiScope(c) // 'write' for POST /v1/leads/ld_1/feedback
 */
export function apiScope(c: Context): KeyScope {
  const { method, path } = c.req;
  // A person's whole record is not a lookup: exporting it takes an admin key, as erasing does.
  if (EXPORTS.test(path)) return 'admin';
  if ((method === 'GET' || method === 'HEAD') && READS.test(path)) return 'read';
  if (method === 'POST' && WRITES.test(path)) return 'write';
  return 'admin';
}
