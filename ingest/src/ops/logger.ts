import pino from 'pino';

/**
 * The ingest's one logger: JSON lines on stdout (pino), for a log shipper to read. Level from
 * `LEADBEAM_LOG_LEVEL` (default `info`; silent under the test runner unless set). Never given
 * keys, request bodies or raw emails: what is logged is chosen field by field where it is.
 *
 * @example
 * logger.info({ requestId, route, status, ms }, 'request');
 */
export const logger = pino({
  level: process.env.LEADBEAM_LOG_LEVEL || (process.env.VITEST ? 'silent' : 'info'),
  base: { service: 'leadbeam-ingest' },
  // Belt and braces: should a header object ever reach a log line, its secrets do not.
  redact: { paths: ['*.authorization', '*.cookie', '*.headers.authorization', '*.headers.cookie', 'key', 'secret'], censor: '[redacted]' },
});
