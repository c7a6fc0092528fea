import { TEST_SECRET_KEY } from './ingest.js';

/** Anything with Hono's `request` (an app from `testApp`). */
interface Requestable {
  request(path: string, init?: RequestInit): Response | Promise<Response>;
}

/** The origin `app.request` gives relative paths; forms must come from it (CSRF check). */
export const APP_ORIGIN = 'http://localhost';

/** A signed-in browser, reduced to what the tests need: its cookie and its form token. */
export interface DashboardClient {
  cookie: string;
  csrf: string;
  get(path: string): Promise<Response>;
  /** Posts a form as the page would: same origin, with the session's `_csrf`. */
  post(path: string, form?: Record<string, string>): Promise<Response>;
}

/**
 * Signs in to `/app` with a key and returns a client holding the session.
 *
 * @example
 * const client = await signIn(app);
 * const page = await (await client.get('/app/leads')).text();
 */
export async function signIn(app: Requestable, key = TEST_SECRET_KEY): Promise<DashboardClient> {
  const res = await app.request('/app/sign-in', { method: 'POST', headers: { Origin: APP_ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ key }).toString() });
  if (res.status !== 303) throw new Error(`sign-in answered ${res.status}: ${await res.text()}`);
  const cookie = /^(leadbeam_session=[^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  if (!cookie) throw new Error('sign-in set no session cookie');
  const get = (path: string) => app.request(path, { headers: { Cookie: cookie } }) as Promise<Response>;
  const page = await (await get('/app')).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1];
  if (!csrf) throw new Error('the overview has no form token');
  return {
    cookie,
    csrf,
    get,
    post: (path, form = {}) =>
      app.request(path, {
        method: 'POST',
        headers: { Cookie: cookie, Origin: APP_ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrf, ...form }).toString(),
      }) as Promise<Response>,
  };
}
