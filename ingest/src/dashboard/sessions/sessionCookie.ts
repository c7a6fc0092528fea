import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { SESSION_TTL_MS } from './createSessionStore.js';

/** The cookie's name; its value is the session token, never the key. */
export const SESSION_COOKIE = 'leadbeam_session';

/**
 * Whether the browser reached us over HTTPS: directly, or through a proxy that ended TLS and
 * says so (`X-Forwarded-Proto`, `Forwarded: proto=`), as the documented nginx and Caddy set-ups
 * do. Trusting the header blindly is safe here: it can only add `Secure`, which a client that
 * forged it harms itself with.
 */
const reachedOverHttps = (c: Context) =>
  new URL(c.req.url).protocol === 'https:' ||
  c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase() === 'https' ||
  /(?:^|[;,\s])proto=(?:"?)https(?:"?)(?:[;,\s]|$)/i.test(c.req.header('forwarded') ?? '');

/** HttpOnly (no script reads it), SameSite=Strict (no other site sends it), only under /app, Secure over HTTPS. */
const attributes = (c: Context) => ({ path: '/app', httpOnly: true, sameSite: 'Strict' as const, secure: reachedOverHttps(c) });

/**
 * @example
 * setSessionCookie(c, token);
 */
export const setSessionCookie = (c: Context, token: string) => setCookie(c, SESSION_COOKIE, token, { ...attributes(c), maxAge: SESSION_TTL_MS / 1000 });

/**
 * @example
 * const token = readSessionCookie(c);
 */
export const readSessionCookie = (c: Context): string | undefined => getCookie(c, SESSION_COOKIE);

/**
 * @example
 * clearSessionCookie(c);
 */
export const clearSessionCookie = (c: Context) => deleteCookie(c, SESSION_COOKIE, attributes(c));
