import { ApiError } from '../http/apiError.js';

const MINUTE = 60_000;

/**
 * The 429 every rate limit answers: says which limit and when to retry, in words and in
 * `Retry-After` (whole seconds, at least 1), which the script and Segment's clients honour.
 *
 * @example
 * throw rateLimited('more than 5 requests a minute from one address', resetTime);
 */
export function rateLimited(what: string, resetTime: Date | undefined): ApiError {
  const seconds = Math.max(1, Math.ceil(((resetTime?.getTime() ?? Date.now() + MINUTE) - Date.now()) / 1000));
  return new ApiError(429, 'rate_limited', `${what}; retry in ${seconds} s`, { headers: { 'Retry-After': String(seconds) } });
}
