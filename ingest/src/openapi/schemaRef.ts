/**
 * A reference to a shared schema of `apiDocumentation` (`Error`, `Lead`, `Visitor`, …).
 *
 * @example
 * jsonAnswer('The lead', schemaRef('Lead'))
 */
export function schemaRef(name: string): { $ref: string } {
  return { $ref: `#/components/schemas/${name}` };
}
