import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';

/**
 * A page without the navigation, for who is not signed in (sign-in, errors before a session).
 *
 * @example
 * c.html(<BarePage title="Sign in"><form>…</form></BarePage>)
 */
export function BarePage({ title, children }: { title: string; children?: Child }) {
  return (
    <>
      {raw('<!DOCTYPE html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{`${title} · leadbeam`}</title>
          <link rel="icon" href="/app/assets/favicon.svg" type="image/svg+xml" />
          <link rel="stylesheet" href="/app/assets/app.css" />
        </head>
        <body>
          <main id="main">{children}</main>
        </body>
      </html>
    </>
  );
}
