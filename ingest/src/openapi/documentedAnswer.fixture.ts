import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

type Schema = Record<string, unknown>;
type ResponseObject = { description?: string; $ref?: string; headers?: Record<string, unknown>; content?: Record<string, { schema?: Schema }> };
type Operation = { responses: Record<string, ResponseObject> };
/** The parts of the OpenAPI document an answer is checked against. */
export type OpenApiDocument = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema>; responses: Record<string, ResponseObject> } };

/** Headers a client acts on: when an answer sends one, its documented response must name it. */
const CONTRACT_HEADERS = ['retry-after', 'www-authenticate'];

/**
 * The schema as a check of "the document names every field sent": each object schema that lists
 * its `properties` and says nothing of others is closed (`unevaluatedProperties: false`), so an
 * answer's field missing from the document fails, as it does for a strictly generated client.
 * The members of an `allOf` stay open (a shared schema there is referred to in its open form,
 * `$defs/<name>~open`) and the `allOf` itself is closed, so the fields of all members count.
 * References to `#/components/schemas/X` point into `$defs`, where the components are put.
 */
function closed(node: unknown, open = false): unknown {
  if (Array.isArray(node)) return node.map((n) => closed(n));
  if (!node || typeof node !== 'object') return node;
  const out: Schema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string') out[key] = value.replace('#/components/schemas/', '#/$defs/') + (open ? '~open' : '');
    else if (key === 'allOf' && Array.isArray(value)) out[key] = value.map((n) => closed(n, true));
    else if (key === 'properties' && value && typeof value === 'object') out[key] = Object.fromEntries(Object.entries(value).map(([name, schema]) => [name, closed(schema)]));
    else if (key === 'examples' || key === 'example') out[key] = value;
    else out[key] = closed(value);
  }
  const declared = 'additionalProperties' in out || 'unevaluatedProperties' in out;
  if (!declared && !open && ('properties' in out || 'allOf' in out)) out.unevaluatedProperties = false;
  return out;
}

/** The shared schemas as `$defs`: each closed, and open as `<name>~open` for use in an `allOf`. */
const definitions = (schemas: Record<string, Schema>): Schema =>
  Object.fromEntries(Object.entries(schemas).flatMap(([name, schema]) => [[name, closed(schema)], [`${name}~open`, closed(schema, true)]]));

/**
 * Checks real answers against the OpenAPI document: the status is documented for the operation,
 * the JSON body validates against that answer's schema (JSON Schema 2020-12, as OpenAPI 3.1
 * says, formats included, and every field sent named in the schema), and `Retry-After` or
 * `WWW-Authenticate`, when sent, are documented headers of that answer. Gives the problems
 * found, none for an answer the document describes.
 *
 * @example
 * const problemsOf = documentedAnswerCheck(await (await app.request('/openapi.json')).json());
 * expect(await problemsOf('GET', '/v1/leads/{id}/score', await app.request(…))).toEqual([]);
 */
export function documentedAnswerCheck(doc: OpenApiDocument) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const defs = definitions(doc.components.schemas);
  const compiled = new Map<Schema, ValidateFunction>();
  const validatorOf = (schema: Schema) => {
    let validate = compiled.get(schema);
    if (!validate) compiled.set(schema, (validate = ajv.compile({ $id: `answer-${compiled.size}`, $defs: defs, ...(closed(schema) as Schema) })));
    return validate;
  };
  const resolve = (response: ResponseObject): ResponseObject => (response.$ref ? doc.components.responses[response.$ref.replace('#/components/responses/', '')] ?? {} : response);

  return async (method: string, path: string, answer: Response): Promise<string[]> => {
    const where = `${method} ${path} ${answer.status}`;
    const operation = doc.paths[path]?.[method.toLowerCase()];
    if (!operation) return [`${method} ${path}: not in the document`];
    const documented = operation.responses[String(answer.status)];
    if (!documented) return [`${where}: status not documented (documented: ${Object.keys(operation.responses).join(', ')})`];
    const response = resolve(documented);
    const problems: string[] = [];
    const headers = Object.keys(response.headers ?? {}).map((h) => h.toLowerCase());
    for (const header of CONTRACT_HEADERS) if (answer.headers.get(header) !== null && !headers.includes(header)) problems.push(`${where}: header ${header} sent but not documented`);
    const text = await answer.clone().text();
    if (!text) return problems;
    const schema = response.content?.['application/json']?.schema;
    if (!answer.headers.get('content-type')?.startsWith('application/json')) return [...problems, `${where}: not JSON (${answer.headers.get('content-type')})`];
    if (!schema) return [...problems, `${where}: JSON sent, no schema documented`];
    const validate = validatorOf(schema);
    if (!validate(JSON.parse(text))) problems.push(...(validate.errors ?? []).map((e) => `${where}: ${e.instancePath || '(body)'} ${e.message}${e.params && 'unevaluatedProperty' in e.params ? ` "${String(e.params.unevaluatedProperty)}"` : ''}`));
    return problems;
  };
}
