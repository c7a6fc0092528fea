import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hono } from 'hono';
import { describeRoute, generateSpecs } from 'hono-openapi';
import { packageRoot } from '../packageRoot.js';
import { apiDocumentation } from './apiDocumentation.js';
import { createDocsRoute } from './createDocsRoute.js';
import { jsonAnswer } from './jsonAnswer.js';
import { withKeyGuessAnswers } from './keyGuessAnswers.js';
import { withPipelineAnswers } from './pipelineAnswers.js';

/**
 * `GET /openapi.json`, the OpenAPI 3.1 document of `api` (public), and `GET /docs`, Scalar's
 * reference page for people. The document is assembled by hono-openapi from the `describeRoute`
 * each route carries beside its handler (request schemas through `resolver`, the same zod
 * schemas that validate) and `apiDocumentation` (security schemes, the error body, answers),
 * plus the answers of the write pipeline on every operation that writes events
 * (`withPipelineAnswers`) and the 429 of too many wrong keys on every operation that checks a
 * key (`withKeyGuessAnswers`); it is made on the first request, once every route is registered,
 * and kept.
 *
 * The page and its script both come from this server (`createDocsRoute`): it works offline.
 *
 * @example
 * app.route('/', createOpenApiRoute(app));
 */
export function createOpenApiRoute(api: Hono) {
  const { version } = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  const app = new Hono();
  let document: Awaited<ReturnType<typeof generateSpecs>> | undefined;
  app.get(
    '/openapi.json',
    describeRoute({
      tags: ['Operations'],
      summary: 'This OpenAPI 3.1 document',
      description: 'Generated from the schemas that validate the requests. Public; the reference page for people is at `/docs`.',
      security: [],
      responses: { 200: jsonAnswer('The OpenAPI document', { type: 'object' }) },
    }),
    async (c) => {
      // `/openapi.json` and `/sdk.js` look like static files to hono-openapi: list every route.
      document ??= withKeyGuessAnswers(withPipelineAnswers(await generateSpecs(api, { documentation: apiDocumentation(version), excludeStaticFile: false }, c)));
      return c.json(document);
    },
  );
  app.route('/', createDocsRoute());
  return app;
}
