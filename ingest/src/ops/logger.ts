import pino from 'pino';

/**
 * The ingest's one logger: JSON lines on stdout (pino), for a log shipper to read. Level from
 * `LEADBEAM_LOG_LEVEL` (default `info`; silent under the test runner unless set). Never given
 * keys, request bodies or raw emails: what is logged is chosen field by field where it is.
 *
 * @example
 * logger.info({ requestId, route, status, ms }, 'request');
 */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const wanted = process.env.LEADBEAM_LOG_LEVEL?.trim();
export const logger = pino({
  // A level pino does not know would throw here, on import, as a stack trace: `readSettings`
  // refuses it in one line instead, before anything starts.
  level: wanted && (LOG_LEVELS as readonly string[]).includes(wanted) ? wanted : process.env.VITEST ? 'silent' : 'info',
  base: { service: 'leadbeam-ingest' },
  // Belt and braces: should a header object ever reach a log line, its secrets do not.
  redact: { paths: ['*.authorization', '*.cookie', '*.headers.authorization', '*.headers.cookie', 'key', 'secret'], censor: '[redacted]' },
});
