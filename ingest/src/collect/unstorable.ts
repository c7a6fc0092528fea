/** How deep objects inside an event may nest (props, traits, campaign). */
export const MAX_NESTING = 8;

/**
 * The first value of an event that no store could keep as sent, with its path: a NUL character
 * (PostgreSQL refuses it in text), or nesting deeper than MAX_NESTING. Checked before
 * validation, so such an event is refused alone, with a message, instead of failing its batch.
 * Undefined when every value can be stored.
 *
 * @example
 * unstorable({ props: { note: 'a\u0000b' } }) // { field: 'props.note', problem: 'contains a NUL character (\\u0000), which cannot be stored' }
 */
export function unstorable(event: unknown): { field: string; problem: string } | undefined {
  const stack: Array<{ value: unknown; path: string[] }> = [{ value: event, path: [] }];
  while (stack.length) {
    const { value, path } = stack.pop()!;
    const field = path.join('.') || '(event)';
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return { field, problem: 'contains a NUL character (\\u0000), which cannot be stored' };
    } else if (value && typeof value === 'object') {
      if (path.length >= MAX_NESTING) return { field, problem: `nests objects more than ${MAX_NESTING} levels deep` };
      for (const [key, child] of Object.entries(value)) {
        if (key.includes('\u0000')) return { field: [...path, key.replaceAll('\u0000', '\\u0000')].join('.'), problem: 'a property name contains a NUL character (\\u0000)' };
        stack.push({ value: child, path: [...path, key] });
      }
    }
  }
  return undefined;
}
