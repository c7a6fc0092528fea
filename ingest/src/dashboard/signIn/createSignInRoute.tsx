import { Hono } from 'hono';
import type { KeyHolder } from '../../auth/createKeyVerifier.js';
import { holds } from '../../auth/createKeyVerifier.js';
import { createKeyGuessLimit, describeKeyGuessLimit, type KeyGuessLimit } from '../../auth/keyGuesses.js';
import type { SessionStore } from '../sessions/createSessionStore.js';
import { setSessionCookie } from '../sessions/sessionCookie.js';
import { BarePage } from '../layout/BarePage.js';

/** Only our own pages: an absolute or protocol-relative `next` would send the marketer away. */
const safeNext = (next: unknown) => (typeof next === 'string' && /^\/app(\/|\?|$)/.test(next) && !next.startsWith('//') ? next : '/app');

function SignInForm({ next, error }: { next: string; error?: string }) {
  return (
    <BarePage title="Sign in">
      <form method="post" action="/app/sign-in" class="sign-in">
        <h1>Sign in to leadbeam</h1>
        {error ? <p role="alert">{error}</p> : null}
        <label for="key">Secret key</label>
        <input id="key" name="key" type="password" autocomplete="current-password" required autofocus />
        <input type="hidden" name="next" value={next} />
        <button type="submit">Sign in</button>
        <p class="hint">
          The key from <code>LEADBEAM_SECRET_KEY</code> or <code>data/secret-key</code>, or a named key with the <code>read</code> or <code>admin</code> scope. The
          key is checked once and never kept in the browser.
        </p>
      </form>
    </BarePage>
  );
}

/**
 * `GET /app/sign-in` shows a password field for a secret key; `POST` checks the key and starts
 * a session (an HttpOnly, SameSite=Strict cookie holding a random token, never the key).
 * A key without `read` or `admin` scope (a CRM's `write`-only key) opens no session. Wrong keys
 * are counted per client address (`keyGuesses`): after too many, the form answers 429 with
 * `Retry-After` and says when to try again, checking no key from that address until then.
 *
 * @example
 * dashboard.route('/', createSignInRoute({ sessions, verifyKey, keyGuesses }));
 */
export function createSignInRoute({
  sessions,
  verifyKey,
  keyGuesses = createKeyGuessLimit(),
}: {
  sessions: SessionStore;
  verifyKey: (key: string) => Promise<KeyHolder | undefined>;
  /** The count of wrong keys per client address, shared with the API's key checks (`createApp` passes its one); one trusting a proxy on this host is made when not given. */
  keyGuesses?: KeyGuessLimit;
}) {
  const app = new Hono();
  app.get('/sign-in', (c) => c.html(<SignInForm next={safeNext(c.req.query('next'))} />));
  app.post('/sign-in', async (c) => {
    const form = await c.req.parseBody();
    const next = safeNext(form.next);
    const key = typeof form.key === 'string' ? form.key.trim() : '';
    // An empty field is no key presented: not checked, not counted.
    const check = key ? await keyGuesses.check(c, () => verifyKey(key)) : { refused: false as const, found: undefined };
    if (check.refused) {
      const error = check.busy
        ? `Too many sign-ins at once from your address. Try again in ${check.wait} seconds.`
        : `Too many wrong keys from your address (${describeKeyGuessLimit(keyGuesses)}). Try again in ${check.wait} seconds.`;
      return c.html(<SignInForm next={next} error={error} />, 429, { 'Retry-After': String(check.wait) });
    }
    const holder = check.found;
    if (!holder) return c.html(<SignInForm next={next} error="That key is not valid (unknown or revoked)." />, 401);
    if (!holds(holder, 'read')) return c.html(<SignInForm next={next} error={`Key "${holder.name}" may not read leads: sign in with a key that has the read or admin scope.`} />, 403);
    const { token } = await sessions.start(holder);
    setSessionCookie(c, token);
    return c.redirect(next, 303);
  });
  return app;
}
