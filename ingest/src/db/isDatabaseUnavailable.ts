/**
 * Error codes that mean the database could not be reached or refused work for now (the
 * network, a restart, a failover, a full connection table, SQLite's lock held too long): the
 * same request may well succeed later. Anything else is a bug or a bad statement.
 */
const SERVER_CODES = new Set([
  // PostgreSQL: connection exceptions (class 08), too many connections, shutting down or starting.
  '08000', '08001', '08003', '08004', '08006', '53300', '57P01', '57P02', '57P03',
]);
/**
 * The network, as Node reports it on a socket it opened (these errors name their `syscall`):
 * the database's. A client that aborts its own upload also gives `ECONNRESET`, without one:
 * that is no outage.
 */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
/** SQLite: another connection holds the lock past the busy timeout (extended codes too: `SQLITE_BUSY_SNAPSHOT`). */
const SQLITE_LOCK = /^SQLITE_(BUSY|LOCKED)/;

/** What `pg` says, without a code, when a connection ends or cannot be had in time. */
const UNAVAILABLE_MESSAGE = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end)/;

/**
 * Whether an error says the database is away for now (answer 503 and retry), not that the
 * request or the code is wrong.
 *
 * @example
 * if (isDatabaseUnavailable(err)) return c.json(body, 503, { 'Retry-After': '5' });
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 3; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, syscall } = e as { code?: unknown; syscall?: unknown };
    if (typeof code === 'string' && (SERVER_CODES.has(code) || SQLITE_LOCK.test(code) || (NETWORK_CODES.has(code) && typeof syscall === 'string'))) return true;
    if (UNAVAILABLE_MESSAGE.test(e.message)) return true;
  }
  return false;
}
