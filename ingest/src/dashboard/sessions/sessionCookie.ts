import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { SESSION_TTL_MS } from './createSessionStore.js';

/** The cookie's name; its value is the session token, never the key. */
export const SESSION_COOKIE = 'leadbeam_session';

/** HttpOnly (no script reads it), SameSite=Strict (no other site sends it), only under /app. */
const attributes = (c: Context) => ({ path: '/app', httpOnly: true, sameSite: 'Strict' as const, secure: new URL(c.req.url).protocol === 'https:' });

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
