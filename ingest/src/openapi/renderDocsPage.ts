import { html, raw } from 'hono/html';

/**
 * What Scalar's `createApiReference` reads. The page used to be made by
 * `@scalar/hono-api-reference`; this is what it wrote: its integration tag, and our options.
 * Scalar's fonts, telemetry, AI agent, MCP generator and developer toolbar are services of
 * Scalar's own servers: none of them.
 */
export function scalarConfiguration(documentUrl: string) {
  return {
    _integration: 'hono',
    url: documentUrl,
    withDefaultFonts: false,
    telemetry: false,
    agent: { disabled: true },
    mcp: { disabled: true },
    showDeveloperTools: 'never',
  } as const;
}

/**
 * The dark-mode theme `@scalar/hono-api-reference` gave the page (MIT, © Scalar), kept so the
 * page looks as it did. It is applied only where no `theme` is chosen, as there.
 */
const HONO_THEME = `.dark-mode {
  color-scheme: dark;
  --scalar-color-1: rgba(255, 255, 245, .86);
  --scalar-color-2: rgba(255, 255, 245, .6);
  --scalar-color-3: rgba(255, 255, 245, .38);
  --scalar-color-disabled: rgba(255, 255, 245, .25);
  --scalar-color-ghost: rgba(255, 255, 245, .25);
  --scalar-color-accent: #e36002;
  --scalar-background-1: #1e1e20;
  --scalar-background-2: #2a2a2a;
  --scalar-background-3: #505053;
  --scalar-background-4: rgba(255, 255, 255, 0.06);
  --scalar-background-accent: #e360021f;

  --scalar-border-color: rgba(255, 255, 255, 0.1);
  --scalar-scrollbar-color: rgba(255, 255, 255, 0.24);
  --scalar-scrollbar-color-active: rgba(255, 255, 255, 0.48);
  --scalar-lifted-brightness: 1.45;
  --scalar-backdrop-brightness: 0.5;

  --scalar-shadow-1: 0 1px 3px 0 rgb(0, 0, 0, 0.1);
  --scalar-shadow-2: rgba(15, 15, 15, 0.2) 0px 3px 6px,
    rgba(15, 15, 15, 0.4) 0px 9px 24px, 0 0 0 1px rgba(255, 255, 255, 0.1);

  --scalar-button-1: #f6f6f6;
  --scalar-button-1-color: #000;
  --scalar-button-1-hover: #e7e7e7;

  --scalar-color-green: #3dd68c;
  --scalar-color-red: #f66f81;
  --scalar-color-yellow: #f9b44e;
  --scalar-color-blue: #5c73e7;
  --scalar-color-orange: #ff8d4d;
  --scalar-color-purple: #b191f9;
}
/* Sidebar */
.dark-mode .sidebar {
  --scalar-sidebar-background-1: #161618;
  --scalar-sidebar-item-hover-color: var(--scalar-color-accent);
  --scalar-sidebar-item-hover-background: transparent;
  --scalar-sidebar-item-active-background: transparent;
  --scalar-sidebar-border-color: transparent;
  --scalar-sidebar-color-1: var(--scalar-color-1);
  --scalar-sidebar-color-2: var(--scalar-color-2);
  --scalar-sidebar-color-active: var(--scalar-color-accent);
  --scalar-sidebar-search-background: #252529;
  --scalar-sidebar-search-border-color: transparent;
  --scalar-sidebar-search-color: var(--scalar-color-3);
}`;

/**
 * A value as a JavaScript literal inside an inline `<script>`: JSON, with every `<` written
 * `\u003c`, so no string in it can end the element (`</script>`) or open a comment (`<!--`).
 */
const scriptLiteral = (value: unknown) => JSON.stringify(value, null, 2).replaceAll('<', '\\u003c');

/** Indents every line but the first by `spaces`, to nest a block inside the page's markup. */
const indent = (text: string, spaces: number) => text.replaceAll('\n', `\n${' '.repeat(spaces)}`);

/**
 * The HTML of the API reference page: `scriptUrl` (Scalar's standalone bundle, which defines
 * `window.Scalar`) and an inline bootstrap that draws the reference of `documentUrl` into
 * `#app`; where scripts do not run, a link to the document. The nonce is on the page's one
 * `<style>` and both scripts, and in `meta[property=csp-nonce]`, where newer bundles (1.71) look
 * for the nonce of the styles they add (`mcp`, too, is read only by those; older ones ignore
 * both). Every value is escaped by `html`; the CSS and the configuration, made here, are written
 * as they are (the configuration as a script literal).
 *
 * @example
 * c.html(renderDocsPage({ title: 'leadbeam API reference', scriptUrl: '/docs/assets/scalar-api-reference-1.46.4.js', documentUrl: '/openapi.json', nonce }))
 */
export function renderDocsPage({ title, scriptUrl, documentUrl, nonce }: { title: string; scriptUrl: string; documentUrl: string; nonce: string }) {
  return html`<!doctype html>
<html>
  <head>
    <title>${title}</title>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta property="csp-nonce" content="${nonce}" />
    <style type="text/css" nonce="${nonce}">
      /* Custom Theme */
      ${raw(indent(HONO_THEME, 6))}
    </style>
  </head>
  <body>
    <div id="app"></div>
    <noscript><p>This reference needs JavaScript. The OpenAPI document it shows is at <a href="${documentUrl}">${documentUrl}</a>.</p></noscript>
    <!-- Scalar's standalone bundle, from this server -->
    <script src="${scriptUrl}" nonce="${nonce}"></script>
    <script type="text/javascript" nonce="${nonce}">
      Scalar.createApiReference('#app', ${raw(indent(scriptLiteral(scalarConfiguration(documentUrl)), 6))})
    </script>
  </body>
</html>`;
}
