import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { Hono } from 'hono';
import { NONCE, secureHeaders, type SecureHeadersVariables } from 'hono/secure-headers';
import { ApiError } from '../http/apiError.js';
import { etagMatches } from '../sdk-assets/etagMatches.js';
import { bundleFileName, findApiReference, type ApiReferenceBundle } from './apiReferenceBundle.js';
import { renderDocsPage } from './renderDocsPage.js';

/** Where the page finds the document it shows. */
const DOCUMENT_URL = '/openapi.json';

/**
 * The page's Content-Security-Policy. Scripts: this server's files and the page's one inline
 * bootstrap (`Scalar.createApiReference(…)`), which carries the answer's nonce; no `eval` (zod,
 * inside the bundle, probes for it once and does without). Styles: inline ones are allowed
 * (`'unsafe-inline'`, which a nonce in the list would switch off), because the bundle injects
 * several `<style>` elements without the nonce (the theme, the toasts) and sets style attributes;
 * a style can run no script, and with images, fonts and connections limited to this origin it
 * has nowhere to send what it sees. Everything the page fetches (the document, "Test request")
 * goes to this origin; no frames, no plug-ins, and no site may frame the page.
 *
 * The page cannot be sandboxed away from this origin (`sandbox` without `allow-same-origin`):
 * Scalar reads `localStorage` on start and stops when it is refused.
 */
const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'", NONCE],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  objectSrc: ["'none'"],
};

/**
 * `GET /docs`, Scalar's API reference page (`renderDocsPage.ts`), and `GET /docs/assets/<file>.js`,
 * the script it runs, both from this server: the script is `@scalar/api-reference`'s standalone
 * bundle, the version the lock file pins (from node_modules, or the build's copy:
 * `apiReferenceBundle.ts`), so the page works offline and runs no code that a CDN chose. The
 * asset's name carries that version, so browsers keep it for a year; the page forbids every other
 * script origin by its Content-Security-Policy. It sets no cookie and needs none: the dashboard's
 * session cookie is limited to `/app` (and HttpOnly), so neither the page's requests nor its
 * scripts see it.
 * `apiReference: null` is an install with no bundle: both answer 404 saying what to do.
 *
 * @example
 * app.route('/', createDocsRoute());
 */
export function createDocsRoute({ pageTitle = 'leadbeam API reference', apiReference = findApiReference() }: { pageTitle?: string; apiReference?: ApiReferenceBundle | null } = {}) {
  const app = new Hono<{ Variables: SecureHeadersVariables }>();
  if (!apiReference) {
    // An install without dev dependencies whose build did not copy the script: say what to do.
    const missing = () => {
      throw new ApiError(404, 'not_found', `the API reference's script is not installed: run "npm run build" (the document itself is at ${DOCUMENT_URL})`, { headers: { 'Cache-Control': 'no-store' } });
    };
    app.get('/docs', missing);
    app.get('/docs/assets/:file', missing);
    return app;
  }
  const assetUrl = `/docs/assets/${bundleFileName(apiReference.version)}`;

  let bundle: Promise<{ body: Buffer; gzipped: Buffer; etag: string }> | undefined;
  const loadBundle = () =>
    (bundle ??= readFile(apiReference.path).then(async (body) => ({
      body,
      gzipped: await promisify(gzip)(body),
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 20)}"`,
    })).catch((err: unknown) => {
      bundle = undefined; // read again next time: the file may be there by then
      throw err;
    }));

  app.get('/docs/assets/:file', async (c) => {
    if (c.req.path !== assetUrl) throw new ApiError(404, 'not_found', `${c.req.path} is not an asset of this reference page`, { headers: { 'Cache-Control': 'no-store' } });
    const { body, gzipped, etag } = await loadBundle();
    const headers: Record<string, string> = {
      'Content-Type': 'application/javascript; charset=utf-8',
      'Cache-Control': 'public, max-age=31536000, immutable',
      ETag: etag,
      Vary: 'Accept-Encoding',
      'X-Content-Type-Options': 'nosniff',
    };
    if (etagMatches(c.req.header('if-none-match'), etag)) return c.body(null, 304, headers);
    if (/\bgzip\b/.test(c.req.header('accept-encoding') ?? '')) return c.body(new Uint8Array(gzipped), 200, { ...headers, 'Content-Encoding': 'gzip' });
    return c.body(new Uint8Array(body), 200, headers);
  });

  app.get(
    '/docs',
    secureHeaders({ contentSecurityPolicy: CONTENT_SECURITY_POLICY, referrerPolicy: 'same-origin', crossOriginEmbedderPolicy: false }),
    (c) => {
      const html = renderDocsPage({ title: pageTitle, scriptUrl: assetUrl, documentUrl: DOCUMENT_URL, nonce: c.get('secureHeadersNonce')! });
      // A new nonce every time: no cache may hand one answer to another reader.
      return c.html(html, 200, { 'Cache-Control': 'no-store' });
    },
  );
  return app;
}
