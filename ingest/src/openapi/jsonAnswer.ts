/**
 * A JSON answer: its description and the schema of its body, often a reference to a shared
 * component (`{ $ref: '#/components/schemas/Lead' }`, see `apiDocumentation`).
 *
 * @example
 * describeRoute({ responses: { 200: jsonAnswer('The lead', { $ref: '#/components/schemas/Lead' }) } })
 */
export function jsonAnswer(description: string, schema: Record<string, unknown>) {
  return { description, content: { 'application/json': { schema } } };
}
