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
 * A value as a JavaScript literal inside an inline `<script>`: JSON, with every `<` written
 * `\u003c`, so no string in it can end the element (`</script>`) or open a comment (`<!--`).
 */
const scriptLiteral = (value: unknown) => JSON.stringify(value, null, 2).replaceAll('<', '\\u003c');

/** Indents every line but the first by `spaces`, to nest a block inside the page's markup. */
const indent = (text: string, spaces: number) => text.replaceAll('\n', `\n${' '.repeat(spaces)}`);

/**
 * The HTML of the API reference page: `scriptUrl` (Scalar's standalone bundle, which defines
 * `window.Scalar`) and an inline bootstrap that draws the reference of `documentUrl` into
 * `#app`; where scripts do not run, a link to the document. Scalar's own theme; the nonce
 * is on both scripts, and in `meta[property=csp-nonce]`, where newer bundles (1.71) look for the
 * nonce of the styles they add (`mcp`, too, is read only by those; older ones ignore both).
 * Every value is escaped by `html`; the configuration, made here, is written as a script literal.
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
