import type { Context } from 'hono';
import type { ErrorBody } from '../../http/apiError.js';
import { handleError } from '../../http/apiError.js';
import { BarePage } from './BarePage.js';

/**
 * The dashboard's `onError`: the API's one mapping of errors (`handleError`) decides status,
 * message and headers; this only shows them as a page a person can read.
 *
 * @example
 * dashboard.onError(renderErrorPage);
 */
export async function renderErrorPage(err: Error, c: Context): Promise<Response> {
  const mapped = handleError(err, c);
  const { error } = (await mapped.json()) as ErrorBody;
  const headers: Record<string, string> = {};
  mapped.headers.forEach((value, name) => {
    if (name !== 'content-type' && name !== 'content-length') headers[name] = value;
  });
  return c.html(
    <BarePage title="Something is not right">
      <h1>{mapped.status === 404 ? 'Not found' : mapped.status === 403 ? 'Not allowed' : mapped.status < 500 ? 'Please check' : 'Something went wrong'}</h1>
      <p role="alert">{error.message}</p>
      <p>
        <a href="/app">Back to the overview</a>
      </p>
    </BarePage>,
    mapped.status as 400,
    headers,
  );
}
